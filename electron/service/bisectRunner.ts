// Executes a bisect experiment: one ordinary stored run per version, one after the other through
// the run queue (each waits for the previous to finish, since the next version depends on its
// outcome: core/run/bisect.ts bisectNext). Each step is recorded in the execution when its run
// starts and its outcome when the run completed; a run that does not complete (failed, cancelled)
// or lacks the outcome's metric stops the bisect with the reason.
// Must not: validate the spec (bisectSpec.ts does) or import electron.

import type { BisectSpec } from '../../core/contract/experiments';
import { bisectNext } from '../../core/run/bisect';
import { outcomeOf } from '../../core/run/bisectSpec';
import type { ExperimentStore } from '../../db/experimentStore';
import type { RunLauncher, ValidRun } from './runLauncher';
import { errorMessage } from './labError';

export interface BisectJob {
  readonly executionId: number;
  readonly name: string;
  readonly spec: BisectSpec;
  /** One prepared run per version of the spec, in order. */
  readonly prepared: readonly ValidRun[];
}

export class BisectRunner {
  private readonly active = new Map<number, Promise<void>>();
  private closed = false;

  constructor(
    private readonly experiments: ExperimentStore,
    private readonly launcher: RunLauncher,
    private readonly runMetrics: (runId: number) => Readonly<Record<string, number>> | undefined,
  ) {}

  /** Starts the first step now (its run id is returned) and the rest in the background. */
  start(job: BisectJob): number {
    const seen = new Map<number, number>();
    const first = bisectNext(job.prepared.length, seen, job.spec.all === true)!;
    const runId = this.launchStep(job, first);
    const done = this.continue(job, seen, first, runId)
      .catch((err: unknown) => {
        if (!this.closed) this.experiments.finishExecution(job.executionId, 'stopped', `internal error: ${errorMessage(err)}`);
      })
      .finally(() => this.active.delete(job.executionId));
    this.active.set(job.executionId, done);
    return runId;
  }

  /** Whether this process is still executing the execution (one left "running" by another process was interrupted). */
  isActive(executionId: number): boolean {
    return this.active.has(executionId);
  }

  /** Resolves when every bisect this process runs has finished. */
  async idle(): Promise<void> {
    while (this.active.size > 0) await Promise.all([...this.active.values()]);
  }

  close(): void {
    this.closed = true;
  }

  private launchStep(job: BisectJob, idx: number): number {
    const version = job.spec.versions[idx]!;
    const runId = this.launcher.launch(job.prepared[idx]!, `${job.name} / ${job.spec.path}=${version}`);
    this.experiments.addStep(job.executionId, idx, runId);
    return runId;
  }

  private async continue(job: BisectJob, seen: Map<number, number>, idx: number, runId: number): Promise<void> {
    for (;;) {
      const status = await this.launcher.finished(runId);
      if (this.closed) return;
      const version = job.spec.versions[idx]!;
      if (status !== 'completed') {
        this.experiments.finishExecution(
          job.executionId,
          'stopped',
          `${version}: run ${runId} ${status ?? 'was lost'}; the bisect stopped there`,
        );
        return;
      }
      const outcome = outcomeOf(this.runMetrics(runId) ?? {}, job.spec);
      if (!outcome.ok) {
        this.experiments.finishExecution(job.executionId, 'stopped', `${version}: run ${runId}: ${outcome.problem}`);
        return;
      }
      this.experiments.setStepOutcome(job.executionId, idx, outcome.value);
      seen.set(idx, outcome.value);
      const next = bisectNext(job.prepared.length, seen, job.spec.all === true);
      if (next === null) {
        this.experiments.finishExecution(job.executionId, 'done', null);
        return;
      }
      idx = next;
      runId = this.launchStep(job, next);
    }
  }
}
