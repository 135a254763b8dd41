// Prepares runs (parse, validate, plan: core/run/runRequest.ts prepareRun) for the service. Hosts
// with a server or a window use a worker thread, one job at a time with a time limit, so a
// scenario that takes seconds to validate (a large YAML file, a long ops script) never blocks
// other calls; the CLI and tests may prepare inline.
// Must not: store or start runs (runLauncher.ts does), or decide what is valid (prepareRun does).

import type { Worker } from 'node:worker_threads';
import type { StartRunRequest } from '../../core/contract/labApi';
import { prepareRun, type PreparedRun } from '../../core/run/runRequest';
import type { CheckedRun, PrepareJob, PrepareReply } from './runPreparerProtocol';
import { SerialWorker } from './serialWorker';

export type { CheckedRun } from './runPreparerProtocol';

export interface RunPreparer {
  /** Each request prepared into a run plan, or its problems. */
  prepare(requests: readonly StartRunRequest[]): Promise<PreparedRun[]>;
  /** Whether each request is valid, with its problems (the plans stay in the worker). */
  check(requests: readonly StartRunRequest[]): Promise<CheckedRun[]>;
  dispose(): void;
}

/** Longest one job may take; past it the worker is stopped and the job answered with a problem. */
export const PREPARE_TIMEOUT_MS = 30_000;

export function preparationTimeoutProblem(timeoutMs: number): string {
  return `(scenario): validating took longer than ${timeoutMs / 1000} s and was stopped; the scenario is too large (an ops script can repeat a step instead of listing it)`;
}

/** Prepares on the calling thread. */
export const inlineRunPreparer: RunPreparer = {
  prepare: (requests) => Promise.resolve(requests.map((r) => prepareRun(r))),
  check: (requests) => Promise.resolve(requests.map((r) => prepareRun(r)).map((p): CheckedRun => (p.ok ? { ok: true } : p))),
  dispose: () => undefined,
};

/** Prepares in a worker thread, spawned on first use and again after a timeout or a crash. */
export class WorkerRunPreparer implements RunPreparer {
  private readonly worker: SerialWorker<PrepareJob, PrepareReply, readonly (PreparedRun | CheckedRun)[]>;
  /** The answers of the current job so far (one message each), by request index. */
  private partial: { jobId: number; results: (PreparedRun | CheckedRun)[] } = { jobId: 0, results: [] };

  constructor(spawn: () => Worker, timeoutMs = PREPARE_TIMEOUT_MS) {
    this.worker = new SerialWorker<PrepareJob, PrepareReply, readonly (PreparedRun | CheckedRun)[]>({
      spawn,
      name: 'the scenario validator',
      settle: (reply, job) => {
        if (this.partial.jobId !== job.id) this.partial = { jobId: job.id, results: [] };
        if (reply.type === 'result') {
          this.partial.results[reply.index] = reply.result;
          return undefined;
        }
        return reply.type === 'done' ? { value: this.partial.results } : { error: new Error(reply.error) };
      },
      timeout: {
        ms: timeoutMs,
        answer: (job) => job.requests.map(() => ({ ok: false as const, problems: [preparationTimeoutProblem(timeoutMs)] })),
      },
    });
  }

  prepare(requests: readonly StartRunRequest[]): Promise<PreparedRun[]> {
    return this.worker.run((id) => ({ id, detail: 'plan', requests })) as Promise<PreparedRun[]>;
  }

  check(requests: readonly StartRunRequest[]): Promise<CheckedRun[]> {
    return this.worker.run((id) => ({ id, detail: 'check', requests })) as Promise<CheckedRun[]>;
  }

  /** Spawns the worker now instead of on first use, so the first Start does not wait for it. */
  warm(): void {
    this.worker.warm();
  }

  dispose(): void {
    this.worker.dispose();
  }
}
