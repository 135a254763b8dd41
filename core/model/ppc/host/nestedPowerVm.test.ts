import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScenarioSchema } from '../../../scenario/schema';
import { Simulation } from '../../../sim/simulation';
import { resolveCostTable } from '../../../sim/costTable';
import { createHostEnvironment } from '../../host/hostEnvironment';
import { DmaCall } from '../../base/dmaCall';
import { QemuVm } from '../../qemu/qemuVm';
import { VcpuSet } from '../../guestDma/vcpuSet';
import { GapFillingLock } from '../../../sim/gapFillingLock';
import { createSpaprViommu } from '../spaprViommu';
import { PowerVmL0 } from './nestedPowerVm';

// KVM in a PowerVM LPAR (nested API v2, Documentation/arch/powerpc/kvm-nested.rst) and the L1 kernel's
// TCE exchanges with PowerVM (pseries/iommu.c tce_exchange_pseries), counted per hop.

const DEF = 0x8000_0000;
const costs = resolveCostTable();

function rig(o: { hypervisor?: 'powernv' | 'powervm-nested'; hostPes?: [number, number]; inKernel?: boolean; vcpus?: number } = {}) {
  const hypervisor = o.hypervisor ?? 'powervm-nested';
  const [pe0, pe1] = o.hostPes ?? [0, 0];
  const scenario = ScenarioSchema.parse({
    name: 'nested',
    host: { arch: 'ppc64le', hypervisor, vfio: { backend: 'spapr-tce-v2' } },
    vms: [
      {
        name: 'vm0',
        vcpus: o.vcpus ?? 4,
        viommu: { model: 'spapr-tce', spapr: { guestDisableDdw: true, inKernelTce: o.inKernel ?? true } },
        devices: [
          { name: 'a', hostPe: pe0, guestPe: 0 },
          { name: 'b', hostPe: pe1, guestPe: 0 },
        ],
      },
    ],
  });
  const sim = new Simulation({ seed: 1, costs });
  const env = createHostEnvironment(scenario, sim.costs);
  const vm = scenario.vms[0]!;
  const qemu = new QemuVm(sim.costs, sim.timeline, { name: 'vm0', nested: hypervisor === 'powervm-nested' });
  const vcpus = new VcpuSet('vm0', vm.vcpus);
  const fes = vm.devices.map((device) =>
    createSpaprViommu({ sim, costs: sim.costs, timeline: sim.timeline, scenario, vm, device, vcpus, qemu, container: null, env }),
  );
  const m = fes[0]!.machine;
  return { m, qemu, call: (t = 0) => new DmaCall(0).begin(t) };
}

describe('nested API v2 at VM start', () => {
  it('the L1 negotiates capabilities, creates the L2 and each vCPU, and sets their state', () => {
    const { m } = rig({ vcpus: 4 });
    expect(m.l0.guestGetCapabilities).toBe(1);
    expect(m.l0.guestSetCapabilities).toBe(1);
    expect(m.l0.guestCreate).toBe(1);
    expect(m.l0.guestCreateVcpu).toBe(4);
    expect(m.l0.guestSetState).toBe(5);
  });

  it('PowerNV has no L0: none of it happens', () => {
    const { m } = rig({ hypervisor: 'powernv' });
    expect(m.l0.guestCreate).toBe(0);
  });
});

