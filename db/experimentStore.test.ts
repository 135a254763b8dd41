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
      kind: 'variants',
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
      { runId: second[0], status: 'cancelled', outcome: null, ran: true },
      { runId: null, status: null, outcome: null, ran: true },
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

  it('stores a bisect: its spec, each step as it starts, its outcome, and the execution state', () => {
    const bisect = { path: 'host.qemu.version', versions: ['7.1', '7.2', '8.0'], outcome: { metric: 'm', op: '>' as const, value: 0 } };
    const id = experiments.create(
      {
        name: 'b',
        base: { preset: 'p' },
        variants: bisect.versions.map((v) => ({ name: v, set: [`host.qemu.version=${v}`] })),
        kind: 'bisect',
        bisect,
      },
      0,
    );
    expect(experiments.get(id)).toMatchObject({ kind: 'bisect', bisect });
    expect(experiments.latestExecution(id)).toBeUndefined();
    const ex = experiments.startBisectExecution(id, 0);
    expect(experiments.latestExecution(id)).toEqual({ id: ex, state: 'running', error: null });
    const [r0, r2] = [newRun(), newRun()];
    experiments.addStep(ex, 0, r0);
    experiments.setStepOutcome(ex, 0, 0);
    experiments.addStep(ex, 2, r2);
    expect(experiments.latestRuns(id)).toEqual([
      { runId: r0, status: 'queued', outcome: 0, ran: true },
      { runId: null, status: null, outcome: null, ran: false },
      { runId: r2, status: 'queued', outcome: null, ran: true },
    ]);
    experiments.finishExecution(ex, 'stopped', 'why');
    expect(experiments.latestExecution(id)).toEqual({ id: ex, state: 'stopped', error: 'why' });
  });
});
