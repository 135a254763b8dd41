// The guest DMA API as drivers call it (dma_map_page, dma_unmap_page, dma_alloc_coherent), whatever
// implements it below: dma-direct (no vIOMMU), dma-iommu over a vIOMMU driver, or the pre-6.7 s390
// DMA code. Calls run on a DmaCall (the vCPU's clock) and set call.errno / call.dmaAddr.
// Must not: expose how the address was chosen.

import type { MetricMap } from '../run/metricSink';
import type { DmaCall } from './dmaCall';
import type { DmaDevice } from './dmaDevice';

export interface GuestDmaOps {
  /** Which implementation this is: "direct", "iommu-dma (strict)", "s390-legacy"... */
  readonly label: string;
  map(call: DmaCall, dev: DmaDevice, gpa: number, bytes: number, write: boolean): void;
  unmap(call: DmaCall, dmaAddr: number, bytes: number): void;
  allocCoherent(call: DmaCall, dev: DmaDevice, gpa: number, bytes: number): void;
  /** IOVAs unmapped but not yet flushed (0 for strict and direct). */
  fqDepth(): number;
  collectMetrics(into: MetricMap): void;
}
