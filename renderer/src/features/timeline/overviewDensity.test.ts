import { describe, expect, it } from 'vitest';
import type { TimelineWindow } from '../../../../core/contract/timeline';
import { overviewDensity, viewCentredAtX } from './overviewDensity';

describe('overview strip', () => {
  it('sums aggregate columns and real events of every lane per pixel column', () => {
    const w: TimelineWindow = {
      runId: 1,
      startNs: 0,
      endNs: 1000,
      lanes: [],
      truncated: true,
      events: [{ seq: 9, tNs: 990, durNs: 5, lane: 1, kind: 'x', failure: true, args: {}, cause: null }],
      aggregates: [
        { lane: 0, bucketNs: 10, tNs: [0, 500], endNs: [10, 510], count: [3, 4], failures: [0, 1], seq: [0, 1], kind: [0, 0] },
        { lane: 2, bucketNs: 10, tNs: [510], endNs: [520], count: [6], failures: [0], seq: [5], kind: [0] },
      ],
    };
    const d = overviewDensity(w, 10, 1000);
    expect([...d.counts]).toEqual([3, 0, 0, 0, 0, 10, 0, 0, 0, 1]);
    expect([...d.failures]).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(d.max).toBe(10);
  });

  it('a click on the strip centres the view there, inside the run', () => {
    expect(viewCentredAtX(50, 100, { startNs: 0, endNs: 100 }, 1000)).toEqual({ startNs: 450, endNs: 550 });
    expect(viewCentredAtX(100, 100, { startNs: 0, endNs: 100 }, 1000)).toEqual({ startNs: 900, endNs: 1000 });
  });
});
