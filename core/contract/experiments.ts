// Experiments, comparisons, exports and the timeline's detail views, as the renderer and the CLI
// see them. Plain data shapes only.
// Must not: import anything but other contract types.

import type { StartRunRequest } from './runRequest';
import type { ClaimResult, CounterSeries, RunStatus } from './runResult';
import type { TimelineEvent, TimelineKindInfo, TimelineLaneInfo } from './timeline';

/** One variant of an experiment: the base scenario with `--set` overrides. */
export interface ExperimentVariantSpec {
  readonly name: string;
  readonly set: readonly string[];
}

/** A parameter grid: every combination of the values becomes a variant. */
export interface ExperimentGridAxis {
  /** Dotted scenario path, as `--set` takes it. */
  readonly path: string;
  readonly values: readonly unknown[];
}

export interface ExperimentRequest {
  readonly name: string;
  /** The base scenario: a scenario object, a scenario file's text or a preset (overrides apply to the base). */
  readonly base: StartRunRequest;
  readonly variants?: readonly ExperimentVariantSpec[];
  readonly grid?: readonly ExperimentGridAxis[];
}

export interface ExperimentSummary {
  readonly id: number;
  readonly name: string;
  readonly createdAt: string;
  readonly variantCount: number;
  /** The base scenario request (a preset name, or the scenario object or file text, with its overrides). */
  readonly base: StartRunRequest;
  /** Runs of the latest execution by status. */
  readonly runs: Readonly<Partial<Record<RunStatus, number>>>;
}

export interface ExperimentVariantDetail {
  readonly name: string;
  readonly set: readonly string[];
  /** The run of the latest execution, when the experiment has run. */
  readonly runId: number | null;
  readonly status: RunStatus | null;
}

export interface ExperimentDetail extends ExperimentSummary {
  readonly variants: readonly ExperimentVariantDetail[];
}

export interface ComparedRun {
  readonly id: number;
  readonly name: string;
  readonly status: RunStatus;
  readonly metrics: Readonly<Record<string, number>>;
  readonly counters: readonly CounterSeries[];
  readonly claims: readonly ClaimResult[];
}

export interface MetricRow {
  readonly name: string;
  readonly unit: string;
  /** One value per compared run (null when a run lacks the metric). */
  readonly values: readonly (number | null)[];
  /** True when the values differ by more than 1 % of the largest (or one is missing). */
  readonly differs: boolean;
}

export interface ConfigDifference {
  /** Dotted scenario path. */
  readonly path: string;
  /** The value in each compared run's scenario (JSON), null when absent. */
  readonly values: readonly (string | null)[];
}

export interface RunComparison {
  readonly runs: readonly ComparedRun[];
  readonly metrics: readonly MetricRow[];
  readonly config: readonly ConfigDifference[];
}

export interface SavedComparisonRequest {
  readonly name: string;
  readonly runIds: readonly number[];
  /** Metrics and counters the view showed; empty = all. */
  readonly metrics?: readonly string[];
  readonly counters?: readonly string[];
  /** The view's toggles, restored on reopen. */
  readonly view?: ComparisonViewState;
}

/** The comparison view's toggles when it was saved (absent = off). */
export interface ComparisonViewState {
  readonly onlyDifferences?: boolean;
}

export interface SavedComparisonSummary {
  readonly id: number;
  readonly name: string;
  readonly createdAt: string;
  readonly runIds: readonly number[];
}

export interface SavedComparison extends SavedComparisonSummary {
  readonly metrics: readonly string[];
  readonly counters: readonly string[];
  readonly view: ComparisonViewState;
  /** Recomputed from the store on every open, over the runs that still exist. */
  readonly comparison: RunComparison;
  /** Runs of the comparison that were deleted since it was saved (left out of `comparison`). */
  readonly missingRunIds: readonly number[];
}

export type ExportFormat = 'perfetto' | 'csv' | 'json';

/**
 * The desktop app saves through a file dialog; the browser host answers with a same-origin download
 * URL (GET, valid for a few minutes) that the renderer opens to start the download.
 */
export type ExportResult =
  | { readonly kind: 'saved'; readonly path: string; readonly bytes: number }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'download'; readonly url: string; readonly fileName: string };

export interface TimelineSummary {
  readonly runId: number;
  readonly lanes: readonly TimelineLaneInfo[];
  readonly kinds: readonly TimelineKindInfo[];
  readonly startNs: number;
  readonly endNs: number;
  readonly eventCount: number;
  readonly failureCount: number;
  /**
   * False when the run stopped while its timeline was being stored (its process died): windows
   * then come back as raw events only, and lookups of events that were not stored find nothing.
   */
  readonly complete: boolean;
}

export interface TimelineEventDetail {
  readonly event: TimelineEvent;
  /** The events that led to this one, nearest first (the "why" of a failure). */
  readonly causeChain: readonly TimelineEvent[];
  /** Events this one caused (at most 50, in seq order). */
  readonly effects: readonly TimelineEvent[];
  /** How many events this one caused in all. */
  readonly effectCount: number;
}
