// Test oracle: QEMU's shadow of one intel-iommu address space as it was before it kept runs of
// leaves (qemuIntelIommuShadow.ts): one IOVATree node per leaf, one walk step and one VFIO ioctl
// per leaf, leaf identity by object. The run-based shadow must do exactly what this one does
// (intelIommuGuest.runs.modelBased.test.ts).
// Must not: be imported by runtime code, or change except to follow a deliberate model change.

import { addMetric, maxMetric, type MetricMap } from '../../sim/metricSink';
import type { CostTable } from '../../sim/costTable';
import { IntervalMap } from '../base/intervalMap';
import type { QemuVm, TrapHandler } from '../qemu/qemuVm';
import type { VfioContainerApi } from '../vfio/vfioContainerApi';

/** One leaf of the guest's second-level table, and the DMAMap QEMU keeps for it (immutable). */
export interface RefVtdLeaf {
  readonly start: number;
  /** Inclusive. */
  readonly last: number;
  readonly gpa: number;
  readonly write: boolean;
}

/** What QEMU's page walk reads of the guest's second-level table (guest memory). */
export interface RefVtdTableReader {
  /** 2^aw: vtd_iova_limit, where a walk's end is clipped. */
  readonly limit: number;
  /** The present leaf containing `addr`. */
  leafAt(addr: number): RefVtdLeaf | undefined;
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
  /** A walk made guest and shadow agree over [start, last]. */
  forgetChanged(start: number, last: number): void;
}

function sameLeaf(a: RefVtdLeaf, b: RefVtdLeaf): boolean {
  return a.start === b.start && a.last === b.last && a.gpa === b.gpa && a.write === b.write;
}

export class QemuIntelIommuShadowReference implements TrapHandler {
  /** vtd_as->iova_tree: leaves notified to VFIO (shared, immutable leaf objects). */
  private readonly tree = new IntervalMap<RefVtdLeaf>();
  private trapTimeNs = 0;
  private trapCause = -1;
  /** Tree entries whose guest leaf is gone or changed: still mapped in VFIO, reachable by the device. */
  private stale = 0;
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
    private readonly table: RefVtdTableReader,
    private readonly costs: CostTable,
  ) {}

  get entries(): number {
    return this.tree.size;
  }

  get staleLeaves(): number {
    return this.stale;
  }

  /** Clock and cause of the call about to trap (for VFIO failure events recorded during the walk). */
  beginTrap(tNs: number, cause: number): void {
    this.trapTimeNs = tNs;
    this.trapCause = cause;
  }

  /** The guest cleared `leaf`: if QEMU had shadowed this very leaf it is now stale. */
  noteGuestLeafCleared(leaf: RefVtdLeaf): void {
    if (this.tree.containing(leaf.start) === leaf) {
      this.stale++;
      if (this.stale > this.stalePeak) this.stalePeak = this.stale;
    }
  }

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
    // The walk meets `start` first (whatever it holds, also a leaf or hole reaching below it),
    // then only positions that changed since their last walk can produce a notification.
    let q = start;
    while (q >= 0) {
      const leaf = t.leafAt(q);
      let regionStart: number;
      let regionLast: number;
      if (leaf !== undefined) {
        costNs += this.walkLeaf(leaf);
        leavesMet++;
        regionStart = leaf.start;
        regionLast = leaf.last;
      } else {
        t.findHole(q);
        regionStart = t.holeStart;
        regionLast = t.holeLast;
        costNs += this.walkHole(regionStart, regionLast);
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
    if (this.tree.size > this.entriesPeak) this.entriesPeak = this.tree.size;
    return costNs;
  }

  /** vtd_page_walk_one for a present leaf (IOMMU_NOTIFIER_MAP). */
  private walkLeaf(leaf: RefVtdLeaf): number {
    const mapped = this.tree.firstOverlap(leaf.start, leaf.last);
    let costNs = 0;
    if (mapped !== undefined) {
      if (sameLeaf(mapped, leaf)) {
        // "If it's exactly the same translation, skip". Keep the guest's object so the tree holds
        // the live leaf (identity is how stale entries are counted).
        if (mapped !== leaf) {
          this.tree.delete(mapped);
          this.tree.insert(leaf);
          this.stale--;
        }
        return 0;
      }
      // Translation changed: UNMAP of the new leaf's span, drop every overlapping entry, then MAP.
      costNs += this.notifyUnmap(leaf.start, leaf.last);
      this.removeOverlapping(leaf.start, leaf.last);
    }
    this.tree.insert(leaf);
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

  /** vtd_page_walk_one for a non-present entry spanning [start, last] (IOMMU_NOTIFIER_UNMAP). */
  private walkHole(start: number, last: number): number {
    const hit = this.tree.firstOverlap(start, last);
    if (hit !== undefined && hit.start === start && hit.last === last) {
      // The common case: exactly one shadowed leaf fills the span (stale: the guest has nothing here).
      this.tree.delete(hit);
      this.stale--;
      return this.notifyUnmap(start, last);
    }
    if (hit === undefined) {
      // "Skip since we didn't map this range at all"
      this.skippedUnmaps++;
      return 0;
    }
    this.removeOverlapping(start, last);
    return this.notifyUnmap(start, last);
  }

  private notifyUnmap(start: number, last: number): number {
    this.vfioUnmaps++;
    return this.qemu.vfioUnmap(this.container, start, last - start + 1);
  }

  /** iova_tree_remove: every entry overlapping [start, last], never split. */
  private removeOverlapping(start: number, last: number): void {
    for (const e of this.tree.overlapping(start, last)) {
      this.tree.delete(e);
      if (this.table.leafAt(e.start) !== e) this.stale--;
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
    for (const e of this.tree.values()) out.push([e.start, e.last, e.gpa, e.write]);
    return { tree: out, stale: this.stale };
  }

  /** Tree entries in address order (tests and invariants). */
  leaves(): RefVtdLeaf[] {
    return [...this.tree.values()];
  }

  /** Shadowed leaf containing `addr` (tests and invariants). */
  entryAt(addr: number): RefVtdLeaf | undefined {
    return this.tree.containing(addr);
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    let stale = 0;
    for (const e of this.tree.values()) {
      if (this.table.leafAt(e.start) !== e) {
        stale++;
        if (this.table.nextChanged(e.start, e.last) < 0) {
          problems.push(`shadow leaf [${e.start}, ${e.last}] differs from the guest table but no walk is pending for it`);
        }
      }
    }
    if (stale !== this.stale) problems.push(`stale shadow leaves counted ${this.stale}, actually ${stale}`);
    return problems;
  }
}
