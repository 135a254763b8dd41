// The host-neutral lab service: everything the renderer (or any client) can ask of the lab,
// implemented once over the store and the run queue. Electron's IPC, the browser host's HTTP
// bridge and tests all drive this same object through LabApi. It registers as the owner of the
// runs it queues (db/labOwners.ts) and, at start and every few seconds, looks for runs whose owner
// died: running ones are marked interrupted (their partial timeline is kept and shown as such),
// queued ones are resumed here (a queued run is only a plan). At start it also removes timelines
// left incomplete by failed runs, converts a small database made before incremental auto-vacuum,
// and after deleting runs it gives their space back in slices (db/storage.ts).
// Must not: import electron or know about a transport; validate arguments (apiDispatch does).

import { explainLogLine } from '../../core/run/logExplain';
import type { LogLineExplanation } from '../../core/contract/logExplanation';
import type { LabApi, RunFilter, StartRunRequest } from '../../core/contract/labApi';
import type { LabCatalog, PresetDetail, PresetSummary, ValidationResult, VersionImplication } from '../../core/contract/catalog';
import type { RunDetail, RunProgress, RunSummary } from '../../core/contract/runResult';
import type {
  TimelineEvent,
  TimelineEventDetail,
  TimelineSummary,
  TimelineWindow,
  TimelineWindowQuery,
} from '../../core/contract/timeline';
import type { RunComparison, SavedComparison, SavedComparisonRequest, SavedComparisonSummary } from '../../core/contract/comparison';
import type {
  ExperimentDetail,
  ExperimentRequest,
  ExperimentSummary,
  SweepStatus,
  SweepSubmitOptions,
  SweepSupport,
} from '../../core/contract/experiments';
import {
  collectSweepWith,
  SweepCollectMemo,
  defaultSweepDir,
  latestSweepDir,
  newManifest,
  onPath,
  retrySweep,
  submitSlurmSweep,
  systemShell,
  type SchedulerShell,
} from './sweepService';
import { withLogTails } from './sweepLogTail';
import type { ExportFormat, ExportResult } from '../../core/contract/export';
import { findPreset, PRESETS } from '../../core/scenario/presets';
import { scenarioJsonSchema } from '../../core/scenario/jsonSchema';
import { openLabDatabase, type LabDatabase } from '../../db/database';
import { RunStore, type OrphanRun } from '../../db/runStore';
import { OwnerStore, type ProcessProbe } from '../../db/labOwners';
import { CONVERT_AT_START_MAX_BYTES, convertToIncremental, reclaimInBackground, storageFigures, truncateWal } from '../../db/storage';
import { discardTimeline, incompleteFinishedTimelines } from '../../db/timeline/timelineWriter';
import { TimelineStore } from '../../db/timeline/timelineStore';
import { ExperimentStore } from '../../db/experimentStore';
import { ComparisonStore } from '../../db/comparisonStore';
import { errorMessage, LabError } from './labError';
import type { Worker } from 'node:worker_threads';
import { inlineRunPreparer, WorkerRunPreparer, type RunPreparer } from './runPreparer';
import { RunQueue, WORKER_DIED, type RunWorkerSpawner } from './runQueue';
import { RunLauncher } from './runLauncher';
import { dmaModesOf } from './runDmaModes';
import { ExperimentService } from './experimentService';
import { ComparisonService } from './comparisonService';
import { labCatalog, presetDetail, presetSummary, versionImplications } from './labCatalog';
import { exportChunks, exportFileName, writeChunks, type ExportChunk, type ExportHandler, type ExportSink } from './runExport';
import { RunStillActiveError } from '../../db/runRecord';
import type { ImportRunBundleRequest, ImportRunBundleResult, ImportTraceRequest } from '../../core/contract/imports';
import { importBundleWith, queueTraceRun } from './labImports';
import { inlineBundleImporter, WorkerBundleImporter, type BundleImporter, type BundleImportWorkerData } from './runBundleImporter';
import { queryRun, type QueryProcessSpawner } from './runQuery';
import type { QueryRunRequest, QueryRunResult, SavedQuery, SavedQueryRequest } from '../../core/contract/query';
import { QueryStore } from '../../db/queryStore';
import type { ComparisonExportFile, ImportComparisonRequest, ImportComparisonResult } from '../../core/contract/comparisonExport';
import { comparisonExportFile, importComparison, parseComparisonExport } from './comparisonExport';

