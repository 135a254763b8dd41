// iopt_pages and iopt_area (drivers/iommu/iommufd/pages.c, io_pagetable.h): a pages object is
// the user range one IOAS_MAP named, pinned at most once however many areas use it; an area is
// one IOVA range of one IOAS looking at a slice of a pages object. IOAS_COPY makes new areas on
// the same pages object, so the copy costs no new pin and no new locked-memory charge.
// A page of a pages object is pinned (and charged to RLIMIT_MEMLOCK through the host process)
// while at least one area covering it sits in an IOAS with a domain: the kernel unpins exactly
// the spans no remaining domain-backed area uses (iopt_area_unfill_domain / iopt_pages_unfill).
// A pages object over a VM_PFNMAP range (a device BAR QEMU mmapped) follows the kernel's version
// (IommufdPfnmapMode): upstream pin_user_pages refuses the VMA (-EFAULT); the linux-nvidia 6.14 /
// 6.17 kernels follow it in pfn_reader_user_pin (follow_fault_pfn) and count its pfns as pinned, so
// iopt_pages_update_pinned charges them like RAM; NVIDIA/NV-Kernels#248 / #249 make such pages
// IOPT_PAGES_ACCOUNT_NONE (pinned, never charged).
// Must not: know IOVAs or domains; the IOAS decides when an area starts and stops holding pins.

