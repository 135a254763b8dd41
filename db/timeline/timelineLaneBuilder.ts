// What a lane's window queries rely on, built while the run streams its events in chunks: the long
// spans kept aside, the levels of detail of the other (short) events, and the lane's figures. Its
// memory is the open row of each level, the long-span candidates and a chunk's events (its first
// 4096 until its first floor decision), never the run's length.
//
// Long spans: a window scan reads t in [start - maxShortDur, end]; one very long span would stretch
// that back to the start of the run, so spans at or above the lane's cut are kept aside (at most
// LONG_SPANS_PER_LANE, in timeline_long_spans) and the scan only looks back over the others. The
// cut is the smallest power of two (at least 2^20 ns, about 1 ms) leaving at most that many spans
// at or above it, as if decided over the whole lane: events at or above a running threshold are
// held as candidates; when more than `candidateLimit` are held the threshold rises (it never
// passes the final cut, so what it lets go is short for good) and those below it join the levels
// of detail; the last candidates are split at the end.
//
// Levels of detail: each short event is summarized into buckets of every stored level (see
// timelineLod.ts) at the end of its chunk. Which levels are stored follows the lane's density,
// decided per `batchEvents` short events (the first decision waits for that many, held back, so a
// lane that never has them is decided over all its events, as a whole-lane rule would): a lane's
// time is cut into segments, each storing the levels from its floor up. A floor change starts a new
// segment after every event already summarized, at a multiple of the coarser floor's bucket width,
// so no bucket a window reads straddles two segments. Rows are appended per level as they fill; an
// event that arrives after its bucket's row was stored (events are recorded roughly, not strictly,
// in time order) is merged into that row.
// Must not: run SQL itself (rows go through LodRowStore); allocate per event beyond amortized growth.

import {
  BucketList,
  bucketsOfEvents,
  bucketWidthNs,
  encodeChunk,
  LOD_CHUNK_BUCKETS,
  LOD_MAX_LEVEL,
  coarsenInPlace,
  levelsWorthStoring,
  nonEmptyBuckets,
  type LodBuckets,
  type LodChunk,
  type SortedEvents,
} from './timelineLod';

/** At most this many spans per lane are treated as long (read separately by every window). */
export const LONG_SPANS_PER_LANE = 256;
/** Spans shorter than 2^20 ns (about 1 ms) are never long: looking back 1 ms is cheap. */
export const MIN_SPAN_CUT_EXP = 20;
const MAX_SPAN_CUT_EXP = 53;

/** Where a lane's level-of-detail rows are kept (the store's timeline_lod table; a map in tests). */
export interface LodRowStore {
  /** Adds a row after every stored row of its level. */
  insert(lane: number, level: number, row: LodChunk): void;
  /** The row holding (or last before) `bucket`, else the level's first row; undefined when none. */
  rowFor(lane: number, level: number, bucket: number): { readonly firstBucket: number; readonly buckets: LodBuckets } | undefined;
  /** Replaces the row stored at `firstBucket` (the new row may start lower). */
  replace(lane: number, level: number, firstBucket: number, row: LodChunk): void;
}

export interface LaneBuilderOptions {
  /** Short events summarized together, and per floor decision. */
  readonly batchEvents: number;
  /** Long-span candidates held before the threshold rises (at least longSpans). */
  readonly candidateLimit: number;
  /** Buckets per stored row. */
  readonly rowBuckets: number;
  /** At most this many long spans (LONG_SPANS_PER_LANE; tests use fewer). */
  readonly longSpans: number;
}

export const DEFAULT_LANE_OPTIONS: LaneBuilderOptions = {
  batchEvents: 4096,
  candidateLimit: 1024,
  rowBuckets: LOD_CHUNK_BUCKETS,
  longSpans: LONG_SPANS_PER_LANE,
};

export interface LongSpan {
  readonly t: number;
  readonly seq: number;
  readonly endT: number;
}

export interface LaneSummary {
  readonly eventCount: number;
  /** Events with dur < spanCutNs: the ones in the levels of detail and window scans. */
  readonly shortCount: number;
  /** A power of two; events with dur >= it are long spans. */
  readonly spanCutNs: number;
  readonly maxShortDurNs: number;
  /** The finest stored level anywhere (-1 when the lane has no short events) and the coarsest. */
  readonly lodMinLevel: number;
  readonly lodMaxLevel: number;
  /** [from0, floor0, from1, floor1, ...] when the lane has more than one segment, else null. */
  readonly segments: Float64Array | null;
  readonly longSpans: readonly LongSpan[];
}

/** Events as growable columns (pending short events, long-span candidates). */
class EventBuffer {
  n = 0;
  t = new Float64Array(16);
  dur = new Float64Array(16);
  seq = new Uint32Array(16);
  kind = new Uint16Array(16);
  failure = new Uint8Array(16);

