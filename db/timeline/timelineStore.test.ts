import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TimelineStore } from './timelineStore';
import { tempDb, type TempDb } from '../testDb.testkit';
import { newTestRun, recordTestTimeline, type TestEvent } from './timelineFixture.testkit';
import { LOD_RANGE_SQL, longSpansSql, rawWindowSql } from './timelineWindow';
import { laneFirstPageSql, laneNextPageSql, scanTimeline } from './timelineScan';
import { eventsTableOf } from './timelineTables';

let t: TempDb;
let store: TimelineStore;
let runId: number;

// Lane 0: a cpu doing 100 short maps (each caused by the previous), then a failure caused by #100.
// Lane 1: one 900 ns map from t=0 (the cause of #100) and 10 000 ticks to give it levels of detail.
const events: TestEvent[] = [{ t: 0, dur: 900, lane: 1, kind: 0, a0: 0x1000 }];
for (let i = 1; i <= 100; i++) events.push({ t: i * 10, dur: 5, lane: 0, kind: 0, a0: i * 0x1000, cause: i === 100 ? 0 : i - 1 });
events.push({ t: 1005, dur: 0, lane: 0, kind: 1, cause: 100 });
for (let i = 0; i < 10_000; i++) events.push({ t: 2000 + i * 100, dur: 50, lane: 1, kind: 2 });

beforeEach(() => {
  t = tempDb();
  store = new TimelineStore(t.db);
  runId = newTestRun(t.db);
  expect(store.insert(runId, recordTestTimeline(events, 2))).toBe('stored');
});
afterEach(() => t.dispose());

describe('TimelineStore', () => {
  it('stores every event with its lanes and kinds, and summarizes the timeline', () => {
    expect(store.count(runId)).toBe(events.length);
    expect(store.summary(runId)).toMatchObject({
      runId,
      lanes: [
        { id: 0, name: 'lane0', group: 'guest' },
        { id: 1, name: 'lane1', group: 'device' },
      ],
      startNs: 0,
      endNs: 2000 + 9999 * 100 + 50,
      eventCount: events.length,
      failureCount: 1,
      complete: true,
    });
  });

  it('returns the events overlapping a window, including a span that started before it', () => {
    const w = store.window({ runId, startNs: 500, endNs: 520, widthPx: 800 })!;
    expect(w.events.map((e) => [e.lane, e.tNs])).toEqual([
      [0, 500],
      [0, 510],
      [0, 520],
      [1, 0],
    ]);
    expect(w.events[3]!.args).toEqual({ iova: '0x1000', size: 4096, errno: 'ENOSPC' });
    expect(w.truncated).toBe(false);
  });

  it('aggregates a crowded lane to at most one entry per pixel column, counting what each stands for', () => {
    const w = store.window({ runId, startNs: 0, endNs: 1_002_000, widthPx: 200 })!;
    expect(w.truncated).toBe(true);
    expect(w.laneModes).toEqual([
      { lane: 0, mode: 'raw', bucketNs: null, ranges: null },
      {
        lane: 1,
        mode: 'aggregated',
        bucketNs: 4096,
        // One segment: the lane is read at one level over the whole window.
        ranges: [{ fromNs: Number.NEGATIVE_INFINITY, toNs: Number.POSITIVE_INFINITY, level: 2, bucketNs: 4096 }],
      },
    ]);
    expect(w.events.filter((e) => e.lane === 1)).toEqual([]);
    expect(w.aggregates.map((a) => a.lane)).toEqual([1]);
    const lane1 = w.aggregates[0]!;
    expect(lane1.tNs.length).toBeLessThanOrEqual(200);
    expect(lane1.count.reduce((n, c) => n + c, 0)).toBe(10_001);
    // Pixel 0 is [0, 5010) ns: the 4096 ns buckets starting at 0 and 4096 merge into it.
    expect([lane1.seq[0], lane1.tNs[0], lane1.endNs[0], lane1.count[0]]).toEqual([0, 0, 8150, 63]);
  });

  it('explains a failure as its chain of causes, nearest first, and lists what an event caused', () => {
    expect(store.causeChain(runId, 101).map((e) => [e.seq, e.kind])).toEqual([
      [101, 'fail'],
      [100, 'op'],
      [0, 'op'],
    ]);
    const d = store.detail(runId, 100)!;
    expect(d.event).toMatchObject({ seq: 100, tNs: 1000, lane: 0 });
    expect(d.causeChain.map((e) => e.seq)).toEqual([0]);
    expect(d.effects.map((e) => e.seq)).toEqual([101]);
    expect(store.detail(runId, 0)!.effects.map((e) => e.seq)).toEqual([1, 100]);
    expect(store.detail(runId, 0)!.effectCount).toBe(2);
    expect(store.detail(runId, events.length)).toBeUndefined();
  });

  it('lists failures in time order', () => {
    expect(store.failures(runId, 10).map((e) => [e.seq, e.tNs, e.failure])).toEqual([[101, 1005, true]]);
  });

  it('scans every event in (t, seq) order across lanes, page by page', () => {
    const meta = store.meta(runId)!;
    const got = [
      ...scanTimeline(
        t.db,
        runId,
        meta.lanes.map((l) => l.id),
        7,
      ),
    ].map((r) => r.seq);
    const want = events
      .map((e, seq) => ({ ...e, seq }))
      .sort((a, b) => a.t - b.t || a.seq - b.seq)
      .map((e) => e.seq);
    expect(got).toEqual(want);
  });

  it('answers every query from an index (no full scan)', () => {
    const plans: [string, unknown[]][] = [
      [rawWindowSql(runId), [0, 0, 10, 1e9, 0, 10]],
      [longSpansSql(runId), [runId, 10, 0]],
      [LOD_RANGE_SQL, [{ run: runId, lane: 1, level: 3, lo: 0, hi: 10 }]],
      [laneFirstPageSql(runId), [0, 10]],
      [laneNextPageSql(runId), [0, 5, 1, 10]],
      [`SELECT * FROM ${eventsTableOf(runId)} WHERE lane = ? AND t = ? AND seq = ?`, [0, 10, 1]],
      ['SELECT lanes, times FROM timeline_seq_blocks WHERE run_id = ? AND block = ?', [runId, 0]],
      ['SELECT causes, seqs FROM timeline_effect_parts WHERE run_id = ? AND block = ? ORDER BY part', [runId, 0]],
      ['SELECT t, seq FROM timeline_failures WHERE run_id = ? ORDER BY t, seq LIMIT 10', [runId]],
    ];
    for (const [sql, args] of plans) {
      const plan = (t.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail);
      expect(plan.join(' | '), sql).not.toMatch(/\bSCAN\b|USE TEMP B-TREE/);
    }
  });
});

