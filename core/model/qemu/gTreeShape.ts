// GLib's GTree (glib/gtree.c) as a generic AVL tree with GLib's exact shape: standard AVL insert,
// removal of a node with two children by moving its in-order successor into its place
// (g_tree_insert_internal, g_tree_remove_internal, g_tree_node_balance), a step counter that prices
// lookups, and an optional interval augmentation (largest last address per subtree). QEMU's IOVA tree
// (iovaTree.ts) stores its maps here; which map a lookup returns depends on this shape.
// Nodes are numbers indexing arrays (children, heights, augmentation), so a tree of 65536 maps is a
// few arrays rather than 65536 objects; trees may share their node arrays (GTreeNodes: the IOVA tree's
// reverse indexes, one per id, often hold a single map each). A value ordered after every value in the tree (QEMU maps
// a region's pages in ascending IOVA order) goes down the right spine, which is kept as a list: such
// an insert or lookup costs the spine's length in steps, as walking it would, and rebalances from the
// bottom only as far as heights change (above that the standard insert's rebalancing changes
// nothing); the spine's augmentation is brought up to date when something reads it. The values in
// order are kept as a list while only appends change the tree, so an in-order search is a loop over
// it, charged the nodes an in-order walk would visit. A run of appends of consecutive numbers (an
// IOVA tree mapping a region page by page into fresh slots) is one loop over the node arrays
// (appendRun), checked against the same appends made call by call (gTreeShape.modelBased.test.ts).
// Must not: know what the values are (DMA maps, IOVAs, ids: the comparator and `lastOf` say all it
// needs), reset its own step counter (callers read and zero `steps`), or deviate from GLib's shape.

/** No node. */
const NIL = -1;

/** A node of the tree as tests and snapshots see it. */
export interface AvlNodeView<T> {
  readonly value: T;
  readonly height: number;
  readonly left: AvlNodeView<T> | null;
  readonly right: AvlNodeView<T> | null;
}

/** Node storage: value, children, height and augmentation by node id; trees given the same one share it. */
export class GTreeNodes<T> {
  readonly values: (T | undefined)[] = [];
  left = new Int32Array(16);
  right = new Int32Array(16);
  heights = new Int32Array(16);
  maxLast = new Float64Array(16);
  /** Ids of removed nodes, reused first. */
  readonly freeIds: number[] = [];
  private next = 0;

  /** A leaf holding `v` whose augmentation is `last`. */
  alloc(v: T, last: number): number {
    let id = this.freeIds.pop();
    if (id === undefined) {
      id = this.next++;
      if (id === this.left.length) this.grow();
    }
    this.values[id] = v;
    this.left[id] = NIL;
    this.right[id] = NIL;
    this.heights[id] = 1;
    this.maxLast[id] = last;
    return id;
  }

  /**
   * `count` leaves holding from, from + 1, ..., as alloc would make them one by one, when no id is
   * free (their ids are consecutive): returns the first id, or -1 (nothing made) when an id is free.
   */
  allocFresh(this: GTreeNodes<number>, from: number, count: number, lastOf: ((v: number) => number) | null): number {
    if (this.freeIds.length > 0) return -1;
    this.reserve(count);
    const first = this.next;
    const end = first + count;
    this.next = end;
    const values = this.values;
    for (let id = first; id < end; id++) values[id] = from + (id - first);
    this.left.fill(NIL, first, end);
    this.right.fill(NIL, first, end);
    this.heights.fill(1, first, end);
    if (lastOf === null) this.maxLast.fill(0, first, end);
    else for (let id = first; id < end; id++) this.maxLast[id] = lastOf(from + (id - first));
    return first;
  }

  release(id: number): void {
    this.values[id] = undefined;
    this.freeIds.push(id);
  }

  /** Room for `more` nodes beyond those in use (doubling), so a run of inserts grows the arrays once. */
  reserve(more: number): void {
    const need = this.next + more - this.freeIds.length;
    if (need > this.left.length) this.grow(need);
  }

  private grow(atLeast = 0): void {
    let n = this.left.length * 2;
    while (n < atLeast) n *= 2;
    const left = new Int32Array(n);
    left.set(this.left);
    this.left = left;
    const right = new Int32Array(n);
    right.set(this.right);
    this.right = right;
    const heights = new Int32Array(n);
    heights.set(this.heights);
    this.heights = heights;
    const maxLast = new Float64Array(n);
    maxLast.set(this.maxLast);
    this.maxLast = maxLast;
  }
}

