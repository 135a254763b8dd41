// The VFIO SPAPR TCE IOMMU backend (drivers/vfio/vfio_iommu_spapr_tce.c), v1 and v2, over one PowerNV
// PE: its DMA windows (TCE tables), the TCEs QEMU writes with MAP/UNMAP_DMA, and what the container
// charges to locked memory. The pre-registered memory v2 containers share (MmIommuMemList) is in
// mmIommuMemList.ts; the TCE tables behind the windows and the TCE runs in them in spaprTceWindows.ts.
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

import type { CostTable } from '../../../sim/costTable';
import type { FaultInjector } from '../../../sim/faultInjector';
import type { LayerInstance, LimitUsage } from '../../base/layerInstance';
import { addMetric, maxMetric, type MetricMap } from '../../../sim/metricSink';
import { EBUSY, EFAULT, EINVAL, ENOENT, ENOMEM, ENOSPC, ENOTTY, ENXIO, EPERM, OK } from '../../base/errno';
import type { HostProcess } from '../../host/hostProcess';
import { PAGE_SIZE } from '../../base/pages';
import type { MmIommuMemList, MmIommuRegion } from './mmIommuMemList';
import {
  spaprHostPagesAsLabPages,
  type SpaprPlatform,
  spaprPlatformCreateTable,
  spaprTableBytes,
  spaprTableGroupInfo,
  type SpaprTceInfo,
  type TceWindow,
  tceWindowCheck,
  tceWindowCheckPreregistered,
  tceWindowClear,
  tceWindowFind,
  tceWindowInsert,
  tceWindowNew,
  tceWindowSnapshot,
} from './spaprTceWindows';
import { isMultipleOfPow2, U64_END } from '../../base/bits';

// Moved out when this file was split; re-exported so its existing importers (core/model/ppc/*) keep working.
export { MmIommuMemList, type MmIommuRegion } from './mmIommuMemList';
export { SPAPR_INFO_DDW, type SpaprPlatform, spaprTableBytes, type SpaprTceInfo } from './spaprTceWindows';

/** VFIO_IOMMU_MAP_DMA flags (include/uapi/linux/vfio.h); TCE_PCI_READ/WRITE use the same bits. */
export const SPAPR_MAP_READ = 1;
export const SPAPR_MAP_WRITE = 2;

const MAX_TABLES = 2;

/** tce_iommu_ioctl answers -EPERM until ENABLE (v1) or a pre-registration (v2). */
const NOT_ENABLED = 'the container is not enabled (v1: VFIO_IOMMU_ENABLE; v2: REGISTER_MEMORY first)';

function hex(n: number): string {
  return '0x' + n.toString(16);
}

export class SpaprTceContainer implements LayerInstance {
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
  /** Most pages charged at once (ENABLE plus tables): a statistic for the limits answer. */
  private chargedPeak = 0;

