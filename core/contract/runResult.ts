// What a run produces, as every host and the renderer see it.
// Must not: import anything but other contract types and the simulator's plain data shapes (CounterSeries).

/** One step of an ops script: the call, whether it succeeded, its symbolic error and its output. */
export interface OpResult {
  readonly op: string;
  readonly ok: boolean;
  /** Symbolic error name (EINVAL, ENOSPC, H_PARAMETER, RTAS_PARAM_ERROR, IOVA_ERR_OVERLAP...) or null. */
  readonly errno: string | null;
  /** The call's output; numbers where exact, hex strings above 2^53. */
  readonly ret: unknown;
}

export interface ClaimResult {
  readonly id: string;
  readonly text: string;
  readonly holds: boolean;
  /** What the model measured, as a number (a ratio, a count...). */
  readonly measured: number | null;
  /** The metric a metric claim measures ("io.iops", "lazy:vfio.entriesPeak"); absent for step claims. */
  readonly metric?: string;
  /** The denominator metric when the claim is about the ratio metric / per. */
  readonly per?: string;
  /**
   * Unit of `measured` for a metric claim, from the metric catalog ("us", "IO/s"; "" when the
   * catalog gives none); for a ratio "<metric unit> per <per unit>"; "value" for a step claim (the
   * step's output, as the catalog names op outputs). Absent in runs stored before the database kept it (schema v4).
   */
  readonly unit?: string;
  /** How the measured value was judged, e.g. ">= 0.9 (tolerance 0.1)". */
  readonly expectation: string;
  /** Where the claim comes from (reference thread). */
  readonly source: string;
  /** Why the model does not reproduce it, when it does not. */
  readonly note?: string;
}

export type { CounterSeries } from '../sim/counterSampler';
import type { LimitsAnswer } from './limitsAnswer';
import type { CounterSeries } from '../sim/counterSampler';

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';

/** The result of simulating one scenario to completion (before it is stored). */
export interface RunResult {
  readonly metrics: Readonly<Record<string, number>>;
  readonly ops: readonly OpResult[];
  readonly claims: readonly ClaimResult[];
  readonly counters: readonly CounterSeries[];
  readonly timelineHash: string;
  readonly simulatedNs: number;
}

export interface RunSummary {
  readonly id: number;
  readonly name: string;
  readonly preset: string | null;
  readonly status: RunStatus;
  readonly seed: number;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly eventCount: number;
  readonly timelineHash: string | null;
  readonly error: string | null;
  readonly claimsHeld: number;
  readonly claimsTotal: number;
}

/**
 * The DMA mode a guest DMA domain ran in (its dma.mode timeline event, at the domain's creation):
 * strict, lazy or lazy-single, and why, e.g. Linux forcing strict under intel-iommu caching mode.
 */
export interface DmaModeInfo {
  /** The domain's timeline lane ("dma.vm0.nvme0", with its variant's prefix in a run with variants). */
  readonly lane: string;
  readonly mode: string;
  readonly why: string;
  /** Linux chose it against the default or the setting (caching mode, no deferred flush). */
  readonly forced: boolean;
}

export interface RunDetail extends RunSummary {
  /** The validated (base) scenario, with every default filled in. */
  readonly scenario: unknown;
  /** The variants the run compared (each the base with overrides); empty for a plain scenario. */
  readonly variants: readonly { readonly name: string; readonly description: string; readonly set: readonly string[] }[];

  readonly metrics: Readonly<Record<string, number>>;
  readonly ops: readonly OpResult[];
  readonly claims: readonly ClaimResult[];
  readonly counters: readonly CounterSeries[];
  readonly simulatedNs: number;
  /**
   * The DMA mode of each guest DMA domain, read from the stored timeline by getRun (absent where a
   * run is read another way; empty without a timeline or without dma-iommu domains).
   */
  readonly dmaModes?: readonly DmaModeInfo[];
  /** The "Memlock & VFIO entries" answer per variant, read from the limits.* metrics (empty for runs stored before them). */
  readonly limits: readonly LimitsAnswer[];
}

/** What a run is doing: waiting, simulating, storing its timeline, or over (see status). */
export type RunPhase = 'queued' | 'simulating' | 'storing' | 'finished';

/** Live progress of a run, as the renderer polls it. */
export interface RunProgress {
  readonly runId: number;
  readonly name: string;
  readonly status: RunStatus;
  readonly phase: RunPhase;
  readonly simulatedNs: number;
  readonly durationNs: number;
  /** Simulation events processed so far. */
  readonly events: number;
  /** Simulation events per wall second while simulating; timeline rows per second while storing. */
  readonly eventsPerSecond: number;
  /** Timeline events to store (known once storing starts, else 0) and stored so far. */
  readonly timelineEvents: number;
  readonly storedEvents: number;
  /** Estimated wall time left in the current phase, ms; null until it can be estimated. */
  readonly etaMs: number | null;
  readonly error: string | null;
}
