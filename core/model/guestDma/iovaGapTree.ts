// The ordered set of one IOVA domain's allocated ranges (the rbtree of drivers/iommu/iova.c), as a
// treap whose every subtree knows its size and its largest free gap. With those two annotations
// the allocator's top-down walk (__alloc_and_insert_iova_range: rb_prev until a size-aligned hole
// fits) is answered without walking: the stopping node is found by a pruned search and the number
// of nodes the kernel would have visited is a difference of ranks. A full domain answers a failed
// allocation in O(log n) instead of one step per allocated range.
// Must not: decide allocation policy (iovaDomain.ts does); it only answers order and gap queries.
// Priorities come from a fixed-seed generator: the shape is deterministic, and no answer depends on it.

/** One allocated range of pfns (struct iova). */
export interface IovaRange {
  /** pfn_lo */
  readonly start: number;
  /** pfn_hi (inclusive) */
  readonly last: number;
  /** A reserve_iova range (never handed out, not counted as allocated). */
  readonly reserved?: boolean;
}

export class IovaNode implements IovaRange {
  left: IovaNode | null = null;
  right: IovaNode | null = null;
  prio = 0;
  /** Nodes in this subtree. */
  count = 1;
  /** Free pfns between the predecessor's last pfn and this start; -Infinity for the lowest node. */
  gap = -Infinity;
  /** Largest `gap` in this subtree. */
  maxGap = -Infinity;

  constructor(
    readonly start: number,
    readonly last: number,
    readonly reserved?: true,
  ) {}
}

function countOf(n: IovaNode | null): number {
  return n === null ? 0 : n.count;
}

function pull(n: IovaNode): void {
  const l = n.left;
  const r = n.right;
  n.count = 1 + (l === null ? 0 : l.count) + (r === null ? 0 : r.count);
  let g = n.gap;
  if (l !== null && l.maxGap > g) g = l.maxGap;
  if (r !== null && r.maxGap > g) g = r.maxGap;
  n.maxGap = g;
}

export class IovaGapTree {
  private root: IovaNode | null = null;
  private seed = 0x2545f491;
  /** Out-parameters of belowRanked() and highestFitRanked(): the answer's rank, the node after it. */
  rank = 0;
  after: IovaNode | null = null;
  // Out-parameters of split(), so splitting allocates nothing.
  private splitLeft: IovaNode | null = null;
  private splitRight: IovaNode | null = null;

  get size(): number {
    return countOf(this.root);
  }

  /** The node with the largest start <= pfn, if any. */
  floor(pfn: number): IovaNode | null {
    let t = this.root;
    let best: IovaNode | null = null;
    while (t !== null) {
      if (t.start <= pfn) {
        best = t;
        t = t.right;
      } else t = t.left;
    }
    return best;
  }

  /** The node with the largest start < pfn, if any. */
  below(pfn: number): IovaNode | null {
    let t = this.root;
    let best: IovaNode | null = null;
    while (t !== null) {
      if (t.start < pfn) {
        best = t;
        t = t.right;
      } else t = t.left;
    }
    return best;
  }

  /**
   * below(pfn) and, from the same descent, how many nodes start below pfn (left in `rank`: the
   * answer's rankOf() + 1, or 0 without one) and the node after the answer, ceil(pfn) (in `after`).
   */
  belowRanked(pfn: number): IovaNode | null {
    let t = this.root;
    let best: IovaNode | null = null;
    let after: IovaNode | null = null;
    let rank = 0;
    while (t !== null) {
      if (t.start < pfn) {
        best = t;
        rank += (t.left === null ? 0 : t.left.count) + 1;
        t = t.right;
      } else {
        after = t;
        t = t.left;
      }
    }
    this.rank = rank;
    this.after = after;
    return best;
  }

  /** The node with the smallest start >= pfn, if any. */
  ceil(pfn: number): IovaNode | null {
    let t = this.root;
    let best: IovaNode | null = null;
    while (t !== null) {
      if (t.start >= pfn) {
        best = t;
        t = t.left;
      } else t = t.right;
    }
    return best;
  }

