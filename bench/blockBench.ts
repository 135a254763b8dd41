// How long one API call holds the lab service's thread (docs/benchmarks.md, "Service thread"): the
// longest event-loop stall, measured by perf_hooks' monitorEventLoopDelay, while the service
// validates and starts the largest ops script it accepts (MAX_OPS_STEPS steps of YAML, slow to
// parse and check). Every other client of the browser host waits that long. The target is 100 ms;
// the unit test (electron/service/labService.test.ts) keeps a loose bound that fails only when
// validation moves back onto this thread. Medians of repeated samples, one service, built workers.
// Must not: leave its temporary database behind.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { LabService } from '../electron/service/labService';
import { spawnRunPreparer } from '../electron/service/workerSpawner';
import { MAX_OPS_STEPS } from '../core/scenario/schema';

export interface BlockTiming {
  readonly call: string;
  readonly samplesMs: readonly number[];
  readonly medianMs: number;
}

export const BLOCK_TARGET_MS = 100;

async function longestBlockMs(work: () => Promise<unknown>): Promise<number> {
  const delay = monitorEventLoopDelay({ resolution: 2 });
  delay.enable();
  try {
    await new Promise((r) => setTimeout(r, 20));
    await work();
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    delay.disable();
  }
  return delay.max / 1e6;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function benchBlocking(samples = 5): Promise<BlockTiming[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pcilab-bench-block-'));
  const idleWorkers: Worker[] = [];
  const service = new LabService({
    dbPath: join(dir, 'lab.db'),
    // Runs stay queued in an idle thread: this measures preparing and storing, not running.
    // Stopped below: a run's worker ends when its run does, which never happens here, and a live
    // thread would keep the bench process up after it has written its figures.
    spawnWorker: () => {
      const idle = new Worker('setInterval(() => {}, 1000)', { eval: true });
      idleWorkers.push(idle);
      return idle;
    },
    spawnPreparer: spawnRunPreparer,
    version: 'bench',
  });
  try {
    await service.validateScenario({ preset: 'quickstart-nvme-fio' });
    await service.startRun({ preset: 'quickstart-nvme-fio' });
    const steps = Array.from(
      { length: MAX_OPS_STEPS },
      (_, i) => `    - { op: vfio.map, args: { iova: ${i * 4096}, size: 4096, vaddr: ${i * 4096} } }`,
    );
    const scenarioText = `name: long\nvms: [{ viommu: { model: none } }]\nworkload:\n  kind: ops\n  steps:\n${steps.join('\n')}\n`;
    const validate: number[] = [];
    const start: number[] = [];
    for (let i = 0; i < samples; i++) {
      validate.push(await longestBlockMs(() => service.validateScenario({ scenarioText })));
      start.push(await longestBlockMs(() => service.startRun({ scenarioText })));
    }
    return [
      {
        call: `validateScenario (${MAX_OPS_STEPS.toLocaleString('en-US')} ops steps, YAML)`,
        samplesMs: validate,
        medianMs: median(validate),
      },
      { call: `startRun (${MAX_OPS_STEPS.toLocaleString('en-US')} ops steps, YAML)`, samplesMs: start, medianMs: median(start) },
    ];
  } finally {
    service.close();
    await Promise.all(idleWorkers.map((w) => w.terminate()));
    rmSync(dir, { recursive: true, force: true });
  }
}
