// Asking a stored run a question in SQL (`pcilab query`, LabService.queryRun): the request, checked
// before anything runs, and the answer. The views a query sees are listed in db/runQuery.ts and
// README.md ("Asking a run a question").
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
