// Non-overlapping closed address intervals [start, last] kept in order by start, on a B+ tree with
// plain number keys (numberBTree.ts), so "the lowest interval overlapping a range" and "the interval
// containing an address" are one O(log n) descent. This is the shape of type1's vfio_dma rbtree,
// iommufd's area tree and QEMU's IOVA GTree.
// Must not: allow overlaps (insert asserts); callers check for overlap first and fail as their API does.

import { NumberBTree } from './numberBTree';

export interface Interval {
  readonly start: number;
  /** Inclusive last address. */
  readonly last: number;
}

export class IntervalMap<V extends Interval> {
  private readonly tree = new NumberBTree<V>();

  get size(): number {
    return this.tree.size;
  }

  /** The lowest interval that overlaps [start, last], if any. */
  firstOverlap(start: number, last: number): V | undefined {
    const below = this.tree.floorAndHigher(start);
    if (below !== undefined && below.last >= start) return below;
    const above = this.tree.after;
    return above !== undefined && above.start <= last ? above : undefined;
  }

  /**
   * Whether the intervals leave no gap in [start, last]; `granule` is the unit of the keys (an
   * interval ending at `last` is followed by one starting at `last + granule`).
   */
  covers(start: number, last: number, granule = 1): boolean {
    let addr = start;
    while (addr <= last) {
      const hit = this.containing(addr);
      if (hit === undefined) return false;
      if (hit.last >= last) return true;
      // Past 2^53 adding a small granule may not move a float: step to the next representable address.
      let step = granule;
      while (hit.last + step <= hit.last) step *= 2;
      addr = hit.last + step;
    }
    return true;
  }

  /** The interval containing `addr`, if any. */
  containing(addr: number): V | undefined {
    const below = this.tree.floor(addr);
    return below !== undefined && below.last >= addr ? below : undefined;
  }

  /** Intervals overlapping [start, last], in address order (a snapshot: safe to delete while iterating). */
  overlapping(start: number, last: number): V[] {
    const out: V[] = [];
    let cur = this.firstOverlap(start, last);
    while (cur !== undefined && cur.start <= last) {
      out.push(cur);
      cur = this.tree.higher(cur.start);
    }
    return out;
  }

  /** The interval following `v` in address order. */
  next(v: V): V | undefined {
    return this.tree.higher(v.start);
  }

  /** The interval preceding `v` in address order (rb_prev). */
  prev(v: V): V | undefined {
    return this.tree.lower(v.start);
  }

  /** The interval with the highest start. */
  last(): V | undefined {
    return this.tree.last();
  }

  /**
   * Intervals in descending order of start, beginning with the last one that starts below `start`
   * (with the highest, when `start` is undefined): a backwards walk at O(1) per step.
   */
  descendingBelow(start?: number): Generator<V, void, undefined> {
    return this.tree.descending(start);
  }

  /** The first interval whose start is >= `addr`. */
  firstStartingAtOrAfter(addr: number): V | undefined {
    return this.tree.ceiling(addr);
  }

  first(): V | undefined {
    return this.tree.first();
  }

  insert(v: V): void {
    if (v.last < v.start) throw new RangeError(`interval [${v.start}, ${v.last}] is empty`);
    if (this.firstOverlap(v.start, v.last) !== undefined) throw new Error(`interval [${v.start}, ${v.last}] overlaps an existing one`);
    this.tree.set(v.start, v);
  }

  /**
   * insert() for a caller that has just checked [start, last] against the map (the models' own
   * EEXIST checks): skips the second overlap search on the hot paths.
   */
  insertChecked(v: V): void {
    this.tree.set(v.start, v);
  }

  /**
   * insertChecked(v) right after firstOverlap(v.start, ...) found nothing: reuses that lookup's
   * descent (NumberBTree.setAfterLookup); anything else in between costs an ordinary insert.
   */
  insertAfterFirstOverlap(v: V): void {
    this.tree.setAfterLookup(v.start, v);
  }

  /** delete(v) for the interval the last firstOverlap returned: reuses its descent when it can. */
  deleteAfterFirstOverlap(v: V): boolean {
    return this.tree.deleteAfterLookup(v.start);
  }

  delete(v: V): boolean {
    return this.tree.delete(v.start);
  }

  clear(): void {
    this.tree.clear();
  }

  values(): IterableIterator<V> {
    return this.tree.values();
  }
}
