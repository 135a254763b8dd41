// The one-TCE runs of a VFIO SPAPR TCE window, kept by TCE index (the lab's own storage, not a kernel
// structure): QEMU's VFIO listener maps and unmaps guest TCEs one page per ioctl
// (vfio_iommu_map_notify -> VFIO_IOMMU_MAP_DMA of one IOMMU page), so nearly every run a window holds
// is a single TCE written by its own MAP_DMA. The kernel keeps the TCE in the table at
// tbl->it_base[idx] (tce_iommu_build_v2 -> iommu_tce_xchg_no_kill); the lab keeps, at that index,
// what the run needs for snapshots and checks: the user address, the permission and the pre-registered
// region backing it. Chunks of 4096 entries are allocated on their first TCE (a window may have 2^47
// entries) and stay allocated; clearing a range visits only chunks that exist.
// Must not: hold runs of more than one TCE (spaprTceWindows.ts keeps those in an IntervalMap, and
// guarantees the two never overlap), or check, charge or count anything beyond the regions' mappedTces.

import type { MmIommuRegion } from './mmIommuMemList';

const CHUNK_SHIFT = 12;
const CHUNK = 1 << CHUNK_SHIFT;

class SingleTceChunk {
  /** Permission bits of the TCE at each entry; 0 = no one-TCE run there (a live TCE has READ or WRITE). */
  readonly perm = new Uint8Array(CHUNK);
  readonly vaddr = new Float64Array(CHUNK);
  readonly region: (MmIommuRegion | null)[] = new Array<MmIommuRegion | null>(CHUNK).fill(null);
  /** Entries with perm != 0. */
  live = 0;
}

/** One entry as snapshot and check code reads it. */
export interface SingleTce {
  readonly index: number;
  readonly vaddr: number;
  readonly perm: number;
  readonly region: MmIommuRegion | null;
}

export class SingleTceTable {
  private readonly chunks = new Map<number, SingleTceChunk>();
  /** Entries held. */
  count = 0;
  private lastKey = -1;
  private lastChunk: SingleTceChunk | null = null;

  private chunkAt(key: number): SingleTceChunk | undefined {
    if (key === this.lastKey) return this.lastChunk!;
    const c = this.chunks.get(key);
    if (c !== undefined) {
      this.lastKey = key;
      this.lastChunk = c;
    }
    return c;
  }

  /** Stores a one-TCE run at `index` (free: the caller cleared it) and counts it against its region. */
  set(index: number, vaddr: number, perm: number, region: MmIommuRegion | null): void {
    const key = Math.floor(index / CHUNK);
    let c = this.chunkAt(key);
    if (c === undefined) {
      c = new SingleTceChunk();
      this.chunks.set(key, c);
      this.lastKey = key;
      this.lastChunk = c;
    }
    const i = index - key * CHUNK;
    if (c.perm[i] !== 0) throw new Error(`TCE entry ${index} is already mapped`);
    c.perm[i] = perm;
    c.vaddr[i] = vaddr;
    c.region[i] = region;
    c.live++;
    this.count++;
    if (region !== null) region.mappedTces++;
  }

  /** Removes the entries in [first, last] (drops each region's mapped count); returns how many there were. */
  clear(first: number, last: number): number {
    if (this.count === 0 || last < first) return 0;
    const k0 = Math.floor(first / CHUNK);
    const k1 = Math.floor(last / CHUNK);
    let cleared = 0;
    if (k1 - k0 < this.chunks.size) {
      for (let k = k0; k <= k1; k++) {
        const c = this.chunkAt(k);
        if (c !== undefined) cleared += this.clearIn(c, k, first, last);
      }
    } else for (const [k, c] of this.chunks) if (k >= k0 && k <= k1) cleared += this.clearIn(c, k, first, last);
    this.count -= cleared;
    return cleared;
  }

  private clearIn(c: SingleTceChunk, key: number, first: number, last: number): number {
    if (c.live === 0) return 0;
    const base = key * CHUNK;
    const lo = Math.max(first - base, 0);
    const hi = Math.min(last - base, CHUNK - 1);
    let cleared = 0;
    for (let i = lo; i <= hi && c.live > 0; i++) {
      if (c.perm[i] === 0) continue;
      c.perm[i] = 0;
      const r = c.region[i]!;
      if (r !== null) {
        r.mappedTces--;
        c.region[i] = null;
      }
      c.live--;
      cleared++;
    }
    return cleared;
  }

  /** The entries in index order. */
  entries(): SingleTce[] {
    const out: SingleTce[] = [];
    for (const k of [...this.chunks.keys()].sort((a, b) => a - b)) {
      const c = this.chunks.get(k)!;
      if (c.live === 0) continue;
      for (let i = 0; i < CHUNK; i++)
        if (c.perm[i] !== 0) out.push({ index: k * CHUNK + i, vaddr: c.vaddr[i]!, perm: c.perm[i]!, region: c.region[i]! });
    }
    return out;
  }
}
