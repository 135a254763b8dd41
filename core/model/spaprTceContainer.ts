// The VFIO SPAPR TCE IOMMU backend (drivers/vfio/vfio_iommu_spapr_tce.c), v1 and v2, over one PowerNV
// PE: its DMA windows (TCE tables), the TCEs QEMU writes with MAP/UNMAP_DMA, and what the container
// charges to locked memory. Also owns MmIommuMemList, the process-wide list of pre-registered memory
// (arch/powerpc/mm/book3s64/iommu_api.c, mm->context.iommu_group_mem_list) that v2 containers share:
// the same range registered by two containers is pinned and charged once. (It lives here because the
// two halves of pre-registration only make sense together; it could move to mmIommuMemList.ts.)
// Must not: throw on user input (calls return 0 or a Linux errno, outputs in last* fields), or leave a
// partial change behind on error. Where the kernel does (noted below), the lab undoes the change; in
// particular the default window a failing MAP/UNMAP/TCE_CREATE created first is removed again, and
// the container is bound to the process's mm (tce_iommu_mm_set) only by a call that succeeds.
//
// Kernel version: the ioctl paths follow torvalds/linux v5.10 and later (unchanged in 6.x). v1 reuses
// the platform's default table as kernels before 6.4 did (tce_iommu_take_ownership): it exists once a
// group is attached and only ENABLE charges (the whole window). The host kernel's PAGE_SHIFT is a
// platform parameter (ppc64 distributions run 64 KiB pages): it sets the REGISTER_MEMORY alignment,
// the smallest backing page and table rounding; locked memory is still counted in the lab's 4 KiB units.

import type { CostTable } from '../sim/costTable';
import type { FaultInjector } from '../sim/faultInjector';
import type { OpsLayerInstance } from '../ops/opTypes';
import { addMetric, maxMetric, type MetricMap } from '../run/metricSink';
import { EBUSY, EFAULT, EINVAL, ENOENT, ENOMEM, ENOSPC, ENOTTY, ENXIO, EPERM, OK } from './errno';
import { IntervalMap } from './intervalMap';
import { type HostProcess, lowestSetBit, PAGE_SIZE } from './hostProcess';

/** VFIO_IOMMU_MAP_DMA flags (include/uapi/linux/vfio.h); TCE_PCI_READ/WRITE use the same bits. */
export const SPAPR_MAP_READ = 1;
export const SPAPR_MAP_WRITE = 2;
/** VFIO_IOMMU_SPAPR_INFO_DDW. */
export const SPAPR_INFO_DDW = 1;

/** The PE's iommu_table_group as VFIO sees it (pnv_pci_ioda2_setup_dma_pe). */
export interface SpaprPlatform {
  readonly tce32Start: number;
  readonly tce32SizeBytes: number;
  /** tce64_start: where the second window starts. */
  readonly ddwStart: number;
  /** table_group.pgsizes as shifts. */
  readonly pageShifts: readonly number[];
  readonly maxLevels: number;
  /** max_dynamic_windows_supported (<= IOMMU_TABLE_GROUP_MAX_TABLES = 2). */
  readonly maxWindows: number;
  /** The host kernel's PAGE_SHIFT (16 with CONFIG_PPC_64K_PAGES, 12 with 4K pages). */
  readonly hostPageShift: number;
  /** TCE page shift of the platform table v1 borrows (4K on IODA1 and pSeries default windows). */
  readonly tce32PageShift: number;
}

const MAX_TABLES = 2;
const TWO_64 = 2 ** 64;

/**
 * pnv_pci_ioda2_get_table_size: bytes of a TCE table (all levels, plus the userspace copy of the same
 * size: "one for HW table, one for userspace copy"), or 0 when the geometry is refused.
 */