export interface LabServiceOptions {
  readonly dbPath: string;
  readonly spawnWorker: RunWorkerSpawner;
  readonly version: string;
  readonly nowMs?: () => number;
  /** Runs at once (an experiment's variants run in parallel up to it); default 1. */
  readonly concurrency?: number;
  /**
   * Spawns the run preparer at once and keeps run workers loaded ahead, one per free slot of
   * `concurrency` (runQueue.ts), so a run, and every variant of an experiment started at once,
   * simulates within a fraction of a second of Start (the desktop app and the browser host).
   */
  readonly warmWorkers?: boolean;
  readonly nativeBinding?: string;
  /** How this host delivers exportRun (save dialog, download URL); without one exportRun is refused. */
  readonly exportHandler?: ExportHandler;
  /**
   * Starts the worker thread that validates scenarios and plans runs, so a large one never blocks
   * other calls (the browser host and the desktop app pass one); without it they are prepared inline.
   */
  readonly spawnPreparer?: () => Worker;
  /** How owner liveness is probed (tests); default: this machine's processes. */
  readonly processProbe?: ProcessProbe;
  /** Starts a query process (runQuery.ts); default: the built one beside the built CLI, else the source through tsx. */
  readonly spawnQuery?: QueryProcessSpawner;
  /** How sbatch, squeue and scontrol are run for sweeps (tests); default: from PATH. */
  readonly schedulerShell?: SchedulerShell;
  /**
   * Starts the worker thread that imports run bundles through a connection of its own (a single
   * import, a sweep's collect), so seconds of importing never block other calls (the browser host
   * and the desktop app pass one); without it bundles are imported on this thread.
   */
  readonly spawnImporter?: (data: BundleImportWorkerData) => Worker;
}

/** How often the service looks for runs whose owner died (and resumes the queued ones). */
const ORPHAN_SWEEP_MS = 5_000;

export class LabService implements LabApi {
  private readonly db: LabDatabase;
  private readonly runs: RunStore;
  private readonly timeline: TimelineStore;
  private readonly queue: RunQueue;
  private readonly launcher: RunLauncher;
  private readonly experiments: ExperimentService;
  private readonly comparisons: ComparisonService;
  private readonly comparisonStore: ComparisonStore;
  private readonly queries: QueryStore;
  private readonly nowMs: () => number;
  private readonly preparer: RunPreparer;
  private readonly owners: OwnerStore;
  private readonly ownerId: number;
  private readonly sweepTimer: ReturnType<typeof setInterval>;
  private reclaiming: Promise<void> | null = null;
  private readonly importer: BundleImporter;
  /** The collect under way per sweep directory: a second one of the same sweep waits for it (two windows polling). */
  private readonly collecting = new Map<string, Promise<unknown>>();
  private readonly sweepMemo = new SweepCollectMemo();

  constructor(private readonly options: LabServiceOptions) {
    const preparer = options.spawnPreparer === undefined ? null : new WorkerRunPreparer(options.spawnPreparer);
    if (options.warmWorkers === true) preparer?.warm();
    this.preparer = preparer ?? inlineRunPreparer;
    this.nowMs = options.nowMs ?? Date.now;
    this.db = openLabDatabase(options.dbPath, options.nativeBinding === undefined ? {} : { nativeBinding: options.nativeBinding });
    this.owners = new OwnerStore(this.db, options.processProbe);
    this.ownerId = this.owners.register(this.nowMs());
    this.runs = new RunStore(this.db, { ownerId: this.ownerId, owners: this.owners, nowMs: this.nowMs });
    this.timeline = new TimelineStore(this.db);
    this.queue = new RunQueue(
      options.spawnWorker,
      options.dbPath,
      this.runs,
      this.nowMs,
      options.concurrency ?? 1,
      options.nativeBinding,
      options.warmWorkers === true,
    );
    this.tidyStorage();
    this.sweepOrphans();
    this.sweepTimer = setInterval(() => this.sweepOrphans(), ORPHAN_SWEEP_MS);
    this.sweepTimer.unref();
    this.launcher = new RunLauncher(this.runs, this.queue, this.nowMs);
    this.experiments = new ExperimentService(
      new ExperimentStore(this.db),
      this.launcher,
      this.nowMs,
      this.preparer,
      (runId) => this.runs.get(runId)?.metrics,
    );
    this.comparisonStore = new ComparisonStore(this.db);
    this.comparisons = new ComparisonService(this.runs, this.comparisonStore, this.nowMs);
    this.queries = new QueryStore(this.db);
    const { spawnImporter, nativeBinding } = options;
    this.importer =
      spawnImporter === undefined
        ? inlineBundleImporter(this.db)
        : new WorkerBundleImporter(spawnImporter, { dbPath: options.dbPath, ...(nativeBinding === undefined ? {} : { nativeBinding }) });
  }

