import { describe, expect, it } from 'vitest';
import { bucketWidthNs, buildLaneLod, decodeChunk, encodeChunks, LOD_CHUNK_BUCKETS, levelForResolution } from './timelineLod';
import { orderTimeline } from './timelineOrder';
import { recordTestTimeline, type TestEvent } from './timelineFixture.testkit';

function laneLodOf(events: TestEvent[]) {
  const cols = recordTestTimeline(events, 1);
  const ord = orderTimeline(cols);
  return buildLaneLod({
    cols,
    order: ord.order,
    from: 0,
    to: cols.count,
    spanCutNs: ord.lanes[0]!.spanCutNs,
    failureKinds: ord.failureKinds,
  });
}

describe('levels of detail of a lane', () => {
  it('picks the coarsest level whose buckets fit in a pixel', () => {
    expect(levelForResolution(100)).toBe(-1);
    expect(levelForResolution(256)).toBe(0);
    expect(levelForResolution(1023)).toBe(0);
    expect(levelForResolution(1024)).toBe(1);
    expect(bucketWidthNs(levelForResolution(2.5e6))).toBeLessThanOrEqual(2.5e6);
    expect(bucketWidthNs(levelForResolution(2.5e6) + 1)).toBeGreaterThan(2.5e6);
  });

  it('summarizes every level to the same totals, from a level averaging 4+ events per bucket up to one bucket', () => {
    const events: TestEvent[] = [];
    for (let i = 0; i < 5000; i++) events.push({ t: i * 100 + (i % 7) * 3, dur: (i % 5) * 40, lane: 0, kind: i % 50 === 0 ? 1 : 0 });
    const lod = laneLodOf(events);
    expect(lod.minLevel).toBeGreaterThanOrEqual(0);
    const minLevel = lod.levels[0]!;
    expect(minLevel.n * 4).toBeLessThanOrEqual(5000);
    expect(lod.levels[lod.levels.length - 1]!.n).toBe(1);
    for (const level of lod.levels) {
      expect(level.count.reduce((a, b) => a + b, 0)).toBe(5000);
      expect(level.failures.reduce((a, b) => a + b, 0)).toBe(100);
    }
    const top = lod.levels[lod.levels.length - 1]!;
    expect([top.minT[0], top.maxEnd[0], top.firstSeq[0]]).toEqual([0, 4999 * 100 + (4999 % 7) * 3 + (4999 % 5) * 40, 0]);
  });

  it('encodes buckets in chunks of at most 256 and decodes them back', () => {
    const events: TestEvent[] = [];
    for (let i = 0; i < 20_000; i++) events.push({ t: i * 1000, dur: 10, lane: 0, kind: 0 });
    const level = laneLodOf(events).levels[0]!;
    const chunks = encodeChunks(level);
    expect(chunks.every((c) => c.n <= LOD_CHUNK_BUCKETS)).toBe(true);
    expect(chunks.reduce((n, c) => n + c.n, 0)).toBe(level.n);
    const back = decodeChunk(chunks[1]!.n, new Uint8Array(chunks[1]!.data));
    expect(Array.from(back.bucket)).toEqual(Array.from(level.bucket.subarray(256, 512)));
    expect(Array.from(back.count)).toEqual(Array.from(level.count.subarray(256, 512)));
    expect(Array.from(back.firstSeq)).toEqual(Array.from(level.firstSeq.subarray(256, 512)));
    expect(chunks[1]!.firstBucket).toBe(level.bucket[256]);
    // A blob that does not start on an 8-byte boundary decodes the same.
    const odd = new Uint8Array(chunks[1]!.data.length + 1).subarray(1);
    odd.set(chunks[1]!.data);
    expect(Array.from(decodeChunk(chunks[1]!.n, odd).minT)).toEqual(Array.from(back.minT));
  });

  it('leaves long spans and empty lanes out', () => {
    expect(laneLodOf([])).toEqual({ minLevel: -1, maxLevel: -1, levels: [] });
    const lod = laneLodOf([
      { t: 0, dur: 2 ** 21, lane: 0, kind: 0 },
      { t: 5, dur: 1, lane: 0, kind: 0 },
    ]);
    expect(lod.levels[0]!.count.reduce((a, b) => a + b, 0)).toBe(1);
  });
});
