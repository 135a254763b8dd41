// Runs one stored run to its end and stores the result: simulate in steps (progress, heartbeat,
// cancel between steps), then store the timeline in batches (progress, heartbeat, cancel between
// batches: a cancelled run keeps no partial timeline), then the results in one transaction.
// Shared by the worker thread (app, browser host) and the CLI (in-process).
// Must not: hold state between runs.

import type { LabDatabase } from '../../db/database';
import { RunStore } from '../../db/runStore';
import { TimelineStore } from '../../db/timeline/timelineStore';
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
  const timeline = new TimelineStore(db);
  const started = hooks.nowMs();
  let lastBeat = started;
  runs.markRunning(runId, started);
  try {
    const run = new PlanRun(plan);
    for (;;) {
      const done = run.step(STEP_EVENTS);
      const now = hooks.nowMs();
      hooks.onProgress?.({ phase: 'simulating', simulatedNs: run.simulatedNs, events: run.eventsProcessed, timelineEvents: 0, stored: 0 });
      if (now - lastBeat >= HEARTBEAT_EVERY_MS) {
        runs.heartbeat(runId, run.simulatedNs, run.eventsProcessed, now);
        lastBeat = now;
      }
      if (done) break;
      if (hooks.isCancelled()) {
        runs.finish(runId, 'cancelled', null, now);
        return { status: 'cancelled' };
      }
    }
    const base = run.result();
    const result: RunResult = { ...base, metrics: { ...base.metrics, 'sim.wallMs': hooks.nowMs() - started } };
    const cols = run.timelineColumns();

    const progress = (stored: number): void => {
      const now = hooks.nowMs();
      hooks.onProgress?.({
        phase: 'storing',
        simulatedNs: run.simulatedNs,
        events: run.eventsProcessed,
        timelineEvents: cols.count,
        stored,
      });
      if (now - lastBeat >= HEARTBEAT_EVERY_MS) {
        runs.heartbeat(runId, run.simulatedNs, run.eventsProcessed, now);
        lastBeat = now;
      }
    };
    progress(0);
    const stored = timeline.insert(runId, cols, { onBatch: progress, shouldStop: hooks.isCancelled });
    if (stored === 'stopped') {
      runs.finish(runId, 'cancelled', null, hooks.nowMs());
      return { status: 'cancelled' };
    }
    runs.complete(runId, result, cols.count, hooks.nowMs());
    return { status: 'completed', result };
  } catch (err) {
    const message = errorMessage(err);
    runs.finish(runId, 'failed', message, hooks.nowMs());
    return { status: 'failed', error: message };
  }
}
