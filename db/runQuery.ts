// Read-only SQL over one stored run (`pcilab query`, LabService.queryRun): a private connection to
// the lab database opened read-only, with temporary views that decode the run's rows (README.md,
// "Asking a run a question", lists them), then `PRAGMA query_only`. A query must be one SELECT
// (or WITH ... SELECT, VALUES) that SQLite itself reports as read-only; its rows are capped, the
// cap reported as `truncated`. The time limit is the caller's (electron/service/runQuery.ts runs
// this in a child process it can kill: SQLite cannot be interrupted from JavaScript here).
// Views:
//   events(seq, t_ns, dur_ns, end_ns, kind, failure, variant, lane, lane_group, args, errno, cause)
//     args: the kind's arguments decoded, as a JSON object (`args ->> 'iova'`); errno: the
//     symbolic errno of the event when its kind has one ("ENOSPC"), else NULL.
//   counters(variant, name, unit, t_ns, value)   one row per sample
//   metrics(variant, name, value, unit)
//   claims(idx, id, holds, measured, unit, expectation, text, source, why_not)
//   ops(idx, op, ok, errno, ret)
//   lanes(id, variant, name, lane_group, events)   kinds(id, name, failure, args)
// Functions: counter_at(name, t_ns [, variant]): the counter's last sample at or before t_ns.
// Must not: write to the database; run anything but the one checked statement on the caller's data.

import type BetterSqlite3 from 'better-sqlite3';
import { openLabDatabase, type LabDatabase, type OpenOptions } from './database';
import { readTimelineMeta } from './timeline/timelineMeta';
import { decodeEventValues } from './timeline/timelineMeta';
import { eventsTableOf } from './timeline/timelineTables';
import { metricInfo } from '../core/run/metricCatalog';

export type { QueryValue } from '../core/contract/query';
import type { QueryValue } from '../core/contract/query';

export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly QueryValue[])[];
  /** True when the query had more rows than maxRows (only the first maxRows are here). */
  readonly truncated: boolean;
}

/** The query itself is wrong (not a SELECT, a syntax error, an unknown column): say so to the user. */
export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

export const QUERY_VIEWS = ['events', 'counters', 'metrics', 'claims', 'ops', 'lanes', 'kinds'] as const;

/** Splits "variant/lane" (lanes) or "variant:name" (counters, metrics) into [variant or null, name]. */
function splitVariant(name: string, sep: '/' | ':'): [string | null, string] {
  const at = name.indexOf(sep);
  return at < 0 ? [null, name] : [name.slice(0, at), name.slice(at + 1)];
}

/**
 * Opens the database at `path` read-only with the views of run `runId`; undefined when there is
 * no such run. The caller closes it.
 */
