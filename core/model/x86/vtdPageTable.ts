// The guest's second-level page table of one intel-iommu DMA domain (Linux drivers/iommu/intel/iommu.c:
// pfn_to_dma_pte, __domain_mapping, domain_unmap / dma_pte_clear_level, dma_pte_free_pagetable): the
// present leaves (4 KiB, 2 MiB, 1 GiB), which page-table pages exist at each level, and, as simulator
// bookkeeping, the leaves changed since QEMU's shadow walk last covered them (only for a table QEMU
// shadows). It is also what that walk reads (VtdTableReader: ptesVisited, findHole, nextChanged).
// Leaves are kept as runs (vtdLeafRun.ts): the leaves of one size that one map wrote side by side
// are one node, split when part of them is cleared; changed leaf starts are kept as stretches of
// pages (pageStretchSet.ts). Counts, costs and snapshots are per leaf, as the kernel's table is.
// Must not: issue invalidations, trap into QEMU or charge costs (intelIommuGuest.ts does), or change
// anything in planMap (it only counts the tables a map would allocate, so a failed allocation leaves
// the table untouched).

import type { IntelIommuOptions } from '../../scenario/x86ViommuSchema';
import { IntervalMap } from '../base/intervalMap';
import { PageStretchSet } from '../base/pageStretchSet';
import { remPow2 } from '../base/bits';
import { PAGE_SIZE, alignDown } from '../base/pages';
import type { VtdTableReader } from './qemuIntelIommuShadow';
import { sameLeavesIn, VtdLeafRun, type VtdLeaf } from './vtdLeafRun';

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

/**
 * 1 / tableBytes(level): a table's index is addr * this. Multiplying by a power of two is exact
 * (only the exponent changes), so this equals addr / tableBytes(level) and costs no division.
 */
const INV_TABLE_BYTES = ENTRY_BYTES.map((_, level) => (level + 1 < ENTRY_BYTES.length ? 1 / ENTRY_BYTES[level + 1]! : 0));

