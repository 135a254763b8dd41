// QEMU's shadow of one intel-iommu address space (hw/i386/intel_iommu.c): the per-address-space
// IOVATree of leaves QEMU has notified to VFIO, and the page walk an invalidation triggers
// (vtd_sync_shadow_page_table_range -> vtd_page_walk -> vtd_page_walk_level -> vtd_page_walk_one).
// The walk visits every guest PTE in the range; each present leaf becomes a MAP notification and
// each non-present entry an UNMAP notification for the entry's whole span (aligned, not clipped to
// the range: a cleared 2 MiB directory entry is one UNMAP of 2 MiB). vtd_page_walk_one dedupes
// against the tree: an identical MAP is skipped, a changed one becomes UNMAP (of the new leaf's
// span) + MAP, an UNMAP of a span with nothing mapped is skipped. Each notification that is not
// skipped is one VFIO ioctl (hw/vfio/listener.c vfio_iommu_map_notify); ioctl errors are only
// logged and the tree is updated anyway.
// The tree keeps runs of leaves (vtdLeafRun.ts), one node per stretch QEMU notified back to back;
// counts, the stale count, costs and snapshots are per leaf. Consecutive 4 KiB positions the walk
// meets one after the other (changed leaves of one guest run, or 4 KiB holes under one table) are
// served as a stretch: one tree operation, and the VFIO ioctls issued as a run in the same order
// with the same costs (QemuVm.vfioMapRun / vfioUnmapRun); anything else goes leaf by leaf.
// Must not: write the guest page table, or iterate PTEs in JS: the PTE count of a walk comes from
// table counts the guest table keeps, and only leaves that changed since their last walk are
// visited (every other position is identical in guest and tree, so the walk would skip it).

import { addMetric, maxMetric, type MetricMap } from '../../sim/metricSink';
import type { CostTable } from '../../sim/costTable';
import { IntervalMap } from '../base/intervalMap';
import { PAGE_SIZE, alignDown } from '../base/pages';
import type { QemuVm, TrapHandler, VfioMapRunListener } from '../qemu/qemuVm';
import type { VfioContainerApi } from '../vfio/vfioContainerApi';
import { sameLeavesIn, VtdLeafRun, type VtdLeaf } from './vtdLeafRun';

export type { VtdLeaf } from './vtdLeafRun';

const SZ_2M = 2 ** 21;

/** What QEMU's page walk reads of the guest's second-level table (guest memory). */
export interface VtdTableReader {
  /** 2^aw: vtd_iova_limit, where a walk's end is clipped. */
  readonly limit: number;
  /** The run holding the present leaf that contains `addr`. */
  runAt(addr: number): VtdLeafRun | undefined;
  /** The lowest run with a leaf in [start, last]. */
  firstRunIn(start: number, last: number): VtdLeafRun | undefined;
  /** Leaves of `run` (a shadow run) that are the guest's current leaves there. */
  sameLeaves(run: VtdLeafRun): number;
  /** Span of the topmost non-present entry on `addr`'s path (no leaf may contain `addr`). */
  findHole(addr: number): void;
  readonly holeStart: number;
  readonly holeLast: number;
  /** Present leaves overlapping [start, last]. */
  leavesIn(start: number, last: number): number;
  /** Guest PTEs a walk of [start, endExclusive) reads (vtd_get_pte per visited entry). */
  ptesVisited(start: number, endExclusive: number): number;
  /** Lowest leaf start in [from, last] written or cleared since a walk last covered it, or -1. */
  nextChanged(from: number, last: number): number;
  /** When `addr` is such a changed start: the last page start of the changed pages following it one by one; else -1. */
  changedThrough(addr: number): number;
  /** A walk made guest and shadow agree over [start, last]. */
  forgetChanged(start: number, last: number): void;
}

/** A leaf of the guest the walk is at, by value (the slow path's view of one leaf of a run). */
interface WalkLeaf {
  start: number;
  last: number;
  gpa: number;
  write: boolean;
  id: number;
}

