import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRunQuery, QueryError, runQuery } from './runQuery';
import { RunStore } from './runStore';
import { TimelineWriter } from './timeline/timelineWriter';
import { tempDb, type TempDb } from './testDb.testkit';
import { prepareRun } from '../core/run/runRequest';
import { planDurationNs } from '../core/run/runPlan';
import { PlanRun } from '../core/run/planRun';
import type { LabDatabase } from './database';
import { QUERY_EXAMPLES, QUERY_VIEWS_INFO } from '../core/contract/query';

/** Simulates a preset and stores it as `pcilab run` does (runExecution.ts), without the host around it. */
function storePreset(db: LabDatabase, preset: string, overrides: string[]): number {
  const prepared = prepareRun({ preset, overrides });
  if (!prepared.ok) throw new Error(prepared.problems.join('\n'));
  const { plan } = prepared;
  const runs = new RunStore(db);
  const runId = runs.create({ name: preset, preset, seed: plan.base.seed, scenario: plan.base, durationNs: planDurationNs(plan) }, 0);
  const writer = new TimelineWriter(db, runId);
  const run = new PlanRun(plan, { timelineSink: writer });
  while (!run.step(50_000));
  writer.finish();
  runs.complete(runId, run.result(), run.timelineEvents, 0);
  return runId;
}

let t: TempDb;
let quick: number;
let rpcit: number;
beforeAll(() => {
  t = tempDb();
  quick = storePreset(t.db, 'quickstart-nvme-fio', ['durationMs=2']);
  rpcit = storePreset(t.db, 's390-rpcit-exhaustion', ['durationMs=120']);
  t.db.close();
});
afterAll(() => t.dispose());

function query(runId: number, sql: string, maxRows = 1000) {
  const db = openRunQuery(t.path, runId)!;
  try {
    return runQuery(db, sql, maxRows);
  } finally {
    db.close();
  }
}

describe('the views of a run', () => {
  it('decodes events: kind and lane names, variant, times in ns, arguments as JSON, symbolic errno, cause', () => {
    const r = query(
      quick,
      'SELECT seq, t_ns, dur_ns, end_ns, kind, failure, variant, lane, lane_group, args, errno, cause FROM events ORDER BY seq LIMIT 2',
    );
    expect(r.columns).toEqual([
      'seq',
      't_ns',
      'dur_ns',
      'end_ns',
      'kind',
      'failure',
      'variant',
      'lane',
      'lane_group',
      'args',
      'errno',
      'cause',
    ]);
    expect(r.rows[0]).toEqual([
      0,
      0,
      150,
      150,
      'dma.map',
      0,
      null,
      'vm0.cpu0',
      'guest',
      '{"bytes":4096,"dmaAddr":"0x100000000","job":0}',
      null,
      null,
    ]);
    const failed = query(rpcit, "SELECT variant, lane, errno, args ->> 'iova' FROM events WHERE kind = 'dma.map.failed' LIMIT 1");
    expect(failed.rows[0]).toEqual([expect.any(String), expect.any(String), 'ENOMEM', expect.stringMatching(/^0x[0-9a-f]+$/)]);
  });

  // 120 ms simulated: the counters sample every 120 us (1,000 samples per run).
  it('has counters (one row per sample), metrics with units, claims with why not, ops, lanes and kinds', () => {
    expect(
      query(rpcit, "SELECT unit, t_ns, value FROM counters WHERE variant = 'single' AND name = 'vfio.entries' ORDER BY t_ns LIMIT 2").rows,
    ).toEqual([
      ['entries', 0, expect.any(Number)],
      ['entries', 120_000, expect.any(Number)],
    ]);
    expect(query(quick, "SELECT name, unit FROM metrics WHERE name = 'io.iops'").rows).toEqual([['io.iops', 'IO/s']]);
    const claims = query(quick, 'SELECT id, holds, expectation, source, why_not FROM claims ORDER BY idx');
    expect(claims.rows.length).toBeGreaterThan(0);
    expect(claims.rows[0]![2]).toMatch(/between/);
    expect(query(rpcit, "SELECT count(*) FROM lanes WHERE variant = 'single'").rows[0]![0]).toBeGreaterThan(0);
    expect(query(quick, "SELECT failure FROM kinds WHERE name = 'dma.map'").rows).toEqual([[0]]);
    expect(query(quick, 'SELECT count(*) FROM ops').columns).toEqual(['count(*)']);
  });

  it('counter_at gives the last sample at or before a time (NULL before the first, per variant)', () => {
    const [[at1ms, after]] = query(
      rpcit,
      "SELECT counter_at('vfio.entries', 120000, 'single'), counter_at('vfio.entries', 120001, 'single')",
    ).rows as [[number, number]];
    const sample = query(rpcit, "SELECT value FROM counters WHERE variant = 'single' AND name = 'vfio.entries' AND t_ns = 120000")
      .rows[0]![0];
    expect(at1ms).toBe(sample);
    expect(after).toBe(sample);
    expect(query(rpcit, "SELECT counter_at('vfio.entries', -1, 'single'), counter_at('no.such', 5, 'single')").rows).toEqual([
      [null, null],
    ]);
  });

  it('answers "which maps failed, and what was the VFIO entry count then" for s390-rpcit-exhaustion in under a second of CPU', () => {
    const cpu = process.cpuUsage();
    const r = query(
      rpcit,
      `SELECT f.variant, f.t_ns, f.args ->> 'iova' AS iova, f.errno,
              c.args ->> 'entriesInUse' AS entries_in_use,
              counter_at('vfio.entries', f.t_ns, f.variant) AS vfio_entries_sampled
       FROM events f LEFT JOIN events c ON c.seq = f.cause
       WHERE f.kind = 'dma.map.failed' ORDER BY f.t_ns LIMIT 20`,
    );
    const used = process.cpuUsage(cpu);
    expect((used.user + used.system) / 1000).toBeLessThan(1000);
    expect(r.rows.length).toBeGreaterThan(0);
    for (const [variant, , iova, errno, inUse, sampled] of r.rows) {
      expect(['percpuDeep', 'single']).toContain(variant);
      expect(iova).toMatch(/^0x/);
      expect(errno).toBe('ENOMEM');
      // RPCIT ran out at the limit (dma_entry_limit 65535); the 1 ms counter sample lags behind.
      expect(inUse).toBe(65535);
      expect(sampled).toBeLessThanOrEqual(65535);
    }
  });

  it('gives undefined for a missing run', () => {
    expect(openRunQuery(t.path, 9999)).toBeUndefined();
  });
});

