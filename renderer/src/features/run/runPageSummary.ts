// What the run page leads with, and the states it shows, worked out from the stored run and its
// live progress: the few metrics that matter (the headline IO figures and every metric a claim
// measures), the status shown (live only while the run is active, so a finished run never shows
// "completed" before its stored result, with its wall time, has been read), the wall time, and an
// experiment variant's status (live first, so a row never says "queued" while its run simulates).
// Must not: fetch anything or format numbers (the components do).

import type { RunDetail, RunProgress, RunStatus } from '../../../../core/contract/runResult';
import { isActive } from './progressEstimate';
import { splitVariant } from './metricTable';

/** Shown for every run that has them, before the metrics its claims measure. */
export const HEADLINE_METRICS = ['io.iops', 'io.bandwidthMBps', 'io.latencyP99Us', 'io.errors'] as const;
/** At most this many key metrics (the full table holds them all). */
export const MAX_KEY_METRICS = 8;

/** Metric names (without a variant prefix) the run page shows first, present in the run. */
export function keyMetricNames(run: Pick<RunDetail, 'metrics' | 'claims'>): string[] {
  const present = new Set(Object.keys(run.metrics).map((n) => splitVariant(n).local));
  const fromClaims = run.claims.flatMap((c) =>
    [c.metric, c.per].filter((m): m is string => m !== undefined).map((m) => splitVariant(m).local),
  );
  const names = [...new Set([...HEADLINE_METRICS, ...fromClaims])].filter((n) => present.has(n));
  return names.slice(0, MAX_KEY_METRICS);
}

/** The status the run page shows: the live one only while the run is queued or running. */
export function shownStatus(run: Pick<RunDetail, 'status'>, live: Pick<RunProgress, 'status'> | undefined): RunStatus {
  return live !== undefined && isActive(live.status) ? live.status : run.status;
}

/** The wall time line: the run's own, "not finished" only while it is active. */
export function wallTimeText(
  run: Pick<RunDetail, 'createdAt' | 'finishedAt'>,
  status: RunStatus,
  formatWallMs: (ms: number) => string,
): string {
  if (run.finishedAt !== null) return formatWallMs(Date.parse(run.finishedAt) - Date.parse(run.createdAt));
  return isActive(status) ? 'not finished' : 'unknown (the run ended without a finish time)';
}

/** An experiment variant's status: its run's live status when the lab is running it, else the stored one. */
export function variantStatus(stored: RunStatus | null, live: Pick<RunProgress, 'status'> | undefined): RunStatus | null {
  if (stored === null) return null;
  return live?.status ?? stored;
}
