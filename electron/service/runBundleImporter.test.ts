// The service's bundle importer in a worker thread: a bundle file imported through the worker's own
// connection (the run is there for the service's), a refused bundle rejected with its BundleError
// (problem and message naming the file), and a worker that dies failing its job and replaced for
// the next one.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openLabDatabase, type LabDatabase } from '../../db/database';
import { RunStore } from '../../db/runStore';
import { WorkerBundleImporter } from './runBundleImporter';
import { BundleError } from './runBundleFormat';
import { exportBundle, runPreset } from './runBundle.testkit';
import { spawnBundleImporter } from './workerSpawner';

let dir: string;
let db: LabDatabase;
let importer: WorkerBundleImporter | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-importer-'));
  db = openLabDatabase(join(dir, 'lab.db'));
});
afterEach(() => {
  importer?.dispose();
  importer = null;
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function bundleFile(): string {
  const other = openLabDatabase(':memory:');
  try {
    const path = join(dir, 'run.pcilab-run.jsonl.gz');
    writeFileSync(path, exportBundle(other, runPreset(other, 'quickstart-nvme-fio', ['durationMs=2'])));
    return path;
  } finally {
    other.close();
  }
}

describe('WorkerBundleImporter', () => {
  it('imports a bundle file through its own connection, then finds it again by content hash', async () => {
    const path = bundleFile();
    importer = new WorkerBundleImporter(spawnBundleImporter, { dbPath: join(dir, 'lab.db') });
    const first = await importer.importFile(path);
    expect(first.kind).toBe('imported');
    expect(new RunStore(db).get(first.runId)?.status).toBe('completed');
    expect(await importer.importFile(path)).toMatchObject({ kind: 'duplicate', runId: first.runId });
  }, 60_000);

  it('rejects a refused bundle with its BundleError naming the file, and a file that is not there', async () => {
    const bad = join(dir, 'bad.gz');
    writeFileSync(bad, 'not gzip');
    importer = new WorkerBundleImporter(spawnBundleImporter, { dbPath: join(dir, 'lab.db') });
    const err: unknown = await importer.importFile(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect(err).toMatchObject({ problem: 'not-a-bundle', message: expect.stringContaining(`${bad}: not a run bundle`) });
    await expect(importer.importFile(join(dir, 'gone.gz'))).rejects.toThrow(/gone\.gz: cannot be read/);
  }, 60_000);

  it('fails the job of a worker that dies and imports the next one with a new worker', async () => {
    const path = bundleFile();
    let spawned = 0;
    importer = new WorkerBundleImporter(
      (data) => (++spawned === 1 ? new Worker('process.exit(3)', { eval: true }) : spawnBundleImporter(data)),
      { dbPath: join(dir, 'lab.db') },
    );
    await expect(importer.importFile(path)).rejects.toThrow('the bundle import worker stopped: exit code 3');
    expect((await importer.importFile(path)).kind).toBe('imported');
    expect(spawned).toBe(2);
  }, 60_000);
});
