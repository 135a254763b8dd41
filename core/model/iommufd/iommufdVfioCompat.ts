// A VFIO container served by iommufd's compatibility layer (drivers/iommu/iommufd/vfio_compat.c):
// VFIO_IOMMU_MAP_DMA / UNMAP_DMA / GET_INFO on the compat IOAS of one iommufd context. Where it
// answers differently from the real type1 driver, it follows vfio_compat.c:
// - MAP_DMA (iommufd_vfio_map_dma): flags other than READ|WRITE -EINVAL (so VADDR is refused);
//   no READ/WRITE is accepted (an area with no access); no dma_entry_limit, no -ENOSPC; a wrapping
//   range is -EOVERFLOW (iopt_check_iova), not -EINVAL; a vaddr with a page offset is -EINVAL.
// - UNMAP_DMA (iommufd_vfio_unmap_dma): flags other than ALL -EINVAL; ALL needs iova = size = 0;
//   no alignment check; a range that would split an area is -ENOENT (type1 v2: -EINVAL); an empty
//   range succeeds with 0 bytes (since iopt_unmap_iova_range returns 0 for it and only IOAS_UNMAP
//   turns that into -ENOENT); the bytes removed are reported even when the call fails.
// - Type1 v1 (VFIO_SET_IOMMU(VFIO_TYPE1_IOMMU) = iopt_disable_large_pages): unmaps first cut the
//   areas at both ends of the range (iopt_cut_iova), so any page-aligned sub-range unmaps.
// - GET_INFO (iommufd_vfio_iommu_get_info): PGSIZES|CAPS, the AND of the domains' page sizes
//   (sub-page bits folded into PAGE_SIZE, at least the IOAS alignment), CAP_IOVA_RANGE = the
//   holes of the reserved ranges, and DMA_AVAIL = U32_MAX always.
// Locked memory follows the IOAS's pages objects (iommufdPages.ts).
// Must not: model type1 (vfioType1.ts does) or the native iommufd ops.

import type { CostTable } from '../../sim/costTable';
import type { FaultInjector } from '../../sim/faultInjector';
import type { MetricMap } from '../../sim/metricSink';
import { addMetric, maxMetric } from '../../sim/metricSink';
import { EINVAL, ENOMEM, OK } from '../base/errno';
import type { IommuGeometry } from '../host/hostIommu';
import type { LimitUsage } from '../base/layerInstance';
import type { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE, isAligned } from '../base/pages';
import { IommufdContext } from './iommufdContext';
import type { IommufdIoas } from './iommufdIoas';
import type { IoPagetable } from './ioPagetable';
import { lastBefore } from './iommufdIovaSpan';
import { U64_END } from '../base/bits';
import { areaUptr, type IommufdArea, type IommufdPfnmapMode } from './iommufdPages';
import {
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_WRITE,
  VFIO_DMA_UNMAP_FLAG_ALL,
  VFIO_IOMMU_INFO_CAPS,
  VFIO_IOMMU_INFO_PGSIZES,
  type VfioContainerApi,
  type VfioIommuInfo,
} from '../vfio/vfioContainerApi';

/** iommufd_fill_cap_dma_avail: "return U32_MAX" (s390 QEMU needs more than U16_MAX). */
export const IOMMUFD_COMPAT_DMA_AVAIL = 0xffffffff;

export interface IommufdVfioCompatOptions {
  readonly process: HostProcess;
  readonly costs: CostTable;
  readonly faults: FaultInjector;
  /** The IOMMU geometry devices attach with. */
  readonly geometry: IommuGeometry;
  /** VFIO_SET_IOMMU type QEMU chose. */
  readonly version: 'type1v1' | 'type1v2';
  /** Cap on automatic IOVA alignment (unused by MAP_DMA, which always has a fixed IOVA). */
  readonly maxAutoAlignBytes: number;
  /** What a map of a VM_PFNMAP range (a device BAR) does; default upstream: refused with -EFAULT. */
  readonly pfnmap?: IommufdPfnmapMode;
}

export class IommufdVfioCompat implements VfioContainerApi {
  readonly laneName: string;
  readonly context: IommufdContext;
  readonly ioas: IommufdIoas;
  private mapIoctls = 0;
  private unmapIoctls = 0;
  lastUnmappedBytes = 0;

