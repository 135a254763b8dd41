import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_LANE_OPTIONS,
  LaneBuilder,
  LONG_SPANS_PER_LANE,
  type LaneBuilderOptions,
  type LaneSummary,
  type LodRowStore,
} from './timelineLaneBuilder';
import { bucketWidthNs, decodeChunk, LOD_MAX_LEVEL, type LodBuckets, type LodChunk } from './timelineLod';

interface Ev {
  readonly t: number;
  readonly dur: number;
  readonly seq: number;
  readonly kind: number;
  readonly failure: number;
}

/** timeline_lod in a map: per level, rows by first bucket. */
class MemoryRows implements LodRowStore {
  readonly levels = new Map<number, Map<number, LodChunk>>();
  patches = 0;

  insert(_lane: number, level: number, row: LodChunk): void {
    const rows = this.levels.get(level) ?? new Map<number, LodChunk>();
    for (const first of rows.keys()) expect(first, 'a new row comes after every stored one').toBeLessThan(row.firstBucket);
    rows.set(row.firstBucket, row);
    this.levels.set(level, rows);
  }

  rowFor(_lane: number, level: number, bucket: number) {
    const firsts = [...(this.levels.get(level)?.keys() ?? [])].sort((a, b) => a - b);
    if (firsts.length === 0) return undefined;
    const first = [...firsts].reverse().find((f) => f <= bucket) ?? firsts[0]!;
    const row = this.levels.get(level)!.get(first)!;
    return { firstBucket: first, buckets: decodeChunk(row.n, row.data) };
  }

  replace(_lane: number, level: number, firstBucket: number, row: LodChunk): void {
    this.patches++;
    const rows = this.levels.get(level)!;
    rows.delete(firstBucket);
    rows.set(row.firstBucket, row);
  }

  /** A level's buckets in order, checking that its rows hold disjoint bucket ranges. */
  level(k: number): number[][] {
    const rows = [...(this.levels.get(k)?.values() ?? [])].map((r) => decodeChunk(r.n, new Uint8Array(r.data)));
    rows.sort((a, b) => a.bucket[0]! - b.bucket[0]!);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.bucket[0]!).toBeGreaterThan(rows[i - 1]!.bucket[rows[i - 1]!.n - 1]!);
    return rows.flatMap(plain);
  }
}

function plain(b: LodBuckets): number[][] {
  return Array.from({ length: b.n }, (_, i) => [
    b.bucket[i]!,
    b.minT[i]!,
    b.maxEnd[i]!,
    b.count[i]!,
    b.failures[i]!,
    b.firstSeq[i]!,
    b.firstKind[i]!,
  ]);
}

/** The whole-lane cut (what a store that saw every event first would pick): the smallest 2^e, e >= 20, leaving at most `longSpans` spans at or above it. */
function wholeLaneCut(events: readonly Ev[], longSpans: number): number {
  for (let e = 20; e < 53; e++) if (events.filter((x) => x.dur >= 2 ** e).length <= longSpans) return 2 ** e;
  return 2 ** 53;
}

/** Brute-force buckets of `level` over `events` (first in (t, seq) order). */
function buckets(events: readonly Ev[], level: number): number[][] {
  const w = bucketWidthNs(level);
  const by = new Map<number, number[]>();
  for (const e of events) {
    const b = Math.floor(e.t / w);
    const cur = by.get(b);
    const first = cur === undefined || e.t < cur[1]! || (e.t === cur[1] && e.seq < cur[5]!);
    by.set(b, [
      b,
      first ? e.t : cur[1]!,
      Math.max(cur?.[2] ?? -Infinity, e.t + e.dur),
      (cur?.[3] ?? 0) + 1,
      (cur?.[4] ?? 0) + e.failure,
      first ? e.seq : cur[5]!,
      first ? e.kind : cur[6]!,
    ]);
  }
  return [...by.values()].sort((a, b) => a[0]! - b[0]!);
}

/** Feeds the events in chunks (seq order), each chunk's events in (t, seq) order, as the writer does. */
function build(events: readonly Ev[], chunkSizes: readonly number[], options: LaneBuilderOptions): { sum: LaneSummary; rows: MemoryRows } {
  const rows = new MemoryRows();
  const b = new LaneBuilder(0, rows, options);
  let at = 0;
  for (let c = 0; at < events.length; c++) {
    const size = chunkSizes[c % chunkSizes.length]!;
    const chunk = events.slice(at, at + size).sort((x, y) => x.t - y.t || x.seq - y.seq);
    for (const e of chunk) b.add(e.t, e.dur, e.seq, e.kind, e.failure);
    b.endChunk();
    at += size;
  }
  return { sum: b.finish(), rows };
}

