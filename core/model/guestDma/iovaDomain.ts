// The guest's IOVA allocator for one DMA domain (drivers/iommu/iova.c): allocated ranges in an
// ordered tree, searched top-down from a cached node ("next fit" downwards), size-aligned to
// roundup_pow_of_two(size), with one retry from the top of the limit, the 32-bit high-water mark
// (max32_alloc_size) and the cached-node updates on insert and delete. Units are page frames
// (pfn) of the domain's granule. The walk's answer and the number of nodes it visits (searchSteps,
// charged as guest CPU time) are computed from the annotated tree (iovaGapTree.ts) in O(log n);
// iovaDomainReference.testkit.ts walks node by node and the tests hold the two to the same answers.
// Must not: cache freed ranges (iovaRcache.ts does) or know about devices, masks or flush queues.

import { roundUpPowerOfTwo } from '../base/bits';
import { IovaGapTree, IovaNode, type IovaRange } from './iovaGapTree';

export type { IovaRange } from './iovaGapTree';

/** A position of the backwards walk: a node, or the anchor that sits above the whole address space (IOVA_ANCHOR). */
type Node = IovaNode | 'anchor';
const ANCHOR = 'anchor';

function lo(n: Node): number {
  return n === ANCHOR ? Infinity : n.start;
}

function hi(n: Node): number {
  return n === ANCHOR ? Infinity : n.last;
}

/** fls_long(size - 1): the alignment roundup_pow_of_two(size) as a number of pages. */
export function sizeAlignment(size: number): number {
  return roundUpPowerOfTwo(size);
}

export class IovaDomain {
  private readonly tree = new IovaGapTree();
  // Results of walk() besides the steps it returns.
  private walkHigh = 0;
  private walkPfn = 0;
  private cachedNode: Node = ANCHOR;
  private cached32Node: Node = ANCHOR;
  private max32AllocSize: number;
  /** pfn of 4 GiB in granule units. */
  readonly dma32bitPfn: number;
  allocations = 0;
  failures = 0;
  private pages = 0;
  /** Most pages allocated at once (including rcache- and flush-queue-held ranges). */
  allocatedPagesPeak = 0;
  /** Nodes visited by the searches (a cost measure). */
  searchSteps = 0;

  /**
   * @param granule the IOVA page size in bytes (the smallest IOMMU page, 4 KiB here)
   * @param startPfn lowest allocatable pfn; dma-iommu uses max(1, base >> shift), so IOVA 0 is never handed out
   */
  constructor(
    readonly granule: number,
    readonly startPfn: number,
  ) {
    if (startPfn < 1) throw new RangeError('startPfn must be >= 1 (IOVA 0 is never allocated)');
    this.dma32bitPfn = 2 ** 32 / granule;
    this.max32AllocSize = this.dma32bitPfn;
  }

  get rangeCount(): number {
    return this.tree.size;
  }

  /** Pages currently allocated (including ranges held by rcaches and flush queues, which stay in the tree). */
  allocatedPages(): number {
    return this.pages;
  }

  find(pfn: number): IovaRange | undefined {
    return this.tree.containing(pfn) ?? undefined;
  }

  ranges(): IterableIterator<IovaRange> {
    return this.tree.values();
  }

  private cachedFor(limitPfnExclusive: number): Node {
    return limitPfnExclusive <= this.dma32bitPfn ? this.cached32Node : this.cachedNode;
  }

  /**
   * alloc_iova(size, limit_pfn, size_aligned=true): returns the new range's pfn_lo, or 0 when the
   * space below `limitPfn` (inclusive) has no room (__alloc_and_insert_iova_range returns -ENOMEM).
   */
  alloc(size: number, limitPfn: number): number {
    const limit = limitPfn + 1;
    // max32_alloc_size: a size that failed below 4 GiB fails at once until something there is freed.
    if (limit <= this.dma32bitPfn && size >= this.max32AllocSize) {
      this.failures++;
      return 0;
    }
    const align = sizeAlignment(size);
    let start: Node = this.cachedFor(limit);
    const retryPfn = hi(start);
    let high = limit;
    let low = this.startPfn;
    for (;;) {
      this.searchSteps += this.walk(start, high, low, size, align);
      high = this.walkHigh;
      const newPfn = this.walkPfn;
      if (high < size || newPfn < low) {
        // One retry from the top of the limit, above the point where this search started.
        if (low === this.startPfn && retryPfn < limit) {
          high = limit;
          low = retryPfn + 1;
          start = this.tree.ceil(limit) ?? ANCHOR;
          continue;
        }
        this.max32AllocSize = size;
        this.failures++;
        return 0;
      }
      const node = new IovaNode(newPfn, newPfn + size - 1);
      // The walk found [newPfn, newPfn + size) free.
      this.tree.insert(node);
      this.pages += size;
      if (this.pages > this.allocatedPagesPeak) this.allocatedPagesPeak = this.pages;
      // __cached_rbnode_insert_update
      if (node.last < this.dma32bitPfn) this.cached32Node = node;
      else this.cachedNode = node;
      this.allocations++;
      return newPfn;
    }
  }

