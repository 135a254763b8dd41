import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { TimelineEvent, TimelineWindow } from '../../../../core/contract/timeline';
import { hitTestLane, indexWindow } from './windowIndex';

function ev(seq: number, lane: number, tNs: number, durNs: number): TimelineEvent {
  return { seq, tNs, durNs, lane, kind: 'k', failure: false, args: {}, cause: null };
}

function win(events: TimelineEvent[], columns: { tNs: number[]; endNs: number[]; count: number[] } | null): TimelineWindow {
  return {
    runId: 1,
    startNs: 0,
    endNs: 10_000,
    lanes: [],
    events,
    truncated: columns !== null,
    aggregates:
      columns === null
        ? []
        : [
            {
              lane: 2,
              bucketNs: 10,
              ...columns,
              failures: columns.count.map(() => 0),
              seq: columns.tNs.map((_, i) => 100 + i),
              kind: columns.tNs.map(() => 0),
            },
          ],
  };
}

describe('hit-testing a window', () => {
  it('prefers the shortest of overlapping events on the lane', () => {
    const index = indexWindow(win([ev(1, 0, 0, 1000), ev(2, 0, 400, 50), ev(3, 1, 400, 10)], null));
    expect(hitTestLane(index, 0, 420, 1)).toEqual({ type: 'event', event: ev(2, 0, 400, 50) });
    expect(hitTestLane(index, 0, 900, 1)).toEqual({ type: 'event', event: ev(1, 0, 0, 1000) });
    expect(hitTestLane(index, 0, 2000, 1)).toBeNull();
  });

  it('a point event is hit within the slack', () => {
    const index = indexWindow(win([ev(1, 0, 500, 0)], null));
    expect(hitTestLane(index, 0, 503, 5)?.type).toBe('event');
    expect(hitTestLane(index, 0, 520, 5)).toBeNull();
  });

  it('finds the aggregate column under the pointer, with its span and first event', () => {
    const index = indexWindow(win([], { tNs: [0, 100, 200], endNs: [90, 180, 400], count: [5, 1, 7] }));
    expect(hitTestLane(index, 2, 150, 0)).toEqual({ type: 'aggregate', lane: 2, startNs: 100, endNs: 180, count: 1, seq: 101 });
    expect(hitTestLane(index, 2, 95, 0)).toBeNull();
    expect(index.maxCount).toBe(7);
  });

  it('agrees with a linear scan: the latest-starting column that covers the time', () => {
    // Columns start in time order; a column's last event may end past the next columns' starts
    // (here up to three of them, as long events do at pixel resolution).
    const cols = fc
      .array(fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 200 })), { minLength: 1, maxLength: 40 })
      .map((parts) => {
        const tNs: number[] = [];
        let t = 0;
        for (const [gap] of parts) tNs.push((t += gap));
        const endNs = parts.map(([, len], i) => Math.min(tNs[i]! + len, tNs[i + 3] ?? Infinity));
        return { tNs, endNs, count: tNs.map(() => 2) };
      });
    fc.assert(
      fc.property(cols, fc.integer({ min: 0, max: 2500 }), (c, t) => {
        const hit = hitTestLane(indexWindow(win([], c)), 2, t, 0);
        const linear = c.tNs.findLastIndex((s, i) => t >= s && t <= c.endNs[i]!);
        expect(hit === null ? -1 : hit.type === 'aggregate' ? hit.seq - 100 : -2).toBe(linear);
      }),
    );
  });
});
