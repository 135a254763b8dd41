import { describe, expect, it } from 'vitest';
import { bundleRequestOf, bytesToBase64, ImportFileError, traceTextOf } from './importFiles';

const MiB = 1024 * 1024;

function file(name: string, bytes: Uint8Array, size = bytes.length) {
  return { name, size, arrayBuffer: () => Promise.resolve(Uint8Array.from(bytes).buffer) };
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe('files picked for import', () => {
  it('encodes bytes as base64 in slices (large files too)', () => {
    const bytes = new Uint8Array(100_000).map((_, i) => (i * 7) & 255);
    const back = Uint8Array.from(atob(bytesToBase64(bytes)), (c) => c.charCodeAt(0));
    expect(back).toEqual(bytes);
  });

  it('refuses a bundle past the upload bound before reading it, naming the file', async () => {
    const big = file('big.pcilab-run.jsonl.gz', new Uint8Array(1), 24 * MiB + 1);
    await expect(bundleRequestOf(big, 24 * MiB)).rejects.toThrow(ImportFileError);
    await expect(bundleRequestOf(big, 24 * MiB)).rejects.toThrow(
      /^big\.pcilab-run\.jsonl\.gz is larger than 24 MiB; import it with pcilab import/,
    );
  });

  it("reads a trace's text, unpacking a gzip'd one and dropping .gz from its name, refusing past the bound", async () => {
    const text = 'trace line\n'.repeat(1000);
    expect(await traceTextOf(file('t.txt', new TextEncoder().encode(text)), MiB)).toEqual({ fileName: 't.txt', text });
    const packed = await gzip(text);
    expect(await traceTextOf(file('t.trace.txt.gz', packed), MiB)).toEqual({ fileName: 't.trace.txt', text });
    await expect(traceTextOf(file('t.gz', packed), 1000)).rejects.toThrow(/^t\.gz unpacks to more than/);
    await expect(traceTextOf(file('d.gz', packed.subarray(0, 30)), MiB)).rejects.toThrow(/^d\.gz is damaged gzip data/);
  });
});
