// The free IOVA of one IOAS: the holes between reserved ranges and areas over [0, 2^64), kept in
// a treap ordered by start and augmented with the longest hole of each subtree, so that "the
// lowest hole at least n bytes long after x" is O(log n). iopt_alloc_iova walks the holes of the
// reserved and area trees in address order (interval_tree_for_each_double_span); this index
// gives the same first fit without visiting every area.
// Must not: decide alignment or fit (iommufdIovaSpace.ts does); it only tracks free space.
// Priorities come from a fixed xorshift sequence, so the shape is deterministic.

import { type IovaSpan } from './iommufdIovaSpan';
import { U64_END } from '../base/bits';

interface HoleNode {
  start: number;
  end: number;
  prio: number;
  /** Longest hole (end - start) in this subtree. */
  maxLen: number;
  left: HoleNode | null;
  right: HoleNode | null;
}

export class IommufdHoleIndex {
  private root: HoleNode | null = null;
  private seed = 0x2545f491;
  private count = 0;
  /** Outputs of split(): the part below and the part at or above the key. */
  private splitLow: HoleNode | null = null;
  private splitHigh: HoleNode | null = null;

  constructor() {
    this.reset([{ start: 0, end: U64_END }]);
  }

  get size(): number {
    return this.count;
  }

  /** Replaces every hole (the spans must be sorted, disjoint and non-empty). */
  reset(holes: Iterable<IovaSpan>): void {
    this.root = null;
    this.count = 0;
    for (const h of holes) this.insert(h.start, h.end);
  }

  /** Marks [start, end) used; it must lie inside one hole (callers check overlaps first). */
  occupy(start: number, end: number): void {
    const h = this.containing(start);
    if (h === null || h.end < end) throw new Error(`[${start}, ${end}) is not free`);
    const holeStart = h.start;
    const holeEnd = h.end;
    this.remove(holeStart);
    if (holeStart < start) this.insert(holeStart, start);
    if (end < holeEnd) this.insert(end, holeEnd);
  }

  /** Frees [start, end) (it must be used), merging with the holes on either side. */
  release(start: number, end: number): void {
    let newStart = start;
    let newEnd = end;
    const below = this.floor(start);
    if (below !== null && below.end > start) throw new Error(`[${start}, ${end}) is already free`);
    if (below !== null && below.end === start) {
      newStart = below.start;
      this.remove(below.start);
    }
    const above = this.floor(end);
    if (above !== null && above.start === end) {
      newEnd = above.end;
      this.remove(above.start);
    }
    this.insert(newStart, newEnd);
  }

  /** The hole containing `addr`, or null when `addr` is used. */
  containing(addr: number): IovaSpan | null {
    const h = this.floor(addr);
    return h !== null && h.end > addr ? h : null;
  }

  /** The lowest hole that starts after `x` and is at least `minLen` bytes long, or null. */
  firstAfter(x: number, minLen: number): IovaSpan | null {
    return this.searchAfter(this.root, x, minLen);
  }

  /** Every hole in address order (for invariant checks and tests; O(n)). */
  spans(): IovaSpan[] {
    const out: IovaSpan[] = [];
    const stack: HoleNode[] = [];
    let t = this.root;
    while (t !== null || stack.length > 0) {
      while (t !== null) {
        stack.push(t);
        t = t.left;
      }
      const n = stack.pop()!;
      out.push({ start: n.start, end: n.end });
      t = n.right;
    }
    return out;
  }

  private floor(addr: number): HoleNode | null {
    let best: HoleNode | null = null;
    let t = this.root;
    while (t !== null) {
      if (t.start <= addr) {
        best = t;
        t = t.right;
      } else {
        t = t.left;
      }
    }
    return best;
  }

  private searchAfter(t: HoleNode | null, x: number, minLen: number): HoleNode | null {
    if (t === null || t.maxLen < minLen) return null;
    if (t.start <= x) return this.searchAfter(t.right, x, minLen);
    const inLeft = this.searchAfter(t.left, x, minLen);
    if (inLeft !== null) return inLeft;
    if (t.end - t.start >= minLen) return t;
    return this.searchAfter(t.right, x, minLen);
  }

  private insert(start: number, end: number): void {
    const node: HoleNode = { start, end, prio: this.nextPriority(), maxLen: end - start, left: null, right: null };
    this.root = this.add(this.root, node);
    this.count++;
  }

  private remove(start: number): void {
    this.root = this.removeFrom(this.root, start);
    this.count--;
  }

  private add(t: HoleNode | null, n: HoleNode): HoleNode {
    if (t === null) return n;
    if (n.prio > t.prio) {
      this.split(t, n.start);
      n.left = this.splitLow;
      n.right = this.splitHigh;
      this.pull(n);
      return n;
    }
    if (n.start < t.start) t.left = this.add(t.left, n);
    else t.right = this.add(t.right, n);
    this.pull(t);
    return t;
  }

  private removeFrom(t: HoleNode | null, start: number): HoleNode | null {
    if (t === null) throw new Error(`no hole starts at ${start}`);
    if (t.start === start) return this.merge(t.left, t.right);
    if (start < t.start) t.left = this.removeFrom(t.left, start);
    else t.right = this.removeFrom(t.right, start);
    this.pull(t);
    return t;
  }

  /** Splits `t` into splitLow (starts below key) and splitHigh (starts at or above key). */
  private split(t: HoleNode | null, key: number): void {
    if (t === null) {
      this.splitLow = null;
      this.splitHigh = null;
      return;
    }
    if (t.start < key) {
      this.split(t.right, key);
      t.right = this.splitLow;
      this.pull(t);
      this.splitLow = t;
    } else {
      this.split(t.left, key);
      t.left = this.splitHigh;
      this.pull(t);
      this.splitHigh = t;
    }
  }

  /** Joins two treaps where every start in `a` is below every start in `b`. */
  private merge(a: HoleNode | null, b: HoleNode | null): HoleNode | null {
    if (a === null) return b;
    if (b === null) return a;
    if (a.prio > b.prio) {
      a.right = this.merge(a.right, b);
      this.pull(a);
      return a;
    }
    b.left = this.merge(a, b.left);
    this.pull(b);
    return b;
  }

  private pull(t: HoleNode): void {
    let m = t.end - t.start;
    if (t.left !== null && t.left.maxLen > m) m = t.left.maxLen;
    if (t.right !== null && t.right.maxLen > m) m = t.right.maxLen;
    t.maxLen = m;
  }

  /** xorshift32: a fixed pseudo-random sequence, so runs are reproducible. */
  private nextPriority(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }
}