export class QemuIntelIommuShadow implements TrapHandler, VfioMapRunListener {
  /** vtd_as->iova_tree: leaves notified to VFIO, as runs. */
  private readonly tree = new IntervalMap<VtdLeafRun>();
  /** Leaves in the tree (DMAMap entries). */
  private size = 0;
  private trapTimeNs = 0;
  private trapCause = -1;
  /** Tree entries whose guest leaf is gone or changed: still mapped in VFIO, reachable by the device. */
  private stale = 0;
  private readonly leaf: WalkLeaf = { start: 0, last: 0, gpa: 0, write: false, id: 0 };
  /** Index in its run of the leaf firstLeafIn found. */
  private hitIndex = 0;
  stalePeak = 0;
  walks = 0;
  fullWalks = 0;
  ptesWalked = 0;
  vfioMaps = 0;
  vfioUnmaps = 0;
  dedupedMaps = 0;
  skippedUnmaps = 0;
  entriesPeak = 0;

  constructor(
    private readonly qemu: QemuVm,
    private readonly container: VfioContainerApi,
    private readonly table: VtdTableReader,
    private readonly costs: CostTable,
  ) {}

  get entries(): number {
    return this.size;
  }

  get staleLeaves(): number {
    return this.stale;
  }

  /** Clock and cause of the call about to trap (for VFIO failure events recorded during the walk). */
  beginTrap(tNs: number, cause: number): void {
    this.trapTimeNs = tNs;
    this.trapCause = cause;
  }

  /** The guest cleared `cleared`: each of those leaves QEMU had shadowed as this very leaf is now stale. */
  noteGuestLeavesCleared(cleared: VtdLeafRun): void {
    let n = 0;
    for (let e = this.tree.firstOverlap(cleared.start, cleared.last); e !== undefined && e.start <= cleared.last; e = this.tree.next(e)) {
      n += sameLeavesIn(e, cleared);
      // Runs do not overlap: none after one reaching past the range can overlap it (no search for the next).
      if (e.last >= cleared.last) break;
    }
    if (n > 0) {
      this.stale += n;
      if (this.stale > this.stalePeak) this.stalePeak = this.stale;
    }
  }

  /** A failed VFIO map is only logged: the tree keeps the entry (vfio_iommu_map_notify). */
  vfioMapFailed(): void {}

  /** vtd_sync_shadow_page_table_range over [start, endExclusive); returns QEMU's work in ns. */
  serve(start: number, endExclusive: number): number {
    const t = this.table;
    const end = Math.min(endExclusive, t.limit);
    if (start >= end) return 0;
    this.walks++;
    if (start === 0 && end === t.limit) this.fullWalks++;
    const ptes = t.ptesVisited(start, end);
    this.ptesWalked += ptes;
    let costNs = ptes * this.costs.qemuPteWalkNs;
    const mapsBefore = this.vfioMaps;
    let leavesMet = 0;
    /** End of the contiguous stretch from `start` the processed positions cover (-1 once broken). */
    let coveredTo = start;
    /** Start of the last page the walk can meet before it stops at `end`. */
    const lastPage = alignDown(end - 1, PAGE_SIZE);
    // The walk meets `start` first (whatever it holds, also a leaf or hole reaching below it),
    // then only positions that changed since their last walk can produce a notification.
    let q = start;
    while (q >= 0) {
      const run = t.runAt(q);
      let regionStart: number;
      let regionLast: number;
      if (run !== undefined && run.leafBytes === PAGE_SIZE) {
        // This leaf, and the next leaves of the run for as long as each is a changed start (the
        // walk's next stop after a 4 KiB leaf is then the very next page).
        const through = this.stretchFrom(q, Math.min(run.last + 1 - PAGE_SIZE, lastPage));
        costNs = this.walkLeaves(run, q, through, costNs);
        leavesMet += (through - q) / PAGE_SIZE + 1;
        regionStart = q;
        regionLast = through + PAGE_SIZE - 1;
      } else if (run !== undefined) {
        const i = run.indexAt(q);
        costNs += this.walkLeaf(this.leafOf(run, i));
        leavesMet++;
        regionStart = run.leafStart(i);
        regionLast = regionStart + run.leafBytes - 1;
      } else {
        t.findHole(q);
        regionStart = t.holeStart;
        regionLast = t.holeLast;
        if (regionLast - regionStart === PAGE_SIZE - 1) {
          // A 4 KiB hole: every page up to the next leaf under the same last-level table is one too.
          let bound = Math.min(alignDown(q, SZ_2M) + SZ_2M - PAGE_SIZE, lastPage);
          const next = bound > q ? t.firstRunIn(q + PAGE_SIZE, bound + PAGE_SIZE - 1) : undefined;
          if (next !== undefined) bound = next.start - PAGE_SIZE;
          const through = this.stretchFrom(q, bound);
          costNs = this.walkHoles(q, through, costNs);
          regionLast = through + PAGE_SIZE - 1;
        } else {
          costNs += this.walkHole(regionStart, regionLast);
        }
      }
      t.forgetChanged(regionStart, regionLast);
      coveredTo = coveredTo >= 0 && q <= coveredTo ? regionLast + 1 : -1;
      if (regionLast + 1 >= end) break;
      q = t.nextChanged(regionLast + 1, end - 1);
    }
    // Every present leaf the walk met and did not map was an identical MAP, skipped. When the
    // positions visited here cover the range, they were all the leaves there are.
    const leaves = coveredTo >= end ? leavesMet : t.leavesIn(start, end - 1);
    this.dedupedMaps += leaves - (this.vfioMaps - mapsBefore);
    if (this.size > this.entriesPeak) this.entriesPeak = this.size;
    return costNs;
  }

