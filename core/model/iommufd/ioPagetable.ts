// The io_pagetable of one iommufd IOAS (drivers/iommu/iommufd/io_pagetable.c): its areas,
// reserved and allowed IOVA (IommufdIovaSpace), its domains (IommufdDomains), the window extension
// (IommufdWindows), its IOVA alignment and huge-page setting, and what changes them: mapping pages
// objects at a fixed or allocated IOVA (iopt_map_pages, iopt_alloc_iova), unmapping
// (iopt_unmap_iova, iopt_unmap_all), the pages behind a range for IOAS_COPY (iopt_get_pages) and
// the alignment rules, with the pinning, locked-memory charge and domain writes they cause and
// their simulated cost. Checks run in the kernel's order so the first failing rule gives the
// kernel's errno. Adding a domain is iommufdDomainAttach.ts.
// All or nothing: every failure, including an injected allocation/pin/iommu_map fault, leaves
// areas, pins, locked memory, PTEs and reservations as they were. One kernel exception is kept:
// IOAS_UNMAP walks areas in IOVA order and fails with -ENOENT at the first area only partly inside
// the range, after removing the fully covered areas before it (iopt_unmap_iova_range).
// Must not: check ioctl arguments or count ioctls (the IOAS object, iommufdIoas.ts, does).

import type { CostTable } from '../../sim/costTable';
import type { FaultInjector } from '../../sim/faultInjector';
import { EADDRINUSE, EEXIST, EFAULT, EINVAL, ENOENT, ENOMEM, ENOSPC, EOVERFLOW, EPERM, OK } from '../base/errno';
import type { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE, isAligned, pagesSpanned } from '../base/pages';
import { lowestSetBit, roundUpPowerOfTwo, U64_END } from '../base/bits';
import { IommufdDomains, NO_PTES } from './iommufdDomains';
import { lastBefore, wrapsU64 } from './iommufdIovaSpan';
import { IommufdIovaSpace } from './iommufdIovaSpace';
import { IommufdPages, areaUptr, type IommufdArea, type IommufdPinAccount } from './iommufdPages';
import { IommufdWindows, NO_WINDOW_FITS } from './iommufdWindows';

export interface IoPagetableDeps {
  readonly process: HostProcess;
  readonly costs: CostTable;
  readonly faults: FaultInjector;
  /** The context's pin account (shared by every IOAS of one iommufd file). */
  readonly account: IommufdPinAccount;
  /** The DMA-window extension (reference 001) is on. */
  readonly dmaWindows: boolean;
  /** HPAGE_SIZE when CONFIG_TRANSPARENT_HUGEPAGE (x86 2 MiB, s390 1 MiB), else PAGE_SIZE: the cap on automatic IOVA alignment. */
  readonly maxAutoAlignBytes: number;
}

/** One slice of a pages object to map (struct iopt_pages_list). */
export interface PagesSlice {
  readonly pages: IommufdPages;
  readonly startByte: number;
  readonly length: number;
}

export class IoPagetable {
  /** Why the last refused call was refused (the check that failed), or null; reset by the IOAS at each call. */
  lastWhy: string | null = null;

  readonly space = new IommufdIovaSpace();
  readonly domains: IommufdDomains;
  readonly windows: IommufdWindows | null;
  /** iopt->iova_alignment: 1 until a domain (or disabling huge pages) raises it. */
  iovaAlignment = 1;
  /** iopt->disable_large_pages (IOMMU_OPTION_HUGE_PAGES = 0, or VFIO type1 v1 compat). */
  largePagesDisabled = false;
  areasPeak = 0;

  /** IOVA chosen or used by the last successful map. */
  lastIova = 0;
  /** Bytes removed by the last unmap (also set when it failed part way). */
  lastUnmappedBytes = 0;
  /** Cost accumulator of the call in progress (the IOAS starts it with the ioctl's fixed cost); the domains keep their own. */
  costNs = 0;

  constructor(readonly deps: IoPagetableDeps) {
    this.domains = new IommufdDomains(deps.process, deps.faults, deps.costs);
    this.windows = deps.dmaWindows ? new IommufdWindows() : null;
  }

  get areaCount(): number {
    return this.space.areas.size;
  }

  areas(): IterableIterator<IommufdArea> {
    return this.space.areas.values();
  }