  /** reserve_iova for a range the allocator must never hand out (a reserved region); merges overlaps. */
  reserve(startPfn: number, lastPfn: number): void {
    let s = startPfn;
    let l = lastPfn;
    for (const r of this.tree.overlapping(s, l)) {
      s = Math.min(s, r.start);
      l = Math.max(l, r.last);
      this.removeNode(r);
    }
    if (this.tree.overlapping(s, l).length > 0) throw new Error('reserve: overlap left after merging');
    this.tree.insert(new IovaNode(s, l, true));
  }

  /** free_iova: frees the range containing `pfn`; returns false when there is none. */
  free(pfn: number): boolean {
    const node = this.tree.containing(pfn);
    if (node === null) return false;
    this.removeNode(node);
    return true;
  }

  /** private_free_iova with __cached_rbnode_delete_update. */
  private removeNode(node: IovaNode): void {
    // The erase returns rb_next(node), which the cached-node update needs (it reads no other tree state).
    const next: Node = this.tree.delete(node) ?? ANCHOR;
    const c32 = this.cached32Node;
    if (node === c32 || (node.last < this.dma32bitPfn && node.start >= lo(c32))) this.cached32Node = next;
    if (node.start < this.dma32bitPfn) this.max32AllocSize = this.dma32bitPfn;
    if (node.start >= lo(this.cachedNode)) this.cachedNode = next;
    if (node.reserved !== true) this.pages -= node.last - node.start + 1;
  }

  /**
   * The walk of __alloc_and_insert_iova_range from `n0` down: at node n_i, high = min(high, pfn_lo),
   * candidate = (high - size) rounded down to `align`; it stops at the lowest node, or when the
   * candidate lies above the next node down (a fit), or below `low`. Returns the nodes visited
   * and leaves the last high and candidate in walkHigh / walkPfn. Each of the three stops is found
   * by a tree query; the walk stops at whichever comes first (the highest node).
   */
  private walk(n0: Node, high0: number, low: number, size: number, align: number): number {
    const tree = this.tree;
    const r0 = n0 === ANCHOR ? tree.size : tree.rankOf(n0.start);
    // Without an earlier stop the walk ends at the lowest node (rb_prev returns NULL).
    let stop: Node = tree.first() ?? ANCHOR;
    let stopRank = 0;
    // Candidate below `low` exactly when high < alignUp(low) + size.
    const lowBound = Math.ceil(low / align) * align + size;
    if (Math.min(high0, lo(n0)) < lowBound) {
      stop = n0;
      stopRank = r0;
    } else {
      // Each query leaves its answer's rank (and the node after it) in the tree: no second descent.
      const below = tree.belowRanked(lowBound);
      if (below !== null) {
        stop = below;
        stopRank = tree.rank - 1;
      }
      // Nodes at or above high0 (the cached node or the anchor may be) all see high = high0; only the
      // last of them can stop, on the first node below high0.
      let suffixTop: IovaNode | null = n0 === ANCHOR ? null : n0;
      if (lo(n0) >= high0) {
        suffixTop = tree.belowRanked(high0);
        if (suffixTop !== null && suffixTop.last < Math.floor((high0 - size) / align) * align) {
          // rankOf(suffixTop) + 1; the node after it is the first at or above high0.
          const r = tree.rank;
          if (r > stopRank) {
            stop = tree.after ?? ANCHOR;
            stopRank = r;
          }
        }
      }
      const fit = suffixTop === null ? null : tree.highestFit(suffixTop.start, size, align);
      if (fit !== null) {
        const r = tree.rank;
        if (r > stopRank) {
          stop = fit;
          stopRank = r;
        }
      }
    }
    this.walkHigh = Math.min(high0, lo(stop));
    this.walkPfn = Math.floor((this.walkHigh - size) / align) * align;
    return r0 - stopRank + 1;
  }

  /** Broken invariants (no overlap, nothing below startPfn, tree annotations up to date). */
  checkInvariants(): string[] {
    const problems: string[] = this.tree.checkAnnotations();
    let prev: IovaRange | undefined;
    for (const r of this.tree.values()) {
      if (r.start < this.startPfn) problems.push(`range at pfn ${r.start} is below startPfn ${this.startPfn}`);
      if (prev !== undefined && r.start <= prev.last) problems.push(`ranges at pfn ${prev.start} and ${r.start} overlap`);
      prev = r;
    }
    return problems;
  }
}