describe('what the query page lists (core/contract/query.ts)', () => {
  it('names every view with exactly its columns, in order', () => {
    expect(QUERY_VIEWS_INFO.map((v) => v.name).sort()).toEqual(['claims', 'counters', 'events', 'kinds', 'lanes', 'metrics', 'ops']);
    for (const v of QUERY_VIEWS_INFO) {
      expect(query(rpcit, `SELECT * FROM ${v.name} LIMIT 1`).columns, v.name).toEqual(v.columns.map((c) => c.name));
    }
  });

  it('offers examples that all run on s390-rpcit-exhaustion; the failed-maps one carries seq for the timeline', () => {
    for (const e of QUERY_EXAMPLES) expect(query(rpcit, e.sql).rows.length, e.title).toBeGreaterThan(0);
    const failed = QUERY_EXAMPLES.find((e) => e.title.startsWith('Which maps failed'))!;
    const r = query(rpcit, failed.sql);
    expect(r.columns[0]).toBe('seq');
    expect(r.columns).toContain('entries_in_use');
  });
});

describe('only reading', () => {
  it('rejects every statement but one SELECT, WITH or VALUES with a clear error', () => {
    for (const [sql, message] of [
      ['DELETE FROM runs', /only SELECT statements are allowed \(this one starts with DELETE\)/],
      ['  -- note\n INSERT INTO runs DEFAULT VALUES', /starts with INSERT/],
      ['WITH x AS (SELECT 1) DELETE FROM runs WHERE id IN (SELECT * FROM x)', /this one writes/],
      ["ATTACH '/tmp/other.db' AS other", /starts with ATTACH/],
      ['PRAGMA query_only = 0', /starts with PRAGMA/],
      ['DROP VIEW events', /starts with DROP/],
      ['SELECT 1; DELETE FROM runs', /one statement at a time/],
      ['SELECT nope FROM events', /no such column: nope/],
      ['', /starts with nothing/],
    ] as const) {
      expect(() => query(quick, sql), sql).toThrow(QueryError);
      expect(() => query(quick, sql), sql).toThrow(message);
    }
    expect(query(quick, '/* a comment */ VALUES (1, 2)').rows).toEqual([[1, 2]]);
  });

  it('is query_only and read-only underneath: a write through the connection itself fails', () => {
    const db = openRunQuery(t.path, quick)!;
    try {
      expect(() => db.exec('DELETE FROM runs')).toThrow();
      expect(() => db.exec('CREATE TEMP TABLE x (a)')).toThrow();
    } finally {
      db.close();
    }
  });

  it('caps the rows and says so', () => {
    const r = query(quick, 'SELECT seq FROM events ORDER BY seq', 3);
    expect(r.rows).toEqual([[0], [1], [2]]);
    expect(r.truncated).toBe(true);
    expect(query(quick, 'SELECT seq FROM events ORDER BY seq LIMIT 3', 3).truncated).toBe(false);
  });
});
