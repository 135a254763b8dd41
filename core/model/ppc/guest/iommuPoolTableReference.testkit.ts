// The guest TCE allocator as it was before its allocation bitmap (iommuItMap.ts): allocations kept
// as intervals in an IntervalMap and iommu_area_alloc stepping from one overlapping allocation to the
// end of the next. Kept as the oracle of iommuPoolTable.modelBased.test.ts: for any sequence of
// calls both must give the same entries, hints, counters, snapshots and failures.
// Must not: be imported outside tests (*.testkit.ts).

import { IntervalMap } from '../../base/intervalMap';
import { iommuPoolHash } from './iommuPoolTable';

/** IOMMU_NR_POOLS. */
const NR_POOLS = 4;
/** it_blocksize of pSeries tables (iommu_table_setparms_common). */
const BLOCK_SIZE = 16;
/** iommu_range_alloc: "int largealloc = npages > 15". */
const LARGE_ALLOC = 15;

interface Pool {
  readonly start: number;
  readonly end: number;
  hint: number;
}

interface Extent {
  readonly start: number;
  readonly last: number;
}

export class IommuPoolTableReference {
  readonly pools: Pool[];
  readonly largePool: Pool;
  readonly poolSize: number;
  private readonly allocated = new IntervalMap<Extent>();
  /** TCEs allocated (entry 0's reservation not counted). */
  allocatedTces = 0;
  allocatedPeak = 0;
  /** Allocations that had to leave their first pool (pass > 1). */
  poolFallbacks = 0;
  readonly pageSize: number;

  /**
   * @param liobn the window's LIOBN (it_index)
   * @param offset it_offset: the window's first TCE number (bus address >> pageShift)
   * @param size it_size in TCEs
   * @param boundaryTces dma_get_seg_boundary_nr_pages: TCEs per device DMA segment (PCI: 4 GiB)
   */
  constructor(
    readonly liobn: number,
    readonly offset: number,
    readonly size: number,
    readonly pageShift: number,
    private readonly boundaryTces: number,
  ) {
    this.pageSize = 2 ** pageShift;
    const nrPools = size * this.pageSize >= 2 ** 30 ? NR_POOLS : 1;
    this.poolSize = Math.floor(Math.floor((size * 3) / 4) / nrPools);
    this.pools = Array.from({ length: nrPools }, (_, i) => ({
      start: i * this.poolSize,
      end: (i + 1) * this.poolSize,
      hint: i * this.poolSize,
    }));
    this.largePool = { start: nrPools * this.poolSize, end: size, hint: nrPools * this.poolSize };
    // iommu_table_reserve_pages: "Reserve page 0 so it will not be used for any mappings".
    if (offset === 0) this.allocated.insert({ start: 0, last: 0 });
  }

  get nrPools(): number {
    return this.pools.length;
  }

  /** First bus address of the window. */
  get baseAddr(): number {
    return this.offset * this.pageSize;
  }

  /** Whether a bus address lies in this table's window. */
  holds(dmaAddr: number): boolean {
    return dmaAddr >= this.baseAddr && dmaAddr < this.baseAddr + this.size * this.pageSize;
  }

