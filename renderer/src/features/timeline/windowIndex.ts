// A fetched window indexed by lane, for drawing and for finding what lies under the pointer: the
// real events of each lane, and its aggregate columns (one entry per crowded pixel column). The
// index is built once per answer; drawing and hit-tests then touch only the lanes in view.
// Must not: touch the DOM or fetch.

import type { TimelineAggregateColumns, TimelineEvent, TimelineWindow } from '../../../../core/contract/timeline';

export interface WindowIndex {
  readonly window: TimelineWindow;
  readonly eventsByLane: ReadonlyMap<number, readonly TimelineEvent[]>;
  readonly aggregatesByLane: ReadonlyMap<number, TimelineAggregateColumns>;
  /** The largest entry count of any aggregate column (to shade density blocks against). */
  readonly maxCount: number;
}

export function indexWindow(window: TimelineWindow): WindowIndex {
  const eventsByLane = new Map<number, TimelineEvent[]>();
  for (const e of window.events) {
    let list = eventsByLane.get(e.lane);
    if (list === undefined) eventsByLane.set(e.lane, (list = []));
    list.push(e);
  }
  const aggregatesByLane = new Map<number, TimelineAggregateColumns>();
  let maxCount = 1;
  for (const a of window.aggregates) {
    aggregatesByLane.set(a.lane, a);
    for (const c of a.count) if (c > maxCount) maxCount = c;
  }
  return { window, eventsByLane, aggregatesByLane, maxCount };
}

/** What a click hit: a real event, or a crowded column (count events from startNs to endNs). */
export type TimelineHit =
  | { readonly type: 'event'; readonly event: TimelineEvent }
  | {
      readonly type: 'aggregate';
      readonly lane: number;
      readonly startNs: number;
      readonly endNs: number;
      readonly count: number;
      /** seq of the column's first event. */
      readonly seq: number;
    };

/**
 * The thing drawn at time tNs on a lane; `slackNs` is how far a pointer may miss (a couple of
 * pixels). Among overlapping events the shortest wins (a span's children sit on top of it); a real
 * event wins over an aggregate column.
 */
export function hitTestLane(index: WindowIndex, lane: number, tNs: number, slackNs: number): TimelineHit | null {
  let best: TimelineEvent | null = null;
  for (const e of index.eventsByLane.get(lane) ?? []) {
    const end = Math.max(e.tNs + e.durNs, e.tNs + slackNs);
    if (tNs >= e.tNs - slackNs && tNs <= end + slackNs && (best === null || e.durNs < best.durNs)) best = e;
  }
  if (best !== null) return { type: 'event', event: best };
  const a = index.aggregatesByLane.get(lane);
  if (a === undefined) return null;
  const i = nearestColumn(a, tNs, slackNs);
  if (i < 0) return null;
  return { type: 'aggregate', lane, startNs: a.tNs[i]!, endNs: Math.max(a.endNs[i]!, a.tNs[i]!), count: a.count[i]!, seq: a.seq[i]! };
}

/** The column covering tNs (within slack), by binary search over the columns' start times. */
function nearestColumn(a: TimelineAggregateColumns, tNs: number, slackNs: number): number {
  let lo = 0;
  let hi = a.tNs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a.tNs[mid]! <= tNs + slackNs) lo = mid + 1;
    else hi = mid;
  }
  // lo - 1 is the last column starting at or before tNs + slack; an earlier one may reach further.
  // Columns hold only events below the lane's span cut (long spans come as real events), so a column
  // reaches at most a few columns past its start: looking four back is enough.
  for (let i = lo - 1; i >= 0 && i >= lo - 4; i--) {
    const end = Math.max(a.endNs[i]!, a.tNs[i]! + slackNs);
    if (tNs <= end + slackNs) return i;
  }
  return -1;
}