/**
 * GLib's GTree shape with a step counter (one step = one comparator call or one node visited).
 * `lastOf`, when given, augments nodes with the subtree's largest last host byte.
 */
export class GTreeShape<T> {
  size = 0;
  steps = 0;
  private root = NIL;
  /** The right spine, root first, in its first spineLen entries (valid when spineValid; grown when full). */
  private spine: Int32Array<ArrayBuffer> = new Int32Array(0);
  private spineLen = 0;
  private spineValid = true;
  /** maxLast of the spine's nodes may be out of date (every other node's is exact). */
  private spineStale = false;
  /** The values in order, while only appends changed the tree (null: built when asked). */
  private ordered: T[] | null = null;

  /**
   * @param compare the order; for a key after the last value (compare(key, last) > 0) it must also be
   *   after every other value (true of any total order, and of QEMU's overlap comparator on maps that
   *   do not overlap, whose ends rise with their starts)
   * @param n node storage, shared with other trees or the tree's own
   */
  constructor(
    private readonly compare: (a: T, b: T) => number,
    private readonly lastOf: ((v: T) => number) | null = null,
    private readonly n: GTreeNodes<T> = new GTreeNodes<T>(),
  ) {}

  /** Room in the node storage for `more` inserts. */
  reserve(more: number): void {
    this.n.reserve(more);
  }

  /** The root as nested node views (tests, snapshots). */
  get rootView(): AvlNodeView<T> | null {
    this.settle();
    const view = (n: number): AvlNodeView<T> | null =>
      n === NIL
        ? null
        : { value: this.n.values[n]!, height: this.n.heights[n]!, left: view(this.n.left[n]!), right: view(this.n.right[n]!) };
    return view(this.root);
  }

  private newNode(v: T): number {
    return this.n.alloc(v, this.lastOf === null ? 0 : this.lastOf(v));
  }

  /** The right spine, rebuilt after anything but an append changed the tree. */
  private rightSpine(): void {
    if (this.spineValid) return;
    this.spineLen = 0;
    for (let n = this.root; n !== NIL; n = this.n.right[n]!) this.pushSpine(n);
    this.spineValid = true;
  }

  private pushSpine(n: number): void {
    if (this.spineLen === this.spine.length) this.growSpine();
    this.spine[this.spineLen++] = n;
  }

  /** Doubles the spine's room (a spine is about 1.44 log2(size) nodes long); returns the new array. */
  private growSpine(): Int32Array<ArrayBuffer> {
    const next = new Int32Array(Math.max(32, 2 * this.spine.length));
    next.set(this.spine);
    this.spine = next;
    return next;
  }

  /** Whether `key` comes after every value (then a walk from the root follows the right spine to its end). */
  private afterLast(key: T): boolean {
    this.rightSpine();
    return this.spineLen > 0 && this.compare(key, this.n.values[this.spine[this.spineLen - 1]!]!) > 0;
  }

  /** Brings the spine's maxLast up to date (before anything reads or rebalances with it). */
  private settle(): void {
    if (!this.spineStale) return;
    for (let k = this.spineLen - 1; k >= 0; k--) this.fix(this.spine[k]!);
    this.spineStale = false;
  }

  /** g_tree_find_node: walk from the root and return the first node the comparator calls equal. */
  lookup(key: T): T | null {
    if (this.afterLast(key)) {
      // Every node on the way compares below the key: the walk goes right to the end of the spine.
      this.steps += this.spineLen;
      return null;
    }
    let node = this.root;
    while (node !== NIL) {
      this.steps++;
      const c = this.compare(key, this.n.values[node]!);
      if (c === 0) return this.n.values[node]!;
      node = c < 0 ? this.n.left[node]! : this.n.right[node]!;
    }
    return null;
  }

  /**
   * Whether `key` comes after every value (compare(key, last value) > 0): then lookup(key) finds
   * nothing after the right spine's length in steps and insert(key) appends. Charges no step.
   */
  isAfterLast(key: T): boolean {
    return this.afterLast(key);
  }

  /**
   * lookup(v) then insert(v) for a value the caller knows comes after every value (isAfterLast, or
   * a run of ascending values after one that did): the same steps (the spine's length twice, as the
   * failed g_tree_lookup and g_tree_insert walk it) and the same shape, without calling the
   * comparator. iova_tree_insert's lookup plus insert of a map appended at the top.
   */
  lookupAndAppend(v: T): void {
    if (this.root === NIL) {
      this.insert(v);
      return;
    }
    this.rightSpine();
    this.steps += this.spineLen;
    this.append(v);
  }

