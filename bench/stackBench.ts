// Whole-stack benches of the s390-rpcit-exhaustion preset (s390 KVM, fio 256 KiB reads through the
// zPCI vIOMMU, QEMU shadowing every 4 KiB page into VFIO type1): simulated events, IOs and VFIO
// ioctls per wall second, and the wall cost of one IO when the container already holds 1k, 64k or
// 1M other live mappings (injected before the run, far from the guest's DMA window).

import { loadRunnableScenario } from '../core/run/scenarioChecks';
import { findPreset } from '../core/scenario/presets';
import { ScenarioRun } from '../core/run/scenarioRun';
import type { Stack } from '../core/stack/stackBuilder';
import { VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE } from '../core/model/vfio/vfioContainerApi';
import type { Measured } from './harness';

const PRESET = 's390-rpcit-exhaustion';

function preset1(variant: string, extra: string[]): ReturnType<typeof loadRunnableScenario> {
  const preset = findPreset(PRESET);
  const v = preset?.variants?.find((x) => x.name === variant);
  if (preset === undefined || v === undefined) throw new Error(`no preset ${PRESET} variant ${variant}`);
  return loadRunnableScenario({ value: preset.scenario }, [...v.set, ...extra]);
}

interface Sample {
  readonly ms: number;
  readonly events: number;
  readonly ios: number;
  readonly ioctls: number;
}

function runOnce(variant: string, extra: string[], prepare?: (stack: Stack) => void): Sample {
  const loaded = preset1(variant, extra);
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const run = new ScenarioRun(loaded.scenario, prepare === undefined ? {} : { prepare });
  const t0 = performance.now();
  const m = run.runToEnd().metrics;
  return {
    ms: performance.now() - t0,
    events: m['sim.events'] ?? 0,
    ios: m['io.completed'] ?? 0,
    ioctls: (m['vfio.mapIoctls'] ?? 0) + (m['vfio.unmapIoctls'] ?? 0),
  };
}

function median(samples: Sample[]): Sample {
  return [...samples].sort((a, b) => a.ms - b.ms)[Math.floor(samples.length / 2)]!;
}

function row(name: string, unit: string, items: number, ms: number): Measured {
  return { name, unit, perSecond: (items / ms) * 1000, nsPerItem: (ms * 1e6) / items, rmePct: NaN, samples: 3 };
}

/** Preset 1's variants end to end: events, IOs and VFIO ioctls per wall second. */
export function preset1Throughput(durationMs: number): Measured[] {
  const out: Measured[] = [];
  for (const variant of ['percpu', 'strict']) {
    const s = median([0, 1, 2].map(() => runOnce(variant, [`durationMs=${durationMs}`])));
    const label = `preset 1 (${variant}, ${durationMs} ms simulated)`;
    out.push(row(`${label}: simulated events`, 'events', s.events, s.ms));
    out.push(row(`${label}: simulated IOs`, 'IOs', s.ios, s.ms));
    out.push(row(`${label}: VFIO map/unmap ioctls`, 'ioctls', s.ioctls, s.ms));
  }
  return out;
}

/** `count` live 4 KiB mappings in the device's container, at IOVAs from 2^40 (outside the guest's window). */
function injectMappings(count: number): (stack: Stack) => void {
  return (stack) => {
    const container = stack.vms[0]!.devices[0]!.container!;
    const flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    for (let i = 0; i < count; i++) {
      const rc = container.mapDma(2 ** 40 + i * 4096, 0x1000_0000_0000 + i * 4096, 4096, flags);
      if (rc !== 0) throw new Error(`injecting live mapping ${i}: errno ${rc}`);
    }
  };
}

/**
 * Wall ns per simulated IO of preset 1 (strict: every IO maps and unmaps its 64 pages) with the
 * container holding `live` other mappings. dma_entry_limit is raised so QEMU's shadow is never short.
 */
export function perIoCostByLiveMappings(durationMs: number): Measured[] {
  return [1_000, 64_000, 1_000_000].map((live) => {
    const extra = [`durationMs=${durationMs}`, `host.vfio.dmaEntryLimit=${live + 65_535}`];
    const s = median([0, 1, 2].map(() => runOnce('strict', extra, injectMappings(live))));
    return row(`preset 1 (strict) with ${live.toLocaleString('en')} live mappings: simulated IOs`, 'IOs', s.ios, s.ms);
  });
}
