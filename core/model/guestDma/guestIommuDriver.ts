// What the guest's DMA layer (dma-iommu) needs from the guest IOMMU driver of its vIOMMU
// (intel-iommu in caching mode, virtio-iommu, s390-iommu) - the iommu_domain_ops it calls. Each
// call advances the DmaCall's clock by the guest work and by any trap into QEMU it causes, which
// QEMU shadows into the host container.
// Must not: allocate IOVAs or keep flush queues (dma-iommu does).

import type { DmaCall } from '../base/dmaCall';

export interface GuestIommuDriver {
  /** Timeline lane of the driver (its traps are drawn on QEMU's lane). */
  readonly name: string;
  /** IOMMU_CAP_DEFERRED_FLUSH: lazy (flush-queue) mode is possible. */
  readonly deferredFlush: boolean;
  /** dev_iommu.shadow_on_flush: flushes are shadowing work, so dma-iommu uses one large queue. */
  readonly shadowOnFlush: boolean;
  /** The IOMMU aperture the guest sees: [start, last] bus addresses. */
  readonly apertureStart: number;
  readonly apertureLast: number;
  /** Guest IOVA ranges the allocator must never hand out (below the DMA window, MSI...). */
  readonly reservedRanges: readonly { readonly start: number; readonly last: number }[];
  /** iommu_map + iotlb_sync_map; sets call.errno on failure (after the driver's own retries). */
  map(call: DmaCall, iova: number, gpa: number, size: number, write: boolean): void;
  /**
   * iommu_map_sg: `count` elements of `elementBytes` at gpas[i], mapped back to back from `iova`, then
   * one iotlb_sync_map. Without it dma-iommu maps element by element (each its own iommu_map).
   */
  mapSg?(call: DmaCall, iova: number, gpas: ArrayLike<number>, count: number, elementBytes: number, write: boolean): void;
  /** iommu_unmap_fast: clears the guest PTEs; no IOTLB sync. */
  unmap(call: DmaCall, iova: number, size: number): void;
  /** iommu_iotlb_sync for one unmapped range (strict mode). */
  iotlbSync(call: DmaCall, iova: number, size: number): void;
  /** flush_iotlb_all (flush-queue flush). */
  flushIotlbAll(call: DmaCall): void;
}
