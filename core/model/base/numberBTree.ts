// A B+ tree keyed by plain numbers (no comparator callback: keys compare with < on doubles), values
// in its leaves, leaves linked both ways, for the ordered maps the models keep by address
// (IntervalMap). Lookups descend once and leave a cursor (leaf, index) that the neighbour queries
// read, so "the last key <= k" and "the first key > k" cost one descent together.
// Leaves and inner nodes hold at most MAX entries; an insert splits a full node in two, a delete
// that empties a node removes it (separators of inner nodes stay valid lower bounds, so nothing
// else is rebalanced). Keys are unique; set() on a present key replaces its value.
// Must not: hold NaN keys, or be changed while values() or descending() is being iterated.

const MAX = 16;

class Leaf<V> {
  readonly leaf = true;
  keys: number[] = [];
  vals: V[] = [];
  prev: Leaf<V> | null = null;
  next: Leaf<V> | null = null;
}

class Inner<V> {
  readonly leaf = false;
  /** seps[i]: every key in children[i + 1] is >= seps[i], every key in children[i] is < it. */
  seps: number[] = [];
  children: Node<V>[] = [];
}

type Node<V> = Leaf<V> | Inner<V>;

/** Index of the first element > k (the number of elements <= k). */
function upperBound(a: readonly number[], k: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element >= k. */
function lowerBound(a: readonly number[], k: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * keys.splice(i, 0, k) and vals.splice(i, 0, v) for a leaf, in one loop (a plain loop beats splice
 * on arrays this short; one function per array pair keeps each array access monomorphic).
 */
function insertEntryAt<V>(keys: number[], vals: V[], i: number, k: number, v: V): void {
  let j = keys.length;
  keys.push(k);
  vals.push(v);
  for (; j > i; j--) {
    keys[j] = keys[j - 1]!;
    vals[j] = vals[j - 1]!;
  }
  keys[i] = k;
  vals[i] = v;
}

/** keys.splice(i, 1) and vals.splice(i, 1) for a leaf, in one loop. */
function removeEntryAt<V>(keys: number[], vals: V[], i: number): void {
  const n = keys.length - 1;
  for (let j = i; j < n; j++) {
    keys[j] = keys[j + 1]!;
    vals[j] = vals[j + 1]!;
  }
  keys.pop();
  vals.pop();
}

export class NumberBTree<V> {
  private root: Node<V> = new Leaf<V>();
  private count = 0;
  /** Inner nodes and child indices on the last descent's path (for set and delete). */
  private readonly pathNodes: Inner<V>[] = [];
  private readonly pathIndex: number[] = [];
  private depth = 0;
  /** Descents so far: the last one's leaf and path stay usable while this has not moved. */
  private descents = 0;
  /** Where the last floorAndHigher(lookupKey) landed (upperBound index in its leaf), for *AfterLookup. */
  private lookupLeaf: Leaf<V> | null = null;
  private lookupIndex = 0;
  private lookupKey = NaN;
  private lookupDescent = -1;
  /** The last full descent's leaf and the bounds [fingerLo, fingerHi) its path's separators give it. */
  private finger: Leaf<V> | null = null;
  private fingerLo = 0;
  private fingerHi = 0;

  get size(): number {
    return this.count;
  }

  /**
   * Descends to the leaf where `k` belongs; records the path. A key inside the separator bounds of
   * the last descent's leaf belongs there again: that leaf and its recorded path are reused without
   * descending (the "finger"; splits and node removals, which move bounds and paths, drop it).
   */
  private descend(k: number): Leaf<V> {
    this.descents++;
    const f = this.finger;
    if (f !== null && k >= this.fingerLo && k < this.fingerHi) return f;
    return this.descendFromRoot(k);
  }

  /** The full descent (the only one before the finger; tests compare against it). */
  private descendFromRoot(k: number): Leaf<V> {
    let n = this.root;
    let d = 0;
    let lo = -Infinity;
    let hi = Infinity;
    while (!n.leaf) {
      const seps = n.seps;
      const i = upperBound(seps, k);
      if (i > 0) lo = seps[i - 1]!;
      if (i < seps.length) hi = seps[i]!;
      this.pathNodes[d] = n;
      this.pathIndex[d] = i;
      d++;
      n = n.children[i]!;
    }
    this.depth = d;
    this.finger = n;
    this.fingerLo = lo;
    this.fingerHi = hi;
    return n;
  }

  get(k: number): V | undefined {
    const l = this.descend(k);
    const i = lowerBound(l.keys, k);
    return i < l.keys.length && l.keys[i] === k ? l.vals[i] : undefined;
  }

  /** The value of the greatest key <= k. */
  floor(k: number): V | undefined {
    const l = this.descend(k);
    return this.before(l, upperBound(l.keys, k));
  }

  /** The value of the greatest key < k. */
  lower(k: number): V | undefined {
    const l = this.descend(k);
    return this.before(l, lowerBound(l.keys, k));
  }

  /** The value of the least key >= k. */
  ceiling(k: number): V | undefined {
    const l = this.descend(k);
    return this.at(l, lowerBound(l.keys, k));
  }

  /** The value of the least key > k. */
  higher(k: number): V | undefined {
    const l = this.descend(k);
    return this.at(l, upperBound(l.keys, k));
  }

  /**
   * The greatest key <= k and the least key > k in one descent: returns the former's value and
   * leaves the latter's in `after`.
   */
  floorAndHigher(k: number): V | undefined {
    const l = this.descend(k);
    const i = upperBound(l.keys, k);
    this.lookupLeaf = l;
    this.lookupIndex = i;
    this.lookupKey = k;
    this.lookupDescent = this.descents;
    this.after = this.at(l, i);
    return this.before(l, i);
  }

  /** The last floorAndHigher's leaf while no descent, insert or delete came after it; else null. */
  private lookupStillValid(): Leaf<V> | null {
    return this.lookupDescent === this.descents ? this.lookupLeaf : null;
  }

  /**
   * set(k, v) right after floorAndHigher(k): inserts where that lookup landed without descending
   * again (an interval map's overlap check followed by its insert). Any other call in between, or
   * another key, takes the ordinary set().
   */
  setAfterLookup(k: number, v: V): void {
    const l = this.lookupStillValid();
    if (l === null || this.lookupKey !== k) {
      this.set(k, v);
      return;
    }
    this.lookupLeaf = null;
    const i = this.lookupIndex;
    if (i > 0 && l.keys[i - 1] === k) {
      l.vals[i - 1] = v;
      return;
    }
    // The path of that descent is still recorded: a split uses it as set() would.
    insertEntryAt(l.keys, l.vals, i, k, v);
    this.count++;
    if (l.keys.length > MAX) this.splitLeaf(l);
  }

  /**
   * delete(k) right after a floorAndHigher that landed in k's leaf (k its floor or `after` there):
   * removes it without descending again; otherwise the ordinary delete().
   */
  deleteAfterLookup(k: number): boolean {
    const l = this.lookupStillValid();
    if (l !== null) {
      const i = this.lookupIndex;
      if (i > 0 && l.keys[i - 1] === k) return this.removeFromLeaf(l, i - 1);
      if (i < l.keys.length && l.keys[i] === k) return this.removeFromLeaf(l, i);
    }
    return this.delete(k);
  }

  /** Set by floorAndHigher. */
  after: V | undefined = undefined;

  /** Value at index i of leaf l, or the next leaf's first when i is past its end. */
  private at(l: Leaf<V>, i: number): V | undefined {
    if (i < l.keys.length) return l.vals[i];
    const n = l.next;
    return n === null ? undefined : n.vals[0];
  }

  /** Value at index i - 1 of leaf l, or the previous leaf's last when i is 0. */
  private before(l: Leaf<V>, i: number): V | undefined {
    if (i > 0) return l.vals[i - 1];
    const p = l.prev;
    return p === null ? undefined : p.vals[p.vals.length - 1];
  }

  first(): V | undefined {
    let n = this.root;
    while (!n.leaf) n = n.children[0]!;
    return n.vals[0];
  }

  last(): V | undefined {
    let n = this.root;
    while (!n.leaf) n = n.children[n.children.length - 1]!;
    return n.vals[n.vals.length - 1];
  }

  /** Inserts or replaces the value of `k`. */
  set(k: number, v: V): void {
    if (k !== k) throw new RangeError('NumberBTree key is NaN');
    const l = this.descend(k);
    const i = lowerBound(l.keys, k);
    if (i < l.keys.length && l.keys[i] === k) {
      l.vals[i] = v;
      return;
    }
    insertEntryAt(l.keys, l.vals, i, k, v);
    this.count++;
    if (l.keys.length > MAX) this.splitLeaf(l);
  }

  private splitLeaf(l: Leaf<V>): void {
    this.finger = null;
    const right = new Leaf<V>();
    const half = l.keys.length >>> 1;
    right.keys = l.keys.splice(half);
    right.vals = l.vals.splice(half);
    right.next = l.next;
    if (right.next !== null) right.next.prev = right;
    right.prev = l;
    l.next = right;
    this.insertChild(this.depth - 1, right.keys[0]!, right);
  }

  /** Puts `child` (lower bound `sep`) right after the path's child at depth `d` (d = -1: a new root). */
  private insertChild(d: number, sep: number, child: Node<V>): void {
    if (d < 0) {
      const r = new Inner<V>();
      r.children.push(this.root, child);
      r.seps.push(sep);
      this.root = r;
      return;
    }
    const p = this.pathNodes[d]!;
    const i = this.pathIndex[d]!;
    p.seps.splice(i, 0, sep);
    p.children.splice(i + 1, 0, child);
    if (p.children.length > MAX) {
      const right = new Inner<V>();
      const half = p.children.length >>> 1;
      right.children = p.children.splice(half);
      // seps[half - 1] separates the halves: it becomes the new node's lower bound in the parent.
      right.seps = p.seps.splice(half);
      const up = p.seps.pop()!;
      this.insertChild(d - 1, up, right);
    }
  }

  /** Removes `k`; false when it is not present. */
  delete(k: number): boolean {
    const l = this.descend(k);
    const i = lowerBound(l.keys, k);
    if (i >= l.keys.length || l.keys[i] !== k) return false;
    return this.removeFromLeaf(l, i);
  }

  /** Removes entry i of leaf l, the last descent's leaf (its path is used if l empties). */
  private removeFromLeaf(l: Leaf<V>, i: number): boolean {
    this.lookupLeaf = null;
    removeEntryAt(l.keys, l.vals, i);
    this.count--;
    if (l.keys.length === 0 && this.depth > 0) {
      if (l.prev !== null) l.prev.next = l.next;
      if (l.next !== null) l.next.prev = l.prev;
      this.removeChild(this.depth - 1);
    }
    return true;
  }

  /** Removes the path's child at depth `d` (an empty node) from its parent. */
  private removeChild(d: number): void {
    this.finger = null;
    const p = this.pathNodes[d]!;
    const i = this.pathIndex[d]!;
    p.children.splice(i, 1);
    if (p.seps.length > 0) p.seps.splice(i > 0 ? i - 1 : 0, 1);
    if (p.children.length === 0) {
      if (d > 0) this.removeChild(d - 1);
      else this.root = new Leaf<V>();
      return;
    }
    // A root with one child hands the root over to it.
    while (!this.root.leaf && this.root.children.length === 1) this.root = this.root.children[0]!;
  }

  clear(): void {
    this.root = new Leaf<V>();
    this.count = 0;
    this.lookupLeaf = null;
    this.finger = null;
  }

  /** Values in ascending key order. */
  *values(): Generator<V, void, undefined> {
    let n = this.root;
    while (!n.leaf) n = n.children[0]!;
    for (let l: Leaf<V> | null = n; l !== null; l = l.next) for (let i = 0; i < l.vals.length; i++) yield l.vals[i]!;
  }

  /** Values in descending key order, from the greatest key < `below` (from the greatest key when undefined). */
  *descending(below?: number): Generator<V, void, undefined> {
    let l: Leaf<V> | null;
    let i: number;
    if (below === undefined) {
      let n = this.root;
      while (!n.leaf) n = n.children[n.children.length - 1]!;
      l = n;
      i = n.keys.length - 1;
    } else {
      l = this.descend(below);
      i = lowerBound(l.keys, below) - 1;
    }
    while (l !== null) {
      for (; i >= 0; i--) yield l.vals[i]!;
      l = l.prev;
      if (l !== null) i = l.keys.length - 1;
    }
  }

  /** Structure checks for tests: keys ascending across linked leaves, separators bound their subtrees, counts. */
  checkInvariants(): string[] {
    const problems: string[] = [];
    let n = 0;
    let prevKey = -Infinity;
    let first = this.root;
    while (!first.leaf) first = first.children[0]!;
    for (let l: Leaf<V> | null = first; l !== null; l = l.next) {
      if (l.keys.length !== l.vals.length) problems.push('leaf keys and values differ in length');
      if (l.keys.length === 0 && l !== this.root) problems.push('empty leaf');
      for (const k of l.keys) {
        if (!(k > prevKey)) problems.push(`key ${k} after ${prevKey}`);
        prevKey = k;
        n++;
      }
      if (l.next !== null && l.next.prev !== l) problems.push('broken leaf links');
    }
    if (n !== this.count) problems.push(`size ${this.count} but ${n} keys`);
    const check = (node: Node<V>, lo: number, hi: number): void => {
      if (node.leaf) {
        for (const k of node.keys) if (k < lo || k >= hi) problems.push(`key ${k} outside [${lo}, ${hi})`);
        return;
      }
      if (node.seps.length !== node.children.length - 1) problems.push('separators and children differ');
      for (let c = 0; c < node.children.length; c++) {
        check(node.children[c]!, c === 0 ? lo : node.seps[c - 1]!, c === node.seps.length ? hi : node.seps[c]!);
      }
    };
    check(this.root, -Infinity, Infinity);
    return problems;
  }
}
