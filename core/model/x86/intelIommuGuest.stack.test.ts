import { describe, expect, it } from 'vitest';
import type { MetricMap } from '../../sim/metricSink';
import { loadScenario } from '../../scenario/loadScenario';
import { resolveCostTable } from '../../sim/costTable';
import { Simulation } from '../../sim/simulation';
import type { SimTimeNs } from '../../sim/simTime';
import { DmaCall } from '../base/dmaCall';
import type { IntelIommuGuestDriver } from './intelIommuGuest';
import { DmaDevice, IommuDmaDomain, type FlushMode } from '../guestDma/iommuDma';
import { VcpuSet } from '../guestDma/vcpuSet';
import { createIntelIommuViommu } from './x86Viommu';
import { hostSide } from '../viommu/viommuFailNth.testkit';

const KiB = 1024;
const IO = 64 * KiB;

function stack(mode: FlushMode) {
  const costs = resolveCostTable();
  const sim = new Simulation({ seed: 1, costs });
  const loaded = loadScenario({ value: { name: 'x86-intel' } });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  const scenario = loaded.scenario;
  const base = scenario.vms[0]!;
  const vm = { ...base, viommu: { ...base.viommu, model: 'intel-iommu' as const } };
  const vcpus = new VcpuSet(vm.name, 2);
  const { qemu, container } = hostSide({ backing: 'thp', costs, timeline: sim.timeline });
  const fe = createIntelIommuViommu({ sim, costs, timeline: sim.timeline, scenario, vm, device: vm.devices[0]!, vcpus, qemu, container });
  const driver = fe.driver as IntelIommuGuestDriver;
  const dma = new IommuDmaDomain(
    sim,
    driver,
    { mode, cpus: 2, perCpuSize: 256, perCpuTimeoutNs: 10_000_000, singleSize: 32768, singleTimeoutNs: 1_000_000_000, forcedac: false },
    costs,
    vcpus,
  );
  const dev = new DmaDevice('nvme0', 64, 64, false);
  return { sim, qemu, container, driver, dma, dev, fe };
}

/** n IOs on CPU 0: map a 64 KiB buffer, unmap it. Returns the IOVAs used. */
function runIos(s: ReturnType<typeof stack>, n: number, keepMapped = false): number[] {
  const call = new DmaCall(0);
  const iovas: number[] = [];
  for (let i = 0; i < n; i++) {
    call.begin(s.sim.now + i * 100_000);
    s.dma.map(call, s.dev, 0x1000_0000 + i * IO, IO, true);
    expect(call.errno).toBe(0);
    const iova = call.dmaAddr;
    iovas.push(iova);
    if (!keepMapped) s.dma.unmap(call.begin(call.t), iova, IO);
  }
  return iovas;
}

// Linux defaults to strict under caching mode (forcesStrict); 'lazy' here is the guest after
// writing DMA-FQ to the group's sysfs type.
describe('intel-iommu under dma-iommu: strict vs lazy', () => {
  it('strict: one invalidation exit per map and one per unmap; nothing stays mapped on the host', () => {
    const s = stack('strict');
    runIos(s, 20);
    expect(s.qemu.exits).toBe(40);
    expect(s.driver.psiInvalidations).toBe(40);
    expect(s.container.entries).toBe(0);
    expect(s.fe.checkInvariants()).toEqual([]);
  });

  it('every 64 KiB IO costs one VFIO map per 4 KiB leaf (16) and as many unmaps', () => {
    const s = stack('strict');
    runIos(s, 5);
    expect(s.qemu.vfioMapCalls).toBe(5 * 16);
    expect(s.qemu.vfioUnmapCalls).toBe(5 * 16);
  });

  it('lazy per-CPU: unmaps cause no exit; the host keeps every unmapped leaf until the timer flush', () => {
    const s = stack('lazy');
    runIos(s, 20);
    expect(s.qemu.exits).toBe(20);
    expect(s.container.entries).toBe(20 * 16);
    expect(s.driver.shadow.staleLeaves).toBe(20 * 16);
    s.sim.step(50_000_000 as SimTimeNs, 1_000_000);
    expect(s.driver.dsiInvalidations).toBe(1);
    expect(s.qemu.exits).toBe(21);
    expect(s.container.entries).toBe(0);
    const m: MetricMap = {};
    s.fe.collectMetrics(m);
    expect(m['viommu.staleMappingsPeak']).toBe(20 * 16);
    expect(s.qemu.exits).toBe(21); // vmexits is reported once per VM from QemuVm
    expect(s.fe.checkInvariants()).toEqual([]);
  });

  it('lazy: a full per-CPU ring (255 entries) forces a domain invalidation that walks the whole domain', () => {
    const s = stack('lazy');
    runIos(s, 256);
    expect(s.driver.dsiInvalidations).toBe(1);
    expect(s.driver.shadow.fullWalks).toBe(1);
    // The 256th unmap cleared its PTEs before queue_iova found the ring full, so the flush covers it too.
    expect(s.container.entries).toBe(0);
    expect(s.qemu.exits).toBe(257);
  });

  it('a domain walk re-maps no live leaf: identical leaves are skipped (no ioctl)', () => {
    const s = stack('lazy');
    const iovas = runIos(s, 3, true);
    const call = new DmaCall(0).begin(s.sim.now);
    s.dma.unmap(call, iovas[0]!, IO);
    const mapsBefore = s.qemu.vfioMapCalls;
    s.sim.step(50_000_000 as SimTimeNs, 1_000_000);
    expect(s.qemu.vfioMapCalls).toBe(mapsBefore);
    expect(s.qemu.vfioUnmapCalls).toBe(16);
    expect(s.driver.shadow.dedupedMaps).toBe(32);
    expect(s.container.entries).toBe(32);
  });
});
