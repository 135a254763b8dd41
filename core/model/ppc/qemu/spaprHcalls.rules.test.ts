import { describe, expect, it } from 'vitest';
import { ScenarioSchema, type ScenarioInput } from '../../../scenario/schema';
import { Simulation } from '../../../sim/simulation';
import { resolveCostTable } from '../../../sim/costTable';
import { createHostEnvironment } from '../../host/hostEnvironment';
import { DmaCall } from '../../base/dmaCall';
import { QemuVm } from '../../qemu/qemuVm';
import { VcpuSet } from '../../guestDma/vcpuSet';
import { H_PARAMETER, H_SUCCESS } from '../papr';
import { createSpaprViommu } from '../spaprViommu';

// The TCE hypercalls, rule by rule, on both servers: QEMU (hw/ppc/spapr_iommu.c) and KVM's in-kernel
// handlers (arch/powerpc/kvm/book3s_64_vio.c), which differ in a few answers.

const GiB = 2 ** 30;
const DEF = 0x8000_0000; // SPAPR_PCI_LIOBN(0, 0)
const DDW = 0x8000_0001;
const DDW_BASE = 2 ** 59;
const RW = 3;
type VmInput = NonNullable<ScenarioInput['vms']>[number];

function rig(o: { inKernel?: boolean; hypervisor?: 'powernv' | 'powervm-nested'; vm?: Partial<VmInput> } = {}) {
  const scenario = ScenarioSchema.parse({
    name: 'hcalls',
    host: { arch: 'ppc64le', hypervisor: o.hypervisor ?? 'powernv', vfio: { backend: 'spapr-tce-v2' } },
    vms: [
      {
        name: 'vm0',
        vcpus: 2,
        memoryBytes: 8 * GiB,
        viommu: { model: 'spapr-tce', spapr: { guestDisableDdw: true, inKernelTce: o.inKernel ?? false } },
        devices: [{ name: 'd0' }],
        ...o.vm,
      },
    ],
  });
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const env = createHostEnvironment(scenario, sim.costs);
  const vm = scenario.vms[0]!;
  const qemu = new QemuVm(sim.costs, sim.timeline, { name: 'vm0', nested: o.hypervisor === 'powervm-nested' });
  const vcpus = new VcpuSet('vm0', vm.vcpus);
  const fe = createSpaprViommu({
    sim,
    costs: sim.costs,
    timeline: sim.timeline,
    scenario,
    vm,
    device: vm.devices[0]!,
    vcpus,
    qemu,
    container: null,
    env,
  });
  const m = fe.machine;
  const h = m.hcalls;
  const call = () => new DmaCall(0).begin(0);
  const ddw = () => m.rtas.create(call(), 0, 16, 33);
  const table = (liobn: number) => m.findLiobn(liobn)!.table;
  const list = (...tces: number[]) => Float64Array.from(tces);
  const LIST_GPA = 0x200_0000;
  return { m, h, qemu, call, ddw, table, list, LIST_GPA };
}

const BOTH = [
  ['QEMU', false],
  ['KVM', true],
] as const;

