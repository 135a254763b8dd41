// Runs and their results in the store: create, progress heartbeat, complete/fail/cancel, list,
// read back, delete. Each queued or running run names its owner, the lab process that queued it
// (labOwners.ts): reads show a running run whose owner is dead as interrupted at once, computed,
// with no write (so listing works on read-only media); a queued run of a dead owner stays queued
// (it is only a plan: the next app or browser host to start resumes it, see orphans()). Where the
// owner's liveness is unknown (runs stored before owners, another host) a run whose heartbeat is
// older than HEARTBEAT_STALE_MS counts as interrupted. Rows of interrupted runs stay until the
// user deletes the run. Run ids are never reused (id_floors): saved comparisons and experiments
// keep naming runs that may have been deleted.
// Must not: run simulations or read timelines (timelineStore.ts does).

import type { LabDatabase } from './database';
import { OwnerStore, type Liveness } from './labOwners';
import { dropEventsTableSql } from './timeline/timelineTables';
import { limitsAnswers } from '../core/contract/limitsAnswer';
import type { ClaimResult, CounterSeries, OpResult, RunDetail, RunResult, RunStatus, RunSummary } from '../core/contract/runResult';
import { blobToFloats, floatsToBlob } from './floatBlobs';

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

/** A run whose owner's liveness is unknown and whose heartbeat is older than this is considered interrupted. */
export const HEARTBEAT_STALE_MS = 30_000;

export const INTERRUPTED_ERROR = 'the process running it stopped before it finished';

export interface RunStoreOptions {
  /** The owner id runs created here are stored with (the registered lab process), or none. */
  readonly ownerId?: number | null;
  readonly owners?: OwnerStore;
  readonly nowMs?: () => number;
}

/** A queued or running run whose owner is not alive (dead, or unknown with a stale heartbeat). */
export interface OrphanRun {
  readonly id: number;
  readonly status: 'queued' | 'running';
  readonly ownerId: number | null;
}

/** What a queued run will simulate, as stored (for resuming it in another process). */
export interface StoredRunPlan {
  readonly name: string;
  readonly durationNs: number;
  readonly scenario: unknown;
  readonly variants: readonly { readonly name: string; readonly description: string; readonly set: readonly string[] }[];
  readonly planClaims: readonly unknown[];
}

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
  owner_id: number | null;
  heartbeat_ms: number | null;
}

const ACTIVE = new Set<RunStatus>(['queued', 'running']);

