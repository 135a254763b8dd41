// The DMA window of one zPCI function: what QEMU reports to the guest in CLP Query PCI Function
// (sdma/edma, Q hw/s390x/s390-pci-vfio.c s390_pci_read_base) and the window Linux then uses,
// [start_dma, end_dma] (L drivers/iommu/s390-iommu.c zpci_init_iommu; the pre-6.7
// arch/s390/pci/pci_dma.c zpci_dma_init_device computed the same). Outside the window there is
// no IOVA: s390_iommu_get_resv_regions reserves [0, start_dma) and (end_dma, 2^42).
// Must not: allocate addresses or know about tables (s390Zpci.ts, the DMA layers do).

import { PAGE_SIZE, alignUp } from '../base/pages';

/** ZPCI_TABLE_SIZE_RT: the span one region table translates. */
export const ZPCI_TABLE_SPAN = 2 ** 42;
/** QEMU's default sdma / edma when the host reports no zPCI base capability (s390-pci-bus.h). */
export const ZPCI_SDMA_ADDR = 0x1_0000_0000;
/** 0x1ffffffffffffff = 2^57 - 1; as a double it rounds to 2^57, which only ever enters min3 below. */
export const ZPCI_EDMA_ADDR = 2 ** 57 - 1;
/** ZPCI_PAGE_SHIFT is PAGE_SHIFT: zPCI translates in 4 KiB pages. */
export const ZPCI_PAGE_SIZE = PAGE_SIZE;

export interface S390DmaWindowInput {
  /** sdma reported by the host function (VFIO zPCI base capability) or QEMU's default. */
  readonly sdma: number;
  /** edma reported by the host function; QEMU's default when omitted. */
  readonly edma?: number;
  /** QEMU shrinks edma to the VFIO DMA limit (!rtr_avail: restricted device or ISM). */
  readonly restrictToDmaLimit: boolean;
  /** QEMU's iommu->max_dma_limit (DMA_AVAIL read at plug); 0 when QEMU has none (no VFIO, or not the first user of its container). */
  readonly maxDmaLimit: number;
  /** Guest RAM: high_memory, the base of s390_iommu_aperture. */
  readonly ramBytes: number;
  /** s390_iommu_aperture= factor; 0 = unlimited (ULONG_MAX). */
  readonly apertureFactor: number;
}

export class S390DmaWindow {
  /** CLP values the guest reads. */
  readonly sdma: number;
  readonly edma: number;
  /** Whether QEMU shrank edma to the DMA limit. */
  readonly restricted: boolean;
  /** zdev->start_dma / end_dma after zpci_init_iommu (inclusive end). */
  readonly startDma: number;
  readonly endDma: number;

  constructor(input: S390DmaWindowInput) {
    const edmaHost = input.edma ?? ZPCI_EDMA_ADDR;
    this.sdma = input.sdma;
    // s390_pci_read_base: vfio_size = max_dma_limit << 12; shrink only when 0 < vfio_size < span.
    const vfioBytes = input.maxDmaLimit * ZPCI_PAGE_SIZE;
    this.restricted = input.restrictToDmaLimit && vfioBytes > 0 && vfioBytes < edmaHost - input.sdma + 1;
    this.edma = this.restricted ? input.sdma + vfioBytes - 1 : edmaHost;
    // zpci_init_iommu: start_dma = PAGE_ALIGN(sdma); aperture = min3(s390_iommu_aperture,
    // ZPCI_TABLE_SIZE_RT - start_dma, end_dma - start_dma + 1).
    this.startDma = alignUp(this.sdma, ZPCI_PAGE_SIZE);
    if (this.startDma > ZPCI_TABLE_SPAN - ZPCI_PAGE_SIZE || this.edma < this.startDma) {
      // s390_iommu_probe_device: -EINVAL; the schema rejects such a start, so this is a programmer error.
      throw new RangeError(`zPCI window [${this.sdma}, ${this.edma}] is unusable (s390_iommu_probe_device would fail)`);
    }
    const apertureLimit = input.apertureFactor === 0 ? Infinity : input.ramBytes * input.apertureFactor;
    const sizeBytes = Math.min(apertureLimit, ZPCI_TABLE_SPAN - this.startDma, this.edma - this.startDma + 1);
    // The aperture is page-granular (the pre-6.7 bitmap held aperture >> PAGE_SHIFT pages).
    const pages = Math.floor(sizeBytes / ZPCI_PAGE_SIZE);
    if (pages < 1) throw new RangeError('zPCI window holds no page');
    this.endDma = this.startDma + pages * ZPCI_PAGE_SIZE - 1;
  }

  get sizeBytes(): number {
    return this.endDma - this.startDma + 1;
  }

  get pages(): number {
    return this.sizeBytes / ZPCI_PAGE_SIZE;
  }

  /** s390_iommu_get_resv_regions: everything of the table span outside [start_dma, end_dma]. */
  reservedRanges(): { start: number; last: number }[] {
    const out: { start: number; last: number }[] = [];
    if (this.startDma > 0) out.push({ start: 0, last: this.startDma - 1 });
    if (this.endDma < ZPCI_TABLE_SPAN - 1) out.push({ start: this.endDma + 1, last: ZPCI_TABLE_SPAN - 1 });
    return out;
  }

  contains(iova: number, size: number): boolean {
    return iova >= this.startDma && size > 0 && iova + size - 1 <= this.endDma;
  }
}
