import { describe, it, expect } from 'vitest';
import { ScenarioSchema, type ScenarioInput } from '../../scenario/schema';
import { Simulation } from '../../sim/simulation';
import { resolveCostTable } from '../../sim/costTable';
import { createHostEnvironment } from '../host/hostEnvironment';
import { createVfioContainer } from '../../stack/hostContainers';
import { METRIC_CATALOG } from '../../run/metricCatalog';
import type { MetricMap } from '../../sim/metricSink';
import { DmaCall } from '../base/dmaCall';
import { ENOMEM } from '../base/errno';
import { DmaDevice, IommuDmaDomain, type FlushMode } from '../guestDma/iommuDma';
import type { GuestDmaOps } from '../guestDma/guestDmaOps';
import { QemuVm } from '../qemu/qemuVm';
import { VcpuSet } from '../guestDma/vcpuSet';
import { S390PciDmaCounts } from './s390PciDmaCount';
import { S390_METRICS } from './s390Metrics';
import { createS390Viommu } from './s390Viommu';

const GiB = 2 ** 30;
const PAGE = 4096;
type VmInput = NonNullable<ScenarioInput['vms']>[number];

interface RigOptions {
  hypervisor?: 'kvm' | 'zvm' | 'lpar' | 'powernv';
  limit?: number;
  vm?: VmInput;
  kind?: 'nvme' | 'ism' | 'mlx5-vf';
  withQemu?: boolean;
}

function rig(o: RigOptions = {}) {
  const hypervisor = o.hypervisor ?? 'kvm';
  const scenario = ScenarioSchema.parse({
    name: 's390',
    host: { arch: 's390x', hypervisor, vfio: { dmaEntryLimit: o.limit ?? 65535 } },
    vms: [{ vcpus: 4, ...o.vm, viommu: { model: 's390-zpci', ...o.vm?.viommu }, devices: [{ name: 'f0', kind: o.kind ?? 'nvme' }] }],
  });
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const env = createHostEnvironment(scenario, sim.costs);
  const vm = scenario.vms[0]!;
  const device = vm.devices[0]!;
  const withQemu = o.withQemu ?? hypervisor === 'kvm';
  const qemu = withQemu ? new QemuVm(sim.costs, sim.timeline, { name: vm.name, nested: false }) : null;
  const container = withQemu ? createVfioContainer(env, 'vm0.f0', device.name) : null;
  const vcpus = new VcpuSet(vm.name, vm.vcpus);
  const ctx = { sim, costs: sim.costs, timeline: sim.timeline, scenario, vm, device, vcpus, qemu, container };
  const dmaOf = (mode: FlushMode, forcedac = true): GuestDmaOps => {
    const fe = createS390Viommu(ctx);
    if (fe.dmaOps !== null) return fe.dmaOps;
    return new IommuDmaDomain(
      sim,
      fe.driver!,
      { mode, cpus: vm.vcpus, perCpuSize: 256, perCpuTimeoutNs: 10e6, singleSize: 32768, singleTimeoutNs: 1e9, forcedac },
      sim.costs,
      vcpus,
    );
  };
  return { sim, ctx, qemu, container, dmaOf };
}

describe('createS390Viommu picks the guest DMA layer', () => {
  it('dma-iommu modes get the s390-iommu driver; s390-legacy gets the pre-6.7 DMA layer instead', () => {
    const plain = createS390Viommu(rig().ctx);
    expect(plain.driver).not.toBeNull();
    expect(plain.dmaOps).toBeNull();
    const legacy = createS390Viommu(rig({ vm: { guest: { dmaMode: 's390-legacy' } } }).ctx);
    expect(legacy.driver).toBeNull();
    expect(legacy.dmaOps!.label).toBe('s390-legacy');
  });

  it('ISM: no deferred flush, and QEMU shrinks its window to the DMA limit even with the restriction off', () => {
    const fe = createS390Viommu(rig({ kind: 'ism', limit: 1000, vm: { viommu: { s390: { apertureRestriction: false } } } }).ctx);
    expect(fe.driver!.deferredFlush).toBe(false);
    expect(fe.window.restricted).toBe(true);
    expect(fe.window.pages).toBe(1000);
  });

  it('LPAR and z/VM run without QEMU: no shadow, no restriction (nothing reports a DMA limit)', () => {
    for (const hypervisor of ['lpar', 'zvm'] as const) {
      const fe = createS390Viommu(rig({ hypervisor }).ctx);
      expect(fe.shadow).toBeNull();
      expect(fe.window.restricted).toBe(false);
      expect(fe.window.sizeBytes).toBe(8 * GiB);
    }
  });

  it('KVM needs QEMU and a container; a non-s390 hypervisor is refused', () => {
    expect(() => createS390Viommu(rig({ withQemu: false }).ctx)).toThrow(/QEMU/);
    expect(() => createS390Viommu(rig({ hypervisor: 'powernv', withQemu: false }).ctx)).toThrow(/s390 hypervisor/);
  });

  it('two functions on one container share QEMU dma_avail; only the first gets its window restricted', () => {
    const r = rig({ limit: 1000, vm: { viommu: { s390: { apertureRestriction: true } } } });
    const counts = new S390PciDmaCounts();
    const first = createS390Viommu(r.ctx, counts);
    const second = createS390Viommu(r.ctx, counts);
    expect(first.window.pages).toBe(1000);
    expect(second.window.restricted).toBe(false);
    expect(second.shadow!.dmaCount).toBe(first.shadow!.dmaCount);
  });
});

