// Levels of detail of a lane: level k has buckets 256 * 4^k ns wide; a bucket holds the lane's
// short events (see timelineLaneBuilder.ts) whose start falls in it, summarized as (count,
// failures, first seq, first kind, min t, max end), "first" in (t, seq) order. Summaries merge
// exactly (sums, a max, and the first of two firsts), so buckets can be built chunk by chunk and
// merged into stored rows in any order. A level is stored as rows of packed non-empty buckets
// (about 256 each, disjoint bucket ranges in order), so a window at pixel resolution reads a
// handful of rows per lane. This module is the bucket arithmetic and the row format.
// Must not: touch the database; allocate per event.

export const LOD_BASE_NS = 256;
export const LOD_FANOUT = 4;
export const LOD_MAX_LEVEL = 24;
/** A stored row is cut at this many buckets (late events may grow a row past it). */
export const LOD_CHUNK_BUCKETS = 256;
/** A level is worth storing once it averages this many events per non-empty bucket. */
export const MIN_EVENTS_PER_BUCKET = 4;

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

/** Short events of one lane in (t, seq) order, as parallel columns. */
export interface SortedEvents {
  readonly t: Float64Array;
  readonly dur: Float64Array;
  readonly seq: Uint32Array;
  readonly kind: Uint16Array;
  readonly failure: Uint8Array;
  /** Positions in (t, seq) order. */
  readonly order: Uint32Array;
}

/** Non-empty buckets per level (0..LOD_MAX_LEVEL) of events order[from..to), in (t, seq) order. */
export function nonEmptyBuckets(ev: SortedEvents, from: number, to: number): Float64Array {
  const nonEmpty = new Float64Array(LOD_MAX_LEVEL + 1);
  const last = new Float64Array(LOD_MAX_LEVEL + 1).fill(-1);
  for (let p = from; p < to; p++) {
    const t = ev.t[ev.order[p]!]!;
    for (let k = 0; k <= LOD_MAX_LEVEL; k++) {
      const b = Math.floor(t / WIDTHS_NS[k]!);
      if (b === last[k]) break;
      last[k] = b;
      nonEmpty[k] = nonEmpty[k]! + 1;
    }
  }
  return nonEmpty;
}

/**
 * Which levels are worth storing for `count` events with these non-empty bucket counts: the
 * coarsest level keeps at least two buckets (or is the top), the finest averages at least
 * MIN_EVENTS_PER_BUCKET events per non-empty bucket.
 */
export function levelsWorthStoring(nonEmpty: Float64Array, count: number): { minLevel: number; maxLevel: number } {
  let maxLevel = 0;
  while (maxLevel < LOD_MAX_LEVEL && nonEmpty[maxLevel]! > 1) maxLevel++;
  let minLevel = 0;
  while (minLevel < maxLevel && nonEmpty[minLevel]! * MIN_EVENTS_PER_BUCKET > count) minLevel++;
  return { minLevel, maxLevel };
}

/** levelsWorthStoring over events order[from..to). */
export function levelRange(ev: SortedEvents, from: number, to: number): { minLevel: number; maxLevel: number } {
  return levelsWorthStoring(nonEmptyBuckets(ev, from, to), to - from);
}

export function allocBuckets(n: number): LodBuckets {
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

/** The first `n` buckets of `b` (views, no copy). */
function trimmed(b: LodBuckets, n: number): LodBuckets {
  return {
    n,
    bucket: b.bucket.subarray(0, n),
    minT: b.minT.subarray(0, n),
    maxEnd: b.maxEnd.subarray(0, n),
    count: b.count.subarray(0, n),
    failures: b.failures.subarray(0, n),
    firstSeq: b.firstSeq.subarray(0, n),
    firstKind: b.firstKind.subarray(0, n),
  };
}

/** Buckets of `level` over events order[from..to) (in (t, seq) order, so bucket ids never decrease). */
export function bucketsOfEvents(ev: SortedEvents, from: number, to: number, level: number): LodBuckets {
  const out = allocBuckets(to - from);
  const w = bucketWidthNs(level);
  let j = -1;
  for (let p = from; p < to; p++) {
    const i = ev.order[p]!;
    const t = ev.t[i]!;
    const end = t + ev.dur[i]!;
    const b = Math.floor(t / w);
    if (j < 0 || out.bucket[j] !== b) {
      j++;
      out.bucket[j] = b;
      out.minT[j] = t;
      out.maxEnd[j] = end;
      out.firstSeq[j] = ev.seq[i]!;
      out.firstKind[j] = ev.kind[i]!;
    } else if (end > out.maxEnd[j]!) out.maxEnd[j] = end;
    out.count[j] = out.count[j]! + 1;
    out.failures[j] = out.failures[j]! + ev.failure[i]!;
  }
  return trimmed(out, j + 1);
}

/** The buckets of the next coarser level. */
export function mergeUp(below: LodBuckets): LodBuckets {
  return coarsenInPlace(copyOf(below));
}

function copyOf(b: LodBuckets): LodBuckets {
  return {
    n: b.n,
    bucket: b.bucket.slice(0, b.n),
    minT: b.minT.slice(0, b.n),
    maxEnd: b.maxEnd.slice(0, b.n),
    count: b.count.slice(0, b.n),
    failures: b.failures.slice(0, b.n),
    firstSeq: b.firstSeq.slice(0, b.n),
    firstKind: b.firstKind.slice(0, b.n),
  };
}

/**
 * The buckets of the next coarser level, written over `below` (bucket j of the result is made from
 * buckets i >= j, so nothing is overwritten before it is read): no allocation per level.
 */
export function coarsenInPlace(below: LodBuckets): LodBuckets {
  const out = below;
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
      out.count[j] = below.count[i]!;
      out.failures[j] = below.failures[i]!;
    } else {
      if (below.maxEnd[i]! > out.maxEnd[j]!) out.maxEnd[j] = below.maxEnd[i]!;
      out.count[j] = out.count[j]! + below.count[i]!;
      out.failures[j] = out.failures[j]! + below.failures[i]!;
    }
  }
  return trimmed(out, j + 1);
}

