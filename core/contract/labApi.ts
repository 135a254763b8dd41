// The one typed API between the renderer (or any client) and the lab service. Electron's preload
// exposes one method per entry of LAB_API_METHODS over IPC; the browser host bridges the same
// methods over HTTP. Arguments are validated in the main process (see apiSchemas.ts).
// Must not: import runtime code; the renderer imports this file for types only.

import type { RunDetail, RunProgress, RunSummary } from './runResult';
import type { TimelineEvent, TimelineEventDetail, TimelineSummary, TimelineWindow, TimelineWindowQuery } from './timeline';

import type { LabCatalog, PresetDetail, PresetSummary, ValidationResult, VersionImplication } from './catalog';
import type { RunComparison, SavedComparison, SavedComparisonRequest, SavedComparisonSummary } from './comparison';
import type { ExperimentDetail, ExperimentRequest, ExperimentSummary, SweepStatus, SweepSubmitOptions, SweepSupport } from './experiments';
import type { ExportFormat, ExportResult } from './export';
import type { ImportRunBundleRequest, ImportRunBundleResult, ImportTraceRequest } from './imports';
import type { StartRunRequest } from './runRequest';
import type { QueryRunResult, SavedQuery, SavedQueryRequest } from './query';
import type { ComparisonExportFile, ImportComparisonRequest, ImportComparisonResult } from './comparisonExport';
import type { LogLineExplanation } from './logExplanation';

export type { StartRunRequest } from './runRequest';

export interface RunFilter {
  readonly text?: string;
  readonly status?: string;
  readonly limit?: number;
}

export interface LabApi {
  getCatalog(): Promise<LabCatalog>;
  listPresets(): Promise<PresetSummary[]>;
  getPreset(id: string): Promise<PresetDetail>;
  getScenarioSchema(): Promise<unknown>;
  /** The switches a scenario's versions imply (a raw scenario object, as the configurator edits it, or a run's). */
  getImpliedSwitches(scenario: unknown): Promise<VersionImplication[]>;
  validateScenario(request: StartRunRequest): Promise<ValidationResult>;
  startRun(request: StartRunRequest): Promise<{ runId: number }>;
  cancelRun(runId: number): Promise<void>;
  getActiveRuns(): Promise<RunProgress[]>;
  listRuns(filter: RunFilter): Promise<RunSummary[]>;
  getRun(runId: number): Promise<RunDetail>;
  deleteRun(runId: number): Promise<void>;
  getTimelineWindow(query: TimelineWindowQuery): Promise<TimelineWindow>;
  getTimelineSummary(runId: number): Promise<TimelineSummary>;
  getTimelineEvent(runId: number, seq: number): Promise<TimelineEventDetail>;
  /** Failure-kind events in time order (the inspector's "jump to failures"). */
  listFailures(runId: number, limit: number): Promise<TimelineEvent[]>;
  createExperiment(request: ExperimentRequest): Promise<{ experimentId: number }>;
  listExperiments(): Promise<ExperimentSummary[]>;
  getExperiment(experimentId: number): Promise<ExperimentDetail>;
  /** Starts one run per variant (a new execution); progress through getActiveRuns. */
  runExperiment(experimentId: number): Promise<{ runIds: number[] }>;
  deleteExperiment(experimentId: number): Promise<void>;
  /** Whether this lab can submit sweeps to Slurm (sbatch on PATH). */
  getSweepSupport(): Promise<SweepSupport>;
  /** Submits one Slurm job array task per variant into a new sweep directory (docs/cluster.md); its first state. */
  submitExperimentSweep(experimentId: number, options: SweepSubmitOptions): Promise<SweepStatus>;
  /** Collects the experiment's newest sweep once: states, and its arrived bundles imported as the experiment's runs; null when it has none. */
  collectExperimentSweep(experimentId: number): Promise<SweepStatus | null>;
  /** Resubmits the failed variants of the experiment's newest Slurm sweep as one new job array of just those tasks; its state then. */
  retryExperimentSweep(experimentId: number): Promise<SweepStatus>;
  compareRuns(runIds: number[]): Promise<RunComparison>;
  saveComparison(request: SavedComparisonRequest): Promise<{ comparisonId: number }>;
  listComparisons(): Promise<SavedComparisonSummary[]>;
  getComparison(comparisonId: number): Promise<SavedComparison>;
  deleteComparison(comparisonId: number): Promise<void>;
  /** A saved comparison as a file: its runs' references, its table and the lab's saved queries (comparisonExport.ts). */
  exportComparison(comparisonId: number): Promise<ComparisonExportFile>;
  /** Saves an exported comparison over this lab's copies of its runs (at least two) and adds the saved queries it lacks. */
  importComparison(request: ImportComparisonRequest): Promise<ImportComparisonResult>;
  exportRun(runId: number, format: ExportFormat): Promise<ExportResult>;
  /** One read-only SQL statement over the run's views (LabCatalog.query lists them), row cap and time limit the defaults'. */
  queryRun(runId: number, sql: string): Promise<QueryRunResult>;
  saveQuery(request: SavedQueryRequest): Promise<{ queryId: number }>;
  /** Saved queries, newest first. */
  listQueries(): Promise<SavedQuery[]>;
  deleteQuery(queryId: number): Promise<void>;
  /** Adds a portable run bundle as a new run (or names the run already holding its content); refuses a bad one naming the file. */
  importRunBundle(request: ImportRunBundleRequest): Promise<ImportRunBundleResult>;
  /** Queues a run that replays a real trace on a host (as `pcilab import-trace`); its events show on the run's timeline. */
  importTrace(request: ImportTraceRequest): Promise<{ runId: number }>;
  /** A pasted kernel or QEMU log line explained: every matching mechanism, most specific first (empty: none known). */
  explainLogLine(text: string): Promise<LogLineExplanation[]>;
}

