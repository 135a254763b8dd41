import { describe, expect, it } from 'vitest';
import { loadRunnableScenario } from '../../../run/scenarioChecks';
import { eehHostPeNumbers, eehPlacement, eehPlacementProblems, eehVmOfHostPe } from './eehPlacement';

function scenario(vms: unknown[]) {
  const loaded = loadRunnableScenario({
    value: {
      name: 'placement',
      host: { arch: 'ppc64le', hypervisor: 'kvm', vfio: { backend: 'spapr-tce-v2' } },
      vms,
      workload: { kind: 'ops', steps: [{ op: 'eeh.wait', args: { ms: 1 } }] },
    },
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  return loaded.scenario;
}

describe('EEH placement from devices[].hostPe / guestPe', () => {
  it('a device without hostPe gets a PE of its own after the highest explicit number, in device order', () => {
    const s = scenario([
      { name: 'vm0', devices: [{ name: 'a' }, { name: 'b', hostPe: 7 }] },
      { name: 'vm1', devices: [{ name: 'c' }] },
    ]);
    expect([...eehHostPeNumbers(s)]).toEqual([
      ['a', 8],
      ['b', 7],
      ['c', 9],
    ]);
  });

  it("by default every device is on QEMU's default PHB: one guest PE over all host PEs", () => {
    const s = scenario([
      {
        name: 'vm0',
        devices: [
          { name: 'a', hostPe: 1 },
          { name: 'b', hostPe: 2 },
        ],
      },
    ]);
    expect(eehPlacement(s, s.vms[0]!).guestPes).toEqual([{ pe: 0, hostPes: [1, 2] }]);
  });

  it('devices naming one guest PE put several host PEs behind it; devices sharing a host PE share it', () => {
    const s = scenario([
      {
        name: 'vm0',
        devices: [
          { name: 'a', hostPe: 3, guestPe: 1 },
          { name: 'b', hostPe: 2, guestPe: 1 },
          { name: 'c', hostPe: 3, guestPe: 1 },
        ],
      },
    ]);
    const p = eehPlacement(s, s.vms[0]!);
    expect(p.guestPes).toEqual([{ pe: 1, hostPes: [2, 3] }]);
    expect(p.hostPes.map((h) => [h.pe, h.devices.map((d) => d.name)])).toEqual([
      [2, ['b']],
      [3, ['a', 'c']],
    ]);
    expect(eehPlacementProblems(s)).toEqual([]);
  });

  it('a host PE belongs to one VM: the scenario is refused', () => {
    const loaded = loadRunnableScenario({
      value: {
        name: 'two-vms',
        host: { arch: 'ppc64le' },
        vms: [
          { name: 'vm0', devices: [{ name: 'a', hostPe: 1 }] },
          { name: 'vm1', devices: [{ name: 'b', hostPe: 1 }] },
        ],
      },
    });
    expect(loaded.ok ? [] : loaded.problems).toEqual(['vms.1.devices.0.hostPe: host PE 1 already belongs to a in another VM']);
    const s = scenario([
      { name: 'vm0', devices: [{ name: 'a', hostPe: 1 }] },
      { name: 'vm1', devices: [{ name: 'b', hostPe: 2 }] },
    ]);
    expect(eehPlacementProblems(s)).toEqual([]);
    expect(eehVmOfHostPe(s, 2)!.name).toBe('vm1');
  });
});
