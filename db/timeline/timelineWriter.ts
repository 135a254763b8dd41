// Stores one run's recorded timeline: first its lanes, kinds, strings and lane figures with the
// timeline marked incomplete; then everything derived from the recorded columns (levels of
// detail, long spans, seq and effect blocks, failures); then the event rows in (lane, t, seq)
// order (multi-row statements); then the complete mark. Every step is its own short transaction
// (a lane's levels, a group of blocks, a batch of rows), so the write lock is never held long:
// other connections' writers (the main thread's heartbeats) wait milliseconds, not seconds.
// A process killed in between leaves whole steps and an intact database: the timeline reads as
// incomplete (windows come back raw; lookups of rows not stored find nothing).
// Must not: import database.ts (migrations use this module; database.ts imports the migrations).

import type BetterSqlite3 from 'better-sqlite3';
import type { TimelineColumns } from '../../core/sim/timelineRecorder';
import { createEventsTableSql, dropEventsTableSql, eventsTableOf } from './timelineTables';
import { orderTimeline, type TimelineOrder } from './timelineOrder';
import { buildLaneLod, encodeChunks, LOD_BASE_NS } from './timelineLod';
import { effectBlocksOf, seqBlocksOf } from './timelineSeqBlocks';

type Db = BetterSqlite3.Database;

export const STORE_BATCH_ROWS = 50_000;
/**
 * WAL pages between automatic checkpoints while a timeline is stored (64 MiB instead of SQLite's
 * 4 MiB): each checkpoint syncs the WAL, and a checkpoint every other batch made storing wait on
 * the disk more than it computed. One checkpoint runs at the end.
 */
const STORE_WAL_AUTOCHECKPOINT_PAGES = 16_384;
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
  'timeline_effect_blocks',
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

export class TimelineWriter {
  constructor(private readonly db: Db) {}

  store(runId: number, cols: TimelineColumns, hooks: StoreHooks = {}): StoreOutcome {
    // Inside a caller's transaction (a migration) every step is a savepoint: no checkpoint to tune.
    if (this.db.inTransaction) return this.storeSteps(runId, cols, hooks);
    const autocheckpoint = this.db.pragma('wal_autocheckpoint', { simple: true }) as number;
    this.db.pragma(`wal_autocheckpoint = ${Math.max(autocheckpoint, STORE_WAL_AUTOCHECKPOINT_PAGES)}`);
    try {
      return this.storeSteps(runId, cols, hooks);
    } finally {
      this.db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
      this.db.pragma('wal_checkpoint(PASSIVE)');
    }
  }

  private storeSteps(runId: number, cols: TimelineColumns, hooks: StoreHooks): StoreOutcome {
    const ord = orderTimeline(cols);
    this.db.transaction(() => this.begin(runId, cols, ord))();
    for (const step of this.derivedSteps(runId, cols, ord)) {
      if (hooks.shouldStop?.() === true) {
        this.discard(runId);
        return 'stopped';
      }
      this.db.transaction(step)();
    }
    const stored = this.insertRows(runId, cols, ord, hooks);
    if (stored < cols.count) {
      this.discard(runId);
      return 'stopped';
    }
    this.db.prepare('UPDATE timeline_runs SET complete = 1 WHERE run_id = ?').run(runId);
    return 'stored';
  }

  /** Removes a run's timeline (all of it, complete or not). */
  discard(runId: number): void {
    this.db.transaction(() => {
      this.db.exec(dropEventsTableSql(runId));
      for (const table of TIMELINE_TABLES) this.db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(runId);
    })();
  }

  private begin(runId: number, cols: TimelineColumns, ord: TimelineOrder): void {
    this.db.exec(createEventsTableSql(runId));
    this.db
      .prepare(
        `INSERT INTO timeline_runs (run_id, event_count, start_ns, end_ns, failure_count, lod_base_ns, complete)
         VALUES (?, ?, ?, ?, ?, ?, 0)`,
      )
      .run(runId, cols.count, ord.startNs, ord.endNs, ord.failureCount, LOD_BASE_NS);
    const lane = this.db.prepare(
      'INSERT INTO timeline_lanes (run_id, lane, name, grp, max_dur, event_count, span_cut) VALUES (?,?,?,?,?,?,?)',
    );
    for (const l of cols.lanes) {
      const s = ord.lanes[l.id]!;
      lane.run(runId, l.id, l.name, l.group, s.maxShortDurNs, s.eventCount, s.spanCutNs);
    }
    const kind = this.db.prepare('INSERT INTO timeline_kinds (run_id, kind, name, args_json, failure) VALUES (?,?,?,?,?)');
    for (const k of cols.kinds) kind.run(runId, k.id, k.name, JSON.stringify(k.args), k.failure ? 1 : 0);
    const str = this.db.prepare('INSERT INTO timeline_strings (run_id, idx, value) VALUES (?,?,?)');
    cols.strings.forEach((s, i) => str.run(runId, i, s));
  }

