// Importing a bundle in steps (runBundleImport.ts): a large bundle never holds the lab's write lock
// for long, so another connection writing meanwhile with a short busy_timeout never fails; the run
// lists as running while its events go in; a bundle refused half-way leaves nothing; a partial copy
// left by an import whose process died is replaced by the next import of that bundle, while one a
// live process is still importing is that import's duplicate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLabDatabase, type LabDatabase } from '../../db/database';
import { OwnerStore } from '../../db/labOwners';
import { RunStore } from '../../db/runStore';
import { importRunBundle } from './runBundleImport';
import { WorkerBundleImporter } from './runBundleImporter';
import { BundleError } from './runBundleFormat';
import { exportBundle, rewrite, runPreset } from './runBundle.testkit';
import { spawnBundleImporter } from './workerSpawner';

let dir: string;
let small: Buffer;
/** A bundle whose import takes a while (a longer run: about 150 k events). */
let big: Buffer;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-import-steps-'));
  const other = openLabDatabase(':memory:');
  try {
    small = exportBundle(other, runPreset(other, 'quickstart-nvme-fio', ['durationMs=2']));
    big = exportBundle(other, runPreset(other, 'quickstart-nvme-fio', ['durationMs=60']));
  } finally {
    other.close();
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function freshLab(name: string): { db: LabDatabase; path: string } {
  const path = join(dir, `${name}.db`);
  return { db: openLabDatabase(path), path };
}

const count = (db: LabDatabase, sql: string): number => db.prepare(sql).pluck().get() as number;

describe('importing a bundle in steps', () => {
  it('lets another connection write all along while a large bundle imports, the run listed as running until it ends', async () => {
    const { db, path } = freshLab('concurrent');
    const file = join(dir, 'big.pcilab-run.jsonl.gz');
    writeFileSync(file, big);
    // The import holds the write lock a batch at a time: a writer gets in between its batches, and
    // sees the run (running) with part of its events. One transaction for the whole import would
    // keep the run invisible until it is complete, and the writer waiting for all of it.
    const importer = new WorkerBundleImporter(spawnBundleImporter, { dbPath: path });
    try {
      let done = false;
      const started = performance.now();
      const imported = importer.importFile(file).finally(() => (done = true));
      const insert = db.prepare(`INSERT INTO saved_queries (name, sql, created_at) VALUES ('q', 'SELECT 1', '2026-01-01')`);
      const runs = new RunStore(db);
      let writesBesideTheRun = 0;
      let worstWaitMs = 0;
      const seenEvents = new Set<number>();
      while (!done) {
        const t = performance.now();
        db.transaction(() => insert.run()).immediate();
        worstWaitMs = Math.max(worstWaitMs, performance.now() - t);
        const importing = runs.list().find((r) => r.status === 'running');
        if (importing !== undefined) {
          writesBesideTheRun++;
          seenEvents.add(count(db, `SELECT IFNULL(SUM(event_count), 0) FROM timeline_runs WHERE run_id = ${importing.id}`));
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      const result = await imported;
      const tookMs = performance.now() - started;
      expect(result.kind).toBe('imported');
      expect(writesBesideTheRun).toBeGreaterThan(2);
      expect(seenEvents.size).toBeGreaterThan(1);
      // A batch, not the import: a wait as long as the whole import would show here.
      expect(worstWaitMs).toBeLessThan(Math.max(500, tookMs / 2));
      expect(runs.get(result.runId)!.status).toBe('completed');
      expect(count(db, 'SELECT COUNT(*) FROM run_imports')).toBe(0);
      expect(runs.progress(result.runId)!.events).toBeGreaterThan(100_000);
    } finally {
      importer.dispose();
      db.close();
    }
  }, 120_000);

  it('leaves nothing behind when a line near the end is refused, after events went in', () => {
    const { db } = freshLab('refused');
    try {
      const broken = rewrite(big, (lines) => {
        const k = lines.length - 2; // the last events line
        const events = JSON.parse(lines[k]!) as { events: { t: unknown[] } };
        events.events.t[0] = 'soon';
        return [...lines.slice(0, k), JSON.stringify(events), ...lines.slice(k + 1)];
      });
      expect(() => importRunBundle(db, broken, 'broken.pcilab-run.jsonl.gz')).toThrow(BundleError);
      expect(count(db, 'SELECT COUNT(*) FROM runs')).toBe(0);
      expect(count(db, 'SELECT COUNT(*) FROM run_imports')).toBe(0);
      expect(count(db, 'SELECT COUNT(*) FROM run_content_hashes')).toBe(0);
      expect(count(db, `SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'timeline_events_%'`)).toBe(0);
      expect(count(db, 'SELECT COUNT(*) FROM lab_owners')).toBe(0);
      // The lab takes the good bundle afterwards.
      expect(importRunBundle(db, small, 'small.pcilab-run.jsonl.gz').kind).toBe('imported');
    } finally {
      db.close();
    }
  });

  it("replaces a partial copy whose importing process died, and calls one a live process imports that import's duplicate", () => {
    const { db } = freshLab('partial');
    try {
      const first = importRunBundle(db, small, 'small.pcilab-run.jsonl.gz');
      // As if the import were still under way, in a process that has since died (an owner id with no row).
      db.prepare(`UPDATE runs SET status = 'running', finished_at = NULL, owner_id = 424242, heartbeat_ms = 0 WHERE id = ?`).run(
        first.runId,
      );
      db.prepare(`INSERT INTO run_imports (run_id, source, started_at) VALUES (?, 'small', '2026-01-01T00:00:00Z')`).run(first.runId);
      const again = importRunBundle(db, small, 'small.pcilab-run.jsonl.gz');
      expect(again).toMatchObject({ kind: 'imported' });
      expect(again.runId).not.toBe(first.runId);
      const runs = new RunStore(db);
      expect(runs.exists(first.runId)).toBe(false);
      expect(runs.get(again.runId)!.status).toBe('completed');

      // Now under way in a live process (this one, registered as another owner): a duplicate of it.
      const owner = new OwnerStore(db).register(Date.now());
      db.prepare(`UPDATE runs SET status = 'running', finished_at = NULL, owner_id = ?, heartbeat_ms = ? WHERE id = ?`).run(
        owner,
        Date.now(),
        again.runId,
      );
      db.prepare(`INSERT INTO run_imports (run_id, source, started_at) VALUES (?, 'small', '2026-01-01T00:00:00Z')`).run(again.runId);
      expect(importRunBundle(db, small, 'small.pcilab-run.jsonl.gz')).toMatchObject({ kind: 'duplicate', runId: again.runId });
      expect(count(db, 'SELECT COUNT(*) FROM runs')).toBe(1);
    } finally {
      db.close();
    }
  });
});