  push(t: number, dur: number, seq: number, kind: number, failure: number): void {
    if (this.n === this.t.length) this.grow();
    const i = this.n++;
    this.t[i] = t;
    this.dur[i] = dur;
    this.seq[i] = seq;
    this.kind[i] = kind;
    this.failure[i] = failure;
  }

  /** The events in (t, seq) order (a permutation; the columns stay as they are). */
  sorted(): SortedEvents {
    const order = new Uint32Array(this.n);
    let inOrder = true;
    for (let i = 0; i < this.n; i++) {
      order[i] = i;
      if (i > 0 && (this.t[i]! < this.t[i - 1]! || (this.t[i] === this.t[i - 1] && this.seq[i]! < this.seq[i - 1]!))) inOrder = false;
    }
    if (!inOrder) order.sort((a, b) => this.t[a]! - this.t[b]! || this.seq[a]! - this.seq[b]!);
    return { t: this.t, dur: this.dur, seq: this.seq, kind: this.kind, failure: this.failure, order };
  }

  /** Keeps only the events `keep` says yes to (in place). */
  filter(keep: (i: number) => boolean): void {
    let j = 0;
    for (let i = 0; i < this.n; i++) {
      if (!keep(i)) continue;
      this.t[j] = this.t[i]!;
      this.dur[j] = this.dur[i]!;
      this.seq[j] = this.seq[i]!;
      this.kind[j] = this.kind[i]!;
      this.failure[j] = this.failure[i]!;
      j++;
    }
    this.n = j;
  }

  private grow(): void {
    const cap = this.t.length * 2;
    const t = new Float64Array(cap);
    const dur = new Float64Array(cap);
    const seq = new Uint32Array(cap);
    const kind = new Uint16Array(cap);
    const failure = new Uint8Array(cap);
    t.set(this.t);
    dur.set(this.dur);
    seq.set(this.seq);
    kind.set(this.kind);
    failure.set(this.failure);
    Object.assign(this, { t, dur, seq, kind, failure });
  }
}

/** A level's rows: the open (last, unstored) row and what is known of the stored ones. */
interface LevelRows {
  open: BucketList;
  /** Last bucket of the last stored row (-Infinity while none is stored). */
  lastStored: number;
  /** Distinct buckets of the level, stored and open. */
  total: number;
}

export class LaneBuilder {
  private events = 0;
  private maxShortDur = 0;
  private cutExp = MIN_SPAN_CUT_EXP;
  private cutNs = 2 ** MIN_SPAN_CUT_EXP;
  private readonly candidates = new EventBuffer();
  private readonly pending = new EventBuffer();
  /** Segment starts (the first is -Infinity) and floors, in time order. */
  private readonly segmentFrom: number[] = [];
  private readonly segmentFloor: number[] = [];
  /** A floor one level off the current one waits for a second batch saying the same. */
  private proposal = -1;
  /** Density of what was summarized since the last floor decision: events, and non-empty buckets per level. */
  private statEvents = 0;
  private statNonEmpty = new Float64Array(LOD_MAX_LEVEL + 1);
  /** The latest t summarized into the levels (new segments start after it). */
  private maxAddedT = Number.NEGATIVE_INFINITY;
  private readonly levels: (LevelRows | undefined)[] = [];

  constructor(
    readonly lane: number,
    private readonly rows: LodRowStore,
    private readonly options: LaneBuilderOptions = DEFAULT_LANE_OPTIONS,
  ) {
    // A threshold raised past the final cut would have let long spans go as short ones.
    if (options.candidateLimit < options.longSpans) throw new RangeError('candidateLimit must be at least longSpans');
  }

  get eventCount(): number {
    return this.events;
  }

  /** The longest duration classified short so far (an incomplete timeline's scans look back this far). */
  get maxShortDurNs(): number {
    return this.maxShortDur;
  }

  /** One event of the lane; a chunk's events come in (t, seq) order, chunks in seq order. */
  add(t: number, dur: number, seq: number, kind: number, failure: number): void {
    this.events++;
    if (dur >= this.cutNs) {
      this.candidates.push(t, dur, seq, kind, failure);
      if (this.candidates.n > this.options.candidateLimit) this.raiseThreshold();
    } else this.addShort(t, dur, seq, kind, failure);
  }

  /**
   * The chunk's events were all added: summarizes them (once the lane has a floor; until then they
   * are held for its first decision), so a lane holds no more than a chunk's events.
   */
  endChunk(): void {
    if (this.segmentFloor.length > 0) this.summarizePending();
  }

