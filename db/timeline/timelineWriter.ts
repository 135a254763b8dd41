// Stores one run's timeline while the run goes: a TimelineSink the recorder hands its chunks to.
// Each chunk's new lanes, kinds and strings, then its event rows in (lane, t, seq) order
// (multi-row statements), then what it adds to the derived data (levels of detail and long-span
// candidates per lane, seq blocks, effect parts, failures, lane and run figures); finish() closes
// the lanes (long spans, last rows of the levels, final figures) and marks the timeline complete.
// Every step is its own short transaction (a batch of rows, a chunk's derived rows, a lane), so the
// write lock is never held long: other connections' writers (the main thread's heartbeats) wait
// milliseconds, not seconds. Each begins IMMEDIATE (takes the write lock first, waiting through
// busy_timeout): a deferred one that read before writing while another run's worker committed would
// fail at once with SQLITE_BUSY (its snapshot is stale), and an experiment's variants store in
// parallel. Memory: one chunk's order and, per lane, its open level rows and its
// first 4096 events until its first floor decision; never the run.
// A process killed in between leaves whole steps and an intact database: the timeline reads as
// incomplete (windows come back raw; lookups of rows not stored find nothing).
// Must not: import database.ts (migrations use this module; database.ts imports the migrations).

import type BetterSqlite3 from 'better-sqlite3';
import { DEFAULT_CHUNK_EVENTS, type TimelineChunk, type TimelineColumns, type TimelineSink } from '../../core/sim/timelineRecorder';
import { createEventsTableSql, dropEventsTableSql, eventsTableOf } from './timelineTables';
import { ChunkOrderer } from './timelineOrder';
import { decodeChunk, LOD_BASE_NS, type LodChunk } from './timelineLod';
import { DEFAULT_LANE_OPTIONS, LaneBuilder, MIN_SPAN_CUT_EXP, type LaneBuilderOptions, type LodRowStore } from './timelineLaneBuilder';
import { effectPartsOf, SeqBlockBuilder } from './timelineSeqBlocks';

type Db = BetterSqlite3.Database;

export const STORE_BATCH_ROWS = 50_000;
/**
 * WAL pages between automatic checkpoints while a timeline is stored (64 MiB instead of SQLite's
 * 4 MiB): each checkpoint syncs the WAL, and a checkpoint every other batch made storing wait on
 * the disk more than it computed. One checkpoint runs at the end.
 */
const STORE_WAL_AUTOCHECKPOINT_PAGES = 16_384;
/**
 * Page cache of the storing connection: inserts touch the last pages of each lane's key range and
 * of a few small tables, far less than the connection's default; the rest would only grow the
 * process. Memory-mapped reads are off while storing for the same reason (mapped pages count as
 * the process's memory).
 */
const STORE_CACHE_KIB = 16 * 1024;
const ROWS_PER_STATEMENT = 100;
const COLUMNS_PER_ROW = 9;

/** Shared tables holding a timeline's rows (the events themselves are in the run's own table). */
export const TIMELINE_TABLES = [
  'timeline_runs',
  'timeline_lanes',
  'timeline_kinds',
  'timeline_strings',
  'timeline_lod',
  'timeline_seq_blocks',
  'timeline_effect_parts',
  'timeline_failures',
  'timeline_long_spans',
] as const;

export interface StoreHooks {
  /** After each batch of event rows: how many are stored. */
  readonly onBatch?: (stored: number) => void;
  /** Checked between batches; true removes what was stored and stops. */
  readonly shouldStop?: () => boolean;
}

export type StoreOutcome = 'stored' | 'stopped';

export interface TimelineWriterOptions {
  /** Events per chunk the recorder hands over (default DEFAULT_CHUNK_EVENTS). */
  readonly chunkEvents?: number;
  readonly lane?: LaneBuilderOptions;
  /** Called after each batch of rows with the rows stored so far; true stops the rows of this chunk. */
  readonly onBatch?: (stored: number) => boolean;
  /** Called after each lane finish() closed (a run's heartbeat: closing many lanes takes seconds). */
  readonly onLaneFinished?: () => void;
}