describe('reference 003: there are no IOVAs below the 4 GiB window start', () => {
  it('mlx5 allocating coherent memory with its initial 32-bit mask fails with -ENOMEM under dma-iommu', () => {
    const dma = rig().dmaOf('lazy-single');
    const mlx5 = new DmaDevice('mlx5_core', 32, 32, true);
    const call = new DmaCall(0).begin(0);
    dma.allocCoherent(call, mlx5, 0, PAGE);
    expect(call.errno).toBe(ENOMEM);
  });

  it('with the masks raised first (the fixed driver order) the same allocation works, above 4 GiB', () => {
    const dma = rig().dmaOf('lazy-single');
    const mlx5 = new DmaDevice('mlx5_core', 64, 64, true);
    const call = new DmaCall(0).begin(0);
    dma.allocCoherent(call, mlx5, 0, PAGE);
    expect(call.errno).toBe(0);
    expect(call.dmaAddr).toBeGreaterThanOrEqual(4 * GiB);
  });

  it('an NVMe without forcedac first tries below 4 GiB, fails, and logs "Using 42-bit DMA addresses"', () => {
    const dma = rig().dmaOf('lazy-single', false);
    const nvme = new DmaDevice('nvme 2007:00:00.0', 64, 64, false);
    const call = new DmaCall(0).begin(0);
    dma.map(call, nvme, 0, PAGE, true);
    expect(call.errno).toBe(0);
    expect(nvme.log).toEqual(['nvme 2007:00:00.0: Using 42-bit DMA addresses']);
  });

  it('with forcedac (s390_iommu_init sets iommu_dma_forcedac) nothing is logged', () => {
    const dma = rig().dmaOf('lazy-single', true);
    const nvme = new DmaDevice('nvme0', 64, 64, true);
    dma.map(new DmaCall(0).begin(0), nvme, 0, PAGE, true);
    expect(nvme.log).toEqual([]);
  });

  it('the pre-6.7 code ignored masks: the 32-bit coherent allocation "worked" there', () => {
    const dma = rig({ vm: { guest: { dmaMode: 's390-legacy' } } }).dmaOf('strict');
    const call = new DmaCall(0).begin(0);
    dma.allocCoherent(call, new DmaDevice('mlx5_core', 32, 32, true), 0, PAGE);
    expect(call.errno).toBe(0);
  });
});

/** vCPU time of `ios` 4 KiB IOs (map + unmap each), round-robin on 4 vCPUs; returns ns per IO. */
function dmaTimePerIo(dma: GuestDmaOps, ios: number): number {
  const dev = new DmaDevice('nvme0', 64, 64, true);
  const calls = [0, 1, 2, 3].map((c) => new DmaCall(c));
  let total = 0;
  for (let i = 0; i < ios; i++) {
    const call = calls[i % 4]!;
    const t0 = call.t;
    dma.map(call.begin(t0), dev, (i % 1024) * PAGE, PAGE, true);
    expect(call.errno).toBe(0);
    const addr = call.dmaAddr;
    dma.unmap(call.begin(call.t), addr, PAGE);
    expect(call.errno).toBe(0);
    total += call.t - t0;
  }
  return total / ios;
}

