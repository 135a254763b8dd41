import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExperimentStore } from './experimentStore';
import { RunStore } from './runStore';
import { tempDb, type TempDb } from './testDb.testkit';

let t: TempDb;
let experiments: ExperimentStore;
let runs: RunStore;
beforeEach(() => {
  t = tempDb();
  experiments = new ExperimentStore(t.db);
  runs = new RunStore(t.db);
});
afterEach(() => t.dispose());

const newRun = () => runs.create({ name: 'r', preset: null, seed: 1, scenario: {}, durationNs: 1 }, 0);

describe('ExperimentStore', () => {
  it('stores an experiment and reads it back, newest first', () => {
    const a = experiments.create({ name: 'a', base: { preset: 'p' }, variants: [{ name: 'x=1', set: ['x=1'] }] }, 0);
    const b = experiments.create({ name: 'b', base: { scenario: { name: 's' } }, variants: [] }, 1000);
    expect(experiments.get(a)).toEqual({
      id: a,
      name: 'a',
      createdAt: '1970-01-01T00:00:00.000Z',
      base: { preset: 'p' },
      variants: [{ name: 'x=1', set: ['x=1'] }],
    });
    expect(experiments.list().map((e) => e.id)).toEqual([b, a]);
  });

  it('reports the runs of the latest execution, and a deleted run as none', () => {
    const id = experiments.create(
      {
        name: 'a',
        base: { preset: 'p' },
        variants: [
          { name: 'v0', set: [] },
          { name: 'v1', set: [] },
        ],
      },
      0,
    );
    expect(experiments.latestRuns(id)).toEqual([]);
    experiments.addExecution(id, [newRun(), newRun()], 0);
    const second = [newRun(), newRun()];
    experiments.addExecution(id, second, 0);
    runs.finish(second[0]!, 'cancelled', null, 0);
    runs.delete(second[1]!);
    expect(experiments.latestRuns(id)).toEqual([
      { runId: second[0], status: 'cancelled' },
      { runId: null, status: null },
    ]);
    expect(experiments.executionCount(id)).toBe(2);
  });

  it('deletes an experiment with its executions and keeps its runs', () => {
    const id = experiments.create({ name: 'a', base: { preset: 'p' }, variants: [{ name: 'v0', set: [] }] }, 0);
    const run = newRun();
    experiments.addExecution(id, [run], 0);
    expect(experiments.delete(id)).toBe(true);
    expect(experiments.get(id)).toBeUndefined();
    for (const table of ['experiment_executions', 'experiment_runs']) {
      expect(t.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get(), table).toEqual({ n: 0 });
    }
    expect(runs.exists(run)).toBe(true);
    expect(experiments.delete(id)).toBe(false);
  });
});
