// Comparisons of stored runs: compare any runs now, save a comparison (its runs and what the view
// showed), reopen it recomputed from the store (a run deleted since is reported in missingRunIds
// and left out rather than failing the whole comparison), list and delete saved ones.
// Must not: import electron or know about a transport.

import type { RunComparison, SavedComparison, SavedComparisonRequest, SavedComparisonSummary } from '../../core/contract/comparison';
import type { RunDetail } from '../../core/contract/runResult';
import type { ComparisonStore, StoredComparison } from '../../db/comparisonStore';
import type { RunStore } from '../../db/runStore';
import { LabError } from './labError';
import { compareRunDetails } from './runComparison';

export class ComparisonService {
  constructor(
    private readonly runs: RunStore,
    private readonly comparisons: ComparisonStore,
    private readonly nowMs: () => number,
  ) {}

  compare(runIds: readonly number[]): RunComparison {
    return compareRunDetails(runIds.map((id) => this.run(id)));
  }

  save(request: SavedComparisonRequest): { comparisonId: number } {
    for (const id of request.runIds) this.run(id);
    return { comparisonId: this.comparisons.create({ ...request, name: request.name.trim() }, this.nowMs()) };
  }

  list(): SavedComparisonSummary[] {
    return this.comparisons.list().map(summaryOf);
  }

  get(comparisonId: number): SavedComparison {
    const saved = this.comparisons.get(comparisonId);
    if (saved === undefined) throw new LabError('not-found', `no saved comparison ${comparisonId}`);
    const present: RunDetail[] = [];
    const missingRunIds: number[] = [];
    for (const id of saved.runIds) {
      const run = this.runs.get(id);
      if (run === undefined) missingRunIds.push(id);
      else present.push(run);
    }
    return {
      ...summaryOf(saved),
      metrics: saved.metrics,
      counters: saved.counters,
      view: saved.view,
      comparison: compareRunDetails(present),
      missingRunIds,
    };
  }

  delete(comparisonId: number): void {
    if (!this.comparisons.delete(comparisonId)) throw new LabError('not-found', `no saved comparison ${comparisonId}`);
  }

  private run(id: number): RunDetail {
    const run = this.runs.get(id);
    if (run === undefined) throw new LabError('not-found', `no run ${id}`);
    return run;
  }
}

function summaryOf(c: StoredComparison): SavedComparisonSummary {
  return { id: c.id, name: c.name, createdAt: c.createdAt, runIds: c.runIds };
}
