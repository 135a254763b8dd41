// The runs this process executes: a FIFO of queued runs and at most `concurrency` worker threads
// running them. Tracks live progress (simulated time, events per second, ETA) for the renderer,
// forwards cancellation through a shared flag, and turns a worker that dies into a failed run.
// With `warm`, it keeps a pool of workers spawned ahead (their code loaded, waiting for a run:
// runWorker.ts), one for each free slot (`concurrency` minus the runs running), so every run of an
// experiment started at once starts simulating without waiting for code to load; a slot freed by a
// finished run is refilled, and a spare is never spawned for a slot a run is using (it would take
// CPU from that run). dispose() terminates every spare.
// Must not: validate scenarios (the service does) or block the main thread.

import type { Worker } from 'node:worker_threads';
import type { RunPhase, RunProgress, RunStatus } from '../../core/contract/runResult';
import type { RunStore } from '../../db/runStore';
import type { RunWorkerData, RunWorkerJob, RunWorkerMessage } from './runWorkerProtocol';
import type { StoredPlan } from '../../core/run/runRequest';
import { errorMessage } from './labError';

/** Starts a worker for the run; with null, a warm worker that waits for its run in a message. */
export type RunWorkerSpawner = (data: RunWorkerData | null) => Worker;

export interface QueuedRun {
  readonly runId: number;
  readonly name: string;
  readonly plan: StoredPlan;
  readonly durationNs: number;
}

interface Tracked {
  readonly job: QueuedRun;
  status: RunStatus;
  phase: RunPhase;
  simulatedNs: number;
  events: number;
  timelineEvents: number;
  stored: number;
  startedMs: number | null;
  /** When storing began (its rate and ETA are measured from there). */
  storingMs: number | null;
  finishedMs: number | null;
  error: string | null;
  cancelFlag: Int32Array | null;
}

/**
 * How the error of a run whose worker died begins. Such a run keeps the timeline it stored, shown
 * as incomplete (like an interrupted run); a run that failed by itself keeps none.
 */
export const WORKER_DIED = 'run worker';

/** Finished runs stay in the progress list this long, so a poller sees how they ended. */
const KEEP_FINISHED_MS = 30_000;
const QUEUED_HEARTBEAT_MS = 5_000;

export class RunQueue {
  private readonly tracked = new Map<number, Tracked>();
  private readonly pending: number[] = [];
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly finishWaiters = new Map<number, ((status: RunStatus) => void)[]>();
  private readonly timer: ReturnType<typeof setInterval>;
  /** The warm workers waiting for a run (oldest first), each with how to stop watching it once it has one. */
  private spares: { worker: Worker; release: () => void }[] = [];
  private disposed = false;

  constructor(
    private readonly spawn: RunWorkerSpawner,
    private readonly dbPath: string,
    private readonly runs: RunStore,
    private readonly nowMs: () => number,
    private readonly concurrency = 1,
    private readonly nativeBinding?: string,
    private readonly warm = false,
  ) {
    // Queued runs are owned by this process; keep their heartbeat fresh so they are not taken for interrupted.
    this.timer = setInterval(() => {
      for (const id of this.pending) this.runs.heartbeat(id, 0, 0, this.nowMs());
    }, QUEUED_HEARTBEAT_MS);
    this.timer.unref();
    this.prewarm();
  }

  enqueue(job: QueuedRun): void {
    this.tracked.set(job.runId, {
      job,
      status: 'queued',
      phase: 'queued',
      simulatedNs: 0,
      events: 0,
      timelineEvents: 0,
      stored: 0,
      startedMs: null,
      storingMs: null,
      finishedMs: null,
      error: null,
      cancelFlag: null,
    });
    this.pending.push(job.runId);
    this.pump();
  }

  isActive(runId: number): boolean {
    const t = this.tracked.get(runId);
    return t !== undefined && (t.status === 'queued' || t.status === 'running');
  }

  /** Requests cancellation; returns false when the run is not queued or running here. */
  cancel(runId: number): boolean {
    const t = this.tracked.get(runId);
    if (t === undefined || !this.isActive(runId)) return false;
    const idx = this.pending.indexOf(runId);
    if (idx >= 0) {
      this.pending.splice(idx, 1);
      this.runs.finish(runId, 'cancelled', null, this.nowMs());
      this.settle(t, 'cancelled', null);
      return true;
    }
    if (t.cancelFlag !== null) Atomics.store(t.cancelFlag, 0, 1);
    return true;
  }

  progress(): RunProgress[] {
    const now = this.nowMs();
    const out: RunProgress[] = [];
    for (const [id, t] of this.tracked) {
      if (t.finishedMs !== null && now - t.finishedMs > KEEP_FINISHED_MS) {
        this.tracked.delete(id);
        continue;
      }
      out.push({
        runId: id,
        name: t.job.name,
        status: t.status,
        phase: t.phase,
        simulatedNs: t.simulatedNs,
        durationNs: t.job.durationNs,
        events: t.events,
        timelineEvents: t.timelineEvents,
        storedEvents: t.stored,
        ...rates(t, now),
        error: t.error,
      });
    }
    return out;
  }

