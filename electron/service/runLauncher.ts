// Starts a validated run: stores its row (queued, with the plan it will simulate) and hands it to
// the run queue. startRun and runExperiment both go through here, so an experiment's variants are
// ordinary runs in the history, with the same progress and cancel.
// Must not: validate (runRequest.ts does) or wait for the run.

import { planDurationNs } from '../../core/run/runPlan';
import type { RunStore } from '../../db/runStore';
import type { RunQueue } from './runQueue';
import { storedPlanOf, type PreparedRun } from '../../core/run/runRequest';

export class RunLauncher {
  constructor(
    private readonly runs: RunStore,
    private readonly queue: RunQueue,
    private readonly nowMs: () => number,
  ) {}

  /** Stores and queues the run; `name` defaults to the scenario's name. */
  launch(prepared: Extract<PreparedRun, { ok: true }>, name?: string): number {
    const { plan, preset } = prepared;
    const stored = storedPlanOf(plan);
    const durationNs = planDurationNs(plan);
    const runName = name ?? plan.base.name;
    const runId = this.runs.create(
      {
        name: runName,
        preset,
        seed: plan.base.seed,
        scenario: plan.base,
        durationNs,
        variants: stored.variants,
        planClaims: stored.claims,
      },
      this.nowMs(),
    );
    this.queue.enqueue({ runId, name: runName, plan: stored, durationNs });
    return runId;
  }
}
