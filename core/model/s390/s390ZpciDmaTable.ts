// The guest's DMA translation table of one zPCI function, in s390's three-level format (region
// table of 2 GiB frames, segment tables of 1 MiB frames, page tables of 256 4 KiB entries;
// L drivers/iommu/s390-iommu.c dma_walk_cpu_trans): a page table is allocated on the first write
// into its segment and never freed while the domain lives, so "populated" segments only grow. Per
// page table we keep valid/protected bits and counts, so a walk over the whole window is costed
// from counts (populated segments x their entries + one entry per empty segment or region)
// instead of visiting every address.
// Must not: refresh translations (RPCIT, s390Zpci.ts) or allocate IOVAs (the DMA layers do).

import { popcount } from '../base/bits';
import { ZPCI_PAGE_SIZE } from './s390DmaWindow';

export const PTES_PER_SEGMENT = 256;
export const SEGMENTS_PER_REGION = 2048;
const WORDS_PER_TABLE = PTES_PER_SEGMENT / 32;

/** Bits lo..hi-1 of a 32-bit word (0 <= lo < hi <= 32). */
export function bitRange(lo: number, hi: number): number {
  const upper = hi === 32 ? -1 : (1 << hi) - 1;
  return upper & ~((1 << lo) - 1);
}

/** One segment's page table: 256 entries. */
export class ZpciPageTable {
  /** Frame address of each entry (meaningful where valid; kept when invalidated, as the PTE is). */
  readonly gpa = new Float64Array(PTES_PER_SEGMENT);
  readonly valid = new Uint32Array(WORDS_PER_TABLE);
  /** ZPCI_TABLE_PROTECTED: the device may only read. */
  readonly prot = new Uint32Array(WORDS_PER_TABLE);
  validCount = 0;
}

