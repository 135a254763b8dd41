// What QEMU (and the `vfio.*` ops) can do with a VFIO container, whichever kernel code serves it:
// the type1 driver (vfioType1.ts, v1 or v2) or iommufd's VFIO compatibility layer over an IOAS
// (iommufdVfioCompat.ts). Calls return 0 or a Linux errno (positive) and leave their outputs and
// simulated cost in the `last*` fields, so the hot path allocates nothing.
// Must not: carry backend-specific behaviour; the two implementations differ where the kernel does.

import type { LayerInstance } from '../base/layerInstance';

/** VFIO_IOMMU_MAP_DMA flag bits (include/uapi/linux/vfio.h). */
export const VFIO_DMA_MAP_FLAG_READ = 1 << 0;
export const VFIO_DMA_MAP_FLAG_WRITE = 1 << 1;
export const VFIO_DMA_MAP_FLAG_VADDR = 1 << 2;
/** VFIO_IOMMU_UNMAP_DMA flag bits. */
export const VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP = 1 << 0;
export const VFIO_DMA_UNMAP_FLAG_ALL = 1 << 1;
export const VFIO_DMA_UNMAP_FLAG_VADDR = 1 << 2;
/** VFIO_IOMMU_INFO_* flags of struct vfio_iommu_type1_info. */
export const VFIO_IOMMU_INFO_PGSIZES = 1 << 0;
export const VFIO_IOMMU_INFO_CAPS = 1 << 1;

export interface VfioIovaRange {
  readonly start: number;
  /** Inclusive. */
  readonly end: number;
}

/** VFIO_IOMMU_GET_INFO as QEMU reads it. */
export interface VfioIommuInfo {
  readonly flags: number;
  /** Bitmap of supported IOMMU page sizes (AND of the attached domains). */
  readonly iovaPgsizes: number;
  /** VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL: mappings that may still be created. */
  readonly dmaAvail: number;
  /** VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE; omitted (empty) when the list is empty. */
  readonly iovaRanges: readonly VfioIovaRange[];
}

export interface VfioContainerApi extends LayerInstance {
  /** VFIO_IOMMU_MAP_DMA. `flags` carries READ/WRITE/VADDR and any extra bits a caller sets. */
  mapDma(iova: number, vaddr: number, size: number, flags: number): number;
  /**
   * `count` single-page MAP_DMA calls back to back (iova, vaddr advancing by 4 KiB per call). Maps
   * the leading calls that would all succeed, returns how many (0 when the backend has no fast
   * path or the first call may fail), with `lastCostNs` the cost of each; the caller issues the
   * next call through mapDma() and continues after it. QemuVm.vfioMapRun is the caller.
   */
  mapDmaRun(iova: number, vaddr: number, count: number, flags: number): number;
  /**
   * `count` single-page UNMAP_DMA calls (flags 0) back to back (iova advancing by 4 KiB per call).
   * Takes the leading calls that each remove one single-page entry, returns how many (0 when the
   * backend has no fast path or the first call would do anything else), with `lastCostNs` the cost
   * of each; the caller issues the next call through unmapDma() and continues after it.
   * QemuVm.vfioUnmapRun is the caller.
   */
  unmapDmaRun(iova: number, count: number): number;
  /** VFIO_IOMMU_UNMAP_DMA; on success `lastUnmappedBytes` holds the bytes removed. */
  unmapDma(iova: number, size: number, flags: number): number;
  getInfo(): VfioIommuInfo;
  /** VFIO_GROUP_SET_CONTAINER of one more device's group (its IOMMU geometry joins the container). */
  attachDevice(name: string): number;
  readonly lastUnmappedBytes: number;
  /** Why the last map, unmap or attach was refused (the check that failed, in the kernel's terms); null after a success. */
  readonly lastWhy?: string | null;
  /** What the kernel printed (dmesg) during the last map, in its own wording; null or absent when nothing. */
  readonly lastKernelLog?: string | null;
  /** Simulated cost of the last call, ns (also on failure: the work done before failing). */
  readonly lastCostNs: number;
  /** Mappings in the container now (vfio_dma entries or compat areas). */
  readonly entries: number;
  /** Whether a device DMA to every page of [iova, iova + size) would translate (the host IOMMU's view). */
  translates(iova: number, size: number): boolean;
}
