// Opens the lab database: WAL journal (readers never block the writer), foreign keys on (deleting
// a run removes all its rows), NORMAL sync (durable at checkpoints, safe against corruption), a
// 64 MiB page cache and 256 MiB of memory-mapped reads (zoom windows re-read the same level-of-
// detail pages as the user pans), and the migrations of migrations.ts applied by user_version.
// Opening is where a broken environment shows: each failure becomes one LabDatabaseError line
// naming the file (read-only location, not a database, damaged, newer schema), read at open so a
// garbage file is caught there and not at the first query. A new data directory is created 0700
// and a new database 0600 (SQLite gives its -wal and -shm the database's mode); an existing database
// of ours (and its -wal and -shm) that others may read is made 0600 when opened for writing. Read-only opens
// create nothing and work on read-only media (through a temporary copy when SQLite cannot create
// the -shm file it needs to read a WAL database).
// Must not: know about runs or timelines (store modules do).

import Database from 'better-sqlite3';
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations';
import { setUpNewDatabase } from './storage';

export type LabDatabase = Database.Database;

const CACHE_KIB = 64 * 1024;
const MMAP_BYTES = 256 * 2 ** 20;

export interface OpenOptions {
  /** Path to a better_sqlite3.node built for another ABI (Electron); default: the Node build. */
  readonly nativeBinding?: string;
  readonly readonly?: boolean;
}

/** An environment problem with the database file, as one line: "<path>: <what is wrong>". */
export class LabDatabaseError extends Error {
  /** The SQLite or file system error code behind it ("SQLITE_NOTADB", "EROFS"), or "". */
  readonly code: string;

  constructor(
    readonly path: string,
    problem: string,
    cause?: unknown,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'LabDatabaseError';
    this.code = codeOf(cause);
  }
}

function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
}

/** What an SQLite or file system error means for the user, in a few words (no stack). */
export function describeDatabaseError(err: unknown): string {
  const code = codeOf(err);
  const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
  if (code === 'SQLITE_NOTADB') return 'not a lab database (file is not a database); move it away or pick another --db / PCILAB_DB';
  if (code.startsWith('SQLITE_CORRUPT')) return `the database is damaged (${message}); restore it from a backup or move it away`;
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return `cannot write here: read-only location or no permission (${message})`;
  }
  if (code.startsWith('SQLITE_CANTOPEN')) return `cannot open the database (${message}): check that its directory exists and is writable`;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC')
    return `disk full: the lab database cannot grow (${message}); free space on its disk or delete runs`;
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return `I/O error (${message})`;
  if (code.startsWith('SQLITE_BUSY')) return `the database is locked by another process (${message})`;
  return message;
}

/** Whether `err` is an error of the environment (SQLite or the file system), not a bug of the lab. */
export function isEnvironmentError(err: unknown): boolean {
  if (err instanceof LabDatabaseError) return true;
  const code = codeOf(err);
  return code.startsWith('SQLITE_') || /^E[A-Z]+$/.test(code);
}

export function openLabDatabase(path: string, options: OpenOptions = {}): LabDatabase {
  if (path === ':memory:') return configure(new Database(path, nativeOptions(options)), path, options);
  if (options.readonly === true) return openReadOnly(path, options);
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new LabDatabaseError(path, `cannot create its directory (${describeDatabaseError(err)})`, err);
  }
  try {
    createPrivately(path);
    makePrivate(path);
    return configure(openOrExplain(path, options), path, options);
  } catch (err) {
    // SQLite opens a file it may not write read-only and fails later, with a vaguer error.
    const readOnly = notWritable(dirname(path)) ?? notWritable(path);
    if (readOnly !== null) throw new LabDatabaseError(path, describeDatabaseError(readOnly), readOnly);
    throw err instanceof LabDatabaseError ? err : new LabDatabaseError(path, describeDatabaseError(err), err);
  }
}

