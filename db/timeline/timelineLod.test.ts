import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  bucketsOfEvents,
  bucketWidthNs,
  BucketList,
  decodeChunk,
  encodeChunks,
  LOD_CHUNK_BUCKETS,
  levelForResolution,
  levelRange,
  mergeUp,
  type LodBuckets,
  type SortedEvents,
} from './timelineLod';

interface Ev {
  readonly t: number;
  readonly dur: number;
  readonly seq: number;
  readonly kind: number;
  readonly failure: number;
}

function sorted(events: readonly Ev[]): SortedEvents {
  const order = Uint32Array.from(events.keys()).sort((a, b) => events[a]!.t - events[b]!.t || events[a]!.seq - events[b]!.seq);
  return {
    t: Float64Array.from(events, (e) => e.t),
    dur: Float64Array.from(events, (e) => e.dur),
    seq: Uint32Array.from(events, (e) => e.seq),
    kind: Uint16Array.from(events, (e) => e.kind),
    failure: Uint8Array.from(events, (e) => e.failure),
    order,
  };
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

/** Brute force: the buckets of `level` over all events, first in (t, seq) order. */
function reference(events: readonly Ev[], level: number): number[][] {
  const w = bucketWidthNs(level);
  const byBucket = new Map<number, Ev[]>();
  for (const e of events) byBucket.set(Math.floor(e.t / w), [...(byBucket.get(Math.floor(e.t / w)) ?? []), e]);
  return [...byBucket.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([b, es]) => {
      const first = [...es].sort((x, y) => x.t - y.t || x.seq - y.seq)[0]!;
      return [b, first.t, Math.max(...es.map((e) => e.t + e.dur)), es.length, es.reduce((n, e) => n + e.failure, 0), first.seq, first.kind];
    });
}

const evArb = fc.record({
  t: fc.integer({ min: 0, max: 5_000_000 }),
  dur: fc.integer({ min: 0, max: 50_000 }),
  kind: fc.integer({ min: 0, max: 5 }),
  failure: fc.integer({ min: 0, max: 1 }),
});

describe('levels of detail', () => {
  it('picks the coarsest level whose buckets fit in a pixel', () => {
    expect(levelForResolution(100)).toBe(-1);
    expect(levelForResolution(256)).toBe(0);
    expect(levelForResolution(1023)).toBe(0);
    expect(levelForResolution(1024)).toBe(1);
    expect(bucketWidthNs(levelForResolution(2.5e6))).toBeLessThanOrEqual(2.5e6);
    expect(bucketWidthNs(levelForResolution(2.5e6) + 1)).toBeGreaterThan(2.5e6);
  });

  it('keeps the levels from one averaging 4+ events per bucket up to the first with a single bucket', () => {
    const events: Ev[] = [];
    for (let i = 0; i < 5000; i++)
      events.push({ t: i * 100 + (i % 7) * 3, dur: (i % 5) * 40, seq: i, kind: 0, failure: i % 50 === 0 ? 1 : 0 });
    const ev = sorted(events);
    const { minLevel, maxLevel } = levelRange(ev, 0, events.length);
    const min = bucketsOfEvents(ev, 0, events.length, minLevel);
    expect(min.n * 4).toBeLessThanOrEqual(5000);
    expect(bucketsOfEvents(ev, 0, events.length, minLevel - 1).n * 4).toBeGreaterThan(5000);
    expect(bucketsOfEvents(ev, 0, events.length, maxLevel).n).toBe(1);
    expect(bucketsOfEvents(ev, 0, events.length, maxLevel - 1).n).toBeGreaterThan(1);
    expect(levelRange(sorted([{ t: 7, dur: 0, seq: 0, kind: 0, failure: 0 }]), 0, 1)).toEqual({ minLevel: 0, maxLevel: 0 });
  });

  it('summarizes a level from events, or from the level below, the same as a brute force', () => {
    fc.assert(
      fc.property(fc.array(evArb, { minLength: 1, maxLength: 300 }), fc.integer({ min: 0, max: 12 }), (raw, level) => {
        const events = raw.map((e, seq) => ({ ...e, seq }));
        const ev = sorted(events);
        const direct = bucketsOfEvents(ev, 0, events.length, level);
        expect(plain(direct)).toEqual(reference(events, level));
        expect(plain(mergeUp(direct))).toEqual(reference(events, level + 1));
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('merges buckets built from any split of the events, in any order, into the buckets of all of them', () => {
    fc.assert(
      fc.property(
        fc.array(evArb, { minLength: 1, maxLength: 300 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 300, maxLength: 300 }),
        fc.integer({ min: 0, max: 8 }),
        (raw, part, level) => {
          const events = raw.map((e, seq) => ({ ...e, seq }));
          const list = new BucketList(2);
          // Parts 3, 1, 0, 2: later events before earlier ones, like late events and demotions.
          for (const p of [3, 1, 0, 2]) {
            const mine = events.filter((_, i) => part[i] === p);
            if (mine.length === 0) continue;
            const b = bucketsOfEvents(sorted(mine), 0, mine.length, level);
            for (let i = 0; i < b.n; i++) list.add(b, i);
          }
          expect(plain(list.view())).toEqual(reference(events, level));
        },
      ),
      { numRuns: 200, seed: 11 },
    );
  });

  it('encodes buckets in rows of at most 256 and decodes them back', () => {
    const events: Ev[] = Array.from({ length: 20_000 }, (_, i) => ({ t: i * 1000, dur: 10, seq: i, kind: 0, failure: 0 }));
    const level = bucketsOfEvents(sorted(events), 0, events.length, 0);
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
});
