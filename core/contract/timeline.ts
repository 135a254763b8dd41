// Timeline types shared by the simulator, the store, the hosts and the renderer.
// Must not: import anything; these are plain data shapes.

/** How a numeric event argument is shown: 'hex' addresses, 'bytes' sizes, 'ns' durations,
 *  'errno' a symbolic error (index into the run's string table), 'str' any interned string. */
export type TimelineArgFormat = 'int' | 'hex' | 'bytes' | 'ns' | 'errno' | 'str';

export interface TimelineArgInfo {
  readonly name: string;
  readonly format: TimelineArgFormat;
}

export interface TimelineKindInfo {
  readonly id: number;
  readonly name: string;
  readonly args: readonly TimelineArgInfo[];
  readonly failure: boolean;
}

export interface TimelineLaneInfo {
  readonly id: number;
  /** e.g. "guest.cpu0", "vfio.container0", "device.nvme0". */
  readonly name: string;
  /** The component family the lane belongs to, e.g. "guest", "vfio", "device". */
  readonly group: string;
}

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
  /**
   * Set on every event of a lane that came back aggregated (the window held more events on that lane
   * than its limit): this entry stands for `count` events (possibly 1) starting in one pixel column,
   * the last ending at `endNs`, `failures` of them of failure kinds. seq, kind and tNs are those of
   * the first; args are not loaded (getTimelineEvent(seq) has them).
   */
  readonly aggregate?: { readonly count: number; readonly endNs: number; readonly failures: number };
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
  /** Grouped by lane, in time order within a lane (long spans of a lane after its other events). */
  readonly events: readonly TimelineEvent[];
  /** True when the window held more events than were returned (some lane aggregated or cut). */
  readonly truncated: boolean;
}
