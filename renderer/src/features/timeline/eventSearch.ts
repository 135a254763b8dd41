// Finding events on the timeline by kind or argument: the text matches an event whose kind name
// contains it (any case), one of whose argument values is it exactly ("0x7f000", "ENOMEM"), or
// whose `name=value` is it ("iova=0x7f000"). The search is one read-only query over the run's
// `events` view (LabApi.queryRun, as on the Query page) answering how many events match (in the
// variants shown) and which is the next (or previous) one from where the inspector stands, in time
// order, with its place among the matches.
// Must not: run the query or move the view (useTimelineSearch.ts does).

import type { QueryRunResult } from '../../../../core/contract/query';

/** Longest search text (the query stays far below the API's limit). */
export const SEARCH_MAX_CHARS = 200;

/** An SQL string literal of `s` (quotes doubled). */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export interface SearchFrom {
  readonly tNs: number;
  readonly seq: number;
}

/** The query finding the match after (dir 1) or before (dir -1) `from`, and how many match in all. */
export function searchSql(text: string, from: SearchFrom, dir: 1 | -1, hiddenVariants: readonly string[]): string {
  const t = sqlString(text.trim());
  const hidden =
    hiddenVariants.length === 0 ? '' : ` AND (variant IS NULL OR variant NOT IN (${hiddenVariants.map(sqlString).join(', ')}))`;
  const tNs = Math.round(from.tNs);
  const seq = Math.round(from.seq);
  const side = dir === 1 ? `t_ns > ${tNs} OR (t_ns = ${tNs} AND seq > ${seq})` : `t_ns < ${tNs} OR (t_ns = ${tNs} AND seq < ${seq})`;
  const order = dir === 1 ? 't_ns, seq' : 't_ns DESC, seq DESC';
  return [
    'WITH m AS MATERIALIZED (SELECT seq, t_ns FROM events',
    `  WHERE (instr(lower(kind), lower(${t})) > 0`,
    `    OR EXISTS (SELECT 1 FROM json_each(args) j WHERE CAST(j.value AS TEXT) = ${t} OR lower(j.key || '=' || CAST(j.value AS TEXT)) = lower(${t})))${hidden})`,
    'SELECT total, n.seq, n.t_ns,',
    '  (SELECT count(*) FROM m WHERE m.t_ns < n.t_ns OR (m.t_ns = n.t_ns AND m.seq < n.seq)) + 1 AS place',
    `FROM (SELECT count(*) AS total FROM m) LEFT JOIN (SELECT seq, t_ns FROM m WHERE ${side} ORDER BY ${order} LIMIT 1) n ON 1`,
  ].join('\n');
}

export interface SearchAnswer {
  readonly total: number;
  /** The match to go to, with its place (1-based) among all matches in time order; null when none that way. */
  readonly next: { readonly seq: number; readonly tNs: number; readonly place: number } | null;
}

export function readSearchAnswer(r: QueryRunResult): SearchAnswer {
  const [total, seq, tNs, place] = r.rows[0] ?? [0, null, null, null];
  const n = typeof total === 'number' ? total : 0;
  return typeof seq === 'number' && typeof tNs === 'number' && typeof place === 'number'
    ? { total: n, next: { seq, tNs, place } }
    : { total: n, next: null };
}

/** The search's status line. */
export function searchStatus(text: string, a: SearchAnswer, dir: 1 | -1): string {
  if (a.total === 0) return `No event matches “${text.trim()}” in the variants shown.`;
  if (a.next === null) return `No match ${dir === 1 ? 'after' : 'before'} this point (${a.total.toLocaleString('en-US')} in all).`;
  return `Match ${a.next.place.toLocaleString('en-US')} of ${a.total.toLocaleString('en-US')}`;
}
