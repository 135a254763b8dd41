// Runs and their results in the store: create, progress heartbeat, complete/fail/cancel, list,
// read back, delete. A run that stops sending heartbeats (its process was killed) is shown as
// interrupted; its rows stay until the user deletes the run. Run ids are never reused (id_floors):
// saved comparisons and experiments keep naming runs that may have been deleted.
// Must not: run simulations or read timelines (timelineStore.ts does).

import type { LabDatabase } from './database';
import { dropEventsTableSql } from './timeline/timelineTables';
import type { ClaimResult, CounterSeries, OpResult, RunDetail, RunResult, RunStatus, RunSummary } from '../core/contract/runResult';

export interface NewRun {
  readonly name: string;
  readonly preset: string | null;
  readonly seed: number;
  readonly scenario: unknown;
  readonly durationNs: number;
  /** Variants the run compares (name, description, overrides); empty for a plain scenario. */
  readonly variants?: readonly unknown[];
  /** Claims of the plan beyond the scenario's own. */
  readonly planClaims?: readonly unknown[];
}

export interface RunListFilter {
  readonly text?: string;
  readonly status?: string;
  readonly limit?: number;
}

/** A run whose heartbeat is older than this is considered interrupted. */
export const HEARTBEAT_STALE_MS = 30_000;

interface RunRow {
  id: number;
  name: string;
  preset: string | null;
  status: RunStatus;
  seed: number;
  scenario_json: string;
  variants_json: string;
  created_at: string;
  finished_at: string | null;
  duration_ns: number;
  simulated_ns: number;
  event_count: number;
  timeline_hash: string | null;
  error: string | null;
  claims_held: number;
  claims_total: number;
}

const SUMMARY_COLUMNS = `r.id, r.name, r.preset, r.status, r.seed, r.created_at, r.finished_at, r.duration_ns,
  r.simulated_ns, r.event_count, r.timeline_hash, r.error,
  (SELECT COUNT(*) FROM run_claims c WHERE c.run_id = r.id AND c.holds = 1) AS claims_held,
  (SELECT COUNT(*) FROM run_claims c WHERE c.run_id = r.id) AS claims_total`;

function toSummary(row: RunRow): RunSummary {
  return {
    id: row.id,
    name: row.name,
    preset: row.preset,
    status: row.status,
    seed: row.seed,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    eventCount: row.event_count,
    timelineHash: row.timeline_hash,
    error: row.error,
    claimsHeld: row.claims_held,
    claimsTotal: row.claims_total,
  };
}

function floatsToBlob(values: readonly number[]): Buffer {
  const arr = Float64Array.from(values);
  return Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
}

function blobToFloats(blob: Buffer): number[] {
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return Array.from(new Float64Array(copy.buffer));
}

export class RunStore {
  constructor(private readonly db: LabDatabase) {}