  getCatalog(): Promise<LabCatalog> {
    return Promise.resolve(labCatalog(this.options.version));
  }

  listPresets(): Promise<PresetSummary[]> {
    return Promise.resolve(PRESETS.map(presetSummary));
  }

  getPreset(id: string): Promise<PresetDetail> {
    const p = findPreset(id);
    if (p === undefined) return Promise.reject(new LabError('not-found', `no preset named "${id}"`));
    return Promise.resolve(presetDetail(p));
  }

  /** The answer `pcilab explain` gives (core/run/logExplain.ts), for the Presets screen's log-line box. */
  explainLogLine(text: string): Promise<LogLineExplanation[]> {
    return Promise.resolve(explainLogLine(text.trim()));
  }

  getScenarioSchema(): Promise<unknown> {
    return Promise.resolve(scenarioJsonSchema());
  }

  getImpliedSwitches(scenario: unknown): Promise<VersionImplication[]> {
    return this.call(() => versionImplications(scenario));
  }

  async validateScenario(request: StartRunRequest): Promise<ValidationResult> {
    const [prepared] = await this.preparer.prepare([request]);
    return prepared!.ok
      ? { ok: true, problems: [], scenario: prepared!.plan.base }
      : { ok: false, problems: prepared!.problems, scenario: null };
  }

  async startRun(request: StartRunRequest): Promise<{ runId: number }> {
    const [prepared] = await this.preparer.prepare([request]);
    if (!prepared!.ok) {
      const code = prepared!.notFound === true ? 'not-found' : 'invalid-scenario';
      throw new LabError(code, prepared!.problems.join('\n'), prepared!.problems);
    }
    return { runId: this.launcher.launch(prepared!) };
  }

  cancelRun(runId: number): Promise<void> {
    if (this.queue.cancel(runId)) return Promise.resolve();
    const orphan = this.runs.orphans().find((o) => o.id === runId);
    if (orphan?.status === 'queued' && this.runs.cancelOrphan(orphan, this.nowMs())) return Promise.resolve();
    if (orphan?.status === 'running') {
      this.runs.markInterrupted(orphan);
      return Promise.reject(new LabError('conflict', `run ${runId} is not running: the process running it stopped (interrupted)`));
    }
    const busy = this.runs.busyElsewhere(runId);
    if (busy !== null) return Promise.reject(new LabError('conflict', busy));
    return Promise.reject(new LabError('conflict', `run ${runId} is not queued or running`));
  }

  getActiveRuns(): Promise<RunProgress[]> {
    return Promise.resolve(this.queue.progress());
  }

  listRuns(filter: RunFilter): Promise<RunSummary[]> {
    // Reads only: a run whose owner died shows as interrupted (computed from the owner's liveness).
    return Promise.resolve(this.runs.list(filter));
  }

  getRun(runId: number): Promise<RunDetail> {
    const run = this.runs.get(runId);
    if (run === undefined) return Promise.reject(new LabError('not-found', `no run ${runId}`));
    return Promise.resolve({ ...run, dmaModes: dmaModesOf(this.timeline, runId) });
  }

  deleteRun(runId: number): Promise<void> {
    if (this.queue.isActive(runId)) {
      return Promise.reject(new LabError('conflict', `run ${runId} is still running; cancel it first`));
    }
    const busy = this.runs.busyElsewhere(runId);
    if (busy !== null) return Promise.reject(new LabError('conflict', `${busy} first`));
    if (!this.runs.delete(runId)) return Promise.reject(new LabError('not-found', `no run ${runId}`));
    this.reclaimSpace();
    return Promise.resolve();
  }

  /** Gives the space of deleted runs back to the file system, in slices between other calls (one pass at a time). */
  private reclaimSpace(): void {
    if (this.reclaiming !== null) {
      // A pass is going: the pages this delete freed are taken by one more pass after it.
      void this.reclaiming.then(() => this.reclaimSpace());
      return;
    }
    this.reclaiming = reclaimInBackground(this.db).finally(() => {
      this.reclaiming = null;
    });
  }

  /** Resolves when space freed by deletes so far has been given back (tests, shutdown). */
  async spaceReclaimed(): Promise<void> {
    while (this.reclaiming !== null) await this.reclaiming;
  }