import type { FaultInjector } from '../../sim/faultInjector';
import { EFAULT, ENOMEM, OK } from '../base/errno';
import type { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';

const NO_HOLDERS: IommufdArea[] = [];

/**
 * What pinning a VM_PFNMAP range does, by kernel: 'refuse' upstream (pin_user_pages -> check_vma_flags
 * -EFAULT), 'charge' in linux-nvidia 6.14 / 6.17 (pfn_reader_user_pin follows the VMA; the pfns are
 * charged by iopt_pages_update_pinned), 'noCharge' with NVIDIA/NV-Kernels#248 / #249 applied.
 */
export type IommufdPfnmapMode = 'refuse' | 'charge' | 'noCharge';

export class IommufdPages {
  /** Snapshot id, given when the map that created it succeeds (0 until then). */
  id = 0;
  /** Areas referencing this object (its kref without the transient list references). */
  users = 0;
  /** Pages pinned now: the union of the page ranges of holder areas. */
  pinnedPages = 0;
  /** Areas whose IOAS has a domain, so their pages stay pinned (a fresh exact-size array per change of emptiness, to keep 1M objects small). */
  holders: IommufdArea[] = NO_HOLDERS;
  /** Device memory pinned without a charge (IOPT_PAGES_ACCOUNT_NONE for PFNMAP, NV-Kernels#248/#249). */
  uncharged = false;

  constructor(
    /** User address rounded down to a page (pages->uptr). */
    readonly uptrBase: number,
    readonly npages: number,
    /** Mapped with IOMMU_WRITE; a writeable area over a read-only object is refused (-EPERM). */
    readonly writable: boolean,
  ) {}
}

/** One iopt_area: [start, end) of an IOAS mapped to bytes [startByte, startByte + end - start) of `pages`. */
export interface IommufdArea {
  readonly start: number;
  /** Inclusive key for the IntervalMap (lastBefore(end)). */
  readonly last: number;
  readonly end: number;
  readonly pages: IommufdPages;
  /** Offset of the area's first byte from pages.uptrBase. */
  readonly startByte: number;
  readonly read: boolean;
  readonly write: boolean;
  /** PTEs this area holds in each domain of its IOAS, by domain index (replaced, not grown, when it changes). */
  ptes: number[];
  /** Whether the area counts among its pages' pin holders (its IOAS has a domain). */
  holdsPins: boolean;
}

export function areaFirstPage(a: IommufdArea): number {
  return Math.floor(a.startByte / PAGE_SIZE);
}

export function areaLastPage(a: IommufdArea): number {
  return Math.floor((a.startByte + (a.end - a.start) - 1) / PAGE_SIZE);
}

/** User address of the area's first byte. */
export function areaUptr(a: IommufdArea): number {
  return a.pages.uptrBase + a.startByte;
}

/** Pages covered by the union of the holders' page ranges. */
function pinnedUnion(holders: readonly IommufdArea[]): number {
  if (holders.length === 0) return 0;
  if (holders.length === 1) return areaLastPage(holders[0]!) - areaFirstPage(holders[0]!) + 1;
  const ranges = holders.map((h) => [areaFirstPage(h), areaLastPage(h)] as const).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let curFirst = ranges[0]![0];
  let curLast = ranges[0]![1];
  for (let i = 1; i < ranges.length; i++) {
    const [f, l] = ranges[i]!;
    if (f > curLast + 1) {
      total += curLast - curFirst + 1;
      curFirst = f;
      curLast = l;
    } else if (l > curLast) {
      curLast = l;
    }
  }
  return total + curLast - curFirst + 1;
}

/**
 * The pin and locked-memory account of one iommufd context: pages pinned by all its pages
 * objects, charged to the host process's RLIMIT_MEMLOCK budget (IOPT_PAGES_ACCOUNT_USER is per
 * user in the kernel; the lab has one user per process, so it is the process's budget).
 */
export class IommufdPinAccount {
  private total = 0;
  private peak = 0;
  /** Of those, pages charged to locked memory (device memory under 'noCharge' is pinned, not charged). */
  private charged = 0;
  private chargedPeak = 0;
  private readonly live = new Set<IommufdPages>();
  private nextId = 1;
  /** Pages newly pinned by the last hold() / unpinned by the last release(). */
  lastPagesChanged = 0;
  /** Why the last hold() was refused (the check that failed), or null. */
  lastWhy: string | null = null;

  constructor(
    private readonly process: HostProcess,
    private readonly faults: FaultInjector,
    /** What a VM_PFNMAP range does (host.iommufd.pfnmap; upstream Linux refuses it). */
    private readonly pfnmap: IommufdPfnmapMode = 'refuse',
  ) {}

  get pinnedPages(): number {
    return this.total;
  }

  get pinnedPagesPeak(): number {
    return this.peak;
  }

  /** Pinned pages charged to RLIMIT_MEMLOCK now (the context's share of the process's locked memory). */
  get chargedPages(): number {
    return this.charged;
  }

  get chargedPagesPeak(): number {
    return this.chargedPeak;
  }

  /** Live pages objects (referenced by at least one area). */
  pagesObjects(): IterableIterator<IommufdPages> {
    return this.live.values();
  }

  /** An area now references its pages object (kref_get); gives the object its id on first use. */
  addUser(area: IommufdArea): void {
    const p = area.pages;
    if (p.users === 0) {
      if (p.id === 0) p.id = this.nextId++;
      this.live.add(p);
    }
    p.users++;
  }

  /** An area no longer references its pages object (iopt_put_pages); it must not hold pins. */
  removeUser(area: IommufdArea): void {
    if (area.holdsPins) throw new Error('release the pins of an area before dropping it');
    const p = area.pages;
    if (p.users <= 0) throw new Error(`pages ${p.id} has no users`);
    p.users--;
    if (p.users === 0) this.live.delete(p);
  }

  /**
   * The area starts holding pins (pfn_reader pinning for iopt_area_fill_domain): pins and charges
   * the pages of its range that no other holder pins yet. All or nothing: on -EFAULT (pages not
   * mapped in the process) or -ENOMEM (a failed pin allocation or RLIMIT_MEMLOCK exceeded) nothing
   * is pinned or charged. `lastPagesChanged` = pages newly pinned.
   */
  hold(area: IommufdArea): number {
    if (area.holdsPins) throw new Error('area already holds pins');
    const p = area.pages;
    if (p.holders.length === 0) p.holders = [area];
    else p.holders.push(area);
    const after = pinnedUnion(p.holders);
    const delta = after - p.pinnedPages;
    this.lastWhy = null;
    if (delta > 0) {
      const failuresBefore = this.process.memlockFailures;
      const device = this.process.pfnmapBytes(areaUptr(area), area.end - area.start) > 0;
      let rc = OK;
      if (this.faults.fail('pin')) rc = ENOMEM;
      else if (!this.process.isMapped(areaUptr(area), area.end - area.start)) rc = EFAULT;
      else if (device && this.pfnmap === 'refuse') rc = EFAULT;
      else if (device && this.pfnmap === 'noCharge') p.uncharged = true;
      else if (!this.process.tryLock(delta)) rc = ENOMEM;
      if (rc !== OK) {
        // pfn_reader_user_pin, then iopt_pages_update_pinned charges the pages (no log line).
        this.lastWhy =
          this.process.memlockFailures > failuresBefore
            ? `RLIMIT_MEMLOCK: pinning ${delta} more pages would exceed the limit (iopt_pages_update_pinned: __account_locked_vm for /dev/vfio/vfio, incr_user_locked_vm for native iommufd)` +
              (device ? '; the pages are device memory (a VM_PFNMAP BAR) that pfn_reader_user_pin followed and counted as pinned' : '')
            : rc === EFAULT
              ? device
                ? 'the range is a VM_PFNMAP VMA (a device BAR): pin_user_pages refuses it (check_vma_flags: VM_IO | VM_PFNMAP -> -EFAULT)'
                : 'the user pages are not mapped in the process (pin_user_pages)'
              : 'pinning the pages failed (injected fault)';
        if (p.holders.length === 1) p.holders = NO_HOLDERS;
        else p.holders.pop();
        this.lastPagesChanged = 0;
        return rc;
      }
    }
    p.pinnedPages = after;
    area.holdsPins = true;
    this.total += delta;
    if (this.total > this.peak) this.peak = this.total;
    if (!p.uncharged) {
      this.charged += delta;
      if (this.charged > this.chargedPeak) this.chargedPeak = this.charged;
    }
    this.lastPagesChanged = delta;
    return OK;
  }

  /** The area stops holding pins: unpins and uncharges pages no other holder covers. */
  release(area: IommufdArea): void {
    if (!area.holdsPins) throw new Error('area holds no pins');
    const p = area.pages;
    const i = p.holders.indexOf(area);
    if (i < 0) throw new Error('area missing from its holders');
    if (p.holders.length === 1) p.holders = NO_HOLDERS;
    else p.holders.splice(i, 1);
    const after = pinnedUnion(p.holders);
    const delta = p.pinnedPages - after;
    p.pinnedPages = after;
    area.holdsPins = false;
    if (!p.uncharged) {
      this.process.unlock(delta);
      this.charged -= delta;
    }
    this.total -= delta;
    this.lastPagesChanged = delta;
  }

  /** Broken invariants of the account, one sentence each. */
  checkInvariants(): string[] {
    const out: string[] = [];
    let sum = 0;
    for (const p of this.live) {
      const union = pinnedUnion(p.holders);
      if (union !== p.pinnedPages) out.push(`pages ${p.id} records ${p.pinnedPages} pinned pages but its holders cover ${union}`);
      if (p.users < p.holders.length) out.push(`pages ${p.id} has ${p.holders.length} pin holders but only ${p.users} users`);
      sum += p.pinnedPages;
    }
    if (sum !== this.total) out.push(`the account records ${this.total} pinned pages but its pages objects pin ${sum}`);
    return out;
  }
}