describe('one L2 TCE mapping under nested PowerVM', () => {
  it('exits to L0, comes back to L1 (exit reason 0xC00) and is resumed with H_GUEST_RUN_VCPU', () => {
    const { m, call } = rig();
    m.hcalls.putTce(call(), DEF, 0x1000, 0x1000_0003);
    expect(m.l0.hcallExits).toBe(1);
    expect(m.l0.runVcpu).toBe(1);
  });

  it('costs one H_GET_TCE + H_PUT_TCE from L1 to PowerVM per host PE the guest PE spans', () => {
    for (const [pes, n] of [
      [[0, 0], 1],
      [[0, 1], 2],
    ] as const) {
      const { m, call } = rig({ hostPes: [pes[0], pes[1]] });
      m.hcalls.putTce(call(), DEF, 0x1000, 0x1000_0003);
      expect(m.l0.putTce).toBe(n);
      expect(m.l0.getTce).toBe(n);
      expect(m.phbs[0]!.host.hostWrites).toBe(n);
    }
  });

  it('in-kernel: a nested exit (2 x VM exit) + kvmPutTceNs + 2 L1 -> L0 hypercalls per host PE', () => {
    const { m, call } = rig({ hostPes: [0, 1] });
    const c = call();
    m.hcalls.putTce(c, DEF, 0x1000, 0x1000_0003);
    expect(c.t).toBe(costs.vmExitNs * costs.nestedExitFactor + costs.kvmPutTceNs + 2 * 2 * costs.l1ToL0HcallNs);
  });

  it('through QEMU: the same L0 hops, once per host PE container, after the nested exit to QEMU', () => {
    const { m, qemu, call } = rig({ hostPes: [0, 1], inKernel: false });
    m.hcalls.putTce(call(), DEF, 0x1000, 0x1000_0003);
    expect(qemu.exits).toBe(1);
    expect(qemu.vfioMapCalls).toBe(2);
    expect(m.l0.putTce).toBe(2);
  });

  it('PowerNV: one shared table, no L0 hop, one TCE kill per host PE', () => {
    const { m, call } = rig({ hypervisor: 'powernv', hostPes: [0, 1] });
    const c = call();
    m.hcalls.putTce(c, DEF, 0x1000, 0x1000_0003);
    expect(m.l0.putTce).toBe(0);
    expect(m.phbs[0]!.host.hostWrites).toBe(1);
    expect(c.t).toBe(costs.kvmPutTceNs + costs.hostPteWriteNs + 2 * costs.hostIotlbInvalidationNs);
  });

  it('an H_PUT_TCE_INDIRECT of n TCEs is one L2 exit but n exchanges per host PE', () => {
    const { m, call } = rig({ hostPes: [0, 1] });
    const list = Float64Array.from({ length: 100 }, (_, i) => 0x1000_0000 + i * 4096 + 3);
    m.hcalls.putTceIndirect(call(), DEF, 0, 0x200_0000, list, 100, 100);
    expect(m.l0.hcallExits).toBe(1);
    expect(m.l0.putTce).toBe(200);
  });
});

describe("a host PE table's lock (tce_exchange_pseries holds tbl->large_pool.lock)", () => {
  it('serializes exchanges on one PE: a CPU arriving while another exchanges waits for it, a later one does not', () => {
    const { m, call } = rig();
    m.hcalls.putTce(call(0), DEF, 0x1000, 0x1000_0003);
    m.hcalls.putTce(call(0), DEF, 0x2000, 0x1000_1003);
    expect(m.l0.lockWaitNs).toBe(2 * costs.l1ToL0HcallNs);
    m.hcalls.putTce(call(1_000_000), DEF, 0x3000, 0x1000_2003);
    expect(m.l0.lockWaitNs).toBe(2 * costs.l1ToL0HcallNs);
  });

  it('gives a request the first free gap at or after its arrival, not the end of the queue (a spinlock is not FIFO)', () => {
    const clock = { now: 0 };
    const lock = new GapFillingLock(clock);
    expect(lock.acquire(1000, 100)).toBe(1100);
    expect(lock.acquire(0, 100)).toBe(100);
    expect(lock.acquire(50, 100)).toBe(200);
    expect(lock.acquire(150, 1000)).toBe(2100);
    clock.now = 5000;
    expect(lock.acquire(5000, 10)).toBe(5010);
    expect(lock.intervals).toBe(1);
  });
});

describe('a chain of exchanges on one host PE (exchangeTcesQueued)', () => {
  it('counts, costs, waits and queues as the same exchanges made one by one', () => {
    type Cmd = { readonly pe: number; readonly at: number; readonly n: number; readonly chain: boolean } | { readonly advance: number };
    const cmd: fc.Arbitrary<Cmd> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ pe: fc.nat(2), at: fc.nat(20_000), n: fc.nat(40), chain: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ advance: fc.nat(10_000) }) },
    );
    fc.assert(
      fc.property(fc.double({ min: 1, max: 5000, noNaN: true }), fc.array(cmd, { maxLength: 60 }), (hop, cmds) => {
        const c = resolveCostTable({ l1ToL0HcallNs: hop });
        const clock = { now: 0 };
        const fast = new PowerVmL0(c, clock);
        const ref = new PowerVmL0(c, clock);
        for (const k of cmds) {
          if ('advance' in k) {
            clock.now += k.advance;
            continue;
          }
          const t = clock.now + k.at;
          let want = t;
          for (let i = 0; i < k.n; i++) want = ref.exchangeTce(want, k.pe, true);
          // A chain against one by one; one by one on both sides keeps the locks' histories mixed.
          let got = t;
          if (k.chain) got = fast.exchangeTcesQueued(t, k.pe, k.n);
          else for (let i = 0; i < k.n; i++) got = fast.exchangeTce(got, k.pe, true);
          expect(got).toBe(want);
          expect([fast.getTce, fast.putTce, fast.l0Ns, fast.lockWaitNs]).toEqual([ref.getTce, ref.putTce, ref.l0Ns, ref.lockWaitNs]);
        }
      }),
      { numRuns: 200 },
    );
  });
});