  create(run: NewRun, nowMs: number): number {
    const insert = this.db.transaction(() => {
      const id = (
        this.db
          .prepare(
            `SELECT MAX((SELECT IFNULL(MAX(id), 0) + 1 FROM runs), IFNULL((SELECT next_id FROM id_floors WHERE name = 'runs'), 1)) AS id`,
          )
          .get() as { id: number }
      ).id;
      this.db
        .prepare(
          `INSERT INTO runs (id, name, preset, status, seed, scenario_json, created_at, heartbeat_ms, duration_ns, variants_json, plan_claims_json)
           VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          run.name,
          run.preset,
          run.seed,
          JSON.stringify(run.scenario),
          new Date(nowMs).toISOString(),
          nowMs,
          run.durationNs,
          JSON.stringify(run.variants ?? []),
          JSON.stringify(run.planClaims ?? []),
        );
      this.db.prepare(`INSERT OR REPLACE INTO id_floors (name, next_id) VALUES ('runs', ?)`).run(id + 1);
      return id;
    });
    return insert.immediate();
  }

  exists(id: number): boolean {
    return this.db.prepare('SELECT 1 FROM runs WHERE id = ?').get(id) !== undefined;
  }

  /** The run's status, or undefined when there is no such run. */
  status(id: number): RunStatus | undefined {
    return (this.db.prepare('SELECT status FROM runs WHERE id = ?').get(id) as { status: RunStatus } | undefined)?.status;
  }

  markRunning(id: number, nowMs: number): void {
    this.db.prepare(`UPDATE runs SET status = 'running', heartbeat_ms = ? WHERE id = ? AND status IN ('queued','running')`).run(nowMs, id);
  }

  heartbeat(id: number, simulatedNs: number, events: number, nowMs: number): void {
    this.db
      .prepare(`UPDATE runs SET heartbeat_ms = ?, simulated_ns = ?, event_count = ? WHERE id = ? AND status IN ('queued','running')`)
      .run(nowMs, simulatedNs, events, id);
  }

  /** Stores the results and marks the run completed, atomically. */
  complete(id: number, result: RunResult, eventCount: number, nowMs: number): void {
    const tx = this.db.transaction(() => {
      const metric = this.db.prepare('INSERT INTO run_metrics (run_id, name, value) VALUES (?, ?, ?)');
      for (const [name, value] of Object.entries(result.metrics)) metric.run(id, name, value);
      const claim = this.db.prepare(
        `INSERT INTO run_claims (run_id, idx, claim_id, text, holds, measured, expectation, source, note, metric, per, unit)
         VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
      );
      result.claims.forEach((c, i) =>
        claim.run(
          id,
          i,
          c.id,
          c.text,
          c.holds ? 1 : 0,
          c.measured,
          c.expectation,
          c.source,
          c.note ?? null,
          c.metric ?? null,
          c.per ?? null,
          c.unit ?? null,
        ),
      );
      const op = this.db.prepare('INSERT INTO run_ops (run_id, idx, op, ok, errno, ret_json) VALUES (?,?,?,?,?,?)');
      result.ops.forEach((o, i) => op.run(id, i, o.op, o.ok ? 1 : 0, o.errno, JSON.stringify(o.ret ?? null)));
      const counter = this.db.prepare('INSERT INTO run_counters (run_id, idx, name, unit, t_ns, vals) VALUES (?,?,?,?,?,?)');
      result.counters.forEach((c, i) => counter.run(id, i, c.name, c.unit, floatsToBlob(c.tNs), floatsToBlob(c.values)));
      this.db
        .prepare(
          `UPDATE runs SET status = 'completed', finished_at = ?, simulated_ns = ?, event_count = ?, timeline_hash = ?, heartbeat_ms = ?
           WHERE id = ?`,
        )
        .run(new Date(nowMs).toISOString(), result.simulatedNs, eventCount, result.timelineHash, nowMs, id);
    });
    tx.immediate();
  }

  finish(id: number, status: 'failed' | 'cancelled', error: string | null, nowMs: number): void {
    this.db
      .prepare(`UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status IN ('queued','running')`)
      .run(status, error, new Date(nowMs).toISOString(), id);
  }

  /**
   * Marks queued/running runs with a stale heartbeat as interrupted; returns how many. Looks first
   * (a read never waits in WAL mode) and takes the write lock only when there is one to mark.
   */
  markInterrupted(nowMs: number, staleMs = HEARTBEAT_STALE_MS): number {
    const stale = `status IN ('queued','running') AND (heartbeat_ms IS NULL OR heartbeat_ms < ?)`;
    if (this.db.prepare(`SELECT 1 FROM runs WHERE ${stale} LIMIT 1`).get(nowMs - staleMs) === undefined) return 0;
    return this.db
      .prepare(`UPDATE runs SET status = 'interrupted', error = 'the process running it stopped before it finished' WHERE ${stale}`)
      .run(nowMs - staleMs).changes;
  }

