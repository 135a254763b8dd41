// What a vIOMMU front-end gives the stack for one passed-through device: either a guest IOMMU
// driver for dma-iommu to run on (intel-iommu, virtio-iommu, s390-iommu), or a DMA layer of its own
// that replaces dma-iommu (the pre-6.7 s390 code), plus its metrics and invariants.
// Must not: be implemented by the stack; each vIOMMU's factory builds one.

import type { MetricMap } from '../../sim/metricSink';
import type { GuestDmaOps } from '../guestDma/guestDmaOps';
import type { GuestIommuDriver } from '../guestDma/guestIommuDriver';

export interface ViommuFrontEnd {
  readonly driver: GuestIommuDriver | null;
  readonly dmaOps: GuestDmaOps | null;
  collectMetrics(into: MetricMap): void;
  checkInvariants(): string[];
}
