// Schema migrations, applied in order by `PRAGMA user_version`. Each migration runs in its own
// transaction, so a crash leaves the database at the previous version. Append only: never edit a
// migration that has shipped.
// Must not: hold queries used at run time (each store module owns its own).

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'runs, their results and their timelines',
    sql: `
      CREATE TABLE runs (
        id            INTEGER PRIMARY KEY,
        name          TEXT    NOT NULL,
        preset        TEXT,
        status        TEXT    NOT NULL CHECK (status IN ('queued','running','completed','failed','cancelled','interrupted')),
        seed          INTEGER NOT NULL,
        scenario_json TEXT    NOT NULL,
        created_at    TEXT    NOT NULL,
        finished_at   TEXT,
        heartbeat_ms  INTEGER,
        duration_ns   INTEGER NOT NULL,
        simulated_ns  INTEGER NOT NULL DEFAULT 0,
        event_count   INTEGER NOT NULL DEFAULT 0,
        timeline_hash TEXT,
        error         TEXT
      );
      CREATE INDEX runs_created ON runs(created_at);

      CREATE TABLE run_metrics (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        name   TEXT    NOT NULL,
        value  REAL    NOT NULL,
        PRIMARY KEY (run_id, name)
      ) WITHOUT ROWID;

      CREATE TABLE run_claims (
        run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        idx         INTEGER NOT NULL,
        claim_id    TEXT    NOT NULL,
        text        TEXT    NOT NULL,
        holds       INTEGER NOT NULL,
        measured    REAL,
        expectation TEXT    NOT NULL,
        source      TEXT    NOT NULL,
        note        TEXT,
        PRIMARY KEY (run_id, idx)
      ) WITHOUT ROWID;

      CREATE TABLE run_ops (
        run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        idx      INTEGER NOT NULL,
        op       TEXT    NOT NULL,
        ok       INTEGER NOT NULL,
        errno    TEXT,
        ret_json TEXT    NOT NULL,
        PRIMARY KEY (run_id, idx)
      ) WITHOUT ROWID;

      CREATE TABLE run_counters (
        run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        idx         INTEGER NOT NULL,
        name        TEXT    NOT NULL,
        unit        TEXT    NOT NULL,
        t_ns        BLOB    NOT NULL,
        vals        BLOB    NOT NULL,
        PRIMARY KEY (run_id, idx)
      ) WITHOUT ROWID;

      CREATE TABLE timeline_lanes (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        lane   INTEGER NOT NULL,
        name   TEXT    NOT NULL,
        grp    TEXT    NOT NULL,
        max_dur INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, lane)
      ) WITHOUT ROWID;

      CREATE TABLE timeline_kinds (
        run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        kind      INTEGER NOT NULL,
        name      TEXT    NOT NULL,
        args_json TEXT    NOT NULL,
        failure   INTEGER NOT NULL,
        PRIMARY KEY (run_id, kind)
      ) WITHOUT ROWID;

      CREATE TABLE timeline_strings (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        idx    INTEGER NOT NULL,
        value  TEXT    NOT NULL,
        PRIMARY KEY (run_id, idx)
      ) WITHOUT ROWID;

      CREATE TABLE timeline_events (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        seq    INTEGER NOT NULL,
        t      INTEGER NOT NULL,
        dur    INTEGER NOT NULL,
        lane   INTEGER NOT NULL,
        kind   INTEGER NOT NULL,
        a0     REAL    NOT NULL,
        a1     REAL    NOT NULL,
        a2     REAL    NOT NULL,
        cause  INTEGER,
        PRIMARY KEY (run_id, seq)
      ) WITHOUT ROWID;
      CREATE INDEX timeline_events_lane_t ON timeline_events(run_id, lane, t);
    `,
  },
  {
    version: 2,
    description: 'run plans: the variants a run compares and its plan-level claims',
    sql: `
      ALTER TABLE runs ADD COLUMN variants_json TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE runs ADD COLUMN plan_claims_json TEXT NOT NULL DEFAULT '[]';
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
