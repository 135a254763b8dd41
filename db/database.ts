// Opens the lab database: WAL journal (readers never block the writer), foreign keys on (deleting
// a run removes all its rows), NORMAL sync (durable at checkpoints, safe against corruption), a
// 64 MiB page cache and 256 MiB of memory-mapped reads (zoom windows re-read the same level-of-
// detail pages as the user pans), and the migrations of migrations.ts applied by user_version.
// Must not: know about runs or timelines (store modules do).

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations';

export type LabDatabase = Database.Database;

const CACHE_KIB = 64 * 1024;
const MMAP_BYTES = 256 * 2 ** 20;

export interface OpenOptions {
  /** Path to a better_sqlite3.node built for another ABI (Electron); default: the Node build. */
  readonly nativeBinding?: string;
  readonly readonly?: boolean;
}

export function openLabDatabase(path: string, options: OpenOptions = {}): LabDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, {
    readonly: options.readonly ?? false,
    ...(options.nativeBinding === undefined ? {} : { nativeBinding: options.nativeBinding }),
  });
  try {
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`cache_size = -${CACHE_KIB}`);
    db.pragma(`mmap_size = ${MMAP_BYTES}`);
    if (!options.readonly) migrate(db, MIGRATIONS);
    else checkVersion(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export function schemaVersion(db: LabDatabase): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function checkVersion(db: LabDatabase, latest = LATEST_SCHEMA_VERSION): void {
  const v = schemaVersion(db);
  if (v > latest) {
    throw new Error(`database schema version ${v} is newer than this lab (${latest}); update the lab`);
  }
}

/** Applies every migration above the current user_version, each in its own transaction. */
export function migrate(db: LabDatabase, migrations: readonly Migration[]): void {
  checkVersion(db, Math.max(0, ...migrations.map((m) => m.version)));
  for (const m of migrations) {
    // Re-read inside the loop: another process may have migrated meanwhile (BEGIN IMMEDIATE serializes).
    const apply = db.transaction(() => {
      if (schemaVersion(db) >= m.version) return;
      db.exec(m.sql);
      m.apply?.(db);
      db.pragma(`user_version = ${m.version}`);
    });
    apply.immediate();
  }
}