export function spaprTableBytes(pageShift: number, windowSize: number, levels: number, maxLevels: number, hostPageShift: number): number {
  if (levels < 1 || levels > maxLevels || windowSize < 2 ** pageShift || !Number.isInteger(Math.log2(windowSize))) return 0;
  const entriesShift = Math.log2(windowSize) - pageShift;
  let tceTableSize = Math.max(0x1000, 2 ** (entriesShift + 3));
  const direct = 2 ** Math.max(Math.ceil(entriesShift / levels) + 3, hostPageShift);
  let bytes = 0;
  for (let l = levels; l > 0; l--) {
    bytes += Math.ceil(tceTableSize / direct) * direct;
    tceTableSize = Math.max(Math.floor(tceTableSize / direct) * 8, direct);
  }
  return bytes * 2;
}

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

const regionLast = (r: MmIommuRegion): number => r.ua + r.sizeBytes - 1;

/** mm->context.iommu_group_mem_list: pre-registered memory of the QEMU process, shared by its v2 containers. */
export class MmIommuMemList implements OpsLayerInstance {
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

/**
 * A run of consecutive TCEs written by one MAP_DMA (split when partly cleared or overwritten). `last`
 * is the bus address of the last TCE, not the last byte: page-aligned values stay exact near 2^59,
 * where `x - 1` would round.
 */
interface TceRun {
  readonly start: number;
  readonly last: number;
  readonly vaddr: number;
  readonly perm: number;
  /** v2: the pre-registered region backing it; v1: null (each TCE pins one page). */
  readonly region: MmIommuRegion | null;
}

interface TceWindow {
  readonly slot: number;
  readonly start: number;
  readonly pageShift: number;
  readonly pageSize: number;
  readonly sizeBytes: number;
  readonly levels: number;
  /** Locked pages charged for the table (0 for v1's borrowed platform table). */
  readonly tablePages: number;
  readonly runs: IntervalMap<TceRun>;
}

/** VFIO_IOMMU_SPAPR_TCE_GET_INFO. */
export interface SpaprTceInfo {
  readonly dma32WindowStart: number;
  readonly dma32WindowSize: number;
  readonly flags: number;
  /** Only with VFIO_IOMMU_SPAPR_INFO_DDW (v2). */
  readonly ddw: { readonly pgsizes: number; readonly maxDynamicWindowsSupported: number; readonly levels: number } | null;
}

export class SpaprTceContainer implements OpsLayerInstance {
  private readonly windows: (TceWindow | null)[] = [null, null];
  private readonly prereg = new Set<MmIommuRegion>();
  private enabled = false;
  /** tce_iommu_mm_set has run (needed by v2 UNREGISTER). */
  private mmSet = false;
  private defaultWindowPending: boolean;
  private enablePages = 0;
  private pinnedPages = 0;
  private tces = 0;

  mapIoctls = 0;
  unmapIoctls = 0;
  mapFailures = 0;
  windowsCreated = 0;
  tcesPeak = 0;

  lastCostNs = 0;
  lastStartAddr = 0;
  lastUnmappedBytes = 0;

  constructor(
    readonly laneName: string,
    readonly version: 1 | 2,
    private readonly platform: SpaprPlatform,
    private readonly process: HostProcess,
    private readonly mm: MmIommuMemList,
    private readonly faults: FaultInjector,
    private readonly costs: CostTable,
  ) {
    // v2: tce_iommu_attach_group marks the default window pending; v1 borrows the platform table.
    this.defaultWindowPending = version === 2;
    if (version === 1) this.windows[0] = this.newWindow(0, platform.tce32PageShift, platform.tce32SizeBytes, 1, 0);
  }

  /** Lab (4 KiB) pages of `bytes >> PAGE_SHIFT` host kernel pages, as account_locked_vm charges them. */
  private hostPagesAsLabPages(bytes: number): number {
    const sys = 2 ** this.platform.hostPageShift;
    return (Math.floor(bytes / sys) * sys) / PAGE_SIZE;
  }

  get liveTces(): number {
    return this.tces;
  }

  /** VFIO_IOMMU_ENABLE (v1 only): charge the whole default window to locked memory (tce_iommu_enable). */
  enable(): number {
    this.lastCostNs = this.costs.vfioMapIoctlNs;
    if (this.version === 2) return ENOTTY;
    if (this.enabled) return EBUSY;
    const pages = this.hostPagesAsLabPages(this.platform.tce32SizeBytes);
    if (!this.process.tryLock(pages)) return ENOMEM;
    this.mmSet = true;
    this.enablePages = pages;
    this.enabled = true;
    return OK;
  }

