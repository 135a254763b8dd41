// Rates of a running run as the progress bar shows them: how far the current phase is (simulated
// time while simulating, timeline rows while storing), events (or rows) per second, and the wall
// time left. The lab reports rate and ETA; when it cannot estimate the ETA yet (or a host leaves a
// field out), they are derived here from two successive polls.
// Must not: invent a number before two polls exist (null means "not known yet").

import type { RunProgress } from '../../../../core/contract/runResult';

export interface ProgressSample {
  readonly atMs: number;
  readonly simulatedNs: number;
  readonly events: number;
  readonly storedEvents: number;
}

export interface ProgressEstimate {
  /** Done share of the current phase, 0..1. */
  readonly fraction: number;
  readonly eventsPerSecond: number | null;
  readonly etaMs: number | null;
  /** True when a rate or the ETA was derived in the renderer from successive polls. */
  readonly derived: boolean;
  /** "queued", "simulating", "storing", "finished" (the run's status when a host gives no phase). */
  readonly phase: string;
}

function finite(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function sampleOf(p: RunProgress, atMs: number): ProgressSample {
  return { atMs, simulatedNs: p.simulatedNs, events: p.events, storedEvents: finite(p.storedEvents) ?? 0 };
}

export function estimateProgress(p: RunProgress, previous: ProgressSample | undefined, nowMs: number): ProgressEstimate {
  const phase = typeof p.phase === 'string' ? p.phase : p.status;
  const storing = phase === 'storing' && (finite(p.timelineEvents) ?? 0) > 0;
  const total = storing ? p.timelineEvents : p.durationNs;
  const done = storing ? (finite(p.storedEvents) ?? 0) : p.simulatedNs;
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const hostRate = finite(p.eventsPerSecond);
  const hostEta = finite(p.etaMs);
  const dtMs = previous === undefined ? 0 : nowMs - previous.atMs;
  if ((hostRate !== null && hostEta !== null) || previous === undefined || dtMs <= 0) {
    return { fraction, eventsPerSecond: hostRate, etaMs: hostEta, derived: false, phase };
  }
  const before = storing ? previous.storedEvents : previous.simulatedNs;
  const perMs = (done - before) / dtMs;
  const countNow = storing ? done : p.events;
  const countBefore = storing ? previous.storedEvents : previous.events;
  const eventsPerSecond = hostRate ?? ((countNow - countBefore) * 1000) / dtMs;
  const etaMs = hostEta ?? (perMs > 0 ? Math.max(0, (total - done) / perMs) : null);
  return { fraction, eventsPerSecond, etaMs, derived: true, phase };
}

export function isActive(status: string): boolean {
  return status === 'queued' || status === 'running';
}