/** Level of a leaf of `bytes` (1 for 4 KiB, 2 for 2 MiB, 3 for 1 GiB). */
function leafLevel(bytes: number): number {
  return bytes === PAGE_SIZE ? 1 : bytes === SZ_2M ? 2 : 3;
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
export class VtdPageTable implements VtdTableReader {
  readonly levels: number;
  readonly limit: number;
  holeStart = 0;
  holeLast = 0;
  private readonly runs = new IntervalMap<VtdLeafRun>();
  private leaves = 0;
  /** Write id of the next leaf written (ids are never reused). */
  private nextId = 1;
  /** tables[L]: indices (addr / tableBytes(L)) of existing tables at level L, 1 <= L < levels. */
  private readonly tables: Set<number>[] = [];
  private readonly changed = new PageStretchSet();
  private readonly planLast: Float64Array;
  /**
   * known[L]: the index of a level-L table that exists (-1: none known), the last one a map found or
   * allocated. Consecutive IOVAs fall in the same tables, so a map usually needs no Set lookup; a
   * table freed (deleteTablesIn) forgets it.
   */
  private readonly known: Float64Array;
  private tableCount = 0;
  /**
   * The last planMap found every table its range needs (it returned 0) and no table changed since:
   * writeRun of that very range then allocates nothing and skips the table loop. [iova, gpa, size].
   */
  private cleanPlan = false;
  private planIova = 0;
  private planGpa = 0;
  private planSize = 0;
  /** Largest leaf first. */
  private readonly leafSizes: readonly number[];
  /** Leaves of the segment segmentAt last found. */
  private segLeaves = 0;

  constructor(
    awBits: 39 | 48,
    superpages: IntelIommuOptions['superpages'],
    /**
     * Told of every run of leaves cleared (a slice with the cleared leaves' ids), in address order;
     * null when no shadow reads this table (the physical VT-d of a bare-metal host): then the
     * changed leaves are not tracked either, and asking for them throws.
     */
    private readonly onLeavesCleared: ((cleared: VtdLeafRun) => void) | null,
  ) {
    this.levels = awBits === 48 ? 4 : 3;
    this.limit = 2 ** awBits;
    for (let l = 0; l < this.levels; l++) this.tables.push(new Set<number>());
    this.planLast = new Float64Array(this.levels);
    this.known = new Float64Array(this.levels).fill(-1);
    this.leafSizes = superpages === '2m+1g' ? [SZ_1G, SZ_2M, PAGE_SIZE] : superpages === '2m' ? [SZ_2M, PAGE_SIZE] : [PAGE_SIZE];
  }

  get leafCount(): number {
    return this.leaves;
  }

  /** Present leaves in address order (tests and invariants). */
  leafList(): VtdLeaf[] {
    const out: VtdLeaf[] = [];
    for (const r of this.runs.values()) for (let i = 0; i < r.leaves; i++) out.push(r.leaf(i));
    return out;
  }

  /** The runs of present leaves in address order (invariants). */
  runList(): VtdLeafRun[] {
    return [...this.runs.values()];
  }

  private leafBytesAt(iova: number, gpa: number, remaining: number): number {
    for (const s of this.leafSizes) if (remaining >= s && remPow2(iova, s) === 0 && remPow2(gpa, s) === 0) return s;
    return PAGE_SIZE;
  }

  /**
   * The leaf size __domain_mapping picks at `iova` (largest page both addresses are aligned to and
   * that fits), and in segLeaves how many leaves of that size it writes in a row from there: until
   * the bytes left no longer fit one, or a larger page becomes possible at an address aligned to it.
   */
  private segmentAt(iova: number, gpa: number, remaining: number): number {
    // Without superpages every leaf is 4 KiB and one segment covers the whole (page-multiple) range.
    if (this.leafSizes.length === 1) {
      this.segLeaves = remaining / PAGE_SIZE;
      return PAGE_SIZE;
    }
    const s = this.leafBytesAt(iova, gpa, remaining);
    let n = Math.floor(remaining / s);
    for (const big of this.leafSizes) {
      if (big <= s) break;
      // IOVA and GPA are aligned to `big` together only where they agree modulo it.
      if (remPow2(iova - gpa, big) !== 0) continue;
      const boundary = Math.ceil(iova / big) * big;
      if (remaining - (boundary - iova) >= big) n = Math.min(n, (boundary - iova) / s);
    }
    this.segLeaves = n;
    return s;
  }

  /** Page-table pages a map of [iova, iova+size) must allocate (pfn_to_dma_pte). Changes nothing. */
  planMap(iova: number, gpa: number, size: number): number {
    if (
      size <= 0 ||
      remPow2(iova, PAGE_SIZE) !== 0 ||
      remPow2(gpa, PAGE_SIZE) !== 0 ||
      remPow2(size, PAGE_SIZE) !== 0 ||
      iova + size > this.limit
    ) {
      throw new RangeError(`intel-iommu map [${iova}, +${size}) -> ${gpa}: not page aligned or beyond the ${this.limit} aperture`);
    }
    if (this.runs.firstOverlap(iova, iova + size - 1) !== undefined) {
      throw new RangeError(`intel-iommu map at ${iova}: already mapped (dma-iommu maps only free IOVAs)`);
    }
    this.cleanPlan = false;
    // A loop: TypedArray.fill is a call too costly for a handful of levels on this path.
    for (let l = 0; l < this.levels; l++) this.planLast[l] = -1;
    let count = 0;
    for (let p = iova, g = gpa, rem = size; rem > 0;) {
      const s = this.segmentAt(p, g, rem);
      const bytes = this.segLeaves * s;
      // Every table at a level at or above the leaves' that the segment's leaf starts fall in.
      for (let l = leafLevel(s); l < this.levels; l++) {
        const inv = INV_TABLE_BYTES[l]!;
        const set = this.tables[l]!;
        for (let idx = Math.floor(p * inv), hi = Math.floor((p + bytes - 1) * inv); idx <= hi; idx++) {
          if (idx === this.known[l]) continue;
          if (set.has(idx)) this.known[l] = idx;
          else if (this.planLast[l] !== idx) {
            count++;
            this.planLast[l] = idx;
          }
        }
      }
      p += bytes;
      g += bytes;
      rem -= bytes;
    }
    if (count === 0) {
      this.cleanPlan = true;
      this.planIova = iova;
      this.planGpa = gpa;
      this.planSize = size;
    }
    return count;
  }

  /** __domain_mapping after planMap: returns the PTEs written (leaves and new directory entries). */
  writeRun(iova: number, gpa: number, size: number, write: boolean): number {
    let writes = 0;
    // planMap just found every table this range needs: none to allocate. (A large leaf below frees
    // only tables inside its own segment, never one a later segment needs: the segments are disjoint.)
    const tablesExist = this.cleanPlan && iova === this.planIova && gpa === this.planGpa && size === this.planSize;
    this.cleanPlan = false;
    for (let p = iova, g = gpa, rem = size; rem > 0;) {
      const s = this.segmentAt(p, g, rem);
      const n = this.segLeaves;
      const bytes = n * s;
      const level = leafLevel(s);
      for (let l = tablesExist ? this.levels : level; l < this.levels; l++) {
        const inv = INV_TABLE_BYTES[l]!;
        const set = this.tables[l]!;
        for (let idx = Math.floor(p * inv), hi = Math.floor((p + bytes - 1) * inv); idx <= hi; idx++) {
          if (idx === this.known[l]) continue;
          if (!set.has(idx)) {
            set.add(idx);
            this.tableCount++;
            writes++;
          }
          this.known[l] = idx;
        }
      }
      // A large page replaces the (empty) smaller tables below it (dma_pte_free_pagetable).
      for (let l = level - 1; l >= 1; l--) this.deleteTablesIn(l, p, p + bytes - 1);
      // planMap found the whole range free; its overlap search ended where the first run goes.
      const run = new VtdLeafRun(p, n, s, g, write, this.nextId);
      if (p === iova) this.runs.insertAfterFirstOverlap(run);
      else this.runs.insertChecked(run);
      this.nextId += n;
      this.leaves += n;
      this.markChanged(p, n, s);
      writes += n;
      p += bytes;
      g += bytes;
      rem -= bytes;
    }
    return writes;
  }

  private markChanged(start: number, leaves: number, leafBytes: number): void {
    if (this.onLeavesCleared === null) return;
    if (leafBytes === PAGE_SIZE) this.changed.add(start, start + (leaves - 1) * PAGE_SIZE);
    else for (let i = 0; i < leaves; i++) this.changed.add(start + i * leafBytes, start + i * leafBytes);
  }

  /** domain_unmap: clears the leaves in range and frees tables whose whole span it covers. Returns leaves cleared. */
  clearRange(iova: number, size: number): number {
    this.cleanPlan = false;
    // intel_iommu_unmap rounds a range starting at a large page up to the whole page.
    let last = iova + size - 1;
    // containing(iova), by the search whose landing place deleteAfterFirstOverlap can reuse.
    const firstRun = this.runs.firstOverlap(iova, iova);
    if (firstRun !== undefined) {
      const leafStart = firstRun.leafStart(firstRun.indexAt(iova));
      if (leafStart === iova) last = Math.max(last, leafStart + firstRun.leafBytes - 1);
    }
    let cleared: number;
    if (firstRun !== undefined && firstRun.last >= last) {
      // A run holding the whole range is the only one it overlaps (runs do not overlap): the usual
      // unmap of what one map wrote needs no second search.
      this.checkCut(firstRun, firstRun, iova, last);
      cleared = this.clearInRun(firstRun, iova, last);
    } else {
      const hit = this.runs.overlapping(iova, last);
      if (hit.length > 0) this.checkCut(hit[0]!, hit[hit.length - 1]!, iova, last);
      cleared = 0;
      for (const run of hit) cleared += this.clearInRun(run, iova, last);
    }
    for (let l = 1; l < this.levels; l++) this.deleteTablesIn(l, iova, last);
    return cleared;
  }

  /** An unmap of [iova, last] must not cut a leaf of its first (`lo`) or last (`hi`) overlapping run. */
  private checkCut(lo: VtdLeafRun, hi: VtdLeafRun, iova: number, last: number): void {
    const loLeaf = lo.start < iova ? lo.leafStart(lo.indexAt(iova)) : lo.start;
    if (loLeaf < iova) throw new RangeError(`intel-iommu unmap [${iova}, ${last}] cuts the leaf at ${loLeaf}`);
    if (hi.last > last) {
      const hiLeaf = hi.leafStart(hi.indexAt(last));
      if (hiLeaf + hi.leafBytes - 1 > last) throw new RangeError(`intel-iommu unmap [${iova}, ${last}] cuts the leaf at ${hiLeaf}`);
    }
  }

  /** dma_pte_clear_level for the leaves of `run` inside [iova, last]; returns how many it cleared. */
  private clearInRun(run: VtdLeafRun, iova: number, last: number): number {
    const from = run.start < iova ? (iova - run.start) / run.leafBytes : 0;
    const total = run.leaves;
    const to = run.last > last ? (last + 1 - run.start) / run.leafBytes : total;
    const n = to - from;
    const gone = this.onLeavesCleared === null ? null : run.slice(from, to);
    if (from === 0 && to === total) {
      // Reuses clearRange's search when nothing moved the tree since (else an ordinary delete).
      this.runs.deleteAfterFirstOverlap(run);
    } else if (from === 0) {
      this.runs.deleteAfterFirstOverlap(run);
      run.dropHead(to);
      this.runs.insertChecked(run);
    } else {
      const tail = to < total ? run.slice(to, total) : null;
      run.truncate(from);
      if (tail !== null) this.runs.insertChecked(tail);
    }
    this.leaves -= n;
    if (gone !== null) {
      this.markChanged(gone.start, n, gone.leafBytes);
      this.onLeavesCleared!(gone);
    }
    return n;
  }

  /** Frees the level-`l` tables whose span lies inside [start, last]. */
  private deleteTablesIn(l: number, start: number, last: number): void {
    const inv = INV_TABLE_BYTES[l]!;
    const set = this.tables[l]!;
    const lo = Math.ceil(start * inv);
    const hi = Math.floor((last + 1) * inv) - 1;
    if (hi < lo || set.size === 0) return;
    if (this.known[l]! >= lo && this.known[l]! <= hi) this.known[l] = -1;
    if (hi - lo + 1 <= set.size) {
      for (let i = lo; i <= hi; i++) if (set.delete(i)) this.tableCount--;
    } else {
      for (const i of [...set]) if (i >= lo && i <= hi && set.delete(i)) this.tableCount--;
    }
  }

  /** The present leaf containing `addr` (tests). */
  leafAt(addr: number): VtdLeaf | undefined {
    const r = this.runs.containing(addr);
    return r === undefined ? undefined : r.leaf(r.indexAt(addr));
  }

  runAt(addr: number): VtdLeafRun | undefined {
    return this.runs.containing(addr);
  }

  firstRunIn(start: number, last: number): VtdLeafRun | undefined {
    return this.runs.firstOverlap(start, last);
  }

  leavesIn(start: number, last: number): number {
    if (start === 0 && last >= this.limit - 1) return this.leaves;
    let n = 0;
    for (let r = this.runs.firstOverlap(start, last); r !== undefined && r.start <= last; r = this.runs.next(r)) {
      const from = r.start < start ? r.indexAt(start) : 0;
      const to = r.last > last ? r.indexAt(last) + 1 : r.leaves;
      n += to - from;
      // Runs do not overlap: none after one reaching past `last` can overlap (no search for the next).
      if (r.last >= last) break;
    }
    return n;
  }

  /** Leaves of `run` (QEMU's) that are the guest's current leaves: same write id at the same address. */
  sameLeaves(run: VtdLeafRun): number {
    let n = 0;
    for (let r = this.runs.firstOverlap(run.start, run.last); r !== undefined && r.start <= run.last; r = this.runs.next(r)) {
      n += sameLeavesIn(r, run);
      if (r.last >= run.last) break;
    }
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
    this.assertTracked();
    return this.changed.next(from, last);
  }

  changedThrough(addr: number): number {
    this.assertTracked();
    return this.changed.through(addr);
  }

  forgetChanged(start: number, last: number): void {
    this.assertTracked();
    this.changed.remove(start, last);
  }

  private assertTracked(): void {
    if (this.onLeavesCleared === null) throw new Error('this VT-d table has no shadow: its changed leaves are not tracked');
  }

  snapshot(): unknown {
    const leaves: [number, number, number, boolean][] = [];
    for (const l of this.leafList()) leaves.push([l.start, l.last, l.gpa, l.write]);
    return {
      leaves,
      tables: this.tables.map((s) => [...s].sort((a, b) => a - b)),
      changed: this.changed.pages(),
    };
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    let tables = 0;
    for (let l = 1; l < this.levels; l++) tables += this.tables[l]!.size;
    if (tables !== this.tableCount) problems.push(`page-table count ${this.tableCount} but ${tables} tables exist`);
    let leaves = 0;
    for (const run of this.runs.values()) {
      if (!Number.isInteger(run.leaves) || run.leaves < 1) problems.push(`leaf run [${run.start}, ${run.last}] is not whole leaves`);
      leaves += run.leaves;
    }
    if (leaves !== this.leaves) problems.push(`leaf count ${this.leaves} but runs hold ${leaves}`);
    for (const leaf of this.leafList()) {
      const s = leaf.last - leaf.start + 1;
      if (!this.leafSizes.includes(s) || leaf.start % s !== 0 || leaf.gpa % s !== 0 || leaf.last >= this.limit) {
        problems.push(`leaf [${leaf.start}, ${leaf.last}] -> ${leaf.gpa} is not an aligned page of a supported size`);
        continue;
      }
      const level = leafLevel(s);
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
