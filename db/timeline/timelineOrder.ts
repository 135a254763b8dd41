// The storage order of one chunk of a streamed timeline: its events sorted by (lane, t, seq), the
// per-run table's key, so each chunk appends to every lane's key range in order (events are
// recorded roughly in time order, so a lane's rows of a chunk mostly follow the ones stored
// before) and each lane's events reach its builder in (t, seq) order.
// Must not: touch the database; allocate per event (typed arrays, reused from chunk to chunk).

export interface ChunkOrder {
  /** Positions in the chunk in (lane, t, seq) order. */
  readonly order: Uint32Array;
  /** order[laneStart[l] .. laneStart[l + 1]) are lane l's events. */
  readonly laneStart: Uint32Array;
}

interface ChunkEvents {
  readonly count: number;
  readonly t: Float64Array;
  readonly lane: Uint16Array;
}

/** Orders chunk after chunk with the same buffers. */
export class ChunkOrderer {
  private order = new Uint32Array(0);
  private laneStart = new Uint32Array(0);

  orderChunk(chunk: ChunkEvents, laneCount: number): ChunkOrder {
    const n = chunk.count;
    if (this.order.length < n) this.order = new Uint32Array(Math.max(n, 2 * this.order.length));
    if (this.laneStart.length < laneCount + 1) this.laneStart = new Uint32Array(Math.max(laneCount + 1, 2 * this.laneStart.length));
    const laneStart = this.laneStart.subarray(0, laneCount + 1);
    const order = this.order.subarray(0, n);
    laneStart.fill(0);
    const lane = chunk.lane;
    for (let i = 0; i < n; i++) laneStart[lane[i]! + 1] = laneStart[lane[i]! + 1]! + 1;
    for (let l = 0; l < laneCount; l++) laneStart[l + 1] = laneStart[l + 1]! + laneStart[l]!;
    // Counting sort by lane keeps seq order inside a lane, which is time order for events recorded
    // in time order; a lane that is not gets sorted by (t, seq).
    const fill = laneStart.slice(0, laneCount);
    for (let i = 0; i < n; i++) order[fill[lane[i]!]!++] = i;
    const t = chunk.t;
    for (let l = 0; l < laneCount; l++) {
      const from = laneStart[l]!;
      const to = laneStart[l + 1]!;
      let sorted = true;
      for (let p = from + 1; p < to && sorted; p++) sorted = t[order[p - 1]!]! <= t[order[p]!]!;
      if (!sorted) order.subarray(from, to).sort((a, b) => t[a]! - t[b]! || a - b);
    }
    return { order, laneStart };
  }
}
