// Every preset variant, each measured in a child process from a bundle (variantChild.ts): simulated
// seconds per CPU second (the real system is 1.0), recorded timeline events per CPU second, CPU per
// completed IO, peak resident memory. The target of each variant is min(10, 4M / D), D being its
// recorded events per simulated second: ten times faster than the real system, or, where the
// workload's event density forbids that, 4 million recorded events per CPU second. The target
// applies to the whole run (setup included). A variant that simulates well under a millisecond (an
// ops script of a few ioctls) cannot meet it: its CPU is the fixed cost of building the stack
// (~0.2-1 ms, the column "setup"), which stands for starting QEMU and booting a guest (seconds on a
// real system); the column "sim s per CPU s after setup" shows the simulation alone.

import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { PRESETS } from '../core/scenario/presets';
import { bundleEntry } from './bundle';
import { fmt, formatTable } from './harness';
import type { VariantMeasure } from './variantChild';

/** How the child measures, for the notes under every table of variants (bench:variants, bench). */
export const VARIANT_METHOD_NOTES: readonly string[] = [
  'sim s per CPU s: simulated seconds per CPU second; the real system runs at 1.0. Each variant runs in a process of its own,',
  '  bundled, again and again in batches of K runs timed by one process.cpuUsage pair (K chosen so a batch lasts >= 5 ms of',
  '  CPU, at most 16 runs: the timer costs ~3 us a call, 0.1 % of a batch), for 2 s of CPU or 400 batches; steady = median',
  '  per-run CPU of the last third of the batches (a short ops script is then thousands of runs in, JIT-warm); cold = the',
  '  first run of the fresh process, alone. The timeline recorder of each run is made before its batch is timed. Targets',
  '  apply to steady.',
  'setup: CPU building the run (host, QEMU, guest, devices, workload), measured the same way in batches of constructions',
  '  alone; it stands for starting QEMU and booting a guest. after setup: simulated seconds per CPU second of the rest.',
  "peak RSS: the process's high-water mark (VmHWM) after its first 60 runs, or all of them when fewer.",
];

export const TARGET_SPEEDUP = 10;
export const TARGET_EVENTS_PER_S = 4_000_000;

export interface VariantRow extends VariantMeasure {
  /** Simulated seconds per CPU second. */
  readonly speedup: number;
  /** Simulated seconds per CPU second of the simulation alone (setup taken off). */
  readonly speedupAfterSetup: number;
  readonly target: number;
  readonly eventsPerCpuS: number;
  readonly cpuUsPerIo: number | null;
}

export function rowOf(m: VariantMeasure): VariantRow {
  const simS = m.simulatedNs / 1e9;
  const cpuS = m.cpuMs / 1000;
  const density = simS > 0 ? m.timelineEvents / simS : 0;
  return {
    ...m,
    speedup: simS / cpuS,
    speedupAfterSetup: simS / Math.max(1e-6, (m.cpuMs - m.setupCpuMs) / 1000),
    target: density > 0 ? Math.min(TARGET_SPEEDUP, TARGET_EVENTS_PER_S / density) : TARGET_SPEEDUP,
    eventsPerCpuS: m.timelineEvents / cpuS,
    cpuUsPerIo: m.ios > 0 ? (m.cpuMs * 1000) / m.ios : null,
  };
}

/** Runs `bundle` for each (preset, variant) and returns the rows; `sets` apply to every variant. */
export interface MeasureOptions {
  /** Overrides applied to every variant (e.g. durationMs=60000). */
  readonly sets?: readonly string[];
  /** Extra arguments of the child (e.g. ['--runs', '1', '--budget-ms', '0'] for one long run). */
  readonly childArgs?: readonly string[];
}

export function measureVariants(bundle: string, only: (presetId: string) => boolean, options: MeasureOptions = {}): VariantRow[] {
  const sets = options.sets ?? [];
  const rows: VariantRow[] = [];
  for (const preset of PRESETS) {
    if (!only(preset.id)) continue;
    const variants = (preset.variants ?? []).map((v) => v.name);
    for (const variant of variants.length > 0 ? variants : ['-']) {
      const args = [bundle, preset.id, variant, ...sets.flatMap((s) => ['--set', s]), ...(options.childArgs ?? [])];
      const out = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
      const row = rowOf(JSON.parse(out.trim().split('\n').at(-1)!) as VariantMeasure);
      process.stderr.write(`  ${row.preset}/${row.variant}: ${fmt(row.speedup, 2)} x real time (target ${fmt(row.target, 2)})\n`);
      rows.push(row);
    }
  }
  return rows;
}

export function variantTable(rows: readonly VariantRow[]): string {
  return formatTable([
    [
      'preset / variant',
      'simulated (ms)',
      'CPU cold (ms)',
      'CPU steady (ms)',
      'setup (ms)',
      'sim s per CPU s',
      'after setup',
      'target',
      'met',
      'events per CPU s',
      'CPU us per IO',
      'peak RSS (MiB)',
    ],
    ...rows.map((r) => [
      `${r.preset}/${r.variant}`,
      fmt(r.simulatedNs / 1e6, 0),
      fmt(r.coldCpuMs, 1),
      // Three decimals below 1 ms: a short ops script's steady run is tens of microseconds.
      fmt(r.cpuMs, r.cpuMs < 1 ? 3 : 1),
      fmt(r.setupCpuMs, 3),
      fmt(r.speedup, 2),
      fmt(r.speedupAfterSetup, 2),
      fmt(r.target, 2),
      r.speedup >= r.target ? 'yes' : 'NO',
      fmt(r.eventsPerCpuS, 0),
      r.cpuUsPerIo === null ? '-' : fmt(r.cpuUsPerIo, 1),
      fmt(r.peakRssMiB, 0),
    ]),
  ]);
}

/** Bundles the child, measures, cleans up. */
export async function benchVariants(only: (presetId: string) => boolean = () => true, options: MeasureOptions = {}): Promise<VariantRow[]> {
  const bundle = await bundleEntry('bench/variantChild.ts');
  try {
    return measureVariants(bundle, only, options);
  } finally {
    rmSync(dirname(bundle), { recursive: true, force: true });
  }
}
