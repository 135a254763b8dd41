// The host-neutral lab service: everything the renderer (or any client) can ask of the lab,
// implemented once over the store and the run queue. Electron's IPC, the browser host's HTTP
// bridge and tests all drive this same object through LabApi.
// Must not: import electron or know about a transport; validate arguments (apiDispatch does).

import type { LabApi, RunFilter, StartRunRequest } from '../../core/contract/labApi';
import type { LabCatalog, PresetDetail, PresetSummary, ValidationResult } from '../../core/contract/catalog';
import type { RunDetail, RunProgress, RunSummary } from '../../core/contract/runResult';
import type { TimelineWindow, TimelineWindowQuery } from '../../core/contract/timeline';
import { COST_DEFAULTS, COST_KEYS } from '../../core/sim/costTable';
import { PARAMETER_DEFAULTS } from '../../core/scenario/parameterDefaults';
import { METRIC_CATALOG } from '../../core/run/metricCatalog';
import { findPreset, presetClaims, PRESETS, type Preset } from '../../core/scenario/presets';
import { planDurationNs } from '../../core/run/runPlan';
import { scenarioJsonSchema } from '../../core/scenario/jsonSchema';
import { openLabDatabase, type LabDatabase } from '../../db/database';
import { RunStore } from '../../db/runStore';
import { TimelineStore } from '../../db/timelineStore';
import { LabError } from './labError';
import { prepareRun, storedPlanOf } from './runRequest';

import { RunQueue, type RunWorkerSpawner } from './runQueue';

export interface LabServiceOptions {
  readonly dbPath: string;
  readonly spawnWorker: RunWorkerSpawner;
  readonly version: string;
  readonly nowMs?: () => number;
  readonly concurrency?: number;
  readonly nativeBinding?: string;
}

function presetSummary(p: Preset): PresetSummary {
  return {
    id: p.id,
    title: p.title,
    summary: p.summary,
    thread: p.thread,
    claims: presetClaims(p).map((c) => ({ id: c.id, text: c.text })),
  };
}

export class LabService implements LabApi {
  private readonly db: LabDatabase;
  private readonly runs: RunStore;
  private readonly timeline: TimelineStore;
  private readonly queue: RunQueue;
  private readonly nowMs: () => number;

  constructor(private readonly options: LabServiceOptions) {
    this.nowMs = options.nowMs ?? Date.now;
    this.db = openLabDatabase(options.dbPath, options.nativeBinding === undefined ? {} : { nativeBinding: options.nativeBinding });
    this.runs = new RunStore(this.db);
    this.timeline = new TimelineStore(this.db);
    this.runs.markInterrupted(this.nowMs());
    this.queue = new RunQueue(options.spawnWorker, options.dbPath, this.runs, this.nowMs, options.concurrency ?? 1, options.nativeBinding);
  }

  getCatalog(): Promise<LabCatalog> {
    return Promise.resolve({
      version: this.options.version,
      costs: COST_KEYS.map((key) => ({
        key,
        defaultNs: COST_DEFAULTS[key].valueNs,
        label: COST_DEFAULTS[key].label,
        source: COST_DEFAULTS[key].source,
      })),
      parameters: Object.entries(PARAMETER_DEFAULTS).map(([path, d]) => ({
        path,
        defaultValue: d.value,
        unit: d.unit,
        mirrors: d.mirrors,
        source: d.source,
      })),
      metrics: METRIC_CATALOG,
    });
  }

  listPresets(): Promise<PresetSummary[]> {
    return Promise.resolve(PRESETS.map(presetSummary));
  }

  getPreset(id: string): Promise<PresetDetail> {
    const p = findPreset(id);
    if (p === undefined) return Promise.reject(new LabError('not-found', `no preset named "${id}"`));
    return Promise.resolve({ ...presetSummary(p), scenario: p.scenario });
  }

  getScenarioSchema(): Promise<unknown> {
    return Promise.resolve(scenarioJsonSchema());
  }

  validateScenario(request: StartRunRequest): Promise<ValidationResult> {
    const prepared = prepareRun(request);
    return Promise.resolve(
      prepared.ok ? { ok: true, problems: [], scenario: prepared.plan.base } : { ok: false, problems: prepared.problems, scenario: null },
    );
  }

  startRun(request: StartRunRequest): Promise<{ runId: number }> {
    const prepared = prepareRun(request);
    if (!prepared.ok) {
      const code = prepared.notFound === true ? 'not-found' : 'invalid-scenario';
      return Promise.reject(new LabError(code, prepared.problems.join('\n'), prepared.problems));
    }
    const { plan, preset } = prepared;
    const stored = storedPlanOf(plan);
    const durationNs = planDurationNs(plan);
    const runId = this.runs.create(
      {
        name: plan.base.name,
        preset,
        seed: plan.base.seed,
        scenario: plan.base,
        durationNs,
        variants: stored.variants,
        planClaims: stored.claims,
      },
      this.nowMs(),
    );
    this.queue.enqueue({ runId, name: plan.base.name, plan: stored, durationNs });
    return Promise.resolve({ runId });
  }

  cancelRun(runId: number): Promise<void> {
    if (!this.queue.cancel(runId)) {
      return Promise.reject(new LabError('conflict', `run ${runId} is not queued or running in this lab`));
    }
    return Promise.resolve();
  }

  getActiveRuns(): Promise<RunProgress[]> {
    return Promise.resolve(this.queue.progress());
  }

  listRuns(filter: RunFilter): Promise<RunSummary[]> {
    this.runs.markInterrupted(this.nowMs());
    return Promise.resolve(this.runs.list(filter));
  }

  getRun(runId: number): Promise<RunDetail> {
    const run = this.runs.get(runId);
    if (run === undefined) return Promise.reject(new LabError('not-found', `no run ${runId}`));
    return Promise.resolve(run);
  }

  deleteRun(runId: number): Promise<void> {
    if (this.queue.isActive(runId)) {
      return Promise.reject(new LabError('conflict', `run ${runId} is still running; cancel it first`));
    }
    if (!this.runs.delete(runId)) return Promise.reject(new LabError('not-found', `no run ${runId}`));
    return Promise.resolve();
  }

  getTimelineWindow(query: TimelineWindowQuery): Promise<TimelineWindow> {
    if (this.runs.progress(query.runId) === undefined) return Promise.reject(new LabError('not-found', `no run ${query.runId}`));
    return Promise.resolve(this.timeline.window(query));
  }

  /** Waits for every queued and running run to finish (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  close(): void {
    this.queue.dispose();
    this.db.close();
  }
}