  /** The last page of the stretch from `q` the walk meets page after page: each after `q` a changed start, at most `bound`. */
  private stretchFrom(q: number, bound: number): number {
    if (bound <= q) return q;
    const through = this.table.changedThrough(q + PAGE_SIZE);
    return through < 0 ? q : Math.min(through, bound);
  }

  private leafOf(run: VtdLeafRun, i: number): WalkLeaf {
    const l = this.leaf;
    l.start = run.leafStart(i);
    l.last = l.start + run.leafBytes - 1;
    l.gpa = run.gpa + i * run.leafBytes;
    l.write = run.write;
    l.id = run.id + i;
    return l;
  }

  /**
   * vtd_page_walk_one for the 4 KiB leaves of guest run `run` from page `from` to page `through`, one
   * after the other. Where the tree holds nothing each is a MAP (inserted and notified as one run of
   * VFIO maps); where it holds these very leaves each is skipped; anything else leaf by leaf.
   */
  private walkLeaves(run: VtdLeafRun, from: number, through: number, costNs: number): number {
    let p = from;
    const endExcl = through + PAGE_SIZE;
    while (p < endExcl) {
      const e = this.tree.firstOverlap(p, endExcl - 1);
      const freeTo = e === undefined ? endExcl : Math.max(p, e.start);
      if (freeTo > p) {
        const n = (freeTo - p) / PAGE_SIZE;
        const i = run.indexAt(p);
        // The search above found nothing at p: the insert reuses where it landed.
        this.insertAfterSearch(run.slice(i, i + n));
        this.vfioMaps += n;
        costNs = this.qemu.vfioMapRun(
          this.container,
          p,
          run.gpa + i * PAGE_SIZE,
          n,
          !run.write,
          this.trapTimeNs,
          this.trapCause,
          costNs,
          this,
        );
        p = freeTo;
        continue;
      }
      // e holds p.
      if (e!.leafBytes === PAGE_SIZE && e!.idBase === run.idBase) {
        // "If it's exactly the same translation, skip": the tree already holds these leaves.
        p = Math.min(e!.last + 1, endExcl);
        continue;
      }
      costNs += this.walkLeaf(this.leafOf(run, run.indexAt(p)));
      p += PAGE_SIZE;
    }
    return costNs;
  }

