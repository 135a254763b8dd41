import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openLabDatabase, schemaVersion } from './database';
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
