import { describe, expect, it } from 'vitest';
import { ChunkOrderer } from './timelineOrder';

function chunk(events: readonly { t: number; lane: number }[]) {
  return { count: events.length, t: Float64Array.from(events, (e) => e.t), lane: Uint16Array.from(events, (e) => e.lane) };
}

describe('the storage order of a chunk', () => {
  it('sorts events by (lane, t, seq), also a lane recorded out of time order', () => {
    const ord = new ChunkOrderer().orderChunk(
      chunk([
        { t: 50, lane: 1 },
        { t: 10, lane: 0 },
        { t: 20, lane: 1 },
        { t: 20, lane: 1 },
        { t: 5, lane: 0 },
      ]),
      2,
    );
    expect(Array.from(ord.order)).toEqual([4, 1, 2, 3, 0]);
    expect(Array.from(ord.laneStart)).toEqual([0, 2, 5]);
  });

  it('reuses its buffers from chunk to chunk, whatever their sizes and lane counts', () => {
    const orderer = new ChunkOrderer();
    const big = Array.from({ length: 1000 }, (_, i) => ({ t: 1000 - i, lane: i % 3 }));
    const first = orderer.orderChunk(chunk(big), 3);
    expect(Array.from(first.laneStart)).toEqual([0, 334, 667, 1000]);
    const lane0 = Array.from(first.order.subarray(0, 334));
    expect(lane0.every((i) => big[i]!.lane === 0)).toBe(true);
    expect(lane0.map((i) => big[i]!.t)).toEqual([...lane0.map((i) => big[i]!.t)].sort((a, b) => a - b));
    const small = orderer.orderChunk(
      chunk([
        { t: 3, lane: 4 },
        { t: 1, lane: 0 },
      ]),
      5,
    );
    expect(Array.from(small.order)).toEqual([1, 0]);
    expect(Array.from(small.laneStart)).toEqual([0, 1, 1, 1, 1, 2]);
  });
});