  /** VFIO_IOMMU_SPAPR_REGISTER_MEMORY (v2): tce_iommu_register_pages. */
  registerMemory(vaddr: number, size: number, flags = 0): number {
    this.lastCostNs = this.costs.vfioMapIoctlNs;
    if (this.version === 1) return ENOTTY;
    if (flags !== 0) return EINVAL;
    const sys = 2 ** this.platform.hostPageShift;
    if (vaddr % sys !== 0 || size % sys !== 0 || vaddr + size >= TWO_64) return EINVAL;
    // A zero-size region gets no hpas array: vzalloc(0) fails, so mm_iommu_new answers -ENOMEM.
    if (size === 0) return ENOMEM;
    let region = this.mm.get(vaddr, size);
    if (region !== null && this.prereg.has(region)) {
      this.mm.put(region);
      return EBUSY;
    }
    if (region === null) {
      const chunk = this.process.chunkBytes;
      const created = this.mm.create(vaddr, size, chunk, this.process.config.backing.startsWith('hugepages'));
      if (typeof created === 'number') return created;
      region = created;
      this.lastCostNs += (size / PAGE_SIZE) * this.costs.vfioPinPerPageNs;
    }
    if (this.faults.fail('alloc')) {
      this.mm.put(region);
      return ENOMEM;
    }
    this.prereg.add(region);
    this.enabled = true;
    this.mmSet = true;
    return OK;
  }

  /**
   * VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY (v2): tce_iommu_unregister_pages. Since mm_iommu_get takes a
   * reference ("powerpc/mm/iommu/vfio_spapr_tce: Change mm_iommu_get to reference a region", ~v5.1),
   * the container's reference is dropped first and the -EBUSY of the final mm_iommu_put is ignored:
   * unregistering a region TCEs still use answers 0 and leaves it pinned and charged with one orphaned
   * reference (older kernels, with mm_iommu_find, answered -EBUSY).
   */
  unregisterMemory(vaddr: number, size: number, flags = 0): number {
    this.lastCostNs = this.costs.vfioUnmapIoctlNs;
    if (this.version === 1) return ENOTTY;
    if (!this.mmSet) return EPERM;
    const sys = 2 ** this.platform.hostPageShift;
    if (flags !== 0 || vaddr % sys !== 0 || size % sys !== 0) return EINVAL;
    const region = this.mm.get(vaddr, size);
    if (region === null) return ENOENT;
    let rc: number = ENOENT;
    if (this.prereg.has(region)) {
      rc = this.mm.put(region);
      if (rc === OK) this.prereg.delete(region);
    }
    const lockedBefore = this.mm.lockedPages;
    this.mm.put(region);
    this.lastCostNs += (lockedBefore - this.mm.lockedPages) * this.costs.vfioUnpinPerPageNs;
    return rc;
  }

  /** VFIO_IOMMU_SPAPR_TCE_CREATE (v2): the default window first if pending, then tce_iommu_create_window. */
  createWindow(pageShift: number, windowSize: number, levels: number, flags = 0): number {
    this.lastCostNs = this.costs.vfioMapIoctlNs;
    if (this.version === 1) return ENOTTY;
    if (flags !== 0) return EINVAL;
    const pending = this.defaultWindowPending;
    let rc = this.createDefaultWindow();
    if (rc === OK) rc = this.addWindow(pageShift, windowSize, levels);
    if (rc !== OK) this.undoDefaultWindow(pending);
    else this.mmSet = true;
    return rc;
  }

  /** VFIO_IOMMU_SPAPR_TCE_REMOVE (v2): the window holding startAddr goes, with all its TCEs. */
  removeWindow(startAddr: number, flags = 0): number {
    this.lastCostNs = this.costs.vfioUnmapIoctlNs;
    if (this.version === 1) return ENOTTY;
    if (flags !== 0) return EINVAL;
    if (this.defaultWindowPending && startAddr === 0) {
      this.defaultWindowPending = false;
      this.mmSet = true;
      return OK;
    }
    const win = this.findWindow(startAddr);
    if (win === null) return EINVAL;
    this.mmSet = true;
    this.lastCostNs += this.clear(win, win.start, win.start + win.sizeBytes - win.pageSize) * this.costs.hostPteWriteNs;
    this.lastCostNs += this.costs.hostIotlbInvalidationNs;
    this.process.unlock(win.tablePages);
    this.windows[win.slot] = null;
    return OK;
  }

