import { describe, expect, it } from 'vitest';
import { ScenarioSchema } from '../../../scenario/schema';
import { Simulation } from '../../../sim/simulation';
import { resolveCostTable, type CostKey } from '../../../sim/costTable';
import { createHostEnvironment } from '../../host/hostEnvironment';
import { DmaCall } from '../../base/dmaCall';
import { QemuVm } from '../../qemu/qemuVm';
import { VcpuSet } from '../../guestDma/vcpuSet';
import { createSpaprViommu } from '../spaprViommu';

// KVM's in-kernel TCE writes (kvmppc_tce_iommu_map per entry): a multi-entry hypercall spends its
// host writes entry after entry, so n entries in one call take the same simulated time, counters and
// L0 hops as the same entries written one call at a time would spend on the host, to the last bit
// even with costs that are not whole nanoseconds (the float additions happen in the same order).

const DEF = 0x8000_0000;
// Fractional costs: a closed form (n x per-entry cost) would round differently from n additions.
const COSTS: Partial<Record<CostKey, number>> = { hostPteWriteNs: 20.1, hostIotlbInvalidationNs: 500.3, l1ToL0HcallNs: 1000.7 };

function rig(hypervisor: 'powernv' | 'powervm-nested') {
  const scenario = ScenarioSchema.parse({
    name: 'kvm-writes',
    host: { arch: 'ppc64le', hypervisor, vfio: { backend: 'spapr-tce-v2' } },
    vms: [
      {
        name: 'vm0',
        vcpus: 1,
        viommu: { model: 'spapr-tce', spapr: { guestDisableDdw: true } },
        devices: [
          { name: 'a', hostPe: 0, guestPe: 0 },
          { name: 'b', hostPe: 1, guestPe: 0 },
        ],
      },
    ],
  });
  const sim = new Simulation({ seed: 1, costs: resolveCostTable(COSTS) });
  const env = createHostEnvironment(scenario, sim.costs);
  const vm = scenario.vms[0]!;
  const qemu = new QemuVm(sim.costs, sim.timeline, { name: 'vm0', nested: hypervisor === 'powervm-nested' });
  const vcpus = new VcpuSet('vm0', vm.vcpus);
  const fes = vm.devices.map((device) =>
    createSpaprViommu({ sim, costs: sim.costs, timeline: sim.timeline, scenario, vm, device, vcpus, qemu, container: null, env }),
  );
  const m = fes[0]!.machine;
  const phb = m.phbs[0]!;
  return { m, phb, table: phb.tables[0]!, host: phb.host };
}

describe('kvmWriteEntries', () => {
  for (const hypervisor of ['powernv', 'powervm-nested'] as const) {
    for (const boot of [true, false]) {
      it(`${hypervisor}${boot ? ' at boot' : ''}: n entries at once = n entries one by one`, () => {
        const bulk = rig(hypervisor);
        const single = rig(hypervisor);
        const t0 = 1_000_000.5;
        const tBulk = bulk.host.kvmWriteEntries(t0, bulk.table, 37, boot);
        let t = t0;
        for (let i = 0; i < 37; i++) t = single.host.kvmWriteEntries(t, single.table, 1, boot);
        expect(tBulk).toBe(t);
        expect(bulk.host.hostWrites).toBe(single.host.hostWrites);
        expect(bulk.m.l0.l0Ns).toBe(single.m.l0.l0Ns);
        expect(bulk.m.l0.putTce).toBe(single.m.l0.putTce);
        expect(bulk.m.l0.lockWaitNs).toBe(single.m.l0.lockWaitNs);
      });
    }
  }

  it('an H_PUT_TCE_INDIRECT and an H_STUFF_TCE leave the table, its peak and the clock as one H_PUT_TCE per entry leaves the host part', () => {
    const bulk = rig('powervm-nested');
    const single = rig('powervm-nested');
    const list = Float64Array.from({ length: 40 }, (_, i) => (i % 7 === 3 ? 0 : 0x1000_0000 + i * 4096 + 3));
    const c = new DmaCall(0).begin(0);
    bulk.m.hcalls.putTceIndirect(c, DEF, 0x10000, 0x200_0000, list, 30, 40);
    bulk.m.hcalls.stuffTce(c, DEF, 0x12000, 0, 5);
    for (let i = 0; i < 40; i++) single.m.hcalls.putTce(new DmaCall(0).begin(0), DEF, 0x10000 + i * 4096, i < 30 ? list[i]! : 0);
    for (let i = 0; i < 5; i++) single.m.hcalls.putTce(new DmaCall(0).begin(0), DEF, 0x12000 + i * 4096, 0);
    expect(bulk.table.snapshot()).toEqual(single.table.snapshot());
    expect([bulk.table.live, bulk.table.liveBacked, bulk.table.livePeak]).toEqual([
      single.table.live,
      single.table.liveBacked,
      single.table.livePeak,
    ]);
    expect(bulk.m.hcalls.guestWrites).toBe(single.m.hcalls.guestWrites);
    expect(bulk.host.hostWrites).toBe(single.host.hostWrites);
  });
});
