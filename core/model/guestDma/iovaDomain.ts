// The guest's IOVA allocator for one DMA domain (drivers/iommu/iova.c): allocated ranges in an
// ordered tree, searched top-down from a cached node ("next fit" downwards), size-aligned to
// roundup_pow_of_two(size), with one retry from the top of the limit, the 32-bit high-water mark
// (max32_alloc_size) and the cached-node updates on insert and delete. Units are page frames
// (pfn) of the domain's granule.
// Must not: cache freed ranges (iovaRcache.ts does) or know about devices, masks or flush queues.

import { roundUpPowerOfTwo } from '../base/bits';
import { IntervalMap } from '../base/intervalMap';

export interface IovaRange {
  /** pfn_lo */
  readonly start: number;
  /** pfn_hi (inclusive) */
  readonly last: number;
  /** A reserve_iova range (never handed out, not counted as allocated). */
  readonly reserved?: boolean;
}

/** A position of the backwards walk: a node, or the anchor that sits above the whole address space (IOVA_ANCHOR). */
type Node = IovaRange | 'anchor';
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
  private readonly tree = new IntervalMap<IovaRange>();
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
    return this.tree.containing(pfn);
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
      let newPfn: number;
      let at: Node = start;
      // rb_prev from `at` downwards, as one backwards walk of the tree.
      const below = this.tree.descendingBelow(at === ANCHOR ? undefined : at.start);
      do {
        high = Math.min(high, lo(at));
        newPfn = Math.floor((high - size) / align) * align;
        const prev = below.next();
        this.searchSteps++;
        if (prev.done === true) break;
        at = prev.value;
      } while (newPfn <= hi(at) && newPfn >= low);
      if (high < size || newPfn < low) {
        // One retry from the top of the limit, above the point where this search started.
        if (low === this.startPfn && retryPfn < limit) {
          high = limit;
          low = retryPfn + 1;
          start = this.tree.firstStartingAtOrAfter(limit) ?? ANCHOR;
          continue;
        }
        this.max32AllocSize = size;
        this.failures++;
        return 0;
      }
      const node: IovaRange = { start: newPfn, last: newPfn + size - 1 };
      // The walk found [newPfn, newPfn + size) free.
      this.tree.insertChecked(node);
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
    this.tree.insert({ start: s, last: l, reserved: true });
  }

  /** free_iova: frees the range containing `pfn`; returns false when there is none. */
  free(pfn: number): boolean {
    const node = this.tree.containing(pfn);
    if (node === undefined) return false;
    this.removeNode(node);
    return true;
  }

  /** private_free_iova with __cached_rbnode_delete_update. */
  private removeNode(node: IovaRange): void {
    const next: Node = this.tree.next(node) ?? ANCHOR;
    const c32 = this.cached32Node;
    if (node === c32 || (node.last < this.dma32bitPfn && node.start >= lo(c32))) this.cached32Node = next;
    if (node.start < this.dma32bitPfn) this.max32AllocSize = this.dma32bitPfn;
    if (node.start >= lo(this.cachedNode)) this.cachedNode = next;
    this.tree.delete(node);
    if (node.reserved !== true) this.pages -= node.last - node.start + 1;
  }

  /** Broken invariants (no overlap, nothing below startPfn). */
  checkInvariants(): string[] {
    const problems: string[] = [];
    let prev: IovaRange | undefined;
    for (const r of this.tree.values()) {
      if (r.start < this.startPfn) problems.push(`range at pfn ${r.start} is below startPfn ${this.startPfn}`);
      if (prev !== undefined && r.start <= prev.last) problems.push(`ranges at pfn ${prev.start} and ${r.start} overlap`);
      prev = r;
    }
    return problems;
  }
}
