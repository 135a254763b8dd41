// Comparisons of stored runs (metrics side by side, configuration differences) and saved
// comparisons, as the renderer and the CLI see them. Plain data shapes only.
// Must not: import anything but other contract types.

import type { ClaimResult, CounterSeries, RunStatus } from './runResult';

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
