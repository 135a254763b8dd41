// The shapes the timeline recorder declares its lanes and event kinds with. The contract re-exports
// them (core/contract/timeline.ts), so the store, the hosts and the renderer read the same shapes.
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
