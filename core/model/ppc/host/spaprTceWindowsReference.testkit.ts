// The TCE runs of a VFIO SPAPR TCE window as spaprTceWindows.ts kept them before one-TCE runs moved
// to a table by index (singleTceTable.ts): every run, one TCE or more, in one IntervalMap, written
// by tce_iommu_build_v2 / tce_iommu_build (split at region boundaries) and cut by tce_iommu_clear.
// Kept as the oracle of spaprTceWindows.modelBased.test.ts: for any sequence of writes and clears
// both must clear the same counts, leave the same mapped counts on the regions and give the same
// snapshots and invariant reports.
// Must not: be imported outside tests (*.testkit.ts).

import { IntervalMap } from '../../base/intervalMap';
import { type MmIommuMemList, regionLast } from './mmIommuMemList';
import type { TceRun } from './spaprTceWindows';

export class TceWindowReference {
  readonly runs = new IntervalMap<TceRun>();

  constructor(
    readonly start: number,
    readonly pageSize: number,
  ) {}

  /** tceWindowInsert: n TCEs from iova on, backed by vaddr on (v2: `mm` given, split at region boundaries). */
  insert(mm: MmIommuMemList | null, iova: number, vaddr: number, n: number, perm: number): void {
    const pg = this.pageSize;
    for (let i = 0; i < n;) {
      const ua = vaddr + i * pg;
      const reg = mm !== null ? mm.lookup(ua, pg)! : null;
      const k = reg === null ? n - i : Math.min(n - i, Math.floor((regionLast(reg) + 1 - ua) / pg));
      this.runs.insert({ start: iova + i * pg, last: iova + (i + k - 1) * pg, vaddr: ua, perm, region: reg });
      if (reg !== null) reg.mappedTces += k;
      i += k;
    }
  }

  /** tceWindowClear: the TCEs at bus addresses first..last go; returns how many were live. */
  clear(first: number, last: number): number {
    const pg = this.pageSize;
    let cleared = 0;
    let run = this.runs.firstOverlap(first, last);
    while (run !== undefined && run.start <= last) {
      const next = this.runs.next(run);
      this.runs.delete(run);
      if (run.start < first) this.runs.insert({ ...run, last: first - pg });
      if (run.last > last) this.runs.insert({ ...run, start: last + pg, vaddr: run.vaddr + (last + pg - run.start) });
      const k = (Math.min(run.last, last) - Math.max(run.start, first)) / pg + 1;
      if (run.region !== null) run.region.mappedTces -= k;
      cleared += k;
      run = next;
    }
    return cleared;
  }

  /** The runs as tceWindowSnapshot lists them. */
  snapshotRuns(): unknown[] {
    return [...this.runs.values()].map((r) => ({
      start: r.start,
      last: r.last,
      vaddr: r.vaddr,
      perm: r.perm,
      region: r.region?.ua ?? null,
    }));
  }
}
