// One job at a time on a worker thread that is spawned on first use and again after it died or was
// stopped: what the run preparer (runPreparer.ts) and the bundle importer (runBundleImporter.ts)
// share. Jobs queue in order; each gets an id its replies carry; a reply for another id (a job that
// timed out, on a worker already being stopped) is ignored. A job may have a time limit, past which
// the worker is stopped and the job answered by the caller's timeout answer.
// Must not: know what a job does or what its replies mean (the `settle` callback decides).

import type { Worker } from 'node:worker_threads';

/** What a reply does to its job: settles it (a value or an error), or nothing yet (more replies come). */
export type Settlement<R> = { readonly value: R } | { readonly error: Error } | undefined;

export interface SerialWorkerOptions<J extends { readonly id: number }, M extends { readonly id: number }, R> {
  /** Makes a worker (on first use and after one died or was stopped). */
  readonly spawn: () => Worker;
  /** The worker in words, for a job failed because it stopped: "the scenario validator". */
  readonly name: string;
  /** A reply of the worker to the current job (`job`): how it settles the job, if it does. */
  readonly settle: (reply: M, job: J) => Settlement<R>;
  /** A time limit per job, and the value a job that took longer resolves with (the worker is stopped). */
  readonly timeout?: { readonly ms: number; readonly answer: (job: J) => R };
  /** Keep the process alive while a job runs (its answer is awaited); the worker never holds it while idle. */
  readonly holdProcessWhileBusy?: boolean;
}

interface Pending<J, R> {
  readonly job: J;
  readonly resolve: (value: R) => void;
  readonly reject: (err: Error) => void;
}

export class SerialWorker<J extends { readonly id: number }, M extends { readonly id: number }, R> {
  private worker: Worker | null = null;
  private readonly queue: Pending<J, R>[] = [];
  private current: { readonly pending: Pending<J, R>; readonly timer: ReturnType<typeof setTimeout> | null } | null = null;
  private nextId = 1;
  private disposed = false;

  constructor(private readonly options: SerialWorkerOptions<J, M, R>) {}

  /** Queues the job `make` builds with the id given here, and answers with how its replies settle it. */
  run(make: (id: number) => J): Promise<R> {
    if (this.disposed) return Promise.reject(new Error('the lab is closing'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job: make(this.nextId++), resolve, reject });
      this.pump();
    });
  }

  /** Spawns the worker now instead of on first use. */
  warm(): void {
    if (!this.disposed) this.ensureWorker();
  }

  /** Fails the current and queued jobs and stops the worker; later jobs are refused. */
  dispose(): void {
    this.disposed = true;
    const current = this.current;
    if (current?.timer != null) clearTimeout(current.timer);
    this.current = null;
    for (const p of [...(current === null ? [] : [current.pending]), ...this.queue.splice(0)]) p.reject(new Error('the lab is closing'));
    void this.worker?.terminate();
    this.worker = null;
  }

  private pump(): void {
    if (this.current !== null || this.disposed) return;
    const pending = this.queue.shift();
    if (pending === undefined) return;
    const { timeout } = this.options;
    this.current = { pending, timer: timeout === undefined ? null : setTimeout(() => this.timedOut(), timeout.ms) };
    const worker = this.ensureWorker();
    if (this.options.holdProcessWhileBusy === true) worker.ref();
    worker.postMessage(pending.job);
  }

  private ensureWorker(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = this.options.spawn();
    worker.unref();
    worker.on('message', (reply: M) => {
      const current = this.current;
      if (current === null || reply.id !== current.pending.job.id) return;
      const settled = this.options.settle(reply, current.pending.job);
      if (settled === undefined) return;
      this.finish();
      if ('value' in settled) current.pending.resolve(settled.value);
      else current.pending.reject(settled.error);
    });
    const lost = (why: string): void => {
      if (this.worker !== worker) return;
      this.worker = null;
      const current = this.current;
      if (current === null) return;
      this.finish();
      current.pending.reject(new Error(`${this.options.name} stopped: ${why}`));
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private timedOut(): void {
    const current = this.current;
    const timeout = this.options.timeout;
    if (current === null || timeout === undefined) return;
    const worker = this.worker;
    this.worker = null;
    void worker?.terminate();
    this.finish();
    current.pending.resolve(timeout.answer(current.pending.job));
  }

  /** Ends the current job and starts the next. */
  private finish(): void {
    if (this.current?.timer != null) clearTimeout(this.current.timer);
    this.current = null;
    this.worker?.unref();
    queueMicrotask(() => this.pump());
  }
}
