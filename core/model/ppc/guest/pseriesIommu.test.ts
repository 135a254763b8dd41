import { describe, expect, it } from 'vitest';
import { ScenarioSchema, type ScenarioInput } from '../../../scenario/schema';
import type { SpaprViommuOptions } from '../../../scenario/ppcSchema';
import { Simulation } from '../../../sim/simulation';
import { resolveCostTable } from '../../../sim/costTable';
import { createHostEnvironment } from '../../host/hostEnvironment';
import { DmaCall } from '../../base/dmaCall';
import { DmaDevice } from '../../guestDma/dmaDevice';
import { EINVAL, ENOMEM } from '../../base/errno';
import { QemuVm } from '../../qemu/qemuVm';
import { VcpuSet } from '../../guestDma/vcpuSet';
import { createSpaprViommu } from '../spaprViommu';

// The pseries guest driver (arch/powerpc/platforms/pseries/iommu.c over arch/powerpc/kernel/iommu.c).

const GiB = 2 ** 30;
const KiB = 1024;
const DDW_BASE = 2 ** 59;
type DeviceInput = NonNullable<NonNullable<ScenarioInput['vms']>[number]['devices']>[number];

function rig(o: { spapr?: Partial<SpaprViommuOptions>; devices?: DeviceInput[]; hypervisor?: 'powernv' | 'powervm-nested' } = {}) {
  const hypervisor = o.hypervisor ?? 'powernv';
  const scenario = ScenarioSchema.parse({
    name: 'pseries',
    host: { arch: 'ppc64le', hypervisor, vfio: { backend: 'spapr-tce-v2' } },
    vms: [
      {
        name: 'vm0',
        vcpus: 4,
        memoryBytes: 8 * GiB,
        viommu: { model: 'spapr-tce', spapr: o.spapr ?? {} },
        devices: o.devices ?? [{ name: 'd0', dmaMaskBits: 32 }],
      },
    ],
  });
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const env = createHostEnvironment(scenario, sim.costs);
  const vm = scenario.vms[0]!;
  const qemu = new QemuVm(sim.costs, sim.timeline, { name: 'vm0', nested: hypervisor === 'powervm-nested' });
  const vcpus = new VcpuSet('vm0', vm.vcpus);
  const fes = vm.devices.map((device) =>
    createSpaprViommu({ sim, costs: sim.costs, timeline: sim.timeline, scenario, vm, device, vcpus, qemu, container: null, env }),
  );
  const m = fes[0]!.machine;
  const devs = vm.devices.map((d) => new DmaDevice(d.name, d.dmaMaskBits, d.coherentDmaMaskBits ?? d.dmaMaskBits, true));
  const dma = fes.map((f) => f.dmaOps);
  const calls = () => [...m.hcalls.calls];
  return { m, dma, devs, calls, call: (cpu = 0) => new DmaCall(cpu).begin(0) };
}

// calls() order: H_PUT_TCE, H_PUT_TCE_INDIRECT, H_STUFF_TCE, H_GET_TCE
describe('building TCEs (tce_buildmulti_pSeriesLP) and freeing them (tce_freemulti_pSeriesLP)', () => {
  it('one page is one H_PUT_TCE; more go in H_PUT_TCE_INDIRECT batches of at most 512', () => {
    const { dma, devs, calls, call } = rig();
    dma[0]!.map(call(), devs[0]!, 0x1_0000_0000, 4096, true);
    expect(calls()).toEqual([1, 0, 0, 0]);
    dma[0]!.map(call(), devs[0]!, 0x1_1000_0000, 1000 * 4096, true);
    expect(calls()).toEqual([1, 2, 0, 0]);
  });

  it('an unmap clears its TCEs with H_STUFF_TCE(0) in batches of 512, even a single page', () => {
    const { dma, devs, calls, call, m } = rig();
    const a = call();
    dma[0]!.map(a, devs[0]!, 0x1_0000_0000, 1000 * 4096, true);
    const b = call();
    dma[0]!.map(b, devs[0]!, 0x1_2000_0000, 4096, true);
    dma[0]!.unmap(call(), a.dmaAddr, 1000 * 4096);
    dma[0]!.unmap(call(), b.dmaAddr, 4096);
    expect(calls()[2]).toBe(3);
    expect(m.findLiobn(0x8000_0000)!.table.live).toBe(0);
  });

  it('without multi-TCE (multitce=off) every TCE is its own H_PUT_TCE, to map and to unmap', () => {
    const { dma, devs, calls, call } = rig({ spapr: { multiTce: false } });
    const a = call();
    dma[0]!.map(a, devs[0]!, 0x1_0000_0000, 8 * 4096, true);
    dma[0]!.unmap(call(), a.dmaAddr, 8 * 4096);
    expect(calls()).toEqual([16, 0, 0, 0]);
  });

  it('the TCE carries the page and the direction: read-only for DMA_TO_DEVICE, read-write otherwise', () => {
    const { dma, devs, call, m } = rig();
    const ro = call();
    dma[0]!.map(ro, devs[0]!, 0x1_0000_0000 + 0x10, 100, false);
    const rw = call();
    dma[0]!.map(rw, devs[0]!, 0x1_0001_0000, 4096, true);
    const t = m.findLiobn(0x8000_0000)!.table;
    expect(ro.dmaAddr % 4096).toBe(0x10);
    expect(t.get(Math.floor(ro.dmaAddr / 4096))).toBe(0x1_0000_0000 + 1);
    expect(t.get(rw.dmaAddr / 4096)).toBe(0x1_0001_0000 + 3);
  });
});

