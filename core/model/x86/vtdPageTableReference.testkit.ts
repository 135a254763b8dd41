// Test oracle: the guest's intel-iommu second-level table as it was before leaves were kept as
// runs (vtdPageTable.ts), one IntervalMap node and one "changed" key per leaf. The run-based table
// must answer, cost and snapshot exactly as this one (intelIommuGuest.runs.modelBased.test.ts).
// Must not: be imported by runtime code, or change except to follow a deliberate model change.

import SortedBTree from 'sorted-btree';
import type { IntelIommuOptions } from '../../scenario/x86ViommuSchema';
import { IntervalMap } from '../base/intervalMap';
import type { RefVtdLeaf as VtdLeaf, RefVtdTableReader as VtdTableReader } from './qemuIntelIommuShadowReference.testkit';
import { PAGE_SIZE, alignDown } from '../base/pages';

// sorted-btree is CommonJS: Node's ESM loader (the CLI under tsx) hands over the whole exports
// object as the default import (as in intervalMap.ts).
const BTree: typeof SortedBTree = (SortedBTree as unknown as { default?: typeof SortedBTree }).default ?? SortedBTree;

const SZ_2M = 2 ** 21;
const SZ_1G = 2 ** 30;

/** Bytes one entry maps at `level` (1 = 4 KiB leaf PTE), levels 1..5. */
const ENTRY_BYTES = [0, 2 ** 12, 2 ** 21, 2 ** 30, 2 ** 39, 2 ** 48];

function entryBytes(level: number): number {
  return ENTRY_BYTES[level]!;
}

/** Bytes one page table at `level` spans (512 entries). */
function tableBytes(level: number): number {
  return ENTRY_BYTES[level + 1]!;
}

/** Entries of the table at [base, base+cover) that lie inside [start, end). */
function tableEntriesIn(base: number, cover: number, esz: number, start: number, end: number): number {
  return Math.floor(Math.min(end - 1, base + cover - 1) / esz) - Math.floor(Math.max(start, base) / esz) + 1;
}

/**
 * The guest's second-level page table of one DMA domain: present leaves, which page-table pages
 * exist at each non-root level (the root always exists), and, as simulator bookkeeping, the leaf
 * starts written or cleared since QEMU's walk last covered them.
 */
export class VtdPageTableReference implements VtdTableReader {
  readonly levels: number;
  readonly limit: number;
  holeStart = 0;
  holeLast = 0;
  private readonly leaves = new IntervalMap<VtdLeaf>();
  /** tables[L]: indices (addr / tableBytes(L)) of existing tables at level L, 1 <= L < levels. */
  private readonly tables: Set<number>[] = [];
  private readonly changed = new BTree<number, number>();
  private readonly pair: [number, number] = [0, 0];
  private readonly planLast: Float64Array;
  private tableCount = 0;
  /** Largest leaf first. */
  private readonly leafSizes: readonly number[];

  constructor(
    awBits: 39 | 48,
    superpages: IntelIommuOptions['superpages'],
    private readonly onLeafCleared: (leaf: VtdLeaf) => void,
  ) {
    this.levels = awBits === 48 ? 4 : 3;
    this.limit = 2 ** awBits;
    for (let l = 0; l < this.levels; l++) this.tables.push(new Set<number>());
    this.planLast = new Float64Array(this.levels);
    this.leafSizes = superpages === '2m+1g' ? [SZ_1G, SZ_2M, PAGE_SIZE] : superpages === '2m' ? [SZ_2M, PAGE_SIZE] : [PAGE_SIZE];
  }

  get leafCount(): number {
    return this.leaves.size;
  }

  /** Present leaves in address order (tests and invariants). */
  leafList(): VtdLeaf[] {
    return [...this.leaves.values()];
  }

  private leafBytesAt(iova: number, gpa: number, remaining: number): number {
    for (const s of this.leafSizes) if (remaining >= s && iova % s === 0 && gpa % s === 0) return s;
    return PAGE_SIZE;
  }

