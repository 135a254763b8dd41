import { describe, expect, it } from 'vitest';
import { createHostEnvironment } from '../model/host/hostEnvironment';
import { runOpStep } from '../workload/opsWorkload';
import { runFault, type FaultContext } from './faultRegistry';
import { Stack } from '../stack/stackBuilder';
import { loadRunnableScenario } from '../run/scenarioChecks';
import { resolveCostTable } from '../sim/costTable';
import { Simulation } from '../sim/simulation';
import type { SimTimeNs } from '../sim/simTime';
import { eehFaultProblem, eehPlacementProblems } from './eehFaults';
import type { EehSystem } from '../model/ppc/eeh/eehSystem';

const S = 1e9;

function world(devices: unknown[] = [{ name: 'nvme0', kind: 'nvme', hostPe: 4, guestPe: 1 }]) {
  const loaded = loadRunnableScenario({
    value: {
      name: 'eeh-faults',
      host: { arch: 'ppc64le', hypervisor: 'kvm', vfio: { backend: 'spapr-tce-v2' } },
      vms: [{ name: 'vm0', devices }],
      workload: { kind: 'ops', steps: [{ op: 'eeh.wait', args: { ms: 1 } }] },
    },
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const scenario = loaded.scenario;
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const env = createHostEnvironment(scenario, sim.costs);
  const stack = new Stack(env);
  const ctx: FaultContext = { sim, scenario, stack: () => stack };
  const eeh = () => env.instances().find((i) => i.laneName === 'eeh.vm0') as EehSystem;
  const runTo = (t: number) => {
    while (!sim.step(t as SimTimeNs, 100_000));
  };
  return { sim, scenario, env, ctx, eeh, runTo };
}

describe('EEH faults: eeh-freeze and eeh-recovery-step-fails on a run', () => {
  it('eeh-freeze freezes the host PE at the fault time, caused by the injection, and the guest recovers on the run clock', () => {
    const w = world();
    w.runTo(1 * S);
    runFault(w.ctx, { kind: 'eeh-freeze', atMs: 1000, pe: 4 }, 17);
    const pe = w.eeh().hostPe(4)!;
    expect(pe.state).toBe('stopped');
    const cols = w.sim.timeline.columns();
    expect(cols.cause[pe.lastFreezeEvent]).toBe(17);
    expect(cols.t[pe.lastFreezeEvent]).toBe(1 * S);
    w.runTo(60 * S);
    expect(pe.state).toBe('normal');
    expect(w.eeh().recovery.recoveries).toBe(1);
  });

  it('eeh-recovery-step-fails arms the step on the host PE: the next recovery meets it', () => {
    const w = world();
    runFault(w.ctx, { kind: 'eeh-recovery-step-fails', atMs: 0, pe: 4, step: 'slot_reset' }, -1);
    expect(w.eeh().hostPe(4)!.armedSteps()).toEqual(['slot_reset']);
    runFault(w.ctx, { kind: 'eeh-freeze', atMs: 0, pe: 4 }, -1);
    w.runTo(60 * S);
    // slot_reset failing after the reset: the guest gives up on a PE the reset left thawed.
    expect(w.eeh().guestPe(w.eeh().guestPeOfHostPe(w.eeh().hostPe(4)!).number)!.removed).toBe(true);
  });

  it('an EEH layer an ops script created without the run clock is attached to it by the first fault', () => {
    const w = world();
    runOpStep(w.env, 'eeh.state', { pe: 4 });
    expect(w.eeh().clock.attached).toBe(false);
    runFault(w.ctx, { kind: 'eeh-freeze', atMs: 0, pe: 4 }, -1);
    expect(w.eeh().clock.attached).toBe(true);
    w.runTo(60 * S);
    expect(w.eeh().hostPe(4)!.state).toBe('normal');
  });

  it('a fault naming a host PE no device sits in is a scenario problem', () => {
    const w = world();
    expect(eehFaultProblem(w.scenario, { kind: 'eeh-freeze', atMs: 0, pe: 5 })).toEqual({
      field: 'pe',
      message: 'no device sits in host PE 5',
    });
    expect(eehFaultProblem(w.scenario, { kind: 'eeh-freeze', atMs: 0, pe: 4 })).toBeNull();
  });

  it('a host PE (one IOMMU group) split over two guest PEs is a placement problem: the scenario is refused', () => {
    const loaded = loadRunnableScenario({
      value: {
        name: 'split',
        host: { arch: 'ppc64le' },
        vms: [
          {
            devices: [
              { name: 'nvme0', kind: 'nvme', hostPe: 4, guestPe: 1 },
              { name: 'nvme1', kind: 'nvme', hostPe: 4, guestPe: 2 },
            ],
          },
        ],
      },
    });
    expect(loaded.ok ? [] : loaded.problems).toContain(
      'vms.0.devices.1.guestPe: host PE 4 is one IOMMU group: nvme1 must be in guest PE 1 like nvme0',
    );
    expect(eehPlacementProblems(world().scenario)).toEqual([]);
  });
});
