// Lookups by seq in a timeline whose rows are clustered by (lane, t, seq): blocks of 4096 seqs
// giving each event's lane and t (then one primary-key probe finds the row), and blocks of 4096
// causes listing the events each one caused (CSR: offsets, then effect seqs in seq order). Both are
// built from the recorded columns at store time: a few thousand rows instead of an index entry per
// event maintained row by row.
// Must not: touch the database.

import type { TimelineColumns } from '../../core/sim/timelineRecorder';

export const SEQ_BLOCK = 4096;

export interface SeqBlock {
  readonly block: number;
  readonly lanes: Buffer;
  readonly times: Buffer;
}

export interface EffectBlock {
  readonly block: number;
  readonly offsets: Buffer;
  readonly seqs: Buffer;
}

function bytesOf(a: Uint16Array | Uint32Array | Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

export function* seqBlocksOf(cols: TimelineColumns): Generator<SeqBlock> {
  for (let from = 0, block = 0; from < cols.count; from += SEQ_BLOCK, block++) {
    const to = Math.min(cols.count, from + SEQ_BLOCK);
    yield { block, lanes: bytesOf(cols.lane.slice(from, to)), times: bytesOf(cols.t.slice(from, to)) };
  }
}

/** Lane and t of `seq` from its block's blobs. */
export function locateInBlock(lanes: Uint8Array, times: Uint8Array, seq: number): { lane: number; t: number } | undefined {
  const i = seq % SEQ_BLOCK;
  if ((i + 1) * 2 > lanes.byteLength) return undefined;
  const view = new DataView(lanes.buffer, lanes.byteOffset, lanes.byteLength);
  const tv = new DataView(times.buffer, times.byteOffset, times.byteLength);
  return { lane: view.getUint16(i * 2, true), t: tv.getFloat64(i * 8, true) };
}

export function* effectBlocksOf(cols: TimelineColumns): Generator<EffectBlock> {
  const n = cols.count;
  const start = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const c = cols.cause[i]!;
    if (c >= 0 && c < n) start[c + 1] = start[c + 1]! + 1;
  }
  for (let i = 0; i < n; i++) start[i + 1] = start[i + 1]! + start[i]!;
  const seqs = new Uint32Array(start[n]!);
  const fill = start.slice(0, n);
  for (let i = 0; i < n; i++) {
    const c = cols.cause[i]!;
    if (c >= 0 && c < n) seqs[fill[c]!++] = i;
  }
  for (let from = 0, block = 0; from < n; from += SEQ_BLOCK, block++) {
    const to = Math.min(n, from + SEQ_BLOCK);
    const base = start[from]!;
    if (start[to] === base) continue;
    const offsets = start.slice(from, to + 1).map((o) => o - base);
    yield { block, offsets: bytesOf(offsets), seqs: bytesOf(seqs.slice(base, start[to])) };
  }
}

/** The seqs of the events `cause` caused, from its block's blobs (seq order). */
export function effectsInBlock(offsets: Uint8Array, seqs: Uint8Array, cause: number): number[] {
  const i = cause % SEQ_BLOCK;
  const ov = new DataView(offsets.buffer, offsets.byteOffset, offsets.byteLength);
  if ((i + 2) * 4 > offsets.byteLength) return [];
  const from = ov.getUint32(i * 4, true);
  const to = ov.getUint32((i + 1) * 4, true);
  const sv = new DataView(seqs.buffer, seqs.byteOffset, seqs.byteLength);
  const out: number[] = [];
  for (let k = from; k < to; k++) out.push(sv.getUint32(k * 4, true));
  return out;
}
