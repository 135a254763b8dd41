// Run workers from the built JavaScript (out/cli) or, when that is missing or older than a source,
// from the TypeScript source; and the warm worker: spawned ahead, given its run in a message.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtWorkersStaleness, describeWorkerSource, runWorkerSpawner, workerSource } from './workerSpawner';
import { LabService } from './labService';
import type { RunWorkerData } from './runWorkerProtocol';
import { Worker } from 'node:worker_threads';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakeBuild(): { root: URL; out: URL; at: (name: string, seconds: number) => void } {
  const root = mkdtempSync(join(tmpdir(), 'pcilab-spawner-'));
  dirs.push(root);
  mkdirSync(join(root, 'out', 'cli'), { recursive: true });
  mkdirSync(join(root, 'core'));
  const at = (name: string, seconds: number): void => {
    writeFileSync(join(root, name), '');
    utimesSync(join(root, name), seconds, seconds);
  };
  return { root: pathToFileURL(`${root}/`), out: pathToFileURL(`${root}/out/cli/`), at };
}

describe('builtWorkersStaleness', () => {
  it('says which entry is not built, which source changed or is gone, and null when the build is current', () => {
    const b = fakeBuild();
    expect(builtWorkersStaleness(b.out, b.root)).toBe('out/cli/runWorker.mjs is not built yet');
    b.at('out/cli/runWorker.mjs', 2000);
    b.at('out/cli/runPreparerWorker.mjs', 2000);
    expect(builtWorkersStaleness(b.out, b.root)).toBe('out/cli/runBundleImportWorker.mjs is not built yet');
    b.at('out/cli/runBundleImportWorker.mjs', 2000);
    expect(builtWorkersStaleness(b.out, b.root)).toBe('out/cli/inputs.json is missing');
    writeFileSync(new URL('./inputs.json', b.out), JSON.stringify({ inputs: ['core/a.ts', 'core/b.ts'] }));
    b.at('core/a.ts', 1000);
    expect(builtWorkersStaleness(b.out, b.root)).toBe('core/b.ts is gone since out/cli was built');
    b.at('core/b.ts', 3000);
    expect(builtWorkersStaleness(b.out, b.root)).toBe('core/b.ts changed since out/cli was built');
    b.at('core/b.ts', 1000);
    expect(builtWorkersStaleness(b.out, b.root)).toBeNull();
  });

  it('names where the workers come from in one line', () => {
    expect(describeWorkerSource({ kind: 'built', why: null })).toMatch(/^run workers: built JavaScript \(.*out\/cli\/\)$/);
    expect(describeWorkerSource({ kind: 'tsx', why: 'core/b.ts changed since out/cli was built' })).toBe(
      'run workers: TypeScript source through tsx (slow to start: core/b.ts changed since out/cli was built)',
    );
  });
});

describe('run workers', () => {
  it('with warm workers: the run worker is spawned before Start, then given its run, and the run completes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcilab-warm-'));
    dirs.push(dir);
    const spawned: (RunWorkerData | null)[] = [];
    const spawn = runWorkerSpawner(workerSource().kind);
    const service = new LabService({
      dbPath: join(dir, 'lab.db'),
      version: 'test',
      warmWorkers: true,
      spawnWorker: (data) => {
        spawned.push(data);
        return spawn(data);
      },
    });
    try {
      expect(spawned).toEqual([null]);
      const { runId } = await service.startRun({ preset: 'quickstart-nvme-fio', overrides: ['durationMs=1'] });
      await service.idle();
      expect((await service.getRun(runId)).status).toBe('completed');
      // The warm worker ran it; once idle the queue keeps a new one ready.
      expect(spawned).toEqual([null, null]);
    } finally {
      service.close();
    }
  });

  it('with warm workers: a warm worker that died is not given the run; the run starts its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcilab-warm-'));
    dirs.push(dir);
    const spawned: (number | null)[] = [];
    const spawn = runWorkerSpawner(workerSource().kind);
    let warmGone: () => void = () => undefined;
    const gone = new Promise<void>((resolve) => (warmGone = resolve));
    const service = new LabService({
      dbPath: join(dir, 'lab.db'),
      version: 'test',
      warmWorkers: true,
      spawnWorker: (data) => {
        spawned.push(data?.runId ?? null);
        if (data !== null) return spawn(data);
        const w = new Worker('process.exit(0)', { eval: true });
        w.on('exit', () => warmGone());
        return w;
      },
    });
    try {
      await gone;
      const { runId } = await service.startRun({ preset: 'quickstart-nvme-fio', overrides: ['durationMs=1'] });
      await service.idle();
      expect((await service.getRun(runId)).status).toBe('completed');
      expect(spawned.slice(0, 2)).toEqual([null, runId]);
    } finally {
      service.close();
    }
  });
});