  /**
   * iopt_map_user_pages: a new pages object for [uptr, uptr + length) mapped at `iova` (null =
   * automatic). No ioctl-level checks; used by IOAS_MAP and by the VFIO compat MAP_DMA.
   */
  mapUserPages(iova: number | null, uptr: number, length: number, read: boolean, write: boolean): number {
    // iopt_alloc_user_pages / iopt_alloc_pages
    if (uptr + length >= U64_END) return this.no(EOVERFLOW, 'user address + length overflows (iopt_alloc_user_pages)');
    if (length === 0 || length >= U64_END - PAGE_SIZE) return this.no(EINVAL, 'length is 0 or too large (iopt_alloc_pages)');
    if (this.deps.faults.fail('alloc')) return this.no(ENOMEM, 'allocating the pages object failed (injected fault)');
    const pageOffset = uptr % PAGE_SIZE;
    const pages = new IommufdPages(uptr - pageOffset, pagesSpanned(uptr, length), write);
    return this.mapPages([{ pages, startByte: pageOffset, length }], length, iova, read, write, null);
  }

  /**
   * iopt_unmap_iova: removes the areas inside [iova, iova + length) in IOVA order; -ENOENT at the
   * first area only partly inside (areas are never split), keeping the removals before it, as the
   * kernel does. An empty range succeeds with 0 bytes. Bytes -> lastUnmappedBytes.
   */
  unmapIova(iova: number, length: number): number {
    this.lastUnmappedBytes = 0;
    if (length === 0) return this.no(EINVAL, 'length is 0');
    if (wrapsU64(iova, length)) return this.no(EOVERFLOW, 'iova + length wraps past 2^64');
    const end = iova + length;
    if (this.windows !== null && this.windows.fitting(iova, end) === undefined)
      return this.no(EINVAL, 'the range is not inside one DMA window');
    let bytes = 0;
    for (let a = this.space.firstArea(iova, end); a !== undefined; a = this.space.firstArea(iova, end)) {
      if (a.start < iova || a.end > end) {
        this.lastUnmappedBytes = bytes;
        // iopt_unmap_iova_range: areas are never split.
        return this.no(
          ENOENT,
          `the area [${hex(a.start)}, ${hex(a.end)}) lies only partly inside the range (iommufd never splits an area)`,
        );
      }
      bytes += a.end - a.start;
      this.removeArea(a);
    }
    this.lastUnmappedBytes = bytes;
    return OK;
  }

  /** Records why a call is refused and returns its errno. */
  no(rc: number, why: string): number {
    this.lastWhy = why;
    return rc;
  }

  /** iopt_unmap_all: removes every area; bytes -> lastUnmappedBytes. */
  unmapAll(): void {
    let bytes = 0;
    for (let a = this.space.areas.first(); a !== undefined; a = this.space.areas.first()) {
      bytes += a.end - a.start;
      this.removeArea(a);
    }
    this.lastUnmappedBytes = bytes;
  }

  /** Removes the areas inside [start, end) (they must be whole), returning their bytes. */
  removeAreasIn(start: number, end: number): number {
    let bytes = 0;
    for (let a = this.space.firstArea(start, end); a !== undefined; a = this.space.firstArea(start, end)) {
      bytes += a.end - a.start;
      this.removeArea(a);
    }
    return bytes;
  }

  /**
   * iopt_get_pages: the slices of the areas that exactly tile [iova, iova + length) from the area
   * containing iova onwards (iopt_for_each_contig_area); -ENOENT on any gap.
   */
  getPages(iova: number, length: number, out: PagesSlice[]): number {
    if (length === 0) return this.no(EINVAL, 'length is 0');
    if (wrapsU64(iova, length)) return this.no(EOVERFLOW, 'iova + length wraps past 2^64');
    const end = iova + length;
    if (this.windows !== null && this.windows.containing(iova, end) === undefined)
      return this.no(EINVAL, 'the source range is not inside one DMA window');
    let cur = iova;
    let area = this.space.areas.containing(iova);
    while (area !== undefined && area.start <= cur) {
      if (this.deps.faults.fail('alloc')) return this.no(ENOMEM, 'allocating a pages slice failed (injected fault)');
      const sliceEnd = Math.min(end, area.end);
      out.push({ pages: area.pages, startByte: area.startByte + (cur - area.start), length: sliceEnd - cur });
      if (sliceEnd >= end) return OK;
      cur = sliceEnd;
      area = this.space.areas.next(area);
    }
    return this.no(ENOENT, `the source range has no mapping at ${hex(cur)} (iopt_get_pages needs contiguous areas)`);
  }