/** The error that writing `path` would meet (read-only file system, no permission), or null. */
function notWritable(path: string): unknown {
  try {
    if (existsSync(path)) accessSync(path, constants.W_OK);
    return null;
  } catch (err) {
    const code = codeOf(err);
    return code === 'EROFS' || code === 'EACCES' || code === 'EPERM' ? err : null;
  }
}

function nativeOptions(options: OpenOptions, readonly = false): Database.Options {
  return { readonly, ...(options.nativeBinding === undefined ? {} : { nativeBinding: options.nativeBinding }) };
}

/** A missing database file is created 0600 (its directory 0700, above): runs are the user's alone. */
function createPrivately(path: string): void {
  if (existsSync(path)) return;
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'EEXIST') throw err;
  }
}

/**
 * Databases created before the lab made them 0600 (and -wal/-shm files SQLite gave their mode) may be
 * readable by other users: files we own get 0600 (group and others lose every bit). Files of another
 * user are left alone (we could not change them, and a shared database is the user's choice).
 */
function makePrivate(path: string): void {
  const uid = process.getuid?.();
  if (uid === undefined) return; // Windows: no POSIX modes
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      const st = statSync(file);
      if (st.isFile() && st.uid === uid && (st.mode & 0o077) !== 0) chmodSync(file, st.mode & 0o700);
    } catch {
      // Missing (-wal, -shm) or not ours to change: nothing to tighten.
    }
  }
}

function openOrExplain(path: string, options: OpenOptions, readonly = false): LabDatabase {
  try {
    return new Database(path, nativeOptions(options, readonly));
  } catch (err) {
    throw new LabDatabaseError(path, describeDatabaseError(err), err);
  }
}

/**
 * Opens for reading only: creates nothing, writes nothing. SQLite reads a WAL database only when it
 * can open or create its -shm file; on read-only media it cannot, so the lab reads a private copy.
 */
function openReadOnly(path: string, options: OpenOptions): LabDatabase {
  if (!existsSync(path)) throw new LabDatabaseError(path, 'no lab database here (a run stored with `pcilab run` or the app creates it)');
  try {
    return configure(openOrExplain(path, options, true), path, options);
  } catch (err) {
    if (!(err instanceof LabDatabaseError) || !/^SQLITE_(CANTOPEN|IOERR)/.test(err.code)) throw err;
  }
  const copyDir = mkdtempSync(join(tmpdir(), 'pcilab-ro-'));
  try {
    const copy = join(copyDir, basename(path));
    copyFileSync(path, copy);
    if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
    const db = configure(openOrExplain(copy, options, true), path, options);
    const close = db.close.bind(db);
    db.close = () => {
      close();
      rmSync(copyDir, { recursive: true, force: true });
      return db;
    };
    return db;
  } catch (err) {
    rmSync(copyDir, { recursive: true, force: true });
    throw err instanceof LabDatabaseError ? err : new LabDatabaseError(path, describeDatabaseError(err), err);
  }
}

/** Pragmas and migrations (or the version check), reading the file now so a bad one fails at open. */
function configure(db: LabDatabase, path: string, options: OpenOptions): LabDatabase {
  try {
    db.pragma('busy_timeout = 5000');
    // Reads the header: a file that is not a database fails here, at open, not at the first query.
    schemaVersion(db);
    // Before the first page is written (journal_mode writes it): see storage.ts.
    if (!options.readonly) setUpNewDatabase(db);
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
    if (err instanceof LabDatabaseError) throw err;
    if (err instanceof NewerSchemaError) throw new LabDatabaseError(path, err.message);
    throw new LabDatabaseError(path, describeDatabaseError(err), err);
  }
}

export function schemaVersion(db: LabDatabase): number {
  return db.pragma('user_version', { simple: true }) as number;
}

class NewerSchemaError extends Error {}

function checkVersion(db: LabDatabase, latest = LATEST_SCHEMA_VERSION): void {
  const v = schemaVersion(db);
  if (v > latest) {
    throw new NewerSchemaError(`database schema version ${v} is newer than this lab (${latest}); update the lab`);
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