/** Segments of a summary as [from, floor] pairs. */
function segmentsOf(sum: LaneSummary): { from: number; floor: number }[] {
  if (sum.segments === null) return [{ from: Number.NEGATIVE_INFINITY, floor: sum.lodMinLevel }];
  const out = [];
  for (let i = 0; i < sum.segments.length; i += 2) out.push({ from: sum.segments[i]!, floor: sum.segments[i + 1]! });
  return out;
}

/** Everything a lane's summary and rows must say about its events, checked against brute force. */
function checkLane(events: readonly Ev[], sum: LaneSummary, rows: MemoryRows, longSpans = LONG_SPANS_PER_LANE): void {
  const cut = wholeLaneCut(events, longSpans);
  expect(sum.spanCutNs).toBe(cut);
  const short = events.filter((e) => e.dur < cut);
  const long = events.filter((e) => e.dur >= cut);
  expect(sum.eventCount).toBe(events.length);
  expect(sum.shortCount).toBe(short.length);
  expect(sum.maxShortDurNs).toBe(short.length === 0 ? 0 : Math.max(...short.map((e) => e.dur)));
  expect([...sum.longSpans].sort((a, b) => a.seq - b.seq)).toEqual(long.map((e) => ({ t: e.t, seq: e.seq, endT: e.t + e.dur })));
  if (short.length === 0) {
    expect([sum.lodMinLevel, sum.lodMaxLevel, rows.levels.size]).toEqual([-1, -1, 0]);
    return;
  }
  const segs = segmentsOf(sum);
  const floors = segs.map((s) => s.floor);
  expect(sum.lodMinLevel).toBe(Math.min(...floors));
  for (let i = 1; i < segs.length; i++) {
    // In time order, each start a multiple of the coarser neighbour's bucket width.
    expect(segs[i]!.from).toBeGreaterThan(segs[i - 1]!.from);
    expect(segs[i]!.from % bucketWidthNs(Math.max(segs[i]!.floor, segs[i - 1]!.floor))).toBe(0);
  }
  const floorAt = (t: number) => segs.filter((s) => s.from <= t).at(-1)!.floor;
  // Level k holds exactly the short events whose segment stores it.
  for (let k = sum.lodMinLevel; k <= sum.lodMaxLevel; k++) {
    expect(rows.level(k), `level ${k}`).toEqual(
      buckets(
        short.filter((e) => floorAt(e.t) <= k),
        k,
      ),
    );
  }
  for (let k = sum.lodMaxLevel + 1; k <= LOD_MAX_LEVEL; k++) expect(rows.levels.has(k)).toBe(false);
  // The top level is the first (at or above every floor) with a single bucket.
  const top = sum.lodMaxLevel;
  expect(top).toBeGreaterThanOrEqual(Math.max(...floors));
  if (top < LOD_MAX_LEVEL) expect(buckets(short, top).length).toBe(1);
  if (top > Math.max(...floors)) expect(buckets(short, top - 1).length).toBeGreaterThan(1);
}

const SMALL: LaneBuilderOptions = { batchEvents: 32, candidateLimit: 6, rowBuckets: 4, longSpans: 3 };

