// The TCE tables behind the DMA windows of one VFIO SPAPR TCE container on a PowerNV PE, and the PE's
// table group they live in: its geometry (SpaprPlatform, which GET_INFO reports, and whose host
// PAGE_SHIFT rounds every charge), table sizing (pnv_pci_ioda2_get_table_size), the platform's
// create_table checks (pnv_pci_ioda2_create_table, pnv_pci_ioda2_table_alloc_pages), finding the
// window of a bus address (tce_iommu_find_table), and the TCEs a window holds, kept as runs (one per
// MAP_DMA, split at region boundaries and where a clear cut it): the v2 check that registered memory
// backs them (tce_iommu_prereg_ua_to_hpa), writing them, and clearing them (tce_iommu_clear). Also
// each window's snapshot and invariants. Runs of one TCE (QEMU maps one IOMMU page per ioctl) are
// kept by index in a SingleTceTable, longer ones in an IntervalMap; the two never overlap, and
// snapshots and checks see them merged in address order. The IntervalMap-only version is the oracle
// of spaprTceWindows.modelBased.test.ts (spaprTceWindowsReference.testkit.ts).
// Must not: check ioctl arguments, charge or give back locked memory, pin pages, count costs or keep
// the container's counters (spaprTceContainer.ts does all of that and calls these on checked input).

import type { FaultInjector } from '../../../sim/faultInjector';
import type { Scenario } from '../../../scenario/schema';
import { EINVAL, ENOMEM, EPERM, OK } from '../../base/errno';
import { PAGE_SIZE, alignDown } from '../../base/pages';
import { IntervalMap } from '../../base/intervalMap';
import { type MmIommuMemList, type MmIommuRegion, regionLast } from './mmIommuMemList';
import { type SingleTce, SingleTceTable } from './singleTceTable';

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

/** The PE's table group as host.spapr describes it. */
export function spaprPlatformOf(scenario: Scenario): SpaprPlatform {
  const s = scenario.host.spapr;
  return {
    tce32Start: s.dma32WindowStart,
    tce32SizeBytes: s.dma32WindowSizeBytes,
    ddwStart: 2 ** s.ddwStartShift,
    pageShifts: s.pageShifts,
    maxLevels: s.maxLevels,
    maxWindows: s.maxWindows,
    hostPageShift: s.hostPageShift,
    // The table v1 borrows is a 4K-TCE table (IODA1, pSeries default window).
    tce32PageShift: 12,
  };
}

/** Lab (4 KiB) pages of `bytes >> PAGE_SHIFT` host kernel pages, as account_locked_vm charges them. */
export function spaprHostPagesAsLabPages(platform: SpaprPlatform, bytes: number): number {
  return alignDown(bytes, 2 ** platform.hostPageShift) / PAGE_SIZE;
}

/** VFIO_IOMMU_SPAPR_INFO_DDW. */
export const SPAPR_INFO_DDW = 1;

/** VFIO_IOMMU_SPAPR_TCE_GET_INFO. */
export interface SpaprTceInfo {
  readonly dma32WindowStart: number;
  readonly dma32WindowSize: number;
  readonly flags: number;
  /** Only with VFIO_IOMMU_SPAPR_INFO_DDW (v2). */
  readonly ddw: { readonly pgsizes: number; readonly maxDynamicWindowsSupported: number; readonly levels: number } | null;
}

/** The table group's dma32 window, plus its DDW capabilities when `ddw` (what VFIO_IOMMU_SPAPR_TCE_GET_INFO reports). */
export function spaprTableGroupInfo(p: SpaprPlatform, ddw: boolean): SpaprTceInfo {
  return {
    dma32WindowStart: p.tce32Start,
    dma32WindowSize: p.tce32SizeBytes,
    flags: ddw ? SPAPR_INFO_DDW : 0,
    ddw: ddw
      ? { pgsizes: p.pageShifts.reduce((m, s) => m + 2 ** s, 0), maxDynamicWindowsSupported: p.maxWindows, levels: p.maxLevels }
      : null,
  };
}

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

