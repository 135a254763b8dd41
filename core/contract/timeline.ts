// Timeline types shared by the simulator, the store, the hosts and the renderer: events, windows, and the inspector's summary and event detail.
// Must not: import anything; these are plain data shapes (the timeline's lane and kind shapes come from sim/timelineTypes.ts).

export type { TimelineArgFormat, TimelineArgInfo, TimelineKindInfo, TimelineLaneInfo } from '../sim/timelineTypes';
import type { TimelineKindInfo, TimelineLaneInfo } from '../sim/timelineTypes';

/** One stored event as the inspector sees it, with its arguments decoded. */
export interface TimelineEvent {
  readonly seq: number;
  readonly tNs: number;
  readonly durNs: number;
  readonly lane: number;
  readonly kind: string;
  readonly failure: boolean;
  readonly args: Readonly<Record<string, number | string>>;
  readonly cause: number | null;
}

/**
 * The lanes of a window that came back aggregated (they held more events than the limit), as
 * columns: entry i stands for `count[i]` events (possibly 1) starting in one pixel column, the
 * first starting at `tNs[i]` (seq `seq[i]`, kind id `kind[i]` of TimelineSummary.kinds), the last
 * ending at `endNs[i]`, `failures[i]` of them of failure kinds. Columns rather than one object per
 * entry: a full-span window over busy lanes holds widthPx entries per lane, and numbers in arrays
 * cost a tenth of objects to send and parse (measured on a 10M-event run, 6 lanes x 1600 px at
 * full span: 0.3 MB parsed in 1-3 ms, against 1.4 MB in 8-36 ms as objects). getTimelineEvent(seq[i]) gives the first event's details.
 */
export interface TimelineAggregateColumns {
  readonly lane: number;
  /** Width of the level-of-detail buckets the entries were merged from. */
  readonly bucketNs: number;
  readonly tNs: readonly number[];
  readonly endNs: readonly number[];
  readonly count: readonly number[];
  readonly failures: readonly number[];
  readonly seq: readonly number[];
  readonly kind: readonly number[];
}

/** A request for the events of a time window, at the resolution of the pixels showing it. */
export interface TimelineWindowQuery {
  readonly runId: number;
  readonly startNs: number;
  readonly endNs: number;
  /** Width of the view in pixels; events closer than one pixel may be aggregated. */
  readonly widthPx: number;
  readonly lanes?: readonly number[];
  /** A lane holding more events than this in the window comes back aggregated; default widthPx. */
  readonly limit?: number;
}

export interface TimelineWindow {
  readonly runId: number;
  readonly startNs: number;
  readonly endNs: number;
  readonly lanes: readonly TimelineLaneInfo[];
  /**
   * Real events: every event of the lanes that came back raw and the long spans of every lane;
   * grouped by lane, in time order within a lane (long spans of a lane after its other events).
   */
  readonly events: readonly TimelineEvent[];
  /** The lanes that came back aggregated, one entry per lane in lane order. */
  readonly aggregates: readonly TimelineAggregateColumns[];
  /** True when the window held more events than were returned (some lane aggregated or cut). */
  readonly truncated: boolean;
}

export interface TimelineSummary {
  readonly runId: number;
  readonly lanes: readonly TimelineLaneInfo[];
  readonly kinds: readonly TimelineKindInfo[];
  readonly startNs: number;
  readonly endNs: number;
  readonly eventCount: number;
  readonly failureCount: number;
  /**
   * False when the run stopped while its timeline was being stored (its process died): windows
   * then come back as raw events only, and lookups of events that were not stored find nothing.
   */
  readonly complete: boolean;
}

export interface TimelineEventDetail {
  readonly event: TimelineEvent;
  /** The events that led to this one, nearest first (the "why" of a failure). */
  readonly causeChain: readonly TimelineEvent[];
  /** Events this one caused (at most 50, in seq order). */
  readonly effects: readonly TimelineEvent[];
  /** How many events this one caused in all. */
  readonly effectCount: number;
}
