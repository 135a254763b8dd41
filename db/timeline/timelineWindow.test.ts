import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TimelineStore } from './timelineStore';
import { tempDb, type TempDb } from '../testDb.testkit';
import { newTestRun, recordTestTimeline, type TestEvent } from './timelineFixture.testkit';
import { levelForResolution } from './timelineLod';
import type { TimelineWriterOptions } from './timelineWriter';

let t: TempDb;
beforeAll(() => {
  t = tempDb();
});
afterAll(() => t.dispose());

const eventArb = (lanes: number): fc.Arbitrary<TestEvent> =>
  fc.record({
    // Mostly spread over the run, some crowded into a burst (lanes change density, events come out of order).
    t: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 200_000 }) },
      { weight: 1, arbitrary: fc.integer({ min: 90_000, max: 91_000 }) },
    ),
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

type StoreOptions = Omit<TimelineWriterOptions, 'onBatch'>;

/**
 * Stores generated timelines with `options` (chunks, lane batches) and checks every window against
 * a brute force over the events: raw lanes exactly; aggregated lanes bucket by bucket at the width
 * each part of the lane was read at, that width following the lane's stored segments.
 */
function checkWindows(
  options: (events: number) => fc.Arbitrary<StoreOptions>,
  numRuns: number,
  seed: number,
): { raw: number; aggregated: number; ranges: number } {
  const store = new TimelineStore(t.db);
  const seen = { raw: 0, aggregated: 0, ranges: 0 };
  fc.assert(
    fc.property(
      caseArb.chain((c) => options(c.events.length).map((o) => ({ ...c, options: o }))),
      ({ lanes, events, windows, options: storeOptions }) => {
        const runId = newTestRun(t.db);
        store.insert(runId, recordTestTimeline(events, lanes), {}, storeOptions);
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
            const longOnes = overlapping.filter((e) => e.dur >= lane.spanCutNs).map((e) => e.seq);
            expect(got.map((e) => e.seq).sort((a, b) => a - b)).toEqual(longOnes);
            // The widths read: each segment of the lane that the scan reaches at the level just
            // under a pixel, or at its floor when coarser, never above the lane's top level.
            const ranges = mode.ranges!;
            if (ranges.length > 1) seen.ranges++;
            const level = levelForResolution(Math.max(1, (endNs - startNs) / q.widthPx));
            const scanFrom = startNs - lane.maxShortDurNs;
            lane.segments.forEach((seg, i) => {
              const segTo = lane.segments[i + 1]?.fromNs ?? Number.POSITIVE_INFINITY;
              if (segTo <= scanFrom || seg.fromNs > endNs) return;
              const at = Math.max(seg.fromNs, scanFrom);
              const r = ranges.find((x) => x.fromNs <= at && at < x.toNs)!;
              expect(r.level).toBe(Math.min(lane.lodMaxLevel, Math.max(level, seg.floor)));
            });
            expect(mode.bucketNs).toBe(Math.max(...ranges.map((r) => r.bucketNs)));
            // Reference buckets of the short events: a bucket is in when it starts by the window's end and reaches its start.
            const buckets = new Map<string, { count: number; maxEnd: number; b: number; w: number }>();
            for (const e of events) {
              if (e.lane !== mode.lane || e.dur >= lane.spanCutNs) continue;
              const r = ranges.findIndex((x) => x.fromNs <= e.t && e.t < x.toNs);
              if (r < 0) continue;
              const bw = ranges[r]!.bucketNs;
              const b = Math.floor(e.t / bw);
              const key = `${r}:${b}`;
              const cur = buckets.get(key) ?? { count: 0, maxEnd: 0, b, w: bw };
              buckets.set(key, { ...cur, count: cur.count + 1, maxEnd: Math.max(cur.maxEnd, e.t + e.dur) });
            }
            let want = 0;
            for (const v of buckets.values()) if (v.b <= Math.floor(endNs / v.w) && v.maxEnd >= startNs) want += v.count;
            const columns = w.aggregates.filter((a) => a.lane === mode.lane);
            expect(columns).toHaveLength(1);
            const agg = columns[0]!;
            expect(agg.bucketNs).toBe(mode.bucketNs);
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
      },
    ),
    { numRuns, seed },
  );
  return seen;
}

describe('a zoom window read from the levels of detail', () => {
  it('matches a brute-force reference over the raw rows: raw lanes exactly, aggregated lanes bucket by bucket', () => {
    const seen = checkWindows(() => fc.constant({}), 100, 42);
    // The generated cases exercise both paths.
    expect(seen.raw).toBeGreaterThan(50);
    expect(seen.aggregated).toBeGreaterThan(50);
  });

  it('matches it too when stored in small chunks with small lane batches (segments, rows patched by late events, long spans decided late)', () => {
    const seen = checkWindows(
      (n) =>
        fc.record({
          chunkEvents: fc.integer({ min: 1, max: Math.max(1, n) }),
          lane: fc.constant({ batchEvents: 24, candidateLimit: 6, rowBuckets: 4, longSpans: 3 }),
        }),
      80,
      43,
    );
    expect(seen.raw).toBeGreaterThan(40);
    expect(seen.aggregated).toBeGreaterThan(40);
    expect(seen.ranges).toBeGreaterThan(5);
  });
});
