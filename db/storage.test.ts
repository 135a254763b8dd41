import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLabDatabase, type LabDatabase } from './database';
import { compact, convertToIncremental, reclaimAll, reclaimInBackground, reclaimSlice, storageFigures, truncateWal } from './storage';
import { RunStore } from './runStore';
import { TimelineStore } from './timeline/timelineStore';
import { newTestRun, recordTestTimeline } from './timeline/timelineFixture.testkit';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const size = (p: string): number => (existsSync(p) ? statSync(p).size : 0);

/** Stores `runs` runs with a timeline of `events` events each; returns their ids. */
function fill(db: LabDatabase, runs: number, events = 40_000): number[] {
  const cols = recordTestTimeline(
    Array.from({ length: events }, (_, i) => ({ t: i * 10, dur: 5, lane: i % 4, kind: i % 3 })),
    4,
  );
  return Array.from({ length: runs }, (_, i) => {
    const id = newTestRun(db, `r${i}`);
    new TimelineStore(db).insert(id, cols);
    return id;
  });
}

describe('storage: giving the space of deleted runs back', () => {
  it('creates a database with incremental auto-vacuum; deleting runs then shrinks the file and the WAL to what is left', () => {
    dir = mkdtempSync(join(tmpdir(), 'pcilab-storage-'));
    const path = join(dir, 'lab.db');
    const db = openLabDatabase(path);
    expect(storageFigures(db).incremental).toBe(true);
    const ids = fill(db, 4);
    truncateWal(db);
    const full = size(path);
    const runs = new RunStore(db);
    for (const id of ids.slice(1)) runs.delete(id);
    expect(storageFigures(db).freePages).toBeGreaterThan(0);
    // Nothing returned yet: SQLite keeps freed pages for reuse until told.
    expect(size(path)).toBe(full);
    // One slice returns at most its pages.
    const before = storageFigures(db).freePages;
    expect(reclaimSlice(db, 10)).toBe(before - 10);
    reclaimAll(db);
    expect(storageFigures(db).freePages).toBe(0);
    expect(size(`${path}-wal`)).toBe(0);
    expect(size(path)).toBeLessThan(full / 2);
    expect(new TimelineStore(db).count(ids[0]!)).toBe(40_000);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('returns space in the background, and stops quietly when the database is closed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pcilab-storage-'));
    const path = join(dir, 'lab.db');
    const db = openLabDatabase(path);
    const ids = fill(db, 2);
    new RunStore(db).delete(ids[1]!);
    await reclaimInBackground(db);
    expect(storageFigures(db).freePages).toBe(0);
    expect(size(`${path}-wal`)).toBe(0);
    db.close();
    await expect(reclaimInBackground(db)).resolves.toBeUndefined();
  });

  it('converts a database made before incremental auto-vacuum with one VACUUM (compact), keeping every row', () => {
    dir = mkdtempSync(join(tmpdir(), 'pcilab-storage-'));
    const path = join(dir, 'lab.db');
    // An older lab created it: WAL first, so auto_vacuum stayed NONE.
    const raw = new Database(path);
    raw.pragma('journal_mode = WAL');
    raw.exec('CREATE TABLE old_lab_marker (x INTEGER)');
    raw.close();
    const db = openLabDatabase(path);
    expect(storageFigures(db).incremental).toBe(false);
    const ids = fill(db, 3);
    new RunStore(db).delete(ids[0]!);
    new RunStore(db).delete(ids[1]!);
    truncateWal(db);
    const full = size(path);
    // Without conversion, freed pages cannot be returned in slices.
    expect(reclaimSlice(db)).toBe(0);
    expect(size(path)).toBe(full);
    compact(db);
    expect(storageFigures(db)).toMatchObject({ incremental: true, freePages: 0 });
    expect(size(path)).toBeLessThan(full / 2);
    expect(size(`${path}-wal`)).toBe(0);
    expect(new TimelineStore(db).count(ids[2]!)).toBe(40_000);
    expect(convertToIncremental(db)).toBe(false);
    db.close();
  });
});
