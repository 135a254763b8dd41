// Schema v3's data step: timelines stored in v1's shared timeline_events table are read back run by
// run into recorder columns and stored again in the v3 layout (the run's own clustered table, levels
// of detail, seq and effect blocks...), then the shared table is dropped. Runs inside migrate()'s
// transaction, so a crash leaves the database at v2 with nothing lost.
// It stores with the frozen v3 writer (migrationV3Writer.ts): later layouts are reached by their own
// migrations (v6 converts the effect blocks written here into effect parts).
// Must not: import database.ts (it imports the migrations); store with the live timeline writer.

import type BetterSqlite3 from 'better-sqlite3';
import type { TimelineColumns } from '../core/sim/timelineRecorder';
import type { TimelineKindInfo } from '../core/contract/timeline';
import { storeTimelineV3 } from './migrationV3Writer';

type Db = BetterSqlite3.Database;

export function convertSharedTimelines(db: Db): void {
  const shared = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'timeline_events'`).get();
  if (shared === undefined) return;
  const runIds = db
    .prepare('SELECT run_id FROM timeline_lanes UNION SELECT run_id FROM timeline_kinds UNION SELECT DISTINCT run_id FROM timeline_events')
    .pluck()
    .all() as number[];
  for (const runId of runIds) {
    const cols = readV1Columns(db, runId);
    for (const table of ['timeline_lanes', 'timeline_kinds', 'timeline_strings']) {
      db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(runId);
    }
    storeTimelineV3(db, runId, cols);
  }
  db.exec('DROP TABLE timeline_events');
}

function readV1Columns(db: Db, runId: number): TimelineColumns {
  const lanes = (
    db.prepare('SELECT lane, name, grp FROM timeline_lanes WHERE run_id = ? ORDER BY lane').all(runId) as {
      lane: number;
      name: string;
      grp: string;
    }[]
  ).map((r) => ({ id: r.lane, name: r.name, group: r.grp }));
  const kinds = (
    db.prepare('SELECT kind, name, args_json, failure FROM timeline_kinds WHERE run_id = ? ORDER BY kind').all(runId) as {
      kind: number;
      name: string;
      args_json: string;
      failure: number;
    }[]
  ).map((r) => ({ id: r.kind, name: r.name, args: JSON.parse(r.args_json) as TimelineKindInfo['args'], failure: r.failure === 1 }));
  const strings = db.prepare('SELECT value FROM timeline_strings WHERE run_id = ? ORDER BY idx').pluck().all(runId) as string[];
  // v1 seqs are the recorder's indexes 0..n-1; a run interrupted while storing has a prefix of them.
  const count = (db.prepare('SELECT IFNULL(MAX(seq) + 1, 0) AS n FROM timeline_events WHERE run_id = ?').get(runId) as { n: number }).n;
  const cols = {
    count,
    t: new Float64Array(count),
    dur: new Float64Array(count),
    lane: new Uint16Array(count),
    kind: new Uint16Array(count),
    a0: new Float64Array(count),
    a1: new Float64Array(count),
    a2: new Float64Array(count),
    cause: new Int32Array(count).fill(-1),
    lanes,
    kinds,
    strings,
  };
  const rows = db
    .prepare('SELECT seq, t, dur, lane, kind, a0, a1, a2, cause FROM timeline_events WHERE run_id = ? ORDER BY seq')
    .raw()
    .iterate(runId) as IterableIterator<[number, number, number, number, number, number, number, number, number | null]>;
  for (const [seq, t, dur, lane, kind, a0, a1, a2, cause] of rows) {
    cols.t[seq] = t;
    cols.dur[seq] = dur;
    cols.lane[seq] = lane;
    cols.kind[seq] = kind;
    cols.a0[seq] = a0;
    cols.a1[seq] = a1;
    cols.a2[seq] = a2;
    cols.cause[seq] = cause ?? -1;
  }
  return cols;
}