  insert(v: T): void {
    if (this.root === NIL) {
      this.root = this.newNode(v);
      this.size = 1;
      this.spineValid = false;
      this.ordered = null;
      return;
    }
    if (this.afterLast(v)) {
      this.append(v);
      return;
    }
    this.settle();
    this.root = this.insertAt(this.root, v);
    this.size++;
    this.spineValid = false;
    this.ordered = null;
  }

  /**
   * insertAt for a value after every other: one step per spine node, the leaf hangs off the last,
   * heights are updated from the bottom while they change; where the balance breaks, the single left
   * rotation g_tree_node_balance makes (the spine's lower part is right-heavy) restores the height
   * the subtree had, so nothing above changes.
   */
  private append(v: T): void {
    const len = this.spineLen;
    this.steps += len;
    const leaf = this.newNode(v);
    this.size++;
    this.ordered?.push(v);
    const sp = this.spine;
    const h = this.n.heights;
    this.n.right[sp[len - 1]!] = leaf;
    this.pushSpine(leaf);
    const spine = this.spine;
    if (this.lastOf !== null) this.spineStale = true;
    for (let k = len - 1; k >= 0; k--) {
      const n = spine[k]!;
      const l = this.n.left[n]!;
      const hl = l === NIL ? 0 : h[l]!;
      const r = spine[k + 1]!;
      const hr = h[r]!;
      if (hr - hl > 1) {
        if (this.height(this.n.left[r]!) > this.height(this.n.right[r]!)) {
          // Not reached by an append (its path is right-heavy); the general rebalance keeps the shape exact.
          this.settle();
          this.spineValid = false;
          const top = this.rebalance(n);
          if (k === 0) this.root = top;
          else this.n.right[spine[k - 1]!] = top;
          return;
        }
        // rotateLeft(n): r takes n's place on the spine, n goes down to its left.
        this.n.right[n] = this.n.left[r]!;
        this.n.left[r] = n;
        this.fix(n);
        const below = k + 2 < this.spineLen ? h[spine[k + 2]!]! : 0;
        h[r] = 1 + Math.max(h[n]!, below);
        if (k === 0) this.root = r;
        else this.n.right[spine[k - 1]!] = r;
        for (let j = k + 1; j < this.spineLen; j++) spine[j - 1] = spine[j]!;
        this.spineLen--;
        return;
      }
      const hn = 1 + (hl > hr ? hl : hr);
      if (hn === h[n]) return;
      h[n] = hn;
    }
  }

  /**
   * `count` appends of the values first, first + 1, ... (numbers: an IOVA tree's fresh map slots),
   * each of which the caller knows comes after every value, as `count` calls of lookupAndAppend
   * (`lookups` true: iova_tree_insert's failed g_tree_lookup plus g_tree_insert) or of insert (false)
   * would make them: the same shape, heights, in-order list and spine; `stepsOut[i]` gets call i's
   * steps (what `steps` grows by; `steps` itself is left alone). The append of append() in one loop
   * with the node arrays in locals (reserved first, so no allocation replaces them midway).
   */
  appendRun(this: GTreeShape<number>, first: number, count: number, lookups: boolean, stepsOut: Int32Array): void {
    let i = 0;
    if (count > 0 && this.root === NIL) {
      // The first map of an empty tree: no comparison either way.
      this.insert(first);
      stepsOut[0] = 0;
      i = 1;
    }
    if (i >= count) return;
    this.rightSpine();
    const nodes = this.n;
    nodes.reserve(count - i);
    const left = nodes.left;
    const right = nodes.right;
    const h = nodes.heights;
    const lastOf = this.lastOf;
    if (lastOf !== null) this.spineStale = true;
    const perNode = lookups ? 2 : 1;
    // Leaves made up front when no id is free (then alloc would number them on from `next`).
    const firstFresh = nodes.allocFresh(first + i, count - i, lastOf);
    const fresh = firstFresh - i;
    let spine = this.spine;
    let len = this.spineLen;
    for (; i < count; i++) {
      const v = first + i;
      stepsOut[i] = perNode * len;
      const leaf = firstFresh >= 0 ? fresh + i : nodes.alloc(v, lastOf === null ? 0 : lastOf(v));
      this.size++;
      this.ordered?.push(v);
      right[spine[len - 1]!] = leaf;
      if (len === spine.length) spine = this.growSpine();
      spine[len++] = leaf;
      // append(): heights up from the new leaf's parent while they change; one left rotation where
      // the balance breaks, which restores the subtree's height (nothing above changes).
      for (let k = len - 2; k >= 0; k--) {
        const n = spine[k]!;
        const l = left[n]!;
        const hl = l === NIL ? 0 : h[l]!;
        const r = spine[k + 1]!;
        const hr = h[r]!;
        if (hr - hl > 1) {
          const rl = left[r]!;
          const rr = right[r]!;
          if ((rl === NIL ? 0 : h[rl]!) > (rr === NIL ? 0 : h[rr]!)) {
            // Not reached by an append; append()'s general rebalance, then the spine is walked again.
            this.spine = spine;
            this.spineLen = len;
            this.settle();
            this.spineValid = false;
            const top = this.rebalance(n);
            if (k === 0) this.root = top;
            else right[spine[k - 1]!] = top;
            this.rightSpine();
            spine = this.spine;
            len = this.spineLen;
            break;
          }
          right[n] = rl;
          left[r] = n;
          this.fix(n);
          const below = k + 2 < len ? h[spine[k + 2]!]! : 0;
          h[r] = 1 + Math.max(h[n]!, below);
          if (k === 0) this.root = r;
          else right[spine[k - 1]!] = r;
          for (let j = k + 1; j < len; j++) spine[j - 1] = spine[j]!;
          len--;
          break;
        }
        const hn = 1 + (hl > hr ? hl : hr);
        if (hn === h[n]) break;
        h[n] = hn;
      }
    }
    this.spine = spine;
    this.spineLen = len;
  }