  /** The node containing pfn, if any. */
  containing(pfn: number): IovaNode | null {
    const n = this.floor(pfn);
    return n !== null && n.last >= pfn ? n : null;
  }

  /** The node after `n` in address order (rb_next). */
  next(n: IovaNode): IovaNode | null {
    let t = this.root;
    let best: IovaNode | null = null;
    while (t !== null) {
      if (t.start > n.start) {
        best = t;
        t = t.left;
      } else t = t.right;
    }
    return best;
  }

  /** The node before `n` in address order (rb_prev). */
  prev(n: IovaNode): IovaNode | null {
    return this.below(n.start);
  }

  first(): IovaNode | null {
    let t = this.root;
    if (t === null) return null;
    while (t.left !== null) t = t.left;
    return t;
  }

  /** How many nodes start below `start` (the in-order index of a node starting there). */
  rankOf(start: number): number {
    let t = this.root;
    let rank = 0;
    while (t !== null) {
      if (start <= t.start) t = t.left;
      else {
        rank += countOf(t.left) + 1;
        t = t.right;
      }
    }
    return rank;
  }

  /** Inserts a node whose range the caller checked free. */
  insert(node: IovaNode): void {
    const key = node.start;
    // The predecessor (largest start < key) and successor (smallest start >= key) in one descent:
    // below() and ceil() branch on the same comparison, so they follow the same path.
    let pred: IovaNode | null = null;
    let succ: IovaNode | null = null;
    for (let t = this.root; t !== null;) {
      if (t.start < key) {
        pred = t;
        t = t.right;
      } else {
        succ = t;
        t = t.left;
      }
    }
    node.left = node.right = null;
    node.gap = pred === null ? -Infinity : key - pred.last - 1;
    node.prio = this.nextPrio();
    pull(node);
    // The successor's gap shrinks to what lies above the new node. For a key not in the tree both
    // neighbours lie on its search path, which split() re-annotates bottom-up, so setting the gap
    // before the split keeps every subtree maximum right without a descent of its own.
    if (succ !== null) succ.gap = succ.start - node.last - 1;
    this.split(this.root, key);
    const right = this.splitRight;
    this.root = this.merge(this.merge(this.splitLeft, node), right);
  }

  /** Removes `node`; returns the node after it (rb_next before the erase), or null. */
  delete(node: IovaNode): IovaNode | null {
    const key = node.start;
    // Predecessor and successor in one descent to the node (prev() and next() take the same path to it).
    let pred: IovaNode | null = null;
    let succ: IovaNode | null = null;
    for (let t = this.root; t !== null;) {
      if (t.start < key) {
        pred = t;
        t = t.right;
      } else if (t.start > key) {
        succ = t;
        t = t.left;
      } else {
        if (t.left !== null) {
          let l = t.left;
          while (l.right !== null) l = l.right;
          pred = l;
        }
        if (t.right !== null) {
          let r = t.right;
          while (r.left !== null) r = r.left;
          succ = r;
        }
        break;
      }
    }
    this.root = this.remove(this.root, key);
    if (succ !== null) this.setGap(this.root, succ.start, pred === null ? -Infinity : succ.start - pred.last - 1);
    return succ;
  }

  clear(): void {
    this.root = null;
  }

  /** Nodes overlapping [start, last], in address order (a snapshot: safe to delete while iterating). */
  overlapping(start: number, last: number): IovaNode[] {
    const out: IovaNode[] = [];
    let n = this.containing(start) ?? this.ceil(start);
    while (n !== null && n.start <= last) {
      out.push(n);
      n = this.next(n);
    }
    return out;
  }

  /** Every node in address order. */
  *values(): Generator<IovaNode, void, undefined> {
    const stack: IovaNode[] = [];
    let t = this.root;
    while (t !== null || stack.length > 0) {
      while (t !== null) {
        stack.push(t);
        t = t.left;
      }
      const n = stack.pop()!;
      yield n;
      t = n.right;
    }
  }

