import { describe, expect, it } from 'vitest';
import { ScenarioSchema, type ScenarioInput } from '../../../scenario/schema';
import type { SpaprViommuOptions } from '../../../scenario/ppcSchema';
import { loadScenario } from '../../../scenario/loadScenario';
import { Simulation } from '../../../sim/simulation';
import { resolveCostTable } from '../../../sim/costTable';
import { createHostEnvironment } from '../../host/hostEnvironment';
import { ScenarioRun } from '../../../run/scenarioRun';
import { DmaCall } from '../../base/dmaCall';
import { DmaDevice } from '../../guestDma/dmaDevice';
import { QemuVm } from '../../qemu/qemuVm';
import { VcpuSet } from '../../guestDma/vcpuSet';
import { createSpaprViommu } from '../spaprViommu';

// A DMA window change at run time (reference 001, docs/model.md#window-changes): in place, or by
// switching to a new address space and copying the mappings that stay valid; and the guest mapping
// RAM into the new window.

const GiB = 2 ** 30;
const costs = resolveCostTable();
const RAM_TCES = (8 * GiB) / 65536;

function rig(o: { spapr?: Partial<SpaprViommuOptions>; hypervisor?: 'powernv' | 'powervm-nested'; twoPes?: boolean } = {}) {
  const hypervisor = o.hypervisor ?? 'powernv';
  const scenario = ScenarioSchema.parse({
    name: 'wc',
    host: { arch: 'ppc64le', hypervisor, vfio: { backend: 'spapr-tce-v2' } },
    vms: [
      {
        name: 'vm0',
        vcpus: 2,
        memoryBytes: 8 * GiB,
        viommu: { model: 'spapr-tce', spapr: o.spapr ?? {} },
        devices: [
          { name: 'low', dmaMaskBits: 32, hostPe: 0, guestPe: 0 },
          { name: 'high', hostPe: o.twoPes === false ? 0 : 1, guestPe: 0 },
        ],
      },
    ],
  });
  const sim = new Simulation({ seed: 1, costs });
  const env = createHostEnvironment(scenario, sim.costs);
  const vm = scenario.vms[0]!;
  const qemu = new QemuVm(sim.costs, sim.timeline, { name: 'vm0', nested: hypervisor === 'powervm-nested' });
  const vcpus = new VcpuSet('vm0', 2);
  const fes = vm.devices.map((device) =>
    createSpaprViommu({ sim, costs: sim.costs, timeline: sim.timeline, scenario, vm, device, vcpus, qemu, container: null, env }),
  );
  const m = fes[0]!.machine;
  const low = new DmaDevice('low', 32, 32, true);
  const high = new DmaDevice('high', 64, 64, true);
  const mapLow = (n: number) => {
    for (let i = 0; i < n; i++) fes[0]!.dmaOps.map(new DmaCall(0).begin(0), low, 0x1_0000_0000 + i * 4096, 4096, true);
  };
  return { m, fes, high, mapLow, phb: m.phbs[0]! };
}