  /** Page-table pages a map of [iova, iova+size) must allocate (pfn_to_dma_pte). Changes nothing. */
  planMap(iova: number, gpa: number, size: number): number {
    if (size <= 0 || iova % PAGE_SIZE !== 0 || gpa % PAGE_SIZE !== 0 || size % PAGE_SIZE !== 0 || iova + size > this.limit) {
      throw new RangeError(`intel-iommu map [${iova}, +${size}) -> ${gpa}: not page aligned or beyond the ${this.limit} aperture`);
    }
    if (this.leaves.firstOverlap(iova, iova + size - 1) !== undefined) {
      throw new RangeError(`intel-iommu map at ${iova}: already mapped (dma-iommu maps only free IOVAs)`);
    }
    this.planLast.fill(-1);
    let count = 0;
    for (let p = iova, g = gpa, rem = size; rem > 0;) {
      const s = this.leafBytesAt(p, g, rem);
      for (let l = Math.log2(s / PAGE_SIZE) / 9 + 1; l < this.levels; l++) {
        const idx = Math.floor(p / tableBytes(l));
        if (!this.tables[l]!.has(idx) && this.planLast[l] !== idx) {
          count++;
          this.planLast[l] = idx;
        }
      }
      p += s;
      g += s;
      rem -= s;
    }
    return count;
  }

  /** __domain_mapping after planMap: returns the PTEs written (leaves and new directory entries). */
  writeRun(iova: number, gpa: number, size: number, write: boolean): number {
    let writes = 0;
    for (let p = iova, g = gpa, rem = size; rem > 0;) {
      const s = this.leafBytesAt(p, g, rem);
      const level = Math.log2(s / PAGE_SIZE) / 9 + 1;
      for (let l = level; l < this.levels; l++) {
        const idx = Math.floor(p / tableBytes(l));
        if (!this.tables[l]!.has(idx)) {
          this.tables[l]!.add(idx);
          this.tableCount++;
          writes++;
        }
      }
      // A large page replaces the (empty) smaller tables below it (dma_pte_free_pagetable).
      for (let l = level - 1; l >= 1; l--) this.deleteTablesIn(l, p, p + s - 1);
      this.leaves.insert({ start: p, last: p + s - 1, gpa: g, write });
      this.changed.set(p, 1);
      writes++;
      p += s;
      g += s;
      rem -= s;
    }
    return writes;
  }

  /** domain_unmap: clears the leaves in range and frees tables whose whole span it covers. Returns leaves cleared. */
  clearRange(iova: number, size: number): number {
    // intel_iommu_unmap rounds a range starting at a large page up to the whole page.
    const first = this.leaves.containing(iova);
    const last = first !== undefined && first.start === iova ? Math.max(iova + size - 1, first.last) : iova + size - 1;
    const hit = this.leaves.overlapping(iova, last);
    for (const leaf of hit) {
      if (leaf.start < iova || leaf.last > last)
        throw new RangeError(`intel-iommu unmap [${iova}, ${last}] cuts the leaf at ${leaf.start}`);
    }
    for (const leaf of hit) {
      this.leaves.delete(leaf);
      this.changed.set(leaf.start, 1);
      this.onLeafCleared(leaf);
    }
    for (let l = 1; l < this.levels; l++) this.deleteTablesIn(l, iova, last);
    return hit.length;
  }

  /** Frees the level-`l` tables whose span lies inside [start, last]. */
  private deleteTablesIn(l: number, start: number, last: number): void {
    const cover = tableBytes(l);
    const set = this.tables[l]!;
    const lo = Math.ceil(start / cover);
    const hi = Math.floor((last + 1) / cover) - 1;
    if (hi < lo || set.size === 0) return;
    if (hi - lo + 1 <= set.size) {
      for (let i = lo; i <= hi; i++) if (set.delete(i)) this.tableCount--;
    } else {
      for (const i of [...set]) if (i >= lo && i <= hi && set.delete(i)) this.tableCount--;
    }
  }

