// Worker-thread entry of one run: opens its own connection to the database (WAL lets the main
// thread keep reading), executes the run and posts throttled progress. Cancellation arrives
// through a shared flag, so it is seen between steps without yielding to the message loop.
// Started without a run (workerData null: a warm worker, spawned ahead by the run queue) it loads
// its code and waits for the run in one `run` message, so Start does not wait for the code to load.
// Must not: be imported by anything but a Worker constructor.

import { parentPort, workerData } from 'node:worker_threads';
import { openLabDatabase } from '../../db/database';
import { executeRun } from './runExecution';
import { planFromStored } from '../../core/run/runRequest';
import type { RunWorkerData, RunWorkerJob, RunWorkerMessage } from './runWorkerProtocol';

const PROGRESS_EVERY_MS = 100;

function post(message: RunWorkerMessage): void {
  parentPort?.postMessage(message);
}

function main(data: RunWorkerData): void {
  const cancel = new Int32Array(data.cancelFlag);
  // The plan was validated by the service; rebuild it to get the typed value back across the thread boundary.
  const plan = planFromStored(data.plan);
  const db = openLabDatabase(data.dbPath, data.nativeBinding === undefined ? {} : { nativeBinding: data.nativeBinding });
  let lastPost = 0;
  let lastPhase = '';
  try {
    const outcome = executeRun(db, data.runId, plan, {
      nowMs: () => Date.now(),
      isCancelled: () => Atomics.load(cancel, 0) === 1,
      onProgress: (p) => {
        const now = Date.now();
        // A phase change is always posted, so the queue sees storing begin.
        if (now - lastPost < PROGRESS_EVERY_MS && p.phase === lastPhase) return;
        lastPost = now;
        lastPhase = p.phase;
        post({ type: 'progress', ...p });
      },
    });
    post({ type: 'done', status: outcome.status, error: outcome.status === 'failed' ? outcome.error : null });
  } finally {
    db.close();
  }
}

// A run's data has its runId; a warm worker gets none (the tsx bootstrap adds its `entry`).
const given = workerData as Partial<RunWorkerData> | null | undefined;
if (typeof given?.runId === 'number') main(given as RunWorkerData);
else parentPort?.once('message', (job: RunWorkerJob) => main(job.data));
