// Asking a stored run a question in SQL (`pcilab query`, LabApi.queryRun, the query page): the
// request, checked before anything runs, the answer, saved queries, and what the query page lists
// beside its editor (the views with their columns, the functions, example queries; served through
// LabCatalog.query). The views themselves are made in db/runQuery.ts; README.md ("Asking a run a
// question") describes them too.
// Must not: run queries (db/runQuery.ts and electron/service/runQuery.ts do).

import { z } from 'zod';

export const QUERY_DEFAULT_MAX_ROWS = 1000;
export const QUERY_MAX_ROWS = 100_000;
export const QUERY_DEFAULT_TIMEOUT_MS = 10_000;
export const QUERY_MAX_TIMEOUT_MS = 300_000;

export const QueryRunRequestSchema = z.strictObject({
  runId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  sql: z.string().trim().min(1, 'the query is empty').max(100_000),
  maxRows: z.number().int().min(1).max(QUERY_MAX_ROWS).default(QUERY_DEFAULT_MAX_ROWS),
  timeoutMs: z.number().int().min(1).max(QUERY_MAX_TIMEOUT_MS).default(QUERY_DEFAULT_TIMEOUT_MS),
});

export type QueryRunRequest = z.input<typeof QueryRunRequestSchema>;

export type QueryValue = number | string | null;

export interface QueryRunResult {
  readonly columns: readonly string[];
  /** At most maxRows rows, each one value per column; blobs read as "<N-byte blob>". */
  readonly rows: readonly (readonly QueryValue[])[];
  /** True when the query had more rows than maxRows. */
  readonly truncated: boolean;
  /** Wall time of the query, including opening the run's views (ms). */
  readonly elapsedMs: number;
}

/** Longest query the app's API accepts (IPC and the browser host), in characters. */
export const QUERY_MAX_SQL_CHARS = 65_536;

/** A query saved in the lab under a name, to run again on any run. */
export interface SavedQueryRequest {
  readonly name: string;
  readonly sql: string;
}

export interface SavedQuery extends SavedQueryRequest {
  readonly id: number;
  readonly createdAt: string;
}

/** One view a query sees, as the query page lists it (db/runQuery.test.ts checks the columns). */
export interface QueryViewInfo {
  readonly name: string;
  readonly description: string;
  readonly columns: readonly { readonly name: string; readonly description: string }[];
}

export interface QueryExample {
  readonly title: string;
  readonly sql: string;
}

/** What the query page shows beside the editor (LabCatalog.query). */
export interface QueryCatalog {
  readonly views: readonly QueryViewInfo[];
  readonly functions: readonly { readonly signature: string; readonly description: string }[];
  readonly examples: readonly QueryExample[];
  readonly defaultMaxRows: number;
  readonly defaultTimeoutMs: number;
}

const col = (name: string, description: string) => ({ name, description });

export const QUERY_VIEWS_INFO: readonly QueryViewInfo[] = [
  {
    name: 'events',
    description: "the run's timeline events, one row each",
    columns: [
      col('seq', 'event id (order of recording); "show on timeline" uses it'),
      col('t_ns', "start time (ns, on its variant's clock from 0)"),
      col('dur_ns', 'duration (ns)'),
      col('end_ns', 'end time (ns)'),
      col('kind', 'kind name, e.g. dma.map.failed'),
      col('failure', '1 when the kind is a failure, else 0'),
      col('variant', 'variant name (NULL without variants)'),
      col('lane', 'lane id (see lanes)'),
      col('lane_group', 'component group of the lane'),
      col('args', "the kind's arguments as a JSON object: args ->> 'iova'"),
      col('errno', 'symbolic errno (ENOSPC) when the kind has one'),
      col('cause', 'seq of the event that caused it'),
    ],
  },
  {
    name: 'counters',
    description: "one row per sample of the run's counters",
    columns: [
      col('variant', 'variant name (NULL without variants)'),
      col('name', 'counter name, e.g. vfio.entries'),
      col('unit', 'unit of value'),
      col('t_ns', 'sample time (ns)'),
      col('value', 'sampled value (in unit)'),
    ],
  },
  {
    name: 'metrics',
    description: "the run's metrics",
    columns: [col('variant', 'variant name'), col('name', 'metric name'), col('value', 'value (in unit)'), col('unit', 'unit')],
  },
  {
    name: 'claims',
    description: "the preset's claims and whether they hold",
    columns: [
      col('idx', 'position'),
      col('id', 'claim id'),
      col('holds', '1 / 0'),
      col('measured', 'measured value (in unit)'),
      col('unit', 'unit of measured'),
      col('expectation', 'what must hold'),
      col('text', 'the claim'),
      col('source', 'where it comes from'),
      col('why_not', 'why the model does not reproduce it'),
    ],
  },
  {
    name: 'ops',
    description: "the ops script's steps and results",
    columns: [col('idx', 'step'), col('op', 'op name'), col('ok', '1 / 0'), col('errno', 'errno name'), col('ret', 'result (JSON)')],
  },
  {
    name: 'lanes',
    description: 'the timeline lanes',
    columns: [
      col('id', 'lane id'),
      col('variant', 'variant name'),
      col('name', 'lane name'),
      col('lane_group', 'component group'),
      col('events', 'events on the lane'),
    ],
  },
  {
    name: 'kinds',
    description: 'the event kinds',
    columns: [col('id', 'kind id'), col('name', 'kind name'), col('failure', '1 / 0'), col('args', 'argument names (JSON array)')],
  },
];

export const QUERY_FUNCTIONS_INFO = [
  { signature: 'counter_at(name, t_ns [, variant])', description: "a counter's last sample at or before t_ns" },
] as const;

export const QUERY_EXAMPLES: readonly QueryExample[] = [
  {
    title: 'Failures by kind',
    sql: 'SELECT kind, errno, count(*) AS failures\n  FROM events WHERE failure\n  GROUP BY kind, errno ORDER BY failures DESC',
  },
  {
    title: 'Which maps failed, and the VFIO entry count then (preset s390-rpcit-exhaustion)',
    sql: [
      "SELECT f.seq, f.variant, f.t_ns, f.args ->> 'iova' AS iova, f.errno,",
      "    c.args ->> 'entriesInUse' AS entries_in_use,",
      "    counter_at('vfio.entries', f.t_ns, f.variant) AS vfio_entries_sampled",
      '  FROM events f LEFT JOIN events c ON c.seq = f.cause',
      "  WHERE f.kind = 'dma.map.failed' ORDER BY f.t_ns LIMIT 20",
    ].join('\n'),
  },
  {
    title: 'The first failure of each variant',
    sql: 'SELECT variant, min(t_ns) AS first_failure_ns, count(*) AS failures\n  FROM events WHERE failure GROUP BY variant',
  },
  { title: 'Metrics with units', sql: 'SELECT variant, name, value, unit FROM metrics ORDER BY variant, name' },
  {
    title: 'Busiest lanes',
    sql: 'SELECT variant, name, lane_group, events FROM lanes ORDER BY events DESC LIMIT 10',
  },
];

export const QUERY_CATALOG: QueryCatalog = {
  views: QUERY_VIEWS_INFO,
  functions: QUERY_FUNCTIONS_INFO,
  examples: QUERY_EXAMPLES,
  defaultMaxRows: QUERY_DEFAULT_MAX_ROWS,
  defaultTimeoutMs: QUERY_DEFAULT_TIMEOUT_MS,
};
