// A zoom window at pixel resolution, the way Perfetto's UI asks for one: per lane, the levels of
// detail give how many events the window holds (one indexed range of packed buckets at the level
// whose buckets are just under a pixel wide, per segment of the lane: a segment whose floor is
// coarser is read at its floor); a lane holding no more than the raw limit comes back as its real
// events (one primary-key range of the run's clustered table), a busier one as aggregate columns
// (see TimelineAggregateColumns) with one entry per pixel column merged from those buckets. Long
// spans (timeline_long_spans) always come back as real events. An incomplete timeline (its run
// died while storing) has no levels: each lane comes back raw, cut at the limit.
// Aggregates are snapped to their level's grid: an edge bucket counts all of its events, so a
// lane's aggregate counts can exceed the events overlapping the window by the edge buckets' contents.
// Must not: change anything; build objects for events it does not return.

import type BetterSqlite3 from 'better-sqlite3';
import type { TimelineAggregateColumns, TimelineEvent, TimelineWindow, TimelineWindowQuery } from '../../core/contract/timeline';
import { bucketWidthNs, decodeChunk, levelForResolution } from './timelineLod';
import { decodeEventValues, laneInfos, type EventValues, type StoredLane, type TimelineMeta } from './timelineMeta';
import { EVENT_COLUMNS, eventsTableOf } from './timelineTables';

export interface LaneWindowMode {
  readonly lane: number;
  readonly mode: 'raw' | 'aggregated';
  /** Width of the buckets the lane was aggregated from, the coarsest when its segments differ (null when raw). */
  readonly bucketNs: number | null;
  /** Aggregated: from which time on which bucket width was read, in time order (null when raw). */
  readonly ranges: readonly LodRange[] | null;
}

/** Buckets of one width read for the part of a lane's window from `fromNs` on. */
export interface LodRange {
  readonly fromNs: number;
  readonly toNs: number;
  readonly level: number;
  readonly bucketNs: number;
}

export interface DetailedWindow extends TimelineWindow {
  readonly laneModes: readonly LaneWindowMode[];
}

export function rawWindowSql(runId: number): string {
  return `SELECT ${EVENT_COLUMNS} FROM ${eventsTableOf(runId)}
          WHERE lane = ? AND t >= ? AND t <= ? AND dur < ? AND t + dur >= ? ORDER BY t, seq LIMIT ?`;
}

export function longSpansSql(runId: number): string {
  return `SELECT e.seq, e.t, e.dur, e.lane, e.kind, e.a0, e.a1, e.a2, e.cause
          FROM timeline_long_spans l JOIN ${eventsTableOf(runId)} e ON e.lane = l.lane AND e.t = l.t AND e.seq = l.seq
          WHERE l.run_id = ? AND l.t <= ? AND l.end_t >= ?`;
}

/** Chunks of one level covering buckets [lo, hi]: the last chunk starting at or before lo, and every one up to hi. */
export const LOD_RANGE_SQL = `SELECT n, data FROM timeline_lod
  WHERE run_id = @run AND lane = @lane AND level = @level
    AND first_bucket >= IFNULL((SELECT MAX(first_bucket) FROM timeline_lod
                                WHERE run_id = @run AND lane = @lane AND level = @level AND first_bucket <= @lo), @lo)
    AND first_bucket <= @hi
  ORDER BY first_bucket`;

export function readTimelineWindow(db: BetterSqlite3.Database, meta: TimelineMeta, q: TimelineWindowQuery): DetailedWindow {
  const reader = new WindowReader(db, meta, q);
  return reader.read();
}

/** The pixel columns of one lane, filled from buckets (typed arrays, reused across the lanes of a window). */
class CellColumns {
  n = 0;
  total = 0;
  /** The pixel column of the last cell (-1 before any). */
  lastPx = -1;
  readonly minT: Float64Array;
  readonly end: Float64Array;
  readonly count: Float64Array;
  readonly failures: Float64Array;
  readonly seq: Float64Array;
  readonly kind: Uint16Array;

