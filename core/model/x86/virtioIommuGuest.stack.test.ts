import { describe, expect, it } from 'vitest';
import type { MetricMap } from '../../sim/metricSink';
import { loadScenario } from '../../scenario/loadScenario';
import { resolveCostTable } from '../../sim/costTable';
import { Simulation } from '../../sim/simulation';
import type { SimTimeNs } from '../../sim/simTime';
import { DmaCall } from '../base/dmaCall';
import { DmaDevice, IommuDmaDomain, type FlushMode } from '../guestDma/iommuDma';
import { VcpuSet } from '../guestDma/vcpuSet';
import type { VirtioIommuGuestDriver } from './virtioIommuGuest';
import { createVirtioIommuViommu } from './x86Viommu';
import { hostSide } from '../viommu/viommuFailNth.testkit';

const KiB = 1024;

function stack(mode: FlushMode, virtio: Record<string, unknown> = {}) {
  const costs = resolveCostTable();
  const sim = new Simulation({ seed: 1, costs });
  const loaded = loadScenario({ value: { name: 'x86-virtio', vms: [{ viommu: { virtio } }] } });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  const scenario = loaded.scenario;
  const base = scenario.vms[0]!;
  const vm = { ...base, viommu: { ...base.viommu, model: 'virtio-iommu' as const } };
  const vcpus = new VcpuSet(vm.name, 2);
  const { qemu, container } = hostSide({ backing: 'thp', costs, timeline: sim.timeline });
  const fe = createVirtioIommuViommu({ sim, costs, timeline: sim.timeline, scenario, vm, device: vm.devices[0]!, vcpus, qemu, container });
  const driver = fe.driver as VirtioIommuGuestDriver;
  const dma = new IommuDmaDomain(
    sim,
    driver,
    { mode, cpus: 2, perCpuSize: 256, perCpuTimeoutNs: 10_000_000, singleSize: 32768, singleTimeoutNs: 1_000_000_000, forcedac: false },
    costs,
    vcpus,
  );
  return { sim, qemu, container, driver, dma, fe, dev: new DmaDevice('nvme0', 64, 64, false) };
}

/** n IOs of `bytes` on CPU 0: map, unmap. */
function runIos(s: ReturnType<typeof stack>, n: number, bytes: number): void {
  const call = new DmaCall(0);
  for (let i = 0; i < n; i++) {
    call.begin(s.sim.now + i * 100_000);
    s.dma.map(call, s.dev, 0x1000_0000 + i * 0x10_0000 + 0x1000, bytes, true);
    expect(call.errno).toBe(0);
    const iova = call.dmaAddr;
    s.dma.unmap(call.begin(call.t), iova, bytes);
  }
}

describe('virtio-iommu under dma-iommu: strict vs lazy', () => {
  it('strict: every IO costs two exits (the map kick and the unmap sync) and the host ends empty', () => {
    const s = stack('strict');
    runIos(s, 20, 64 * KiB);
    expect(s.qemu.exits).toBe(40);
    expect(s.container.entries).toBe(0);
    expect(s.fe.checkInvariants()).toEqual([]);
  });

  it('a 64 KiB IO is one power-of-two chunk: one VFIO map and one unmap; a 12 KiB IO is two', () => {
    const a = stack('strict');
    runIos(a, 5, 64 * KiB);
    expect(a.qemu.vfioMapCalls).toBe(5);
    expect(a.qemu.vfioUnmapCalls).toBe(5);
    const b = stack('strict');
    runIos(b, 5, 12 * KiB);
    expect(b.qemu.vfioMapCalls).toBe(10);
    expect(b.qemu.vfioUnmapCalls).toBe(10);
  });

  it('lazy per-CPU: unmaps do not exit; each UNMAP waits for the next kick (the next map), so the host holds one stale mapping', () => {
    const s = stack('lazy');
    runIos(s, 20, 64 * KiB);
    expect(s.qemu.exits).toBe(20);
    expect(s.container.entries).toBe(1);
    expect(s.driver.queue.pendingUnmaps).toBe(1);
    s.sim.step(50_000_000 as SimTimeNs, 1_000_000);
    expect(s.driver.flushes).toBe(1);
    expect(s.qemu.exits).toBe(21);
    expect(s.container.entries).toBe(0);
    const m: MetricMap = {};
    s.fe.collectMetrics(m);
    expect(m['viommu.staleMappingsPeak']).toBe(1);
    expect(s.fe.checkInvariants()).toEqual([]);
  });

  it('a guest without deferred flush runs strict even when lazy is asked for', () => {
    const s = stack('lazy', { deferredFlush: false });
    expect(s.dma.mode).toBe('strict');
    runIos(s, 3, 4 * KiB);
    expect(s.qemu.exits).toBe(6);
  });

  it('shadow_on_flush is off by default (upstream) and on when the scenario asks for it', () => {
    expect(stack('lazy').driver.shadowOnFlush).toBe(false);
    expect(stack('lazy-single', { shadowOnFlush: true }).driver.shadowOnFlush).toBe(true);
  });
});