export function openRunQuery(path: string, runId: number, options: Omit<OpenOptions, 'readonly'> = {}): LabDatabase | undefined {
  const db = openLabDatabase(path, { ...options, readonly: true });
  try {
    if (db.prepare('SELECT 1 FROM runs WHERE id = ?').get(runId) === undefined) {
      db.close();
      return undefined;
    }
    createRunViews(db, runId);
    db.pragma('query_only = 1');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Creates the temporary views (and the functions they use) of run `runId` on `db`. */
export function createRunViews(db: LabDatabase, runId: number): void {
  const meta = readTimelineMeta(db, runId);
  const kinds = meta?.kinds ?? [];
  const errnoArg = kinds.map((k) => k.args.slice(0, 3).findIndex((a) => a.format === 'errno'));
  const decodeArgs = (kind: number, a0: number, a1: number, a2: number): Record<string, number | string> =>
    meta === undefined ? {} : decodeEventValues([0, 0, 0, 0, kind, a0, a1, a2, null], meta).args;
  db.function('pcilab_args', { deterministic: true }, (kind, a0, a1, a2) =>
    JSON.stringify(decodeArgs(kind as number, a0 as number, a1 as number, a2 as number)),
  );
  db.function('pcilab_errno', { deterministic: true }, (kind, a0, a1, a2) => {
    const i = errnoArg[kind as number] ?? -1;
    if (i < 0 || meta === undefined) return null;
    return meta.strings[[a0, a1, a2][i] as number] ?? null;
  });
  db.function('pcilab_unit', { deterministic: true }, (name) => metricInfo(splitVariant(String(name), ':')[1])?.unit ?? null);

  db.exec(
    `CREATE TEMP TABLE lanes (id INTEGER PRIMARY KEY, variant TEXT, name TEXT NOT NULL, lane_group TEXT NOT NULL, events INTEGER NOT NULL)`,
  );
  const lane = db.prepare('INSERT INTO temp.lanes VALUES (?, ?, ?, ?, ?)');
  for (const l of meta?.lanes ?? []) lane.run(l.id, ...splitVariant(l.name, '/'), l.group, l.eventCount);
  db.exec(`CREATE TEMP TABLE kinds (id INTEGER PRIMARY KEY, name TEXT NOT NULL, failure INTEGER NOT NULL, args TEXT NOT NULL)`);
  const kind = db.prepare('INSERT INTO temp.kinds VALUES (?, ?, ?, ?)');
  for (const k of kinds) kind.run(k.id, k.name, k.failure ? 1 : 0, JSON.stringify(k.args.map((a) => a.name)));

  // Samples are decoded here (cheap) but become rows only when a query reads `counters` (a
  // virtual table: a query that does not use it does not pay for tens of thousands of rows).
  const series = db.prepare('SELECT name, unit, t_ns, vals FROM run_counters WHERE run_id = ? ORDER BY idx').all(runId) as {
    name: string;
    unit: string;
    t_ns: Buffer;
    vals: Buffer;
  }[];
  const decoded = series.map((s) => {
    const [variant, name] = splitVariant(s.name, ':');
    return { variant, name, unit: s.unit, t: floats(s.t_ns), v: floats(s.vals) };
  });
  const byKey = new Map(decoded.map((s) => [`${s.variant ?? ''}\u0000${s.name}`, s]));
  db.table('counters', {
    columns: ['variant', 'name', 'unit', 't_ns', 'value'],
    *rows() {
      for (const s of decoded) for (let i = 0; i < s.t.length && i < s.v.length; i++) yield [s.variant, s.name, s.unit, s.t[i]!, s.v[i]!];
    },
  });
  db.function('counter_at', { deterministic: true, varargs: true }, (...args: unknown[]) => {
    const [name, tNs, variant] = args;
    const s = byKey.get(`${variant === undefined || variant === null ? '' : String(variant)}\u0000${String(name)}`);
    if (s === undefined || typeof tNs !== 'number') return null;
    const i = lastAtOrBefore(s.t, tNs);
    return i < 0 ? null : s.v[i]!;
  });

  const events =
    meta === undefined
      ? `SELECT NULL AS seq, NULL AS t_ns, NULL AS dur_ns, NULL AS end_ns, NULL AS kind, NULL AS failure, NULL AS variant,
           NULL AS lane, NULL AS lane_group, NULL AS args, NULL AS errno, NULL AS cause WHERE 0`
      : `SELECT e.seq AS seq, e.t AS t_ns, e.dur AS dur_ns, e.t + e.dur AS end_ns, k.name AS kind, k.failure AS failure,
           l.variant AS variant, l.name AS lane, l.lane_group AS lane_group, pcilab_args(e.kind, e.a0, e.a1, e.a2) AS args,
           pcilab_errno(e.kind, e.a0, e.a1, e.a2) AS errno, e.cause AS cause
         FROM main.${eventsTableOf(runId)} e JOIN temp.kinds k ON k.id = e.kind JOIN temp.lanes l ON l.id = e.lane`;
  db.exec(`CREATE TEMP VIEW events AS ${events}`);
  // runId is a checked integer (eventsTableOf above, or the caller's lookup): safe in SQL text.
  const id = Number(runId);
  db.exec(`CREATE TEMP VIEW metrics AS
    SELECT CASE WHEN instr(name, ':') > 0 THEN substr(name, 1, instr(name, ':') - 1) END AS variant,
      CASE WHEN instr(name, ':') > 0 THEN substr(name, instr(name, ':') + 1) ELSE name END AS name,
      value, pcilab_unit(name) AS unit
    FROM main.run_metrics WHERE run_id = ${id}`);
  db.exec(`CREATE TEMP VIEW claims AS
    SELECT idx, claim_id AS id, holds, measured, unit, expectation, text, source, note AS why_not
    FROM main.run_claims WHERE run_id = ${id}`);
  db.exec(`CREATE TEMP VIEW ops AS SELECT idx, op, ok, errno, ret_json AS ret FROM main.run_ops WHERE run_id = ${id}`);
}

function floats(blob: Buffer): Float64Array {
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float64Array(copy.buffer, 0, Math.floor(blob.byteLength / 8));
}

/** Index of the last time <= t in ascending `times`, -1 when none. */
function lastAtOrBefore(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The first keyword of `sql`, after comments and whitespace, upper-cased. */
function firstKeyword(sql: string): string {
  const body = sql.replace(/^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/, '');
  return (/^[A-Za-z]+/.exec(body)?.[0] ?? body.slice(0, 10)).toUpperCase();
}

/**
 * Runs one read-only statement, returning at most `maxRows` rows. Throws QueryError for anything
 * but a single SELECT (WITH, VALUES) or when SQLite rejects the statement.
 */
export function runQuery(db: LabDatabase, sql: string, maxRows: number): QueryResult {
  const keyword = firstKeyword(sql);
  if (!['SELECT', 'WITH', 'VALUES'].includes(keyword)) {
    throw new QueryError(`only SELECT statements are allowed (this one starts with ${keyword === '' ? 'nothing' : keyword})`);
  }
  let stmt: BetterSqlite3.Statement;
  try {
    stmt = db.prepare(sql);
  } catch (err) {
    throw new QueryError(sqliteMessage(err));
  }
  if (!stmt.reader || !stmt.readonly) throw new QueryError('only SELECT statements are allowed (this one writes)');
  stmt.raw(true);
  const columns = stmt.columns().map((c) => c.name);
  const rows: QueryValue[][] = [];
  let truncated = false;
  try {
    for (const row of stmt.iterate() as Iterable<unknown[]>) {
      if (rows.length === maxRows) {
        truncated = true;
        break;
      }
      rows.push(row.map(toValue));
    }
  } catch (err) {
    throw new QueryError(sqliteMessage(err));
  }
  return { columns, rows, truncated };
}

function toValue(v: unknown): QueryValue {
  if (v === null || typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return Number(v);
  if (Buffer.isBuffer(v)) return `<${v.byteLength}-byte blob>`;
  return String(v);
}

function sqliteMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/contains more than one statement/.test(message)) return 'one statement at a time (drop the text after the first ";")';
  return message;
}
