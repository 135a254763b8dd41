// Runs one stored run to its end and stores the result: simulate in steps (progress, heartbeat,
// cancel between steps) while the recorder streams the timeline to the store chunk by chunk (so
// memory does not grow with the run), then finish the timeline (its last rows and figures), then
// the results in one transaction. A cancelled or failed run keeps no partial timeline.
// Shared by the worker thread (app, browser host) and the CLI (in-process).
// Must not: hold state between runs.

import type { LabDatabase } from '../../db/database';
import { RunStore } from '../../db/runStore';
import { TimelineWriter } from '../../db/timeline/timelineWriter';
import type { TimelineChunk, TimelineSink } from '../../core/sim/timelineRecorder';
import { PlanRun } from '../../core/run/planRun';
import type { RunPlan } from '../../core/run/runPlan';
import type { RunPhase, RunResult } from '../../core/contract/runResult';
import { errorMessage } from './labError';

export const STEP_EVENTS = 50_000;
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
  runs.markRunning(runId, started);
  try {
    writer = new TimelineWriter(db, runId);
    // Storing happens inside the simulation's steps now; sim.wallMs stays the simulation's own time.
    const sink = new TimedSink(writer, hooks.nowMs);
    const run = new PlanRun(plan, { timelineSink: sink });
    const beat = (now: number): void => {
      if (now - lastBeat < HEARTBEAT_EVERY_MS) return;
      runs.heartbeat(runId, run.simulatedNs, run.eventsProcessed, now);
      lastBeat = now;
    };
    for (;;) {
      const done = run.step(STEP_EVENTS);
      hooks.onProgress?.({ phase: 'simulating', simulatedNs: run.simulatedNs, events: run.eventsProcessed, timelineEvents: 0, stored: 0 });
      beat(hooks.nowMs());
      if (done) break;
      if (hooks.isCancelled()) return cancel(runs, runId, writer, hooks);
    }
    const base = run.result();
    const result: RunResult = { ...base, metrics: { ...base.metrics, 'sim.wallMs': hooks.nowMs() - started - sink.spentMs } };
    const storing = (stored: number): void => {
      hooks.onProgress?.({
        phase: 'storing',
        simulatedNs: run.simulatedNs,
        events: run.eventsProcessed,
        timelineEvents: run.timelineEvents,
        stored,
      });
      beat(hooks.nowMs());
    };
    storing(writer.stored);
    if (hooks.isCancelled()) return cancel(runs, runId, writer, hooks);
    writer.finish();
    storing(writer.stored);
    runs.complete(runId, result, run.timelineEvents, hooks.nowMs());
    return { status: 'completed', result };
  } catch (err) {
    const message = errorMessage(err);
    discardQuietly(writer);
    runs.finish(runId, 'failed', message, hooks.nowMs());
    return { status: 'failed', error: message };
  }
}

function cancel(runs: RunStore, runId: number, writer: TimelineWriter, hooks: RunHooks): RunOutcome {
  writer.discard();
  runs.finish(runId, 'cancelled', null, hooks.nowMs());
  return { status: 'cancelled' };
}

/** A failed run keeps no partial timeline; when removing it fails too (the disk that failed), the first error is the one reported. */
function discardQuietly(writer: TimelineWriter | null): void {
  try {
    writer?.discard();
  } catch {
    writer?.restore();
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
