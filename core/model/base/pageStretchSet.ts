// A set of 4 KiB-aligned addresses kept as stretches of consecutive pages ([start, last], `last`
// the start of the stretch's last page), so that marking or clearing a run of pages costs one tree
// operation instead of one per page. Adjacent and overlapping stretches are merged on insert.
// Must not: hold addresses that are not page aligned (add asserts), or anything but membership.

import { remPow2 } from './bits';
import { IntervalMap } from './intervalMap';
import { PAGE_SIZE } from './pages';

interface Stretch {
  start: number;
  /** Start of the last page in the stretch. */
  last: number;
}

export class PageStretchSet {
  private readonly map = new IntervalMap<Stretch>();
  private count = 0;

  /** Pages in the set. */
  get size(): number {
    return this.count;
  }

  /** Adds the pages start, start + 4 KiB, ..., last. */
  add(start: number, last: number): void {
    if (remPow2(start, PAGE_SIZE) !== 0 || remPow2(last, PAGE_SIZE) !== 0 || last < start) {
      throw new RangeError(`page stretch [${start}, ${last}] is not a range of page starts`);
    }
    let lo = start;
    let hi = last;
    let s = this.map.firstOverlap(start - PAGE_SIZE, last + PAGE_SIZE);
    if (s !== undefined && s.start <= start && s.last >= last) return;
    let added = (last - start) / PAGE_SIZE + 1;
    while (s !== undefined && s.start <= last + PAGE_SIZE) {
      const next = this.map.next(s);
      // Pages of `s` already inside [start, last] are not new.
      const oLo = Math.max(s.start, start);
      const oHi = Math.min(s.last, last);
      if (oHi >= oLo) added -= (oHi - oLo) / PAGE_SIZE + 1;
      if (s.start < lo) lo = s.start;
      if (s.last > hi) hi = s.last;
      this.map.delete(s);
      s = next;
    }
    this.map.insertChecked({ start: lo, last: hi });
    this.count += added;
  }

  /** Whether `addr` (page aligned) is in the set. */
  has(addr: number): boolean {
    return this.map.containing(addr) !== undefined;
  }

  /** The lowest page in the set in [from, last] (from page aligned), or -1. */
  next(from: number, last: number): number {
    const s = this.map.firstOverlap(from, last);
    if (s === undefined) return -1;
    const p = s.start >= from ? s.start : from;
    return p <= last ? p : -1;
  }

  /** The last page of the stretch holding `addr` (the set holds every page from addr to it), or -1. */
  through(addr: number): number {
    const s = this.map.containing(addr);
    return s === undefined ? -1 : s.last;
  }

  /** Removes every page in [start, last] (byte bounds, inclusive; start page aligned). */
  remove(start: number, last: number): void {
    let s = this.map.firstOverlap(start, last);
    while (s !== undefined && s.start <= last) {
      const next = this.map.next(s);
      const firstAfter = s.start + (Math.floor((last - s.start) / PAGE_SIZE) + 1) * PAGE_SIZE;
      const oLo = Math.max(s.start, start);
      const oHi = Math.min(s.last, firstAfter - PAGE_SIZE);
      this.count -= (oHi - oLo) / PAGE_SIZE + 1;
      if (s.start < start) {
        // Keep the head in place (same key); a tail past `last` becomes its own stretch.
        const tailLast = s.last;
        s.last = start - PAGE_SIZE;
        if (tailLast >= firstAfter) this.map.insertChecked({ start: firstAfter, last: tailLast });
      } else {
        this.map.delete(s);
        if (s.last >= firstAfter) {
          s.start = firstAfter;
          this.map.insertChecked(s);
        }
      }
      s = next;
    }
  }

  /** Every page in ascending order (snapshots and tests). */
  pages(): number[] {
    const out: number[] = [];
    for (const s of this.map.values()) for (let p = s.start; p <= s.last; p += PAGE_SIZE) out.push(p);
    return out;
  }
}
