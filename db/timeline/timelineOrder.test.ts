import { describe, expect, it } from 'vitest';
import { LONG_SPANS_PER_LANE, orderTimeline } from './timelineOrder';
import { recordTestTimeline, type TestEvent } from './timelineFixture.testkit';

describe('the storage order of a timeline', () => {
  it('sorts events by (lane, t, seq), also a lane recorded out of time order', () => {
    const events: TestEvent[] = [
      { t: 50, dur: 0, lane: 1, kind: 2 },
      { t: 10, dur: 0, lane: 0, kind: 2 },
      { t: 20, dur: 0, lane: 1, kind: 2 },
      { t: 20, dur: 0, lane: 1, kind: 2 },
      { t: 5, dur: 0, lane: 0, kind: 2 },
    ];
    const ord = orderTimeline(recordTestTimeline(events, 2));
    expect(Array.from(ord.order)).toEqual([4, 1, 2, 3, 0]);
    expect(Array.from(ord.laneStart)).toEqual([0, 2, 5]);
    expect(ord.lanes.map((l) => l.eventCount)).toEqual([2, 3]);
    expect([ord.startNs, ord.endNs]).toEqual([5, 50]);
  });

  it('keeps at most LONG_SPANS_PER_LANE spans at or above the cut, and never cuts below 1 ms', () => {
    const events: TestEvent[] = [];
    for (let i = 0; i < 1000; i++) events.push({ t: i * 10, dur: 100, lane: 0, kind: 0 });
    for (let i = 0; i < LONG_SPANS_PER_LANE + 10; i++) events.push({ t: i, dur: 2 ** 22 + i, lane: 0, kind: 0 });
    for (let i = 0; i < 10; i++) events.push({ t: i, dur: 2 ** 30, lane: 0, kind: 0 });
    for (let i = 0; i < 5; i++) events.push({ t: i, dur: 2 ** 19, lane: 1, kind: 0 });
    const ord = orderTimeline(recordTestTimeline(events, 2));
    const lane0 = ord.lanes[0]!;
    expect(lane0.spanCutNs).toBe(2 ** 23);
    expect(lane0.eventCount - lane0.shortCount).toBeLessThanOrEqual(LONG_SPANS_PER_LANE);
    expect(lane0.maxShortDurNs).toBeLessThan(lane0.spanCutNs);
    expect(ord.lanes[1]).toMatchObject({ spanCutNs: 2 ** 20, shortCount: 5, maxShortDurNs: 2 ** 19 });
  });

  it('counts failure-kind events', () => {
    const ord = orderTimeline(
      recordTestTimeline(
        [
          { t: 1, dur: 0, lane: 0, kind: 1 },
          { t: 2, dur: 0, lane: 0, kind: 0 },
        ],
        1,
      ),
    );
    expect(ord.failureCount).toBe(1);
  });
});
