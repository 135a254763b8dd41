// Schema migrations, applied in order by `PRAGMA user_version`. Each migration runs in its own
// transaction, so a crash leaves the database at the previous version. Append only: never edit a
// migration that has shipped.
// Must not: hold queries used at run time (each store module owns its own).

import type BetterSqlite3 from 'better-sqlite3';
import { convertSharedTimelines } from './migrationV3';
import { convertEffectBlocks } from './migrationV6';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
  /** Data conversion run after `sql`, in the same transaction (for what SQL alone cannot do). */
  readonly apply?: (db: BetterSqlite3.Database) => void;
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
  {
    version: 3,
    description: 'timelines per run with levels of detail, seq and effect blocks; experiments; saved comparisons',
    sql: `
      -- Run ids are never reused: a saved comparison or an experiment naming a deleted run must
      -- not find a newer run under the same id (INTEGER PRIMARY KEY reuses the largest id).
      CREATE TABLE id_floors (
        name    TEXT    PRIMARY KEY,
        next_id INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO id_floors (name, next_id) SELECT 'runs', IFNULL(MAX(id), 0) + 1 FROM runs;

      -- One row per stored timeline; complete = 0 while its rows are being written (a run killed
      -- then is shown with a partial timeline that queries read without the derived tables).
      CREATE TABLE timeline_runs (
        run_id        INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        event_count   INTEGER NOT NULL,
        start_ns      INTEGER NOT NULL,
        end_ns        INTEGER NOT NULL,
        failure_count INTEGER NOT NULL,
        lod_base_ns   INTEGER NOT NULL,
        complete      INTEGER NOT NULL DEFAULT 0
      );

      ALTER TABLE timeline_lanes ADD COLUMN event_count INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE timeline_lanes ADD COLUMN span_cut INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE timeline_lanes ADD COLUMN lod_min_level INTEGER NOT NULL DEFAULT -1;
      ALTER TABLE timeline_lanes ADD COLUMN lod_max_level INTEGER NOT NULL DEFAULT -1;

      -- Levels of detail: per (run, lane, level) runs of up to 256 non-empty buckets, packed.
      CREATE TABLE timeline_lod (
        run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        lane         INTEGER NOT NULL,
        level        INTEGER NOT NULL,
        first_bucket INTEGER NOT NULL,
        n            INTEGER NOT NULL,
        data         BLOB    NOT NULL,
        PRIMARY KEY (run_id, lane, level, first_bucket)
      ) WITHOUT ROWID;

      -- seq -> (lane, t) for blocks of 4096 seqs: finds an event in its run's clustered table.
      CREATE TABLE timeline_seq_blocks (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        block  INTEGER NOT NULL,
        lanes  BLOB    NOT NULL,
        times  BLOB    NOT NULL,
        PRIMARY KEY (run_id, block)
      ) WITHOUT ROWID;

      -- cause -> effects for blocks of 4096 causes (CSR: offsets, then the effect seqs).
      CREATE TABLE timeline_effect_blocks (
        run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        block   INTEGER NOT NULL,
        offsets BLOB    NOT NULL,
        seqs    BLOB    NOT NULL,
        PRIMARY KEY (run_id, block)
      ) WITHOUT ROWID;

      CREATE TABLE timeline_failures (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        t      INTEGER NOT NULL,
        seq    INTEGER NOT NULL,
        lane   INTEGER NOT NULL,
        PRIMARY KEY (run_id, t, seq)
      ) WITHOUT ROWID;

      -- Spans too long for a lane's window scan (see timelineOrder.ts): at most a few hundred per lane.
      CREATE TABLE timeline_long_spans (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        lane   INTEGER NOT NULL,
        t      INTEGER NOT NULL,
        seq    INTEGER NOT NULL,
        end_t  INTEGER NOT NULL,
        PRIMARY KEY (run_id, lane, t, seq)
      ) WITHOUT ROWID;

      CREATE TABLE experiments (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        name          TEXT    NOT NULL,
        created_at    TEXT    NOT NULL,
        base_json     TEXT    NOT NULL,
        variants_json TEXT    NOT NULL
      );

      CREATE TABLE experiment_executions (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
        created_at    TEXT    NOT NULL
      );
      CREATE INDEX experiment_executions_experiment ON experiment_executions(experiment_id, id);

      -- A deleted run leaves its variant without a run (run_id NULL); deleting an experiment keeps its runs.
      CREATE TABLE experiment_runs (
        execution_id INTEGER NOT NULL REFERENCES experiment_executions(id) ON DELETE CASCADE,
        idx          INTEGER NOT NULL,
        run_id       INTEGER REFERENCES runs(id) ON DELETE SET NULL,
        PRIMARY KEY (execution_id, idx)
      ) WITHOUT ROWID;
      CREATE INDEX experiment_runs_run ON experiment_runs(run_id);

      -- Run ids without a foreign key: a comparison outlives its runs and reports the missing ones.
      CREATE TABLE comparisons (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        name          TEXT    NOT NULL,
        created_at    TEXT    NOT NULL,
        run_ids_json  TEXT    NOT NULL,
        metrics_json  TEXT    NOT NULL,
        counters_json TEXT    NOT NULL
      );
    `,
    // The v1 shared timeline_events table is converted run by run into the v3 layout, then dropped.
    apply: convertSharedTimelines,
  },
  {
    version: 4,
    description: 'claims name the metric they measure and the unit of the measured value',
    // Runs stored before keep NULL: the app shows their measured value without a unit.
    sql: `
      ALTER TABLE run_claims ADD COLUMN metric TEXT;
      ALTER TABLE run_claims ADD COLUMN per TEXT;
      ALTER TABLE run_claims ADD COLUMN unit TEXT;
    `,
  },
  {
    version: 5,
    description: "saved comparisons keep the view's toggles (only differences)",
    sql: `
      ALTER TABLE comparisons ADD COLUMN view_json TEXT NOT NULL DEFAULT '{}';
    `,
  },
  {
    version: 6,
    description: 'streamed timelines: effect parts per chunk, level-of-detail segments per lane',
    sql: `
      -- cause -> effects: per block of 4096 causes, one part per chunk that named a cause of the
      -- block ((cause offset, effect seq) pairs sorted by cause then seq; parts in seq order).
      CREATE TABLE timeline_effect_parts (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        block  INTEGER NOT NULL,
        part   INTEGER NOT NULL,
        causes BLOB    NOT NULL,
        seqs   BLOB    NOT NULL,
        PRIMARY KEY (run_id, block, part)
      ) WITHOUT ROWID;

      -- [from, floor] pairs (Float64) when a lane's stored levels change over its time; NULL: one
      -- segment at lod_min_level (every timeline stored before v6).
      ALTER TABLE timeline_lanes ADD COLUMN lod_segments BLOB;
    `,
    // The v3 effect blocks become one part each, then their table is dropped.
    apply: convertEffectBlocks,
  },
  {
    version: 7,
    description: 'run owners: the lab process that queued or runs a run, so a dead one is known at once',
    sql: `
      -- One row per lab process that stores runs (app, browser host, pcilab run), removed when it
      -- ends cleanly. start_token tells a live process from a later one with the same pid (Linux:
      -- boot id and start time in clock ticks); NULL where the platform does not tell.
      CREATE TABLE lab_owners (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        host        TEXT    NOT NULL,
        pid         INTEGER NOT NULL,
        start_token TEXT,
        started_at  TEXT    NOT NULL
      );

      -- No foreign key: a run outlives its owner's row. NULL for runs stored before v7 (their
      -- liveness falls back to the heartbeat).
      ALTER TABLE runs ADD COLUMN owner_id INTEGER;
    `,
  },
  {
    version: 8,
    description: 'bisect experiments: the kind and spec of an experiment, the state of an execution, the outcome of each step',
    // Experiments stored before are 'variants' experiments; their executions keep NULL state (a
    // variants execution queues all its runs at once and has no state of its own).
    sql: `
      ALTER TABLE experiments ADD COLUMN kind TEXT NOT NULL DEFAULT 'variants' CHECK (kind IN ('variants','bisect'));
      ALTER TABLE experiments ADD COLUMN bisect_json TEXT;
      ALTER TABLE experiment_executions ADD COLUMN state TEXT CHECK (state IN ('running','done','stopped'));
      ALTER TABLE experiment_executions ADD COLUMN error TEXT;
      -- A bisect step's outcome (the metric's value, or 1 / 0 with a comparison), kept when its run is deleted.
      ALTER TABLE experiment_runs ADD COLUMN outcome REAL;
    `,
  },
  {
    version: 9,
    description: "saved queries: the query page's named SQL, run again on any run",
    sql: `
      CREATE TABLE saved_queries (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        name       TEXT    NOT NULL,
        sql        TEXT    NOT NULL,
        created_at TEXT    NOT NULL
      );
    `,
  },
  {
    version: 10,
    description: 'content hashes of imported runs: a bundle already in the lab is found by its hash in one lookup',
    // One row per run imported from a bundle (or found to hold a bundle's content): its bundle
    // content hash. UNIQUE: two imports of one bundle racing (two windows, the app and the CLI)
    // cannot both insert a run; runs stored before keep no row and are found as before (runsLike).
    sql: `
      CREATE TABLE run_content_hashes (
        run_id       INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        content_hash TEXT    NOT NULL UNIQUE
      );
    `,
  },
  {
    version: 11,
    description: 'bundle imports under way: a run being imported is written in steps, not in one long write lock',
    // One row per run whose bundle import has not finished (runBundleImport.ts): the run is stored
    // as running, owned by the importing process, while its events go in a batch per transaction;
    // the row goes when the import ends. A row left by an import whose process died marks the run
    // as a partial copy: the next import of the same bundle removes it and imports it again.
    sql: `
      CREATE TABLE run_imports (
        run_id     INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        source     TEXT    NOT NULL,
        started_at TEXT    NOT NULL
      );
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
