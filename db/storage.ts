// Giving disk space back. A database is created with auto_vacuum = INCREMENTAL (set before its
// first page exists; SQLite cannot switch it later without a VACUUM), so the pages a deleted run
// frees can be returned to the file system in slices (PRAGMA incremental_vacuum(N): each slice a
// short write, so a host keeps answering between them) and the file shrinks at the next checkpoint.
// wal_checkpoint(TRUNCATE) copies the WAL into the database and truncates it to zero bytes: after a
// failed run (its WAL can hold tens of MiB of rows it rolled back) and after deletes. A database
// created before the lab set auto_vacuum is converted by one VACUUM (it rewrites the whole file and
// needs about its size free): convertToIncremental(), done by a host at start when the file is small
// and by an explicit compact otherwise; until then freed pages are reused by new runs, not returned.
// See https://www.sqlite.org/pragma.html#pragma_auto_vacuum and #pragma_incremental_vacuum.
// Must not: delete runs (runStore.ts does) or decide when to compact (hosts do); import database.ts
// (it calls setUpNewDatabase while opening).

import type BetterSqlite3 from 'better-sqlite3';

type LabDatabase = BetterSqlite3.Database;

/** PRAGMA auto_vacuum values. */
const AUTO_VACUUM_INCREMENTAL = 2;

/** Pages per incremental_vacuum slice: 1,024 pages (4 MiB at the default page size), a few ms of writing. */
export const RECLAIM_SLICE_PAGES = 1024;

/** A database at most this large is converted at start by the hosts (a VACUUM of it takes a second or two). */
export const CONVERT_AT_START_MAX_BYTES = 256 * 2 ** 20;

export interface StorageFigures {
  readonly pageSize: number;
  readonly pages: number;
  readonly freePages: number;
  /** Whether freed pages can be returned in slices (auto_vacuum = INCREMENTAL). */
  readonly incremental: boolean;
}

export function storageFigures(db: LabDatabase): StorageFigures {
  return {
    pageSize: db.pragma('page_size', { simple: true }) as number,
    pages: db.pragma('page_count', { simple: true }) as number,
    freePages: db.pragma('freelist_count', { simple: true }) as number,
    incremental: db.pragma('auto_vacuum', { simple: true }) === AUTO_VACUUM_INCREMENTAL,
  };
}

/** For a database that has no page yet (called before its journal mode is set): incremental auto-vacuum. */
export function setUpNewDatabase(db: LabDatabase): void {
  if ((db.pragma('page_count', { simple: true }) as number) === 0) db.pragma('auto_vacuum = INCREMENTAL');
}

/**
 * Copies the WAL into the database and truncates it to zero bytes. Best effort: with a reader still
 * on an old snapshot SQLite checkpoints what it can and reports busy; returns whether it completed.
 */
export function truncateWal(db: LabDatabase): boolean {
  if (db.memory || db.readonly) return true;
  try {
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    return r?.busy === 0;
  } catch {
    return false;
  }
}

/**
 * Returns up to `maxPages` free pages to the file system (incremental databases); returns the free
 * pages left that a next slice can return (0: done, also for a database that cannot do it).
 */
export function reclaimSlice(db: LabDatabase, maxPages = RECLAIM_SLICE_PAGES): number {
  if (db.readonly || db.pragma('auto_vacuum', { simple: true }) !== AUTO_VACUUM_INCREMENTAL) return 0;
  db.pragma(`incremental_vacuum(${Math.max(1, Math.floor(maxPages))})`);
  return db.pragma('freelist_count', { simple: true }) as number;
}

/** Returns every free page in slices, then truncates the WAL (synchronous: the CLI and tests). */
export function reclaimAll(db: LabDatabase): void {
  while (reclaimSlice(db) > 0);
  truncateWal(db);
}

/**
 * Returns freed space in slices, yielding to the event loop between them (the hosts, after a delete),
 * then truncates the WAL. Errors (a busy database, a full disk) end it quietly: the pages stay free
 * for new runs and the next delete or compact returns them.
 */
export async function reclaimInBackground(db: LabDatabase, isOpen: () => boolean = () => db.open): Promise<void> {
  try {
    while (isOpen() && reclaimSlice(db) > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    if (isOpen()) truncateWal(db);
  } catch {
    // Best effort; see above.
  }
}

/**
 * Makes an older database incremental (one VACUUM: rewrites it, needs about its size of free space,
 * holds the write lock meanwhile) and truncates the WAL. Returns false when it was already so.
 */
export function convertToIncremental(db: LabDatabase): boolean {
  if (db.pragma('auto_vacuum', { simple: true }) === AUTO_VACUUM_INCREMENTAL) return false;
  db.pragma('auto_vacuum = INCREMENTAL');
  db.exec('VACUUM');
  truncateWal(db);
  return true;
}

/** Compacts the database: converts an older one (VACUUM), else returns every free page; then truncates the WAL. */
export function compact(db: LabDatabase): void {
  if (!convertToIncremental(db)) reclaimAll(db);
}
