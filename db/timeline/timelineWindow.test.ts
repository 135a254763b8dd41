import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TimelineStore } from './timelineStore';
import { tempDb, type TempDb } from '../testDb.testkit';
import { newTestRun, recordTestTimeline, type TestEvent } from './timelineFixture.testkit';

let t: TempDb;
beforeAll(() => {
  t = tempDb();
});
afterAll(() => t.dispose());

const eventArb = (lanes: number): fc.Arbitrary<TestEvent> =>
  fc.record({
    t: fc.integer({ min: 0, max: 200_000 }),
    dur: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max: 2_000 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1_000_000, max: 5_000_000 }) },
    ),
    lane: fc.integer({ min: 0, max: lanes - 1 }),
    kind: fc.integer({ min: 0, max: 2 }),
  });

const caseArb = fc.integer({ min: 1, max: 3 }).chain((lanes) =>
  fc.record({
    lanes: fc.constant(lanes),
    events: fc.array(eventArb(lanes), { maxLength: 1500, size: 'large' }),
    windows: fc.array(
      fc.record({
        startNs: fc.integer({ min: 0, max: 220_000 }),
        spanNs: fc.integer({ min: 1, max: 250_000 }),
        widthPx: fc.integer({ min: 1, max: 300 }),
        limit: fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 8 },
    ),
  }),
);

describe('a zoom window read from the levels of detail', () => {
  it('matches a brute-force reference over the raw rows: raw lanes exactly, aggregated lanes bucket by bucket', () => {
    const store = new TimelineStore(t.db);
    const seen = { raw: 0, aggregated: 0 };
    fc.assert(
      fc.property(caseArb, ({ lanes, events, windows }) => {
        const runId = newTestRun(t.db);
        store.insert(runId, recordTestTimeline(events, lanes));
        const meta = store.meta(runId)!;
        for (const q of windows) {
          const startNs = q.startNs;
          const endNs = q.startNs + q.spanNs;
          const w = store.window({ runId, startNs, endNs, widthPx: q.widthPx, ...(q.limit === undefined ? {} : { limit: q.limit }) })!;
          for (const mode of w.laneModes) {
            seen[mode.mode]++;
            const lane = meta.lanes[mode.lane]!;
            const got = w.events.filter((e) => e.lane === mode.lane);
            const overlapping = events
              .map((e, seq) => ({ ...e, seq }))
              .filter((e) => e.lane === mode.lane && e.t <= endNs && e.t + e.dur >= startNs);
            if (mode.mode === 'raw') {
              expect(got.map((e) => e.seq).sort((a, b) => a - b)).toEqual(overlapping.map((e) => e.seq));
              expect(w.aggregates.some((a) => a.lane === mode.lane)).toBe(false);
              continue;
            }
            const bucketNs = mode.bucketNs!;
            const longOnes = overlapping.filter((e) => e.dur >= lane.spanCutNs).map((e) => e.seq);
            expect(got.map((e) => e.seq).sort((a, b) => a - b)).toEqual(longOnes);
            // Reference buckets of the short events: a bucket is in when it starts by the window's end and reaches its start.
            const buckets = new Map<number, { count: number; maxEnd: number }>();
            for (const e of events) {
              if (e.lane !== mode.lane || e.dur >= lane.spanCutNs) continue;
              const b = Math.floor(e.t / bucketNs);
              const cur = buckets.get(b) ?? { count: 0, maxEnd: 0 };
              buckets.set(b, { count: cur.count + 1, maxEnd: Math.max(cur.maxEnd, e.t + e.dur) });
            }
            let want = 0;
            for (const [b, v] of buckets) if (b <= Math.floor(endNs / bucketNs) && v.maxEnd >= startNs) want += v.count;
            const columns = w.aggregates.filter((a) => a.lane === mode.lane);
            expect(columns).toHaveLength(1);
            const agg = columns[0]!;
            expect(agg.bucketNs).toBe(bucketNs);
            expect(agg.count.reduce((n, c) => n + c, 0)).toBe(want);
            expect(want).toBeGreaterThanOrEqual(overlapping.length - longOnes.length);
            expect(agg.tNs.length).toBeLessThanOrEqual(q.widthPx);
            for (const col of [agg.endNs, agg.count, agg.failures, agg.seq, agg.kind]) expect(col).toHaveLength(agg.tNs.length);
            // One entry per pixel column, in time order, each ending no earlier than it starts.
            const px = agg.tNs.map((t) =>
              Math.min(q.widthPx - 1, Math.max(0, Math.floor((t - startNs) / Math.max(1, (endNs - startNs) / q.widthPx)))),
            );
            expect(new Set(px).size).toBe(px.length);
            agg.tNs.forEach((t, i) => expect(agg.endNs[i]!).toBeGreaterThanOrEqual(t));
            expect(w.truncated).toBe(true);
          }
        }
      }),
      { numRuns: 100, seed: 42 },
    );
    // The generated cases exercise both paths.
    expect(seen.raw).toBeGreaterThan(50);
    expect(seen.aggregated).toBeGreaterThan(50);
  });
});
