// Levels of detail of a lane, built at store time from the recorded columns (no SQL aggregation):
// level k has buckets 256 * 4^k ns wide; a bucket holds the lane's short events (see
// timelineOrder.ts) whose start falls in it, summarized as (count, failures, first seq, first
// kind, min t, max end). A lane keeps the levels from the first one averaging at least 4 events per
// non-empty bucket (finer ones would hardly be smaller than the events) up to the first with a
// single bucket. Buckets are packed in chunks of up to 256 non-empty buckets, one row each, so a
// window at pixel resolution reads a handful of rows per lane.
// Must not: touch the database; allocate per event.

import type { TimelineColumns } from '../../core/sim/timelineRecorder';

export const LOD_BASE_NS = 256;
export const LOD_FANOUT = 4;
export const LOD_MAX_LEVEL = 24;
export const LOD_CHUNK_BUCKETS = 256;
const MIN_EVENTS_PER_BUCKET = 4;

const WIDTHS_NS = Float64Array.from({ length: LOD_MAX_LEVEL + 1 }, (_, k) => LOD_BASE_NS * LOD_FANOUT ** k);

export function bucketWidthNs(level: number): number {
  return WIDTHS_NS[level] ?? LOD_BASE_NS * LOD_FANOUT ** level;
}

/** The coarsest level whose buckets are at most `nsPerPx` wide; -1 when level 0 is already wider. */
export function levelForResolution(nsPerPx: number): number {
  let level = -1;
  while (level < LOD_MAX_LEVEL && bucketWidthNs(level + 1) <= nsPerPx) level++;
  return level;
}

/** Non-empty buckets of one level, in bucket order. */
export interface LodBuckets {
  readonly n: number;
  readonly bucket: Float64Array;
  readonly minT: Float64Array;
  readonly maxEnd: Float64Array;
  readonly count: Uint32Array;
  readonly failures: Uint32Array;
  readonly firstSeq: Uint32Array;
  readonly firstKind: Uint16Array;
}

export interface LaneLod {
  /** -1 when the lane has no short events. */
  readonly minLevel: number;
  readonly maxLevel: number;
  /** levels[k - minLevel] is level k. */
  readonly levels: readonly LodBuckets[];
}

export interface LaneEvents {
  readonly cols: TimelineColumns;
  readonly order: Uint32Array;
  readonly from: number;
  readonly to: number;
  readonly spanCutNs: number;
  readonly failureKinds: Uint8Array;
}

export function buildLaneLod(lane: LaneEvents): LaneLod {
  const { cols, order, from, to, spanCutNs } = lane;
  // Pass 1: non-empty buckets per level (events are in time order, so bucket ids never decrease).
  const nonEmpty = new Float64Array(LOD_MAX_LEVEL + 1);
  const last = new Float64Array(LOD_MAX_LEVEL + 1).fill(-1);
  let shortCount = 0;
  for (let p = from; p < to; p++) {
    const i = order[p]!;
    if (cols.dur[i]! >= spanCutNs) continue;
    shortCount++;
    const t = cols.t[i]!;
    for (let k = 0; k <= LOD_MAX_LEVEL; k++) {
      const b = Math.floor(t / WIDTHS_NS[k]!);
      if (b === last[k]) break;
      last[k] = b;
      nonEmpty[k] = nonEmpty[k]! + 1;
    }
  }
  if (shortCount === 0) return { minLevel: -1, maxLevel: -1, levels: [] };
  let maxLevel = 0;
  while (maxLevel < LOD_MAX_LEVEL && nonEmpty[maxLevel]! > 1) maxLevel++;
  let minLevel = 0;
  while (minLevel < maxLevel && nonEmpty[minLevel]! * MIN_EVENTS_PER_BUCKET > shortCount) minLevel++;
  const levels = [bucketsOf(lane, minLevel, nonEmpty[minLevel]!)];
  for (let k = minLevel + 1; k <= maxLevel; k++) levels.push(mergeUp(levels[levels.length - 1]!, nonEmpty[k]!));
  return { minLevel, maxLevel, levels };
}

function allocBuckets(n: number): LodBuckets {
  return {
    n,
    bucket: new Float64Array(n),
    minT: new Float64Array(n),
    maxEnd: new Float64Array(n),
    count: new Uint32Array(n),
    failures: new Uint32Array(n),
    firstSeq: new Uint32Array(n),
    firstKind: new Uint16Array(n),
  };
}

