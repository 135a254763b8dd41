// Experiments (a base scenario and its variants, each run as an ordinary run; or a version bisect:
// the base across ordered releases, naming the first whose outcome changes), as the renderer and
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

/** How an outcome is compared: with a comparison the outcome is 1 when it holds, else 0. */
export type OutcomeOp = '>' | '>=' | '<' | '<=' | '==' | '!=';

/** What a bisect watches in each run: a metric's value, or whether it compares as given. */
export interface BisectOutcome {
  /** A metric of the catalog (without the variant prefix: `variant` chooses it). */
  readonly metric: string;
  readonly op?: OutcomeOp;
  readonly value?: number;
}

/** A version sweep: the base scenario at each version of one version field. */
export interface BisectSpec {
  /** The version field: host.qemu.version, host.kernelVersion or vms.N.guest.kernelVersion. */
  readonly path: string;
  /** Releases, oldest first (at least two). */
  readonly versions: readonly string[];
  readonly outcome: BisectOutcome;
  /** For a preset with variants: the one variant to run (its metrics are read). */
  readonly variant?: string;
  /** Run every version instead of halving. */
  readonly all?: boolean;
}

export type ExperimentKind = 'variants' | 'bisect';

export interface ExperimentRequest {
  readonly name: string;
  /** 'variants' (default): variants and a grid; 'bisect': `bisect` over versions. */
  readonly kind?: ExperimentKind;
  readonly bisect?: BisectSpec;
  /** The base scenario: a scenario object, a scenario file's text or a preset (overrides apply to the base). */
  readonly base: StartRunRequest;
  readonly variants?: readonly ExperimentVariantSpec[];
  readonly grid?: readonly ExperimentGridAxis[];
}

export interface ExperimentSummary {
  readonly id: number;
  readonly name: string;
  readonly kind: ExperimentKind;
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

/** One version a bisect ran, in version order. */
export interface BisectStepDetail {
  readonly version: string;
  readonly runId: number | null;
  readonly status: RunStatus | null;
  /** The metric's value, or 1 / 0 with a comparison; null until the run completed. */
  readonly outcome: number | null;
}

export type BisectState = 'not-run' | 'running' | 'done' | 'stopped';

export interface BisectDetail {
  readonly spec: BisectSpec;
  /** Of the latest execution: 'stopped' when a run did not complete (see `error`). */
  readonly state: BisectState;
  readonly error: string | null;
  /** The first version whose outcome differs from the oldest's; null when none (or not done). */
  readonly firstChange: string | null;
  readonly before: number | null;
  readonly after: number | null;
  readonly steps: readonly BisectStepDetail[];
}

export interface ExperimentDetail extends ExperimentSummary {
  /** For a bisect: one per version of the spec (none has run yet until executed). */
  readonly variants: readonly ExperimentVariantDetail[];
  readonly bisect?: BisectDetail;
}

/** A sweep's variant as collect sees it (docs/cluster.md): its bundle imported (done), or what the scheduler says. */
export type SweepVariantState = 'pending' | 'running' | 'done' | 'failed';

export interface SweepVariantStatus {
  readonly index: number;
  readonly name: string;
  readonly state: SweepVariantState;
  /** The lab's run of this variant once its bundle is imported. */
  readonly runId: number | null;
  /** How the bundle went in this collect: imported now, or already in the lab (found by content hash). */
  readonly imported: 'imported' | 'duplicate' | null;
  readonly exitCode: number | null;
  readonly signal: number | null;
  /** Why it waits or failed, in words (Slurm's state and reason, a refused bundle...). */
  readonly reason: string | null;
  /** The task's log (absolute path), from its latest attempt. */
  readonly log: string;
  /** For a failed variant in the app: the last lines of its log (or why there are none); the CLI prints the path only. */
  readonly logTail?: string;
  /** 1 for the first submission, 2 after one retry, ... */
  readonly attempt: number;
  /** Slurm's array job id of the latest attempt (null for local workers). */
  readonly arrayJobId: number | null;
}

export interface SweepStatus {
  /** The sweep's shared directory (absolute). */
  readonly dir: string;
  readonly scheduler: 'slurm' | 'local';
  readonly experimentId: number;
  readonly experimentName: string;
  readonly variants: readonly SweepVariantStatus[];
  readonly counts: Readonly<Record<SweepVariantState, number>>;
}

/** What the lab can sweep on from this machine: Slurm when sbatch is on PATH. */
export interface SweepSupport {
  readonly slurm: boolean;
}

/** Options of a Slurm submission from the app (sbatch --partition, --time). */
export interface SweepSubmitOptions {
  readonly partition?: string;
  readonly time?: string;
}