describe.each(BOTH)('common rules, served by %s', (_name, inKernel) => {
  it('an unknown LIOBN is H_PARAMETER for every TCE hypercall', () => {
    const { h, call, list, LIST_GPA } = rig({ inKernel });
    expect(h.putTce(call(), 0x1234, 0, RW)).toBe(H_PARAMETER);
    expect(h.putTceIndirect(call(), 0x1234, 0, LIST_GPA, list(RW), 1, 1)).toBe(H_PARAMETER);
    expect(h.stuffTce(call(), 0x1234, 0, 0, 1)).toBe(H_PARAMETER);
    expect(h.getTce(call(), 0x1234, 0)).toBe(H_PARAMETER);
  });

  it('a LIOBN above 32 bits is unknown (spapr_tce_find_by_liobn: H_PARAMETER)', () => {
    const { h, call } = rig({ inKernel });
    expect(h.putTce(call(), DEF + 2 ** 32, 0x1000, 0x1000_0000 + RW)).toBe(H_PARAMETER);
  });

  it('the default window is 1 GiB at 0: its last index works, the next one is past the table (H_PARAMETER)', () => {
    const { h, call, table } = rig({ inKernel });
    expect(h.putTce(call(), DEF, GiB - 4096, 0x1000_0000 + RW)).toBe(H_SUCCESS);
    expect(h.putTce(call(), DEF, GiB, 0x1000_0000 + RW)).toBe(H_PARAMETER);
    expect(table(DEF).live).toBe(1);
  });

  it('H_GET_TCE returns the stored TCE with its permission bits (R4), 0 for an empty entry', () => {
    const { h, call } = rig({ inKernel });
    h.putTce(call(), DEF, 0x5000, 0x1234_5000 + 1);
    expect(h.getTce(call(), DEF, 0x5000)).toBe(H_SUCCESS);
    expect(h.lastTce).toBe(0x1234_5000 + 1);
    expect(h.getTce(call(), DEF, 0x6000)).toBe(H_SUCCESS);
    expect(h.lastTce).toBe(0);
    expect(h.getTce(call(), DEF, GiB)).toBe(H_PARAMETER);
  });

  it('permission bits: 0 clears the entry (fault), 1 read-only, 2 write-only and 3 read-write are live', () => {
    const { h, call, table } = rig({ inKernel });
    for (const perm of [1, 2, 3]) h.putTce(call(), DEF, perm * 4096, 0x2000_0000 + perm);
    expect(table(DEF).live).toBe(3);
    h.putTce(call(), DEF, 4096, 0);
    expect(table(DEF).live).toBe(2);
  });

  it('H_PUT_TCE_INDIRECT with more than 512 TCEs is H_PARAMETER and writes nothing', () => {
    const { h, call, list, table, LIST_GPA } = rig({ inKernel });
    expect(h.putTceIndirect(call(), DEF, 0, LIST_GPA, list(RW), 1, 513)).toBe(H_PARAMETER);
    expect(h.lastWritten).toBe(0);
    expect(table(DEF).live).toBe(0);
  });

  it('H_PUT_TCE_INDIRECT with a list not aligned to 4 KiB is H_PARAMETER', () => {
    const { h, call, list, LIST_GPA } = rig({ inKernel });
    expect(h.putTceIndirect(call(), DEF, 0, LIST_GPA + 8, list(0x1000 + RW), 1, 1)).toBe(H_PARAMETER);
  });

  it('H_PUT_TCE_INDIRECT writes up to 512 TCEs at consecutive bus addresses', () => {
    const { h, call, table, LIST_GPA } = rig({ inKernel });
    const tces = Float64Array.from({ length: 512 }, (_, i) => 0x1000_0000 + i * 4096 + RW);
    expect(h.putTceIndirect(call(), DEF, 0x10_0000, LIST_GPA, tces, 512, 512)).toBe(H_SUCCESS);
    expect(table(DEF).live).toBe(512);
    expect(table(DEF).get(0x10_0000 / 4096 + 511)).toBe(tces[511]);
  });

  it('H_STUFF_TCE with more TCEs than the table has is H_PARAMETER', () => {
    const { h, call } = rig({ inKernel });
    expect(h.stuffTce(call(), DEF, 0, 0, GiB / 4096 + 1)).toBe(H_PARAMETER);
  });

  it('H_STUFF_TCE(0) clears a range', () => {
    const { h, call, table } = rig({ inKernel });
    for (let i = 0; i < 8; i++) h.putTce(call(), DEF, i * 4096, 0x3000_0000 + i * 4096 + RW);
    expect(h.stuffTce(call(), DEF, 2 * 4096, 0, 4)).toBe(H_SUCCESS);
    expect(table(DEF).live).toBe(4);
    expect(h.lastWritten).toBe(4);
  });

  it('a DDW is reachable through its own LIOBN at 2^59, with its own page size', () => {
    const { h, call, ddw, table } = rig({ inKernel });
    ddw();
    expect(h.putTce(call(), DDW, DDW_BASE + 65536, 0x4000_0000 + RW)).toBe(H_SUCCESS);
    expect(table(DDW).get(1)).toBe(0x4000_0000 + RW);
    expect(h.putTce(call(), DDW, 65536, RW)).toBe(H_PARAMETER);
  });
});