  leafAt(addr: number): VtdLeaf | undefined {
    return this.leaves.containing(addr);
  }

  leavesIn(start: number, last: number): number {
    if (start === 0 && last >= this.limit - 1) return this.leaves.size;
    let n = 0;
    for (let l = this.leaves.firstOverlap(start, last); l !== undefined && l.start <= last; l = this.leaves.next(l)) n++;
    return n;
  }

  findHole(addr: number): void {
    for (let l = this.levels - 1; l >= 1; l--) {
      const cover = tableBytes(l);
      const idx = Math.floor(addr / cover);
      if (!this.tables[l]!.has(idx)) {
        this.holeStart = idx * cover;
        this.holeLast = this.holeStart + cover - 1;
        return;
      }
    }
    this.holeStart = alignDown(addr, PAGE_SIZE);
    this.holeLast = this.holeStart + PAGE_SIZE - 1;
  }

  ptesVisited(start: number, endExclusive: number): number {
    const end = Math.min(endExclusive, this.limit);
    if (start === 0 && end === this.limit) return 512 * (1 + this.tableCount);
    const rootEntry = entryBytes(this.levels);
    let n = Math.floor((end - 1) / rootEntry) - Math.floor(start / rootEntry) + 1;
    for (let l = this.levels - 1; l >= 1; l--) n += this.entriesVisited(l, start, end);
    return n;
  }

  /** Entries of existing level-`l` tables inside [start, end). */
  private entriesVisited(l: number, start: number, end: number): number {
    const cover = tableBytes(l);
    const esz = entryBytes(l);
    const set = this.tables[l]!;
    const lo = Math.floor(start / cover);
    const hi = Math.floor((end - 1) / cover);
    let n = 0;
    if (hi - lo + 1 <= set.size) {
      for (let t = lo; t <= hi; t++) if (set.has(t)) n += tableEntriesIn(t * cover, cover, esz, start, end);
    } else {
      for (const t of set) if (t >= lo && t <= hi) n += tableEntriesIn(t * cover, cover, esz, start, end);
    }
    return n;
  }

  nextChanged(from: number, last: number): number {
    const p = this.changed.getPairOrNextHigher(from, this.pair);
    return p !== undefined && p[0] <= last ? p[0] : -1;
  }

  forgetChanged(start: number, last: number): void {
    if (last - start < PAGE_SIZE) this.changed.delete(start);
    else this.changed.deleteRange(start, last, true);
  }

  snapshot(): unknown {
    const leaves: [number, number, number, boolean][] = [];
    for (const l of this.leaves.values()) leaves.push([l.start, l.last, l.gpa, l.write]);
    return {
      leaves,
      tables: this.tables.map((s) => [...s].sort((a, b) => a - b)),
      changed: this.changed.keysArray(),
    };
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    let tables = 0;
    for (let l = 1; l < this.levels; l++) tables += this.tables[l]!.size;
    if (tables !== this.tableCount) problems.push(`page-table count ${this.tableCount} but ${tables} tables exist`);
    for (const leaf of this.leaves.values()) {
      const s = leaf.last - leaf.start + 1;
      if (!this.leafSizes.includes(s) || leaf.start % s !== 0 || leaf.gpa % s !== 0 || leaf.last >= this.limit) {
        problems.push(`leaf [${leaf.start}, ${leaf.last}] -> ${leaf.gpa} is not an aligned page of a supported size`);
        continue;
      }
      const level = Math.log2(s / PAGE_SIZE) / 9 + 1;
      for (let l = level; l < this.levels; l++) {
        if (!this.tables[l]!.has(Math.floor(leaf.start / tableBytes(l))))
          problems.push(`leaf at ${leaf.start} has no level-${l} table above it`);
      }
      if (level > 1 && this.tables[level - 1]!.has(Math.floor(leaf.start / tableBytes(level - 1)))) {
        problems.push(`large leaf at ${leaf.start} still has a level-${level - 1} table below it`);
      }
    }
    return problems;
  }
}
