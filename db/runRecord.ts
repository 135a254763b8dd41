// A whole finished run as rows, for portable run bundles (electron/service/runBundle*.ts): reading
// everything a run is (its row, metrics, claims, ops, counters, its timeline's definitions and its
// events in seq order) and inserting such a record as a new run of this lab. An inserted run gets a
// fresh id (id_floors: ids are never reused), no owner (nobody runs it) and keeps the status and the
// times it had where it was made. Events go through the timeline writer (db/timeline), which builds
// the levels of detail, seq blocks and effect parts exactly as for a run simulated here.
// Must not: open transactions of its own for an insert (the caller wraps one bundle in one), know
// about the bundle's file format, or read a run that is still queued or running.

import type { LabDatabase } from './database';
import { EVENT_COLUMNS, eventsTableOf } from './timeline/timelineTables';
import { readTimelineMeta, type EventValues } from './timeline/timelineMeta';
import type { TimelineKindInfo, TimelineLaneInfo } from '../core/contract/timeline';
import { blobToFloats, floatsToBlob } from './floatBlobs';

export type FinishedStatus = 'completed' | 'failed' | 'cancelled' | 'interrupted';

export interface RunRecordHead {
  readonly name: string;
  readonly preset: string | null;
  readonly status: FinishedStatus;
  readonly seed: number;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly durationNs: number;
  readonly simulatedNs: number;
  readonly eventCount: number;
  readonly timelineHash: string | null;
  readonly error: string | null;
  readonly scenario: unknown;
  readonly variants: readonly unknown[];
  readonly planClaims: readonly unknown[];
}

export interface RecordClaim {
  readonly id: string;
  readonly text: string;
  readonly holds: boolean;
  readonly measured: number | null;
  readonly expectation: string;
  readonly source: string;
  readonly note: string | null;
  readonly metric: string | null;
  readonly per: string | null;
  readonly unit: string | null;
}

export interface RecordOp {
  readonly op: string;
  readonly ok: boolean;
  readonly errno: string | null;
  readonly ret: unknown;
}

export interface RecordCounter {
  readonly name: string;
  readonly unit: string;
  readonly tNs: readonly number[];
  readonly values: readonly number[];
}

export interface RecordTimeline {
  /** False when the run stopped while its timeline was stored (only a prefix of its events is there). */
  readonly complete: boolean;
  readonly lanes: readonly TimelineLaneInfo[];
  readonly kinds: readonly TimelineKindInfo[];
  readonly strings: readonly string[];
}

export interface RunRecord {
  readonly head: RunRecordHead;
  /** Sorted by name. */
  readonly metrics: readonly (readonly [string, number])[];
  readonly claims: readonly RecordClaim[];
  readonly ops: readonly RecordOp[];
  readonly counters: readonly RecordCounter[];
  /** Null when the run has no stored timeline. */
  readonly timeline: RecordTimeline | null;
}

export class RunStillActiveError extends Error {}

interface HeadRow {
  name: string;
  preset: string | null;
  status: string;
  seed: number;
  created_at: string;
  finished_at: string | null;
  duration_ns: number;
  simulated_ns: number;
  event_count: number;
  timeline_hash: string | null;
  error: string | null;
  scenario_json: string;
  variants_json: string;
  plan_claims_json: string;
}

/**
 * The run's record, or undefined when there is no such run. `live` is the status and error to record
 * (a running run whose process died reads as interrupted: RunStore.get's); queued and running runs
 * are refused with RunStillActiveError.
 */