describe('QEMU (spapr_iommu.c): entry by entry', () => {
  it('H_PUT_TCE_INDIRECT stops at the first index past the table and keeps the entries before it', () => {
    const { h, call, list, table, LIST_GPA } = rig();
    const rc = h.putTceIndirect(call(), DEF, GiB - 2 * 4096, LIST_GPA, list(0x100_0003, 0x100_1003, 0x100_2003, 0x100_3003), 4, 4);
    expect(rc).toBe(H_PARAMETER);
    expect(h.lastWritten).toBe(2);
    expect(table(DEF).get(GiB / 4096 - 2)).toBe(0x100_0003);
    expect(table(DEF).get(GiB / 4096 - 1)).toBe(0x100_1003);
  });

  it('H_PUT_TCE_INDIRECT starting below the window stops at its first entry: nothing is written, even where later entries would fit', () => {
    const { h, call, ddw, list, table, LIST_GPA } = rig();
    ddw();
    const rc = h.putTceIndirect(call(), DDW, DDW_BASE - 65536, LIST_GPA, list(0x100_0003, 0x101_0003, 0x102_0003), 3, 3);
    expect(rc).toBe(H_PARAMETER);
    expect(h.lastWritten).toBe(0);
    expect(table(DDW).live).toBe(0);
  });

  it('H_STUFF_TCE past the end of the table keeps the entries before it', () => {
    const { h, call, table } = rig();
    expect(h.stuffTce(call(), DEF, GiB - 4096, 0x5000_0003, 3)).toBe(H_PARAMETER);
    expect(h.lastWritten).toBe(1);
    expect(table(DEF).live).toBe(1);
  });

  it('n = 0 is H_PARAMETER for H_PUT_TCE_INDIRECT and H_STUFF_TCE (ret starts as H_PARAMETER)', () => {
    const { h, call, list, LIST_GPA } = rig();
    expect(h.putTceIndirect(call(), DEF, 0, LIST_GPA, list(), 0, 0)).toBe(H_PARAMETER);
    expect(h.stuffTce(call(), DEF, 0, 0, 0)).toBe(H_PARAMETER);
  });

  it('a misaligned ioba is masked to its page', () => {
    const { h, call, table } = rig();
    expect(h.putTce(call(), DEF, 0x5123, 0x6000_0003)).toBe(H_SUCCESS);
    expect(table(DEF).get(5)).toBe(0x6000_0003);
  });

  it('a TCE outside guest RAM is accepted (QEMU never checks the address); its VFIO map is only logged', () => {
    const { h, call, table, m } = rig();
    expect(h.putTce(call(), DEF, 0x1000, 16 * GiB + RW)).toBe(H_SUCCESS);
    expect(table(DEF).live).toBe(1);
    expect(table(DEF).liveBacked).toBe(0);
    expect(m.phbs[0]!.host.unbackedMaps).toBe(1);
  });

  it('a list page outside guest RAM reads as zeros: the TCEs are cleared, not mapped', () => {
    const { h, call, list, table } = rig();
    h.putTce(call(), DEF, 0, 0x1000_0003);
    expect(h.putTceIndirect(call(), DEF, 0, 64 * GiB, list(0x2000_0003), 1, 1)).toBe(H_SUCCESS);
    expect(table(DEF).get(0)).toBe(0);
  });

  it('every TCE is one exit to QEMU and one VFIO ioctl per container', () => {
    const { h, call, qemu, LIST_GPA } = rig();
    const tces = Float64Array.from({ length: 10 }, (_, i) => 0x1000_0000 + i * 4096 + RW);
    h.putTceIndirect(call(), DEF, 0, LIST_GPA, tces, 10, 10);
    expect(qemu.exits).toBe(1);
    expect(qemu.vfioMapCalls).toBe(10);
  });
});

