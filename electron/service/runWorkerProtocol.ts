// Messages between the run queue (main thread) and a run worker thread.
// Must not: import runtime code; both sides import these types.

import type { ExecutionProgress } from './runExecution';
import type { StoredPlan } from '../../core/run/runRequest';

export interface RunWorkerData {
  readonly dbPath: string;
  readonly runId: number;
  /** The run plan in its stored form (see runRequest.ts StoredPlan). */
  readonly plan: StoredPlan;
  /** Int32Array(1) over this buffer: 1 = cancel requested. */
  readonly cancelFlag: SharedArrayBuffer;
  readonly nativeBinding?: string;
}

/** The run a warm worker (started with workerData null) is given, its only message. */
export interface RunWorkerJob {
  readonly type: 'run';
  readonly data: RunWorkerData;
}

export type RunWorkerMessage =
  | ({ readonly type: 'progress' } & ExecutionProgress)
  | { readonly type: 'done'; readonly status: 'completed' | 'cancelled' | 'failed'; readonly error: string | null };