describe('window change', () => {
  it('switch-and-copy copies the live TCEs of the windows that stay (the default window)', () => {
    const { m, mapLow, phb } = rig();
    mapLow(10);
    m.windowChange.change(phb, 16, 33, 0, -1);
    expect(m.windowChange.copiedTces).toBe(10);
  });

  it('in place nothing is copied', () => {
    const { m, mapLow, phb } = rig({ spapr: { windowChange: 'in-place' } });
    mapLow(10);
    m.windowChange.change(phb, 16, 33, 0, -1);
    expect(m.windowChange.copiedTces).toBe(0);
    expect(m.windowChange.changes).toBe(1);
  });

  it('the old 64-bit window is removed and the new one created at 2^59 with the new page size', () => {
    const { m, phb } = rig();
    m.windowChange.change(phb, 12, 35, 0, -1);
    const ddw = phb.tables[1]!;
    expect(ddw.busOffset).toBe(2 ** 59);
    expect(ddw.pageShift).toBe(12);
    expect(ddw.windowBytes).toBe(2 ** 35);
  });

  it('the guest maps all RAM into the new window again, and its direct DMA addresses stay valid', () => {
    const { m, fes, high, phb } = rig();
    m.windowChange.change(phb, 16, 33, 0, -1);
    expect(m.windowChange.guestRemapTces).toBe(RAM_TCES);
    expect(phb.tables[1]!.live).toBe(RAM_TCES);
    const c = new DmaCall(0).begin(1e12);
    fes[1]!.dmaOps.map(c, high, 0x2_0000_0000, 4096, true);
    expect(c.dmaAddr).toBe(2 ** 59 + 0x2_0000_0000);
  });

  it('a new window too small for RAM loses direct mapping: the device falls back to the default window', () => {
    const { m, fes, high, phb } = rig();
    m.windowChange.change(phb, 16, 30, 0, -1);
    expect(m.windowChange.directLost).toBe(1);
    const c = new DmaCall(0).begin(1e12);
    fes[1]!.dmaOps.map(c, high, 0x2_0000_0000, 4096, true);
    expect(c.dmaAddr).toBeLessThan(GiB);
  });

  it('DMA calls on the PHB wait until the change is done (the IO stall)', () => {
    const { m, fes, phb } = rig();
    const ns = m.windowChange.change(phb, 16, 33, 1000, -1);
    expect(phb.busyUntilNs).toBe(1000 + ns);
    const c = new DmaCall(0).begin(2000);
    fes[0]!.dmaOps.map(c, new DmaDevice('low', 32, 32, true), 0x1_0000_0000, 4096, true);
    expect(c.t).toBeGreaterThan(1000 + ns);
    expect(m.hcalls.blockedCalls).toBe(1);
  });

  it('nested, each copied TCE is an exchange through PowerVM on every host PE', () => {
    const { m, mapLow, phb } = rig({ hypervisor: 'powervm-nested', spapr: { guestDisableDdw: true } });
    mapLow(10);
    const before = m.l0.putTce;
    m.windowChange.change(phb, 16, 33, 0, -1);
    expect(m.l0.putTce - before).toBe(10 * 2);
  });

  it('nested, the change takes far longer than on PowerNV (every remapped TCE goes through L0 per host PE)', () => {
    const a = rig();
    const b = rig({ hypervisor: 'powervm-nested' });
    const pnv = a.m.windowChange.change(a.phb, 16, 33, 0, -1);
    const nested = b.m.windowChange.change(b.phb, 16, 33, 0, -1);
    expect(nested / pnv).toBeGreaterThan(5);
  });

  it('a change the RTAS calls refuse is counted and changes nothing else', () => {
    // 16M TCEs on a PHB offering 4K|64K only (pseries-4.1 and older): PARAM_ERROR.
    const { m, phb } = rig({ spapr: { pageShifts: [12, 16] } });
    m.windowChange.change(phb, 24, 33, 0, -1);
    expect(m.windowChange.failures).toBe(1);
    expect(m.windowChange.changes).toBe(0);
  });
});

describe('the window-change fault', () => {
  function run(pe: number) {
    const input: ScenarioInput = {
      name: 'wc-fault',
      durationMs: 5,
      host: { arch: 'ppc64le', hypervisor: 'powernv', vfio: { backend: 'spapr-tce-v2' } },
      vms: [{ name: 'vm0', viommu: { model: 'spapr-tce' }, devices: [{ name: 'nvme0', dmaMaskBits: 32, hostPe: 3 }] }],
      workload: { kind: 'fio', iodepth: 4, numjobs: 1 },
      faults: [{ kind: 'window-change', atMs: 1, pe, pageShift: 16, windowShift: 33 }],
    };
    const loaded = loadScenario({ value: input });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    return new ScenarioRun(loaded.scenario).runToEnd();
  }

  it('reaches the guest PHB holding the host PE and changes its window mid-run', () => {
    const r = run(3);
    expect(r.metrics['window.changes']).toBe(1);
    expect(r.metrics['window.copiedTces']).toBeGreaterThan(0);
    expect(r.metrics['faults.injected']).toBe(1);
  });

  it('a host PE no guest PHB holds is reported, not thrown', () => {
    const r = run(9);
    expect(r.metrics['window.changes']).toBe(0);
    expect(r.metrics['window.changeWithoutPe']).toBe(1);
  });
});
