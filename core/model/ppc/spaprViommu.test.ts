import { describe, expect, it } from 'vitest';
import type { ScenarioInput } from '../../scenario/schema';
import { loadScenario } from '../../scenario/loadScenario';
import { ScenarioRun } from '../../run/scenarioRun';
import { Simulation } from '../../sim/simulation';
import { resolveCostTable } from '../../sim/costTable';
import { buildStack } from '../../stack/stackBuilder';
import { VIOMMU_FACTORIES } from '../../stack/viommuRegistry';
import { SpaprMachine } from './spaprMachine';
import { SpaprViommu } from './spaprViommu';

// The sPAPR front-end in whole runs: guest PHBs per guest PE, the stack builder, fio over the pseries
// layer on PowerNV and nested PowerVM, metrics reported once, guest resets, the v1 backend.

type VmInput = NonNullable<ScenarioInput['vms']>[number];

function scenario(o: {
  hypervisor?: string;
  backend?: string;
  vm?: Partial<VmInput>;
  workload?: ScenarioInput['workload'];
  faults?: ScenarioInput['faults'];
  durationMs?: number;
  costs?: ScenarioInput['costs'];
}) {
  const loaded = loadScenario({
    value: {
      name: 'spapr-fe',
      durationMs: o.durationMs ?? 5,
      host: { arch: 'ppc64le', hypervisor: o.hypervisor ?? 'powernv', vfio: { backend: o.backend ?? 'spapr-tce-v2' } },
      vms: [{ name: 'vm0', vcpus: 4, viommu: { model: 'spapr-tce' }, devices: [{ name: 'nvme0', dmaMaskBits: 32 }], ...o.vm }],
      workload: o.workload ?? { kind: 'fio', rw: 'randread', blockSizeBytes: 4096, iodepth: 16, numjobs: 4 },
      faults: o.faults ?? [],
      costs: o.costs ?? {},
    } as ScenarioInput,
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  return loaded.scenario;
}

function stackOf(s: ReturnType<typeof scenario>) {
  const sim = new Simulation({ seed: 1, costs: resolveCostTable(s.costs) });
  const stack = buildStack(sim, s, VIOMMU_FACTORIES);
  const machine = stack.env.instances().find((i): i is SpaprMachine => i instanceof SpaprMachine)!;
  return { stack, machine };
}

describe('guest PHBs', () => {
  it('devices with the same guest PE share one PHB; another guest PE is another PHB with its own LIOBNs', () => {
    const { machine } = stackOf(
      scenario({
        vm: {
          devices: [
            { name: 'a', guestPe: 0 },
            { name: 'b', guestPe: 0 },
            { name: 'c', guestPe: 1 },
          ],
        },
      }),
    );
    expect(machine.phbs.map((p) => p.devices)).toEqual([['a', 'b'], ['c']]);
    expect(machine.phbs[1]!.tables.map((t) => t.liobn)).toEqual([0x8000_0100, 0x8000_0101]);
  });

  it("a device without hostPe has a host PE of its own (after the highest explicit one); without guestPe it is on QEMU's default PHB 0", () => {
    const { machine } = stackOf(scenario({ vm: { devices: [{ name: 'a' }, { name: 'b', guestPe: 8 }, { name: 'c', hostPe: 7 }] } }));
    expect(machine.phbs.map((p) => [p.index, p.hostPes])).toEqual([
      [0, [7, 8]],
      [8, [9]],
    ]);
  });

  it('the stack gives every device the pseries DMA layer, not dma-iommu', () => {
    const { stack } = stackOf(scenario({}));
    const d = stack.vms[0]!.devices[0]!;
    expect(d.dma.label).toBe('pseries-iommu');
    expect(d.frontEnd).toBeInstanceOf(SpaprViommu);
  });
});

describe('fio over the pseries layer', () => {
  it('PowerNV in-kernel: every IO is one H_PUT_TCE and one H_STUFF_TCE, none reaches QEMU', () => {
    const r = new ScenarioRun(scenario({})).runToEnd();
    expect(r.metrics['hcall.H_PUT_TCE']).toBe(r.metrics['dma.maps']);
    expect(r.metrics['hcall.H_STUFF_TCE']).toBe(r.metrics['dma.unmaps']);
    expect(r.metrics['hcall.toQemu']).toBe(0);
    expect(r.metrics['vmexits']).toBe(0);
  });

  it('nested on PowerVM the same IOs cost several times more guest time per mapping', () => {
    const pnv = new ScenarioRun(scenario({})).runToEnd();
    const nested = new ScenarioRun(scenario({ hypervisor: 'powervm-nested' })).runToEnd();
    const perMap = (r: typeof pnv) => r.metrics['hcall.busyMs']! / r.metrics['tce.guestWrites']!;
    expect(perMap(nested) / perMap(pnv)).toBeGreaterThan(4);
    expect(nested.metrics['io.latencyP50Us']!).toBeGreaterThan(pnv.metrics['io.latencyP50Us']!);
  });

  it('a 64-bit device maps directly through its DDW: no hypercall per IO', () => {
    const r = new ScenarioRun(scenario({ vm: { devices: [{ name: 'nvme0' }] } })).runToEnd();
    expect(r.metrics['pseries.directMaps']).toBe(r.metrics['dma.maps']);
    expect(r.metrics['hcall.H_PUT_TCE']).toBe(0);
    expect(r.metrics['ddw.directMappedBytes']).toBe(8 * 2 ** 30);
  });

  it("the machine's metrics are reported once, in timed runs and in ops runs", () => {
    const fio = new ScenarioRun(scenario({})).runToEnd();
    expect(fio.metrics['rtas.ibm,query-pe-dma-window']).toBe(0);
    const ops = new ScenarioRun(
      scenario({ workload: { kind: 'ops', steps: [{ op: 'rtas.ibm,query-pe-dma-window', args: {} }] } }),
    ).runToEnd();
    expect(ops.metrics['rtas.ibm,query-pe-dma-window']).toBe(1);
  });

  it('the v1 backend has no in-kernel path: every TCE hypercall exits to QEMU', () => {
    const r = new ScenarioRun(scenario({ backend: 'spapr-tce-v1' })).runToEnd();
    expect(r.metrics['hcall.inKernel']).toBe(0);
    expect(r.metrics['hcall.toQemu']).toBe(r.metrics['hcall.H_PUT_TCE']! + r.metrics['hcall.H_STUFF_TCE']!);
  });

  it('the v1 backend cannot mirror a DDW at 2^59: the guest falls back to the default window', () => {
    const { machine } = stackOf(scenario({ backend: 'spapr-tce-v1', vm: { devices: [{ name: 'nvme0' }] } }));
    expect(machine.kernel.ddwFallbacks).toBe(1);
    expect(machine.phbs[0]!.host.windowFailures).toBe(1);
  });

  it('after a fio run every invariant holds', () => {
    const s = scenario({
      vm: {
        devices: [
          { name: 'nvme0', dmaMaskBits: 32 },
          { name: 'nvme1', hostPe: 1 },
        ],
      },
    });
    const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
    const stack = buildStack(sim, s, VIOMMU_FACTORIES);
    expect(stack.checkInvariants()).toEqual([]);
  });
});

describe('guest reset', () => {
  it('every device of a PHB rebuilt at once: the PHB goes back to its default window and the guest sets its DDW up again', () => {
    const r = new ScenarioRun(
      scenario({
        durationMs: 20,
        vm: { devices: [{ name: 'nvme0' }] },
        faults: [{ kind: 'guest-reset', atMs: 1 }],
        costs: { guestRebootNs: 1_000_000 },
      }),
    ).runToEnd();
    expect(r.metrics['guest.spaprResets']).toBe(1);
    expect(r.metrics['ddw.setups']).toBe(2);
    expect(r.metrics['rtas.ibm,create-pe-dma-window']).toBe(2);
    expect(r.metrics['ddw.rtasFailures']).toBe(0);
  });
});