  constructor(widthPx: number) {
    this.minT = new Float64Array(widthPx);
    this.end = new Float64Array(widthPx);
    this.count = new Float64Array(widthPx);
    this.failures = new Float64Array(widthPx);
    this.seq = new Float64Array(widthPx);
    this.kind = new Uint16Array(widthPx);
  }

  reset(): void {
    this.n = 0;
    this.total = 0;
    this.lastPx = -1;
  }
}

/**
 * The bucket widths a lane's window [fromNs, toNs] is read at: each segment at the level just
 * under a pixel (`level`), or its floor when that is coarser, never above the lane's top level;
 * neighbouring segments read at the same level are one range. Segment starts are multiples of the
 * coarser neighbour's bucket width, so no bucket of a range reaches into the next.
 */
export function lodRanges(lane: StoredLane, level: number, fromNs: number, toNs: number): LodRange[] {
  const out: LodRange[] = [];
  const segs = lane.segments;
  for (let i = 0; i < segs.length; i++) {
    const segFrom = segs[i]!.fromNs;
    const segTo = i + 1 < segs.length ? segs[i + 1]!.fromNs : Number.POSITIVE_INFINITY;
    if (segTo <= fromNs || segFrom > toNs) continue;
    const k = Math.min(lane.lodMaxLevel, Math.max(level, segs[i]!.floor));
    const last = out[out.length - 1];
    if (last !== undefined && last.level === k) out[out.length - 1] = { ...last, toNs: segTo };
    else out.push({ fromNs: segFrom, toNs: segTo, level: k, bucketNs: bucketWidthNs(k) });
  }
  return out;
}

