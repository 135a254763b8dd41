// The IOVA bookkeeping of one io_pagetable (drivers/iommu/iommufd/io_pagetable.c): the area
// tree, the reserved tree (each range with its owner: a domain's outside-aperture, a device's
// reserved regions, or an explicit reservation), the allowed tree set by IOAS_ALLOW_IOVAS, and
// the free-space index that answers iopt_alloc_iova's first fit in O(log n).
// Invariants: areas never overlap each other or a reserved range; the hole index is exactly the
// complement of (reserved ∪ areas) over [0, 2^64). Reserved ranges may overlap each other.
// Allowed ranges only steer automatic IOVA: fixed maps may land outside them (iopt_check_iova
// never looks at the allowed tree), so "areas inside the allowed ranges" is not an invariant.
// Must not: pin, map domains or count costs (ioPagetable.ts does).

import { EADDRINUSE, EEXIST, EINVAL, EOVERFLOW, OK } from '../base/errno';
import { PAGE_SIZE, alignUp, isAligned } from '../base/pages';
import { IntervalMap } from '../base/intervalMap';
import { IommufdHoleIndex } from './iommufdHoleIndex';
import { lastBefore, orPageOffset, wrapsU64, type IovaSpan } from './iommufdIovaSpan';
import { U64_END } from '../base/bits';
import type { IommufdArea } from './iommufdPages';

export interface IommufdReserved extends IovaSpan {
  /** Who reserved it: "domain:<n>", "device:<name>" or "user". */
  readonly owner: string;
}

/** iopt_alloc_iova searches allowed spans clipped to [PAGE_SIZE, ULONG_MAX - PAGE_SIZE]. */
const AUTO_FLOOR = PAGE_SIZE;
const AUTO_END = U64_END - PAGE_SIZE;
const DEFAULT_AUTO_SPANS: readonly IovaSpan[] = [{ start: AUTO_FLOOR, end: AUTO_END }];

export class IommufdIovaSpace {
  readonly areas = new IntervalMap<IommufdArea>();
  private reservedList: IommufdReserved[] = [];
  private mergedReserved: IovaSpan[] = [];
  private allowedList: IovaSpan[] = [];
  private autoSpansCache: readonly IovaSpan[] = DEFAULT_AUTO_SPANS;
  readonly holes = new IommufdHoleIndex();

  get reserved(): readonly IommufdReserved[] {
    return this.reservedList;
  }

  get allowed(): readonly IovaSpan[] {
    return this.allowedList;
  }

  /** The union of the reserved ranges, sorted and merged. */
  get reservedUnion(): readonly IovaSpan[] {
    return this.mergedReserved;
  }

  /** Whether [start, end) intersects a reserved range (iopt_reserved_iter_first). */
  hitsReserved(start: number, end: number): boolean {
    for (const r of this.mergedReserved) {
      if (r.start >= end) return false;
      if (r.end > start) return true;
    }
    return false;
  }

  /** The lowest area overlapping [start, end) (iopt_area_iter_first), if any. */
  firstArea(start: number, end: number): IommufdArea | undefined {
    return this.areas.firstOverlap(start, lastBefore(end));
  }

  /** iopt_check_iova: a fixed IOVA for `length` bytes under the IOAS alignment. */
  checkFixed(iova: number, length: number, alignment: number): number {
    if (!isAligned(iova, alignment)) return EINVAL;
    if (wrapsU64(iova, length)) return EOVERFLOW;
    const end = iova + length;
    if (this.hitsReserved(iova, end)) return EINVAL;
    if (this.firstArea(iova, end) !== undefined) return EEXIST;
    return OK;
  }

  /** The spans automatic IOVA may use: the allowed ranges (adjacent ones merged) or the default. */
  autoSpans(): readonly IovaSpan[] {
    return this.autoSpansCache;
  }

  /**
   * First fit of iopt_alloc_iova over `spans` in order: for each span the aligned start must fit
   * (__alloc_iova_check_used), then the lowest hole of (reserved ∪ areas) from there whose
   * aligned start fits (__alloc_iova_check_hole). Aligned = ALIGN(start, align) | pageOffset.
   * A candidate fits when last - aligned >= length - 1 and aligned < last (the newer
   * __alloc_iova_check_range), i.e. end - aligned >= max(length, 2). Returns the IOVA or -1.
   */
  findFit(spans: readonly IovaSpan[], length: number, align: number, pageOffset: number): number {
    const need = Math.max(length, 2);
    for (const span of spans) {
      const a = this.alignedStart(span.start, span.end, need, align, pageOffset);
      if (a < 0) continue;
      const h = this.holes.containing(a);
      if (h !== null) {
        const r = this.alignedStart(a, Math.min(h.end, span.end), need, align, pageOffset);
        if (r >= 0) return r;
      }
      let x = a;
      for (;;) {
        const next = this.holes.firstAfter(x, need);
        if (next === null || next.start >= span.end) break;
        const r = this.alignedStart(next.start, Math.min(next.end, span.end), need, align, pageOffset);
        if (r >= 0) return r;
        x = next.start;
      }
    }
    return -1;
  }

