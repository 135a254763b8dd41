// The guest kernel's TCE allocator for one window (L arch/powerpc/kernel/iommu.c struct iommu_table:
// it_map, pools, large_pool). iommu_init_table splits a window of 1 GiB or more into IOMMU_NR_POOLS
// (4) pools over the bottom three quarters plus a large pool on the top quarter (one pool and the
// large pool below 1 GiB); entry 0 is reserved when the window starts at bus address 0.
// iommu_range_alloc: allocations of more than 15 TCEs use the large pool, others the pool picked by
// the CPU's hash (hash_32(cpu, IOMMU_POOL_HASHBITS)); the search starts at the pool's hint (next fit),
// restarts at the pool start, then tries every other pool, then the large pool, then fails; a
// small allocation moves the hint to the next it_blocksize (16) boundary, a large one to its end.
// iommu_area_alloc never uses the last entry below the limit, aligns in bitmap space and refuses a
// span crossing the device's segment boundary. Frees clear the bits and leave hints alone.
// The entries in use are the kernel's it_map bitmap (iommuItMap.ts); each allocation's length is
// kept by its first entry, as the caller of iommu_free knows it (iommu_free_check refuses a free
// that does not match one), in a table by entry (chunks of 2^14 allocated on first use).
// Must not: write TCEs (the caller issues the hypercalls) or know about devices beyond their masks.

import { IommuItMap } from './iommuItMap';
import { pow2, remPow2 } from '../../base/bits';

/** IOMMU_NR_POOLS. */
const NR_POOLS = 4;
/** it_blocksize of pSeries tables (iommu_table_setparms_common). */
const BLOCK_SIZE = 16;
/** iommu_range_alloc: "int largealloc = npages > 15". */
const LARGE_ALLOC = 15;
/** GOLDEN_RATIO_32 of hash_32. */
const GOLDEN_RATIO_32 = 0x61c88647;
/** IOMMU_POOL_HASHBITS. */
const POOL_HASH_BITS = 2;

/** Entries per chunk of the allocation lengths (2^14: 64 KiB). */
const LEN_SHIFT = 14;
const LEN_CHUNK = 1 << LEN_SHIFT;

/** Length (TCEs) of each live allocation by its first entry; 0 = none starts there. */
class AllocLengths {
  /** Chunks by entry >> LEN_SHIFT (a table has at most 2^31 entries: at most 2^17 chunks; a length fits 32 bits). */
  private readonly chunks: (Uint32Array | null)[];

  constructor(size: number) {
    this.chunks = new Array<Uint32Array | null>(Math.ceil(size / LEN_CHUNK)).fill(null);
  }

  /** The length of the allocation starting at `entry`, 0 when none does (any entry, even outside the table). */
  get(entry: number): number {
    if (!(entry >= 0 && entry < this.chunks.length * LEN_CHUNK) || !Number.isInteger(entry)) return 0;
    const c = this.chunks[entry >>> LEN_SHIFT]!;
    return c === null ? 0 : c[entry & (LEN_CHUNK - 1)]!;
  }

  /** Sets (n > 0) or clears (n = 0) the length at an entry of the table. */
  set(entry: number, n: number): void {
    const key = entry >>> LEN_SHIFT;
    let c = this.chunks[key]!;
    if (c === null) c = this.chunks[key] = new Uint32Array(LEN_CHUNK);
    c[entry & (LEN_CHUNK - 1)] = n;
  }

  /** [first entry, length] of every allocation, in entry order. */
  entries(): [number, number][] {
    const out: [number, number][] = [];
    this.chunks.forEach((c, key) => {
      if (c !== null) for (let i = 0; i < LEN_CHUNK; i++) if (c[i] !== 0) out.push([key * LEN_CHUNK + i, c[i]!]);
    });
    return out;
  }
}

interface Pool {
  readonly start: number;
  readonly end: number;
  hint: number;
}

