import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { RUN_BUNDLE_UPLOAD_MAX_BYTES } from '../../core/contract/imports';
import { MenuCommandSchema } from '../../core/contract/desktopShell';
import { readRunBundleFile, readTraceFile, type ReadBytes } from './importFiles';

function memory(files: Record<string, Buffer>, sizes: Record<string, number> = {}): ReadBytes {
  return (p, max) => {
    if (p.startsWith('/dev/')) return Promise.resolve({ kind: 'not-a-file', what: 'a device' });
    if (!(p in files)) return Promise.reject(new Error('ENOENT: no such file'));
    return Promise.resolve((sizes[p] ?? files[p]!.length) > max ? { kind: 'too-big' } : { kind: 'bytes', bytes: files[p]! });
  };
}

describe('files picked in File > Import run / Import trace', () => {
  it('sends a bundle as base64 with its base name, in a command the preload accepts', async () => {
    const out = await readRunBundleFile('/x/run-3.pcilab-run.jsonl.gz', memory({ '/x/run-3.pcilab-run.jsonl.gz': Buffer.from([1, 2, 3]) }));
    expect(out).toEqual({ ok: true, command: { kind: 'import-run', fileName: 'run-3.pcilab-run.jsonl.gz', dataBase64: 'AQID' } });
    expect(MenuCommandSchema.safeParse((out as { command: unknown }).command).success).toBe(true);
  });

  it('unpacks a gzip trace and drops .gz from its name; a plain one is sent as it is', async () => {
    const read = memory({ '/t.trace.txt.gz': gzipSync('line\n'), '/q.log': Buffer.from('qemu\n') });
    expect(await readTraceFile('/t.trace.txt.gz', read)).toEqual({
      ok: true,
      command: { kind: 'import-trace', fileName: 't.trace.txt', text: 'line\n' },
    });
    expect(await readTraceFile('/q.log', read)).toEqual({ ok: true, command: { kind: 'import-trace', fileName: 'q.log', text: 'qemu\n' } });
  });

  it('refuses files past the bound, devices, unreadable files and damaged gzip, naming the file', async () => {
    const read = memory(
      { '/big.gz': Buffer.alloc(1), '/bad.gz': gzipSync('x').subarray(0, 12) },
      { '/big.gz': RUN_BUNDLE_UPLOAD_MAX_BYTES + 1 },
    );
    expect(await readRunBundleFile('/big.gz', read)).toEqual({
      ok: false,
      message: 'big.gz is larger than 24 MiB; import it with pcilab import big.gz',
    });
    expect(await readRunBundleFile('/dev/zero', read)).toEqual({ ok: false, message: 'zero is not a regular file' });
    expect(await readRunBundleFile('/gone.gz', read)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^gone\.gz could not be read/) as unknown,
    });
    expect(await readTraceFile('/bad.gz', read)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^bad\.gz is damaged gzip data/) as unknown,
    });
  });
});