export function readRunRecord(
  db: LabDatabase,
  runId: number,
  live: { readonly status: string; readonly error: string | null },
): RunRecord | undefined {
  const liveStatus = live.status;
  const row = db
    .prepare(
      `SELECT name, preset, status, seed, created_at, finished_at, duration_ns, simulated_ns, event_count, timeline_hash, error,
              scenario_json, variants_json, plan_claims_json FROM runs WHERE id = ?`,
    )
    .get(runId) as HeadRow | undefined;
  if (row === undefined) return undefined;
  if (liveStatus === 'queued' || liveStatus === 'running') {
    throw new RunStillActiveError(`run ${runId} is ${liveStatus}; export it when it has finished`);
  }
  const head: RunRecordHead = {
    name: row.name,
    preset: row.preset,
    status: liveStatus as FinishedStatus,
    seed: row.seed,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    durationNs: row.duration_ns,
    simulatedNs: row.simulated_ns,
    eventCount: row.event_count,
    timelineHash: row.timeline_hash,
    error: live.error,
    scenario: JSON.parse(row.scenario_json) as unknown,
    variants: JSON.parse(row.variants_json) as unknown[],
    planClaims: JSON.parse(row.plan_claims_json) as unknown[],
  };
  const metrics = (
    db.prepare('SELECT name, value FROM run_metrics WHERE run_id = ? ORDER BY name').all(runId) as { name: string; value: number }[]
  ).map((m) => [m.name, m.value] as const);
  const claims = (
    db
      .prepare(
        'SELECT claim_id, text, holds, measured, expectation, source, note, metric, per, unit FROM run_claims WHERE run_id = ? ORDER BY idx',
      )
      .all(runId) as (Omit<RecordClaim, 'id' | 'holds'> & { claim_id: string; holds: number })[]
  ).map(({ claim_id, holds, ...c }) => ({ id: claim_id, holds: holds === 1, ...c }));
  const ops = (
    db.prepare('SELECT op, ok, errno, ret_json FROM run_ops WHERE run_id = ? ORDER BY idx').all(runId) as {
      op: string;
      ok: number;
      errno: string | null;
      ret_json: string;
    }[]
  ).map((o) => ({ op: o.op, ok: o.ok === 1, errno: o.errno, ret: JSON.parse(o.ret_json) as unknown }));
  const counters = (
    db.prepare('SELECT name, unit, t_ns, vals FROM run_counters WHERE run_id = ? ORDER BY idx').all(runId) as {
      name: string;
      unit: string;
      t_ns: Buffer;
      vals: Buffer;
    }[]
  ).map((c) => ({ name: c.name, unit: c.unit, tNs: blobToFloats(c.t_ns), values: blobToFloats(c.vals) }));
  const meta = readTimelineMeta(db, runId);
  const timeline =
    meta === undefined
      ? null
      : {
          complete: meta.complete,
          lanes: meta.lanes.map((l) => ({ id: l.id, name: l.name, group: l.group })),
          kinds: meta.kinds.map((k) => ({ id: k.id, name: k.name, args: k.args, failure: k.failure })),
          strings: meta.strings,
        };
  return { head, metrics, claims, ops, counters, timeline };
}

/** A stored event as eventsInSeqOrder yields it: its columns in EVENT_COLUMNS order, no object per row. */
export type EventTuple = Readonly<EventValues>;

/**
 * The run's stored events in seq order, from seq 0 up to the first missing one (a timeline stored
 * completely has no gap; one whose process died has its rows up to a gap, and only that prefix can
 * be streamed in seq order again). Iterates one statement: callers use a connection of their own.
 * Raw rows (arrays): a third cheaper to step than an object per row, for millions of events.
 */
export function* eventsInSeqOrder(db: LabDatabase, runId: number): Generator<EventTuple> {
  if (readTimelineMeta(db, runId) === undefined) return;
  let next = 0;
  for (const row of db
    .prepare(`SELECT ${EVENT_COLUMNS} FROM ${eventsTableOf(runId)} ORDER BY seq`)
    .raw(true)
    .iterate() as IterableIterator<EventTuple>) {
    if (row[0] !== next) return;
    next++;
    yield row;
  }
}

/** A run inserted while its bundle is imported: running, owned by the importing process (finishImportedRun ends it). */
export interface ImportingRun {
  readonly ownerId: number;
  readonly nowMs: number;
  /** The bundle's file name, for the run_imports row. */
  readonly source: string;
}

/**
 * Inserts the record's run and results (not its timeline) as a new run; returns its id. Call inside
 * a transaction. With `importing`, the run is stored as running (its owner and heartbeat set) and
 * listed in run_imports until finishImportedRun gives it the record's status.
 */
