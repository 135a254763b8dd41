// The guest DMA API as drivers call it (dma_map_page, dma_unmap_page, dma_alloc_coherent), whatever
// implements it below: dma-direct (no vIOMMU), dma-iommu over a vIOMMU driver, or the pre-6.7 s390
// DMA code. Calls run on a DmaCall (the vCPU's clock) and set call.errno / call.dmaAddr.
// Must not: expose how the address was chosen.

import type { MetricMap } from '../../sim/metricSink';
import type { DmaCall } from '../base/dmaCall';
import type { DmaDevice } from './dmaDevice';

/**
 * What a device DMA to the last address this layer unmapped reaches now (fault "dma-to-unmapped"):
 * - stale: the unmap is still waiting for its IOTLB flush, so the freed buffer is still reachable;
 * - remapped: the address was flushed and has since been handed out again: another buffer is reached;
 * - fault: the translation is gone: the IOMMU blocks the access and reports a fault;
 * - unprotected: no IOMMU translates for the guest (dma-direct): all guest RAM is reachable.
 */
export type StaleDmaOutcome = 'stale' | 'remapped' | 'fault' | 'unprotected';

export interface LastUnmapProbe {
  readonly dmaAddr: number;
  readonly bytes: number;
  readonly unmappedAtNs: number;
  /** Timeline event that led to the unmap (the IO whose buffer it was), or -1. */
  readonly cause: number;
  readonly outcome: StaleDmaOutcome;
}

export interface GuestDmaOps {
  /** Which implementation this is: "direct", "iommu-dma (strict)", "s390-legacy"... */
  readonly label: string;
  map(call: DmaCall, dev: DmaDevice, gpa: number, bytes: number, write: boolean): void;
  unmap(call: DmaCall, dmaAddr: number, bytes: number): void;
  /**
   * dma_map_sg of `count` physically discontiguous elements of `elementBytes` (page multiples) at
   * gpas[i], when the layer maps a scatterlist into one bus address range (dma-iommu): call.dmaAddr
   * is its start, and unmap(dmaAddr, count * elementBytes) undoes it (iommu_dma_unmap_sg). Layers
   * without it map such a buffer as one (their cost does not depend on the layout).
   */
  /** Whether mapSg serves calls now (a slot forwards to layers that may lack it); absent = mapSg decides. */
  readonly mapsSg?: boolean;
  mapSg?(call: DmaCall, dev: DmaDevice, gpas: ArrayLike<number>, count: number, elementBytes: number, write: boolean): void;
  allocCoherent(call: DmaCall, dev: DmaDevice, gpa: number, bytes: number): void;
  /** IOVAs unmapped but not yet flushed (0 for strict and direct). */
  fqDepth(): number;
  /**
   * dma_opt_mapping_size: the largest mapping this layer serves well (dma-iommu: the IOVA rcache
   * range, 128 KiB); Infinity, or absent, when the layer gives no hint (dma-direct: its max mapping size).
   */
  optMappingBytes?(): number;
  collectMetrics(into: MetricMap): void;
  /** The last unmap and what a DMA to it would reach now; null before any unmap. */
  probeLastUnmap?(): LastUnmapProbe | null;
  /** The guest dropped this layer (reset, device removed): timers it armed must do nothing. */
  retire?(): void;
}
