import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openLabDatabase, schemaVersion } from './database';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations';
import { RunStore } from './runStore';
import { TimelineStore } from './timeline/timelineStore';
import { ExperimentStore } from './experimentStore';
import { QueryStore } from './queryStore';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A v2 database as v2 of the lab left it: two runs, one with a v1 timeline, results and claims. */
function v2Database(path: string): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.slice(0, 2));
  expect(schemaVersion(db)).toBe(2);
  const run = db.prepare(
    `INSERT INTO runs (id, name, preset, status, seed, scenario_json, created_at, duration_ns, event_count, timeline_hash, variants_json)
     VALUES (?, ?, NULL, 'completed', 1, ?, '2024-01-01T00:00:00.000Z', 1000000, ?, 'h', '[]')`,
  );
  run.run(1, 'with-timeline', '{"name":"with-timeline","durationMs":1}', 300);
  run.run(2, 'plain', '{"name":"plain"}', 0);
  db.prepare(`INSERT INTO run_metrics (run_id, name, value) VALUES (1, 'io.iops', 1234.5), (2, 'io.iops', 7)`).run();
  db.prepare(
    `INSERT INTO run_claims (run_id, idx, claim_id, text, holds, measured, expectation, source) VALUES (1, 0, 'c', 'text', 1, 2, '>= 1', 'ref')`,
  ).run();
  db.prepare(
    `INSERT INTO timeline_lanes (run_id, lane, name, grp, max_dur) VALUES (1, 0, 'cpu0', 'guest', 5), (1, 1, 'nvme0', 'device', 400)`,
  ).run();
  db.prepare(
    `INSERT INTO timeline_kinds (run_id, kind, name, args_json, failure) VALUES
       (1, 0, 'dma.map', '[{"name":"errno","format":"errno"}]', 0), (1, 1, 'dma.mapFailed', '[]', 1)`,
  ).run();
  db.prepare(`INSERT INTO timeline_strings (run_id, idx, value) VALUES (1, 0, 'ENOSPC')`).run();
  const ev = db.prepare(
    `INSERT INTO timeline_events (run_id, seq, t, dur, lane, kind, a0, a1, a2, cause) VALUES (1, ?, ?, ?, ?, ?, 0, 0, 0, ?)`,
  );
  for (let seq = 0; seq < 300; seq++) {
    const failure = seq === 299;
    ev.run(seq, seq * 10, failure ? 0 : seq % 2 === 0 ? 5 : 400, seq % 2, failure ? 1 : 0, seq > 0 ? seq - 1 : null);
  }
  db.close();
}

describe('migrating a v2 database with data to the latest schema', () => {
  it('keeps every run and result and converts the v1 timeline into the per-run layout', () => {
    dir = mkdtempSync(join(tmpdir(), 'pcilab-mig-'));
    const path = join(dir, 'lab.db');
    v2Database(path);
    const db = openLabDatabase(path);
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    const runs = new RunStore(db);
    expect(runs.list().map((r) => [r.id, r.name, r.status])).toEqual([
      [2, 'plain', 'completed'],
      [1, 'with-timeline', 'completed'],
    ]);
    expect(runs.get(1)).toMatchObject({ metrics: { 'io.iops': 1234.5 }, claimsHeld: 1, eventCount: 300, timelineHash: 'h' });
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'timeline_events'`).get()).toBeUndefined();

    const timeline = new TimelineStore(db);
    expect(timeline.count(1)).toBe(300);
    expect(timeline.summary(1)).toMatchObject({ eventCount: 300, failureCount: 1, complete: true, startNs: 0, endNs: 2970 + 400 });
    expect(timeline.summary(2)).toBeUndefined();
    expect(
      timeline
        .detail(1, 299)!
        .causeChain.map((e) => e.seq)
        .slice(0, 3),
    ).toEqual([298, 297, 296]);
    // v3's effect blocks, read as v6's effect parts.
    expect(timeline.detail(1, 0)!.effects.map((e) => e.seq)).toEqual([1]);
    expect(timeline.detail(1, 298)!.effects.map((e) => e.seq)).toEqual([299]);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'timeline_effect_blocks'`).get()).toBeUndefined();
    expect(timeline.failures(1, 5).map((e) => e.kind)).toEqual(['dma.mapFailed']);
    const w = timeline.window({ runId: 1, startNs: 0, endNs: 3000, widthPx: 1000 })!;
    expect(w.events).toHaveLength(300);
    expect(w.events.find((e) => e.seq === 0)!.args).toEqual({ errno: 'ENOSPC' });
    // A new run does not take an id of the old ones.
    expect(runs.create({ name: 'n', preset: null, seed: 1, scenario: {}, durationNs: 1 }, 0)).toBe(3);
    db.close();
  });
});