  list(filter: RunListFilter = {}): RunSummary[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.text !== undefined && filter.text !== '') {
      where.push(`(r.name LIKE ? ESCAPE '\\' OR r.preset LIKE ? ESCAPE '\\')`);
      const like = `%${filter.text.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
      params.push(like, like);
    }
    if (filter.status !== undefined && filter.status !== '') {
      where.push('r.status = ?');
      params.push(filter.status);
    }
    const sql = `SELECT ${SUMMARY_COLUMNS} FROM runs r ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''}
                 ORDER BY r.id DESC LIMIT ?`;
    params.push(filter.limit ?? 500);
    return (this.db.prepare(sql).all(...params) as RunRow[]).map(toSummary);
  }

  get(id: number): RunDetail | undefined {
    const row = this.db.prepare(`SELECT ${SUMMARY_COLUMNS}, r.scenario_json, r.variants_json FROM runs r WHERE r.id = ?`).get(id) as
      RunRow | undefined;
    if (row === undefined) return undefined;
    const metrics: Record<string, number> = {};
    for (const m of this.db.prepare('SELECT name, value FROM run_metrics WHERE run_id = ? ORDER BY name').all(id) as {
      name: string;
      value: number;
    }[]) {
      metrics[m.name] = m.value;
    }
    return {
      ...toSummary(row),
      scenario: JSON.parse(row.scenario_json) as unknown,
      variants: JSON.parse(row.variants_json) as RunDetail['variants'],

      metrics,
      claims: this.claims(id),
      ops: this.ops(id),
      counters: this.counters(id),
      simulatedNs: row.simulated_ns,
    };
  }

  /** Progress fields of a run, for hosts that poll another process's run. */
  progress(id: number): { status: RunStatus; simulatedNs: number; durationNs: number; events: number } | undefined {
    const row = this.db.prepare('SELECT status, simulated_ns, duration_ns, event_count FROM runs WHERE id = ?').get(id) as
      { status: RunStatus; simulated_ns: number; duration_ns: number; event_count: number } | undefined;
    return row && { status: row.status, simulatedNs: row.simulated_ns, durationNs: row.duration_ns, events: row.event_count };
  }

  /** Deletes the run, its timeline's own table and (by cascade) every other row that belongs to it. */
  delete(id: number): boolean {
    const remove = this.db.transaction(() => {
      if (!this.exists(id)) return false;
      this.db.exec(dropEventsTableSql(id));
      return this.db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes > 0;
    });
    return remove.immediate();
  }

  private claims(id: number): ClaimResult[] {
    const rows = this.db
      .prepare(
        'SELECT claim_id, text, holds, measured, expectation, source, note, metric, per, unit FROM run_claims WHERE run_id = ? ORDER BY idx',
      )
      .all(id) as {
      claim_id: string;
      text: string;
      holds: number;
      measured: number | null;
      expectation: string;
      source: string;
      note: string | null;
      metric: string | null;
      per: string | null;
      unit: string | null;
    }[];
    return rows.map((r) => ({
      id: r.claim_id,
      text: r.text,
      holds: r.holds === 1,
      measured: r.measured,
      expectation: r.expectation,
      source: r.source,
      ...(r.note === null ? {} : { note: r.note }),
      ...(r.metric === null ? {} : { metric: r.metric }),
      ...(r.per === null ? {} : { per: r.per }),
      ...(r.unit === null ? {} : { unit: r.unit }),
    }));
  }

  private ops(id: number): OpResult[] {
    const rows = this.db.prepare('SELECT op, ok, errno, ret_json FROM run_ops WHERE run_id = ? ORDER BY idx').all(id) as {
      op: string;
      ok: number;
      errno: string | null;
      ret_json: string;
    }[];
    return rows.map((r) => ({ op: r.op, ok: r.ok === 1, errno: r.errno, ret: JSON.parse(r.ret_json) as unknown }));
  }

  private counters(id: number): CounterSeries[] {
    const rows = this.db.prepare('SELECT name, unit, t_ns, vals FROM run_counters WHERE run_id = ? ORDER BY idx').all(id) as {
      name: string;
      unit: string;
      t_ns: Buffer;
      vals: Buffer;
    }[];
    return rows.map((r) => ({ name: r.name, unit: r.unit, tNs: blobToFloats(r.t_ns), values: blobToFloats(r.vals) }));
  }
}
