// The storage order of a recorded timeline and the per-lane figures the queries rely on: events
// sorted by (lane, t, seq) (the per-run table's key, so rows are appended in key order), each
// lane's count, its long-span cut and the longest duration below it.
// A lane's window scan reads t in [start - maxShortDur, end]; one very long span would stretch that
// back to the start of the run, so spans at or above the lane's cut are kept aside (a few hundred
// per lane at most, in timeline_long_spans) and the scan only looks back over the others.
// Must not: touch the database; allocate per event (typed arrays only).

import type { TimelineColumns } from '../../core/sim/timelineRecorder';

/** At most this many spans per lane are treated as long (read separately by every window). */
export const LONG_SPANS_PER_LANE = 256;
/** Spans shorter than 2^20 ns (about 1 ms) are never long: looking back 1 ms is cheap. */
const MIN_SPAN_CUT_EXP = 20;
const MAX_SPAN_CUT_EXP = 53;

export interface LaneStats {
  readonly eventCount: number;
  /** Events with dur < spanCutNs: the ones in LOD buckets and window scans. */
  readonly shortCount: number;
  /** A power of two; events with dur >= it are long spans. */
  readonly spanCutNs: number;
  readonly maxShortDurNs: number;
}

export interface TimelineOrder {
  /** Seqs in (lane, t, seq) order. */
  readonly order: Uint32Array;
  /** order[laneStart[l] .. laneStart[l + 1]) are lane l's events. */
  readonly laneStart: Uint32Array;
  readonly lanes: readonly LaneStats[];
  readonly startNs: number;
  readonly endNs: number;
  readonly failureCount: number;
  /** 1 for failure kinds, by kind id. */
  readonly failureKinds: Uint8Array;
}

export function orderTimeline(cols: TimelineColumns): TimelineOrder {
  const laneCount = cols.lanes.length;
  const n = cols.count;
  const laneStart = new Uint32Array(laneCount + 1);
  for (let i = 0; i < n; i++) laneStart[cols.lane[i]! + 1] = laneStart[cols.lane[i]! + 1]! + 1;
  for (let l = 0; l < laneCount; l++) laneStart[l + 1] = laneStart[l + 1]! + laneStart[l]!;
  // Counting sort by lane keeps seq order inside a lane, which is time order for a recorder that
  // records in simulated-time order; a lane that is not gets sorted by (t, seq).
  const order = new Uint32Array(n);
  const fill = laneStart.slice(0, laneCount);
  for (let i = 0; i < n; i++) order[fill[cols.lane[i]!]!++] = i;
  const failureKinds = new Uint8Array(Math.max(1, cols.kinds.length));
  for (const k of cols.kinds) if (k.failure) failureKinds[k.id] = 1;

  let startNs = n > 0 ? Number.POSITIVE_INFINITY : 0;
  let endNs = 0;
  let failureCount = 0;
  const lanes: LaneStats[] = [];
  for (let l = 0; l < laneCount; l++) {
    const from = laneStart[l]!;
    const to = laneStart[l + 1]!;
    sortLaneByTime(cols, order, from, to);
    const durExp = new Uint32Array(MAX_SPAN_CUT_EXP + 2);
    for (let p = from; p < to; p++) {
      const i = order[p]!;
      const t = cols.t[i]!;
      const d = cols.dur[i]!;
      if (t < startNs) startNs = t;
      if (t + d > endNs) endNs = t + d;
      if (failureKinds[cols.kind[i]!] === 1) failureCount++;
      if (d >= 1) {
        // floor(log2(d)): clz32 for durations below 2^32 ns (about 4 s), log2 above.
        const e = d < 4294967296 ? 31 - Math.clz32(d) : Math.min(MAX_SPAN_CUT_EXP + 1, Math.floor(Math.log2(d)));
        durExp[e] = durExp[e]! + 1;
      }
    }
    const cutExp = spanCutExponent(durExp);
    const spanCutNs = 2 ** cutExp;
    let shortCount = 0;
    let maxShortDurNs = 0;
    for (let p = from; p < to; p++) {
      const d = cols.dur[order[p]!]!;
      if (d < spanCutNs) {
        shortCount++;
        if (d > maxShortDurNs) maxShortDurNs = d;
      }
    }
    lanes.push({ eventCount: to - from, shortCount, spanCutNs, maxShortDurNs });
  }
  return { order, laneStart, lanes, startNs: n > 0 ? startNs : 0, endNs, failureCount, failureKinds };
}

/** The smallest exponent (at least MIN_SPAN_CUT_EXP) leaving at most LONG_SPANS_PER_LANE spans at or above 2^exp. */
function spanCutExponent(durExp: Uint32Array): number {
  let above = durExp[MAX_SPAN_CUT_EXP + 1]!;
  let exp = MAX_SPAN_CUT_EXP + 1;
  while (exp > MIN_SPAN_CUT_EXP && above + durExp[exp - 1]! <= LONG_SPANS_PER_LANE) {
    exp--;
    above += durExp[exp]!;
  }
  return Math.min(exp, MAX_SPAN_CUT_EXP);
}

function sortLaneByTime(cols: TimelineColumns, order: Uint32Array, from: number, to: number): void {
  const t = cols.t;
  let sorted = true;
  for (let p = from + 1; p < to && sorted; p++) sorted = t[order[p - 1]!]! <= t[order[p]!]!;
  if (!sorted) order.subarray(from, to).sort((a, b) => t[a]! - t[b]! || a - b);
}