  /** vtd_page_walk_one for one present leaf (IOMMU_NOTIFIER_MAP). */
  private walkLeaf(leaf: WalkLeaf): number {
    const mapped = this.firstLeafIn(leaf.start, leaf.last);
    let costNs = 0;
    if (mapped !== undefined) {
      const i = this.hitIndex;
      const start = mapped.leafStart(i);
      if (
        start === leaf.start &&
        mapped.leafBytes === leaf.last - leaf.start + 1 &&
        mapped.gpa + i * mapped.leafBytes === leaf.gpa &&
        mapped.write === leaf.write
      ) {
        // "If it's exactly the same translation, skip". Keep the guest's leaf so the tree holds the
        // live leaf (identity is how stale entries are counted).
        if (mapped.id + i !== leaf.id) {
          this.removeLeaves(mapped, i, i + 1);
          this.insert(new VtdLeafRun(leaf.start, 1, mapped.leafBytes, leaf.gpa, leaf.write, leaf.id));
          this.stale--;
        }
        return 0;
      }
      // Translation changed: UNMAP of the new leaf's span, drop every overlapping entry, then MAP.
      costNs += this.notifyUnmap(leaf.start, leaf.last);
      this.removeOverlapping(leaf.start, leaf.last);
    }
    // With nothing mapped there this follows firstLeafIn's search (else an ordinary insert).
    this.insertAfterSearch(new VtdLeafRun(leaf.start, 1, leaf.last - leaf.start + 1, leaf.gpa, leaf.write, leaf.id));
    this.vfioMaps++;
    costNs += this.qemu.vfioMap(
      this.container,
      leaf.start,
      leaf.gpa,
      leaf.last - leaf.start + 1,
      !leaf.write,
      this.trapTimeNs,
      this.trapCause,
    );
    return costNs;
  }

  /**
   * vtd_page_walk_one for the 4 KiB holes from page `from` to page `through`: each page the tree
   * holds as a 4 KiB leaf is an UNMAP (removed and notified as one run of VFIO unmaps, each entry
   * stale: the guest has nothing there); each page it holds nothing at is skipped; anything else
   * page by page.
   */
  private walkHoles(from: number, through: number, costNs: number): number {
    let p = from;
    const endExcl = through + PAGE_SIZE;
    while (p < endExcl) {
      const e = this.tree.firstOverlap(p, endExcl - 1);
      if (e === undefined) {
        this.skippedUnmaps += (endExcl - p) / PAGE_SIZE;
        break;
      }
      if (e.start > p) {
        this.skippedUnmaps += (e.start - p) / PAGE_SIZE;
        p = e.start;
      }
      if (e.leafBytes === PAGE_SIZE) {
        const to = Math.min(e.last + 1, endExcl);
        const n = (to - p) / PAGE_SIZE;
        const i = e.indexAt(p);
        this.removeLeaves(e, i, i + n);
        this.stale -= n;
        this.vfioUnmaps += n;
        costNs = this.qemu.vfioUnmapRun(this.container, p, n, costNs);
        p = to;
        continue;
      }
      costNs += this.walkHole(p, p + PAGE_SIZE - 1);
      p += PAGE_SIZE;
    }
    return costNs;
  }

  /** vtd_page_walk_one for a non-present entry spanning [start, last] (IOMMU_NOTIFIER_UNMAP). */
  private walkHole(start: number, last: number): number {
    const hit = this.firstLeafIn(start, last);
    if (hit === undefined) {
      // "Skip since we didn't map this range at all"
      this.skippedUnmaps++;
      return 0;
    }
    const i = this.hitIndex;
    if (hit.leafStart(i) === start && hit.leafBytes === last - start + 1) {
      // The common case: exactly one shadowed leaf fills the span (stale: the guest has nothing here).
      this.removeLeaves(hit, i, i + 1);
      this.stale--;
      return this.notifyUnmap(start, last);
    }
    this.removeOverlapping(start, last);
    return this.notifyUnmap(start, last);
  }

  private notifyUnmap(start: number, last: number): number {
    this.vfioUnmaps++;
    return this.qemu.vfioUnmap(this.container, start, last - start + 1);
  }

  /** The lowest tree leaf overlapping [start, last]: its run (returned) and index (hitIndex). */
  private firstLeafIn(start: number, last: number): VtdLeafRun | undefined {
    const e = this.tree.firstOverlap(start, last);
    if (e !== undefined) this.hitIndex = e.start >= start ? 0 : e.indexAt(start);
    return e;
  }