describe('allocation in the default window', () => {
  it('each vCPU starts in its own pool; a page-aligned buffer of a whole guest page (64K) is aligned to 16 TCEs', () => {
    const { dma, devs, call } = rig();
    const c1 = call(1);
    dma[0]!.map(c1, devs[0]!, 0x1_0000_0000, 4096, true);
    expect(c1.dmaAddr).toBe(49152 * 4096);
    const big = call(0);
    dma[0]!.map(big, devs[0]!, 0x1_0001_0000, 64 * KiB, true);
    expect((big.dmaAddr / 4096) % 16).toBe(0);
  });

  it('no TCEs left is DMA_MAPPING_ERROR (ENOMEM), counted as an IOVA exhaustion', () => {
    const { dma, devs, call } = rig({ spapr: { dmaWinSizeBytes: 256 * KiB } });
    const c = call();
    dma[0]!.map(c, devs[0]!, 0x1_0000_0000, 256 * KiB, true);
    expect(c.errno).toBe(ENOMEM);
    expect(dma[0]!.iovaExhaustions).toBe(1);
  });

  it('unmapping an address the layer did not map is refused (iommu_free_check) with nothing changed', () => {
    const { dma, call } = rig();
    const c = call();
    dma[0]!.unmap(c, 0x3000_0000, 4096);
    expect(c.errno).toBe(EINVAL);
    expect(dma[0]!.unmapErrors).toBe(1);
  });

  it('a DMA to the last unmapped address faults, or reaches another buffer once the entry is handed out again', () => {
    const { dma, devs, call } = rig();
    const a = call();
    dma[0]!.map(a, devs[0]!, 0x1_0000_0000, 4096, true);
    dma[0]!.unmap(call(), a.dmaAddr, 4096);
    expect(dma[0]!.probeLastUnmap()!.outcome).toBe('fault');
    for (let i = 0; i < 20000; i++) dma[0]!.map(call(), devs[0]!, 0x1_0000_0000, 4096, true);
    expect(dma[0]!.probeLastUnmap()!.outcome).toBe('remapped');
  });
});