function lowerBound(sorted: readonly number[], key: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(sorted: number[], key: number): void {
  const i = lowerBound(sorted, key);
  if (sorted[i] !== key) sorted.splice(i, 0, key);
}

/** The guest's DMA translation table of one domain; addresses are 4 KiB page numbers. */
export class ZpciDmaTable {
  private readonly tables = new Map<number, ZpciPageTable>();
  /** Segments with a page table, ascending. */
  readonly populatedSegments: number[] = [];
  /** Regions with a segment table, ascending. */
  readonly populatedRegions: number[] = [];
  validEntries = 0;
  validPeak = 0;

  pageTable(segment: number): ZpciPageTable | undefined {
    return this.tables.get(segment);
  }

  /** Index of the first populated segment >= `segment` in populatedSegments. */
  firstPopulatedIndex(segment: number): number {
    return lowerBound(this.populatedSegments, segment);
  }

  isValid(page: number): boolean {
    const t = this.tables.get(Math.floor(page / PTES_PER_SEGMENT));
    if (t === undefined) return false;
    const off = page % PTES_PER_SEGMENT;
    return (t.valid[off >>> 5]! & (1 << (off & 31))) !== 0;
  }

  gpaOf(page: number): number {
    return this.tables.get(Math.floor(page / PTES_PER_SEGMENT))?.gpa[page % PTES_PER_SEGMENT] ?? 0;
  }

  /** dma_walk_cpu_trans + dma_update_cpu_trans(VALID) for `pages` entries from `page`. */
  validate(page: number, gpa: number, pages: number, readonly: boolean): void {
    // A segment's page table at a time, its valid and protection bits a 32-bit word at a time.
    let i = 0;
    while (i < pages) {
      const p = page + i;
      const seg = Math.floor(p / PTES_PER_SEGMENT);
      const t = this.tableFor(seg);
      const first = p - seg * PTES_PER_SEGMENT;
      const last = Math.min(PTES_PER_SEGMENT, first + pages - i);
      for (let off = first; off < last; off++) t.gpa[off] = gpa + (i + off - first) * ZPCI_PAGE_SIZE;
      for (let w = first >>> 5; w <= (last - 1) >>> 5; w++) {
        const mask = bitRange(Math.max(first, w * 32) - w * 32, Math.min(last, w * 32 + 32) - w * 32);
        const fresh = popcount(mask & ~t.valid[w]!);
        t.valid[w] = t.valid[w]! | mask;
        t.validCount += fresh;
        this.validEntries += fresh;
        t.prot[w] = readonly ? t.prot[w]! | mask : t.prot[w]! & ~mask;
      }
      i += last - first;
    }
    if (this.validEntries > this.validPeak) this.validPeak = this.validEntries;
  }

  /** dma_update_cpu_trans(INVALID); page tables stay allocated. Returns entries that were valid. */
  invalidate(page: number, pages: number): number {
    let cleared = 0;
    let i = 0;
    while (i < pages) {
      const p = page + i;
      const seg = Math.floor(p / PTES_PER_SEGMENT);
      const first = p - seg * PTES_PER_SEGMENT;
      const last = Math.min(PTES_PER_SEGMENT, first + pages - i);
      i += last - first;
      const t = this.tables.get(seg);
      if (t === undefined) continue;
      for (let w = first >>> 5; w <= (last - 1) >>> 5; w++) {
        const hit = t.valid[w]! & bitRange(Math.max(first, w * 32) - w * 32, Math.min(last, w * 32 + 32) - w * 32);
        if (hit === 0) continue;
        const n = popcount(hit);
        t.valid[w] = t.valid[w]! & ~hit;
        t.validCount -= n;
        cleared += n;
      }
    }
    this.validEntries -= cleared;
    return cleared;
  }

  /**
   * Table entries a walker reads over [startPage, endPage) (s390_guest_io_table_walk per step): one
   * per page in a populated segment, one per empty segment of a populated region, one per empty
   * region. Frames are taken as aligned (see s390RpcitShadow.ts for QEMU's unaligned case).
   */
  walkVisits(startPage: number, endPage: number): number {
    if (endPage <= startPage) return 0;
    const s0 = Math.floor(startPage / PTES_PER_SEGMENT);
    const s1 = Math.floor((endPage - 1) / PTES_PER_SEGMENT);
    let visits = 0;
    let popSegs = 0;
    const segs = this.populatedSegments;
    for (let i = lowerBound(segs, s0); i < segs.length && segs[i]! <= s1; i++) {
      const base = segs[i]! * PTES_PER_SEGMENT;
      visits += Math.min(endPage, base + PTES_PER_SEGMENT) - Math.max(startPage, base);
      popSegs++;
    }
    const r0 = Math.floor(s0 / SEGMENTS_PER_REGION);
    const r1 = Math.floor(s1 / SEGMENTS_PER_REGION);
    let popRegions = 0;
    let segsInPopRegions = 0;
    const regions = this.populatedRegions;
    for (let j = lowerBound(regions, r0); j < regions.length && regions[j]! <= r1; j++) {
      const first = regions[j]! * SEGMENTS_PER_REGION;
      segsInPopRegions += Math.min(s1, first + SEGMENTS_PER_REGION - 1) - Math.max(s0, first) + 1;
      popRegions++;
    }
    return visits + (segsInPopRegions - popSegs) + (r1 - r0 + 1 - popRegions);
  }

  snapshot(): unknown {
    return {
      validEntries: this.validEntries,
      populatedSegments: [...this.populatedSegments],
      entries: this.populatedSegments.map((s) => {
        const t = this.tables.get(s)!;
        return [s, t.validCount, Array.from(t.valid), Array.from(t.prot), Array.from(t.gpa)];
      }),
    };
  }

  checkInvariants(): string[] {
    const out: string[] = [];
    let total = 0;
    for (const s of this.populatedSegments) {
      const t = this.tables.get(s);
      if (t === undefined) {
        out.push(`populated segment ${s} has no page table`);
        continue;
      }
      let bits = 0;
      for (let w = 0; w < WORDS_PER_TABLE; w++) bits += popcount(t.valid[w]!);
      if (bits !== t.validCount) out.push(`segment ${s}: validCount ${t.validCount} but ${bits} valid bits`);
      total += bits;
      if (!this.populatedRegions.includes(Math.floor(s / SEGMENTS_PER_REGION))) out.push(`segment ${s} lies in an unpopulated region`);
    }
    if (this.tables.size !== this.populatedSegments.length) out.push('page tables and the populated-segment list disagree');
    if (total !== this.validEntries) out.push(`validEntries ${this.validEntries} but ${total} valid bits`);
    return out;
  }

  private tableFor(segment: number): ZpciPageTable {
    let t = this.tables.get(segment);
    if (t === undefined) {
      // dma_get_page_table_origin / dma_get_seg_table_origin allocate on first use.
      t = new ZpciPageTable();
      this.tables.set(segment, t);
      insertSorted(this.populatedSegments, segment);
      insertSorted(this.populatedRegions, Math.floor(segment / SEGMENTS_PER_REGION));
    }
    return t;
  }
}
