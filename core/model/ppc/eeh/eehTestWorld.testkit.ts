// Test fixture of the EEH tests: a PowerPC KVM scenario with the given devices and EEH options, an
// EehSystem on its own Simulation, and a way to let simulated time pass.
// Must not: be imported by the simulator (tests only).

import { loadScenario } from '../../../scenario/loadScenario';
import type { DeviceConfig, Scenario } from '../../../scenario/schema';
import { resolveCostTable } from '../../../sim/costTable';
import { Simulation } from '../../../sim/simulation';
import type { SimTimeNs } from '../../../sim/simTime';
import { createEehSystem, type EehSystem } from './eehSystem';

export const MS = 1_000_000;
export const S = 1_000_000_000;

export interface EehWorld {
  readonly sim: Simulation;
  readonly scenario: Scenario;
  readonly eeh: EehSystem;
  /** Lets simulated time pass until `tNs` (absolute). */
  runTo(tNs: number): void;
}

export interface EehWorldOptions {
  readonly devices?: readonly Partial<DeviceConfig>[];
  readonly eeh?: Record<string, unknown>;
  readonly hypervisor?: 'kvm' | 'powernv' | 'powervm-nested';
  readonly backend?: 'spapr-tce-v2' | 'spapr-tce-v1' | 'iommufd';
  /** false: no simulation, the EEH clock advances with the calls (ops environments without one). */
  readonly attached?: boolean;
}

/** Two NVMe in two host PEs forming one guest PE, unless `devices` says otherwise. */
export function eehWorld(options: EehWorldOptions = {}): EehWorld {
  const devices = options.devices ?? [
    { name: 'nvme0', kind: 'nvme', hostPe: 1, guestPe: 1 },
    { name: 'nvme1', kind: 'nvme', hostPe: 2, guestPe: 1 },
  ];
  const loaded = loadScenario({
    value: {
      name: 'eeh-test',
      host: { arch: 'ppc64le', hypervisor: options.hypervisor ?? 'kvm', vfio: { backend: 'spapr-tce-v2' } },
      vms: [{ name: 'vm0', devices, eeh: options.eeh ?? {} }],
      workload: { kind: 'ops', steps: [{ op: 'eeh.wait', args: { ms: 1 } }] },
    },
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  // Another backend is set after validation: the lab refuses non-SPAPR backends on ppc64le (its sPAPR
  // front-end has no iommufd path), but QEMU's EEH rule for iommufd is tested on its own.
  const base = loaded.scenario;
  const scenario =
    options.backend === undefined ? base : { ...base, host: { ...base.host, vfio: { ...base.host.vfio, backend: options.backend } } };
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const attached = options.attached ?? true;
  const eeh = createEehSystem({
    sim: attached ? sim : null,
    costs: sim.costs,
    timeline: sim.timeline,
    scenario,
    vm: scenario.vms[0]!,
    qemu: null,
  });
  return {
    sim,
    scenario,
    eeh,
    runTo(tNs: number) {
      if (attached) {
        while (!sim.step(tNs as SimTimeNs, 100_000));
        // step() leaves the queue intact past `until`; the clock also catches up for calls made later.
      }
      eeh.advanceTo(tNs);
    },
  };
}
