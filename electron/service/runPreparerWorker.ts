// Worker-thread entry of the run preparer: parses, validates and plans each request it is sent
// (prepareRun), so a large or hostile scenario keeps this thread busy instead of the service's.
// Must not: touch the database, or be imported by anything but a Worker constructor.

import { parentPort } from 'node:worker_threads';
import { prepareRun } from '../../core/run/runRequest';
import type { CheckedRun, PrepareJob, PrepareReply } from './runPreparerProtocol';

function checked(run: ReturnType<typeof prepareRun>): CheckedRun {
  return run.ok ? { ok: true } : run;
}

parentPort?.on('message', (job: PrepareJob) => {
  const post = (reply: PrepareReply): void => parentPort?.postMessage(reply);
  try {
    job.requests.forEach((request, index) => {
      const result = prepareRun(request);
      post({ id: job.id, type: 'result', index, result: job.detail === 'plan' ? result : checked(result) });
    });
    post({ id: job.id, type: 'done' });
  } catch (err) {
    post({ id: job.id, type: 'failed', error: err instanceof Error ? err.message : String(err) });
  }
});