  constructor(
    readonly name: string,
    private readonly options: IommufdVfioCompatOptions,
  ) {
    this.laneName = `vfio.${name}`;
    this.context = new IommufdContext(
      {
        process: options.process,
        costs: options.costs,
        faults: options.faults,
        dmaWindows: false,
        maxAutoAlignBytes: options.maxAutoAlignBytes,
        ...(options.pfnmap === undefined ? {} : { pfnmap: options.pfnmap }),
      },
      this.laneName,
    );
    // iommufd_vfio_compat_ioas_create: the compat IOAS exists once the container has a group.
    this.ioas = this.context.ioasInstall('compat');
    // iommufd_vfio_set_iommu: VFIO_TYPE1_IOMMU emulates v1 by disabling large IOPTEs.
    if (options.version === 'type1v1' && this.ioas.setHugePages(false) !== OK) throw new Error('cannot disable large pages');
  }

  get lastCostNs(): number {
    return this.ioas.lastCostNs;
  }

  /** Why the last call was refused (the check that failed), or null. */
  get lastWhy(): string | null {
    return this.ioas.lastWhy;
  }

  get entries(): number {
    return this.ioas.areaCount;
  }

  translates(iova: number, size: number): boolean {
    return size > 0 && this.ioas.space.areas.covers(iova, lastBefore(iova + size));
  }

  /** VFIO_IOMMU_MAP_DMA (iommufd_vfio_map_dma): iopt_map_user_pages at the fixed `iova`. */
  /** No run fast path: QEMU maps call by call (iommufd areas are not modelled as runs). */
  mapDmaRun(): number {
    return 0;
  }

  /** No run fast path for unmaps either: QEMU unmaps call by call. */
  unmapDmaRun(): number {
    return 0;
  }

  mapDma(iova: number, vaddr: number, size: number, flags: number): number {
    this.ioas.begin(this.options.costs.vfioMapIoctlNs);
    this.mapIoctls++;
    let rc: number;
    if ((flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)) !== 0) rc = EINVAL;
    else
      rc = this.ioas.iopt.mapUserPages(iova, vaddr, size, (flags & VFIO_DMA_MAP_FLAG_READ) !== 0, (flags & VFIO_DMA_MAP_FLAG_WRITE) !== 0);
    return this.ioas.end(rc);
  }

  /** VFIO_IOMMU_UNMAP_DMA (iommufd_vfio_unmap_dma); bytes removed -> lastUnmappedBytes, also on failure. */
  unmapDma(iova: number, size: number, flags: number): number {
    this.ioas.begin(this.options.costs.vfioUnmapIoctlNs);
    this.unmapIoctls++;
    this.ioas.iopt.lastUnmappedBytes = 0;
    let rc: number;
    if ((flags & ~VFIO_DMA_UNMAP_FLAG_ALL) !== 0) {
      rc = EINVAL;
    } else if ((flags & VFIO_DMA_UNMAP_FLAG_ALL) !== 0) {
      if (iova !== 0 || size !== 0) rc = EINVAL;
      else {
        this.ioas.iopt.unmapAll();
        rc = OK;
      }
    } else {
      rc = OK;
      // v1: cut at iova + size - 1 and iova - 1 (not at -1 when iova is 0). Size 0 and a wrapping
      // range fail in iopt_unmap_iova anyway; they are not cut first, so the failure changes nothing.
      if (this.ioas.iopt.largePagesDisabled && size !== 0 && iova + size <= U64_END) {
        rc = cutIova(this.ioas.iopt, iova === 0 ? [iova + size - 1] : [iova + size - 1, iova - 1]);
      }
      if (rc === OK) rc = this.ioas.iopt.unmapIova(iova, size);
    }
    this.lastUnmappedBytes = this.ioas.lastUnmappedBytes;
    return this.ioas.end(rc);
  }

  /** VFIO_IOMMU_GET_INFO (iommufd_vfio_iommu_get_info). */
  getInfo(): VfioIommuInfo {
    this.ioas.begin(0);
    this.ioas.end(OK);
    return {
      flags: VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS,
      iovaPgsizes: this.pageSizeBitmap(),
      dmaAvail: IOMMUFD_COMPAT_DMA_AVAIL,
      iovaRanges: this.ioas.space.reservedHoles().map((h) => ({ start: h.start, end: h.end - 1 })),
    };
  }

  /** VFIO_GROUP_SET_CONTAINER of one more device: attaches it to the compat IOAS. */
  attachDevice(name: string): number {
    return this.context.attach(this.ioas, name, this.options.geometry);
  }

  /**
   * iommufd_get_pagesizes: AND of the domains' pgsize_bitmap (all ones without a domain); any bit
   * below PAGE_SIZE is replaced by PAGE_SIZE; at least the IOAS alignment. As a number: the sum of
   * the page sizes in the bitmap (2^64 - 4096 for "every size from PAGE_SIZE up").
   */
  pageSizeBitmap(): number {
    const domains = this.ioas.domains.list;
    let bitmap: number;
    if (domains.length === 0) {
      bitmap = U64_END - PAGE_SIZE;
    } else {
      const common = domains[0]!.domain.geometry.pageSizes.filter((s) => domains.every((d) => d.domain.geometry.pageSizes.includes(s)));
      const sub = common.some((s) => s < PAGE_SIZE);
      const kept = common.filter((s) => s >= PAGE_SIZE);
      if (sub && !kept.includes(PAGE_SIZE)) kept.push(PAGE_SIZE);
      bitmap = kept.reduce((sum, s) => sum + s, 0);
    }
    return Math.max(bitmap, this.ioas.iovaAlignment);
  }

  /** The compat container's context: one IOAS, no dma_entry_limit (dma_avail reads U32_MAX). */
  limitUsage(): LimitUsage {
    return this.context.limitUsage();
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'vfio.mapIoctls', this.mapIoctls);
    addMetric(into, 'vfio.unmapIoctls', this.unmapIoctls);
    maxMetric(into, 'vfio.entriesPeak', this.ioas.iopt.areasPeak);
    maxMetric(into, 'iommufd.pinnedPagesPeak', this.context.account.pinnedPagesPeak);
  }

  snapshot(): unknown {
    return this.context.snapshot();
  }

  checkInvariants(): string[] {
    return this.context.checkInvariants();
  }
}