  /**
   * iopt_map_pages: one new area per slice, placed contiguously at `iova` (null = automatic).
   * `copyPageSize` (window extension) = the page size of the source window of a COPY.
   */
  mapPages(
    slices: readonly PagesSlice[],
    length: number,
    iova: number | null,
    read: boolean,
    write: boolean,
    copyPageSize: number | null,
  ): number {
    for (let i = 0; i < slices.length; i++)
      if (this.deps.faults.fail('alloc')) return this.no(ENOMEM, 'allocating an area failed (injected fault)');
    if (length === 0 || !isAligned(length, this.iovaAlignment))
      return this.no(EINVAL, `length is 0 or not a multiple of the IOAS alignment (${this.iovaAlignment} bytes)`);
    let rc: number;
    if (iova === null) {
      const first = slices[0]!;
      rc = this.allocIova(first.pages.uptrBase + first.startByte, length, copyPageSize);
    } else {
      rc = this.space.checkFixed(iova, length, this.iovaAlignment);
      if (rc !== OK) this.lastWhy = fixedWhy(rc, this.iovaAlignment);
      if (rc === OK && this.windows !== null) {
        const w = this.windows.fitting(iova, iova + length);
        if (w === undefined || (copyPageSize !== null && w.pageSize !== copyPageSize))
          rc = this.no(
            EINVAL,
            w === undefined ? 'the range is not inside one DMA window' : 'the destination window has another page size than the source',
          );
      }
      this.lastIova = iova;
    }
    if (rc !== OK) return rc;
    const areas: IommufdArea[] = [];
    let at = this.lastIova;
    for (const s of slices) {
      // iopt_insert_area
      if (write && !s.pages.writable) return this.no(EPERM, 'a writable mapping of pages pinned read-only');
      if (!isAligned(s.startByte % PAGE_SIZE, this.iovaAlignment))
        return this.no(EINVAL, `the user address is not aligned to the IOAS alignment (${this.iovaAlignment} bytes)`);
      const end = at + s.length;
      areas.push({
        start: at,
        last: lastBefore(end),
        end,
        pages: s.pages,
        startByte: s.startByte,
        read,
        write,
        ptes: NO_PTES,
        holdsPins: false,
      });
      at = end;
    }
    for (let i = 0; i < areas.length; i++) {
      rc = this.fillArea(areas[i]!);
      if (rc !== OK) {
        for (let j = 0; j < i; j++) this.unfillArea(areas[j]!);
        return rc;
      }
    }
    for (const a of areas) {
      this.space.insertArea(a);
      this.deps.account.addUser(a);
    }
    if (this.space.areas.size > this.areasPeak) this.areasPeak = this.space.areas.size;
    return OK;
  }

  /**
   * iopt_alloc_iova: alignment min(roundup_pow_of_two(length), lowest set bit of the user
   * address) capped at the huge page size; -EINVAL below the IOAS alignment; first fit -> lastIova.
   */
  private allocIova(uptr: number, length: number, copyPageSize: number | null): number {
    if (length === 0 || length >= U64_END / 2) return this.no(EOVERFLOW, 'length is 0 or at least 2^63');
    let align = uptr === 0 ? roundUpPowerOfTwo(length) : Math.min(roundUpPowerOfTwo(length), lowestSetBit(uptr));
    if (align >= this.deps.maxAutoAlignBytes) align = this.deps.maxAutoAlignBytes;
    if (align < this.iovaAlignment)
      return this.no(
        EINVAL,
        `the natural alignment of the user address (${align} bytes) is below the IOAS alignment (${this.iovaAlignment} bytes)`,
      );
    const pageOffset = uptr % PAGE_SIZE;
    let iova: number;
    if (this.windows === null) {
      iova = this.space.findFit(this.space.autoSpans(), length, align, pageOffset);
    } else {
      iova = this.windows.findFit(this.space, length, align, pageOffset, copyPageSize);
      if (iova === NO_WINDOW_FITS) return this.no(EINVAL, 'no DMA window fits the length');
    }
    if (iova < 0) return this.no(ENOSPC, `no free IOVA hole of ${length} bytes aligned to ${align} bytes (iopt_alloc_iova)`);
    this.lastIova = iova;
    return OK;
  }