  /** VFIO_IOMMU_MAP_DMA: checks in tce_iommu_ioctl order, then tce_iommu_build (v1) / tce_iommu_build_v2. */
  mapDma(iova: number, vaddr: number, size: number, flags: number): number {
    this.mapIoctls++;
    this.lastCostNs = this.costs.vfioMapIoctlNs;
    const pending = this.defaultWindowPending;
    const rc = this.mapChecked(iova, vaddr, size, flags);
    if (rc !== OK) {
      this.mapFailures++;
      this.undoDefaultWindow(pending);
    }
    return rc;
  }

  /** VFIO_IOMMU_UNMAP_DMA: any TCE-aligned sub-range of one window; lastUnmappedBytes = bytes of live TCEs cleared. */
  unmapDma(iova: number, size: number, flags: number): number {
    this.unmapIoctls++;
    this.lastCostNs = this.costs.vfioUnmapIoctlNs;
    this.lastUnmappedBytes = 0;
    const pending = this.defaultWindowPending;
    const rc = this.unmapChecked(iova, size, flags);
    if (rc !== OK) this.undoDefaultWindow(pending);
    return rc;
  }

  private unmapChecked(iova: number, size: number, flags: number): number {
    if (!this.enabled) return EPERM;
    if (flags !== 0) return EINVAL;
    const rc = this.createDefaultWindow();
    if (rc !== OK) return rc;
    const win = this.findWindow(iova);
    if (win === null) return ENXIO;
    if (size % win.pageSize !== 0 || iova % win.pageSize !== 0) return EINVAL;
    if (iova + size > win.start + win.sizeBytes) return EINVAL;
    if (size === 0) return OK;
    const cleared = this.clear(win, iova, iova + size - win.pageSize);
    this.lastUnmappedBytes = cleared * win.pageSize;
    // tce_iommu_clear exchanges every entry of the range, live or not, then one iommu_tce_kill.
    this.lastCostNs += (size / win.pageSize) * this.costs.hostPteWriteNs + this.costs.hostIotlbInvalidationNs;
    if (this.version === 1) this.lastCostNs += cleared * this.costs.vfioUnpinPerPageNs;
    return OK;
  }

  /** VFIO_IOMMU_SPAPR_TCE_GET_INFO: the platform's dma32 window, plus DDW capabilities for v2. */
  getInfo(): SpaprTceInfo {
    this.lastCostNs = this.costs.vfioMapIoctlNs;
    const p = this.platform;
    const ddw = this.version === 2 && p.maxWindows > 0;
    return {
      dma32WindowStart: p.tce32Start,
      dma32WindowSize: p.tce32SizeBytes,
      flags: ddw ? SPAPR_INFO_DDW : 0,
      ddw: ddw
        ? { pgsizes: p.pageShifts.reduce((m, s) => m + 2 ** s, 0), maxDynamicWindowsSupported: p.maxWindows, levels: p.maxLevels }
        : null,
    };
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'spapr.mapIoctls', this.mapIoctls);
    addMetric(into, 'spapr.unmapIoctls', this.unmapIoctls);
    addMetric(into, 'spapr.mapFailures', this.mapFailures);
    addMetric(into, 'spapr.windowsCreated', this.windowsCreated);
    maxMetric(into, 'spapr.tcesPeak', this.tcesPeak);
  }

  /** Pages this container has charged to locked memory (ENABLE plus created tables; not pre-registration). */
  get chargedPages(): number {
    return this.enablePages + this.windows.reduce((n, w) => n + (w?.tablePages ?? 0), 0);
  }

  /** Pages pinned by v1 TCEs (one per TCE; v1 does not charge them, ENABLE already did). */
  get pinnedV1Pages(): number {
    return this.pinnedPages;
  }