export class TimelineWriter implements TimelineSink {
  readonly chunkEvents: number;
  private readonly orderer = new ChunkOrderer();
  private readonly seqBlocks = new SeqBlockBuilder();
  private readonly lanes: LaneBuilder[] = [];
  private readonly lodRows: LodRowStore;
  private readonly restorePragmas: (() => void) | null;
  private lanesWritten = 0;
  private kindsWritten = 0;
  private stringsWritten = 0;
  private failureKinds = new Uint8Array(0);
  private rowsStored = 0;
  private startNs = Number.POSITIVE_INFINITY;
  private endNs = 0;
  private failures = 0;
  private stopped = false;
  private readonly statements: ReturnType<TimelineWriter['prepare']>;

  /** Starts the run's timeline: its table and its row, marked incomplete. */
  constructor(
    private readonly db: Db,
    readonly runId: number,
    private readonly options: TimelineWriterOptions = {},
  ) {
    this.chunkEvents = options.chunkEvents ?? DEFAULT_CHUNK_EVENTS;
    this.restorePragmas = db.inTransaction ? null : tuneForStoring(db);
    try {
      db.transaction(() => {
        db.exec(createEventsTableSql(runId));
        db.prepare(
          `INSERT INTO timeline_runs (run_id, event_count, start_ns, end_ns, failure_count, lod_base_ns, complete)
           VALUES (?, 0, 0, 0, 0, ?, 0)`,
        ).run(runId, LOD_BASE_NS);
      }).immediate();
      this.statements = this.prepare();
    } catch (err) {
      this.restorePragmas?.();
      throw err;
    }
    this.lodRows = this.lodRowStore();
  }

  /** Event rows stored so far. */
  get stored(): number {
    return this.rowsStored;
  }

  /** False once onBatch asked to stop (the rest of the chunk's rows were not stored). */
  get complete(): boolean {
    return !this.stopped;
  }

  write(chunk: TimelineChunk): void {
    if (this.stopped) return;
    if (chunk.lanes.length + chunk.kinds.length + chunk.strings.length > this.lanesWritten + this.kindsWritten + this.stringsWritten) {
      this.db.transaction(() => this.writeDefinitions(chunk)).immediate();
    }
    if (chunk.count === 0) return;
    const ord = this.orderer.orderChunk(chunk, chunk.lanes.length);
    if (!this.insertRows(chunk, ord.order)) {
      this.stopped = true;
      return;
    }
    this.db.transaction(() => this.writeDerived(chunk, ord.order, ord.laneStart)).immediate();
  }

  /** Closes every lane (long spans, last rows, figures) and marks the timeline complete. */
  finish(): void {
    if (this.stopped) throw new Error('TimelineWriter.finish() after storing was stopped');
    const s = this.statements;
    try {
      for (const builder of this.lanes) {
        if (builder === undefined) continue;
        this.db
          .transaction(() => {
            const sum = builder.finish();
            for (const l of sum.longSpans) s.longSpan.run(this.runId, builder.lane, l.t, l.seq, l.endT);
            s.laneFinal.run(
              sum.maxShortDurNs,
              sum.eventCount,
              sum.spanCutNs,
              sum.lodMinLevel,
              sum.lodMaxLevel,
              sum.segments === null ? null : Buffer.from(sum.segments.buffer, sum.segments.byteOffset, sum.segments.byteLength),
              this.runId,
              builder.lane,
            );
          })
          .immediate();
        this.options.onLaneFinished?.();
      }
      s.complete.run(this.runId);
    } finally {
      this.restore();
    }
  }

  /** Removes the run's timeline (all of it, complete or not). */
  discard(): void {
    try {
      discardTimeline(this.db, this.runId);
    } finally {
      this.restore();
    }
  }