const SUMMARY_COLUMNS = `r.id, r.name, r.preset, r.status, r.seed, r.created_at, r.finished_at, r.duration_ns,
  r.simulated_ns, r.event_count, r.timeline_hash, r.error, r.owner_id, r.heartbeat_ms,
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

/** Whether an active run is nobody's any more: its owner is dead, or unknown and its heartbeat stale. */
function isOrphan(status: RunStatus, liveness: Liveness, heartbeatMs: number | null, nowMs: number, staleMs = HEARTBEAT_STALE_MS): boolean {
  if (!ACTIVE.has(status) || liveness === 'alive') return false;
  return liveness === 'dead' || heartbeatMs === null || heartbeatMs < nowMs - staleMs;
}

export class RunStore {
  private readonly ownerId: number | null;
  private readonly owners: OwnerStore;
  private readonly nowMs: () => number;

  constructor(
    private readonly db: LabDatabase,
    options: RunStoreOptions = {},
  ) {
    this.ownerId = options.ownerId ?? null;
    this.owners = options.owners ?? new OwnerStore(db);
    this.nowMs = options.nowMs ?? Date.now;
  }

  /**
   * The status to show for stored rows: a running run whose owner is dead (or, owner unknown,
   * whose heartbeat is stale) is interrupted; everything else as stored. Reads only.
   */
  private withLiveStatus(rows: RunRow[]): RunRow[] {
    const active = rows.filter((r) => ACTIVE.has(r.status));
    if (active.length === 0) return rows;
    const live = this.owners.liveness(active.map((r) => r.owner_id));
    const now = this.nowMs();
    for (const r of active) {
      if (isOrphan(r.status, live(r.owner_id), r.heartbeat_ms, now) && r.status === 'running') {
        r.status = 'interrupted';
        r.error = INTERRUPTED_ERROR;
      }
    }
    return rows;
  }

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
          `INSERT INTO runs (id, name, preset, status, seed, scenario_json, created_at, heartbeat_ms, duration_ns, variants_json, plan_claims_json, owner_id)
           VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
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
          this.ownerId,
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
   * Queued and running runs whose owner is not alive: dead, or unknown with a heartbeat older than
   * `staleMs`. Reads only; the caller decides (mark interrupted, resume, cancel).
   */
  orphans(staleMs = HEARTBEAT_STALE_MS): OrphanRun[] {
    const rows = this.db
      .prepare(`SELECT id, status, owner_id, heartbeat_ms FROM runs WHERE status IN ('queued','running') ORDER BY id`)
      .all() as { id: number; status: 'queued' | 'running'; owner_id: number | null; heartbeat_ms: number | null }[];
    if (rows.length === 0) return [];
    const live = this.owners.liveness(rows.map((r) => r.owner_id));
    const now = this.nowMs();
    return rows
      .filter((r) => isOrphan(r.status, live(r.owner_id), r.heartbeat_ms, now, staleMs))
      .map((r) => ({ id: r.id, status: r.status, ownerId: r.owner_id }));
  }

  /** Marks an orphaned running run interrupted, unless it changed meanwhile (status or owner); true when marked. */
  markInterrupted(orphan: OrphanRun): boolean {
    return (
      this.db
        .prepare(`UPDATE runs SET status = 'interrupted', error = ? WHERE id = ? AND status = ? AND owner_id IS ?`)
        .run(INTERRUPTED_ERROR, orphan.id, orphan.status, orphan.ownerId).changes === 1
    );
  }

  /**
   * Takes over an orphaned queued run for this store's owner (resume), unless another process took
   * it or it changed meanwhile; true when it is ours now.
   */
  adopt(orphan: OrphanRun, nowMs: number): boolean {
    return (
      this.db
        .prepare(`UPDATE runs SET owner_id = ?, heartbeat_ms = ? WHERE id = ? AND status = 'queued' AND owner_id IS ?`)
        .run(this.ownerId, nowMs, orphan.id, orphan.ownerId).changes === 1
    );
  }

  /** Cancels an orphaned queued run (nobody runs it), unless it changed meanwhile; true when cancelled. */
  cancelOrphan(orphan: OrphanRun, nowMs: number): boolean {
    return (
      this.db
        .prepare(`UPDATE runs SET status = 'cancelled', finished_at = ? WHERE id = ? AND status = 'queued' AND owner_id IS ?`)
        .run(new Date(nowMs).toISOString(), orphan.id, orphan.ownerId).changes === 1
    );
  }

  /** The owner a queued or running run names and whether it is alive, or undefined when the run is not active. */
  activeOwner(id: number): { status: 'queued' | 'running'; ownerId: number | null; liveness: Liveness } | undefined {
    const row = this.db.prepare(`SELECT status, owner_id FROM runs WHERE id = ? AND status IN ('queued','running')`).get(id) as
      { status: 'queued' | 'running'; owner_id: number | null } | undefined;
    if (row === undefined) return undefined;
    return { status: row.status, ownerId: row.owner_id, liveness: this.owners.liveness([row.owner_id])(row.owner_id) };
  }

  /**
   * Why the run may not be cancelled or deleted from here: it is queued or running in another lab
   * process that is alive (or, unknown, still heartbeating); null when it may (finished, orphaned,
   * or this store's own). `pcilab delete` and the hosts ask this before deleting.
   */
  busyElsewhere(id: number): string | null {
    const active = this.activeOwner(id);
    if (active === undefined || (active.ownerId !== null && active.ownerId === this.ownerId)) return null;
    if (this.orphans().some((o) => o.id === id)) return null;
    return `run ${id} is ${active.status} in another lab process; cancel it there`;
  }

  /** What a stored run simulates (to resume a queued one), or undefined. */
  storedPlan(id: number): StoredRunPlan | undefined {
    const row = this.db
      .prepare('SELECT name, duration_ns, scenario_json, variants_json, plan_claims_json FROM runs WHERE id = ?')
      .get(id) as { name: string; duration_ns: number; scenario_json: string; variants_json: string; plan_claims_json: string } | undefined;
    return (
      row && {
        name: row.name,
        durationNs: row.duration_ns,
        scenario: JSON.parse(row.scenario_json) as unknown,
        variants: JSON.parse(row.variants_json) as StoredRunPlan['variants'],
        planClaims: JSON.parse(row.plan_claims_json) as unknown[],
      }
    );
  }

  list(filter: RunListFilter = {}): RunSummary[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.text !== undefined && filter.text !== '') {
      where.push(`(r.name LIKE ? ESCAPE '\\' OR r.preset LIKE ? ESCAPE '\\')`);
      const like = `%${filter.text.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
      params.push(like, like);
    }
    const status = filter.status ?? '';
    // A running run may show as interrupted (computed): those two filters read both and filter after.
    const computed = status === 'interrupted' || status === 'running';
    if (status !== '') {
      where.push(computed ? `r.status IN ('running','interrupted')` : 'r.status = ?');
      if (!computed) params.push(status);
    }
    const limit = filter.limit ?? 500;
    const sql = `SELECT ${SUMMARY_COLUMNS} FROM runs r ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''}
                 ORDER BY r.id DESC ${computed ? '' : 'LIMIT ?'}`;
    if (!computed) params.push(limit);
    const rows = this.withLiveStatus(this.db.prepare(sql).all(...params) as RunRow[]);
    return (computed ? rows.filter((r) => r.status === status).slice(0, limit) : rows).map(toSummary);
  }

  get(id: number): RunDetail | undefined {
    const row = this.db.prepare(`SELECT ${SUMMARY_COLUMNS}, r.scenario_json, r.variants_json FROM runs r WHERE r.id = ?`).get(id) as
      RunRow | undefined;
    if (row === undefined) return undefined;
    this.withLiveStatus([row]);
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
      limits: limitsAnswers(metrics),
    };
  }

  /** Progress fields of a run, for hosts that poll another process's run. */
  progress(id: number): { status: RunStatus; simulatedNs: number; durationNs: number; events: number } | undefined {
    const row = this.db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM runs r WHERE r.id = ?`).get(id) as RunRow | undefined;
    if (row === undefined) return undefined;
    this.withLiveStatus([row]);
    return { status: row.status, simulatedNs: row.simulated_ns, durationNs: row.duration_ns, events: row.event_count };
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