/**
 * A run of consecutive TCEs written by one MAP_DMA (split when partly cleared or overwritten). `last`
 * is the bus address of the last TCE, not the last byte: page-aligned values stay exact near 2^59,
 * where `x - 1` would round.
 */
export interface TceRun {
  readonly start: number;
  readonly last: number;
  readonly vaddr: number;
  readonly perm: number;
  /** v2: the pre-registered region backing it; v1: null (each TCE pins one page). */
  readonly region: MmIommuRegion | null;
}

export interface TceWindow {
  readonly slot: number;
  readonly start: number;
  readonly pageShift: number;
  readonly pageSize: number;
  readonly sizeBytes: number;
  readonly levels: number;
  /** Locked pages charged for the table (0 for v1's borrowed platform table). */
  readonly tablePages: number;
  /** Runs of two TCEs or more. */
  readonly runs: IntervalMap<TceRun>;
  /** Runs of one TCE, by index ((bus address - start) / pageSize). */
  readonly singles: SingleTceTable;
}

/** The platform's create_table: a platform without DDW lends only slot 0 (spapr_tce_create_table: -EPERM). */
export function spaprPlatformCreateTable(
  platform: SpaprPlatform,
  faults: FaultInjector,
  slot: number,
  pageShift: number,
  windowSize: number,
  levels: number,
): number {
  if (slot >= platform.maxWindows) return EPERM;
  // pnv_pci_ioda2_table_alloc_pages: TCE index bits plus page shift must stay below 55.
  const levelShift = Math.max(Math.ceil((Math.log2(windowSize) - pageShift) / levels) + 3, platform.hostPageShift);
  if ((levelShift - 3) * levels + pageShift >= 55) return EINVAL;
  if (faults.fail('alloc')) return ENOMEM;
  return OK;
}

export function tceWindowNew(
  platform: SpaprPlatform,
  slot: number,
  pageShift: number,
  sizeBytes: number,
  levels: number,
  tablePages: number,
): TceWindow {
  const pageSize = 2 ** pageShift;
  // pnv_pci_ioda2_create_table: bus offset tce32_start for slot 0, tce64_start otherwise;
  // start_addr = it_offset << it_page_shift.
  const base = slot === 0 ? platform.tce32Start : platform.ddwStart;
  const start = Math.floor(base / pageSize) * pageSize;
  return {
    slot,
    start,
    pageShift,
    pageSize,
    sizeBytes,
    levels,
    tablePages,
    runs: new IntervalMap<TceRun>(),
    singles: new SingleTceTable(),
  };
}

/** tce_iommu_find_table: the first window (by slot) whose TCE index range holds ioba. */
export function tceWindowFind(windows: readonly (TceWindow | null)[], ioba: number): TceWindow | null {
  for (const w of windows) if (w !== null && ioba >= w.start && ioba < w.start + w.sizeBytes) return w;
  return null;
}

/**
 * tce_iommu_build_v2 via tce_iommu_prereg_ua_to_hpa: every IOMMU page must lie in one registered
 * region (mm_iommu_lookup) whose pageshift covers it (mm_iommu_ua_to_hpa), else -EINVAL. With THP
 * or base pages mem->pageshift is PAGE_SHIFT, so TCEs above it need hugetlbfs (tce_page_is_contained
 * cannot fail after that check). A table with indirect levels allocates them on demand (-ENOMEM).
 */
export function tceWindowCheckPreregistered(win: TceWindow, mm: MmIommuMemList, faults: FaultInjector, vaddr: number, n: number): number {
  const pg = win.pageSize;
  for (let i = 0; i < n;) {
    const ua = vaddr + i * pg;
    const reg = mm.lookup(ua, pg);
    if (reg === null || win.pageShift > reg.pageShift) return EINVAL;
    i += Math.min(n - i, Math.floor((regionLast(reg) + 1 - ua) / pg));
  }
  if (n > 0 && win.levels > 1 && faults.fail('alloc')) return ENOMEM;
  return OK;
}

/**
 * Writes n TCEs from iova on, backed by vaddr on: v2 (`mm` given) splits them at region boundaries
 * and counts them against each region; v1 (`mm` null) keeps one run.
 */