describe('KVM (book3s_64_vio.c): checks first, then writes', () => {
  it('H_PUT_TCE_INDIRECT running past the table is H_PARAMETER with nothing written (kvmppc_ioba_validate for n)', () => {
    const { h, call, list, table, LIST_GPA } = rig({ inKernel: true });
    const rc = h.putTceIndirect(call(), DEF, GiB - 2 * 4096, LIST_GPA, list(0x100_0003, 0x100_1003, 0x100_2003, 0x100_3003), 4, 4);
    expect(rc).toBe(H_PARAMETER);
    expect(h.lastWritten).toBe(0);
    expect(table(DEF).live).toBe(0);
    expect(h.toQemu).toBe(0);
  });

  it('a misaligned ioba is H_PARAMETER', () => {
    const { h, call } = rig({ inKernel: true });
    expect(h.putTce(call(), DEF, 0x5123, 0x6000_0003)).toBe(H_PARAMETER);
  });

  it('n = 0 succeeds', () => {
    const { h, call, list, LIST_GPA } = rig({ inKernel: true });
    expect(h.putTceIndirect(call(), DEF, 0, LIST_GPA, list(), 0, 0)).toBe(H_SUCCESS);
    expect(h.stuffTce(call(), DEF, 0, 0, 0)).toBe(H_SUCCESS);
  });

  it('H_STUFF_TCE with permission bits in the value is H_PARAMETER', () => {
    const { h, call } = rig({ inKernel: true });
    expect(h.stuffTce(call(), DEF, 0, 0x1000_0003, 1)).toBe(H_PARAMETER);
  });

  it('a TCE outside guest RAM is H_TOO_HARD: QEMU serves the call again and accepts it', () => {
    const { h, call, table } = rig({ inKernel: true });
    expect(h.putTce(call(), DEF, 0x1000, 16 * GiB + RW)).toBe(H_SUCCESS);
    expect(h.tooHard).toBe(1);
    expect(h.toQemu).toBe(1);
    expect(table(DEF).get(1)).toBe(16 * GiB + RW);
  });

  it('one bad TCE in an indirect list sends the whole call to QEMU before anything is written in the kernel', () => {
    const { h, call, list, table, LIST_GPA } = rig({ inKernel: true });
    h.putTceIndirect(call(), DEF, 0, LIST_GPA, list(0x1000_0003, 64 * GiB + RW, 0x1000_2003), 3, 3);
    expect(h.tooHard).toBe(1);
    expect(h.inKernel).toBe(0);
    expect(table(DEF).live).toBe(3);
  });

  it('served in the kernel: no exit to QEMU, no VFIO ioctl, and the host table is written directly', () => {
    const { h, call, qemu, m } = rig({ inKernel: true });
    h.putTce(call(), DEF, 0x1000, 0x1000_0003);
    expect(h.inKernel).toBe(1);
    expect(qemu.exits).toBe(0);
    expect(qemu.vfioMapCalls).toBe(0);
    expect(m.phbs[0]!.host.hostWrites).toBe(1);
  });

  it('an in-kernel H_PUT_TCE costs kvmPutTceNs plus a TCE write and kill, far less than an exit to QEMU', () => {
    const kvm = rig({ inKernel: true });
    const qemu = rig({ inKernel: false });
    const a = kvm.call();
    kvm.h.putTce(a, DEF, 0x1000, 0x1000_0003);
    const b = qemu.call();
    qemu.h.putTce(b, DEF, 0x1000, 0x1000_0003);
    const costs = resolveCostTable();
    expect(a.t).toBe(costs.kvmPutTceNs + costs.hostPteWriteNs + costs.hostIotlbInvalidationNs);
    expect(b.t).toBeGreaterThan(costs.vmExitNs + costs.qemuInvalidationNs + costs.vfioMapIoctlNs);
  });
});
