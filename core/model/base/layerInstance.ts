// What every stateful layer object (a VFIO container, an iommufd context, a TCE container, QEMU's
// IOVA tree, a VM's EEH layer) offers the code around it: its timeline lane, its metrics, a
// snapshot that proves a failed call changed nothing, its invariants, and (for the layers that
// charge RLIMIT_MEMLOCK or hold counted DMA entries) its usage against those limits. Ops scripts,
// the stack, the fail-nth tests and the run's limits answer all work on layers through this shape.
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
  /** What the layer holds against the host's limits (VFIO containers, iommufd contexts, TCE containers); absent for others. */
  limitUsage?(): LimitUsage;
}

/**
 * One limit account of the QEMU process: a type1 container, an iommufd context (its IOAS), a SPAPR
 * TCE container or the process's pre-registered memory. Pages are 4 KiB lab pages; peaks are kept by
 * the layer on every charge, so no sampling can miss them.
 */
export interface LimitUsage {
  /** `<kind>/<name>`: kind type1, iommufd, spapr-tce or spapr-mm; the name is the layer's. No ':' in it. */
  readonly id: string;
  /** Pages this account has charged to locked_vm now, and at most at once. */
  readonly lockedPages: number;
  readonly lockedPagesPeak: number;
  /** Mappings it holds now and at most at once (vfio_dma entries, iommufd areas, live TCEs); null when it holds none of its own. */
  readonly entries: number | null;
  readonly entriesPeak: number | null;
  /** Per-account entry limit (type1 dma_entry_limit); null when there is none. */
  readonly entryLimit: number | null;
  /** Calls refused at that entry limit (type1: MAP_DMA with dma_avail 0, ENOSPC). */
  readonly entryLimitRefusals: number;
}