export function tceWindowInsert(win: TceWindow, mm: MmIommuMemList | null, iova: number, vaddr: number, n: number, perm: number): void {
  const pg = win.pageSize;
  for (let i = 0; i < n;) {
    const ua = vaddr + i * pg;
    const reg = mm !== null ? mm.lookup(ua, pg)! : null;
    const k = reg === null ? n - i : Math.min(n - i, Math.floor((regionLast(reg) + 1 - ua) / pg));
    const start = iova + i * pg;
    if (k === 1) win.singles.set((start - win.start) / pg, ua, perm, reg);
    else {
      win.runs.insert({ start, last: iova + (i + k - 1) * pg, vaddr: ua, perm, region: reg });
      if (reg !== null) reg.mappedTces += k;
    }
    i += k;
  }
}

/**
 * The table half of tce_iommu_clear for the TCEs at bus addresses first..last (both TCE starts):
 * live TCEs go (v2 drops the region's mapped count); returns the TCEs cleared.
 */
export function tceWindowClear(win: TceWindow, first: number, last: number): number {
  const pg = win.pageSize;
  let cleared = win.singles.clear((first - win.start) / pg, (last - win.start) / pg);
  if (win.runs.size === 0) return cleared;
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
  return cleared;
}

/** Every run of the window, one-TCE runs included, in address order. */
export function tceWindowRuns(w: TceWindow): TceRun[] {
  const out: TceRun[] = [];
  const singles = w.singles.entries();
  let s = 0;
  for (const r of w.runs.values()) {
    for (; s < singles.length && w.start + singles[s]!.index * w.pageSize < r.start; s++) out.push(singleRun(w, singles[s]!));
    out.push(r);
  }
  for (; s < singles.length; s++) out.push(singleRun(w, singles[s]!));
  return out;
}

function singleRun(w: TceWindow, e: SingleTce): TceRun {
  const start = w.start + e.index * w.pageSize;
  return { start, last: start, vaddr: e.vaddr, perm: e.perm, region: e.region };
}

export function tceWindowSnapshot(w: TceWindow): unknown {
  return {
    slot: w.slot,
    start: w.start,
    pageShift: w.pageShift,
    sizeBytes: w.sizeBytes,
    levels: w.levels,
    tablePages: w.tablePages,
    runs: tceWindowRuns(w).map((r) => ({
      start: r.start,
      last: r.last,
      vaddr: r.vaddr,
      perm: r.perm,
      region: r.region?.ua ?? null,
    })),
  };
}

/** Appends the window's broken invariants to `problems`; returns the live TCEs it holds. */
export function tceWindowCheck(w: TceWindow, version: 1 | 2, maxWindows: number, mm: MmIommuMemList, problems: string[]): number {
  let tces = 0;
  if (w.slot >= maxWindows) problems.push(`window in slot ${w.slot} exceeds maxWindows`);
  for (const r of tceWindowRuns(w)) {
    tces += (r.last - r.start) / w.pageSize + 1;
    if (r.start < w.start || r.last + w.pageSize > w.start + w.sizeBytes) problems.push(`TCEs at ${r.start} lie outside window ${w.slot}`);
    if (r.start % w.pageSize !== 0 || r.last % w.pageSize !== 0) problems.push(`TCE run at ${r.start} is not page aligned`);
    if (version === 1 && r.region !== null) problems.push(`v1 TCEs at ${r.start} reference a registered region`);
    if (version === 2) problems.push(...tceRunBackingProblems(mm, w, r));
  }
  return tces;
}

function tceRunBackingProblems(mm: MmIommuMemList, w: TceWindow, r: TceRun): string[] {
  const reg = r.region;
  if (reg === null) return [`v2 TCEs at ${r.start} have no registered region`];
  const problems: string[] = [];
  if (!mm.has(reg)) problems.push(`v2 TCEs at ${r.start} point into an unregistered region`);
  if (r.vaddr < reg.ua || r.vaddr + (r.last - r.start) + w.pageSize > reg.ua + reg.sizeBytes)
    problems.push(`v2 TCEs at ${r.start} run past their region`);
  if (w.pageShift > reg.pageShift) problems.push(`v2 TCEs at ${r.start} use pages larger than their region backs`);
  return problems;
}