describe('migrating a v6 database with experiments', () => {
  it('keeps its experiments as variants experiments and stores bisects after', () => {
    dir = mkdtempSync(join(tmpdir(), 'pcilab-mig-'));
    const path = join(dir, 'lab.db');
    const old = new Database(path);
    old.pragma('foreign_keys = ON');
    migrate(
      old,
      MIGRATIONS.filter((m) => m.version <= 6),
    );
    expect(schemaVersion(old)).toBe(6);
    old
      .prepare(`INSERT INTO experiments (name, created_at, base_json, variants_json) VALUES ('old', '2026-01-01T00:00:00.000Z', ?, ?)`)
      .run('{"preset":"p"}', '[{"name":"v","set":["x=1"]}]');
    old.prepare(`INSERT INTO experiment_executions (experiment_id, created_at) VALUES (1, '2026-01-01T00:00:00.000Z')`).run();
    old.prepare(`INSERT INTO experiment_runs (execution_id, idx, run_id) VALUES (1, 0, NULL)`).run();
    old.close();

    const db = openLabDatabase(path);
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    const experiments = new ExperimentStore(db);
    expect(experiments.get(1)).toEqual({
      id: 1,
      name: 'old',
      createdAt: '2026-01-01T00:00:00.000Z',
      base: { preset: 'p' },
      variants: [{ name: 'v', set: ['x=1'] }],
      kind: 'variants',
    });
    expect(experiments.latestExecution(1)).toEqual({ id: 1, state: null, error: null });
    expect(experiments.latestRuns(1)).toEqual([{ runId: null, status: null, outcome: null, ran: true }]);
    const bisect = { path: 'host.qemu.version', versions: ['7.1', '7.2'], outcome: { metric: 'm' } };
    const id = experiments.create({ name: 'b', base: { preset: 'p' }, variants: [], kind: 'bisect', bisect }, 0);
    expect(experiments.get(id)).toMatchObject({ kind: 'bisect', bisect });
    expect(() => db.prepare(`UPDATE experiments SET kind = 'other' WHERE id = 1`).run()).toThrow(/CHECK/);
    db.close();
  });
});

describe('migrating a v8 database', () => {
  it('keeps its comparisons and adds the saved queries table', () => {
    dir = mkdtempSync(join(tmpdir(), 'pcilab-mig-'));
    const path = join(dir, 'lab.db');
    const old = new Database(path);
    migrate(
      old,
      MIGRATIONS.filter((m) => m.version <= 8),
    );
    expect(schemaVersion(old)).toBe(8);
    old
      .prepare(
        `INSERT INTO comparisons (name, created_at, run_ids_json, metrics_json, counters_json) VALUES ('c', '2026-01-01T00:00:00.000Z', '[1,2]', '[]', '[]')`,
      )
      .run();
    old.close();

    const db = openLabDatabase(path);
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(LATEST_SCHEMA_VERSION).toBeGreaterThanOrEqual(9);
    expect(db.prepare('SELECT name FROM comparisons').all()).toEqual([{ name: 'c' }]);
    const queries = new QueryStore(db);
    const id = queries.create({ name: 'q', sql: 'SELECT 1' }, 0);
    expect(queries.list()).toEqual([{ id, name: 'q', sql: 'SELECT 1', createdAt: '1970-01-01T00:00:00.000Z' }]);
    db.close();
  });
});