export function insertRunRecord(db: LabDatabase, record: RunRecord, importing?: ImportingRun): number {
  const h = record.head;
  const id = (
    db
      .prepare(
        `SELECT MAX((SELECT IFNULL(MAX(id), 0) + 1 FROM runs), IFNULL((SELECT next_id FROM id_floors WHERE name = 'runs'), 1)) AS id`,
      )
      .get() as { id: number }
  ).id;
  db.prepare(
    `INSERT INTO runs (id, name, preset, status, seed, scenario_json, created_at, finished_at, heartbeat_ms, duration_ns, simulated_ns,
                       event_count, timeline_hash, error, variants_json, plan_claims_json, owner_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    id,
    h.name,
    h.preset,
    importing === undefined ? h.status : 'running',
    h.seed,
    JSON.stringify(h.scenario),
    h.createdAt,
    importing === undefined ? h.finishedAt : null,
    importing?.nowMs ?? null,
    h.durationNs,
    h.simulatedNs,
    h.eventCount,
    h.timelineHash,
    h.error,
    JSON.stringify(h.variants),
    JSON.stringify(h.planClaims),
    importing?.ownerId ?? null,
  );
  if (importing !== undefined) {
    db.prepare('INSERT INTO run_imports (run_id, source, started_at) VALUES (?, ?, ?)').run(
      id,
      importing.source,
      new Date(importing.nowMs).toISOString(),
    );
  }
  db.prepare(`INSERT OR REPLACE INTO id_floors (name, next_id) VALUES ('runs', ?)`).run(id + 1);
  const metric = db.prepare('INSERT INTO run_metrics (run_id, name, value) VALUES (?, ?, ?)');
  for (const [name, value] of record.metrics) metric.run(id, name, value);
  const claim = db.prepare(
    `INSERT INTO run_claims (run_id, idx, claim_id, text, holds, measured, expectation, source, note, metric, per, unit)
     VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
  );
  record.claims.forEach((c, i) =>
    claim.run(id, i, c.id, c.text, c.holds ? 1 : 0, c.measured, c.expectation, c.source, c.note, c.metric, c.per, c.unit),
  );
  const op = db.prepare('INSERT INTO run_ops (run_id, idx, op, ok, errno, ret_json) VALUES (?,?,?,?,?,?)');
  record.ops.forEach((o, i) => op.run(id, i, o.op, o.ok ? 1 : 0, o.errno, JSON.stringify(o.ret ?? null)));
  const counter = db.prepare('INSERT INTO run_counters (run_id, idx, name, unit, t_ns, vals) VALUES (?,?,?,?,?,?)');
  record.counters.forEach((c, i) => counter.run(id, i, c.name, c.unit, floatsToBlob(c.tNs), floatsToBlob(c.values)));
  return id;
}

/** Runs that may hold the same content as a bundle: same name, seed, creation time and timeline hash (candidates only). */
export function runsLike(db: LabDatabase, head: Pick<RunRecordHead, 'name' | 'seed' | 'createdAt' | 'timelineHash'>): number[] {
  return db
    .prepare('SELECT id FROM runs WHERE name = ? AND seed = ? AND created_at = ? AND timeline_hash IS ? ORDER BY id')
    .pluck()
    .all(head.name, head.seed, head.createdAt, head.timelineHash) as number[];
}

/** The run known to hold a bundle's content (content hash), or undefined (run_content_hashes, schema v10). */
export function runWithContentHash(db: LabDatabase, contentHash: string): number | undefined {
  return db.prepare('SELECT run_id FROM run_content_hashes WHERE content_hash = ?').pluck().get(contentHash) as number | undefined;
}

/** The content hash remembered for `runId` (at its import), or undefined. */
export function rememberedContentHash(db: LabDatabase, runId: number): string | undefined {
  return db.prepare('SELECT content_hash FROM run_content_hashes WHERE run_id = ?').pluck().get(runId) as string | undefined;
}

/** Records that `runId` holds the content with this hash (an import, or a duplicate found by runsLike); a hash already known is left. */
export function rememberContentHash(db: LabDatabase, runId: number, contentHash: string): void {
  db.prepare('INSERT OR IGNORE INTO run_content_hashes (run_id, content_hash) VALUES (?, ?)').run(runId, contentHash);
}

/** Whether the run is listed as a bundle import under way (or left by one whose process died). */
export function isImportUnderWay(db: LabDatabase, runId: number): boolean {
  return db.prepare('SELECT 1 FROM run_imports WHERE run_id = ?').get(runId) !== undefined;
}

/** Keeps an importing run's heartbeat fresh (owners whose liveness is unknown are judged by it). */
export function touchImportingRun(db: LabDatabase, runId: number, ownerId: number, nowMs: number): boolean {
  return (
    db.prepare(`UPDATE runs SET heartbeat_ms = ? WHERE id = ? AND status = 'running' AND owner_id = ?`).run(nowMs, runId, ownerId)
      .changes === 1
  );
}

/**
 * Ends an import: the run gets the record's status and end time and loses its owner, and leaves
 * run_imports. false when the run is no longer this import's (marked interrupted meanwhile, deleted).
 */
export function finishImportedRun(db: LabDatabase, runId: number, head: RunRecordHead, ownerId: number): boolean {
  const done =
    db
      .prepare(
        `UPDATE runs SET status = ?, finished_at = ?, error = ?, heartbeat_ms = NULL, owner_id = NULL
         WHERE id = ? AND status = 'running' AND owner_id = ?`,
      )
      .run(head.status, head.finishedAt, head.error, runId, ownerId).changes === 1;
  if (done) db.prepare('DELETE FROM run_imports WHERE run_id = ?').run(runId);
  return done;
}

/** Marks an inserted run's timeline incomplete again (the record said so; its rows are a prefix). */
export function markTimelineIncomplete(db: LabDatabase, runId: number): void {
  db.prepare('UPDATE timeline_runs SET complete = 0 WHERE run_id = ?').run(runId);
}