  private alignedStart(start: number, end: number, need: number, align: number, pageOffset: number): number {
    if (start + align > U64_END) return -1; // check_add_overflow(start, align - 1)
    const a = orPageOffset(alignUp(start, align), pageOffset);
    return end - a >= need ? a : -1;
  }

  insertArea(area: IommufdArea): void {
    this.areas.insert(area);
    this.holes.occupy(area.start, area.end);
  }

  removeArea(area: IommufdArea): void {
    if (!this.areas.delete(area)) throw new Error(`no area at ${area.start}`);
    this.holes.release(area.start, area.end);
  }

  /**
   * iopt_reserve_iova: refused with -EADDRINUSE when an area or an allowed range intersects.
   * Adds the range without rebuilding the hole index (call commitReserved() after a batch).
   */
  reserve(start: number, end: number, owner: string): number {
    if (this.firstArea(start, end) !== undefined) return EADDRINUSE;
    for (const a of this.allowedList) if (a.start < end && a.end > start) return EADDRINUSE;
    this.reservedList.push({ start, end, owner });
    return OK;
  }

  /** __iopt_remove_reserved_iova: drops every range of `owner` (call commitReserved() after). */
  unreserve(owner: string): void {
    this.reservedList = this.reservedList.filter((r) => r.owner !== owner);
  }

  /** Re-sorts and merges the reserved ranges and rebuilds the hole index (O(areas + reserved)). */
  commitReserved(): void {
    this.reservedList.sort((a, b) => a.start - b.start || a.end - b.end);
    const merged: IovaSpan[] = [];
    for (const r of this.reservedList) {
      const top = merged[merged.length - 1];
      if (top !== undefined && r.start <= top.end) {
        if (r.end > top.end) merged[merged.length - 1] = { start: top.start, end: r.end };
      } else {
        merged.push({ start: r.start, end: r.end });
      }
    }
    this.mergedReserved = merged;
    this.holes.reset(this.freeSpans());
  }

  /** The holes of the reserved tree alone (IOMMU_IOAS_IOVA_RANGES, VFIO CAP_IOVA_RANGE). */
  reservedHoles(): IovaSpan[] {
    return complement(this.mergedReserved);
  }

  /**
   * iopt_set_allow_iova with ranges already validated (no empty or overlapping range): refused
   * atomically with -EADDRINUSE if any intersects a reserved range.
   */
  setAllowed(ranges: readonly IovaSpan[]): number {
    for (const r of ranges) if (this.hitsReserved(r.start, r.end)) return EADDRINUSE;
    this.allowedList = [...ranges].sort((a, b) => a.start - b.start);
    this.autoSpansCache = this.allowedList.length === 0 ? DEFAULT_AUTO_SPANS : clippedSpans(this.allowedList);
    return OK;
  }

  /** Complement of reserved ∪ areas, in order (what the hole index must hold). */
  freeSpans(): IovaSpan[] {
    const used: IovaSpan[] = [];
    const areas = this.areas.values();
    let nextArea = areas.next();
    let ri = 0;
    while (!nextArea.done || ri < this.mergedReserved.length) {
      const r = this.mergedReserved[ri];
      if (nextArea.done || (r !== undefined && r.start < nextArea.value.start)) {
        used.push(r!);
        ri++;
      } else {
        used.push(nextArea.value);
        nextArea = areas.next();
      }
    }
    return complement(used);
  }
}

/** The gaps of sorted spans (possibly touching) over [0, 2^64). */
function complement(used: readonly IovaSpan[]): IovaSpan[] {
  const out: IovaSpan[] = [];
  let cur = 0;
  for (const u of used) {
    if (u.start > cur) out.push({ start: cur, end: u.start });
    if (u.end > cur) cur = u.end;
  }
  if (cur < U64_END) out.push({ start: cur, end: U64_END });
  return out;
}

/** interval_tree_for_each_span over the allowed tree within [PAGE_SIZE, ULONG_MAX - PAGE_SIZE]: touching ranges form one span. */
function clippedSpans(sorted: readonly IovaSpan[]): IovaSpan[] {
  const out: IovaSpan[] = [];
  for (const r of sorted) {
    const start = Math.max(r.start, AUTO_FLOOR);
    const end = Math.min(r.end, AUTO_END);
    if (start >= end) continue;
    const top = out[out.length - 1];
    if (top !== undefined && start <= top.end) out[out.length - 1] = { start: top.start, end: Math.max(top.end, end) };
    else out.push({ start, end });
  }
  return out;
}
