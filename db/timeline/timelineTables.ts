// The per-run events table. Each run's timeline rows live in their own table, clustered by
// (lane, t, seq): a lane's time window is one primary-key range, a run's rows are appended in key
// order with no secondary index to maintain (this is what keeps storing near a bare insert), and
// deleting a run drops one table instead of deleting millions of rows. The shared timeline tables
// reference runs(id) ON DELETE CASCADE; this one cannot, so RunStore.delete (db/runStore.ts) drops
// it with the run.
// Must not: put anything but a checked integer run id into SQL text.

export function eventsTableOf(runId: number): string {
  if (!Number.isSafeInteger(runId) || runId <= 0) throw new RangeError(`not a run id: ${runId}`);
  return `timeline_events_${runId}`;
}

export function createEventsTableSql(runId: number): string {
  return `CREATE TABLE IF NOT EXISTS ${eventsTableOf(runId)} (
    lane  INTEGER NOT NULL,
    t     INTEGER NOT NULL,
    seq   INTEGER NOT NULL,
    dur   INTEGER NOT NULL,
    kind  INTEGER NOT NULL,
    a0    REAL    NOT NULL,
    a1    REAL    NOT NULL,
    a2    REAL    NOT NULL,
    cause INTEGER,
    PRIMARY KEY (lane, t, seq)
  ) WITHOUT ROWID`;
}

export function dropEventsTableSql(runId: number): string {
  return `DROP TABLE IF EXISTS ${eventsTableOf(runId)}`;
}

/** Columns of an event row in the order the readers select them. */
export const EVENT_COLUMNS = 'seq, t, dur, lane, kind, a0, a1, a2, cause';

export interface EventRow {
  seq: number;
  t: number;
  dur: number;
  lane: number;
  kind: number;
  a0: number;
  a1: number;
  a2: number;
  cause: number | null;
}
