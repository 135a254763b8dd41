import { describe, expect, it } from 'vitest';
import { ScenarioSchema } from '../../scenario/schema';
import { Simulation } from '../../sim/simulation';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { createHostEnvironment } from '../host/hostEnvironment';
import type { HostEnvironment } from '../host/hostEnvironment';
import { DmaCall } from '../base/dmaCall';
import { QemuVm } from '../qemu/qemuVm';
import type { MmIommuMemList } from './host/spaprTceContainer';
import { VcpuSet } from '../guestDma/vcpuSet';
import type { SpaprMachine } from './spaprMachine';
import { createSpaprViommu } from './spaprViommu';

// iommufd_fail_nth for the sPAPR guest side: a passing script of DDW RTAS calls and TCE hypercalls
// (served by QEMU, so every TCE reaches VFIO) is rerun failing the n-th fault site (allocation, pin)
// for n = 1, 2, ... until n passes the sites a clean run reaches. The machine's own setup is call 0.
// A call that fails must leave the whole state as before it; a call whose host failure is only
// logged (QEMU's VFIO listener) must give the guest the clean run's answer. After every run the
// invariants hold and locked memory is exactly what registrations and host tables account for.

const GiB = 2 ** 30;
const DEF = 0x8000_0000;
const DDW = 0x8000_0001;
const BIG = 0x8000_0001;

type Step = (m: SpaprMachine) => number;
const call = () => new DmaCall(0).begin(0);
const tces = (n: number, from: number) => Float64Array.from({ length: n }, (_, i) => from + i * 65536 + 3);

const STEPS: readonly Step[] = [
  (m) => m.rtas.create(call(), 0, 16, 33),
  (m) => m.hcalls.putTceIndirect(call(), DDW, 2 ** 59, 0x200_0000, tces(10, 0x1000_0000), 10, 10),
  (m) => m.hcalls.putTce(call(), DEF, 0x1000, 0x2000_0003),
  (m) => m.rtas.remove(call(), DDW),
  // 2^31 TCEs of 64 KiB: the host table has two levels, allocated on demand by each MAP_DMA.
  (m) => m.rtas.create(call(), 0, 16, 47),
  (m) => m.hcalls.putTceIndirect(call(), BIG, 2 ** 59 + 2 ** 40, 0x200_0000, tces(4, 0x3000_0000), 4, 4),
  (m) => m.hcalls.stuffTce(call(), BIG, 2 ** 59 + 2 ** 40, 0, 2),
  (m) => m.rtas.reset(call(), 0),
  (m) => m.rtas.create(call(), 0, 12, 30),
];

interface World {
  faults: FaultInjector;
  env: HostEnvironment;
  m: SpaprMachine;
  qemu: QemuVm;
}

function world(hypervisor: 'powernv' | 'powervm-nested', failAt: number): World {
  const scenario = ScenarioSchema.parse({
    name: 'failnth',
    host: { arch: 'ppc64le', hypervisor, vfio: { backend: 'spapr-tce-v2' } },
    vms: [
      {
        name: 'vm0',
        vcpus: 1,
        memoryBytes: 2 * GiB,
        viommu: { model: 'spapr-tce', spapr: { guestDisableDdw: true, inKernelTce: false } },
        devices: [
          { name: 'a', hostPe: 0, guestPe: 0 },
          { name: 'b', hostPe: 1, guestPe: 0 },
        ],
      },
    ],
  });
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const faults = new FaultInjector(failAt);
  const env = createHostEnvironment(scenario, sim.costs, faults);
  const vm = scenario.vms[0]!;
  const qemu = new QemuVm(sim.costs, sim.timeline, { name: 'vm0', nested: hypervisor === 'powervm-nested' });
  const vcpus = new VcpuSet('vm0', 1);
  const fes = vm.devices.map((device) =>
    createSpaprViommu({ sim, costs: sim.costs, timeline: sim.timeline, scenario, vm, device, vcpus, qemu, container: null, env }),
  );
  return { faults, env, m: fes[0]!.machine, qemu };
}

const state = (w: World) => JSON.stringify([w.m.snapshot(), w.env.process.lockedPages]);

function consistent(w: World): void {
  expect(w.m.checkInvariants()).toEqual([]);
  const mm = w.env.instances().find((i) => i.laneName === 'spapr.mm') as MmIommuMemList;
  const charged = w.m.phbs.flatMap((p) => p.host.containers).reduce((n, c) => n + c.chargedPages, 0);
  expect(w.env.process.lockedPages).toBe(mm.lockedPages + charged);
}

function sweep(hypervisor: 'powernv' | 'powervm-nested'): {
  sites: number;
  failedCalls: number;
  loggedOnly: number;
  setupFailures: number;
} {
  const clean = world(hypervisor, 0);
  const want = STEPS.map((s) => s(clean.m));
  expect(want.every((rc) => rc === 0)).toBe(true);
  consistent(clean);
  const sites = clean.faults.sitesReached;
  let failedCalls = 0;
  let loggedOnly = 0;
  let setupFailures = 0;
  for (let n = 1; n <= sites; n++) {
    const w = world(hypervisor, n);
    if (w.faults.injected) {
      // The fault hit the container setup: REGISTER_MEMORY failed (QEMU would not start), or creating
      // the default window failed once and QEMU's retry with one more level absorbed it.
      setupFailures++;
      consistent(w);
      if (w.m.setupFailures.length > 0) continue;
      expect(STEPS.map((step) => step(w.m))).toEqual(want);
      consistent(w);
      continue;
    }
    STEPS.forEach((step, i) => {
      const before = state(w);
      const hit = !w.faults.injected;
      const mapFailuresBefore = w.qemu.vfioMapFailures;
      const rc = step(w.m);
      if (!(hit && w.faults.injected)) return;
      if (rc !== 0) {
        failedCalls++;
        expect(state(w)).toBe(before);
      } else {
        // Retried by QEMU (more levels) or only logged by its VFIO listener: the guest sees success.
        expect(rc).toBe(want[i]);
        if (w.qemu.vfioMapFailures > mapFailuresBefore) loggedOnly++;
      }
    });
    consistent(w);
  }
  return { sites, failedCalls, loggedOnly, setupFailures };
}

describe('fail-nth sweep of the sPAPR guest side', () => {
  it.each(['powernv', 'powervm-nested'] as const)('%s: every fault leaves a consistent state, failed calls change nothing', (hv) => {
    const r = sweep(hv);
    expect(r.sites).toBeGreaterThan(6);
    expect(r.setupFailures).toBeGreaterThan(0);
    expect(r.loggedOnly).toBeGreaterThan(0);
    expect(r.failedCalls).toBeGreaterThan(0);
  });
});