/**
 * A growable sorted list of buckets: a level's open row, or a stored row being patched. Adding a
 * bucket that is already there merges the two summaries exactly.
 */
export class BucketList {
  n = 0;
  private cap: number;
  private b: LodBuckets;

  constructor(capacity = 16) {
    this.cap = Math.max(1, capacity);
    this.b = allocBuckets(this.cap);
  }

  static of(from: LodBuckets): BucketList {
    const list = new BucketList(from.n);
    for (let i = 0; i < from.n; i++) list.add(from, i);
    return list;
  }

  get first(): number {
    return this.b.bucket[0]!;
  }

  get last(): number {
    return this.b.bucket[this.n - 1]!;
  }

  /** Adds bucket `i` of `src`; true when it was not in the list yet. */
  add(src: LodBuckets, i: number): boolean {
    const id = src.bucket[i]!;
    let at: number;
    if (this.n === 0 || id > this.last) at = this.n;
    else if (id === this.last) at = this.n - 1;
    else at = this.lowerBound(id);
    if (at < this.n && this.b.bucket[at] === id) {
      this.combine(at, src, i);
      return false;
    }
    if (this.n === this.cap) this.grow();
    const b = this.b;
    if (at < this.n) {
      b.bucket.copyWithin(at + 1, at, this.n);
      b.minT.copyWithin(at + 1, at, this.n);
      b.maxEnd.copyWithin(at + 1, at, this.n);
      b.count.copyWithin(at + 1, at, this.n);
      b.failures.copyWithin(at + 1, at, this.n);
      b.firstSeq.copyWithin(at + 1, at, this.n);
      b.firstKind.copyWithin(at + 1, at, this.n);
    }
    b.bucket[at] = id;
    b.minT[at] = src.minT[i]!;
    b.maxEnd[at] = src.maxEnd[i]!;
    b.count[at] = src.count[i]!;
    b.failures[at] = src.failures[i]!;
    b.firstSeq[at] = src.firstSeq[i]!;
    b.firstKind[at] = src.firstKind[i]!;
    this.n++;
    return true;
  }

  /** The buckets as views (valid until the next add). */
  view(): LodBuckets {
    return trimmed(this.b, this.n);
  }

  private combine(at: number, src: LodBuckets, i: number): void {
    const b = this.b;
    b.count[at] = b.count[at]! + src.count[i]!;
    b.failures[at] = b.failures[at]! + src.failures[i]!;
    if (src.maxEnd[i]! > b.maxEnd[at]!) b.maxEnd[at] = src.maxEnd[i]!;
    // The first event in (t, seq) order of the two.
    const t = src.minT[i]!;
    if (t < b.minT[at]! || (t === b.minT[at]! && src.firstSeq[i]! < b.firstSeq[at]!)) {
      b.minT[at] = t;
      b.firstSeq[at] = src.firstSeq[i]!;
      b.firstKind[at] = src.firstKind[i]!;
    }
  }

  private lowerBound(id: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.b.bucket[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private grow(): void {
    const next = allocBuckets(this.cap * 2);
    const b = this.b;
    next.bucket.set(b.bucket);
    next.minT.set(b.minT);
    next.maxEnd.set(b.maxEnd);
    next.count.set(b.count);
    next.failures.set(b.failures);
    next.firstSeq.set(b.firstSeq);
    next.firstKind.set(b.firstKind);
    this.b = next;
    this.cap *= 2;
  }
}

export interface LodChunk {
  readonly firstBucket: number;
  readonly n: number;
  readonly data: Buffer;
}

// Row layout: bucket, minT, maxEnd as Float64 (n each), then count, failures, firstSeq as
// Uint32, then firstKind as Uint16; each section starts aligned for its type.
const BYTES_PER_BUCKET = 3 * 8 + 3 * 4 + 2;

/** One stored row of buckets [from, to) of a level. */
export function encodeChunk(levelBuckets: LodBuckets, from = 0, to = levelBuckets.n): LodChunk {
  const n = to - from;
  const ab = new ArrayBuffer(n * BYTES_PER_BUCKET);
  new Float64Array(ab, 0, n).set(levelBuckets.bucket.subarray(from, to));
  new Float64Array(ab, 8 * n, n).set(levelBuckets.minT.subarray(from, to));
  new Float64Array(ab, 16 * n, n).set(levelBuckets.maxEnd.subarray(from, to));
  new Uint32Array(ab, 24 * n, n).set(levelBuckets.count.subarray(from, to));
  new Uint32Array(ab, 28 * n, n).set(levelBuckets.failures.subarray(from, to));
  new Uint32Array(ab, 32 * n, n).set(levelBuckets.firstSeq.subarray(from, to));
  new Uint16Array(ab, 36 * n, n).set(levelBuckets.firstKind.subarray(from, to));
  return { firstBucket: levelBuckets.bucket[from]!, n, data: Buffer.from(ab) };
}

/** A level's buckets as rows of at most LOD_CHUNK_BUCKETS. */
export function encodeChunks(levelBuckets: LodBuckets): LodChunk[] {
  const chunks: LodChunk[] = [];
  for (let from = 0; from < levelBuckets.n; from += LOD_CHUNK_BUCKETS) {
    chunks.push(encodeChunk(levelBuckets, from, Math.min(levelBuckets.n, from + LOD_CHUNK_BUCKETS)));
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
