import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HEARTBEAT_STALE_MS, INTERRUPTED_ERROR, RunStore } from './runStore';
import { livenessOf, OwnerStore, type ProcessProbe } from './labOwners';
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

/** Processes of host "h": pid -> start token; `probe.pid` is the process that registers. */
function fakeProbe(): { probe: { -readonly [K in keyof ProcessProbe]: ProcessProbe[K] }; live: Map<number, string> } {
  const live = new Map<number, string>();
  const probe = { host: 'h', pid: 100, exists: (pid: number) => live.has(pid), startToken: (pid: number) => live.get(pid) ?? null };
  return { probe, live };
}

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

  it('shows a running run whose owner process died as interrupted at once, computed, without writing; its queued run stays queued', () => {
    const { probe, live } = fakeProbe();
    live.set(100, 'boot:1');
    const owners = new OwnerStore(t.db, probe);
    const ownerId = new OwnerStore(t.db, probe).register(0);
    const mine = new RunStore(t.db, { ownerId, owners, nowMs: () => 1000 });
    const running = mine.create({ name: 'r', preset: null, seed: 1, scenario: {}, durationNs: 1 }, 0);
    const queued = mine.create({ name: 'q', preset: null, seed: 1, scenario: {}, durationNs: 1 }, 0);
    mine.markRunning(running, 0);
    expect(mine.get(running)!.status).toBe('running');
    // The process dies (its heartbeat is fresh: no timeout is involved).
    live.delete(100);
    const changes = t.db.prepare('SELECT total_changes() AS n').get();
    expect(mine.get(running)).toMatchObject({ status: 'interrupted', error: INTERRUPTED_ERROR });
    expect(mine.list().map((r) => [r.id, r.status])).toEqual([
      [queued, 'queued'],
      [running, 'interrupted'],
    ]);
    expect(mine.progress(running)!.status).toBe('interrupted');
    expect(mine.list({ status: 'interrupted' }).map((r) => r.id)).toEqual([running]);
    expect(mine.list({ status: 'running' })).toEqual([]);
    expect(t.db.prepare('SELECT total_changes() AS n').get()).toEqual(changes);
    expect(t.db.prepare('SELECT status FROM runs WHERE id = ?').get(running)).toEqual({ status: 'running' });
    expect(mine.orphans()).toEqual([
      { id: running, status: 'running', ownerId },
      { id: queued, status: 'queued', ownerId },
    ]);
  });

  it('takes a recycled pid (another start token) for dead, and an owner it cannot check for alive while its heartbeat is fresh', () => {
    const { probe, live } = fakeProbe();
    probe.pid = 7;
    live.set(7, 'boot:1');
    const owners = new OwnerStore(t.db, probe);
    const ownerId = new OwnerStore(t.db, probe).register(0);
    let now = 1000;
    const store = new RunStore(t.db, { ownerId, owners, nowMs: () => now });
    const id = store.create({ name: 'r', preset: null, seed: 1, scenario: {}, durationNs: 1 }, 0);
    store.markRunning(id, 1000);
    expect(livenessOf({ host: 'h', pid: 7, startToken: 'boot:1' }, probe)).toBe('alive');
    live.set(7, 'boot:2');
    expect(store.get(id)!.status).toBe('interrupted');
    // Another host (or a platform without start tokens): the heartbeat decides, after HEARTBEAT_STALE_MS.
    expect(livenessOf({ host: 'other', pid: 7, startToken: 'boot:2' }, probe)).toBe('unknown');
    expect(livenessOf({ host: 'h', pid: 7, startToken: null }, probe)).toBe('unknown');
    expect(livenessOf({ host: 'h', pid: 8, startToken: null }, probe)).toBe('dead');
    t.db.prepare("UPDATE lab_owners SET host = 'other'").run();
    expect(store.get(id)!.status).toBe('running');
    now = 1000 + HEARTBEAT_STALE_MS + 1;
    expect(store.get(id)!.status).toBe('interrupted');
    // Runs stored before owners (no owner) too.
    t.db.prepare('UPDATE runs SET owner_id = NULL').run();
    expect(store.orphans()).toEqual([{ id, status: 'running', ownerId: null }]);
    now = 1000;
    expect(store.orphans()).toEqual([]);
  });

  it('marks, resumes or cancels an orphan only while it is unchanged (one process wins)', () => {
    const { probe, live } = fakeProbe();
    probe.pid = 1;
    live.set(1, 'a');
    const owners = new OwnerStore(t.db, probe);
    const dead = new OwnerStore(t.db, probe).register(0);
    const old = new RunStore(t.db, { ownerId: dead, owners });
    const running = old.create({ name: 'r', preset: null, seed: 1, scenario: { name: 'r' }, durationNs: 5 }, 0);
    old.markRunning(running, 0);
    const queued = old.create(
      { name: 'q', preset: null, seed: 1, scenario: { name: 'q' }, durationNs: 5, variants: [{ name: 'v', description: '', set: [] }] },
      0,
    );
    const other = old.create({ name: 'o', preset: null, seed: 1, scenario: {}, durationNs: 5 }, 0);
    live.delete(1);
    probe.pid = 2;
    live.set(2, 'b');
    const me = new RunStore(t.db, { ownerId: owners.register(0), owners });
    const [r, q, o] = me.orphans();
    expect(me.markInterrupted(r!)).toBe(true);
    expect(me.markInterrupted(r!)).toBe(false);
    expect(t.db.prepare('SELECT status, error FROM runs WHERE id = ?').get(running)).toEqual({
      status: 'interrupted',
      error: INTERRUPTED_ERROR,
    });
    expect(me.adopt(q!, 9)).toBe(true);
    expect(me.adopt(q!, 9)).toBe(false);
    expect(me.orphans()).toEqual([{ id: other, status: 'queued', ownerId: dead }]);
    expect(me.storedPlan(queued)).toEqual({
      name: 'q',
      durationNs: 5,
      scenario: { name: 'q' },
      variants: [{ name: 'v', description: '', set: [] }],
      planClaims: [],
    });
    expect(me.cancelOrphan(o!, 10)).toBe(true);
    expect(me.get(other)!.status).toBe('cancelled');
    expect(me.activeOwner(queued)).toMatchObject({ status: 'queued', liveness: 'alive' });
    expect(me.activeOwner(other)).toBeUndefined();
    // Cancel or delete from elsewhere: refused while its (live) owner has it, allowed for its owner and for finished runs.
    const elsewhere = new RunStore(t.db, { owners });
    expect(elsewhere.busyElsewhere(queued)).toBe(`run ${queued} is queued in another lab process; cancel it there`);
    expect(me.busyElsewhere(queued)).toBeNull();
    expect(elsewhere.busyElsewhere(running)).toBeNull();
    // Housekeeping: the dead owner's row goes once no active run names it.
    expect(owners.forgetDead()).toBe(1);
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