  snapshot(): unknown {
    return {
      version: this.version,
      enabled: this.enabled,
      mmSet: this.mmSet,
      defaultWindowPending: this.defaultWindowPending,
      enablePages: this.enablePages,
      pinnedPages: this.pinnedPages,
      tces: this.tces,
      prereg: [...this.prereg].map((r) => r.ua).sort((a, b) => a - b),
      windows: this.windows.map((w) =>
        w === null
          ? null
          : {
              slot: w.slot,
              start: w.start,
              pageShift: w.pageShift,
              sizeBytes: w.sizeBytes,
              levels: w.levels,
              tablePages: w.tablePages,
              runs: [...w.runs.values()].map((r) => ({
                start: r.start,
                last: r.last,
                vaddr: r.vaddr,
                perm: r.perm,
                region: r.region?.ua ?? null,
              })),
            },
      ),
    };
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    let tces = 0;
    for (const w of this.windows) {
      if (w === null) continue;
      if (w.slot >= this.platform.maxWindows) problems.push(`window in slot ${w.slot} exceeds maxWindows`);
      for (const r of w.runs.values()) {
        tces += (r.last - r.start) / w.pageSize + 1;
        if (r.start < w.start || r.last + w.pageSize > w.start + w.sizeBytes)
          problems.push(`TCEs at ${r.start} lie outside window ${w.slot}`);
        if (r.start % w.pageSize !== 0 || r.last % w.pageSize !== 0) problems.push(`TCE run at ${r.start} is not page aligned`);
        if (this.version === 1 && r.region !== null) problems.push(`v1 TCEs at ${r.start} reference a registered region`);
        if (this.version === 2) problems.push(...this.checkBacking(w, r));
      }
    }
    if (tces !== this.tces) problems.push(`counted ${this.tces} live TCEs but the windows hold ${tces}`);
    if (this.pinnedPages !== (this.version === 1 ? tces : 0))
      problems.push(`pinned pages ${this.pinnedPages} do not match the live v1 TCEs`);
    if (this.enablePages !== (this.enabled && this.version === 1 ? this.hostPagesAsLabPages(this.platform.tce32SizeBytes) : 0)) {
      problems.push('the ENABLE charge does not match the default window');
    }
    for (const r of this.prereg)
      if (!this.mm.has(r) || r.used < 1) problems.push(`pre-registered region at ${r.ua} is gone from the mm list`);
    if (this.defaultWindowPending && this.windows[0] !== null) problems.push('the default window is pending but slot 0 is taken');
    return problems;
  }

  private checkBacking(w: TceWindow, r: TceRun): string[] {
    const reg = r.region;
    if (reg === null) return [`v2 TCEs at ${r.start} have no registered region`];
    const problems: string[] = [];
    if (!this.mm.has(reg)) problems.push(`v2 TCEs at ${r.start} point into an unregistered region`);
    if (r.vaddr < reg.ua || r.vaddr + (r.last - r.start) + w.pageSize > reg.ua + reg.sizeBytes)
      problems.push(`v2 TCEs at ${r.start} run past their region`);
    if (w.pageShift > reg.pageShift) problems.push(`v2 TCEs at ${r.start} use pages larger than their region backs`);
    return problems;
  }

  private mapChecked(iova: number, vaddr: number, size: number, flags: number): number {
    if (!this.enabled) return EPERM;
    if ((flags & ~(SPAPR_MAP_READ | SPAPR_MAP_WRITE)) !== 0) return EINVAL;
    const rc = this.createDefaultWindow();
    if (rc !== OK) return rc;
    const win = this.findWindow(iova);
    if (win === null) return ENXIO;
    const pg = win.pageSize;
    if (size % pg !== 0 || vaddr % pg !== 0) return EINVAL;
    if ((flags & (SPAPR_MAP_READ | SPAPR_MAP_WRITE)) === 0) return EINVAL;
    // iommu_tce_put_param_check: the kernel ORs two checks into a boolean, so a misaligned IOVA makes
    // the ioctl return 1 rather than -EINVAL; the lab answers EINVAL as SPEC 4.3 says.
    if (iova % pg !== 0) return EINVAL;
    // iommu_tce_check_ioba checks only the first TCE; a range running past the window would write
    // past the table. The lab refuses it.
    if (iova + size > win.start + win.sizeBytes) return EINVAL;
    const n = size / pg;
    const built = this.version === 1 ? this.pinForBuild(vaddr, n, pg) : this.checkPreregistered(win, vaddr, n);
    if (built !== OK) return built;
    if (n === 0) return OK;
    this.lastCostNs += this.clear(win, iova, iova + size - pg) * (this.version === 1 ? this.costs.vfioUnpinPerPageNs : 0);
    this.insertRuns(win, iova, vaddr, n, flags);
    this.lastCostNs += n * this.costs.hostPteWriteNs + this.costs.hostIotlbInvalidationNs;
    return OK;
  }

