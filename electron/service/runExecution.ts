// Runs one stored run to its end and stores the result: simulate in steps (progress, heartbeat,
// cancel between steps) while the recorder streams the timeline to the store chunk by chunk (so
// memory does not grow with the run), then finish the timeline (its last rows and figures), then
// the results in one transaction. Every phase heartbeats at least once a second (simulating steps,
// chunk batches, each lane the finish closes). A cancelled or failed run keeps no partial timeline;
// a failure of the disk (SQLITE_FULL, I/O errors) is one line ("disk full: ... free space on its
// disk or delete runs"), and the WAL, which may hold tens of MiB of the rolled-back rows, is
// truncated so the space comes back at once.
// Shared by the worker thread (app, browser host) and the CLI (in-process).
// Must not: hold state between runs.

import { describeDatabaseError, isEnvironmentError, type LabDatabase } from '../../db/database';
import { RunStore } from '../../db/runStore';
import { truncateWal } from '../../db/storage';
import { discardTimeline, TimelineWriter } from '../../db/timeline/timelineWriter';
import type { TimelineChunk, TimelineSink } from '../../core/sim/timelineRecorder';
import { PlanRun } from '../../core/run/planRun';
import type { RunPlan } from '../../core/run/runPlan';
import type { RunPhase, RunResult } from '../../core/contract/runResult';
import { errorMessage } from './labError';

export const STEP_EVENTS = 50_000;
/**
 * The first step's events: small, so the first progress (simulated time > 0) is posted within
 * milliseconds of the start while the code is not optimized yet; each step after is 4x larger up to
 * STEP_EVENTS. Step sizes never change what is simulated, only how often progress is posted.
 */
export const FIRST_STEP_EVENTS = 500;
const HEARTBEAT_EVERY_MS = 1000;

export type ExecutionPhase = Extract<RunPhase, 'simulating' | 'storing'>;

export interface ExecutionProgress {
  readonly phase: ExecutionPhase;
  readonly simulatedNs: number;
  readonly events: number;
  /** Timeline events to store (0 while simulating) and stored so far. */
  readonly timelineEvents: number;
  readonly stored: number;
}

export interface RunHooks {
  readonly nowMs: () => number;
  readonly isCancelled: () => boolean;
  readonly onProgress?: (p: ExecutionProgress) => void;
}

export type RunOutcome =
  | { readonly status: 'completed'; readonly result: RunResult }
  | { readonly status: 'cancelled' }
  | { readonly status: 'failed'; readonly error: string };

export function executeRun(db: LabDatabase, runId: number, plan: RunPlan, hooks: RunHooks): RunOutcome {
  const runs = new RunStore(db);
  const started = hooks.nowMs();
  let lastBeat = started;
  let writer: TimelineWriter | null = null;
  let run: PlanRun | null = null;
  const beat = (now: number): void => {
    if (now - lastBeat < HEARTBEAT_EVERY_MS) return;
    runs.heartbeat(runId, run?.simulatedNs ?? 0, run?.eventsProcessed ?? 0, now);
    lastBeat = now;
  };
  try {
    runs.markRunning(runId, started);
    writer = new TimelineWriter(db, runId, {
      // Between batches of rows of a chunk and between the lanes finish() closes.
      onBatch: () => {
        beat(hooks.nowMs());
        return false;
      },
      onLaneFinished: () => beat(hooks.nowMs()),
    });
    // Storing happens inside the simulation's steps now; sim.wallMs stays the simulation's own time.
    const sink = new TimedSink(writer, hooks.nowMs);
    const sim = new PlanRun(plan, { timelineSink: sink });
    run = sim;
    for (let events = FIRST_STEP_EVENTS; ; events = Math.min(STEP_EVENTS, events * 4)) {
      const done = sim.step(events);
      hooks.onProgress?.({ phase: 'simulating', simulatedNs: sim.simulatedNs, events: sim.eventsProcessed, timelineEvents: 0, stored: 0 });
      beat(hooks.nowMs());
      if (done) break;
      if (hooks.isCancelled()) return cancel(runs, runId, writer, hooks);
    }
    const base = sim.result();
    const result: RunResult = { ...base, metrics: { ...base.metrics, 'sim.wallMs': hooks.nowMs() - started - sink.spentMs } };
    const storing = (stored: number): void => {
      hooks.onProgress?.({
        phase: 'storing',
        simulatedNs: sim.simulatedNs,
        events: sim.eventsProcessed,
        timelineEvents: sim.timelineEvents,
        stored,
      });
      beat(hooks.nowMs());
    };
    storing(writer.stored);
    if (hooks.isCancelled()) return cancel(runs, runId, writer, hooks);
    writer.finish();
    storing(writer.stored);
    runs.complete(runId, result, sim.timelineEvents, hooks.nowMs());
    return { status: 'completed', result };
  } catch (err) {
    const message = isEnvironmentError(err) ? describeDatabaseError(err) : errorMessage(err);
    discardQuietly(db, runId, writer);
    finishQuietly(db, () => runs.finish(runId, 'failed', message, hooks.nowMs()));
    truncateWal(db);
    return { status: 'failed', error: message };
  }
}

function cancel(runs: RunStore, runId: number, writer: TimelineWriter, hooks: RunHooks): RunOutcome {
  writer.discard();
  runs.finish(runId, 'cancelled', null, hooks.nowMs());
  return { status: 'cancelled' };
}

/**
 * A failed run keeps no partial timeline. On a full disk removing it needs room in the WAL too:
 * truncating the WAL first gives that back. When removing still fails, the host removes the rows
 * at its next start (LabService: failed runs with an incomplete timeline); the first error is the
 * one reported.
 */
function discardQuietly(db: LabDatabase, runId: number, writer: TimelineWriter | null): void {
  if (writer === null) return;
  try {
    writer.discard();
    return;
  } catch {
    writer.restore();
  }
  truncateWal(db);
  try {
    discardTimeline(db, runId);
  } catch {
    // Left to the host's sweep, see above.
  }
}

/** Records the failure; on a full disk after truncating the WAL, once more (the queue records it too). */
function finishQuietly(db: LabDatabase, finish: () => void): void {
  try {
    finish();
  } catch {
    truncateWal(db);
    try {
      finish();
    } catch {
      // The host that queued the run records the failure it is told about (RunQueue).
    }
  }
}

/** The writer, timed: the wall time spent storing chunks, to leave out of the simulation's. */
class TimedSink implements TimelineSink {
  spentMs = 0;
  readonly chunkEvents: number;

  constructor(
    private readonly inner: TimelineSink,
    private readonly nowMs: () => number,
  ) {
    this.chunkEvents = inner.chunkEvents;
  }

  write(chunk: TimelineChunk): void {
    const t0 = this.nowMs();
    this.inner.write(chunk);
    this.spentMs += this.nowMs() - t0;
  }
}
