// Runs one stored run to its end and stores the result: simulate in steps (progress, heartbeat,
// cancel between steps), then store the timeline in batches, then the results in one
// transaction. Shared by the worker thread (app, browser host) and the CLI (in-process).
// Must not: hold state between runs.

import type { LabDatabase } from '../../db/database';
import { RunStore } from '../../db/runStore';
import { TimelineStore } from '../../db/timelineStore';
import { PlanRun } from '../../core/run/planRun';
import type { RunPlan } from '../../core/run/runPlan';
import type { RunResult } from '../../core/contract/runResult';

export const STEP_EVENTS = 50_000;
const HEARTBEAT_EVERY_MS = 1000;

export type RunPhase = 'simulating' | 'storing';

export interface RunHooks {
  readonly nowMs: () => number;
  readonly isCancelled: () => boolean;
  readonly onProgress?: (p: { phase: RunPhase; simulatedNs: number; events: number; stored: number }) => void;
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
      hooks.onProgress?.({ phase: 'simulating', simulatedNs: run.simulatedNs, events: run.eventsProcessed, stored: 0 });
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

    timeline.insert(runId, cols, (stored) => {
      const now = hooks.nowMs();
      hooks.onProgress?.({ phase: 'storing', simulatedNs: run.simulatedNs, events: run.eventsProcessed, stored });
      if (now - lastBeat >= HEARTBEAT_EVERY_MS) {
        runs.heartbeat(runId, run.simulatedNs, run.eventsProcessed, now);
        lastBeat = now;
      }
    });
    runs.complete(runId, result, cols.count, hooks.nowMs());
    return { status: 'completed', result };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    runs.finish(runId, 'failed', message, hooks.nowMs());
    return { status: 'failed', error: message };
  }
}
