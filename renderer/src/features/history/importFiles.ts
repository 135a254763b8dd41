// The files the Runs page's Import run / Import trace buttons pick, made ready for the lab: a run
// bundle's bytes as base64, a trace's text (a gzip'd trace is unpacked here, as `pcilab import-trace`
// does, stopping at the size bound). The bounds come from the lab (LabCatalog.importLimits); sizes
// are checked before anything is uploaded, and the error names the file and the bound.
// Must not: call the lab (the view does) or read more than the bound.

const MiB = 1024 * 1024;

export class ImportFileError extends Error {}

/** A file's bytes as base64 (in slices: String.fromCharCode takes a bounded number of arguments). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export interface NamedBlob {
  readonly name: string;
  readonly size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A run bundle file as the importRunBundle request, at most `maxBytes`. */
export async function bundleRequestOf(file: NamedBlob, maxBytes: number): Promise<{ fileName: string; dataBase64: string }> {
  if (file.size > maxBytes) {
    throw new ImportFileError(`${file.name} is larger than ${maxBytes / MiB} MiB; import it with pcilab import ${file.name}`);
  }
  return { fileName: file.name.slice(0, 255), dataBase64: bytesToBase64(new Uint8Array(await file.arrayBuffer())) };
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Unpacks gzip data, refusing to go past `max` bytes of output. */
async function gunzipAtMost(bytes: Uint8Array, max: number, name: string): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > max) {
        await reader.cancel();
        throw new ImportFileError(`${name} unpacks to more than ${max / MiB} MiB; import it with pcilab import-trace ${name}`);
      }
      parts.push(value);
    }
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    throw new ImportFileError(`${name} is damaged gzip data (${err instanceof Error ? err.message : String(err)})`);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A trace file's text (gunzipped when it is gzip data), at most `maxBytes`. */
export async function traceTextOf(file: NamedBlob, maxBytes: number): Promise<{ fileName: string; text: string }> {
  const raw = new Uint8Array(await file.arrayBuffer());
  const packed = isGzip(raw);
  if (!packed && raw.length > maxBytes) {
    throw new ImportFileError(`${file.name} is larger than ${maxBytes / MiB} MiB; import it with pcilab import-trace ${file.name}`);
  }
  const bytes = packed ? await gunzipAtMost(raw, maxBytes, file.name) : raw;
  const fileName = (packed ? file.name.replace(/\.gz$/i, '') : file.name).slice(0, 255) || 'trace';
  return { fileName, text: new TextDecoder().decode(bytes) };
}