  /** Puts the connection's settings back (finish and discard do; a caller that gives up calls it). */
  restore(): void {
    this.restorePragmas?.();
  }

  private prepare() {
    const table = eventsTableOf(this.runId);
    const values = `(${new Array<string>(COLUMNS_PER_ROW).fill('?').join(',')})`;
    const db = this.db;
    return {
      many: db.prepare(
        `INSERT INTO ${table} (lane, t, seq, dur, kind, a0, a1, a2, cause) VALUES ${new Array<string>(ROWS_PER_STATEMENT).fill(values).join(',')}`,
      ),
      one: db.prepare(`INSERT INTO ${table} (lane, t, seq, dur, kind, a0, a1, a2, cause) VALUES ${values}`),
      runCount: db.prepare('UPDATE timeline_runs SET event_count = ? WHERE run_id = ?'),
      runFigures: db.prepare('UPDATE timeline_runs SET start_ns = ?, end_ns = ?, failure_count = ? WHERE run_id = ?'),
      complete: db.prepare('UPDATE timeline_runs SET complete = 1 WHERE run_id = ?'),
      lane: db.prepare('INSERT INTO timeline_lanes (run_id, lane, name, grp, max_dur, event_count, span_cut) VALUES (?,?,?,?,0,0,?)'),
      laneFigures: db.prepare('UPDATE timeline_lanes SET max_dur = ?, event_count = ? WHERE run_id = ? AND lane = ?'),
      laneFinal: db.prepare(
        `UPDATE timeline_lanes SET max_dur = ?, event_count = ?, span_cut = ?, lod_min_level = ?, lod_max_level = ?, lod_segments = ?
         WHERE run_id = ? AND lane = ?`,
      ),
      kind: db.prepare('INSERT INTO timeline_kinds (run_id, kind, name, args_json, failure) VALUES (?,?,?,?,?)'),
      string: db.prepare('INSERT INTO timeline_strings (run_id, idx, value) VALUES (?,?,?)'),
      failure: db.prepare('INSERT INTO timeline_failures (run_id, t, seq, lane) VALUES (?,?,?,?)'),
      seqBlock: db.prepare('INSERT OR REPLACE INTO timeline_seq_blocks (run_id, block, lanes, times) VALUES (?,?,?,?)'),
      effectPart: db.prepare('INSERT INTO timeline_effect_parts (run_id, block, part, causes, seqs) VALUES (?,?,?,?,?)'),
      longSpan: db.prepare('INSERT INTO timeline_long_spans (run_id, lane, t, seq, end_t) VALUES (?,?,?,?,?)'),
      lodInsert: db.prepare('INSERT INTO timeline_lod (run_id, lane, level, first_bucket, n, data) VALUES (?,?,?,?,?,?)'),
      lodAtOrBefore: db.prepare(
        `SELECT first_bucket, n, data FROM timeline_lod WHERE run_id = ? AND lane = ? AND level = ? AND first_bucket <= ?
         ORDER BY first_bucket DESC LIMIT 1`,
      ),
      lodFirst: db.prepare(
        'SELECT first_bucket, n, data FROM timeline_lod WHERE run_id = ? AND lane = ? AND level = ? ORDER BY first_bucket LIMIT 1',
      ),
      lodDelete: db.prepare('DELETE FROM timeline_lod WHERE run_id = ? AND lane = ? AND level = ? AND first_bucket = ?'),
    };
  }

  private lodRowStore(): LodRowStore {
    const s = this.statements;
    const runId = this.runId;
    const put = (lane: number, level: number, row: LodChunk): void => {
      s.lodInsert.run(runId, lane, level, row.firstBucket, row.n, row.data);
    };
    return {
      insert: put,
      rowFor: (lane, level, bucket) => {
        const r = (s.lodAtOrBefore.get(runId, lane, level, bucket) ?? s.lodFirst.get(runId, lane, level)) as
          { first_bucket: number; n: number; data: Buffer } | undefined;
        return r === undefined ? undefined : { firstBucket: r.first_bucket, buckets: decodeChunk(r.n, r.data) };
      },
      replace: (lane, level, firstBucket, row) => {
        s.lodDelete.run(runId, lane, level, firstBucket);
        put(lane, level, row);
      },
    };
  }

