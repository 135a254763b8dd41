// Test oracle: IntervalMap as it was over sorted-btree (with a comparator callback), before it
// moved to NumberBTree. intervalMap.modelBased.test.ts requires the same answers of both.
// Must not: be imported by runtime code.

import SortedBTree from 'sorted-btree';

// sorted-btree is CommonJS with `exports.default = BTree`: bundlers and vitest unwrap it, but Node's
// own ESM loader (the CLI under tsx) hands the whole exports object as the default import.
const BTree: typeof SortedBTree = (SortedBTree as unknown as { default?: typeof SortedBTree }).default ?? SortedBTree;

import type { Interval } from './intervalMap';

export class IntervalMapReference<V extends Interval> {
  // Keys are plain numbers: a subtraction beats the library's default comparator (which handles mixed types).
  private readonly tree: SortedBTree<number, V> = new BTree<number, V>(undefined, numericCompare);
  /** Reused result pair of the tree's lookups (no allocation per lookup on the hot paths). */
  private readonly pair: [number, V] = [0, undefined as unknown as V];

  get size(): number {
    return this.tree.size;
  }

  /** The lowest interval that overlaps [start, last], if any. */
  firstOverlap(start: number, last: number): V | undefined {
    const below = this.tree.getPairOrNextLower(start, this.pair);
    if (below !== undefined && below[1].last >= start) return below[1];
    const above = this.tree.nextHigherPair(start, this.pair);
    return above !== undefined && above[0] <= last ? above[1] : undefined;
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
    const below = this.tree.getPairOrNextLower(addr, this.pair);
    return below !== undefined && below[1].last >= addr ? below[1] : undefined;
  }

  /** Intervals overlapping [start, last], in address order (a snapshot: safe to delete while iterating). */
  overlapping(start: number, last: number): V[] {
    const out: V[] = [];
    let cur = this.firstOverlap(start, last);
    while (cur !== undefined && cur.start <= last) {
      out.push(cur);
      const next = this.tree.nextHigherPair(cur.start, this.pair);
      cur = next?.[1];
    }
    return out;
  }

  /** The interval following `v` in address order. */
  next(v: V): V | undefined {
    return this.tree.nextHigherPair(v.start, this.pair)?.[1];
  }

  /** The interval preceding `v` in address order (rb_prev). */
  prev(v: V): V | undefined {
    return this.tree.nextLowerPair(v.start, this.pair)?.[1];
  }

  /** The interval with the highest start. */
  last(): V | undefined {
    const k = this.tree.maxKey();
    return k === undefined ? undefined : this.tree.get(k);
  }

  /**
   * Intervals in descending order of start, beginning with the last one that starts below `start`
   * (with the highest, when `start` is undefined): a backwards walk at O(1) per step.
   */
  *descendingBelow(start?: number): Generator<V, void, undefined> {
    const pair: (number | V)[] = [];
    const it = start === undefined ? this.tree.entriesReversed(undefined, pair) : this.tree.entriesReversed(start, pair, true);
    for (let r = it.next(); r.done !== true; r = it.next()) yield r.value[1];
  }

  /** The first interval whose start is >= `addr`. */
  firstStartingAtOrAfter(addr: number): V | undefined {
    return this.tree.getPairOrNextHigher(addr, this.pair)?.[1];
  }

  first(): V | undefined {
    const k = this.tree.minKey();
    return k === undefined ? undefined : this.tree.get(k);
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

function numericCompare(a: number, b: number): number {
  return a - b;
}