class WindowReader {
  private readonly nsPerPx: number;
  private readonly rawLimit: number;
  private readonly raw: BetterSqlite3.Statement;
  private readonly lod: BetterSqlite3.Statement;
  private readonly cells: CellColumns;
  private readonly events: TimelineEvent[] = [];
  private readonly aggregates: TimelineAggregateColumns[] = [];
  private readonly modes: LaneWindowMode[] = [];
  private truncated = false;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly meta: TimelineMeta,
    private readonly q: TimelineWindowQuery,
  ) {
    this.nsPerPx = Math.max(1, (q.endNs - q.startNs) / q.widthPx);
    // Real events while a lane holds no more than one per pixel column (or the caller's limit).
    this.rawLimit = q.limit ?? q.widthPx;
    // Raw mode: rows as arrays, cheaper to make than objects (a lane can return widthPx of them).
    this.raw = db.prepare(rawWindowSql(meta.runId)).raw(true);
    this.lod = db.prepare(LOD_RANGE_SQL);
    this.cells = new CellColumns(q.widthPx);
  }

  read(): DetailedWindow {
    const { meta, q } = this;
    const wanted = q.lanes === undefined ? meta.lanes : q.lanes.map((id) => meta.lanes[id]).filter((l) => l !== undefined);
    const longs = this.longSpansByLane();
    for (const lane of wanted) {
      this.readLane(lane);
      for (const e of longs.get(lane.id) ?? []) this.events.push(e);
    }
    return {
      runId: meta.runId,
      startNs: q.startNs,
      endNs: q.endNs,
      lanes: laneInfos(meta),
      events: this.events,
      aggregates: this.aggregates,
      truncated: this.truncated,
      laneModes: this.modes,
    };
  }

  private readLane(lane: StoredLane): void {
    if (!this.meta.complete || lane.lodMinLevel < 0 || lane.eventCount <= this.rawLimit) {
      this.readRaw(lane, this.meta.complete ? lane.spanCutNs : Number.MAX_VALUE);
      return;
    }
    const fromNs = this.q.startNs - lane.maxShortDurNs;
    const ranges = lodRanges(lane, levelForResolution(this.nsPerPx), fromNs, this.q.endNs);
    this.cells.reset();
    for (const r of ranges) {
      const w = r.bucketNs;
      const lo = Math.max(Math.floor(fromNs / w), Math.ceil(r.fromNs / w));
      const hi = Math.min(Math.floor(this.q.endNs / w), Math.ceil(r.toNs / w) - 1);
      if (hi < lo) continue;
      const chunks = this.lod.all({ run: this.meta.runId, lane: lane.id, level: r.level, lo, hi }) as { n: number; data: Buffer }[];
      this.fillCells(chunks, lo, hi);
    }
    // Counting needs the buckets anyway; cells are cheap to drop when the lane turns out sparse enough.
    if (this.cells.total <= this.rawLimit) {
      this.readRaw(lane, lane.spanCutNs);
      return;
    }
    this.truncated = true;
    const bucketNs = Math.max(...ranges.map((r) => r.bucketNs));
    this.modes.push({ lane: lane.id, mode: 'aggregated', bucketNs, ranges });
    this.pushCells(lane.id, bucketNs);
  }

  private readRaw(lane: StoredLane, spanCutNs: number): void {
    const { q } = this;
    const rows = this.raw.all(lane.id, q.startNs - lane.maxShortDurNs, q.endNs, spanCutNs, q.startNs, this.rawLimit + 1) as EventValues[];
    if (rows.length > this.rawLimit) {
      this.truncated = true;
      rows.length = this.rawLimit;
    }
    for (const r of rows) this.events.push(decodeEventValues(r, this.meta));
    this.modes.push({ lane: lane.id, mode: 'raw', bucketNs: null, ranges: null });
  }

  /**
   * Merges the buckets in [lo, hi] that reach the window into pixel columns (by the column of
   * their first event) and counts their events, after the cells of earlier ranges (buckets come
   * in time order). A hot loop: typed arrays only.
   */
  private fillCells(chunks: readonly { n: number; data: Buffer }[], lo: number, hi: number): void {
    const cells = this.cells;
    const start = this.q.startNs;
    const perPx = 1 / this.nsPerPx;
    const lastPx = this.q.widthPx - 1;
    let px = cells.lastPx;
    let i = cells.n - 1;
    for (const raw of chunks) {
      const c = decodeChunk(raw.n, raw.data);
      for (let j = 0; j < c.n; j++) {
        const b = c.bucket[j]!;
        const end = c.maxEnd[j]!;
        if (b < lo || b > hi || end < start) continue;
        const k = c.count[j]!;
        cells.total += k;
        const t = c.minT[j]!;
        let p = Math.floor((t - start) * perPx);
        if (p < 0) p = 0;
        else if (p > lastPx) p = lastPx;
        if (p !== px) {
          px = p;
          i = cells.n++;
          cells.minT[i] = t;
          cells.end[i] = end;
          cells.count[i] = k;
          cells.failures[i] = c.failures[j]!;
          cells.seq[i] = c.firstSeq[j]!;
          cells.kind[i] = c.firstKind[j]!;
        } else {
          cells.count[i] = cells.count[i]! + k;
          cells.failures[i] = cells.failures[i]! + c.failures[j]!;
          if (end > cells.end[i]!) cells.end[i] = end;
        }
      }
    }
    cells.lastPx = px;
  }

  /** The filled pixel columns as the lane's aggregate columns (plain arrays: they cross IPC and JSON). */
  private pushCells(laneId: number, bucketNs: number): void {
    const { cells } = this;
    const n = cells.n;
    this.aggregates.push({
      lane: laneId,
      bucketNs,
      tNs: Array.from(cells.minT.subarray(0, n)),
      endNs: Array.from(cells.end.subarray(0, n)),
      count: Array.from(cells.count.subarray(0, n)),
      failures: Array.from(cells.failures.subarray(0, n)),
      seq: Array.from(cells.seq.subarray(0, n)),
      kind: Array.from(cells.kind.subarray(0, n)),
    });
  }

  private longSpansByLane(): Map<number, TimelineEvent[]> {
    const byLane = new Map<number, TimelineEvent[]>();
    if (!this.meta.complete) return byLane;
    const rows = this.db
      .prepare(longSpansSql(this.meta.runId))
      .raw(true)
      .all(this.meta.runId, this.q.endNs, this.q.startNs) as EventValues[];
    for (const r of rows) {
      const list = byLane.get(r[3]) ?? [];
      list.push(decodeEventValues(r, this.meta));
      byLane.set(r[3], list);
    }
    return byLane;
  }
}
