// Reads a file a user named (a scenario, a run bundle, a trace), bounded: at most `maxBytes`,
// regular files only, through one handle opened non-blocking (opening a FIFO with no writer would
// otherwise wait forever, and a device such as /dev/zero or a growing file would never end). The
// desktop imports (async) and `pcilab run` / `pcilab import` (sync) all read through here.
// Must not: parse what it reads, or follow anything but the path it was given.

import { constants, closeSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

/** What reading at most `maxBytes` of a path found. */
export type BoundedBytes =
  | { readonly kind: 'bytes'; readonly bytes: Buffer }
  | { readonly kind: 'too-big' }
  | { readonly kind: 'not-a-file'; readonly what: string };

export type BoundedRead =
  { readonly kind: 'text'; readonly text: string } | { readonly kind: 'too-big' } | { readonly kind: 'not-a-file'; readonly what: string };

// O_NONBLOCK makes open() of a FIFO return at once; it changes nothing for a regular file. Windows has neither.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** What a non-regular file is, for "<path>: is a directory". */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Bytes are read in slices of this size (a large bound costs no memory up front). */
const SLICE_BYTES = 1024 * 1024;

export function readBytesAtMostSync(path: string, maxBytes: number): BoundedBytes {
  const fd = openSync(path, OPEN_FLAGS);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { kind: 'not-a-file', what: kindOf(stats) };
    if (stats.size > maxBytes) return { kind: 'too-big' };
    const slices: Buffer[] = [];
    let got = 0;
    for (;;) {
      const slice = Buffer.allocUnsafe(Math.min(SLICE_BYTES, maxBytes + 1 - got));
      const n = readSync(fd, slice, 0, slice.length, null);
      if (n === 0) break;
      slices.push(slice.subarray(0, n));
      got += n;
      if (got > maxBytes) return { kind: 'too-big' };
    }
    return { kind: 'bytes', bytes: Buffer.concat(slices, got) };
  } finally {
    closeSync(fd);
  }
}

export async function readBytesAtMost(path: string, maxBytes: number): Promise<BoundedBytes> {
  const handle = await open(path, OPEN_FLAGS);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return { kind: 'not-a-file', what: kindOf(stats) };
    if (stats.size > maxBytes) return { kind: 'too-big' };
    const slices: Buffer[] = [];
    let got = 0;
    for (;;) {
      const slice = Buffer.allocUnsafe(Math.min(SLICE_BYTES, maxBytes + 1 - got));
      const { bytesRead } = await handle.read(slice, 0, slice.length, null);
      if (bytesRead === 0) break;
      slices.push(slice.subarray(0, bytesRead));
      got += bytesRead;
      if (got > maxBytes) return { kind: 'too-big' };
    }
    return { kind: 'bytes', bytes: Buffer.concat(slices, got) };
  } finally {
    await handle.close();
  }
}

/** The bytes as UTF-8 text (the scenario and trace readers). */
function asText(read: BoundedBytes): BoundedRead {
  return read.kind === 'bytes' ? { kind: 'text', text: read.bytes.toString('utf8') } : read;
}

export function readTextAtMostSync(path: string, maxBytes: number): BoundedRead {
  return asText(readBytesAtMostSync(path, maxBytes));
}

export async function readTextAtMost(path: string, maxBytes: number): Promise<BoundedRead> {
  return asText(await readBytesAtMost(path, maxBytes));
}
