import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
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
    expect(storing[0]!.stored).toBeLessThanOrEqual(storing[0]!.timelineEvents);
    expect(storing[storing.length - 1]!.stored).toBe(storing[0]!.timelineEvents);
    expect(new TimelineStore(t.db).summary(runId)).toMatchObject({ complete: true, eventCount: storing[0]!.timelineEvents });
    expect(outcome.status === 'completed' && outcome.result.metrics['sim.timelineEvents']).toBe(storing[0]!.timelineEvents);
  });

  it('stores the timeline while it simulates: rows are in the database before the simulation ends', () => {
    const runs = new RunStore(t.db);
    const runId = runs.create({ name: 'r', preset: null, seed: 1, scenario: {}, durationNs: 40e6 }, 0);
    const timeline = new TimelineStore(t.db);
    const storedWhileSimulating: number[] = [];
    executeRun(t.db, runId, plan(40), {
      nowMs: () => 0,
      isCancelled: () => false,
      onProgress: (p) => {
        if (p.phase === 'simulating') storedWhileSimulating.push(timeline.count(runId));
      },
    });
    expect(Math.max(...storedWhileSimulating)).toBeGreaterThan(0);
    expect(timeline.summary(runId)!.complete).toBe(true);
  });

  it('cancels while simulating: the rows streamed so far are removed', () => {
    const runs = new RunStore(t.db);
    const runId = runs.create({ name: 'r', preset: null, seed: 1, scenario: {}, durationNs: 40e6 }, 0);
    const timeline = new TimelineStore(t.db);
    let streamed = 0;
    const outcome = executeRun(t.db, runId, plan(40), {
      nowMs: () => 0,
      isCancelled: () => streamed > 0,
      onProgress: (p) => {
        if (p.phase === 'simulating') streamed = timeline.count(runId);
      },
    });
    expect(outcome.status).toBe('cancelled');
    expect(streamed).toBeGreaterThan(0);
    expect(timeline.summary(runId)).toBeUndefined();
  });

  it('a run whose store fills up midway fails and keeps no partial timeline; the WAL is truncated and a next run fits', () => {
    const runs = new RunStore(t.db);
    const runId = runs.create({ name: 'r', preset: null, seed: 1, scenario: {}, durationNs: 40e6 }, 0);
    // Room for a few chunks of rows, not for the whole timeline (SQLITE_FULL, as on a full disk).
    const pages = t.db.pragma('page_count', { simple: true }) as number;
    t.db.pragma(`max_page_count = ${pages + 400}`);
    const outcome = executeRun(t.db, runId, plan(40), { nowMs: () => 0, isCancelled: () => false });
    const error = 'disk full: the lab database cannot grow (database or disk is full); free space on its disk or delete runs';
    expect(outcome).toEqual({ status: 'failed', error });
    expect(runs.get(runId)).toMatchObject({ status: 'failed', error });
    expect(new TimelineStore(t.db).summary(runId)).toBeUndefined();
    expect(t.db.prepare('SELECT COUNT(*) AS n FROM timeline_lanes WHERE run_id = ?').get(runId)).toEqual({ n: 0 });
    expect(t.db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name LIKE 'timeline_events_%'").get()).toEqual({ n: 0 });
    expect(statSync(`${t.path}-wal`).size).toBe(0);
    // The space the failed run took is free again: a short run fits in the same room.
    const next = runs.create({ name: 'short', preset: null, seed: 1, scenario: {}, durationNs: 1e6 }, 0);
    expect(executeRun(t.db, next, plan(1), { nowMs: () => 0, isCancelled: () => false }).status).toBe('completed');
  });

  it('heartbeats while it closes the timeline lanes (a long phase after the simulation), not only between steps', () => {
    const runs = new RunStore(t.db);
    const runId = runs.create({ name: 'r', preset: null, seed: 1, scenario: {}, durationNs: 10e6 }, 0);
    t.db.exec(`CREATE TEMP TABLE beats (simulated_ns INTEGER, complete INTEGER);
      CREATE TEMP TRIGGER beat AFTER UPDATE OF heartbeat_ms ON runs BEGIN
        INSERT INTO beats SELECT NEW.simulated_ns, (SELECT complete FROM timeline_runs WHERE run_id = NEW.id);
      END;`);
    let clock = 0;
    // Every look at the clock is a second later: every place that may heartbeat does.
    const outcome = executeRun(t.db, runId, plan(10), { nowMs: () => (clock += 1000), isCancelled: () => false });
    expect(outcome.status).toBe('completed');
    const lanes = new TimelineStore(t.db).summary(runId)!.lanes.length;
    // Heartbeats after the simulation ended and before the timeline was complete: one per lane closed, and then some.
    const whileClosing = t.db.prepare('SELECT COUNT(*) AS n FROM beats WHERE simulated_ns = ? AND complete = 0').get(10e6) as { n: number };
    expect(lanes).toBeGreaterThan(5);
    expect(whileClosing.n).toBeGreaterThanOrEqual(lanes);
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