  /** Resolves with the run's final status when it finishes (at once when it is not active here). */
  finished(runId: number): Promise<RunStatus | null> {
    const t = this.tracked.get(runId);
    if (t === undefined) return Promise.resolve(null);
    if (!this.isActive(runId)) return Promise.resolve(t.status);
    return new Promise((resolve) => this.finishWaiters.set(runId, [...(this.finishWaiters.get(runId) ?? []), resolve]));
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.running === 0 && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Warm workers waiting for a run now. */
  spareCount(): number {
    return this.spares.length;
  }

  /** Stops: terminates every warm worker (runs already running finish or are marked by their owner's death). */
  dispose(): Promise<void> {
    this.disposed = true;
    clearInterval(this.timer);
    const spares = this.spares;
    this.spares = [];
    return Promise.all(spares.map((s) => s.worker.terminate())).then(() => undefined);
  }

  /**
   * Tops the pool of warm workers up to one per free slot. A worker that dies while waiting leaves
   * the pool and is replaced at the next change of the queue, not at once (no respawn loop).
   */
  private prewarm(): void {
    if (!this.warm || this.disposed) return;
    while (this.spares.length < this.concurrency - this.running) {
      let worker: Worker;
      try {
        worker = this.spawn(null);
      } catch {
        return; // The run that comes next spawns its own worker and reports why it cannot.
      }
      // An idle warm worker never keeps the process alive.
      worker.unref();
      const lost = (): void => {
        this.spares = this.spares.filter((s) => s.worker !== worker);
      };
      worker.on('error', lost);
      worker.on('exit', lost);
      this.spares.push({
        worker,
        release: () => {
          worker.off('error', lost);
          worker.off('exit', lost);
          worker.ref();
        },
      });
    }
  }

  private pump(): void {
    // Disposed (the lab is closing): a run ending frees its slot, but nothing queued starts here
    // any more; those runs stay queued in the database and the next lab to start resumes them
    // (starting them here too would simulate a run twice, once in each process).
    while (!this.disposed && this.running < this.concurrency && this.pending.length > 0) {
      const runId = this.pending.shift()!;
      const t = this.tracked.get(runId);
      if (t !== undefined) this.startWorker(t);
    }
    this.prewarm();
    if (this.running === 0 && this.pending.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private startWorker(t: Tracked): void {
    const flagBuffer = new SharedArrayBuffer(4);
    t.cancelFlag = new Int32Array(flagBuffer);
    t.status = 'running';
    t.phase = 'simulating';
    t.startedMs = this.nowMs();
    this.running++;
    let settled = false;
    const data: RunWorkerData = {
      dbPath: this.dbPath,
      runId: t.job.runId,
      plan: t.job.plan,
      cancelFlag: flagBuffer,
      ...(this.nativeBinding === undefined ? {} : { nativeBinding: this.nativeBinding }),
    };
    let worker: Worker;
    try {
      const spare = this.spares.shift();
      if (spare !== undefined) {
        spare.release();
        worker = spare.worker;
        worker.postMessage({ type: 'run', data } satisfies RunWorkerJob);
      } else {
        worker = this.spawn(data);
      }
    } catch (err) {
      this.running--;
      this.failRun(t, `${WORKER_DIED} could not start: ${errorMessage(err)}`);
      this.pump();
      return;
    }
    worker.on('message', (m: RunWorkerMessage) => {
      if (m.type === 'progress') {
        if (m.phase === 'storing' && t.storingMs === null) t.storingMs = this.nowMs();
        t.phase = m.phase;
        t.simulatedNs = m.simulatedNs;
        t.events = m.events;
        t.timelineEvents = m.timelineEvents;
        t.stored = m.stored;
      } else {
        settled = true;
        // The worker records its outcome; a failure it could not record (a full disk) is recorded here once more.
        if (m.status === 'failed') this.recordFailure(t.job.runId, m.error);
        this.settle(t, m.status, m.error);
      }
    });
    worker.on('error', (err) => {
      if (!settled) {
        settled = true;
        this.failRun(t, `${WORKER_DIED} crashed: ${err.message}`);
      }
    });
    worker.on('exit', (code) => {
      if (!settled) {
        settled = true;
        this.failRun(t, `${WORKER_DIED} exited with code ${code} before finishing`);
      }
      this.running--;
      this.pump();
    });
  }

  private failRun(t: Tracked, error: string): void {
    this.recordFailure(t.job.runId, error);
    this.settle(t, 'failed', error);
  }

  private recordFailure(runId: number, error: string | null): void {
    try {
      this.runs.finish(runId, 'failed', error, this.nowMs());
    } catch {
      // The database refuses writes: the run shows as interrupted once this process is gone.
    }
  }

  private settle(t: Tracked, status: RunStatus, error: string | null): void {
    t.status = status;
    t.phase = 'finished';
    t.error = error;
    t.finishedMs = this.nowMs();
    if (status === 'completed') t.simulatedNs = t.job.durationNs;
    const waiters = this.finishWaiters.get(t.job.runId) ?? [];
    this.finishWaiters.delete(t.job.runId);
    for (const w of waiters) w(status);
  }
}

/**
 * Rates of the current phase: simulation events per wall second and the time left to simulate the
 * rest at that pace; while storing, timeline rows per second and the time left to store the rest.
 */
function rates(t: Tracked, nowMs: number): { eventsPerSecond: number; etaMs: number | null } {
  const end = t.finishedMs ?? nowMs;
  if (t.phase === 'storing' && t.storingMs !== null) {
    const ms = end - t.storingMs;
    const perMs = ms > 0 ? t.stored / ms : 0;
    return { eventsPerSecond: perMs * 1000, etaMs: perMs > 0 ? Math.max(0, (t.timelineEvents - t.stored) / perMs) : null };
  }
  const ms = t.startedMs === null ? 0 : (t.storingMs ?? end) - t.startedMs;
  const simNsPerMs = ms > 0 ? t.simulatedNs / ms : 0;
  return {
    eventsPerSecond: ms > 0 ? (t.events / ms) * 1000 : 0,
    etaMs: t.phase === 'simulating' && simNsPerMs > 0 ? Math.max(0, (t.job.durationNs - t.simulatedNs) / simNsPerMs) : null,
  };
}
