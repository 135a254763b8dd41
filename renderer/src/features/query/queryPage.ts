// The query page's logic over the lab's answers: which result rows point at a timeline event (a
// `seq` column) and where the timeline opens for it, how an answer or a refusal is told (time
// limit, row cap, the query itself wrong), and how cells read.
// Must not: reach the lab (QueryView.vue does) or decide what SQL is allowed (the lab does).

import type { QueryRunResult, QueryValue } from '../../../../core/contract/query';
import { formatCount } from '../../format/units';

/** The column whose value is an event id (the `seq` of the events view). */
export const EVENT_COLUMN = 'seq';

/** Index of the column that names an event, or -1. */
export function eventColumnOf(columns: readonly string[]): number {
  return columns.findIndex((c) => c.toLowerCase() === EVENT_COLUMN);
}

/** The event id a row points at (its `seq` cell, a non-negative integer), else null. */
export function eventSeqOf(row: readonly QueryValue[], column: number): number | null {
  if (column < 0) return null;
  const v = row[column];
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null;
}

/** The run page's timeline, opened at one event. */
export function timelinePath(runId: number, seq: number): string {
  return `/runs/${runId}?seq=${seq}`;
}

/** The query page, with a run chosen. */
export function queryPath(runId: number | null): string {
  return runId === null ? '/query' : `/query?run=${runId}`;
}

/** The run id of `?run=`, or null. */
export function parseRunParam(value: unknown): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' || !/^[1-9][0-9]{0,15}$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/** The status line of an answer: rows, whether the cap cut it, how long it took. */
export function describeResult(r: QueryRunResult, maxRows: number): string {
  const rows = `${formatCount(r.rows.length)} row${r.rows.length === 1 ? '' : 's'}`;
  const cap = r.truncated ? ` (cut at the cap of ${formatCount(maxRows)} rows: more matched)` : '';
  return `${rows}${cap} in ${formatElapsed(r.elapsedMs)}`;
}

/** A wall time in ms with its unit. */
export function formatElapsed(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export type QueryProblemKind = 'time-limit' | 'query' | 'other';

export interface QueryProblem {
  readonly kind: QueryProblemKind;
  readonly title: string;
  readonly message: string;
}

/** How a refusal reads: the time limit, the query itself (not one SELECT, SQLite's syntax error), or anything else. */
export function describeProblem(message: string, code: string | null): QueryProblem {
  if (/time limit/.test(message)) return { kind: 'time-limit', title: 'Stopped at the time limit', message };
  if (code === 'invalid-argument') return { kind: 'query', title: 'The query was refused', message };
  if (code === 'not-found') return { kind: 'other', title: 'No such run', message };
  return { kind: 'other', title: 'The query failed', message };
}

/** A cell as text: NULL shown as such, numbers exactly as stored. */
export function formatCell(v: QueryValue): string {
  if (v === null) return 'NULL';
  return typeof v === 'number' ? String(v) : v;
}
