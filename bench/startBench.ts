// How soon a run simulates after Start (docs/benchmarks.md, "Run start"): a fresh lab service per
// sample with its worker threads from the TypeScript source through tsx (how every host but the
// desktop app started them before), from the built JavaScript (out/cli), and from the built
// JavaScript kept warm (the preparer and one run worker spawned when the lab opens, as the browser
// host and the desktop app do; Start is pressed WARM_WAIT_MS after the lab opened); wall time from
// startRun to the first progress message with simulated time > 0, median of 5, quickstart preset.
// And the same for each variant of an experiment of two variants run at once (two workers: the warm
// pool holds one spare per slot, so the second variant does not load its code after Start).
// Must not: leave its temporary databases behind.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabService } from '../electron/service/labService';
import { runPreparerSpawner, runWorkerSpawner, type WorkerSourceKind } from '../electron/service/workerSpawner';
import type { RunWorkerMessage } from '../electron/service/runWorkerProtocol';

export const START_PRESET = 'quickstart-nvme-fio';

export type StartMode = 'tsx' | 'built' | 'built, warm';

/** How long the lab is open before Start in the warm mode (the warm worker loads meanwhile). */
export const WARM_WAIT_MS = 3000;

export interface StartTiming {
  readonly mode: StartMode;
  /** Each sample, ms. */
  readonly samplesMs: readonly number[];
  readonly medianMs: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** One sample: ms from startRun to the first progress with simulated time > 0. */
async function sample(mode: StartMode): Promise<number> {
  const source: WorkerSourceKind = mode === 'tsx' ? 'tsx' : 'built';
  const warm = mode === 'built, warm';
  const dir = mkdtempSync(join(tmpdir(), 'pcilab-bench-start-'));
  const spawn = runWorkerSpawner(source);
  let firstProgress: (ms: number) => void = () => undefined;
  const simulating = new Promise<number>((resolve) => (firstProgress = resolve));
  const service = new LabService({
    dbPath: join(dir, 'lab.db'),
    version: 'bench',
    spawnPreparer: runPreparerSpawner(source),
    warmWorkers: warm,
    spawnWorker: (data) => {
      const worker = spawn(data);
      worker.on('message', (m: RunWorkerMessage) => {
        if (m.type === 'progress' && m.simulatedNs > 0) firstProgress(performance.now());
      });
      return worker;
    },
  });
  try {
    if (warm) await new Promise((resolve) => setTimeout(resolve, WARM_WAIT_MS));
    const t0 = performance.now();
    const { runId } = await service.startRun({ preset: START_PRESET });
    const ms = (await simulating) - t0;
    await service.cancelRun(runId);
    await service.idle();
    return ms;
  } finally {
    service.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchStart(modes: readonly StartMode[] = ['tsx', 'built', 'built, warm'], times = 5): Promise<StartTiming[]> {
  const out: StartTiming[] = [];
  for (const mode of modes) {
    const samplesMs: number[] = [];
    for (let i = 0; i < times; i++) samplesMs.push(await sample(mode));
    out.push({ mode, samplesMs, medianMs: median(samplesMs) });
  }
  return out;
}

export interface ExperimentStartTiming {
  /** Per sample, ms from runExperiment to each variant's first progress, earliest first. */
  readonly samplesMs: readonly (readonly number[])[];
  /** Median over the samples of the earliest and of the latest variant. */
  readonly firstMedianMs: number;
  readonly lastMedianMs: number;
}

/** One sample: a warm lab of `workers` slots, an experiment of `variants` variants, ms to each one's first progress. */
async function experimentSample(variants: number, workers: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pcilab-bench-expstart-'));
  const spawn = runWorkerSpawner('built');
  const firsts: number[] = [];
  let allStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (allStarted = resolve));
  let t0 = 0;
  const service = new LabService({
    dbPath: join(dir, 'lab.db'),
    version: 'bench',
    spawnPreparer: runPreparerSpawner('built'),
    warmWorkers: true,
    concurrency: workers,
    spawnWorker: (data) => {
      const worker = spawn(data);
      let seen = false;
      worker.on('message', (m: RunWorkerMessage) => {
        if (seen || m.type !== 'progress' || m.simulatedNs <= 0) return;
        seen = true;
        firsts.push(performance.now() - t0);
        if (firsts.length === variants) allStarted();
      });
      return worker;
    },
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, WARM_WAIT_MS));
    const { experimentId } = await service.createExperiment({
      name: 'start',
      base: { preset: START_PRESET, overrides: ['durationMs=2000'] },
      variants: Array.from({ length: variants }, (_, i) => ({ name: `v${i + 1}`, set: [`seed=${i + 1}`] })),
    });
    t0 = performance.now();
    const { runIds } = await service.runExperiment(experimentId);
    await started;
    for (const id of runIds) await service.cancelRun(id);
    await service.idle();
    return [...firsts].sort((a, b) => a - b);
  } finally {
    service.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchExperimentStart(variants = 2, times = 5): Promise<ExperimentStartTiming> {
  const samplesMs: number[][] = [];
  for (let i = 0; i < times; i++) samplesMs.push(await experimentSample(variants, variants));
  return {
    samplesMs,
    firstMedianMs: median(samplesMs.map((s) => s[0]!)),
    lastMedianMs: median(samplesMs.map((s) => s[s.length - 1]!)),
  };
}
