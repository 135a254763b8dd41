// The one typed API between the renderer (or any client) and the lab service. Electron's preload
// exposes one method per entry of LAB_API_METHODS over IPC; the browser host bridges the same
// methods over HTTP. Arguments are validated in the main process (see apiSchemas.ts).
// Must not: import runtime code; the renderer imports this file for types only.

import type { RunDetail, RunProgress, RunSummary } from './runResult';
import type { TimelineWindow, TimelineWindowQuery } from './timeline';
import type { LabCatalog, PresetDetail, PresetSummary, ValidationResult } from './catalog';

export interface StartRunRequest {
  /** A scenario object (already parsed from JSON or YAML) or a scenario file's text. */
  readonly scenario?: unknown;
  readonly scenarioText?: string;
  /** Or the name of a shipped preset. */
  readonly preset?: string;
  /** `a.b.c=value` overrides applied before validation, as `pcilab run --set`. */
  readonly overrides?: readonly string[];
  readonly seed?: number;
}

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
  validateScenario(request: StartRunRequest): Promise<ValidationResult>;
  startRun(request: StartRunRequest): Promise<{ runId: number }>;
  cancelRun(runId: number): Promise<void>;
  getActiveRuns(): Promise<RunProgress[]>;
  listRuns(filter: RunFilter): Promise<RunSummary[]>;
  getRun(runId: number): Promise<RunDetail>;
  deleteRun(runId: number): Promise<void>;
  getTimelineWindow(query: TimelineWindowQuery): Promise<TimelineWindow>;
}

export type LabApiMethod = keyof LabApi;

/** Every method, in a fixed order: the preload exposes exactly these, the bridges accept exactly these. */
export const LAB_API_METHODS = [
  'getCatalog',
  'listPresets',
  'getPreset',
  'getScenarioSchema',
  'validateScenario',
  'startRun',
  'cancelRun',
  'getActiveRuns',
  'listRuns',
  'getRun',
  'deleteRun',
  'getTimelineWindow',
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
  readonly code: 'invalid-argument' | 'invalid-scenario' | 'not-found' | 'conflict' | 'internal';
  readonly message: string;
  /** For invalid input: one `path: message` per problem. */
  readonly problems?: readonly string[];
}

export type LabApiResponse<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: LabApiFailure };