  /**
   * iommu_range_alloc (handle NULL): an entry (relative to it_offset) for `npages` TCEs, aligned to
   * 2^alignOrder, below `maskTces` (the DMA mask >> page shift), or -1 (DMA_MAPPING_ERROR).
   */
  alloc(cpu: number, npages: number, maskTces: number, alignOrder: number): number {
    if (npages === 0) return -1;
    const alignMask = 2 ** alignOrder - 1;
    const large = npages > LARGE_ALLOC;
    let poolNr = iommuPoolHash(cpu) & (this.nrPools - 1);
    let pool = large ? this.largePool : this.pools[poolNr]!;
    for (let pass = 0; ; pass++) {
      let start = pool.hint;
      let limit = pool.end;
      if (start >= limit) start = pool.start;
      if (limit + this.offset > maskTces) {
        limit = maskTces - this.offset + 1;
        // "first try at the masked hint ... on second pass, start at 0 in pool 0"
        if (start >= limit || pass > 0) {
          pool = this.pools[0]!;
          start = pool.start;
        }
      }
      const n = this.areaAlloc(start, limit, npages, alignMask);
      if (n >= 0) {
        if (pass > 1) this.poolFallbacks++;
        const end = n + npages;
        pool.hint = large ? end : Math.ceil(end / BLOCK_SIZE) * BLOCK_SIZE;
        this.allocated.insert({ start: n, last: end - 1 });
        this.allocatedTces += npages;
        if (this.allocatedTces > this.allocatedPeak) this.allocatedPeak = this.allocatedTces;
        return n;
      }
      if (pass === 0) pool.hint = pool.start;
      else if (pass <= this.nrPools) {
        poolNr = (poolNr + 1) & (this.nrPools - 1);
        pool = this.pools[poolNr]!;
        pool.hint = pool.start;
      } else if (pass === this.nrPools + 1) {
        pool = this.largePool;
        pool.hint = pool.start;
      } else return -1;
    }
  }

  /**
   * iommu_area_alloc(map, limit, start, nr, shift = it_offset, boundary, align_mask): the lowest
   * aligned free run at or after `start` ending before limit - 1 that does not cross a segment boundary.
   */
  private areaAlloc(start: number, limit: number, nr: number, alignMask: number): number {
    const size = limit - 1;
    let pos = start;
    for (;;) {
      pos = Math.ceil(pos / (alignMask + 1)) * (alignMask + 1);
      if (pos + nr > size) return -1;
      const into = (this.offset + pos) % this.boundaryTces;
      if (into + nr > this.boundaryTces) {
        pos += this.boundaryTces - into;
        continue;
      }
      const hit = this.allocated.firstOverlap(pos, pos + nr - 1);
      if (hit === undefined) return pos;
      pos = hit.last + 1;
    }
  }

  /** Whether [entry, entry + npages) is exactly one live allocation. */
  isAllocated(entry: number, npages: number): boolean {
    const e = this.allocated.containing(entry);
    return e !== undefined && e.start === entry && e.last === entry + npages - 1 && !(entry === 0 && this.offset === 0);
  }

  /** Whether any of [entry, entry + npages) is allocated. */
  anyAllocated(entry: number, npages: number): boolean {
    return this.allocated.firstOverlap(entry, entry + npages - 1) !== undefined;
  }

  /** The bitmap_clear of __iommu_free for a live allocation. */
  free(entry: number, npages: number): void {
    const e = this.allocated.containing(entry);
    if (e === undefined || e.start !== entry || e.last !== entry + npages - 1)
      throw new Error(`no allocation of ${npages} TCEs at ${entry}`);
    this.allocated.delete(e);
    this.allocatedTces -= npages;
  }

  /** iommu_table_in_use: anything allocated besides the reserved entry 0. */
  inUse(): boolean {
    return this.allocatedTces > 0;
  }

  snapshot(): unknown {
    return {
      liobn: this.liobn,
      hints: [...this.pools.map((p) => p.hint), this.largePool.hint],
      allocated: [...this.allocated.values()].map((e) => [e.start, e.last]),
    };
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    let n = 0;
    let prev = -1;
    for (const e of this.allocated.values()) {
      if (e.start <= prev) problems.push(`table 0x${this.liobn.toString(16)}: allocations overlap at ${e.start}`);
      if (e.last >= this.size) problems.push(`table 0x${this.liobn.toString(16)}: allocation past the window at ${e.start}`);
      if (!(e.start === 0 && e.last === 0 && this.offset === 0)) n += e.last - e.start + 1;
      prev = e.last;
    }
    if (n !== this.allocatedTces)
      problems.push(`table 0x${this.liobn.toString(16)}: ${n} TCEs allocated but ${this.allocatedTces} counted`);
    return problems;
  }
}
