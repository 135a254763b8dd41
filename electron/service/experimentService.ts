// Experiments: create (base + variants, every variant validated before anything is stored), list
// and read with the latest execution's run statuses, run (one queued run per variant, a new
// execution), delete (the experiment's rows only: its runs stay in the history as ordinary runs).
// Must not: import electron or know about a transport.

import type { ExperimentDetail, ExperimentRequest, ExperimentSummary } from '../../core/contract/experiments';
import type { RunStatus } from '../../core/contract/runResult';
import type { ExperimentStore, StoredExperiment, VariantRun } from '../../db/experimentStore';
import { LabError } from './labError';
import { checkExperiment, experimentRequests, variantRequest } from './experimentVariants';
import type { RunLauncher, ValidRun } from './runLauncher';
import { inlineRunPreparer, type RunPreparer } from './runPreparer';

export class ExperimentService {
  constructor(
    private readonly experiments: ExperimentStore,
    private readonly launcher: RunLauncher,
    private readonly nowMs: () => number,
    private readonly preparer: RunPreparer = inlineRunPreparer,
  ) {}

  /** Checks the base and every variant (in the preparer, off this thread), then stores the experiment. */
  async create(request: ExperimentRequest): Promise<{ experimentId: number }> {
    const { variants, requests } = experimentRequests(request);
    checkExperiment(variants, await this.preparer.check(requests));
    const experimentId = this.experiments.create({ name: request.name.trim(), base: request.base, variants }, this.nowMs());
    return { experimentId };
  }

  list(): ExperimentSummary[] {
    return this.experiments.list().map((e) => summaryOf(e, this.experiments.latestRuns(e.id)));
  }

  get(experimentId: number): ExperimentDetail {
    const e = this.find(experimentId);
    const latest = this.experiments.latestRuns(e.id);
    return {
      ...summaryOf(e, latest),
      variants: e.variants.map((v, i) => ({
        name: v.name,
        set: v.set,
        runId: latest[i]?.runId ?? null,
        status: latest[i]?.status ?? null,
      })),
    };
  }

  /** Validates every variant again (a preset may have changed), then queues one run per variant. */
  async run(experimentId: number): Promise<{ runIds: number[] }> {
    const e = this.find(experimentId);
    const prepared = await this.preparer.prepare(e.variants.map((v) => variantRequest(e.base, v)));
    const problems = prepared.flatMap((p, i) => (p.ok ? [] : p.problems.map((x) => `variant "${e.variants[i]!.name}": ${x}`)));
    if (problems.length > 0) throw new LabError('invalid-scenario', problems.join('\n'), problems);
    const runIds: number[] = [];
    for (const [i, p] of (prepared as ValidRun[]).entries()) {
      // One variant's run stored per turn of the event loop, so other calls go on in between.
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      runIds.push(this.launcher.launch(p, `${e.name} / ${e.variants[i]!.name}`));
    }
    this.experiments.addExecution(e.id, runIds, this.nowMs());
    return { runIds };
  }

  delete(experimentId: number): void {
    if (!this.experiments.delete(experimentId)) throw new LabError('not-found', `no experiment ${experimentId}`);
  }

  private find(experimentId: number): StoredExperiment {
    const e = this.experiments.get(experimentId);
    if (e === undefined) throw new LabError('not-found', `no experiment ${experimentId}`);
    return e;
  }
}

function summaryOf(e: StoredExperiment, latest: readonly VariantRun[]): ExperimentSummary {
  const runs: Partial<Record<RunStatus, number>> = {};
  for (const v of latest) if (v.status !== null) runs[v.status] = (runs[v.status] ?? 0) + 1;
  return { id: e.id, name: e.name, createdAt: e.createdAt, variantCount: e.variants.length, base: e.base, runs };
}
