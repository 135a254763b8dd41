import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunStore } from './runStore';
import { TimelineStore } from './timeline/timelineStore';
import { tempDb, type TempDb } from './testDb.testkit';
import type { RunResult } from '../core/contract/runResult';
import { TimelineRecorder } from '../core/sim/timelineRecorder';
import type { DurationNs, SimTimeNs } from '../core/sim/simTime';
import { TIMELINE_TABLES } from './timeline/timelineWriter';
import { eventsTableOf } from './timeline/timelineTables';

let t: TempDb;
let runs: RunStore;
beforeEach(() => {
  t = tempDb();
  runs = new RunStore(t.db);
});
afterEach(() => t.dispose());

const result: RunResult = {
  metrics: { 'io.iops': 1234.5, 'vfio.enospc': 3 },
  ops: [{ op: 'vfio.map', ok: false, errno: 'ENOSPC', ret: null }],
  claims: [
    { id: 'c1', text: 'limit hit', holds: true, measured: 65535, expectation: '>= 65535', source: 'ref 000' },
    {
      id: 'c2',
      text: 'ratio',
      holds: false,
      measured: 2,
      expectation: 'vmexits / io.completed <= 1',
      source: 'ref 001',
      metric: 'vmexits',
      per: 'io.completed',
      unit: 'exits per IOs',
    },
  ],
  counters: [{ name: 'vfio.entries', unit: 'mappings', tNs: [0, 1000], values: [0, 65535] }],
  timelineHash: 'abc',
  simulatedNs: 5000,
};

function newRun(name = 'r'): number {
  return runs.create({ name, preset: 'p', seed: 1, scenario: { name }, durationNs: 5000 }, 1000);
}

describe('RunStore', () => {
  it('stores a completed run and reads every part of it back', () => {
    const id = newRun();
    runs.markRunning(id, 1000);
    runs.complete(id, result, 42, 2000);
    const got = runs.get(id)!;
    expect(got).toMatchObject({
      id,
      status: 'completed',
      eventCount: 42,
      timelineHash: 'abc',
      claimsHeld: 1,
      claimsTotal: 2,
      simulatedNs: 5000,
    });
    expect(got.metrics).toEqual(result.metrics);
    expect(got.ops).toEqual(result.ops);
    expect(got.claims).toEqual(result.claims);
    expect(got.counters).toEqual(result.counters);
    expect(got.scenario).toEqual({ name: 'r' });
  });

  it('lists newest first and filters by text and status', () => {
    const a = newRun('alpha');
    const b = newRun('beta_1');
    runs.finish(a, 'failed', 'boom', 1);
    expect(runs.list().map((r) => r.id)).toEqual([b, a]);
    expect(runs.list({ text: 'alp' }).map((r) => r.id)).toEqual([a]);
    expect(runs.list({ text: '_' }).map((r) => r.id)).toEqual([b]);
    expect(runs.list({ status: 'failed' }).map((r) => r.error)).toEqual(['boom']);
  });

  it('marks runs whose heartbeat went stale as interrupted, and only those', () => {
    const stale = newRun();
    const fresh = newRun();
    runs.markRunning(stale, 1000);
    runs.markRunning(fresh, 100_000);
    expect(runs.markInterrupted(100_500, 30_000)).toBe(1);
    expect(runs.get(stale)!.status).toBe('interrupted');
    expect(runs.get(fresh)!.status).toBe('running');
  });

  it('does not let a finished run be reopened or overwritten by a late heartbeat', () => {
    const id = newRun();
    runs.finish(id, 'cancelled', null, 5);
    runs.markRunning(id, 6);
    runs.heartbeat(id, 99, 99, 7);
    expect(runs.get(id)).toMatchObject({ status: 'cancelled', simulatedNs: 0 });
  });

  it('deletes a run with all of its rows and nothing of other runs', () => {
    const keep = newRun('keep');
    const gone = newRun('gone');
    const rec = new TimelineRecorder();
    const lane = rec.defineLane('l', 'g');
    const kind = rec.defineKind({ name: 'k', failure: true });
    rec.internString('s');
    // Long spans, failures, causes and enough events for levels of detail: a row in every table.
    for (let i = 0; i < 5000; i++) rec.record((i * 100) as SimTimeNs, (i < 3 ? 2 ** 30 : 10) as DurationNs, lane, kind, 0, 0, 0, i - 1);
    for (const id of [keep, gone]) {
      new TimelineStore(t.db).insert(id, rec.columns());
      runs.complete(id, result, 5000, 3);
    }
    const tables = ['run_metrics', 'run_claims', 'run_ops', 'run_counters', ...TIMELINE_TABLES];
    const runsIn = (table: string) =>
      (t.db.prepare(`SELECT run_id FROM ${table} GROUP BY run_id ORDER BY run_id`).all() as { run_id: number }[]).map((r) => r.run_id);
    for (const table of tables) expect(runsIn(table), table).toEqual([keep, gone]);
    const eventTables = () =>
      (t.db.prepare(`SELECT name FROM sqlite_master WHERE name LIKE 'timeline_events_%' ORDER BY name`).all() as { name: string }[]).map(
        (r) => r.name,
      );
    expect(eventTables()).toEqual([eventsTableOf(keep), eventsTableOf(gone)]);

    expect(runs.delete(gone)).toBe(true);
    for (const table of tables) expect(runsIn(table), table).toEqual([keep]);
    expect(eventTables()).toEqual([eventsTableOf(keep)]);
    expect(new TimelineStore(t.db).count(keep)).toBe(5000);
    expect(runs.delete(gone)).toBe(false);
  });

  it('never reuses the id of a deleted run', () => {
    const a = newRun('a');
    const b = newRun('b');
    runs.delete(b);
    const c = newRun('c');
    expect(c).toBeGreaterThan(b);
    expect(runs.get(b)).toBeUndefined();
    expect(a).toBeLessThan(b);
  });
});