describe('reference 003: cost of IOTLB flushes that the hypervisor shadows', () => {
  it('under KVM per-CPU flush queues cost more DMA time per IO than the pre-6.7 code; the single queue costs what it costs', () => {
    const perCpu = dmaTimePerIo(rig().dmaOf('lazy'), 4000);
    const single = dmaTimePerIo(rig().dmaOf('lazy-single'), 4000);
    const legacy = dmaTimePerIo(rig({ vm: { guest: { dmaMode: 's390-legacy' } } }).dmaOf('strict'), 4000);
    expect(perCpu / legacy).toBeGreaterThan(1.1);
    expect(single / legacy).toBeLessThan(1.02);
  });

  it('each of those global RPCITs walks the whole window, so the loss grows with the window (restriction off: 8 GiB)', () => {
    const open = { viommu: { s390: { apertureRestriction: false } } };
    const shut = { viommu: { s390: { apertureRestriction: true } } };
    const restricted =
      dmaTimePerIo(rig({ vm: shut }).dmaOf('lazy'), 4000) /
      dmaTimePerIo(rig({ vm: { ...shut, guest: { dmaMode: 's390-legacy' } } }).dmaOf('strict'), 4000);
    const wide =
      dmaTimePerIo(rig({ vm: open }).dmaOf('lazy'), 4000) /
      dmaTimePerIo(rig({ vm: { ...open, guest: { dmaMode: 's390-legacy' } } }).dmaOf('strict'), 4000);
    expect(wide).toBeGreaterThan(2 * restricted);
  });

  it('on LPAR (no shadowing) all three are close', () => {
    const perCpu = dmaTimePerIo(rig({ hypervisor: 'lpar' }).dmaOf('lazy'), 4000);
    const legacy = dmaTimePerIo(rig({ hypervisor: 'lpar', vm: { guest: { dmaMode: 's390-legacy' } } }).dmaOf('strict'), 4000);
    expect(perCpu / legacy).toBeLessThan(1.3);
    expect(perCpu / legacy).toBeGreaterThan(0.7);
  });
});

describe('front-end metrics and invariants', () => {
  function runMixed(r: ReturnType<typeof rig>, mode: FlushMode) {
    const fe = createS390Viommu(r.ctx);
    const dma: GuestDmaOps =
      fe.dmaOps ??
      new IommuDmaDomain(
        r.sim,
        fe.driver!,
        { mode, cpus: 4, perCpuSize: 16, perCpuTimeoutNs: 10e6, singleSize: 64, singleTimeoutNs: 1e9, forcedac: true },
        r.sim.costs,
        r.ctx.vcpus,
      );
    const dev = new DmaDevice('f0', 64, 64, true);
    const call = new DmaCall(0);
    for (let i = 0; i < 300; i++) {
      dma.map(call.begin(call.t), dev, (i % 64) * 16 * PAGE, (1 + (i % 16)) * PAGE, i % 3 !== 0);
      if (call.errno !== 0) continue;
      const addr = call.dmaAddr;
      dma.unmap(call.begin(call.t), addr, (1 + (i % 16)) * PAGE);
      expect(call.errno).toBe(0);
    }
    const m: MetricMap = {};
    fe.collectMetrics(m);
    dma.collectMetrics(m);
    return { fe, m };
  }

  it('every metric the front-end and the legacy layer report is in S390_METRICS or the run catalog', () => {
    const known = new Set([...S390_METRICS, ...METRIC_CATALOG].map((x) => x.name));
    for (const hypervisor of ['kvm', 'zvm', 'lpar'] as const) {
      for (const dmaMode of ['lazy', 's390-legacy'] as const) {
        const { m } = runMixed(rig({ hypervisor, limit: 600, vm: { guest: { dmaMode } } }), 'lazy');
        for (const name of Object.keys(m)) expect(known.has(name), name).toBe(true);
      }
    }
    expect(new Set(S390_METRICS.map((x) => x.name)).size).toBe(S390_METRICS.length);
  });

  it('invariants hold after a mixed run in every mode and hypervisor', () => {
    for (const hypervisor of ['kvm', 'zvm', 'lpar'] as const) {
      for (const mode of ['strict', 'lazy', 'lazy-single'] as const) {
        const { fe } = runMixed(rig({ hypervisor, limit: 600 }), mode);
        expect(fe.checkInvariants()).toEqual([]);
      }
      const { fe } = runMixed(rig({ hypervisor, limit: 600, vm: { guest: { dmaMode: 's390-legacy' } } }), 'strict');
      expect(fe.checkInvariants()).toEqual([]);
    }
  });

  it('the same scenario gives the same timeline, byte for byte', () => {
    const a = rig({ limit: 600 });
    runMixed(a, 'lazy');
    const b = rig({ limit: 600 });
    runMixed(b, 'lazy');
    expect(a.sim.timeline.hash()).toBe(b.sim.timeline.hash());
    expect(a.sim.timeline.size).toBeGreaterThan(0);
  });
});
