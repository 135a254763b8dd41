// What every stateful layer object (a VFIO container, an iommufd context, a TCE container, QEMU's
// IOVA tree, a VM's EEH layer) offers the code around it: its timeline lane, its metrics, a
// snapshot that proves a failed call changed nothing, and its invariants. Ops scripts, the stack
// and the fail-nth tests all work on layers through this shape.
// Must not: import anything; it is the contract the layers implement.

import type { MetricMap } from '../../sim/metricSink';

export interface LayerInstance {
  /** Timeline lane of the instance, e.g. "vfio.container0". */
  readonly laneName: string;
  collectMetrics(into: MetricMap): void;
  /** Deterministic view of the whole state, to prove a failed call changed nothing. */
  snapshot(): unknown;
  /** Broken invariants, one sentence each; empty when the state is consistent. */
  checkInvariants(): string[];
}
