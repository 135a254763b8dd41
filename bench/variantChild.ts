// One preset variant measured in a process of its own (bench/variantBench.ts spawns it from a
// bundle): the variant runs to its end again and again (at least 3 times, until the runs add up to
// --budget-ms of CPU, at most 60 times); the first run is reported as the cold figure (it pays for
// compiling the hot paths), the median of the last third as the steady one. Prints one JSON line:
// both CPU figures, what a run simulated, recorded and completed, and the process's peak resident
// memory.
// Usage: node <bundle> <preset> <variant|-> [--set a=b ...] [--budget-ms N] [--runs N (at least; 3)]

import { presetPlan } from '../core/run/presetPlan';
import { ScenarioRun } from '../core/run/scenarioRun';
import { findPreset } from '../core/scenario/presets';
import { TimelineRecorder } from '../core/sim/timelineRecorder';
import { peakRssMiB } from './peakRss';

export interface VariantMeasure {
  readonly preset: string;
  readonly variant: string;
  readonly runs: number;
  /** Steady CPU per run, ms (median of the last third of the runs). */
  readonly cpuMs: number;
  /** CPU of the first run, ms (includes compiling the hot paths). */
  readonly coldCpuMs: number;
  /**
   * Of cpuMs, building the run (the stack: host, QEMU, guest, devices, workload; what a real setup
   * spends starting QEMU and booting the guest), median of the same steady runs.
   */
  readonly setupCpuMs: number;
  readonly simulatedNs: number;
  readonly timelineEvents: number;
  readonly simEvents: number;
  readonly ios: number;
  readonly peakRssMiB: number;
}

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
  const setups: number[] = [];
  let last = { simulatedNs: 0, timelineEvents: 0, simEvents: 0, ios: 0 };
  let total = 0;
  while (samples.length < minRuns || (total < budgetMs && samples.length < 60)) {
    const timeline = new TimelineRecorder();
    const t0 = cpuMsNow();
    const run = new ScenarioRun(scenario, { timeline });
    setups.push(cpuMsNow() - t0);
    while (!run.step(1_000_000));
    const m = run.result().metrics;
    const ms = cpuMsNow() - t0;
    last = { simulatedNs: run.simulatedNs, timelineEvents: timeline.size, simEvents: m['sim.events'] ?? 0, ios: m['io.completed'] ?? 0 };
    samples.push(ms);
    total += ms;
  }
  const third = Math.ceil(samples.length / 3);
  const steady = samples.slice(samples.length - third).sort((a, b) => a - b);
  const steadySetup = setups.slice(setups.length - third).sort((a, b) => a - b);
  const out: VariantMeasure = {
    preset: preset.id,
    variant: variantName!,
    runs: samples.length,
    cpuMs: steady[Math.floor(steady.length / 2)]!,
    coldCpuMs: samples[0]!,
    setupCpuMs: steadySetup[Math.floor(steadySetup.length / 2)]!,
    ...last,
    peakRssMiB: peakRssMiB(),
  };
  console.log(JSON.stringify(out));
}

main();