  /**
   * Runs whose owner died: running ones are marked interrupted, queued ones resumed in this lab.
   * Reads only when there is none (every few seconds).
   */
  private sweepOrphans(): void {
    let orphans: OrphanRun[];
    try {
      orphans = this.runs.orphans();
      for (const o of orphans) {
        if (o.status === 'running') this.runs.markInterrupted(o);
        else if (o.ownerId !== this.ownerId && this.runs.adopt(o, this.nowMs())) this.resume(o.id);
      }
    } catch {
      // A busy or broken database: the next sweep tries again.
    }
  }

  private resume(runId: number): void {
    let stored: ReturnType<RunStore['storedPlan']>;
    try {
      stored = this.runs.storedPlan(runId);
    } catch (err) {
      // Ours now: never leave it queued with nobody to run it.
      this.runs.finish(runId, 'failed', `its stored plan cannot be read (${errorMessage(err)})`, this.nowMs());
      return;
    }
    if (stored === undefined) return;
    this.queue.enqueue({
      runId,
      name: stored.name,
      durationNs: stored.durationNs,
      plan: { scenario: stored.scenario, variants: stored.variants, claims: stored.planClaims },
    });
  }

  /**
   * At start: timelines left incomplete by failed or cancelled runs go (not those of runs whose
   * worker died: kept on purpose, like an interrupted run's), dead owners' rows go, a
   * small database made before incremental auto-vacuum is converted, and the WAL is truncated.
   * Best effort: a busy or full database is tidied at a later start.
   */
  private tidyStorage(): void {
    try {
      for (const r of incompleteFinishedTimelines(this.db)) {
        if (r.status === 'cancelled' || !(r.error ?? '').startsWith(WORKER_DIED)) discardTimeline(this.db, r.runId);
      }
      this.owners.forgetDead();
      const f = storageFigures(this.db);
      if (!f.incremental && !this.db.memory && f.pages * f.pageSize <= CONVERT_AT_START_MAX_BYTES) convertToIncremental(this.db);
      truncateWal(this.db);
    } catch {
      // See above.
    }
  }

  getTimelineWindow(query: TimelineWindowQuery): Promise<TimelineWindow> {
    return this.call(() => {
      const w = this.timeline.window(query) ?? emptyWindow(query);
      return {
        runId: w.runId,
        startNs: w.startNs,
        endNs: w.endNs,
        lanes: w.lanes,
        events: w.events,
        aggregates: w.aggregates,
        truncated: w.truncated,
      };
    }, query.runId);
  }

  getTimelineSummary(runId: number): Promise<TimelineSummary> {
    return this.call(
      () =>
        this.timeline.summary(runId) ?? {
          runId,
          lanes: [],
          kinds: [],
          startNs: 0,
          endNs: 0,
          eventCount: 0,
          failureCount: 0,
          complete: false,
        },
      runId,
    );
  }

  getTimelineEvent(runId: number, seq: number): Promise<TimelineEventDetail> {
    return this.call(() => {
      const detail = this.timeline.detail(runId, seq);
      if (detail === undefined) throw new LabError('not-found', `run ${runId} has no stored event ${seq}`);
      return detail;
    }, runId);
  }

  listFailures(runId: number, limit: number): Promise<TimelineEvent[]> {
    return this.call(() => this.timeline.failures(runId, limit), runId);
  }

  createExperiment(request: ExperimentRequest): Promise<{ experimentId: number }> {
    return this.experiments.create(request);
  }

  listExperiments(): Promise<ExperimentSummary[]> {
    return this.call(() => this.experiments.list());
  }

  getExperiment(experimentId: number): Promise<ExperimentDetail> {
    return this.call(() => this.experiments.get(experimentId));
  }

  runExperiment(experimentId: number): Promise<{ runIds: number[] }> {
    return this.experiments.run(experimentId);
  }

  deleteExperiment(experimentId: number): Promise<void> {
    return this.call(() => this.experiments.delete(experimentId));
  }

  getSweepSupport(): Promise<SweepSupport> {
    return this.call(() => ({ slurm: onPath('sbatch') }));
  }

  /** As `pcilab experiment submit ID --slurm` (electron/cli/experiment.ts), into the default sweep directory. */
  async submitExperimentSweep(experimentId: number, options: SweepSubmitOptions): Promise<SweepStatus> {
    const dir = await this.call(() => {
      const experiment = new ExperimentStore(this.db).get(experimentId);
      if (experiment === undefined) throw new LabError('not-found', `no experiment ${experimentId}`);
      const now = this.nowMs();
      const dir = defaultSweepDir(this.options.dbPath, experimentId, now);
      const manifest = newManifest(experiment, 'slurm', this.options.version, now, { partition: options.partition, time: options.time });
      submitSlurmSweep(dir, manifest, this.options.schedulerShell ?? systemShell, now);
      return dir;
    });
    return this.collect(dir);
  }

