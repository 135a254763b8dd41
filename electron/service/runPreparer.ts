// Prepares runs (parse, validate, plan: core/run/runRequest.ts prepareRun) for the service. Hosts
// with a server or a window use a worker thread, one job at a time with a time limit, so a
// scenario that takes seconds to validate (a large YAML file, a long ops script) never blocks
// other calls; the CLI and tests may prepare inline.
// Must not: store or start runs (runLauncher.ts does), or decide what is valid (prepareRun does).

import type { Worker } from 'node:worker_threads';
import type { StartRunRequest } from '../../core/contract/labApi';
import { prepareRun, type PreparedRun } from '../../core/run/runRequest';
import type { CheckedRun, PrepareDetail, PrepareJob, PrepareReply } from './runPreparerProtocol';

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

interface Pending {
  readonly job: PrepareJob;
  readonly results: (PreparedRun | CheckedRun)[];
  readonly resolve: (results: readonly (PreparedRun | CheckedRun)[]) => void;
  readonly reject: (err: Error) => void;
}

/** Prepares in a worker thread, spawned on first use and again after a timeout or a crash. */
export class WorkerRunPreparer implements RunPreparer {
  private worker: Worker | null = null;
  private readonly queue: Pending[] = [];
  private current: { pending: Pending; timer: ReturnType<typeof setTimeout> } | null = null;
  private nextId = 1;
  private disposed = false;

  constructor(
    private readonly spawn: () => Worker,
    private readonly timeoutMs = PREPARE_TIMEOUT_MS,
  ) {}

  prepare(requests: readonly StartRunRequest[]): Promise<PreparedRun[]> {
    return this.submit('plan', requests) as Promise<PreparedRun[]>;
  }

  check(requests: readonly StartRunRequest[]): Promise<CheckedRun[]> {
    return this.submit('check', requests) as Promise<CheckedRun[]>;
  }

  /** Spawns the worker now instead of on first use, so the first Start does not wait for it. */
  warm(): void {
    if (!this.disposed) this.ensureWorker();
  }

  dispose(): void {
    this.disposed = true;
    if (this.current !== null) clearTimeout(this.current.timer);
    for (const p of [...(this.current === null ? [] : [this.current.pending]), ...this.queue.splice(0)]) {
      p.reject(new Error('the lab is closing'));
    }
    this.current = null;
    void this.worker?.terminate();
    this.worker = null;
  }

  private submit(detail: PrepareDetail, requests: readonly StartRunRequest[]): Promise<readonly (PreparedRun | CheckedRun)[]> {
    if (this.disposed) return Promise.reject(new Error('the lab is closing'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, detail, requests }, results: [], resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.current !== null || this.disposed) return;
    const pending = this.queue.shift();
    if (pending === undefined) return;
    const timer = setTimeout(() => this.timedOut(), this.timeoutMs);
    this.current = { pending, timer };
    this.ensureWorker().postMessage(pending.job);
  }

  private ensureWorker(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = this.spawn();
    worker.unref();
    worker.on('message', (reply: PrepareReply) => {
      const current = this.current;
      if (current === null || reply.id !== current.pending.job.id) return;
      if (reply.type === 'result') {
        current.pending.results[reply.index] = reply.result;
        return;
      }
      this.finish();
      if (reply.type === 'done') current.pending.resolve(current.pending.results);
      else current.pending.reject(new Error(reply.error));
    });
    const lost = (why: string): void => {
      if (this.worker !== worker) return;
      this.worker = null;
      const current = this.current;
      if (current === null) return;
      this.finish();
      current.pending.reject(new Error(`the scenario validator stopped: ${why}`));
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private timedOut(): void {
    const current = this.current;
    if (current === null) return;
    const worker = this.worker;
    this.worker = null;
    void worker?.terminate();
    this.finish();
    const problem = preparationTimeoutProblem(this.timeoutMs);
    const answer = current.pending.job.requests.map(() => ({ ok: false as const, problems: [problem] }));
    current.pending.resolve(answer);
  }

  /** Ends the current job and starts the next. */
  private finish(): void {
    if (this.current !== null) clearTimeout(this.current.timer);
    this.current = null;
    queueMicrotask(() => this.pump());
  }
}
