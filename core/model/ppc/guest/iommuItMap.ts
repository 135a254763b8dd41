// The allocation bitmap of one guest iommu_table (L arch/powerpc/kernel/iommu.c it_map: one bit per
// TCE, set while the entry is allocated), with the two searches iommu_area_alloc needs answered a
// 32-bit word at a time (bitmap_find_next_zero_area_off: the first set bit in a span, the next clear
// bit after one). A window may have 2^31 entries, so the bitmap is kept in 4 KiB chunks allocated on
// the first set bit in them (a chunk never written reads as all clear).
// Must not: know about pools, hints, alignment or allocation boundaries (IommuPoolTable does).

/** Bits per chunk (2^15: 1024 words, 4 KiB). */
const CHUNK_SHIFT = 15;
const CHUNK_BITS = 1 << CHUNK_SHIFT;
const WORDS_PER_CHUNK = CHUNK_BITS >>> 5;

/** Bits lo..hi-1 of a 32-bit word (0 <= lo < hi <= 32), as an int32. */
function wordMask(lo: number, hi: number): number {
  const upper = hi === 32 ? -1 : (1 << hi) - 1;
  return upper & ~((1 << lo) - 1);
}

/** Index of the lowest set bit of a non-zero 32-bit word. */
function lowestBit(w: number): number {
  return 31 - Math.clz32(w & -w);
}

export class IommuItMap {
  private readonly chunks: (Int32Array | null)[];
  /** Set bits. */
  count = 0;

  /** @param size entries of the table (at most 2^31) */
  constructor(readonly size: number) {
    this.chunks = new Array<Int32Array | null>(Math.ceil(size / CHUNK_BITS)).fill(null);
  }

  /** Whether entry `i` is set (false outside [0, size)). */
  test(i: number): boolean {
    if (!(i >= 0 && i < this.size)) return false;
    const c = this.chunks[i >>> CHUNK_SHIFT];
    return c !== null && c !== undefined && (c[(i & (CHUNK_BITS - 1)) >>> 5]! & (1 << (i & 31))) !== 0;
  }

  /** bitmap_set of [first, last] (inside the table; the caller checked they were clear). */
  set(first: number, last: number): void {
    this.count += last - first + 1;
    this.apply(first, last, true);
  }

  /** bitmap_clear of [first, last] (the caller checked they were set). */
  clear(first: number, last: number): void {
    this.count -= last - first + 1;
    this.apply(first, last, false);
  }

  private apply(first: number, last: number, on: boolean): void {
    let i = first;
    while (i <= last) {
      const ci = i >>> CHUNK_SHIFT;
      let c = this.chunks[ci]!;
      if (c === null) {
        c = new Int32Array(WORDS_PER_CHUNK);
        this.chunks[ci] = c;
      }
      const chunkEnd = Math.min(last, (ci + 1) * CHUNK_BITS - 1);
      while (i <= chunkEnd) {
        const w = (i & (CHUNK_BITS - 1)) >>> 5;
        const lo = i & 31;
        const hi = Math.min(32, lo + (chunkEnd - i) + 1);
        const m = wordMask(lo, hi);
        c[w] = on ? c[w]! | m : c[w]! & ~m;
        i += hi - lo;
      }
    }
  }

  /** The first set entry in [first, last] (clipped to the table), or -1. */
  firstSet(first: number, last: number): number {
    let i = Math.max(0, first);
    const end = Math.min(last, this.size - 1);
    while (i <= end) {
      const ci = i >>> CHUNK_SHIFT;
      const c = this.chunks[ci]!;
      const chunkEnd = Math.min(end, (ci + 1) * CHUNK_BITS - 1);
      if (c === null) {
        i = chunkEnd + 1;
        continue;
      }
      while (i <= chunkEnd) {
        const lo = i & 31;
        const hi = Math.min(32, lo + (chunkEnd - i) + 1);
        const bits = c[(i & (CHUNK_BITS - 1)) >>> 5]! & wordMask(lo, hi);
        if (bits !== 0) return i - lo + lowestBit(bits);
        i += hi - lo;
      }
    }
    return -1;
  }

  /** The first clear entry at or after `from` (the table's size when none is left). */
  nextClear(from: number): number {
    let i = Math.max(0, from);
    while (i < this.size) {
      const ci = i >>> CHUNK_SHIFT;
      const c = this.chunks[ci]!;
      if (c === null) return i;
      const chunkEnd = Math.min(this.size - 1, (ci + 1) * CHUNK_BITS - 1);
      while (i <= chunkEnd) {
        const lo = i & 31;
        const hi = Math.min(32, lo + (chunkEnd - i) + 1);
        const clear = ~c[(i & (CHUNK_BITS - 1)) >>> 5]! & wordMask(lo, hi);
        if (clear !== 0) return i - lo + lowestBit(clear);
        i += hi - lo;
      }
    }
    return this.size;
  }
}
