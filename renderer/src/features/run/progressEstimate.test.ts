import { describe, expect, it } from 'vitest';
import type { RunProgress } from '../../../../core/contract/runResult';
import { estimateProgress, sampleOf } from './progressEstimate';

const base: RunProgress = {
  runId: 1,
  name: 'r',
  status: 'running',
  phase: 'simulating',
  simulatedNs: 200_000_000,
  durationNs: 1_200_000_000,
  events: 2652,
  eventsPerSecond: 2033.7,
  timelineEvents: 0,
  storedEvents: 0,
  etaMs: 6520,
  error: null,
};

describe('progress rates of a running run', () => {
  it("uses the lab's rates when it reports them", () => {
    expect(estimateProgress(base, undefined, 0)).toEqual({
      fraction: 1 / 6,
      eventsPerSecond: 2033.7,
      etaMs: 6520,
      derived: false,
      phase: 'simulating',
    });
  });
  it('derives them from two polls when the lab cannot estimate yet', () => {
    const p = { ...base, etaMs: null, eventsPerSecond: undefined as unknown as number };
    const prev = { atMs: 1000, simulatedNs: 100_000_000, events: 1652, storedEvents: 0 };
    const e = estimateProgress(p, prev, 1500);
    expect(e.eventsPerSecond).toBe(2000);
    expect(e.etaMs).toBe(5000);
    expect(e.derived).toBe(true);
  });
  it('measures the storing phase in timeline rows', () => {
    const p: RunProgress = {
      ...base,
      phase: 'storing',
      simulatedNs: base.durationNs,
      timelineEvents: 40_000,
      storedEvents: 10_000,
      etaMs: null,
    };
    const e = estimateProgress(p, sampleOf({ ...p, storedEvents: 5_000 }, 0), 100);
    expect(e.fraction).toBe(0.25);
    expect(e.etaMs).toBe(600);
    expect(e.phase).toBe('storing');
  });
  it('knows nothing before the second poll', () => {
    expect(estimateProgress({ ...base, etaMs: null }, undefined, 0)).toMatchObject({ etaMs: null, derived: false });
  });
});