  /** Appends the rows in key order; returns how many were stored (fewer when stopped). */
  private insertRows(runId: number, cols: TimelineColumns, ord: TimelineOrder, hooks: StoreHooks): number {
    const table = eventsTableOf(runId);
    const values = `(${new Array<string>(COLUMNS_PER_ROW).fill('?').join(',')})`;
    const many = this.db.prepare(
      `INSERT INTO ${table} (lane, t, seq, dur, kind, a0, a1, a2, cause) VALUES ${new Array<string>(ROWS_PER_STATEMENT).fill(values).join(',')}`,
    );
    const one = this.db.prepare(`INSERT INTO ${table} (lane, t, seq, dur, kind, a0, a1, a2, cause) VALUES ${values}`);
    // One argument array, reused: no object per event.
    const args: (number | null)[] = new Array<number | null>(ROWS_PER_STATEMENT * COLUMNS_PER_ROW).fill(0);
    const { order } = ord;
    const batch = this.db.transaction((from: number, to: number) => {
      let p = from;
      for (; p + ROWS_PER_STATEMENT <= to; p += ROWS_PER_STATEMENT) {
        for (let r = 0; r < ROWS_PER_STATEMENT; r++) setRow(args, r * COLUMNS_PER_ROW, cols, order[p + r]!);
        many.run(args);
      }
      for (; p < to; p++) {
        setRow(args, 0, cols, order[p]!);
        one.run(args.slice(0, COLUMNS_PER_ROW));
      }
    });
    for (let from = 0; from < cols.count; from += STORE_BATCH_ROWS) {
      if (hooks.shouldStop?.() === true) return from;
      const to = Math.min(cols.count, from + STORE_BATCH_ROWS);
      batch(from, to);
      hooks.onBatch?.(to);
    }
    return cols.count;
  }

  /** The derived rows as steps of bounded size, each run in its own transaction. */
  private *derivedSteps(runId: number, cols: TimelineColumns, ord: TimelineOrder): Generator<() => void> {
    const lod = this.db.prepare('INSERT INTO timeline_lod (run_id, lane, level, first_bucket, n, data) VALUES (?,?,?,?,?,?)');
    const levels = this.db.prepare('UPDATE timeline_lanes SET lod_min_level = ?, lod_max_level = ? WHERE run_id = ? AND lane = ?');
    const long = this.db.prepare('INSERT INTO timeline_long_spans (run_id, lane, t, seq, end_t) VALUES (?,?,?,?,?)');
    for (let l = 0; l < cols.lanes.length; l++) {
      const from = ord.laneStart[l]!;
      const to = ord.laneStart[l + 1]!;
      const { spanCutNs } = ord.lanes[l]!;
      const laneLod = buildLaneLod({ cols, order: ord.order, from, to, spanCutNs, failureKinds: ord.failureKinds });
      yield () => {
        laneLod.levels.forEach((buckets, k) => {
          for (const c of encodeChunks(buckets)) lod.run(runId, l, laneLod.minLevel + k, c.firstBucket, c.n, c.data);
        });
        levels.run(laneLod.minLevel, laneLod.maxLevel, runId, l);
        for (let p = from; p < to; p++) {
          const i = ord.order[p]!;
          if (cols.dur[i]! >= spanCutNs) long.run(runId, l, cols.t[i], i, cols.t[i]! + cols.dur[i]!);
        }
      };
    }
    const seq = this.db.prepare('INSERT INTO timeline_seq_blocks (run_id, block, lanes, times) VALUES (?,?,?,?)');
    yield* grouped(seqBlocksOf(cols), (b) => seq.run(runId, b.block, b.lanes, b.times));
    const effects = this.db.prepare('INSERT INTO timeline_effect_blocks (run_id, block, offsets, seqs) VALUES (?,?,?,?)');
    yield* grouped(effectBlocksOf(cols), (b) => effects.run(runId, b.block, b.offsets, b.seqs));
    const failure = this.db.prepare('INSERT INTO timeline_failures (run_id, t, seq, lane) VALUES (?,?,?,?)');
    for (let from = 0; from < cols.count; from += STORE_BATCH_ROWS) {
      const to = Math.min(cols.count, from + STORE_BATCH_ROWS);
      yield () => {
        for (let i = from; i < to; i++) {
          if (ord.failureKinds[cols.kind[i]!] === 1) failure.run(runId, cols.t[i], i, cols.lane[i]);
        }
      };
    }
  }
}

/** Blocks of 4096 seqs are about 40 KiB each: 64 of them per transaction. */
const BLOCKS_PER_STEP = 64;

function* grouped<T>(items: Iterable<T>, insert: (item: T) => void): Generator<() => void> {
  let group: T[] = [];
  for (const item of items) {
    group.push(item);
    if (group.length === BLOCKS_PER_STEP) {
      const g = group;
      yield () => g.forEach(insert);
      group = [];
    }
  }
  if (group.length > 0) yield () => group.forEach(insert);
}

function setRow(args: (number | null)[], o: number, cols: TimelineColumns, i: number): void {
  const c = cols.cause[i]!;
  args[o] = cols.lane[i]!;
  args[o + 1] = cols.t[i]!;
  args[o + 2] = i;
  args[o + 3] = cols.dur[i]!;
  args[o + 4] = cols.kind[i]!;
  args[o + 5] = cols.a0[i]!;
  args[o + 6] = cols.a1[i]!;
  args[o + 7] = cols.a2[i]!;
  args[o + 8] = c < 0 ? null : c;
}
