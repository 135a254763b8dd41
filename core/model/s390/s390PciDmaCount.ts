// QEMU's dma_avail counters (hw/s390x/s390-pci-vfio.c: S390PCIDMACount, s390_pci_start_dma_count):
// one per VFIO container, created from the container's DMA_AVAIL capability (VFIO_IOMMU_GET_INFO)
// when the first zPCI function using it is plugged, and shared by every function on that container.
// Must not: spend or return slots (QemuS390PciShadow does, as it shadows RPCIT refreshes:
// s390_pci_update_iotlb, inc_dma_avail / dec_dma_avail), or enforce VFIO's own limit (the container
// enforces dma_entry_limit; this is QEMU's copy of what is left of it).

import type { VfioContainerApi } from '../vfio/vfioContainerApi';

/** S390PCIDMACount: QEMU's per-container copy of the VFIO DMA limit. */
export class S390PciDmaCount {
  avail: number;
  /** QEMU cache entries of all functions using this container. */
  entries = 0;
  /** Slots lost to remaps (dma_avail-- without ++ in s390_pci_update_iotlb). */
  leaked = 0;
  users = 1;
  minAvail: number;

  constructor(
    /** DMA_AVAIL when the counter was created; null = the container reports none (no limit). */
    readonly initial: number | null,
  ) {
    this.avail = initial ?? 0;
    this.minAvail = this.avail;
  }

  get limited(): boolean {
    return this.initial !== null;
  }
}

/** The run's counters by container: s390_pci_start_dma_count / zpci_dma_limit list. */
export class S390PciDmaCounts {
  private readonly byContainer = new Map<VfioContainerApi, S390PciDmaCount>();

  /**
   * Joins (or creates) the container's counter. QEMU sets the function's max_dma_limit only when
   * it creates the counter, so a second function on the same container gets 0 (no aperture shrink);
   * a QEMU that does not count gets no limit at all.
   */
  start(container: VfioContainerApi, countsDmaAvail = true): { count: S390PciDmaCount; maxDmaLimit: number } {
    const known = this.byContainer.get(container);
    if (known !== undefined) {
      known.users++;
      return { count: known, maxDmaLimit: 0 };
    }
    // Without counting (QEMU < 5.2, no DMA_AVAIL from the host, the iommufd backend) QEMU has no
    // limit: it maps everything and VFIO's ENOSPC is only logged.
    const avail = countsDmaAvail ? container.getInfo().dmaAvail : Number.NaN;
    const count = new S390PciDmaCount(Number.isFinite(avail) && avail >= 0 ? avail : null);
    this.byContainer.set(container, count);
    return { count, maxDmaLimit: count.initial ?? 0 };
  }
}