  /** iova_tree_remove: every entry overlapping [start, last], never split. */
  private removeOverlapping(start: number, last: number): void {
    for (const e of this.tree.overlapping(start, last)) {
      const from = e.start >= start ? 0 : e.indexAt(start);
      const to = e.last <= last ? e.leaves : e.indexAt(last) + 1;
      const gone = e.slice(from, to);
      // Entries that are not the guest's current leaf at their address were stale.
      this.stale -= to - from - this.table.sameLeaves(gone);
      this.removeLeaves(e, from, to);
    }
  }

  private insert(run: VtdLeafRun): void {
    this.tree.insertChecked(run);
    this.size += run.leaves;
  }

  /**
   * insert() right after a tree search at run.start found it free: reuses that search's descent
   * (IntervalMap.insertAfterFirstOverlap; an ordinary insert if anything came in between).
   */
  private insertAfterSearch(run: VtdLeafRun): void {
    this.tree.insertAfterFirstOverlap(run);
    this.size += run.leaves;
  }

  /** Drops leaves [from, to) of tree run `e`, keeping the others. */
  private removeLeaves(e: VtdLeafRun, from: number, to: number): void {
    const total = e.leaves;
    this.size -= to - from;
    // `e` usually comes from the search just made (firstOverlap): its delete reuses that descent.
    if (from === 0 && to === total) {
      this.tree.deleteAfterFirstOverlap(e);
    } else if (from === 0) {
      this.tree.deleteAfterFirstOverlap(e);
      e.dropHead(to);
      this.tree.insertChecked(e);
    } else {
      const tail = to < total ? e.slice(to, total) : null;
      e.truncate(from);
      if (tail !== null) this.tree.insertChecked(tail);
    }
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'qemu.pteWalked', this.ptesWalked);
    addMetric(into, 'viommu.vfioMaps', this.vfioMaps);
    addMetric(into, 'viommu.vfioUnmaps', this.vfioUnmaps);
    addMetric(into, 'viommu.dedupedMaps', this.dedupedMaps);
    maxMetric(into, 'viommu.staleMappingsPeak', this.stalePeak);
    maxMetric(into, 'viommu.shadowEntriesPeak', this.entriesPeak);
  }

  /** The tree in address order as [start, last, gpa, write] tuples. */
  snapshot(): unknown {
    const out: [number, number, number, boolean][] = [];
    for (const e of this.leaves()) out.push([e.start, e.last, e.gpa, e.write]);
    return { tree: out, stale: this.stale };
  }

  /** Tree entries in address order (tests and invariants). */
  leaves(): VtdLeaf[] {
    const out: VtdLeaf[] = [];
    for (const r of this.tree.values()) for (let i = 0; i < r.leaves; i++) out.push(r.leaf(i));
    return out;
  }

  /** Shadowed leaf containing `addr` (tests and invariants). */
  entryAt(addr: number): VtdLeaf | undefined {
    const r = this.tree.containing(addr);
    return r === undefined ? undefined : r.leaf(r.indexAt(addr));
  }

  /** Whether the tree holds the guest's current leaf `leaf` of run `run` (same write id). */
  holdsLeafOf(run: VtdLeafRun, index: number): boolean {
    const r = this.tree.containing(run.leafStart(index));
    return r !== undefined && r.leafBytes === run.leafBytes && r.idBase === run.idBase;
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    let stale = 0;
    let size = 0;
    for (const e of this.tree.values()) {
      size += e.leaves;
      for (let i = 0; i < e.leaves; i++) {
        const one = e.slice(i, i + 1);
        if (this.table.sameLeaves(one) === 0) {
          stale++;
          if (this.table.nextChanged(one.start, one.last) < 0) {
            problems.push(`shadow leaf [${one.start}, ${one.last}] differs from the guest table but no walk is pending for it`);
          }
        }
      }
    }
    if (size !== this.size) problems.push(`shadow leaves counted ${this.size}, actually ${size}`);
    if (stale !== this.stale) problems.push(`stale shadow leaves counted ${this.stale}, actually ${stale}`);
    return problems;
  }
}
