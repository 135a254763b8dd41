// One preset variant measured in a process of its own (bench/variantBench.ts spawns it from a
// bundle): the variant runs to its end again and again, in batches of K runs timed together (one
// process.cpuUsage pair per batch, so its ~3 us are spread over K runs; K is chosen after each batch
// so a batch lasts at least SAMPLE_MS of CPU: 1 for a variant that runs longer, up to
// MAX_RUNS_PER_SAMPLE for an ops script of a few ioctls). Batches are taken until they add up to
// --budget-ms of CPU (at least --runs of them, at most MAX_SAMPLES); the first batch is one run, reported as the cold figure (it
// pays for compiling the hot paths), the steady figure is the median per-run CPU of the last third
// of the batches (thousands of runs in for a short variant: JIT-warm). Setup is measured the same
// way, in batches of K constructions of the run alone. Prints one JSON line: both CPU figures, what
// a run simulated, recorded and completed, and the process's peak resident memory after its first
// RSS_AFTER_RUNS runs.
// Usage: node <bundle> <preset> <variant|-> [--set a=b ...] [--budget-ms N] [--runs N (batches, at least; 3)]

import { presetPlan } from '../core/run/presetPlan';
import { ScenarioRun } from '../core/run/scenarioRun';
import { findPreset } from '../core/scenario/presets';
import { TimelineRecorder } from '../core/sim/timelineRecorder';
import { peakRssMiB } from './peakRss';

export interface VariantMeasure {
  readonly preset: string;
  readonly variant: string;
  /** Runs made (all batches; the setup-only constructions not counted). */
  readonly runs: number;
  /** Steady CPU per run, ms (median of the per-run CPU of the last third of the batches). */
  readonly cpuMs: number;
  /** CPU of the first run, ms (includes compiling the hot paths). */
  readonly coldCpuMs: number;
  /**
   * Of cpuMs, building the run (the stack: host, QEMU, guest, devices, workload; what a real setup
   * spends starting QEMU and booting the guest), median of as many batches of constructions alone.
   */
  readonly setupCpuMs: number;
  readonly simulatedNs: number;
  readonly timelineEvents: number;
  readonly simEvents: number;
  readonly ios: number;
  readonly peakRssMiB: number;
}

/** A batch lasts at least this much CPU where it can, ms (the timer's ~6 us per batch is then ~0.1 %). */
const SAMPLE_MS = 5;
/** Batches per variant, at most: 2 s of 5 ms batches (a long variant stops at the budget first). */
const MAX_SAMPLES = 400;
/**
 * Runs per batch, at most: each run of a batch has its timeline recorder made before the clock
 * starts (~200 KiB each), which this bounds (a few MiB of peak RSS at most).
 */
const MAX_RUNS_PER_SAMPLE = 16;

/** K for the next batch, from the per-run CPU of the last one. */
function runsPerSample(perRunMs: number): number {
  return Math.max(1, Math.min(MAX_RUNS_PER_SAMPLE, Math.ceil(SAMPLE_MS / Math.max(perRunMs, 1e-3))));
}

/**
 * Peak RSS is read once this many runs are made (or at the end, if fewer): the high-water mark of a
 * run and its garbage, as before batching (at most 60 runs then); thousands of short runs later, V8
 * has let its heap grow with their garbage, which says nothing about a run.
 */
const RSS_AFTER_RUNS = 60;

function cpuMsNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function main(): void {
  const [presetId, variantName] = process.argv.slice(2);
  const sets = process.argv.flatMap((a, i) => (a === '--set' ? [process.argv[i + 1]!] : []));
  const at = process.argv.indexOf('--budget-ms');
  const budgetMs = at >= 0 ? Number(process.argv[at + 1]) : 2000;
  const atRuns = process.argv.indexOf('--runs');
  const minRuns = atRuns >= 0 ? Number(process.argv[atRuns + 1]) : 3;
  const preset = findPreset(presetId ?? '');
  if (preset === undefined) throw new Error(`no preset ${presetId}`);
  const planned = presetPlan(preset, sets);
  if (!planned.ok) throw new Error(planned.problems.join('\n'));
  const scenario = variantName === '-' ? planned.plan.base : planned.plan.variants.find((v) => v.name === variantName)?.scenario;
  if (scenario === undefined) throw new Error(`preset ${presetId} has no variant ${variantName}`);
  const samples: number[] = [];
  let runs = 0;
  let last = { simulatedNs: 0, timelineEvents: 0, simEvents: 0, ios: 0 };
  let total = 0;
  let k = 1;
  let rssMiB: number | null = null;
  while (samples.length < minRuns || (total < budgetMs && samples.length < MAX_SAMPLES)) {
    // The recorders are made before the clock starts (as before batching: a host's, not the run's).
    const timelines = Array.from({ length: k }, () => new TimelineRecorder());
    const t0 = cpuMsNow();
    for (const timeline of timelines) {
      const run = new ScenarioRun(scenario, { timeline });
      while (!run.step(1_000_000));
      const m = run.result().metrics;
      last = { simulatedNs: run.simulatedNs, timelineEvents: timeline.size, simEvents: m['sim.events'] ?? 0, ios: m['io.completed'] ?? 0 };
    }
    const ms = cpuMsNow() - t0;
    samples.push(ms / k);
    runs += k;
    total += ms;
    if (rssMiB === null && runs >= RSS_AFTER_RUNS) rssMiB = peakRssMiB();
    k = runsPerSample(ms / k);
  }
  const third = Math.ceil(samples.length / 3);
  const steady = samples.slice(samples.length - third).sort((a, b) => a - b);
  // Setup alone: as many batches as the steady third, K constructions each (never stepped).
  const setups: number[] = [];
  for (let i = 0; i < third; i++) {
    const timelines = Array.from({ length: k }, () => new TimelineRecorder());
    const t0 = cpuMsNow();
    for (const timeline of timelines) new ScenarioRun(scenario, { timeline });
    setups.push((cpuMsNow() - t0) / k);
  }
  const steadySetup = setups.sort((a, b) => a - b);
  const out: VariantMeasure = {
    preset: preset.id,
    variant: variantName!,
    runs,
    cpuMs: steady[Math.floor(steady.length / 2)]!,
    coldCpuMs: samples[0]!,
    setupCpuMs: steadySetup[Math.floor(steadySetup.length / 2)]!,
    ...last,
    peakRssMiB: rssMiB ?? peakRssMiB(),
  };
  console.log(JSON.stringify(out));
}

main();