  /** As `pcilab experiment collect ID`: one look at the experiment's newest sweep, its bundles imported off this thread. */
  async collectExperimentSweep(experimentId: number): Promise<SweepStatus | null> {
    const dir = await this.call(() => latestSweepDir(this.options.dbPath, experimentId));
    return dir === null ? null : this.collect(dir);
  }

  /** As `pcilab experiment collect ID --retry`, once: the failed variants of the newest Slurm sweep as one new job array. */
  async retryExperimentSweep(experimentId: number): Promise<SweepStatus> {
    const dir = await this.call(() => latestSweepDir(this.options.dbPath, experimentId));
    if (dir === null) throw new LabError('not-found', `experiment ${experimentId} has no sweep to retry`);
    const before = await this.collect(dir);
    // A local sweep's tasks run in the process that retries them: the CLI's collect --retry, not this service.
    if (before.scheduler !== 'slurm') {
      throw new LabError(
        'invalid-argument',
        `the sweep in ${dir} ran on local workers: retry it with \`pcilab experiment collect ${dir} --retry\``,
      );
    }
    const failed = before.variants.filter((v) => v.state === 'failed').map((v) => v.index);
    if (failed.length === 0) throw new LabError('conflict', `no variant of the sweep in ${dir} has failed: nothing to retry`);
    await this.call(() => retrySweep(dir, failed, this.options.schedulerShell ?? systemShell, this.nowMs()));
    return this.collect(dir);
  }

  /**
   * One look at the sweep in `dir`, after any look of the same sweep under way (one import of each
   * bundle, one execution); a failed task's state carries the end of its log.
   */
  private collect(dir: string): Promise<SweepStatus> {
    const before = this.collecting.get(dir) ?? Promise.resolve();
    const look = before
      .catch(() => undefined)
      .then(() =>
        collectSweepWith(
          this.db,
          dir,
          this.options.schedulerShell ?? systemShell,
          this.nowMs,
          (path) => this.importer.importFile(path),
          this.sweepMemo,
        ),
      );
    this.collecting.set(dir, look);
    const forget = (): void => {
      if (this.collecting.get(dir) === look) this.collecting.delete(dir);
    };
    look.then(forget, forget);
    return look.then(withLogTails);
  }

  compareRuns(runIds: number[]): Promise<RunComparison> {
    return this.call(() => this.comparisons.compare(runIds));
  }

  saveComparison(request: SavedComparisonRequest): Promise<{ comparisonId: number }> {
    return this.call(() => this.comparisons.save(request));
  }

  listComparisons(): Promise<SavedComparisonSummary[]> {
    return this.call(() => this.comparisons.list());
  }

  getComparison(comparisonId: number): Promise<SavedComparison> {
    return this.call(() => this.comparisons.get(comparisonId));
  }

  deleteComparison(comparisonId: number): Promise<void> {
    return this.call(() => this.comparisons.delete(comparisonId));
  }

  /** A saved comparison as a file (core/contract/comparisonExport.ts): its runs' references, its table and the saved queries. */
  exportComparison(comparisonId: number): Promise<ComparisonExportFile> {
    return this.call(() =>
      comparisonExportFile(
        {
          db: this.db,
          runs: this.runs,
          comparisons: this.comparisons,
          queries: this.queries,
          labVersion: this.options.version,
          nowMs: this.nowMs(),
        },
        comparisonId,
      ),
    );
  }

  /** Saves an exported comparison over this lab's copies of its runs and adds the saved queries it lacks. */
  importComparison(request: ImportComparisonRequest): Promise<ImportComparisonResult> {
    return this.call(() => {
      const doc = parseComparisonExport(request.text, request.fileName);
      return importComparison(
        { db: this.db, comparisons: this.comparisonStore, queries: this.queries, nowMs: this.nowMs() },
        doc,
        request.fileName,
      );
    });
  }

  async exportRun(runId: number, format: ExportFormat): Promise<ExportResult> {
    const run = this.runs.get(runId);
    if (run === undefined) throw new LabError('not-found', `no run ${runId}`);
    if (format === 'bundle' && (run.status === 'queued' || run.status === 'running')) {
      throw new LabError('conflict', `run ${runId} is ${run.status}; export it when it has finished`);
    }
    const handler = this.options.exportHandler;
    if (handler === undefined) throw new LabError('conflict', 'this host cannot save files; use `pcilab export`');
    return handler({ runId, format, fileName: exportFileName(run, format) }, (sink) => this.writeExport(runId, format, sink));
  }