  /** g_tree_remove of the node equal to `key`; true when one was removed. */
  remove(key: T): boolean {
    this.settle();
    const before = this.size;
    this.root = this.removeAt(this.root, key);
    this.spineValid = false;
    this.ordered = null;
    return this.size < before;
  }

  /** g_tree_foreach: in-order until `visit` returns true; every visited node is one step. */
  forEachInOrder(visit: (v: T) => boolean): void {
    const stack: number[] = [];
    let top = 0;
    let node = this.root;
    while (node !== NIL || top > 0) {
      while (node !== NIL) {
        if (top === stack.length) stack.push(node);
        else stack[top] = node;
        top++;
        node = this.n.left[node]!;
      }
      const n = stack[--top]!;
      this.steps++;
      if (visit(this.n.values[n]!)) return;
      node = this.n.right[n]!;
    }
  }

  /**
   * g_tree_foreach until `match` holds: the first value in order that matches, or null, charged one
   * step per node the walk visits (the match included; all of them when none matches).
   */
  firstInOrder(match: (v: T) => boolean): T | null {
    let ordered = this.ordered;
    if (ordered === null) {
      const all: T[] = [];
      const steps = this.steps;
      this.forEachInOrder((v) => {
        all.push(v);
        return false;
      });
      this.steps = steps;
      this.ordered = ordered = all;
    }
    for (let i = 0; i < ordered.length; i++) {
      if (match(ordered[i]!)) {
        this.steps += i + 1;
        return ordered[i]!;
      }
    }
    this.steps += ordered.length;
    return null;
  }

  /** Interval-tree search: the lowest-ordered value whose [startOf, lastOf] overlaps [start, last]. */
  lowestOverlap(start: number, last: number, startOf: (v: T) => number): T | null {
    this.settle();
    const lastOf = this.lastOf!;
    let node = this.root;
    while (node !== NIL) {
      this.steps++;
      // Anything in the left subtree that reaches `start` makes the answer (if any) lie there.
      const l = this.n.left[node]!;
      if (l !== NIL && this.n.maxLast[l]! >= start) {
        node = l;
        continue;
      }
      const v = this.n.values[node]!;
      if (startOf(v) > last) return null;
      if (lastOf(v) >= start) return v;
      node = this.n.right[node]!;
    }
    return null;
  }

  /** Pre-order values (the shape, for snapshots). */
  preOrder(out: T[] = [], node: number = this.root): T[] {
    if (node === NIL) return out;
    out.push(this.n.values[node]!);
    this.preOrder(out, this.n.left[node]!);
    return this.preOrder(out, this.n.right[node]!);
  }

