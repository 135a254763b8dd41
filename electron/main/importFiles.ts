// Run bundles and traces picked in the desktop menu's open dialogs (File > Import run, File >
// Import trace): main reads the file (bounded: regular files only, at most the upload bound, through
// electron/service/boundedRead.ts), unpacks a gzip'd trace (bounded too) and sends the renderer one
// import command with the content; the renderer asks the lab, as the Runs page's buttons do.
// Must not: read any path the user did not pick; import anything itself (the lab does).

import { basename } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { RUN_BUNDLE_UPLOAD_MAX_BYTES, TRACE_TEXT_MAX_BYTES } from '../../core/contract/imports';
import type { MenuCommand } from '../../core/contract/desktopShell';
import { readBytesAtMost, type BoundedBytes } from '../service/boundedRead';
import { errorMessage } from '../service/labError';

const gunzipAsync = promisify(gunzip);
const MiB = 1024 * 1024;

export const BUNDLE_FILTERS = [
  { name: 'Portable run bundle', extensions: ['gz'] },
  { name: 'All files', extensions: ['*'] },
];

export const TRACE_FILTERS = [
  { name: 'Trace (ftrace / trace-cmd text, QEMU -trace log; gzip or not)', extensions: ['txt', 'log', 'gz', 'trace'] },
  { name: 'All files', extensions: ['*'] },
];

/** The bounded read the imports make; tests pass an in-memory one. */
export type ReadBytes = (path: string, maxBytes: number) => Promise<BoundedBytes>;

export type ReadImportOutcome = { readonly ok: true; readonly command: MenuCommand } | { readonly ok: false; readonly message: string };

async function readPicked(path: string, max: number, cli: string, read: ReadBytes): Promise<{ name: string; bytes: Buffer } | string> {
  const name = basename(path);
  try {
    const got = await read(path, max);
    if (got.kind === 'not-a-file') return `${name} is not a regular file`;
    if (got.kind === 'too-big') return `${name} is larger than ${max / MiB} MiB; import it with ${cli} ${name}`;
    return { name, bytes: got.bytes };
  } catch (err) {
    return `${name} could not be read: ${errorMessage(err)}`;
  }
}

/** A picked run bundle as an import-run command, or why it cannot be sent. */
export async function readRunBundleFile(path: string, read: ReadBytes = readBytesAtMost): Promise<ReadImportOutcome> {
  const got = await readPicked(path, RUN_BUNDLE_UPLOAD_MAX_BYTES, 'pcilab import', read);
  if (typeof got === 'string') return { ok: false, message: got };
  return { ok: true, command: { kind: 'import-run', fileName: got.name.slice(0, 255), dataBase64: got.bytes.toString('base64') } };
}

/** A picked trace as an import-trace command (unpacked when gzip'd), or why it cannot be sent. */
export async function readTraceFile(path: string, read: ReadBytes = readBytesAtMost): Promise<ReadImportOutcome> {
  const got = await readPicked(path, TRACE_TEXT_MAX_BYTES, 'pcilab import-trace', read);
  if (typeof got === 'string') return { ok: false, message: got };
  let bytes = got.bytes;
  let fileName = got.name;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes, { maxOutputLength: TRACE_TEXT_MAX_BYTES });
    } catch (err) {
      const big = (err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
      return {
        ok: false,
        message: big
          ? `${fileName} unpacks to more than ${TRACE_TEXT_MAX_BYTES / MiB} MiB; import it with pcilab import-trace ${fileName}`
          : `${fileName} is damaged gzip data (${errorMessage(err)})`,
      };
    }
    fileName = fileName.replace(/\.gz$/i, '') || 'trace';
  }
  return { ok: true, command: { kind: 'import-trace', fileName: fileName.slice(0, 255), text: bytes.toString('utf8') } };
}
