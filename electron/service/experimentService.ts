// Experiments: create (base + variants, every variant validated before anything is stored), list
// and read with the latest execution's run statuses, run (one queued run per variant, a new
// execution), delete (the experiment's rows only: its runs stay in the history as ordinary runs).
// A bisect experiment stores one variant per version; running it starts bisectRunner.ts, and its
// detail adds the steps run so far and the first version whose outcome changed.
// Must not: import electron or know about a transport.

import type { BisectDetail, BisectSpec, ExperimentDetail, ExperimentRequest, ExperimentSummary } from '../../core/contract/experiments';
import type { RunStatus } from '../../core/contract/runResult';
import type { StartRunRequest } from '../../core/contract/runRequest';
import type { ExperimentStore, StoredExperiment, VariantRun } from '../../db/experimentStore';
import { bisectSummary } from '../../core/run/bisect';
import { bisectRequest, checkBisectSpec, pinnedBaseProblem, restrictToVariant, variantProblem } from '../../core/run/bisectSpec';
import { findPreset } from '../../core/scenario/presets';
import { LabError } from './labError';
import { checkExperiment, experimentRequests, variantRequest } from './experimentVariants';
import type { RunLauncher, ValidRun } from './runLauncher';
import { inlineRunPreparer, type RunPreparer } from './runPreparer';
import { BisectRunner } from './bisectRunner';

export class ExperimentService {
  private readonly bisects: BisectRunner;

  constructor(
    private readonly experiments: ExperimentStore,
    private readonly launcher: RunLauncher,
    private readonly nowMs: () => number,
    private readonly preparer: RunPreparer = inlineRunPreparer,
    runMetrics: (runId: number) => Readonly<Record<string, number>> | undefined = () => undefined,
  ) {
    this.bisects = new BisectRunner(experiments, launcher, runMetrics);
  }

  /** Checks the base and every variant (in the preparer, off this thread), then stores the experiment. */
  async create(request: ExperimentRequest): Promise<{ experimentId: number }> {
    if (request.kind === 'bisect') return this.createBisect(request.name, request.base, request.bisect!);
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
      ...(e.bisect === undefined ? {} : { bisect: this.bisectDetail(e, e.bisect, latest) }),
    };
  }

  /** Validates every variant again (a preset may have changed), then queues one run per variant. */
  async run(experimentId: number): Promise<{ runIds: number[] }> {
    const e = this.find(experimentId);
    if (e.bisect !== undefined) return this.runBisect(e, e.bisect);
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

  /** Resolves when no bisect of this process is running (its runs included). */
  idle(): Promise<void> {
    return this.bisects.idle();
  }

  close(): void {
    this.bisects.close();
  }

  /** Checks the spec, the variant and the run of every version, then stores the bisect (one variant per version). */
  private async createBisect(name: string, base: StartRunRequest, spec: BisectSpec): Promise<{ experimentId: number }> {
    const problems = checkBisectSpec(spec);
    const preset = base.preset === undefined ? undefined : findPreset(base.preset);
    const variant = variantProblem(
      spec,
      (preset?.variants ?? []).map((v) => v.name),
    );
    if (variant !== null && (base.preset === undefined || preset !== undefined)) problems.push(variant);
    const pinned = pinnedBaseProblem(base, spec);
    if (pinned !== null) problems.push(pinned);
    if (problems.length > 0) throw new LabError('invalid-argument', problems.join('\n'), problems);
    const checked = await this.preparer.check([base, ...spec.versions.map((v) => bisectRequest(base, spec, v))]);
    const [baseCheck, ...perVersion] = checked;
    if (baseCheck !== undefined && !baseCheck.ok) {
      const list = baseCheck.problems.map((p) => `base: ${p}`);
      throw new LabError(baseCheck.notFound === true ? 'not-found' : 'invalid-scenario', list.join('\n'), list);
    }
    const versionProblems = perVersion.flatMap((p, i) => (p.ok ? [] : p.problems.map((x) => `version "${spec.versions[i]}": ${x}`)));
    if (versionProblems.length > 0) throw new LabError('invalid-scenario', versionProblems.join('\n'), versionProblems);
    const variants = spec.versions.map((v) => ({ name: v, set: [`${spec.path}=${v}`] }));
    const experimentId = this.experiments.create({ name: name.trim(), base, variants, kind: 'bisect', bisect: spec }, this.nowMs());
    return { experimentId };
  }

  /** Prepares every version again, then starts the bisect: the first run now, the next ones as each finishes. */
  private async runBisect(e: StoredExperiment, spec: BisectSpec): Promise<{ runIds: number[] }> {
    const latest = this.experiments.latestExecution(e.id);
    if (latest !== undefined && latest.state === 'running' && this.bisects.isActive(latest.id)) {
      throw new LabError('conflict', `experiment ${e.id} is bisecting already`);
    }
    const prepared = (await this.preparer.prepare(spec.versions.map((v) => bisectRequest(e.base, spec, v)))).map((p) =>
      restrictToVariant(p, spec),
    );
    const problems = prepared.flatMap((p, i) => (p.ok ? [] : p.problems.map((x) => `version "${spec.versions[i]}": ${x}`)));
    if (problems.length > 0) throw new LabError('invalid-scenario', problems.join('\n'), problems);
    const executionId = this.experiments.startBisectExecution(e.id, this.nowMs());
    const runId = this.bisects.start({ executionId, name: e.name, spec, prepared: prepared as ValidRun[] });
    return { runIds: [runId] };
  }

  private bisectDetail(e: StoredExperiment, spec: BisectSpec, latest: readonly VariantRun[]): BisectDetail {
    const execution = this.experiments.latestExecution(e.id);
    const seen = new Map<number, number>();
    latest.forEach((r, i) => {
      if (r.outcome !== null) seen.set(i, r.outcome);
    });
    const state =
      execution === undefined
        ? 'not-run'
        : execution.state === 'running' && !this.bisects.isActive(execution.id)
          ? 'stopped'
          : (execution.state ?? 'done');
    const error =
      execution?.state === 'running' && state === 'stopped'
        ? 'not running in this lab: interrupted when the lab closed, or run by another process (pcilab bisect) that has not finished'
        : (execution?.error ?? null);
    const summary = state === 'done' ? bisectSummary(spec.versions, seen) : null;
    return {
      spec,
      state,
      error,
      firstChange: summary?.firstChange ?? null,
      before: summary?.before ?? null,
      after: summary?.after ?? null,
      steps: latest.flatMap((r, i) =>
        r.ran ? [{ version: spec.versions[i]!, runId: r.runId, status: r.status, outcome: r.outcome }] : [],
      ),
    };
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
  return { id: e.id, name: e.name, kind: e.kind, createdAt: e.createdAt, variantCount: e.variants.length, base: e.base, runs };
}
