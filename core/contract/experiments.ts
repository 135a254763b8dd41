// Experiments (a base scenario and its variants, each run as an ordinary run), as the renderer and
// the CLI see them. Plain data shapes only.
// Must not: import anything but other contract types.

import type { StartRunRequest } from './runRequest';
import type { RunStatus } from './runResult';

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
