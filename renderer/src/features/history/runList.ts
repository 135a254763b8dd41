// The history table's logic: runs sorted by creation time, and which selected runs can be
// deleted (the lab refuses to delete a queued or running run: cancel it first).
// Must not: filter by text or status (the lab's listRuns does, in SQL).

import type { RunSummary } from '../../../../core/contract/runResult';

export type SortOrder = 'newest' | 'oldest';

export function sortRuns(runs: readonly RunSummary[], order: SortOrder): RunSummary[] {
  const sign = order === 'newest' ? -1 : 1;
  return [...runs].sort((a, b) => sign * (Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id - b.id));
}

export function isDeletable(run: Pick<RunSummary, 'status'>): boolean {
  return run.status !== 'queued' && run.status !== 'running';
}

/** The selected ids that still exist and may be deleted, in table order. */
export function deletableSelection(runs: readonly RunSummary[], selected: ReadonlySet<number>): number[] {
  return runs.filter((r) => selected.has(r.id) && isDeletable(r)).map((r) => r.id);
}

export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted'] as const;