  /**
   * tce_iommu_build: pin one page per TCE (-EFAULT) and check the backing page is at least the IOMMU
   * page (tce_page_is_contained, -EPERM; a THP counts as its compound page). The kernel keeps the
   * page pinned when the check fails; the lab unpins it. Pins are taken here and kept on success.
   */
  private pinForBuild(vaddr: number, n: number, pg: number): number {
    for (let i = 0; i < n; i++) {
      this.lastCostNs += this.costs.vfioPinPerPageNs;
      const va = vaddr + i * pg;
      let rc: number = OK;
      if (!this.process.isMapped(va, PAGE_SIZE) || this.faults.fail('pin')) rc = EFAULT;
      else if (Math.max(this.process.chunkBytes, 2 ** this.platform.hostPageShift) < pg) rc = EPERM;
      if (rc !== OK) {
        this.pinnedPages -= i;
        return rc;
      }
      this.pinnedPages++;
    }
    return OK;
  }

  /**
   * tce_iommu_build_v2 via tce_iommu_prereg_ua_to_hpa: every IOMMU page must lie in one registered
   * region (mm_iommu_lookup) whose pageshift covers it (mm_iommu_ua_to_hpa), else -EINVAL. With THP
   * or base pages mem->pageshift is PAGE_SHIFT, so TCEs above it need hugetlbfs (tce_page_is_contained
   * cannot fail after that check). A table with indirect levels allocates them on demand (-ENOMEM).
   */
  private checkPreregistered(win: TceWindow, vaddr: number, n: number): number {
    const pg = win.pageSize;
    for (let i = 0; i < n;) {
      const ua = vaddr + i * pg;
      const reg = this.mm.lookup(ua, pg);
      if (reg === null || win.pageShift > reg.pageShift) return EINVAL;
      i += Math.min(n - i, Math.floor((regionLast(reg) + 1 - ua) / pg));
    }
    if (n > 0 && win.levels > 1 && this.faults.fail('alloc')) return ENOMEM;
    return OK;
  }

  private insertRuns(win: TceWindow, iova: number, vaddr: number, n: number, perm: number): void {
    const pg = win.pageSize;
    for (let i = 0; i < n;) {
      const ua = vaddr + i * pg;
      const reg = this.version === 2 ? this.mm.lookup(ua, pg)! : null;
      const k = reg === null ? n - i : Math.min(n - i, Math.floor((regionLast(reg) + 1 - ua) / pg));
      win.runs.insert({ start: iova + i * pg, last: iova + (i + k - 1) * pg, vaddr: ua, perm, region: reg });
      if (reg !== null) reg.mappedTces += k;
      i += k;
    }
    this.tces += n;
    if (this.tces > this.tcesPeak) this.tcesPeak = this.tces;
  }

  /**
   * tce_iommu_clear of the TCEs at bus addresses first..last (both TCE starts): live TCEs go (v1
   * unpins, v2 drops the region's mapped count); returns the TCEs cleared.
   */
  private clear(win: TceWindow, first: number, last: number): number {
    const pg = win.pageSize;
    let cleared = 0;
    let run = win.runs.firstOverlap(first, last);
    while (run !== undefined && run.start <= last) {
      const next = win.runs.next(run);
      win.runs.delete(run);
      if (run.start < first) win.runs.insert({ ...run, last: first - pg });
      if (run.last > last) win.runs.insert({ ...run, start: last + pg, vaddr: run.vaddr + (last + pg - run.start) });
      const k = (Math.min(run.last, last) - Math.max(run.start, first)) / pg + 1;
      if (run.region !== null) run.region.mappedTces -= k;
      cleared += k;
      run = next;
    }
    this.tces -= cleared;
    if (this.version === 1) this.pinnedPages -= cleared;
    return cleared;
  }