/** hash_32(cpu, IOMMU_POOL_HASHBITS): the pool a CPU starts in (setup_iommu_pool_hash). */
export function iommuPoolHash(cpu: number): number {
  return (Math.imul(cpu, GOLDEN_RATIO_32) >>> 0) >>> (32 - POOL_HASH_BITS);
}

export class IommuPoolTable {
  readonly pools: Pool[];
  readonly largePool: Pool;
  readonly poolSize: number;
  /** it_map: one bit per entry in use. */
  private readonly itMap: IommuItMap;
  /** First entry of each live allocation -> its TCEs (entry 0's reservation included). */
  private readonly lengths: AllocLengths;
  /** TCEs allocated (entry 0's reservation not counted). */
  allocatedTces = 0;
  allocatedPeak = 0;
  /** Allocations that had to leave their first pool (pass > 1). */
  poolFallbacks = 0;
  readonly pageSize: number;
  /** 1 / pageSize and 1 / boundaryTces, exact (powers of two): a multiplication gives the division's bits. */
  readonly invPageSize: number;
  private readonly invBoundary: number;
  /** First bus address of the window (offset * pageSize). */
  readonly baseAddr: number;
  /** baseAddr + size * pageSize. */
  private readonly windowEnd: number;

  /**
   * @param liobn the window's LIOBN (it_index)
   * @param offset it_offset: the window's first TCE number (bus address >> pageShift)
   * @param size it_size in TCEs
   * @param boundaryTces dma_get_seg_boundary_nr_pages: TCEs per device DMA segment (PCI: 4 GiB), a power of two
   */
  constructor(
    readonly liobn: number,
    readonly offset: number,
    readonly size: number,
    readonly pageShift: number,
    private readonly boundaryTces: number,
  ) {
    this.pageSize = 2 ** pageShift;
    this.invPageSize = 1 / this.pageSize;
    this.invBoundary = 1 / boundaryTces;
    this.baseAddr = offset * this.pageSize;
    this.windowEnd = this.baseAddr + size * this.pageSize;
    this.itMap = new IommuItMap(size);
    this.lengths = new AllocLengths(size);
    const nrPools = size * this.pageSize >= 2 ** 30 ? NR_POOLS : 1;
    this.poolSize = Math.floor(Math.floor((size * 3) / 4) / nrPools);
    this.pools = Array.from({ length: nrPools }, (_, i) => ({
      start: i * this.poolSize,
      end: (i + 1) * this.poolSize,
      hint: i * this.poolSize,
    }));
    this.largePool = { start: nrPools * this.poolSize, end: size, hint: nrPools * this.poolSize };
    // iommu_table_reserve_pages: "Reserve page 0 so it will not be used for any mappings".
    if (offset === 0) this.mark(0, 1);
  }

  get nrPools(): number {
    return this.pools.length;
  }

  /** remPow2(x, pageSize): x % pageSize, bit for bit, with the division as a multiplication. */
  remPage(x: number): number {
    if (x > 0) return x - Math.floor(x * this.invPageSize) * this.pageSize;
    return remPow2(x, this.pageSize);
  }

  /** Whether a bus address lies in this table's window. */
  holds(dmaAddr: number): boolean {
    return dmaAddr >= this.baseAddr && dmaAddr < this.windowEnd;
  }

