// Messages between the lab (electron/service/runQuery.ts) and a query process (runQueryChild.ts).
// Must not: carry anything but plain data.

import type { QueryRunResult } from '../../core/contract/query';

export interface QueryChildRequest {
  readonly dbPath: string;
  readonly runId: number;
  readonly sql: string;
  readonly maxRows: number;
  readonly nativeBinding?: string;
}

export type QueryChildReply =
  | { readonly ok: true; readonly result: QueryRunResult }
  | { readonly ok: false; readonly kind: 'query' | 'not-found' | 'environment' | 'internal'; readonly message: string };