export type LabApiMethod = keyof LabApi;

/** Every method, in a fixed order: the preload exposes exactly these, the bridges accept exactly these. */
export const LAB_API_METHODS = [
  'getCatalog',
  'listPresets',
  'getPreset',
  'getScenarioSchema',
  'getImpliedSwitches',
  'validateScenario',
  'startRun',
  'cancelRun',
  'getActiveRuns',
  'listRuns',
  'getRun',
  'deleteRun',
  'getTimelineWindow',
  'getTimelineSummary',
  'getTimelineEvent',
  'listFailures',
  'createExperiment',
  'listExperiments',
  'getExperiment',
  'runExperiment',
  'deleteExperiment',
  'getSweepSupport',
  'submitExperimentSweep',
  'collectExperimentSweep',
  'retryExperimentSweep',
  'compareRuns',
  'saveComparison',
  'listComparisons',
  'getComparison',
  'deleteComparison',
  'exportComparison',
  'importComparison',
  'exportRun',
  'queryRun',
  'saveQuery',
  'listQueries',
  'deleteQuery',
  'importRunBundle',
  'importTrace',
  'explainLogLine',
] as const satisfies readonly LabApiMethod[];

/** Compile-time check that LAB_API_METHODS lists every method of LabApi. */
type MissingMethods = Exclude<LabApiMethod, (typeof LAB_API_METHODS)[number]>;
export const LAB_API_COMPLETE: MissingMethods extends never ? true : never = true;

/** IPC channel of a method: one channel per method, prefixed. */
export function ipcChannelOf(method: LabApiMethod): string {
  return `pcilab:${method}`;
}

/** The failure shape carried across IPC and HTTP; clients rethrow it as an error. */
export interface LabApiFailure {
  /** 'unauthorized': the browser host refused a call without its session (see electron/serve/accessGate.ts). */
  readonly code: 'invalid-argument' | 'invalid-scenario' | 'not-found' | 'conflict' | 'unauthorized' | 'internal';
  readonly message: string;
  /** For invalid input: one `path: message` per problem. */
  readonly problems?: readonly string[];
}

export type LabApiResponse<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: LabApiFailure };
