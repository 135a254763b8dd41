// An experiment's variants run in parallel (the run queue's worker pool) with the same results as
// one at a time: each variant is its own deterministic run, and parallel storing never meets
// SQLITE_BUSY.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabService } from './labService';
import { spawnRunWorker } from './workerSpawner';
import type { RunDetail } from '../../core/contract/runResult';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Wall-clock figures differ between any two runs; everything else must not. */
const WALL_CLOCK = /wall/i;

function simulated(run: RunDetail): unknown {
  return {
    status: run.status,
    error: run.error,
    seed: run.seed,
    eventCount: run.eventCount,
    timelineHash: run.timelineHash,
    claims: run.claims,
    ops: run.ops,
    dmaModes: run.dmaModes,
    metrics: Object.fromEntries(Object.entries(run.metrics).filter(([k]) => !WALL_CLOCK.test(k))),
  };
}

async function runExperiment(concurrency: number): Promise<{ runs: unknown[]; mostAtOnce: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'pcilab-par-'));
  dirs.push(dir);
  let live = 0;
  let mostAtOnce = 0;
  const service = new LabService({
    dbPath: join(dir, 'lab.db'),
    version: 'test',
    concurrency,
    spawnWorker: (data) => {
      const worker = spawnRunWorker(data);
      mostAtOnce = Math.max(mostAtOnce, ++live);
      worker.on('exit', () => live--);
      return worker;
    },
  });
  try {
    const { experimentId } = await service.createExperiment({
      name: 'seeds',
      base: { preset: 'quickstart-nvme-fio', overrides: ['durationMs=20'] },
      grid: [
        { path: 'seed', values: [1, 2] },
        { path: 'host.vfio.dmaEntryLimit', values: [65535, 512] },
      ],
    });
    const { runIds } = await service.runExperiment(experimentId);
    expect(runIds).toHaveLength(4);
    await service.idle();
    const runs = await Promise.all(runIds.map((id) => service.getRun(id)));
    return { runs: runs.map(simulated), mostAtOnce };
  } finally {
    service.close();
  }
}

describe('an experiment run by a pool of workers', () => {
  it('gives every variant the same result in parallel as one at a time, all completed', async () => {
    const parallel = await runExperiment(4);
    const sequential = await runExperiment(1);
    expect(parallel.mostAtOnce).toBeGreaterThan(1);
    expect(sequential.mostAtOnce).toBe(1);
    expect(parallel.runs.map((r) => (r as { status: string }).status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(parallel.runs).toEqual(sequential.runs);
  });
});