function bucketsOf(lane: LaneEvents, level: number, n: number): LodBuckets {
  const { cols, order, from, to, spanCutNs, failureKinds } = lane;
  const out = allocBuckets(n);
  const w = bucketWidthNs(level);
  let j = -1;
  for (let p = from; p < to; p++) {
    const i = order[p]!;
    const d = cols.dur[i]!;
    if (d >= spanCutNs) continue;
    const t = cols.t[i]!;
    const b = Math.floor(t / w);
    if (j < 0 || out.bucket[j] !== b) {
      j++;
      out.bucket[j] = b;
      out.minT[j] = t;
      out.maxEnd[j] = t + d;
      out.firstSeq[j] = i;
      out.firstKind[j] = cols.kind[i]!;
    } else if (t + d > out.maxEnd[j]!) out.maxEnd[j] = t + d;
    out.count[j] = out.count[j]! + 1;
    out.failures[j] = out.failures[j]! + failureKinds[cols.kind[i]!]!;
  }
  return out;
}

function mergeUp(below: LodBuckets, n: number): LodBuckets {
  const out = allocBuckets(n);
  let j = -1;
  for (let i = 0; i < below.n; i++) {
    const b = Math.floor(below.bucket[i]! / LOD_FANOUT);
    if (j < 0 || out.bucket[j] !== b) {
      j++;
      out.bucket[j] = b;
      out.minT[j] = below.minT[i]!;
      out.maxEnd[j] = below.maxEnd[i]!;
      out.firstSeq[j] = below.firstSeq[i]!;
      out.firstKind[j] = below.firstKind[i]!;
    } else if (below.maxEnd[i]! > out.maxEnd[j]!) out.maxEnd[j] = below.maxEnd[i]!;
    out.count[j] = out.count[j]! + below.count[i]!;
    out.failures[j] = out.failures[j]! + below.failures[i]!;
  }
  return out;
}

export interface LodChunk {
  readonly firstBucket: number;
  readonly n: number;
  readonly data: Buffer;
}

// Chunk layout: bucket, minT, maxEnd as Float64 (n each), then count, failures, firstSeq as
// Uint32, then firstKind as Uint16; each section starts aligned for its type.
const BYTES_PER_BUCKET = 3 * 8 + 3 * 4 + 2;

export function encodeChunks(levelBuckets: LodBuckets): LodChunk[] {
  const chunks: LodChunk[] = [];
  for (let from = 0; from < levelBuckets.n; from += LOD_CHUNK_BUCKETS) {
    const n = Math.min(LOD_CHUNK_BUCKETS, levelBuckets.n - from);
    const ab = new ArrayBuffer(n * BYTES_PER_BUCKET);
    const to = from + n;
    new Float64Array(ab, 0, n).set(levelBuckets.bucket.subarray(from, to));
    new Float64Array(ab, 8 * n, n).set(levelBuckets.minT.subarray(from, to));
    new Float64Array(ab, 16 * n, n).set(levelBuckets.maxEnd.subarray(from, to));
    new Uint32Array(ab, 24 * n, n).set(levelBuckets.count.subarray(from, to));
    new Uint32Array(ab, 28 * n, n).set(levelBuckets.failures.subarray(from, to));
    new Uint32Array(ab, 32 * n, n).set(levelBuckets.firstSeq.subarray(from, to));
    new Uint16Array(ab, 36 * n, n).set(levelBuckets.firstKind.subarray(from, to));
    chunks.push({ firstBucket: levelBuckets.bucket[from]!, n, data: Buffer.from(ab) });
  }
  return chunks;
}

export function decodeChunk(n: number, data: Uint8Array): LodBuckets {
  if (data.byteLength !== n * BYTES_PER_BUCKET) throw new Error(`LOD chunk of ${n} buckets has ${data.byteLength} bytes`);
  // Views straight on the blob when it is 8-byte aligned (it usually is); else one aligned copy.
  let ab: ArrayBufferLike = data.buffer;
  let at = data.byteOffset;
  if (at % 8 !== 0) {
    ab = new ArrayBuffer(data.byteLength);
    new Uint8Array(ab).set(data);
    at = 0;
  }
  return {
    n,
    bucket: new Float64Array(ab, at, n),
    minT: new Float64Array(ab, at + 8 * n, n),
    maxEnd: new Float64Array(ab, at + 16 * n, n),
    count: new Uint32Array(ab, at + 24 * n, n),
    failures: new Uint32Array(ab, at + 28 * n, n),
    firstSeq: new Uint32Array(ab, at + 32 * n, n),
    firstKind: new Uint16Array(ab, at + 36 * n, n),
  };
}