describe('a run that died while storing its timeline', () => {
  it('leaves an incomplete timeline that queries still read, and other runs intact', () => {
    const partialRun = newTestRun(t.db, 'killed');
    const many: TestEvent[] = [];
    for (let i = 0; i < 120_000; i++)
      many.push({ t: i * 10, dur: 5, lane: i % 2, kind: i % 1000 === 0 ? 1 : 0, cause: i > 0 ? i - 1 : -1 });
    // Chunks of 40 000 events: the process dies once the second chunk's rows are in, before its
    // derived rows (seq blocks, failures, levels) and before the third chunk, as when the worker is killed.
    expect(() =>
      store.insert(
        partialRun,
        recordTestTimeline(many, 2),
        {
          onBatch: (stored) => {
            if (stored > 40_000) throw new Error('killed');
          },
        },
        { chunkEvents: 40_000 },
      ),
    ).toThrow('killed');
    const summary = store.summary(partialRun)!;
    // The count says how many rows are there (it is updated with each batch of rows).
    expect(summary).toMatchObject({ complete: false, eventCount: 80_000 });
    expect(store.count(partialRun)).toBe(80_000);
    const w = store.window({ runId: partialRun, startNs: 0, endNs: 1_200_000, widthPx: 1000 })!;
    expect(w.truncated).toBe(true);
    // No levels of detail: each lane comes back raw, cut at the limit.
    expect(w.events.filter((e) => e.lane === 0).length).toBe(1000);
    expect(w.events.filter((e) => e.lane === 1).length).toBe(1000);
    expect(w.laneModes.every((m) => m.mode === 'raw')).toBe(true);
    // The first chunk is whole: its events are found with their causes; later ones are not.
    expect(
      store
        .detail(partialRun, 39_999)!
        .causeChain.slice(0, 2)
        .map((e) => e.seq),
    ).toEqual([39_998, 39_997]);
    expect(store.detail(partialRun, 0)!.effects.map((e) => e.seq)).toEqual([1]);
    expect(store.detail(partialRun, 119_999)).toBeUndefined();
    expect(store.failures(partialRun, 1000).map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i * 1000));
    // The complete run next to it is untouched.
    expect(store.summary(runId)).toMatchObject({ complete: true, eventCount: events.length });
    expect(store.count(runId)).toBe(events.length);
    expect(store.detail(runId, 101)!.causeChain.map((e) => e.seq)).toEqual([100, 0]);
  });

  it('removes a partial timeline completely when storing is stopped (cancel)', () => {
    const cancelled = newTestRun(t.db, 'cancelled');
    const many: TestEvent[] = Array.from({ length: 60_000 }, (_, i) => ({ t: i, dur: 1, lane: 0, kind: 0 }));
    let batches = 0;
    expect(store.insert(cancelled, recordTestTimeline(many, 1), { onBatch: () => batches++, shouldStop: () => batches > 0 })).toBe(
      'stopped',
    );
    expect(store.summary(cancelled)).toBeUndefined();
    expect(t.db.prepare(`SELECT name FROM sqlite_master WHERE name = ?`).get(eventsTableOf(cancelled))).toBeUndefined();
    for (const table of ['timeline_lanes', 'timeline_lod', 'timeline_seq_blocks']) {
      expect(t.db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE run_id = ?`).get(cancelled), table).toEqual({ n: 0 });
    }
  });
});
