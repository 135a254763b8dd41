import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabDatabaseError, migrate, openLabDatabase, schemaVersion } from './database';
import { LATEST_SCHEMA_VERSION } from './migrations';
import { tempDb, type TempDb } from './testDb.testkit';

let t: TempDb;
afterEach(() => t.dispose());

describe('opening the lab database', () => {
  it('applies every migration and records the version', () => {
    t = tempDb();
    expect(schemaVersion(t.db)).toBe(LATEST_SCHEMA_VERSION);
    expect(t.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(t.db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('reopens an existing database without re-running migrations', () => {
    t = tempDb();
    t.db
      .prepare("INSERT INTO runs (name, status, seed, scenario_json, created_at, duration_ns) VALUES ('x','completed',1,'{}','now',1)")
      .run();
    t.db.close();
    const again = openLabDatabase(t.path);
    expect((again.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n).toBe(1);
    again.close();
  });

  it('applies a new migration on top, in order, and only once', () => {
    t = tempDb();
    const next = [{ version: LATEST_SCHEMA_VERSION + 1, description: 'test', sql: 'CREATE TABLE extra (x INTEGER)' }];
    migrate(t.db, next);
    migrate(t.db, next);
    expect(schemaVersion(t.db)).toBe(LATEST_SCHEMA_VERSION + 1);
  });

  it('refuses a database written by a newer lab, leaving it untouched', () => {
    t = tempDb();
    t.db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
    t.db.close();
    expect(() => openLabDatabase(t.path)).toThrow(/newer than this lab/);
    expect(() => openLabDatabase(t.path, { readonly: true })).toThrow(
      `${t.path}: database schema version ${LATEST_SCHEMA_VERSION + 5} is newer than this lab (${LATEST_SCHEMA_VERSION}); update the lab`,
    );
  });

  it('rolls a failing migration back completely', () => {
    t = tempDb();
    const broken = [
      { version: LATEST_SCHEMA_VERSION + 1, description: 'broken', sql: 'CREATE TABLE half (x INTEGER); SELECT nope FROM nowhere;' },
    ];
    expect(() => migrate(t.db, broken)).toThrow();
    expect(schemaVersion(t.db)).toBe(LATEST_SCHEMA_VERSION);
    expect(t.db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
  });
});

describe('the environment of the lab database', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const mode = (p: string): number => statSync(p).mode & 0o777;

  it('creates a new data directory 0700 and the database, its -wal and -shm 0600', () => {
    dir = mkdtempSync(join(tmpdir(), 'pcilab-env-'));
    const path = join(dir, 'data', 'lab.db');
    const db = openLabDatabase(path);
    db.prepare(
      "INSERT INTO runs (name, status, seed, scenario_json, created_at, duration_ns) VALUES ('x','completed',1,'{}','now',1)",
    ).run();
    expect(mode(join(dir, 'data'))).toBe(0o700);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(mode(file), file).toBe(0o600);
    db.close();
  });

  it('makes an existing database of ours and its -wal and -shm 0600 when it opens it for writing, not when reading', () => {
    dir = mkdtempSync(join(tmpdir(), 'pcilab-env-'));
    const path = join(dir, 'lab.db');
    const first = openLabDatabase(path);
    first
      .prepare("INSERT INTO runs (name, status, seed, scenario_json, created_at, duration_ns) VALUES ('x','completed',1,'{}','now',1)")
      .run();
    // A database made by an older lab: world-readable, and its WAL kept (not closed).
    for (const file of [path, `${path}-wal`, `${path}-shm`]) chmodSync(file, 0o644);
    openLabDatabase(path, { readonly: true }).close();
    expect(mode(path)).toBe(0o644);
    const db = openLabDatabase(path);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(mode(file), file).toBe(0o600);
    chmodSync(path, 0o640);
    openLabDatabase(path).close();
    expect(mode(path)).toBe(0o600);
    db.close();
    first.close();
  });

  it('finds a file that is not a database at open, as one line naming it', () => {
    dir = mkdtempSync(join(tmpdir(), 'pcilab-env-'));
    const path = join(dir, 'lab.db');
    writeFileSync(path, 'garbage '.repeat(1000));
    for (const readonly of [false, true]) {
      expect(() => openLabDatabase(path, { readonly })).toThrow(
        `${path}: not a lab database (file is not a database); move it away or pick another --db / PCILAB_DB`,
      );
      expect(() => openLabDatabase(path, { readonly })).toThrow(LabDatabaseError);
    }
  });

  it('opens read-only without changing the database, also where SQLite cannot create the -shm file', () => {
    dir = mkdtempSync(join(tmpdir(), 'pcilab-env-'));
    const path = join(dir, 'lab.db');
    const db = openLabDatabase(path);
    db.prepare(
      "INSERT INTO runs (name, status, seed, scenario_json, created_at, duration_ns) VALUES ('x','completed',1,'{}','now',1)",
    ).run();
    db.close();
    const before = readFileSync(path);
    // A directory where the -shm file would go: SQLite cannot create it, as on read-only media.
    mkdirSync(`${path}-shm`);
    const ro = openLabDatabase(path, { readonly: true });
    expect((ro.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n).toBe(1);
    expect(() => ro.prepare("UPDATE runs SET name = 'y'").run()).toThrow(/readonly/);
    ro.close();
    expect(readFileSync(path).equals(before)).toBe(true);
    // SQLite may leave an empty -wal beside it (a reader creates one where it can); nothing else.
    expect(readdirSync(dir).filter((f) => !['lab.db', 'lab.db-shm', 'lab.db-wal'].includes(f))).toEqual([]);
    if (existsSync(`${path}-wal`)) expect(statSync(`${path}-wal`).size).toBe(0);
  });

  it('creates nothing when a read-only open finds no database', () => {
    dir = mkdtempSync(join(tmpdir(), 'pcilab-env-'));
    const path = join(dir, 'sub', 'lab.db');
    expect(() => openLabDatabase(path, { readonly: true })).toThrow(LabDatabaseError);
    expect(existsSync(join(dir, 'sub'))).toBe(false);
  });
});