  /** Removes the default window this call created before failing (the kernel keeps it; see the header). */
  private undoDefaultWindow(wasPending: boolean): void {
    const win = this.windows[0];
    if (!wasPending || this.defaultWindowPending || win == null) return;
    this.process.unlock(win.tablePages);
    this.windows[0] = null;
    this.windowsCreated--;
    this.defaultWindowPending = true;
  }

  /** tce_iommu_create_default_window: a 4K window of tce32 size in slot 0, once, on the first use. */
  private createDefaultWindow(): number {
    if (!this.defaultWindowPending) return OK;
    const rc = this.addWindow(12, this.platform.tce32SizeBytes, 1);
    if (rc === OK) this.defaultWindowPending = false;
    return rc;
  }

  /**
   * tce_iommu_create_window: first free slot (-ENOSPC), page size supported (-EINVAL), table size
   * (pnv_pci_ioda2_get_table_size; 0 = -EINVAL) charged to locked_vm (-ENOMEM), then the platform's
   * create_table. The kernel keeps the charge when create_table fails; the lab gives it back.
   */
  private addWindow(pageShift: number, windowSize: number, levels: number): number {
    const slot = this.windows.indexOf(null);
    if (slot < 0 || slot >= MAX_TABLES) return ENOSPC;
    if (!this.platform.pageShifts.includes(pageShift)) return EINVAL;
    const tableBytes = spaprTableBytes(pageShift, windowSize, levels, this.platform.maxLevels, this.platform.hostPageShift);
    if (tableBytes === 0) return EINVAL;
    const pages = this.hostPagesAsLabPages(tableBytes);
    if (!this.process.tryLock(pages)) return ENOMEM;
    const rc = this.createTable(slot, pageShift, windowSize, levels);
    if (rc !== OK) {
      this.process.unlock(pages);
      return rc;
    }
    const win = this.newWindow(slot, pageShift, windowSize, levels, pages);
    this.windows[slot] = win;
    this.windowsCreated++;
    this.lastStartAddr = win.start;
    this.lastCostNs += this.costs.hostIotlbInvalidationNs;
    return OK;
  }

  /** The platform's create_table: a platform without DDW lends only slot 0 (spapr_tce_create_table: -EPERM). */
  private createTable(slot: number, pageShift: number, windowSize: number, levels: number): number {
    if (slot >= this.platform.maxWindows) return EPERM;
    // pnv_pci_ioda2_table_alloc_pages: TCE index bits plus page shift must stay below 55.
    const levelShift = Math.max(Math.ceil((Math.log2(windowSize) - pageShift) / levels) + 3, this.platform.hostPageShift);
    if ((levelShift - 3) * levels + pageShift >= 55) return EINVAL;
    if (this.faults.fail('alloc')) return ENOMEM;
    return OK;
  }

  private newWindow(slot: number, pageShift: number, sizeBytes: number, levels: number, tablePages: number): TceWindow {
    const pageSize = 2 ** pageShift;
    // pnv_pci_ioda2_create_table: bus offset tce32_start for slot 0, tce64_start otherwise;
    // start_addr = it_offset << it_page_shift.
    const base = slot === 0 ? this.platform.tce32Start : this.platform.ddwStart;
    const start = Math.floor(base / pageSize) * pageSize;
    return { slot, start, pageShift, pageSize, sizeBytes, levels, tablePages, runs: new IntervalMap<TceRun>() };
  }

  /** tce_iommu_find_table: the first window (by slot) whose TCE index range holds ioba. */
  private findWindow(ioba: number): TceWindow | null {
    for (const w of this.windows) if (w !== null && ioba >= w.start && ioba < w.start + w.sizeBytes) return w;
    return null;
  }
}