  /** Splits the last candidates at the final cut, summarizes what is left and stores the open rows. */
  finish(): LaneSummary {
    const durExp = this.candidateExponents();
    let above = durExp[MAX_SPAN_CUT_EXP + 1]!;
    let exp = MAX_SPAN_CUT_EXP + 1;
    while (exp > this.cutExp && above + durExp[exp - 1]! <= this.options.longSpans) {
      exp--;
      above += durExp[exp]!;
    }
    const spanCutNs = 2 ** Math.min(exp, MAX_SPAN_CUT_EXP);
    const longSpans: LongSpan[] = [];
    const c = this.candidates;
    for (let i = 0; i < c.n; i++) {
      if (c.dur[i]! >= spanCutNs) longSpans.push({ t: c.t[i]!, seq: c.seq[i]!, endT: c.t[i]! + c.dur[i]! });
      else this.addShort(c.t[i]!, c.dur[i]!, c.seq[i]!, c.kind[i]!, c.failure[i]!);
    }
    c.n = 0;
    this.summarizePending();
    const shortCount = this.events - longSpans.length;
    if (this.segmentFloor.length === 0) {
      return {
        eventCount: this.events,
        shortCount,
        spanCutNs,
        maxShortDurNs: 0,
        lodMinLevel: -1,
        lodMaxLevel: -1,
        segments: null,
        longSpans,
      };
    }
    const minFloor = Math.min(...this.segmentFloor);
    let maxLevel = Math.max(...this.segmentFloor);
    while (maxLevel < LOD_MAX_LEVEL && this.levels[maxLevel]!.total > 1) maxLevel++;
    for (let k = minFloor; k <= maxLevel; k++) {
      const level = this.levels[k];
      if (level !== undefined && level.open.n > 0) this.rows.insert(this.lane, k, encodeChunk(level.open.view()));
    }
    let segments: Float64Array | null = null;
    if (this.segmentFloor.length > 1) {
      segments = new Float64Array(2 * this.segmentFloor.length);
      this.segmentFloor.forEach((f, i) => {
        segments![2 * i] = this.segmentFrom[i]!;
        segments![2 * i + 1] = f;
      });
    }
    return {
      eventCount: this.events,
      shortCount,
      spanCutNs,
      maxShortDurNs: this.maxShortDur,
      lodMinLevel: minFloor,
      lodMaxLevel: maxLevel,
      segments,
      longSpans,
    };
  }

  private addShort(t: number, dur: number, seq: number, kind: number, failure: number): void {
    if (dur > this.maxShortDur) this.maxShortDur = dur;
    this.pending.push(t, dur, seq, kind, failure);
    // The first decision has its events: no need to hold them to the end of the chunk.
    if (this.segmentFloor.length === 0 && this.pending.n >= this.options.batchEvents) this.summarizePending();
  }

  /** floor(log2(dur)) counts of the candidates (index 54: 2^54 and above). */
  private candidateExponents(): Uint32Array {
    const durExp = new Uint32Array(MAX_SPAN_CUT_EXP + 2);
    const c = this.candidates;
    for (let i = 0; i < c.n; i++) {
      const d = c.dur[i]!;
      // floor(log2(d)): clz32 below 2^32 ns (about 4 s), log2 above.
      const e = d < 4294967296 ? 31 - Math.clz32(d) : Math.min(MAX_SPAN_CUT_EXP + 1, Math.floor(Math.log2(d)));
      durExp[e] = durExp[e]! + 1;
    }
    return durExp;
  }

  /**
   * More candidates than the limit: the smallest threshold leaving at most the limit at or above
   * it. The final cut leaves at most longSpans (no more than the limit) above it, counting events
   * that can only have grown in number since, so it is at least this threshold: the candidates let
   * go are short for good.
   */
  private raiseThreshold(): void {
    const durExp = this.candidateExponents();
    let above = durExp[MAX_SPAN_CUT_EXP + 1]!;
    let exp = MAX_SPAN_CUT_EXP + 1;
    while (exp > this.cutExp && above + durExp[exp - 1]! <= this.options.candidateLimit) {
      exp--;
      above += durExp[exp]!;
    }
    this.cutExp = exp;
    this.cutNs = 2 ** exp;
    const cut = this.cutNs;
    const c = this.candidates;
    for (let i = 0; i < c.n; i++) if (c.dur[i]! < cut) this.addShort(c.t[i]!, c.dur[i]!, c.seq[i]!, c.kind[i]!, c.failure[i]!);
    c.filter((i) => c.dur[i]! >= cut);
  }

