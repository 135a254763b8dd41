import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../../core/contract/runResult';
import { deletableSelection, sortRuns } from './runList';

function run(id: number, createdAt: string, status: RunSummary['status'] = 'completed'): RunSummary {
  return {
    id,
    name: `r${id}`,
    preset: null,
    status,
    seed: 1,
    createdAt,
    finishedAt: null,
    eventCount: 0,
    timelineHash: null,
    error: null,
    claimsHeld: 0,
    claimsTotal: 0,
  };
}

const runs = [run(1, '2026-01-01T10:00:00Z'), run(3, '2026-01-03T10:00:00Z', 'running'), run(2, '2026-01-02T10:00:00Z')];

describe('the history table', () => {
  it('sorts by creation time either way', () => {
    expect(sortRuns(runs, 'newest').map((r) => r.id)).toEqual([3, 2, 1]);
    expect(sortRuns(runs, 'oldest').map((r) => r.id)).toEqual([1, 2, 3]);
  });
  it('deletes only selected runs that are not queued or running', () => {
    expect(deletableSelection(runs, new Set([1, 3, 99]))).toEqual([1]);
  });
});
