import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  effectPartOfCsr,
  effectPartsOf,
  effectsInParts,
  locateInBlock,
  SEQ_BLOCK,
  SeqBlockBuilder,
  type EffectPart,
  type SeqBlock,
} from './timelineSeqBlocks';
import { recordTestTimeline, type TestEvent } from './timelineFixture.testkit';
import type { TimelineChunk, TimelineColumns } from '../../core/sim/timelineRecorder';

function chunkOf(cols: TimelineColumns, first: number, to: number): TimelineChunk {
  return {
    first,
    count: to - first,
    t: cols.t.subarray(first, to),
    dur: cols.dur.subarray(first, to),
    lane: cols.lane.subarray(first, to),
    kind: cols.kind.subarray(first, to),
    a0: cols.a0.subarray(first, to),
    a1: cols.a1.subarray(first, to),
    a2: cols.a2.subarray(first, to),
    cause: cols.cause.subarray(first, to),
    lanes: cols.lanes,
    kinds: cols.kinds,
    strings: cols.strings,
  };
}

/** Chunk boundaries that fall inside blocks, at block edges and in the last block. */
const CUTS = [0, 1000, SEQ_BLOCK, SEQ_BLOCK + 1, 2 * SEQ_BLOCK + 50, 2 * SEQ_BLOCK + 100];

describe('lookups by seq', () => {
  const events: TestEvent[] = [];
  for (let i = 0; i < SEQ_BLOCK * 2 + 100; i++) {
    // Causes near (the previous event), far back (0: an old chunk) and none.
    events.push({ t: i * 3, dur: 1, lane: i % 3, kind: 0, cause: i === 0 ? -1 : i % 10 === 0 ? 0 : i % 7 === 0 ? -1 : i - 1 });
  }
  const cols = recordTestTimeline(events, 3);

  it('finds the lane and time of any seq from its block, blocks cut from chunks that do not line up with them', () => {
    const builder = new SeqBlockBuilder();
    const stored = new Map<number, SeqBlock>();
    for (let c = 0; c + 1 < CUTS.length; c++) {
      // Stored as they come: the open block is written again by later chunks.
      for (const b of builder.add(chunkOf(cols, CUTS[c]!, CUTS[c + 1]!))) {
        stored.set(b.block, { block: b.block, lanes: Buffer.from(b.lanes), times: Buffer.from(b.times) });
      }
    }
    expect([...stored.keys()]).toEqual([0, 1, 2]);
    for (const seq of [0, 1, 999, 1000, SEQ_BLOCK - 1, SEQ_BLOCK, 2 * SEQ_BLOCK + 99]) {
      const b = stored.get(Math.floor(seq / SEQ_BLOCK))!;
      expect(locateInBlock(b.lanes, b.times, seq)).toEqual({ lane: seq % 3, t: seq * 3 });
    }
    expect(locateInBlock(stored.get(2)!.lanes, stored.get(2)!.times, 2 * SEQ_BLOCK + 100)).toBeUndefined();
  });

  it('lists the effects of a cause in seq order from its parts, the same as a scan of the cause column', () => {
    const parts: EffectPart[] = [];
    for (let c = 0; c + 1 < CUTS.length; c++) parts.push(...effectPartsOf(chunkOf(cols, CUTS[c]!, CUTS[c + 1]!)));
    // Block 0 holds cause 0, named by every chunk: one part per chunk.
    expect(parts.filter((p) => p.block === 0).map((p) => p.part)).toEqual(CUTS.slice(0, -1));
    for (const cause of [0, 1, 9, 10, SEQ_BLOCK - 1, SEQ_BLOCK + 5, 2 * SEQ_BLOCK + 99]) {
      const mine = parts.filter((p) => p.block === Math.floor(cause / SEQ_BLOCK)).sort((a, b) => a.part - b.part);
      const want = events.flatMap((e, i) => (e.cause === cause ? [i] : []));
      expect(effectsInParts(mine, cause), `effects of ${cause}`).toEqual(want);
    }
  });

  it('lists the effects of any cause, near or far back, whatever the chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.nat()), { minLength: 1, maxLength: 3 * SEQ_BLOCK }),
        fc.array(fc.integer({ min: 1, max: 2 * SEQ_BLOCK }), { minLength: 1, maxLength: 6 }),
        (spec, sizes) => {
          const evs: TestEvent[] = spec.map(([caused, back], i) => ({
            t: i,
            dur: 0,
            lane: 0,
            kind: 0,
            cause: caused && i > 0 ? i - 1 - (back % i) : -1,
          }));
          const c = recordTestTimeline(evs, 1);
          const parts: EffectPart[] = [];
          for (let at = 0, k = 0; at < c.count; k++) {
            const to = Math.min(c.count, at + sizes[k % sizes.length]!);
            parts.push(...effectPartsOf(chunkOf(c, at, to)));
            at = to;
          }
          const byBlock = (b: number) => parts.filter((p) => p.block === b).sort((x, y) => x.part - y.part);
          for (let cause = 0; cause < evs.length; cause++) {
            expect(effectsInParts(byBlock(Math.floor(cause / SEQ_BLOCK)), cause)).toEqual(
              evs.flatMap((e, i) => (e.cause === cause ? [i] : [])),
            );
          }
        },
      ),
      { numRuns: 40, seed: 3 },
    );
  });

  it('reads a v3 effect block (CSR) as one part', () => {
    // Causes 0 and 2 of a block: 0 led to 5 and 9, 2 led to 7.
    const offsets = Buffer.from(Uint32Array.from([0, 2, 2, 3, 3]).buffer);
    const seqs = Buffer.from(Uint32Array.from([5, 9, 7]).buffer);
    const part = effectPartOfCsr(offsets, seqs);
    expect([0, 1, 2, 3].map((c) => effectsInParts([part], c))).toEqual([[5, 9], [], [7], []]);
  });
});