  /** Broken AVL properties (height, balance, order, augmentation), as sentences. */
  check(name: string): string[] {
    this.settle();
    const problems: string[] = [];
    let prev: T | null = null;
    let count = 0;
    const walk = (n: number): number => {
      if (n === NIL) return 0;
      const hl = walk(this.n.left[n]!);
      const v = this.n.values[n]!;
      count++;
      if (prev !== null && this.compare(prev, v) >= 0) problems.push(`${name}: in-order values are not strictly increasing`);
      prev = v;
      const hr = walk(this.n.right[n]!);
      if (this.n.heights[n] !== 1 + Math.max(hl, hr)) problems.push(`${name}: a node height is stale`);
      if (Math.abs(hr - hl) > 1) problems.push(`${name}: a node is out of AVL balance`);
      if (this.lastOf !== null && this.n.maxLast[n] !== this.augment(n)) problems.push(`${name}: a subtree maxLast is stale`);
      return 1 + Math.max(hl, hr);
    };
    walk(this.root);
    if (count !== this.size) problems.push(`${name}: holds ${count} nodes but counts ${this.size}`);
    if (this.ordered !== null) {
      const walked: T[] = [];
      const steps = this.steps;
      this.forEachInOrder((v) => walked.push(v) < 0);
      this.steps = steps;
      if (walked.length !== this.ordered.length || walked.some((v, i) => v !== this.ordered![i]))
        problems.push(`${name}: the in-order list is stale`);
    }
    return problems;
  }

  private insertAt(node: number, v: T): number {
    if (node === NIL) return this.newNode(v);
    this.steps++;
    // The child first: creating the leaf may replace the node arrays.
    if (this.compare(v, this.n.values[node]!) < 0) {
      const child = this.insertAt(this.n.left[node]!, v);
      this.n.left[node] = child;
    } else {
      const child = this.insertAt(this.n.right[node]!, v);
      this.n.right[node] = child;
    }
    return this.rebalance(node);
  }

  private removeAt(node: number, key: T): number {
    if (node === NIL) return NIL;
    this.steps++;
    const c = this.compare(key, this.n.values[node]!);
    if (c < 0) this.n.left[node] = this.removeAt(this.n.left[node]!, key);
    else if (c > 0) this.n.right[node] = this.removeAt(this.n.right[node]!, key);
    else {
      this.size--;
      const l = this.n.left[node]!;
      const r = this.n.right[node]!;
      this.n.release(node);
      if (l === NIL) return r;
      if (r === NIL) return l;
      // g_tree_remove_internal: the in-order successor takes the removed node's place.
      let succ = r;
      while (this.n.left[succ] !== NIL) succ = this.n.left[succ]!;
      this.n.right[succ] = this.removeMin(r);
      this.n.left[succ] = l;
      return this.rebalance(succ);
    }
    return this.rebalance(node);
  }

  private removeMin(node: number): number {
    const l = this.n.left[node]!;
    if (l === NIL) return this.n.right[node]!;
    this.n.left[node] = this.removeMin(l);
    return this.rebalance(node);
  }

  private height(n: number): number {
    return n === NIL ? 0 : this.n.heights[n]!;
  }

  private augment(n: number): number {
    if (this.lastOf === null) return 0;
    let m = this.lastOf(this.n.values[n]!);
    const l = this.n.left[n]!;
    const r = this.n.right[n]!;
    if (l !== NIL && this.n.maxLast[l]! > m) m = this.n.maxLast[l]!;
    if (r !== NIL && this.n.maxLast[r]! > m) m = this.n.maxLast[r]!;
    return m;
  }

  private fix(n: number): void {
    this.n.heights[n] = 1 + Math.max(this.height(this.n.left[n]!), this.height(this.n.right[n]!));
    this.n.maxLast[n] = this.augment(n);
  }

  /** g_tree_node_balance: single rotation unless the heavy child leans the other way. */
  private rebalance(n: number): number {
    this.fix(n);
    const balance = this.height(this.n.right[n]!) - this.height(this.n.left[n]!);
    if (balance < -1) {
      const l = this.n.left[n]!;
      if (this.height(this.n.right[l]!) > this.height(this.n.left[l]!)) this.n.left[n] = this.rotateLeft(l);
      return this.rotateRight(n);
    }
    if (balance > 1) {
      const r = this.n.right[n]!;
      if (this.height(this.n.left[r]!) > this.height(this.n.right[r]!)) this.n.right[n] = this.rotateRight(r);
      return this.rotateLeft(n);
    }
    return n;
  }

  private rotateLeft(n: number): number {
    const r = this.n.right[n]!;
    this.n.right[n] = this.n.left[r]!;
    this.n.left[r] = n;
    this.fix(n);
    this.fix(r);
    return r;
  }

  private rotateRight(n: number): number {
    const l = this.n.left[n]!;
    this.n.left[n] = this.n.right[l]!;
    this.n.right[l] = n;
    this.fix(n);
    this.fix(l);
    return l;
  }
}