  private writeDefinitions(chunk: TimelineChunk): void {
    const s = this.statements;
    for (; this.lanesWritten < chunk.lanes.length; this.lanesWritten++) {
      const l = chunk.lanes[this.lanesWritten]!;
      s.lane.run(this.runId, l.id, l.name, l.group, 2 ** MIN_SPAN_CUT_EXP);
    }
    if (this.kindsWritten < chunk.kinds.length) {
      const failureKinds = new Uint8Array(chunk.kinds.length);
      failureKinds.set(this.failureKinds);
      for (; this.kindsWritten < chunk.kinds.length; this.kindsWritten++) {
        const k = chunk.kinds[this.kindsWritten]!;
        s.kind.run(this.runId, k.id, k.name, JSON.stringify(k.args), k.failure ? 1 : 0);
        if (k.failure) failureKinds[k.id] = 1;
      }
      this.failureKinds = failureKinds;
    }
    for (; this.stringsWritten < chunk.strings.length; this.stringsWritten++) {
      s.string.run(this.runId, this.stringsWritten, chunk.strings[this.stringsWritten]!);
    }
  }

  /** Appends the chunk's rows in key order, a batch per transaction; false when onBatch stopped it. */
  private insertRows(chunk: TimelineChunk, order: Uint32Array): boolean {
    const s = this.statements;
    // One argument array, reused: no object per event.
    const args: (number | null)[] = new Array<number | null>(ROWS_PER_STATEMENT * COLUMNS_PER_ROW).fill(0);
    const batch = this.db.transaction((from: number, to: number) => {
      let p = from;
      for (; p + ROWS_PER_STATEMENT <= to; p += ROWS_PER_STATEMENT) {
        for (let r = 0; r < ROWS_PER_STATEMENT; r++) setRow(args, r * COLUMNS_PER_ROW, chunk, order[p + r]!);
        s.many.run(args);
      }
      for (; p < to; p++) {
        setRow(args, 0, chunk, order[p]!);
        s.one.run(args.slice(0, COLUMNS_PER_ROW));
      }
      // In the same transaction: the count always says how many rows are there.
      s.runCount.run(this.rowsStored + (to - from), this.runId);
    });
    for (let from = 0; from < chunk.count; from += STORE_BATCH_ROWS) {
      const to = Math.min(chunk.count, from + STORE_BATCH_ROWS);
      batch.immediate(from, to);
      this.rowsStored += to - from;
      if (this.options.onBatch?.(this.rowsStored) === true && to < chunk.count) return false;
    }
    return true;
  }

  private writeDerived(chunk: TimelineChunk, order: Uint32Array, laneStart: Uint32Array): void {
    const s = this.statements;
    const { t, dur, kind, first } = chunk;
    const failureKinds = this.failureKinds;
    for (let l = 0; l + 1 < laneStart.length; l++) {
      const from = laneStart[l]!;
      const to = laneStart[l + 1]!;
      if (from === to) continue;
      const builder = (this.lanes[l] ??= new LaneBuilder(l, this.lodRows, this.options.lane ?? DEFAULT_LANE_OPTIONS));
      for (let p = from; p < to; p++) {
        const i = order[p]!;
        const ti = t[i]!;
        const di = dur[i]!;
        const failure = failureKinds[kind[i]!]!;
        builder.add(ti, di, first + i, kind[i]!, failure);
        if (ti < this.startNs) this.startNs = ti;
        if (ti + di > this.endNs) this.endNs = ti + di;
        if (failure === 1) {
          this.failures++;
          s.failure.run(this.runId, ti, first + i, l);
        }
      }
      builder.endChunk();
      s.laneFigures.run(builder.maxShortDurNs, builder.eventCount, this.runId, l);
    }
    for (const b of this.seqBlocks.add(chunk)) s.seqBlock.run(this.runId, b.block, b.lanes, b.times);
    for (const p of effectPartsOf(chunk)) s.effectPart.run(this.runId, p.block, p.part, p.causes, p.seqs);
    s.runFigures.run(this.startNs === Number.POSITIVE_INFINITY ? 0 : this.startNs, this.endNs, this.failures, this.runId);
  }
}

