// Messages between the service (main thread) and the run preparer worker, which validates
// scenarios and builds run plans off the main thread.
// Must not: import runtime code; both sides import these types.

import type { StartRunRequest } from '../../core/contract/labApi';
import type { PreparedRun } from '../../core/run/runRequest';

/** 'plan': the whole prepared run; 'check': only whether it is valid and its problems (nothing big crosses back). */
export type PrepareDetail = 'plan' | 'check';

export interface PrepareJob {
  readonly id: number;
  readonly detail: PrepareDetail;
  readonly requests: readonly StartRunRequest[];
}

/** A prepared run as 'check' returns it: valid, or its problems. */
export type CheckedRun = { readonly ok: true } | Extract<PreparedRun, { ok: false }>;

/**
 * One message per prepared request, then the end of the job: each plan is its own message, so the
 * service's thread takes them one at a time with other work in between.
 */
export type PrepareReply =
  | { readonly id: number; readonly type: 'result'; readonly index: number; readonly result: PreparedRun | CheckedRun }
  | { readonly id: number; readonly type: 'done' }
  | { readonly id: number; readonly type: 'failed'; readonly error: string };
