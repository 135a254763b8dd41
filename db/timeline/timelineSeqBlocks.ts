// Lookups by seq in a timeline whose rows are clustered by (lane, t, seq): blocks of 4096 seqs
// giving each event's lane and t (then one primary-key probe finds the row), and effect parts
// listing the events each cause led to. Both are built chunk by chunk as the run streams: a seq
// block is written as its chunk arrives (the last, partial block rewritten until it is full), and
// each chunk writes one effect part per block of causes its events name (a cause may be in any
// earlier chunk), so a cause's effects are its block's parts read in order. A few thousand rows
// instead of an index entry per event maintained row by row.
// Must not: touch the database.

import type { TimelineChunk } from '../../core/sim/timelineRecorder';

export const SEQ_BLOCK = 4096;

export interface SeqBlock {
  readonly block: number;
  readonly lanes: Buffer;
  readonly times: Buffer;
}

/** The effects named in one chunk of the causes of one block: (cause offset in the block, effect seq) pairs sorted by cause then seq. */
export interface EffectPart {
  readonly block: number;
  /** The seq of the chunk's first event: parts of a block in this order list effects in seq order. */
  readonly part: number;
  readonly causes: Buffer;
  readonly seqs: Buffer;
}

function bytesOf(a: Uint16Array | Uint32Array | Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Cuts the seq blocks out of the chunks as they come; the last block stays open until it is full. */
export class SeqBlockBuilder {
  private readonly lanes = new Uint16Array(SEQ_BLOCK);
  private readonly times = new Float64Array(SEQ_BLOCK);
  private block = 0;
  private n = 0;

  /** The blocks a chunk completes or extends, the open one last (write them over what was stored). */
  *add(chunk: TimelineChunk): Generator<SeqBlock> {
    let at = 0;
    while (at < chunk.count) {
      const take = Math.min(SEQ_BLOCK - this.n, chunk.count - at);
      this.lanes.set(chunk.lane.subarray(at, at + take), this.n);
      this.times.set(chunk.t.subarray(at, at + take), this.n);
      this.n += take;
      at += take;
      if (this.n < SEQ_BLOCK) break;
      yield { block: this.block, lanes: bytesOf(this.lanes), times: bytesOf(this.times) };
      this.block++;
      this.n = 0;
    }
    if (this.n > 0)
      yield { block: this.block, lanes: bytesOf(this.lanes.subarray(0, this.n)), times: bytesOf(this.times.subarray(0, this.n)) };
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

/** The effect parts of one chunk, by block of causes. */
export function* effectPartsOf(chunk: TimelineChunk): Generator<EffectPart> {
  const { cause, count, first } = chunk;
  const local = linksByCause(cause, count);
  const links = local.length;
  let k = 0;
  while (k < links) {
    const block = Math.floor(cause[local[k]!]! / SEQ_BLOCK);
    let end = k + 1;
    while (end < links && Math.floor(cause[local[end]!]! / SEQ_BLOCK) === block) end++;
    const causes = new Uint16Array(end - k);
    const seqs = new Uint32Array(end - k);
    for (let j = k; j < end; j++) {
      causes[j - k] = cause[local[j]!]! - block * SEQ_BLOCK;
      seqs[j - k] = first + local[j]!;
    }
    yield { block, part: first, causes: bytesOf(causes), seqs: bytesOf(seqs) };
    k = end;
  }
}

/**
 * Positions of the chunk's events that name a cause, sorted by cause then position (= seq): a
 * two-pass radix sort (the cause's offset in its block, then its block), linear and stable, since
 * a cause may be anywhere before the chunk.
 */
function linksByCause(cause: Int32Array, count: number): Uint32Array {
  let links = 0;
  let oldest = Number.POSITIVE_INFINITY;
  let newest = -1;
  for (let i = 0; i < count; i++) {
    const c = cause[i]!;
    if (c < 0) continue;
    links++;
    if (c < oldest) oldest = c;
    if (c > newest) newest = c;
  }
  const out = new Uint32Array(links);
  if (links === 0) return out;
  const byOffset = new Uint32Array(SEQ_BLOCK + 1);
  for (let i = 0; i < count; i++) if (cause[i]! >= 0) byOffset[(cause[i]! % SEQ_BLOCK) + 1]! += 1;
  for (let j = 0; j < SEQ_BLOCK; j++) byOffset[j + 1] = byOffset[j + 1]! + byOffset[j]!;
  const tmp = new Uint32Array(links);
  for (let i = 0; i < count; i++) if (cause[i]! >= 0) tmp[byOffset[cause[i]! % SEQ_BLOCK]!++] = i;
  const firstBlock = Math.floor(oldest / SEQ_BLOCK);
  const blocks = Math.floor(newest / SEQ_BLOCK) - firstBlock + 1;
  const byBlock = new Uint32Array(blocks + 1);
  for (let k = 0; k < links; k++) byBlock[Math.floor(cause[tmp[k]!]! / SEQ_BLOCK) - firstBlock + 1]! += 1;
  for (let b = 0; b < blocks; b++) byBlock[b + 1] = byBlock[b + 1]! + byBlock[b]!;
  for (let k = 0; k < links; k++) out[byBlock[Math.floor(cause[tmp[k]!]! / SEQ_BLOCK) - firstBlock]!++] = tmp[k]!;
  return out;
}

/** The seqs of the events `cause` led to, from its block's parts in part order (seq order). */
export function effectsInParts(parts: readonly { readonly causes: Uint8Array; readonly seqs: Uint8Array }[], cause: number): number[] {
  const at = cause % SEQ_BLOCK;
  const out: number[] = [];
  for (const p of parts) {
    const cv = new DataView(p.causes.buffer, p.causes.byteOffset, p.causes.byteLength);
    const sv = new DataView(p.seqs.buffer, p.seqs.byteOffset, p.seqs.byteLength);
    const n = p.causes.byteLength / 2;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cv.getUint16(mid * 2, true) < at) lo = mid + 1;
      else hi = mid;
    }
    for (let j = lo; j < n && cv.getUint16(j * 2, true) === at; j++) out.push(sv.getUint32(j * 4, true));
  }
  return out;
}

/** A v3 effect block (CSR: offsets per cause of the block, then the effect seqs) as one part's pairs. */
export function effectPartOfCsr(offsets: Uint8Array, seqs: Uint8Array): { causes: Buffer; seqs: Buffer } {
  const ov = new DataView(offsets.buffer, offsets.byteOffset, offsets.byteLength);
  const causesOut = new Uint16Array(seqs.byteLength / 4);
  for (let i = 0; i + 1 < offsets.byteLength / 4; i++) {
    const from = ov.getUint32(i * 4, true);
    const to = ov.getUint32((i + 1) * 4, true);
    causesOut.fill(i, from, to);
  }
  return { causes: bytesOf(causesOut), seqs: Buffer.from(seqs) };
}