/** Removes a run's timeline (all of it, complete or not). */
export function discardTimeline(db: Db, runId: number): void {
  db.transaction(() => {
    db.exec(dropEventsTableSql(runId));
    for (const table of TIMELINE_TABLES) db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(runId);
  }).immediate();
}

/**
 * Stores recorded columns by streaming them through a TimelineWriter, chunk by chunk (tests,
 * benches, imports): the same path as a run's recorder takes.
 */
export function storeTimeline(
  db: Db,
  runId: number,
  cols: TimelineColumns,
  hooks: StoreHooks = {},
  options: Omit<TimelineWriterOptions, 'onBatch'> = {},
): StoreOutcome {
  let stop = false;
  const writer = new TimelineWriter(db, runId, {
    ...options,
    onBatch: (stored) => {
      hooks.onBatch?.(stored);
      stop = hooks.shouldStop?.() === true;
      return stop;
    },
  });
  try {
    const size = writer.chunkEvents;
    for (let first = 0; first < cols.count || first === 0; first += size) {
      if (hooks.shouldStop?.() === true) stop = true;
      if (stop) break;
      const to = Math.min(cols.count, first + size);
      writer.write({
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
      });
      if (cols.count === 0) break;
    }
    if (stop || !writer.complete) {
      writer.discard();
      return 'stopped';
    }
    writer.finish();
    return 'stored';
  } finally {
    writer.restore();
  }
}

/** Storing settings for a connection; returns what puts the previous ones back. */
function tuneForStoring(db: Db): () => void {
  const autocheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  const cacheSize = db.pragma('cache_size', { simple: true }) as number;
  const mmapSize = db.pragma('mmap_size', { simple: true }) as number;
  db.pragma(`wal_autocheckpoint = ${Math.max(autocheckpoint, STORE_WAL_AUTOCHECKPOINT_PAGES)}`);
  db.pragma(`cache_size = -${STORE_CACHE_KIB}`);
  db.pragma('mmap_size = 0');
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
    db.pragma(`cache_size = ${cacheSize}`);
    db.pragma(`mmap_size = ${mmapSize}`);
    db.pragma('wal_checkpoint(PASSIVE)');
  };
}

function setRow(args: (number | null)[], o: number, chunk: TimelineChunk, i: number): void {
  const c = chunk.cause[i]!;
  args[o] = chunk.lane[i]!;
  args[o + 1] = chunk.t[i]!;
  args[o + 2] = chunk.first + i;
  args[o + 3] = chunk.dur[i]!;
  args[o + 4] = chunk.kind[i]!;
  args[o + 5] = chunk.a0[i]!;
  args[o + 6] = chunk.a1[i]!;
  args[o + 7] = chunk.a2[i]!;
  args[o + 8] = c < 0 ? null : c;
}

/**
 * Runs that failed or were cancelled with an incomplete timeline (their process could not remove it:
 * the disk was full, or it died removing it; or, kept on purpose, a run worker that died).
 */
export function incompleteFinishedTimelines(db: Db): { runId: number; status: 'failed' | 'cancelled'; error: string | null }[] {
  return (
    db
      .prepare(
        `SELECT t.run_id, r.status, r.error FROM timeline_runs t JOIN runs r ON r.id = t.run_id
         WHERE t.complete = 0 AND r.status IN ('failed','cancelled')`,
      )
      .all() as { run_id: number; status: 'failed' | 'cancelled'; error: string | null }[]
  ).map((r) => ({ runId: r.run_id, status: r.status, error: r.error }));
}