  /** Imports off this thread when the host gave an import worker (spawnImporter): other calls answer meanwhile. */
  importRunBundle(request: ImportRunBundleRequest): Promise<ImportRunBundleResult> {
    return importBundleWith(this.importer, request);
  }

  importTrace(request: ImportTraceRequest): Promise<{ runId: number }> {
    return queueTraceRun(this.preparer, this.launcher, request);
  }

  /** Streams an export of the run into `sink` (host-neutral); resolves to the bytes written. */
  async writeExport(runId: number, format: ExportFormat, sink: ExportSink): Promise<number> {
    if (format === 'bundle') return this.writeBundle(runId, sink);
    const chunks = exportChunks(this.db, runId, format);
    if (chunks === undefined) throw new LabError('not-found', `no run ${runId}`);
    return writeChunks(chunks, sink);
  }

  /** A bundle reads its events with one statement: through a read-only connection of its own, so other calls go on meanwhile. */
  private async writeBundle(runId: number, sink: ExportSink): Promise<number> {
    const { dbPath, nativeBinding } = this.options;
    const db = openLabDatabase(dbPath, { readonly: true, ...(nativeBinding === undefined ? {} : { nativeBinding }) });
    try {
      let chunks: Iterable<ExportChunk> | undefined;
      try {
        chunks = exportChunks(db, runId, 'bundle', { labVersion: this.options.version, nowMs: this.nowMs() });
      } catch (err) {
        throw err instanceof RunStillActiveError ? new LabError('conflict', err.message) : err;
      }
      if (chunks === undefined) throw new LabError('not-found', `no run ${runId}`);
      return await writeChunks(chunks, sink);
    } finally {
      db.close();
    }
  }

  /**
   * Read-only SQL over one run's views (db/runQuery.ts), in a query process killed at `timeoutMs`:
   * columns, at most `maxRows` rows and whether more were cut off. Rejects with 'invalid-argument'
   * (bad request, not one SELECT, SQLite's error, time-out) or 'not-found'. LabApi's queryRun
   * passes no options (the defaults: 1,000 rows, 10 s).
   */
  queryRun(runId: number, sql: string, options: Pick<QueryRunRequest, 'maxRows' | 'timeoutMs'> = {}): Promise<QueryRunResult> {
    return queryRun(
      { runId, sql, ...options },
      {
        dbPath: this.options.dbPath,
        ...(this.options.nativeBinding === undefined ? {} : { nativeBinding: this.options.nativeBinding }),
        ...(this.options.spawnQuery === undefined ? {} : { spawn: this.options.spawnQuery }),
      },
    );
  }

  saveQuery(request: SavedQueryRequest): Promise<{ queryId: number }> {
    return this.call(() => ({ queryId: this.queries.create(request, this.nowMs()) }));
  }

  listQueries(): Promise<SavedQuery[]> {
    return this.call(() => this.queries.list());
  }

  deleteQuery(queryId: number): Promise<void> {
    return this.call(() => {
      if (!this.queries.delete(queryId)) throw new LabError('not-found', `no saved query ${queryId}`);
    });
  }

  /** Runs a synchronous service call as a promise; with `runId`, the run must exist. */
  private call<T>(fn: () => T, runId?: number): Promise<T> {
    try {
      if (runId !== undefined && !this.runs.exists(runId)) throw new LabError('not-found', `no run ${runId}`);
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Waits for every queued and running run, and every running bisect, to finish (tests, shutdown). */
  async idle(): Promise<void> {
    await this.experiments.idle();
    await this.queue.idle();
  }

  close(): void {
    clearInterval(this.sweepTimer);
    this.experiments.close();
    this.preparer.dispose();
    this.importer.dispose();
    void this.queue.dispose();
    try {
      // Runs still queued here are resumed by the next lab to start; running ones read as interrupted.
      this.owners.release(this.ownerId);
    } catch {
      // A broken database: the row names a process that is ending, which reads as dead.
    }
    this.db.close();
  }
}

function emptyWindow(query: TimelineWindowQuery): TimelineWindow {
  return { runId: query.runId, startNs: query.startNs, endNs: query.endNs, lanes: [], events: [], aggregates: [], truncated: false };
}
