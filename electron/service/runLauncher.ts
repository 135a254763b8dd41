// Starts a validated run: stores its row (queued, with the plan it will simulate) and hands it to
// the run queue. startRun and runExperiment both go through here, so an experiment's variants are
// ordinary runs in the history, with the same progress and cancel; `pcilab run` stores its run with
// the same storeRun and executes it in its own thread instead of queueing it.
// Must not: validate (runRequest.ts does) or wait for the run.

import { planDurationNs } from '../../core/run/runPlan';
import type { RunStore } from '../../db/runStore';
import type { QueuedRun, RunQueue } from './runQueue';
import type { RunStatus } from '../../core/contract/runResult';
import { storedPlanOf, type PreparedRun } from '../../core/run/runRequest';

export type ValidRun = Extract<PreparedRun, { ok: true }>;

/** Stores the run's row, queued; returns what executing it takes. `name` defaults to the scenario's name. */
export function storeRun(runs: RunStore, prepared: ValidRun, nowMs: number, name?: string): QueuedRun {
  const { plan, preset } = prepared;
  const stored = storedPlanOf(plan);
  const durationNs = planDurationNs(plan);
  const runName = name ?? plan.base.name;
  const runId = runs.create(
    {
      name: runName,
      preset,
      seed: plan.base.seed,
      scenario: plan.base,
      durationNs,
      variants: stored.variants,
      planClaims: stored.claims,
    },
    nowMs,
  );
  return { runId, name: runName, plan: stored, durationNs };
}

export class RunLauncher {
  constructor(
    private readonly runs: RunStore,
    private readonly queue: RunQueue,
    private readonly nowMs: () => number,
  ) {}

  /** Stores and queues the run; `name` defaults to the scenario's name. */
  launch(prepared: ValidRun, name?: string): number {
    const job = storeRun(this.runs, prepared, this.nowMs(), name);
    this.queue.enqueue(job);
    return job.runId;
  }

  /** The run's final status once it finishes (null when this process does not run it). */
  finished(runId: number): Promise<RunStatus | null> {
    return this.queue.finished(runId);
  }
}
