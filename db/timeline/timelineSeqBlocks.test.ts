import { describe, expect, it } from 'vitest';
import { effectBlocksOf, effectsInBlock, locateInBlock, SEQ_BLOCK, seqBlocksOf } from './timelineSeqBlocks';
import { recordTestTimeline, type TestEvent } from './timelineFixture.testkit';

describe('lookups by seq', () => {
  const events: TestEvent[] = [];
  for (let i = 0; i < SEQ_BLOCK * 2 + 100; i++) {
    events.push({ t: i * 3, dur: 1, lane: i % 3, kind: 0, cause: i === 0 ? -1 : i % 10 === 0 ? 0 : i - 1 });
  }
  const cols = recordTestTimeline(events, 3);

  it('finds the lane and time of any seq from its block', () => {
    const blocks = [...seqBlocksOf(cols)];
    expect(blocks.map((b) => b.block)).toEqual([0, 1, 2]);
    for (const seq of [0, 1, SEQ_BLOCK - 1, SEQ_BLOCK, 2 * SEQ_BLOCK + 99]) {
      const b = blocks[Math.floor(seq / SEQ_BLOCK)]!;
      expect(locateInBlock(b.lanes, b.times, seq)).toEqual({ lane: seq % 3, t: seq * 3 });
    }
    expect(locateInBlock(blocks[2]!.lanes, blocks[2]!.times, 2 * SEQ_BLOCK + 100)).toBeUndefined();
  });

  it('lists the effects of a cause in seq order, the same as a scan of the cause column', () => {
    const blocks = new Map([...effectBlocksOf(cols)].map((b) => [b.block, b]));
    for (const cause of [0, 1, 9, SEQ_BLOCK - 1, SEQ_BLOCK + 5, 2 * SEQ_BLOCK + 99]) {
      const b = blocks.get(Math.floor(cause / SEQ_BLOCK));
      const got = b === undefined ? [] : effectsInBlock(b.offsets, b.seqs, cause);
      const want = events.flatMap((e, i) => (e.cause === cause ? [i] : []));
      expect(got, `effects of ${cause}`).toEqual(want);
    }
  });
});