/**
 * iopt_cut_iova (VFIO type1 v1 only): splits the areas containing each IOVA so that the IOVA
 * becomes the last byte of an area (iopt_area_split). -EINVAL when the cut is not aligned to the
 * IOAS alignment or the area may hold huge IOPTEs (a domain with large pages enabled), -ENOMEM
 * when an area allocation fails. All cuts are checked before any is made, so a failure leaves the
 * areas as they were (the kernel keeps the cuts already made; they change no mapping).
 */
function cutIova(iopt: IoPagetable, iovas: readonly number[]): number {
  for (const iova of iovas) {
    const area = iopt.space.areas.containing(iova);
    if (area === undefined || iova === area.start || iova === area.end - 1) continue;
    const newStart = iova + 1;
    if (!isAligned(newStart, iopt.iovaAlignment) || !isAligned(area.startByte + (newStart - area.start), iopt.iovaAlignment)) return EINVAL;
    if (iopt.deps.faults.fail('alloc') || iopt.deps.faults.fail('alloc')) return ENOMEM;
    if (area.ptes.length > 0 && !iopt.largePagesDisabled) return EINVAL;
  }
  for (const iova of iovas) {
    const area = iopt.space.areas.containing(iova);
    if (area !== undefined && iova !== area.start && iova !== area.end - 1) splitArea(iopt, area, iova + 1);
  }
  return OK;
}

/** iopt_area_split at `at`: two areas on the same pages object, with the same pins and PTEs. */
function splitArea(iopt: IoPagetable, area: IommufdArea, at: number): void {
  const lhs: IommufdArea = { ...area, last: lastBefore(at), end: at, holdsPins: false };
  const rhs: IommufdArea = { ...area, start: at, startByte: area.startByte + (at - area.start), holdsPins: false };
  lhs.ptes = area.ptes.map((_, i) => iopt.domains.smallPagePtes(i, lhs.start, areaUptr(lhs), lhs.end - lhs.start));
  rhs.ptes = area.ptes.map((n, i) => n - lhs.ptes[i]!);
  iopt.space.areas.delete(area);
  iopt.space.areas.insert(lhs);
  iopt.space.areas.insert(rhs);
  const holders = area.pages.holders;
  const h = holders.indexOf(area);
  if (h >= 0) {
    holders.splice(h, 1, lhs, rhs);
    lhs.holdsPins = true;
    rhs.holdsPins = true;
  }
  area.pages.users++;
  if (iopt.areaCount > iopt.areasPeak) iopt.areasPeak = iopt.areaCount;
}