  /** iopt_enable_large_pages: the alignment falls back to the domains' smallest page. */
  enableLargePages(): number {
    this.largePagesDisabled = false;
    this.iovaAlignment = this.requiredAlignment();
    return OK;
  }

  /** iopt_disable_large_pages: -EINVAL once a domain has areas; alignment at least PAGE_SIZE, -EADDRINUSE if an area is misaligned. */
  disableLargePages(): number {
    if (this.largePagesDisabled) return OK;
    if (this.domains.count > 0 && this.areaCount > 0) return EINVAL;
    this.largePagesDisabled = true;
    const next = this.requiredAlignment();
    if (next > this.iovaAlignment && !this.areasAlignedTo(next)) {
      this.largePagesDisabled = false;
      return EADDRINUSE;
    }
    this.iovaAlignment = next;
    return OK;
  }

  /** iopt_calculate_iova_alignment: PAGE_SIZE with huge pages off, else 1; raised to every domain's smallest page. */
  requiredAlignment(): number {
    return Math.max(this.largePagesDisabled ? PAGE_SIZE : 1, this.domains.minPageAlignment());
  }

  /** Whether every area conforms to `alignment` (iopt_check_iova_alignment). */
  areasAlignedTo(alignment: number): boolean {
    for (const a of this.space.areas.values()) {
      if (!isAligned(a.start, alignment) || !isAligned(a.end - a.start, alignment) || !isAligned(a.startByte % PAGE_SIZE, alignment))
        return false;
    }
    return true;
  }

  /** Pins (when the IOAS has a domain) and writes a new area into every domain; undone on failure. */
  private fillArea(area: IommufdArea): number {
    if (this.domains.count === 0) return OK;
    const memlockFailures = this.deps.process.memlockFailures;
    const rc = this.holdPins(area);
    if (rc !== OK) {
      // Device memory (a VM_PFNMAP BAR): the account says which kernel behaviour refused it.
      const why = this.deps.account.lastWhy;
      if (why !== null && this.deps.process.pfnmapBytes(areaUptr(area), area.end - area.start) > 0) return this.no(rc, why);
      if (rc === EFAULT) return this.no(rc, 'a page of the user range is not mapped in the process');
      if (this.deps.process.memlockFailures > memlockFailures)
        return this.no(
          rc,
          `RLIMIT_MEMLOCK (${String(this.deps.process.memlockLimitBytes)} bytes) exceeded while pinning (iopt_area_fill_domains)`,
        );
      return this.no(rc, 'pinning the pages failed (injected fault)');
    }
    const mapped = this.domains.fill(area, this.largePagesDisabled);
    if (mapped !== OK) {
      this.releasePins(area);
      this.lastWhy = 'iommu_map into a domain failed (injected fault)';
    }
    return mapped;
  }

  private unfillArea(area: IommufdArea): void {
    if (this.domains.count === 0) return;
    this.domains.unfill(area);
    this.releasePins(area);
  }

  holdPins(area: IommufdArea): number {
    const rc = this.deps.account.hold(area);
    if (rc !== OK && this.deps.account.lastWhy !== null) this.lastWhy = this.deps.account.lastWhy;
    this.costNs += this.deps.account.lastPagesChanged * this.deps.costs.vfioPinPerPageNs;
    return rc;
  }

  releasePins(area: IommufdArea): void {
    this.deps.account.release(area);
    this.costNs += this.deps.account.lastPagesChanged * this.deps.costs.vfioUnpinPerPageNs;
  }

  /** Takes a committed area out: domains, pins, pages reference, IOVA. */
  private removeArea(area: IommufdArea): void {
    this.unfillArea(area);
    this.deps.account.removeUser(area);
    this.space.removeArea(area);
  }
}

function hex(n: number): string {
  return '0x' + n.toString(16);
}

/** Why iopt_check_iova (a fixed IOVA) refused. */
function fixedWhy(rc: number, alignment: number): string {
  if (rc === EEXIST) return 'the range overlaps an existing area';
  if (rc === EOVERFLOW) return 'iova + length wraps past 2^64';
  return `the IOVA is not aligned to the IOAS alignment (${alignment} bytes) or hits a reserved range`;
}
