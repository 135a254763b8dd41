import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDb, type TempDb } from '../../db/testDb.testkit';
import { RunStore } from '../../db/runStore';
import { TimelineStore } from '../../db/timeline/timelineStore';
import { executeRun, type ExecutionProgress } from './runExecution';
import { prepareRun } from '../../core/run/runRequest';

let t: TempDb;
beforeEach(() => {
  t = tempDb();
});
afterEach(() => t.dispose());

function plan(durationMs: number) {
  const p = prepareRun({ preset: 'quickstart-nvme-fio', overrides: [`durationMs=${durationMs}`] });
  if (!p.ok) throw new Error(p.problems.join('\n'));
  return p.plan;
}

describe('executing a run', () => {
  it('reports simulating, then storing with the rows to store and stored, and completes', () => {
    const runs = new RunStore(t.db);
    const runId = runs.create({ name: 'r', preset: null, seed: 1, scenario: {}, durationNs: 40e6 }, 0);
    const seen: ExecutionProgress[] = [];
    const outcome = executeRun(t.db, runId, plan(40), { nowMs: () => 0, isCancelled: () => false, onProgress: (p) => seen.push(p) });
    expect(outcome.status).toBe('completed');
    const storing = seen.filter((p) => p.phase === 'storing');
    expect(seen[0]!.phase).toBe('simulating');
    expect(storing[0]!.stored).toBe(0);
    expect(storing[storing.length - 1]!.stored).toBe(storing[0]!.timelineEvents);
    expect(new TimelineStore(t.db).summary(runId)).toMatchObject({ complete: true, eventCount: storing[0]!.timelineEvents });
  });

  it('cancels while storing the timeline: the run is cancelled and keeps no partial timeline', () => {
    const runs = new RunStore(t.db);
    const runId = runs.create({ name: 'r', preset: null, seed: 1, scenario: {}, durationNs: 40e6 }, 0);
    let stored = 0;
    const outcome = executeRun(t.db, runId, plan(40), {
      nowMs: () => 0,
      isCancelled: () => stored > 0,
      onProgress: (p) => {
        if (p.phase === 'storing') stored = p.stored;
      },
    });
    expect(outcome.status).toBe('cancelled');
    expect(stored).toBeGreaterThan(0);
    expect(runs.get(runId)!.status).toBe('cancelled');
    expect(new TimelineStore(t.db).summary(runId)).toBeUndefined();
  });
});
