// Collecting a sweep off the service's thread: with the host's bundle import worker
// (runBundleImporter.ts), other calls (listRuns) answer while a collect imports, and the event
// loop never stalls for the import; two collects of one sweep at once, in one service (two windows
// polling) and in two services on one lab database (the app and another process), import each
// bundle once and record one execution; a single import goes through the worker too.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLabDatabase } from '../../db/database';
import { ExperimentStore } from '../../db/experimentStore';
import { LabService } from './labService';
import { spawnBundleImporter, spawnRunWorker } from './workerSpawner';
import { exportBundle, runPreset } from './runBundle.testkit';
import { defaultSweepDir, newManifest } from './sweepService';
import { bundleName, writeManifest } from './sweepManifest';

const BASE = { preset: 'quickstart-nvme-fio', overrides: ['durationMs=2'] };
const VARIANTS = [
  { name: 'qd1', set: ['workload.iodepth=1'] },
  { name: 'qd2', set: ['workload.iodepth=2'] },
];
/** The variants' bundles, made once (each run in a lab of its own). */
const bundles: Buffer[] = [];
/** A bundle large enough that importing it takes a while (a longer run of the same preset). */
let big: Buffer;

let dir: string;
let dbPath: string;
const services: LabService[] = [];

function open(): LabService {
  const s = new LabService({ dbPath, spawnWorker: spawnRunWorker, spawnImporter: spawnBundleImporter, version: 'test' });
  services.push(s);
  return s;
}

beforeAll(() => {
  const other = openLabDatabase(':memory:');
  try {
    for (const v of VARIANTS) bundles.push(exportBundle(other, runPreset(other, BASE.preset, [...BASE.overrides, ...v.set])));
    big = exportBundle(other, runPreset(other, BASE.preset, ['durationMs=60']));
  } finally {
    other.close();
  }
}, 120_000);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-sweep-import-'));
  dbPath = join(dir, 'lab.db');
});
afterEach(() => {
  for (const s of services.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An experiment of the two variants and a local sweep of it whose bundles have all arrived; returns the experiment's id. */
async function sweepWithBundles(service: LabService, contents: readonly Buffer[]): Promise<number> {
  const { experimentId } = await service.createExperiment({ name: 'qd', base: BASE, variants: VARIANTS });
  const db = openLabDatabase(dbPath);
  const experiment = new ExperimentStore(db).get(experimentId)!;
  db.close();
  const sweep = defaultSweepDir(dbPath, experimentId, 0);
  mkdirSync(join(sweep, 'bundles'), { recursive: true });
  writeManifest(sweep, newManifest(experiment, 'local', 'test', 0));
  contents.forEach((bytes, i) => writeFileSync(join(sweep, bundleName(i)), bytes));
  return experimentId;
}

function countRows(sql: string, ...args: unknown[]): number {
  const db = openLabDatabase(dbPath, { readonly: true });
  try {
    return db
      .prepare(sql)
      .pluck()
      .get(...args) as number;
  } finally {
    db.close();
  }
}

describe('LabService: collect imports off its thread', () => {
  it('answers listRuns while a collect imports, and its event loop does not stall', async () => {
    const service = open();
    const experimentId = await sweepWithBundles(service, [big, bundles[1]!]);
    let collected = false;
    const started = performance.now();
    const collect = service.collectExperimentSweep(experimentId).then((s) => {
      collected = true;
      return s;
    });
    // Ticks every 10 ms while the collect runs: an import on this thread would leave one gap as long as the import.
    let last = performance.now();
    let worstGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
    }, 10);
    const answeredDuring: number[] = [];
    try {
      while (!collected) {
        const asked = performance.now();
        const runs = await service.listRuns({});
        if (!collected) answeredDuring.push(performance.now() - asked);
        expect(Array.isArray(runs)).toBe(true);
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      clearInterval(ticker);
    }
    const status = (await collect)!;
    const took = performance.now() - started;
    expect(status.variants.map((v) => [v.state, v.imported])).toEqual([
      ['done', 'imported'],
      ['done', 'imported'],
    ]);
    expect(answeredDuring.length).toBeGreaterThan(0);
    expect(Math.max(...answeredDuring)).toBeLessThan(Math.max(250, took / 4));
    expect(worstGap).toBeLessThan(Math.max(300, took / 2));
    expect((await service.listRuns({})).length).toBe(2);
  }, 120_000);

  it('imports each bundle once and records one execution when two collects of one sweep run at once', async () => {
    const a = open();
    const experimentId = await sweepWithBundles(a, bundles);
    const b = open();
    const looks = await Promise.all([
      a.collectExperimentSweep(experimentId),
      a.collectExperimentSweep(experimentId),
      b.collectExperimentSweep(experimentId),
      b.collectExperimentSweep(experimentId),
    ]);
    const runIds = looks.map((s) => s!.variants.map((v) => v.runId));
    for (const ids of runIds) expect(ids).toEqual(runIds[0]);
    expect(looks.flatMap((s) => s!.variants.filter((v) => v.imported === 'imported')).length).toBe(VARIANTS.length);
    expect(countRows('SELECT COUNT(*) FROM runs')).toBe(VARIANTS.length);
    expect(countRows('SELECT COUNT(*) FROM experiment_executions WHERE experiment_id = ?', experimentId)).toBe(1);
    expect(countRows('SELECT COUNT(*) FROM experiment_runs')).toBe(VARIANTS.length);
    const detail = await a.getExperiment(experimentId);
    expect(detail.variants.map((v) => v.runId)).toEqual(runIds[0]);
    // Later looks find the bundles without importing them again.
    expect((await a.collectExperimentSweep(experimentId))!.variants.map((v) => v.imported)).toEqual(['duplicate', 'duplicate']);
    expect(countRows('SELECT COUNT(*) FROM experiment_executions WHERE experiment_id = ?', experimentId)).toBe(1);
  }, 120_000);

  it('imports a single bundle through the worker, a duplicate by its content hash, and refuses a damaged one naming the file', async () => {
    const service = open();
    const dataBase64 = bundles[0]!.toString('base64');
    const first = await service.importRunBundle({ fileName: 'a.pcilab-run.jsonl.gz', dataBase64 });
    expect(first.kind).toBe('imported');
    expect(await service.importRunBundle({ fileName: 'b.gz', dataBase64 })).toMatchObject({ kind: 'duplicate', runId: first.runId });
    const damaged = Buffer.from(bundles[1]!);
    damaged[damaged.length - 12]! ^= 0xff;
    await expect(service.importRunBundle({ fileName: 'bad.gz', dataBase64: damaged.toString('base64') })).rejects.toMatchObject({
      code: 'invalid-argument',
      message: expect.stringContaining('bad.gz'),
    });
    expect((await service.listRuns({})).length).toBe(1);
  }, 120_000);
});