  /**
   * iommu_range_alloc (handle NULL): an entry (relative to it_offset) for `npages` TCEs, aligned to
   * 2^alignOrder, below `maskTces` (the DMA mask >> page shift), or -1 (DMA_MAPPING_ERROR).
   */
  alloc(cpu: number, npages: number, maskTces: number, alignOrder: number): number {
    if (npages === 0) return -1;
    const alignMask = pow2(alignOrder) - 1;
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
        this.mark(n, npages);
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

  private mark(entry: number, npages: number): void {
    this.itMap.set(entry, entry + npages - 1);
    this.lengths.set(entry, npages);
  }

  /**
   * iommu_area_alloc(map, limit, start, nr, shift = it_offset, boundary, align_mask): the lowest
   * aligned free run at or after `start` ending before limit - 1 that does not cross a segment boundary.
   * A candidate that meets a set bit moves past the run of set bits (bitmap_find_next_zero_area_off):
   * no start inside that run can be free.
   */
  private areaAlloc(start: number, limit: number, nr: number, alignMask: number): number {
    const size = limit - 1;
    let pos = start;
    for (;;) {
      // ALIGN(pos, align_mask + 1); with no alignment an integer pos is its own ceiling.
      if (alignMask !== 0 || !Number.isInteger(pos)) pos = Math.ceil(pos / (alignMask + 1)) * (alignMask + 1);
      if (pos + nr > size) return -1;
      // remPow2(offset + pos, boundaryTces), dividing by a multiplication with its exact inverse (the same bits).
      const at = this.offset + pos;
      const into = at > 0 ? at - Math.floor(at * this.invBoundary) * this.boundaryTces : remPow2(at, this.boundaryTces);
      if (into + nr > this.boundaryTces) {
        pos += this.boundaryTces - into;
        continue;
      }
      const hit = this.itMap.firstSet(pos, pos + nr - 1);
      if (hit < 0) return pos;
      pos = this.itMap.nextClear(hit);
    }
  }

  /** Whether [entry, entry + npages) is exactly one live allocation. */
  isAllocated(entry: number, npages: number): boolean {
    const len = this.lengths.get(entry);
    return len !== 0 && len === npages && !(entry === 0 && this.offset === 0);
  }

  /** Whether any of [entry, entry + npages) is allocated. */
  anyAllocated(entry: number, npages: number): boolean {
    // An empty span still asks about its first entry (as an interval lookup of [entry, entry - 1] would).
    return this.itMap.firstSet(entry, Math.max(entry, entry + npages - 1)) >= 0;
  }

  /** The bitmap_clear of __iommu_free for a live allocation. */
  free(entry: number, npages: number): void {
    const len = this.lengths.get(entry);
    if (len === 0 || len !== npages) throw new Error(`no allocation of ${npages} TCEs at ${entry}`);
    this.lengths.set(entry, 0);
    this.itMap.clear(entry, entry + npages - 1);
    this.allocatedTces -= npages;
  }

  /** Live allocations as [first, last] entries, in entry order (entry 0's reservation included). */
  private extents(): [number, number][] {
    return this.lengths.entries().map(([start, n]) => [start, start + n - 1]);
  }

  /** iommu_table_in_use: anything allocated besides the reserved entry 0. */
  inUse(): boolean {
    return this.allocatedTces > 0;
  }

  snapshot(): unknown {
    return {
      liobn: this.liobn,
      hints: [...this.pools.map((p) => p.hint), this.largePool.hint],
      allocated: this.extents(),
    };
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    const name = `table 0x${this.liobn.toString(16)}`;
    let n = 0;
    let bits = 0;
    let prev = -1;
    for (const [start, last] of this.extents()) {
      if (start <= prev) problems.push(`${name}: allocations overlap at ${start}`);
      if (last >= this.size) problems.push(`${name}: allocation past the window at ${start}`);
      if (!(start === 0 && last === 0 && this.offset === 0)) n += last - start + 1;
      bits += last - start + 1;
      if (this.itMap.nextClear(start) <= Math.min(last, this.size - 1)) problems.push(`${name}: allocation at ${start} is not in it_map`);
      prev = last;
    }
    if (n !== this.allocatedTces) problems.push(`${name}: ${n} TCEs allocated but ${this.allocatedTces} counted`);
    if (bits !== this.itMap.count) problems.push(`${name}: it_map holds ${this.itMap.count} entries, the allocations ${bits}`);
    return problems;
  }
}
