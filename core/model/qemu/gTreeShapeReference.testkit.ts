// GLib's GTree shape as it was before the right-spine append path (gTreeShape.ts): every insert and
// lookup walks from the root. Kept as the oracle of gTreeShape.modelBased.test.ts and of
// iovaTreeReference.testkit.ts: for any sequence of calls both must give the same values, steps,
// shapes and augmentation.
// Must not: be imported outside tests (*.testkit.ts).

interface AvlNode<T> {
  value: T;
  left: AvlNode<T> | null;
  right: AvlNode<T> | null;
  height: number;
  /** Largest `lastOf` in the subtree (reverse index only: an interval tree on host addresses). */
  maxLast: number;
}

/**
 * GLib's GTree shape with a step counter (one step = one comparator call or one node visited).
 * `lastOf`, when given, augments nodes with the subtree's largest last host byte.
 */
export class GTreeShapeReference<T> {
  root: AvlNode<T> | null = null;
  size = 0;
  steps = 0;
  private readonly stack: AvlNode<T>[] = [];

  constructor(
    private readonly compare: (a: T, b: T) => number,
    private readonly lastOf: ((v: T) => number) | null = null,
  ) {}

  /** g_tree_find_node: walk from the root and return the first node the comparator calls equal. */
  lookup(key: T): T | null {
    let node = this.root;
    while (node !== null) {
      this.steps++;
      const c = this.compare(key, node.value);
      if (c === 0) return node.value;
      node = c < 0 ? node.left : node.right;
    }
    return null;
  }

  insert(v: T): void {
    this.root = this.insertAt(this.root, v);
    this.size++;
  }

  /** g_tree_remove of the node equal to `key`; true when one was removed. */
  remove(key: T): boolean {
    const before = this.size;
    this.root = this.removeAt(this.root, key);
    return this.size < before;
  }

  /** g_tree_foreach: in-order until `visit` returns true; every visited node is one step. */
  forEachInOrder(visit: (v: T) => boolean): void {
    const stack = this.stack;
    stack.length = 0;
    let node = this.root;
    while (node !== null || stack.length > 0) {
      while (node !== null) {
        stack.push(node);
        node = node.left;
      }
      const top = stack.pop()!;
      this.steps++;
      if (visit(top.value)) {
        stack.length = 0;
        return;
      }
      node = top.right;
    }
  }

  /** Interval-tree search: the lowest-ordered value whose [startOf, lastOf] overlaps [start, last]. */
  lowestOverlap(start: number, last: number, startOf: (v: T) => number): T | null {
    const lastOf = this.lastOf!;
    let node = this.root;
    while (node !== null) {
      this.steps++;
      // Anything in the left subtree that reaches `start` makes the answer (if any) lie there.
      if (node.left !== null && node.left.maxLast >= start) {
        node = node.left;
        continue;
      }
      const s = startOf(node.value);
      if (s > last) return null;
      if (lastOf(node.value) >= start) return node.value;
      node = node.right;
    }
    return null;
  }

  /** Pre-order values (the shape, for snapshots). */
  preOrder(out: T[] = [], node: AvlNode<T> | null = this.root): T[] {
    if (node === null) return out;
    out.push(node.value);
    this.preOrder(out, node.left);
    return this.preOrder(out, node.right);
  }

  /** Broken AVL properties (height, balance, order, augmentation), as sentences. */
  check(name: string): string[] {
    const problems: string[] = [];
    let prev: T | null = null;
    const walk = (n: AvlNode<T> | null): number => {
      if (n === null) return 0;
      const hl = walk(n.left);
      if (prev !== null && this.compare(prev, n.value) >= 0) problems.push(`${name}: in-order values are not strictly increasing`);
      prev = n.value;
      const hr = walk(n.right);
      if (n.height !== 1 + Math.max(hl, hr)) problems.push(`${name}: a node height is stale`);
      if (Math.abs(hr - hl) > 1) problems.push(`${name}: a node is out of AVL balance`);
      if (this.lastOf !== null && n.maxLast !== this.augment(n)) problems.push(`${name}: a subtree maxLast is stale`);
      return 1 + Math.max(hl, hr);
    };
    walk(this.root);
    let count = 0;
    this.forEachCount(this.root, () => count++);
    if (count !== this.size) problems.push(`${name}: holds ${count} nodes but counts ${this.size}`);
    return problems;
  }

  private forEachCount(n: AvlNode<T> | null, f: () => void): void {
    if (n === null) return;
    this.forEachCount(n.left, f);
    f();
    this.forEachCount(n.right, f);
  }

  private insertAt(node: AvlNode<T> | null, v: T): AvlNode<T> {
    if (node === null) {
      const leaf: AvlNode<T> = { value: v, left: null, right: null, height: 1, maxLast: 0 };
      leaf.maxLast = this.augment(leaf);
      return leaf;
    }
    this.steps++;
    if (this.compare(v, node.value) < 0) node.left = this.insertAt(node.left, v);
    else node.right = this.insertAt(node.right, v);
    return this.rebalance(node);
  }

  private removeAt(node: AvlNode<T> | null, key: T): AvlNode<T> | null {
    if (node === null) return null;
    this.steps++;
    const c = this.compare(key, node.value);
    if (c < 0) node.left = this.removeAt(node.left, key);
    else if (c > 0) node.right = this.removeAt(node.right, key);
    else {
      this.size--;
      if (node.left === null) return node.right;
      if (node.right === null) return node.left;
      // g_tree_remove_internal: the in-order successor takes the removed node's place.
      let succ = node.right;
      while (succ.left !== null) succ = succ.left;
      succ.right = this.removeMin(node.right);
      succ.left = node.left;
      return this.rebalance(succ);
    }
    return this.rebalance(node);
  }

  private removeMin(node: AvlNode<T>): AvlNode<T> | null {
    if (node.left === null) return node.right;
    node.left = this.removeMin(node.left);
    return this.rebalance(node);
  }

  private height(n: AvlNode<T> | null): number {
    return n === null ? 0 : n.height;
  }

  private augment(n: AvlNode<T>): number {
    if (this.lastOf === null) return 0;
    let m = this.lastOf(n.value);
    if (n.left !== null && n.left.maxLast > m) m = n.left.maxLast;
    if (n.right !== null && n.right.maxLast > m) m = n.right.maxLast;
    return m;
  }

  private fix(n: AvlNode<T>): void {
    n.height = 1 + Math.max(this.height(n.left), this.height(n.right));
    n.maxLast = this.augment(n);
  }

  /** g_tree_node_balance: single rotation unless the heavy child leans the other way. */
  private rebalance(n: AvlNode<T>): AvlNode<T> {
    this.fix(n);
    const balance = this.height(n.right) - this.height(n.left);
    if (balance < -1) {
      const l = n.left!;
      if (this.height(l.right) > this.height(l.left)) n.left = this.rotateLeft(l);
      return this.rotateRight(n);
    }
    if (balance > 1) {
      const r = n.right!;
      if (this.height(r.left) > this.height(r.right)) n.right = this.rotateRight(r);
      return this.rotateLeft(n);
    }
    return n;
  }

  private rotateLeft(n: AvlNode<T>): AvlNode<T> {
    const r = n.right!;
    n.right = r.left;
    r.left = n;
    this.fix(n);
    this.fix(r);
    return r;
  }

  private rotateRight(n: AvlNode<T>): AvlNode<T> {
    const l = n.left!;
    n.left = l.right;
    l.right = n;
    this.fix(n);
    this.fix(l);
    return l;
  }
}