describe('dynamic DMA windows (enable_ddw)', () => {
  it('with the default pgsz of pseries-4.2 and newer (4K|64K|2M|16M) the guest takes 16M TCEs for its DDW', () => {
    const { m } = rig({ devices: [{ name: 'd0' }] });
    const ddw = m.findLiobn(0x8000_0001)!.table;
    expect(ddw.pageShift).toBe(24);
    expect(ddw.live).toBe((8 * GiB) / (16 * 1024 * KiB));
  });

  it('a 64-bit device makes the guest query, create a window of 2^ceil(log2(RAM)) at 2^59 and map all RAM into it with 512-TCE batches (a PHB offering 4K|64K, as pseries-4.1)', () => {
    const { m, calls } = rig({ devices: [{ name: 'd0' }], spapr: { pageShifts: [12, 16] } });
    expect(m.rtas.calls[0]).toBe(1);
    expect(m.rtas.calls[1]).toBe(1);
    const ddw = m.findLiobn(0x8000_0001)!.table;
    expect(ddw.busOffset).toBe(DDW_BASE);
    expect(ddw.pageShift).toBe(16);
    expect(ddw.windowBytes).toBe(8 * GiB);
    expect(ddw.live).toBe((8 * GiB) / (64 * KiB));
    expect(calls()[1]).toBe((8 * GiB) / (64 * KiB) / 512);
    expect(m.kernel.directMappedBytes).toBe(8 * GiB);
  });

  it('then a DMA map is the GPA plus 2^59, with no hypercall (direct mapping)', () => {
    const { dma, devs, calls, call } = rig({ devices: [{ name: 'd0' }] });
    const before = calls();
    const c = call();
    dma[0]!.map(c, devs[0]!, 0x1_2345_6000, 4096, true);
    expect(c.dmaAddr).toBe(DDW_BASE + 0x1_2345_6000);
    dma[0]!.unmap(call(), c.dmaAddr, 4096);
    expect(calls()).toEqual(before);
    expect(dma[0]!.directMaps).toBe(1);
    expect(dma[0]!.probeLastUnmap()!.outcome).toBe('unprotected');
  });

  it('a second device on the same PE reuses the window (find_existing_ddw)', () => {
    const { m } = rig({
      devices: [
        { name: 'd0', hostPe: 0, guestPe: 0 },
        { name: 'd1', hostPe: 1, guestPe: 0 },
      ],
    });
    expect(m.rtas.calls[1]).toBe(1);
    expect(m.kernel.ddwSetups).toBe(1);
  });

  it('a 32-bit coherent mask on a direct-mapped device still allocates coherent memory in the default window, a whole guest page', () => {
    const { dma, devs, call, m } = rig({ devices: [{ name: 'd0', coherentDmaMaskBits: 32 }] });
    const c = call();
    dma[0]!.allocCoherent(c, devs[0]!, 0x1_0000_0000, 4096);
    expect(c.dmaAddr).toBeLessThan(GiB);
    expect(m.findLiobn(0x8000_0000)!.table.live).toBe(16);
  });

  it('a mask between 32 and 64 bits needs limited addressing, which QEMU does not offer: query only, default window, never retried', () => {
    const { m, dma, devs, call } = rig({
      devices: [
        { name: 'd0', dmaMaskBits: 48, hostPe: 0, guestPe: 0 },
        { name: 'd1', hostPe: 1, guestPe: 0 },
      ],
    });
    expect(m.rtas.calls[0]).toBe(1);
    expect(m.rtas.calls[1]).toBe(0);
    expect(m.kernel.ddwFallbacks).toBe(1);
    const c = call();
    dma[1]!.map(c, devs[1]!, 0x1_0000_0000, 4096, true);
    expect(c.dmaAddr).toBeLessThan(GiB);
  });

  it('a 32-bit device, or disable_ddw, never asks for a window', () => {
    expect(rig().m.rtas.calls[0]).toBe(0);
    expect(rig({ devices: [{ name: 'd0' }], spapr: { guestDisableDdw: true } }).m.rtas.calls[0]).toBe(0);
  });

  it('when the PHB offers no DDW the guest falls back to the default window (Linux: out_failed)', () => {
    const { m, dma, devs, call } = rig({ devices: [{ name: 'd0' }], spapr: { ddw: false } });
    expect(m.kernel.ddwFallbacks).toBe(1);
    const c = call();
    dma[0]!.map(c, devs[0]!, 0x1_0000_0000, 4096, true);
    expect(c.dmaAddr).toBeLessThan(GiB);
  });

  it('without direct mapping the DDW is a second table the device allocates TCEs from', () => {
    const { dma, devs, calls, call } = rig({ devices: [{ name: 'd0' }], spapr: { guestDirectMapping: false } });
    const c = call();
    dma[0]!.map(c, devs[0]!, 0x1_0000_0000, 64 * KiB, true);
    expect(c.dmaAddr).toBeGreaterThanOrEqual(DDW_BASE);
    expect(calls()[0]).toBe(1);
  });

  it('the DDW setup (mapping all RAM) takes several times longer nested on PowerVM, with two L0 calls per TCE', () => {
    const pnv = rig({ devices: [{ name: 'd0' }] });
    const nested = rig({ devices: [{ name: 'd0' }], hypervisor: 'powervm-nested' });
    expect(nested.m.kernel.ddwSetupNs / pnv.m.kernel.ddwSetupNs).toBeGreaterThan(3);
    expect(nested.m.l0.putTce).toBe((8 * GiB) / (64 * KiB));
    expect(nested.m.l0.getTce).toBe((8 * GiB) / (64 * KiB));
  });
});
