// MmIommuMemList: the process-wide list of pre-registered memory (arch/powerpc/mm/book3s64/iommu_api.c,
// mm->context.iommu_group_mem_list) that the VFIO SPAPR TCE v2 containers of one QEMU process share:
// the same range registered by two containers is pinned and charged once. Owns the regions, their
// references (mm_iommu_get / mm_iommu_put), the TCEs counted against each, and the locked memory
// they charge.
// Must not: throw on user input (calls return a region, 0 or a Linux errno), leave a partial charge
// behind on error (mm_iommu_new undoes it), or decide what a container may do with a region (which
// containers hold which region, and UNREGISTER's rules, are spaprTceContainer.ts's).

import type { FaultInjector } from '../../../sim/faultInjector';
import type { LayerInstance, LimitUsage } from '../../base/layerInstance';
import { maxMetric, type MetricMap } from '../../../sim/metricSink';
import { EBUSY, EFAULT, EINVAL, ENOENT, ENOMEM, OK } from '../../base/errno';
import { IntervalMap } from '../../base/intervalMap';
import type { HostProcess } from '../../host/hostProcess';
import { lowestSetBit } from '../../base/bits';
import { PAGE_SIZE } from '../../base/pages';

/** One pre-registered region (mm_iommu_table_group_mem_t). */
export interface MmIommuRegion {
  readonly ua: number;
  readonly sizeBytes: number;
  /** Largest IOMMU page shift the region can back (mem->pageshift). */
  readonly pageShift: number;
  /** References: containers' prereg entries, plus any left orphaned by UNREGISTER (see unregisterMemory). */
  used: number;
  /** Live TCEs pointing into the region (mem->mapped - 1). */
  mappedTces: number;
}

/** The last byte of a region. */
export const regionLast = (r: MmIommuRegion): number => r.ua + r.sizeBytes - 1;

/** mm->context.iommu_group_mem_list: pre-registered memory of the QEMU process, shared by its v2 containers. */
export class MmIommuMemList implements LayerInstance {
  readonly laneName = 'spapr.mm';
  private readonly regions = new IntervalMap<{ start: number; last: number; region: MmIommuRegion }>();
  private bytesPeak = 0;
  lockedPages = 0;

  constructor(
    private readonly process: HostProcess,
    private readonly faults: FaultInjector,
    private readonly hostPageShift: number,
  ) {}

  /** mm_iommu_get: the region registered with exactly this start and size, with one more reference. */
  get(ua: number, sizeBytes: number): MmIommuRegion | null {
    const hit = this.regions.containing(ua);
    if (hit === undefined || hit.region.ua !== ua || hit.region.sizeBytes !== sizeBytes) return null;
    hit.region.used++;
    return hit.region;
  }

  /** mm_iommu_lookup: the region holding [ua, ua + size). */
  lookup(ua: number, size: number): MmIommuRegion | null {
    const hit = this.regions.containing(ua);
    return hit !== undefined && ua + size - 1 <= hit.last ? hit.region : null;
  }

  has(region: MmIommuRegion): boolean {
    return this.regions.containing(region.ua)?.region === region;
  }

  /**
   * mm_iommu_new (mm_iommu_do_alloc): charge locked_vm (-ENOMEM), allocate (-ENOMEM), pin every page
   * (-EFAULT when unmapped), then refuse an overlap with any registered region (-EINVAL), undoing all.
   */
  create(ua: number, sizeBytes: number, backingChunkBytes: number, hugetlb: boolean): MmIommuRegion | number {
    const pages = sizeBytes / PAGE_SIZE;
    if (!this.process.tryLock(pages)) return ENOMEM;
    if (this.faults.fail('alloc')) return this.undoCharge(pages, ENOMEM);
    if (!this.process.isMapped(ua, sizeBytes)) return this.undoCharge(pages, EFAULT);
    if (this.faults.fail('pin')) return this.undoCharge(pages, ENOMEM);
    const last = ua + sizeBytes - 1;
    if (this.regions.firstOverlap(ua, last) !== undefined) return this.undoCharge(pages, EINVAL);
    // mem->pageshift: natural alignment of ua and size, capped by the hugetlb page size; THP and
    // base pages cap it at PAGE_SHIFT (only PageHuge pages raise it).
    const alignShift = Math.log2(Math.min(lowestSetBit(ua), lowestSetBit(sizeBytes)));
    const pageShift = Math.min(alignShift, hugetlb ? Math.log2(backingChunkBytes) : this.hostPageShift);
    const region: MmIommuRegion = { ua, sizeBytes, pageShift, used: 1, mappedTces: 0 };
    this.regions.insert({ start: ua, last, region });
    this.lockedPages += pages;
    this.bytesPeak = Math.max(this.bytesPeak, this.lockedPages * PAGE_SIZE);
    return region;
  }

  /** mm_iommu_put: drop a reference; the last one frees the region unless TCEs still use it (-EBUSY). */
  put(region: MmIommuRegion): number {
    if (region.used === 0) return ENOENT;
    region.used--;
    if (region.used > 0) return OK;
    if (region.mappedTces > 0) {
      region.used++;
      return EBUSY;
    }
    this.regions.delete({ start: region.ua, last: regionLast(region), region });
    this.process.unlock(region.sizeBytes / PAGE_SIZE);
    this.lockedPages -= region.sizeBytes / PAGE_SIZE;
    return OK;
  }

  /** The process's pre-registered memory (mm_iommu_do_alloc charges it once per process). */
  limitUsage(): LimitUsage {
    return {
      id: `spapr-mm/${this.laneName}`,
      lockedPages: this.lockedPages,
      lockedPagesPeak: this.bytesPeak / PAGE_SIZE,
      entries: null,
      entriesPeak: null,
      entryLimit: null,
      entryLimitRefusals: 0,
    };
  }

  collectMetrics(into: MetricMap): void {
    maxMetric(into, 'spapr.registeredBytesPeak', this.bytesPeak);
  }

  snapshot(): unknown {
    return [...this.regions.values()].map(({ region: r }) => ({ ...r }));
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    let pages = 0;
    let prevLast = -1;
    for (const { start, last, region: r } of this.regions.values()) {
      if (start <= prevLast) problems.push(`registered regions overlap at ${start}`);
      if (start !== r.ua || last !== regionLast(r)) problems.push(`region at ${r.ua} is indexed at the wrong range`);
      if (r.used < 1) problems.push(`region at ${r.ua} is listed with no reference`);
      if (r.mappedTces < 0) problems.push(`region at ${r.ua} has a negative mapped count`);
      pages += r.sizeBytes / PAGE_SIZE;
      prevLast = last;
    }
    if (pages !== this.lockedPages) problems.push(`registered pages ${pages} differ from the ${this.lockedPages} charged`);
    return problems;
  }

  private undoCharge(pages: number, rc: number): number {
    this.process.unlock(pages);
    return rc;
  }
}