  /**
   * The highest node starting at or below `maxStart` whose gap below holds `size` pages aligned to
   * `align`: (start - size) rounded down to `align` lies above the predecessor's last pfn. Leaves
   * the answer's rankOf() in `rank` (counted by the same search).
   */
  highestFit(maxStart: number, size: number, align: number): IovaNode | null {
    return this.fitIn(this.root, maxStart, size, align, 0);
  }

  /** `base`: how many nodes start below t's subtree. Sets `rank` when it finds a node. */
  private fitIn(t: IovaNode | null, maxStart: number, size: number, align: number, base: number): IovaNode | null {
    if (t === null || t.maxGap < size) return null;
    if (t.start > maxStart) return this.fitIn(t.left, maxStart, size, align, base);
    const leftCount = t.left === null ? 0 : t.left.count;
    const r = this.fitIn(t.right, maxStart, size, align, base + leftCount + 1);
    if (r !== null) return r;
    if (t.gap >= size && Math.floor((t.start - size) / align) * align > t.start - t.gap - 1) {
      this.rank = base + leftCount;
      return t;
    }
    return this.fitIn(t.left, maxStart, size, align, base);
  }

  /** Checks the annotations against a recount (for tests and invariant checks). */
  checkAnnotations(): string[] {
    const problems: string[] = [];
    let prev: IovaNode | null = null;
    for (const n of this.values()) {
      const gap = prev === null ? -Infinity : n.start - prev.last - 1;
      if (n.gap !== gap) problems.push(`node at pfn ${n.start}: gap ${n.gap}, expected ${gap}`);
      prev = n;
    }
    const walk = (t: IovaNode | null): void => {
      if (t === null) return;
      walk(t.left);
      walk(t.right);
      const count = 1 + countOf(t.left) + countOf(t.right);
      const maxGap = Math.max(t.gap, t.left?.maxGap ?? -Infinity, t.right?.maxGap ?? -Infinity);
      if (t.count !== count || t.maxGap !== maxGap) problems.push(`node at pfn ${t.start}: stale subtree annotations`);
      if ((t.left !== null && t.left.prio > t.prio) || (t.right !== null && t.right.prio > t.prio))
        problems.push(`node at pfn ${t.start}: heap order broken`);
    };
    walk(this.root);
    return problems;
  }

  /** xorshift32: a fixed sequence of priorities. */
  private nextPrio(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }

  /** Splits t into splitLeft (start < key) and splitRight (start >= key). */
  private split(t: IovaNode | null, key: number): void {
    if (t === null) {
      this.splitLeft = this.splitRight = null;
      return;
    }
    if (t.start < key) {
      this.split(t.right, key);
      t.right = this.splitLeft;
      pull(t);
      this.splitLeft = t;
    } else {
      this.split(t.left, key);
      t.left = this.splitRight;
      pull(t);
      this.splitRight = t;
    }
  }

  private merge(a: IovaNode | null, b: IovaNode | null): IovaNode | null {
    if (a === null) return b;
    if (b === null) return a;
    if (a.prio > b.prio) {
      a.right = this.merge(a.right, b);
      pull(a);
      return a;
    }
    b.left = this.merge(a, b.left);
    pull(b);
    return b;
  }

  private remove(t: IovaNode | null, key: number): IovaNode | null {
    if (t === null) throw new Error(`no IOVA range starts at pfn ${key}`);
    if (key < t.start) t.left = this.remove(t.left, key);
    else if (key > t.start) t.right = this.remove(t.right, key);
    else {
      const merged = this.merge(t.left, t.right);
      t.left = t.right = null;
      return merged;
    }
    pull(t);
    return t;
  }

  private setGap(t: IovaNode | null, key: number, gap: number): void {
    if (t === null) throw new Error(`no IOVA range starts at pfn ${key}`);
    if (key < t.start) this.setGap(t.left, key, gap);
    else if (key > t.start) this.setGap(t.right, key, gap);
    else t.gap = gap;
    pull(t);
  }
}