  lastCostNs = 0;
  /** Why the last refused ioctl was refused (the check that failed), or null. */
  lastWhy: string | null = null;
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
    if (version === 1) this.windows[0] = tceWindowNew(platform, 0, platform.tce32PageShift, platform.tce32SizeBytes, 1, 0);
  }

  get liveTces(): number {
    return this.tces;
  }

  /** VFIO_IOMMU_ENABLE (v1 only): charge the whole default window to locked memory (tce_iommu_enable). */
  enable(): number {
    this.lastCostNs = this.costs.vfioMapIoctlNs;
    this.lastWhy = null;
    if (this.version === 2) return this.no(ENOTTY, 'VFIO_IOMMU_ENABLE is a v1 ioctl; v2 containers enable by pre-registering memory');
    if (this.enabled) return this.no(EBUSY, 'the container is already enabled');
    const pages = spaprHostPagesAsLabPages(this.platform, this.platform.tce32SizeBytes);
    if (!this.process.tryLock(pages)) return this.no(ENOMEM, this.memlockWhy('charging the default window at ENABLE'));
    this.mmSet = true;
    this.enablePages = pages;
    this.enabled = true;
    this.chargedPeak = Math.max(this.chargedPeak, this.chargedPages);
    return OK;
  }

  /** VFIO_IOMMU_SPAPR_REGISTER_MEMORY (v2): tce_iommu_register_pages. */
  registerMemory(vaddr: number, size: number, flags = 0): number {
    this.lastCostNs = this.costs.vfioMapIoctlNs;
    this.lastWhy = null;
    if (this.version === 1) return this.no(ENOTTY, 'v2-only ioctl on a v1 (VFIO_SPAPR_TCE_IOMMU) container');
    if (flags !== 0) return this.no(EINVAL, 'flags must be 0');
    const sys = 2 ** this.platform.hostPageShift;
    if (vaddr % sys !== 0 || size % sys !== 0 || vaddr + size >= U64_END)
      return this.no(EINVAL, `vaddr or size is not a multiple of the host page (${sys} bytes), or the range wraps`);
    // A zero-size region gets no hpas array: vzalloc(0) fails, so mm_iommu_new answers -ENOMEM.
    if (size === 0) return this.no(ENOMEM, 'a zero-size region gets no hpas array (vzalloc(0) fails in mm_iommu_new)');
    let region = this.mm.get(vaddr, size);
    if (region !== null && this.prereg.has(region)) {
      this.mm.put(region);
      return this.no(EBUSY, 'the region is already pre-registered by this container');
    }
    if (region === null) {
      const chunk = this.process.chunkBytes;
      const memlockFailures = this.process.memlockFailures;
      const created = this.mm.create(vaddr, size, chunk, this.process.config.backing.startsWith('hugepages'));
      if (typeof created === 'number') return this.no(created, this.regionWhy(created, memlockFailures));
      region = created;
      this.lastCostNs += (size / PAGE_SIZE) * this.costs.vfioPinPerPageNs;
    }
    if (this.faults.fail('alloc')) {
      this.mm.put(region);
      return this.no(ENOMEM, 'allocating the container region failed (injected fault)');
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
    this.lastWhy = null;
    if (this.version === 1) return this.no(ENOTTY, 'v2-only ioctl on a v1 (VFIO_SPAPR_TCE_IOMMU) container');
    if (!this.mmSet) return this.no(EPERM, 'nothing was pre-registered by this container (container->mm not set)');
    const sys = 2 ** this.platform.hostPageShift;
    if (flags !== 0 || vaddr % sys !== 0 || size % sys !== 0)
      return this.no(EINVAL, `flags are not 0, or vaddr or size is not a multiple of the host page (${sys} bytes)`);
    const region = this.mm.get(vaddr, size);
    if (region === null) return this.no(ENOENT, 'no pre-registered region has exactly this vaddr and size (mm_iommu_get)');
    let rc: number = ENOENT;
    this.lastWhy = 'this container did not pre-register the region';
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
    this.lastWhy = null;
    if (this.version === 1) return this.no(ENOTTY, 'v2-only ioctl on a v1 (VFIO_SPAPR_TCE_IOMMU) container');
    if (flags !== 0) return this.no(EINVAL, 'flags must be 0');
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
    this.lastWhy = null;
    if (this.version === 1) return this.no(ENOTTY, 'v2-only ioctl on a v1 (VFIO_SPAPR_TCE_IOMMU) container');
    if (flags !== 0) return this.no(EINVAL, 'flags must be 0');
    if (this.defaultWindowPending && startAddr === 0) {
      this.defaultWindowPending = false;
      this.mmSet = true;
      return OK;
    }
    const win = tceWindowFind(this.windows, startAddr);
    if (win === null) return this.no(EINVAL, `no window starts at ${hex(startAddr)}`);
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
    this.lastWhy = null;
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
    this.lastWhy = null;
    this.lastUnmappedBytes = 0;
    const pending = this.defaultWindowPending;
    const rc = this.unmapChecked(iova, size, flags);
    if (rc !== OK) this.undoDefaultWindow(pending);
    return rc;
  }

  private unmapChecked(iova: number, size: number, flags: number): number {
    if (!this.enabled) return this.no(EPERM, NOT_ENABLED);
    if (flags !== 0) return this.no(EINVAL, 'flags must be 0');
    const rc = this.createDefaultWindow();
    if (rc !== OK) return rc;
    const win = tceWindowFind(this.windows, iova);
    if (win === null) return this.no(ENXIO, `no DMA window holds iova ${hex(iova)} (iommu_tce_check_ioba)`);
    if (!isMultipleOfPow2(size, win.pageSize) || !isMultipleOfPow2(iova, win.pageSize))
      return this.no(EINVAL, `iova or size is not a multiple of the window's TCE page (${win.pageSize} bytes)`);
    if (iova + size > win.start + win.sizeBytes) return this.no(EINVAL, 'the range runs past the end of the window');
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
    this.lastWhy = null;
    return spaprTableGroupInfo(this.platform, this.version === 2 && this.platform.maxWindows > 0);
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'spapr.mapIoctls', this.mapIoctls);
    addMetric(into, 'spapr.unmapIoctls', this.unmapIoctls);
    addMetric(into, 'spapr.mapFailures', this.mapFailures);
    addMetric(into, 'spapr.windowsCreated', this.windowsCreated);
    maxMetric(into, 'spapr.tcesPeak', this.tcesPeak);
  }

  /** Its charges (ENABLE's whole default window on v1, each created table) and its live TCEs; TCEs have no dma_entry_limit. */
  limitUsage(): LimitUsage {
    return {
      id: `spapr-tce/${this.laneName}`,
      lockedPages: this.chargedPages,
      lockedPagesPeak: this.chargedPeak,
      entries: this.tces,
      entriesPeak: this.tcesPeak,
      entryLimit: null,
      entryLimitRefusals: 0,
    };
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
      windows: this.windows.map((w) => (w === null ? null : tceWindowSnapshot(w))),
    };
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    let tces = 0;
    for (const w of this.windows) if (w !== null) tces += tceWindowCheck(w, this.version, this.platform.maxWindows, this.mm, problems);
    if (tces !== this.tces) problems.push(`counted ${this.tces} live TCEs but the windows hold ${tces}`);
    if (this.pinnedPages !== (this.version === 1 ? tces : 0))
      problems.push(`pinned pages ${this.pinnedPages} do not match the live v1 TCEs`);
    if (
      this.enablePages !== (this.enabled && this.version === 1 ? spaprHostPagesAsLabPages(this.platform, this.platform.tce32SizeBytes) : 0)
    ) {
      problems.push('the ENABLE charge does not match the default window');
    }
    for (const r of this.prereg)
      if (!this.mm.has(r) || r.used < 1) problems.push(`pre-registered region at ${r.ua} is gone from the mm list`);
    if (this.defaultWindowPending && this.windows[0] !== null) problems.push('the default window is pending but slot 0 is taken');
    return problems;
  }

  private mapChecked(iova: number, vaddr: number, size: number, flags: number): number {
    if (!this.enabled) return this.no(EPERM, NOT_ENABLED);
    if ((flags & ~(SPAPR_MAP_READ | SPAPR_MAP_WRITE)) !== 0) return this.no(EINVAL, 'unknown MAP_DMA flags');
    const rc = this.createDefaultWindow();
    if (rc !== OK) return rc;
    const win = tceWindowFind(this.windows, iova);
    if (win === null) return this.no(ENXIO, `no DMA window holds iova ${hex(iova)} (iommu_tce_check_ioba)`);
    const pg = win.pageSize;
    if (!isMultipleOfPow2(size, pg) || !isMultipleOfPow2(vaddr, pg))
      return this.no(EINVAL, `size or vaddr is not a multiple of the window's TCE page (${pg} bytes)`);
    if ((flags & (SPAPR_MAP_READ | SPAPR_MAP_WRITE)) === 0) return this.no(EINVAL, 'neither READ nor WRITE');
    // iommu_tce_put_param_check: the kernel ORs two checks into a boolean, so a misaligned IOVA
    // makes the ioctl return 1 rather than -EINVAL; the lab answers EINVAL
    // (docs/model.md#divergences-and-assumptions).
    if (!isMultipleOfPow2(iova, pg)) return this.no(EINVAL, `iova is not a multiple of the window's TCE page (${pg} bytes)`);
    // iommu_tce_check_ioba checks only the first TCE; a range running past the window would write
    // past the table. The lab refuses it.
    if (iova + size > win.start + win.sizeBytes) return this.no(EINVAL, 'the range runs past the end of the window');
    const n = size / pg;
    const built = this.version === 1 ? this.pinForBuild(vaddr, n, pg) : tceWindowCheckPreregistered(win, this.mm, this.faults, vaddr, n);
    if (built !== OK) return this.no(built, this.buildWhy(built, pg));
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

  private insertRuns(win: TceWindow, iova: number, vaddr: number, n: number, perm: number): void {
    tceWindowInsert(win, this.version === 2 ? this.mm : null, iova, vaddr, n, perm);
    this.tces += n;
    if (this.tces > this.tcesPeak) this.tcesPeak = this.tces;
  }

  /**
   * tce_iommu_clear of the TCEs at bus addresses first..last (both TCE starts): live TCEs go (v1
   * unpins, v2 drops the region's mapped count); returns the TCEs cleared.
   */
  private clear(win: TceWindow, first: number, last: number): number {
    const cleared = tceWindowClear(win, first, last);
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
    if (slot < 0 || slot >= MAX_TABLES)
      return this.no(ENOSPC, `both window slots are in use (IOMMU_TABLE_GROUP_MAX_TABLES = ${MAX_TABLES})`);
    if (!this.platform.pageShifts.includes(pageShift))
      return this.no(EINVAL, `TCE page shift ${pageShift} is not among the platform's page sizes (${this.platform.pageShifts.join(', ')})`);
    const tableBytes = spaprTableBytes(pageShift, windowSize, levels, this.platform.maxLevels, this.platform.hostPageShift);
    if (tableBytes === 0)
      return this.no(
        EINVAL,
        `no table for this window: size, levels (max ${this.platform.maxLevels}) or page shift out of range (pnv_pci_ioda2_get_table_size is 0)`,
      );
    const pages = spaprHostPagesAsLabPages(this.platform, tableBytes);
    if (!this.process.tryLock(pages)) return this.no(ENOMEM, this.memlockWhy(`charging the ${tableBytes}-byte TCE table`));
    const rc = spaprPlatformCreateTable(this.platform, this.faults, slot, pageShift, windowSize, levels);
    if (rc !== OK) {
      this.process.unlock(pages);
      return this.no(rc, 'the platform could not create the TCE table (create_table failed)');
    }
    const win = tceWindowNew(this.platform, slot, pageShift, windowSize, levels, pages);
    this.windows[slot] = win;
    this.windowsCreated++;
    this.chargedPeak = Math.max(this.chargedPeak, this.chargedPages);
    this.lastStartAddr = win.start;
    this.lastCostNs += this.costs.hostIotlbInvalidationNs;
    return OK;
  }

  private no(rc: number, why: string): number {
    this.lastWhy = why;
    return rc;
  }

  private memlockWhy(what: string): string {
    return `RLIMIT_MEMLOCK (${String(this.process.memlockLimitBytes)} bytes) exceeded ${what} (locked_vm already ${this.process.lockedPages * PAGE_SIZE} bytes)`;
  }

  /** Why mm_iommu_new refused a region. */
  private regionWhy(rc: number, memlockFailuresBefore: number): string {
    if (rc === EINVAL) return 'the range overlaps a pre-registered region of another size (mm_iommu_new)';
    if (rc === EFAULT) return 'a page of the region is not mapped in the process (mm_iommu_new)';
    if (this.process.memlockFailures > memlockFailuresBefore) return this.memlockWhy('charging the region (mm_iommu_new)');
    return 'allocating or pinning the region failed (injected fault)';
  }

  /** Why tce_iommu_build / tce_iommu_build_v2 refused the TCEs. */
  private buildWhy(rc: number, pg: number): string {
    if (this.version === 2)
      return rc === EINVAL
        ? `a page of the range is not in a pre-registered region whose pages are at least the TCE page (${pg} bytes; tce_iommu_prereg_ua_to_hpa)`
        : 'allocating a table level failed (injected fault)';
    if (rc === EPERM) return `the backing page is smaller than the TCE page (${pg} bytes; tce_page_is_contained)`;
    return 'a page of the range could not be pinned (not mapped in the process)';
  }
}