  /**
   * Summarizes the pending short events into every level their segment stores; the lane's first
   * floor is decided over them, later ones once `batchEvents` more were summarized.
   */
  private summarizePending(): void {
    const n = this.pending.n;
    if (n === 0) return;
    const ev = this.pending.sorted();
    const nonEmpty = nonEmptyBuckets(ev, 0, n);
    if (this.segmentFloor.length === 0) {
      this.segmentFrom.push(Number.NEGATIVE_INFINITY);
      this.segmentFloor.push(levelsWorthStoring(nonEmpty, n).minLevel);
    } else {
      for (let k = 0; k <= LOD_MAX_LEVEL; k++) this.statNonEmpty[k] = this.statNonEmpty[k]! + nonEmpty[k]!;
      this.statEvents += n;
    }
    let p = 0;
    let s = 0;
    while (p < n) {
      const t = ev.t[ev.order[p]!]!;
      while (s + 1 < this.segmentFrom.length && this.segmentFrom[s + 1]! <= t) s++;
      while (s > 0 && this.segmentFrom[s]! > t) s--;
      const end = s + 1 < this.segmentFrom.length ? this.segmentFrom[s + 1]! : Number.POSITIVE_INFINITY;
      let q = p + 1;
      while (q < n && ev.t[ev.order[q]!]! < end) q++;
      this.summarize(ev, p, q, this.segmentFloor[s]!);
      p = q;
    }
    const lastT = ev.t[ev.order[n - 1]!]!;
    if (lastT > this.maxAddedT) this.maxAddedT = lastT;
    this.pending.n = 0;
    if (this.statEvents >= this.options.batchEvents) {
      this.decideFloor(levelsWorthStoring(this.statNonEmpty, this.statEvents).minLevel);
      this.statEvents = 0;
      this.statNonEmpty.fill(0);
    }
  }

  /** A floor `r` for the density just summarized; a change opens a segment after everything summarized so far. */
  private decideFloor(r: number): void {
    // Segments nothing was summarized into yet (they start after every summarized event) are taken back.
    while (this.segmentFrom.length > 1 && this.segmentFrom[this.segmentFrom.length - 1]! > this.maxAddedT) {
      this.segmentFrom.pop();
      this.segmentFloor.pop();
    }
    const current = this.segmentFloor[this.segmentFloor.length - 1]!;
    if (r === current) {
      this.proposal = -1;
      return;
    }
    // One level off is a change only when two batches in a row say so (no flapping at a boundary).
    if (Math.abs(r - current) === 1 && this.proposal !== r) {
      this.proposal = r;
      return;
    }
    this.proposal = -1;
    const w = bucketWidthNs(Math.max(current, r));
    this.segmentFrom.push((Math.floor(this.maxAddedT / w) + 1) * w);
    this.segmentFloor.push(r);
  }

  /** Events order[p..q) (one segment) into the levels from `floor` up. */
  private summarize(ev: SortedEvents, p: number, q: number, floor: number): void {
    let b = bucketsOfEvents(ev, p, q, floor);
    this.mergeInto(floor, b);
    for (let k = floor + 1; k <= LOD_MAX_LEVEL; k++) {
      // mergeInto copied level k - 1's buckets: its arrays can hold level k's.
      b = coarsenInPlace(b);
      this.mergeInto(k, b);
    }
  }

  private mergeInto(k: number, buckets: LodBuckets): void {
    const level = (this.levels[k] ??= { open: new BucketList(), lastStored: Number.NEGATIVE_INFINITY, total: 0 });
    let late: number[] | null = null;
    for (let j = 0; j < buckets.n; j++) {
      const id = buckets.bucket[j]!;
      if (id <= level.lastStored) {
        (late ??= []).push(j);
        continue;
      }
      if (level.open.n >= this.options.rowBuckets && id > level.open.last) {
        this.rows.insert(this.lane, k, encodeChunk(level.open.view()));
        level.lastStored = level.open.last;
        level.open = new BucketList(Math.min(this.options.rowBuckets, 64));
      }
      if (level.open.add(buckets, j)) level.total++;
    }
    if (late !== null) this.patchStored(k, level, buckets, late);
  }

  /** Buckets of events that arrived after their row was stored: merged into that row. */
  private patchStored(k: number, level: LevelRows, buckets: LodBuckets, late: readonly number[]): void {
    const touched = new Map<number, BucketList>();
    for (const j of late) {
      const found = this.rows.rowFor(this.lane, k, buckets.bucket[j]!);
      if (found === undefined) throw new Error(`lane ${this.lane} level ${k}: no stored row for a late bucket`);
      let row = touched.get(found.firstBucket);
      if (row === undefined) {
        row = BucketList.of(found.buckets);
        touched.set(found.firstBucket, row);
      }
      if (row.add(buckets, j)) level.total++;
    }
    for (const [firstBucket, row] of touched) this.rows.replace(this.lane, k, firstBucket, encodeChunk(row.view()));
  }
}