describe('a lane built from streamed chunks', () => {
  it('keeps at most LONG_SPANS_PER_LANE spans at or above the cut, and never cuts below 1 ms', () => {
    const events: Ev[] = [];
    const push = (t: number, dur: number) => events.push({ t, dur, seq: events.length, kind: 0, failure: 0 });
    for (let i = 0; i < 1000; i++) push(i * 10, 100);
    for (let i = 0; i < LONG_SPANS_PER_LANE + 10; i++) push(i, 2 ** 22 + i);
    for (let i = 0; i < 10; i++) push(i, 2 ** 30);
    const { sum } = build(events, [100], DEFAULT_LANE_OPTIONS);
    expect(sum.spanCutNs).toBe(2 ** 23);
    expect(sum.eventCount - sum.shortCount).toBeLessThanOrEqual(LONG_SPANS_PER_LANE);
    expect(sum.maxShortDurNs).toBeLessThan(sum.spanCutNs);
    const few = build(
      Array.from({ length: 5 }, (_, i) => ({ t: i, dur: 2 ** 19, seq: i, kind: 0, failure: 0 })),
      [2],
      DEFAULT_LANE_OPTIONS,
    ).sum;
    expect(few).toMatchObject({ spanCutNs: 2 ** 20, shortCount: 5, maxShortDurNs: 2 ** 19 });
  });

  it('leaves long spans and lanes without short events out of the levels', () => {
    const { sum, rows } = build(
      [
        { t: 0, dur: 2 ** 21, seq: 0, kind: 0, failure: 0 },
        { t: 5, dur: 1, seq: 1, kind: 0, failure: 0 },
      ],
      [1],
      DEFAULT_LANE_OPTIONS,
    );
    expect(rows.level(sum.lodMinLevel).reduce((n, b) => n + b[3]!, 0)).toBe(1);
    const none = build([{ t: 0, dur: 2 ** 40, seq: 0, kind: 0, failure: 0 }], [1], DEFAULT_LANE_OPTIONS);
    expect(none.sum).toMatchObject({ lodMinLevel: -1, lodMaxLevel: -1, segments: null });
    expect(none.sum.longSpans).toHaveLength(1);
  });

  it('decides a lane that never fills a batch over all its events, as a whole-lane rule', () => {
    const events: Ev[] = [];
    for (let i = 0; i < 3000; i++)
      events.push({ t: i * 100 + (i % 7) * 3, dur: (i % 5) * 40, seq: i, kind: 0, failure: i % 50 === 0 ? 1 : 0 });
    const { sum, rows } = build(events, [700], DEFAULT_LANE_OPTIONS);
    expect(sum.segments).toBeNull();
    checkLane(events, sum, rows);
    // The finest level averages 4+ events per bucket, the one below it does not.
    expect(rows.level(sum.lodMinLevel).length * 4).toBeLessThanOrEqual(3000);
    expect(buckets(events, sum.lodMinLevel - 1).length * 4).toBeGreaterThan(3000);
  });

  it('cuts a lane whose density changes into segments, each storing the levels its density is worth', () => {
    // Sparse (one event per 100 us), then dense (one per 50 ns), then sparse again.
    const events: Ev[] = [];
    let t = 0;
    for (const [n, gap] of [
      [10_000, 100_000],
      [30_000, 50],
      [10_000, 100_000],
    ] as const) {
      for (let i = 0; i < n; i++) events.push({ t: (t += gap), dur: 20, seq: events.length, kind: i % 3, failure: i % 97 === 0 ? 1 : 0 });
    }
    const { sum, rows } = build(events, [5000], DEFAULT_LANE_OPTIONS);
    const floors = segmentsOf(sum).map((s) => s.floor);
    // Sparse parts store from a coarser level than the dense one.
    expect(floors.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...floors)).toBeLessThan(floors[0]!);
    expect(floors.at(-1)).toBeGreaterThan(Math.min(...floors));
    checkLane(events, sum, rows);
  });

  it('matches a brute force over any events streamed in any chunks: cut, long spans, every level of every segment', () => {
    const evArb = fc.record({
      t: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 0, max: 2_000_000 }) },
        { weight: 1, arbitrary: fc.integer({ min: 1_000_000, max: 1_010_000 }) },
      ),
      dur: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 0, max: 3000 }) },
        { weight: 1, arbitrary: fc.integer({ min: 2 ** 20, max: 2 ** 26 }) },
      ),
      kind: fc.integer({ min: 0, max: 3 }),
      failure: fc.integer({ min: 0, max: 1 }),
    });
    // Or phases of different densities, in time order but for a few events late by up to 50 us.
    const phasesArb = fc
      .array(
        fc.record({
          n: fc.integer({ min: 1, max: 150 }),
          gap: fc.constantFrom(20, 300, 5000, 200_000),
          dur: fc.integer({ min: 0, max: 3000 }),
          lateEvery: fc.integer({ min: 3, max: 50 }),
        }),
        { minLength: 1, maxLength: 8 },
      )
      .map((phases) => {
        const out: { t: number; dur: number; kind: number; failure: number }[] = [];
        let t = 0;
        for (const ph of phases) {
          for (let i = 0; i < ph.n; i++) {
            t += ph.gap;
            const late = i % ph.lateEvery === 0 ? Math.min(t, 50_000) : 0;
            out.push({ t: t - late, dur: i % 97 === 0 ? 2 ** 21 + i : ph.dur, kind: i % 4, failure: i % 13 === 0 ? 1 : 0 });
          }
        }
        return out;
      });
    let segmented = 0;
    let patched = 0;
    fc.assert(
      fc.property(
        fc.oneof(fc.array(evArb, { maxLength: 700, size: 'large' }), phasesArb),
        fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 5 }),
        (raw, chunkSizes) => {
          const events = raw.map((e, seq) => ({ ...e, seq }));
          const { sum, rows } = build(events, chunkSizes, SMALL);
          if (sum.segments !== null) segmented++;
          if (rows.patches > 0) patched++;
          checkLane(events, sum, rows, SMALL.longSpans);
        },
      ),
      { numRuns: 200, seed: 5 },
    );
    // The generated cases exercise segments and rows patched after they were stored.
    expect({ segmented: segmented > 10, patched: patched > 10 }).toEqual({ segmented: true, patched: true });
  });
});
