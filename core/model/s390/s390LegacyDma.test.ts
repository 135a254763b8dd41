import { describe, it, expect } from 'vitest';
import { ScenarioSchema } from '../../scenario/schema';
import { Simulation } from '../../sim/simulation';
import { resolveCostTable } from '../../sim/costTable';
import { TimelineRecorder } from '../../sim/timelineRecorder';
import { createHostEnvironment } from '../host/hostEnvironment';
import { createVfioContainer } from '../../stack/hostContainers';
import type { MetricMap } from '../../sim/metricSink';
import { DmaCall } from '../base/dmaCall';
import { EINVAL, ENOMEM } from '../base/errno';
import { DmaDevice } from '../guestDma/iommuDma';
import { QemuVm } from '../qemu/qemuVm';
import { VcpuSet } from '../guestDma/vcpuSet';
import { createS390Viommu } from './s390Viommu';
import { S390DmaWindow } from './s390DmaWindow';
import { S390LegacyDma } from './s390LegacyDma';
import { ZpciFunction, type RpcitInterceptor } from './s390Zpci';
import { ZpciDmaTable } from './s390ZpciDmaTable';

const GiB = 2 ** 30;
const PAGE = 4096;
const dev = new DmaDevice('nvme0', 64, 64, true);

interface RigOptions {
  hypervisor?: 'kvm' | 'zvm' | 'lpar';
  limit?: number;
  restriction?: boolean;
  strict?: boolean;
  startDma?: number;
}

/** The legacy layer through the front-end factory, on a real type1 container under KVM. */
function rig(o: RigOptions = {}) {
  const hypervisor = o.hypervisor ?? 'kvm';
  const scenario = ScenarioSchema.parse({
    name: 'legacy',
    host: { arch: 's390x', hypervisor, vfio: { dmaEntryLimit: o.limit ?? 64 } },
    vms: [
      {
        viommu: {
          model: 's390-zpci',
          s390: { apertureRestriction: o.restriction ?? true, legacyStrict: o.strict ?? false, startDma: o.startDma ?? 4 * GiB },
        },
        guest: { dmaMode: 's390-legacy' },
      },
    ],
  });
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const env = createHostEnvironment(scenario, sim.costs);
  const vm = scenario.vms[0]!;
  const device = vm.devices[0]!;
  const qemu = hypervisor === 'kvm' ? new QemuVm(sim.costs, sim.timeline, { name: vm.name, nested: false }) : null;
  const container = qemu === null ? null : createVfioContainer(env, 'vm0.nvme0', device.name);
  const fe = createS390Viommu({
    sim,
    costs: sim.costs,
    timeline: sim.timeline,
    scenario,
    vm,
    device,
    vcpus: new VcpuSet(vm.name, vm.vcpus),
    qemu,
    container,
  });
  const dma = fe.dmaOps!;
  const call = new DmaCall(0);
  const base = fe.window.startDma;
  /** Maps `pages` and returns the window page offset (or -1 with call.errno set). */
  const map = (pages: number, gpaPage = 0): number => {
    dma.map(call.begin(call.t), dev, gpaPage * PAGE, pages * PAGE, true);
    return call.errno === 0 ? (call.dmaAddr - base) / PAGE : -1;
  };
  const unmap = (offset: number, pages: number) => dma.unmap(call.begin(call.t), base + offset * PAGE, pages * PAGE);
  return { sim, fe, dma, call, map, unmap, base, qemu, container };
}

/** Answers RPCIT with a scripted condition code. */
class ScriptedInterceptor implements RpcitInterceptor {
  lastCc = 0;
  lastStatus = 0;
  entriesInUse = 0;
  answers: number[] = [];
  served = 0;
  prepare(): void {}
  serve(): number {
    this.served++;
    this.lastCc = this.answers.shift() ?? 0;
    this.lastStatus = this.lastCc === 1 ? 16 : 0;
    return 0;
  }
}

function scriptedRig(strict: boolean, pages = 64) {
  const costs = resolveCostTable();
  const timeline = new TimelineRecorder();
  const window = new S390DmaWindow({ sdma: 4 * GiB, restrictToDmaLimit: true, maxDmaLimit: pages, ramBytes: 8 * GiB, apertureFactor: 1 });
  const interceptor = new ScriptedInterceptor();
  const zpci = new ZpciFunction({
    window,
    table: new ZpciDmaTable(),
    hypervisor: 'kvm',
    costs,
    timeline,
    laneName: 'viommu.f0',
    qemu: new QemuVm(costs, timeline, { name: 'vm0', nested: false }),
    interceptor,
  });
  const dma = new S390LegacyDma(zpci, costs, timeline, { strict });
  const call = new DmaCall(0);
  const map = (n: number): number => {
    dma.map(call.begin(call.t), dev, 0, n * PAGE, true);
    return call.errno === 0 ? (call.dmaAddr - window.startDma) / PAGE : -1;
  };
  const unmap = (offset: number, n: number) => dma.unmap(call.begin(call.t), window.startDma + offset * PAGE, n * PAGE);
  return { zpci, interceptor, dma, call, map, unmap };
}

function metrics(dma: S390LegacyDma): MetricMap {
  const m: MetricMap = {};
  dma.collectMetrics(m);
  return m;
}

describe('dma_alloc_address: a bitmap searched from next_bit, which only moves forward', () => {
  it('lazy: freed addresses are not reused; each map lands after the previous one', () => {
    const r = rig();
    expect(r.map(8)).toBe(0);
    r.unmap(0, 8);
    expect(r.map(8)).toBe(8);
    r.unmap(8, 8);
    expect(r.map(4)).toBe(16);
    expect(r.dma.nextBit).toBe(20);
    expect(r.dma.fqDepth()).toBe(2);
  });

  it('strict: bits are cleared at unmap, but next_bit still moves forward', () => {
    const r = rig({ strict: true });
    expect(r.map(8)).toBe(0);
    r.unmap(0, 8);
    expect(r.map(8)).toBe(8);
    expect(r.dma.fqDepth()).toBe(0);
  });

  it('the last page of the bitmap is never handed out (iommu_area_alloc searches size - 1 bits)', () => {
    const r = rig({ limit: 64 });
    expect(r.fe.window.pages).toBe(64);
    expect(r.map(64)).toBe(-1);
    expect(r.call.errno).toBe(ENOMEM);
    expect(r.map(63)).toBe(0);
  });

  it('an allocation never spans a 4 GiB boundary of the bus address (PCI seg boundary 0xffffffff)', () => {
    const r = rig({ hypervisor: 'lpar', startDma: 8 * GiB - 32 * PAGE, restriction: false });
    expect(r.map(16)).toBe(0);
    expect(r.map(32)).toBe(32);
    expect(r.base + 32 * PAGE).toBe(8 * GiB);
  });

  it('DMA masks are ignored: a 32-bit coherent mask still gets an address above 4 GiB', () => {
    const r = rig();
    const mlx5 = new DmaDevice('mlx5', 32, 32, true);
    r.dma.allocCoherent(r.call.begin(0), mlx5, 0, PAGE);
    expect(r.call.errno).toBe(0);
    expect(r.call.dmaAddr).toBeGreaterThanOrEqual(4 * GiB);
  });
});

describe('the wrap: nothing found from next_bit', () => {
  function fillAndFree(r: ReturnType<typeof rig>): void {
    // 64-page window, 63 usable: seven 8-page allocations fit, the eighth must wrap.
    for (let i = 0; i < 7; i++) {
      expect(r.map(8)).toBe(i * 8);
      r.unmap(i * 8, 8);
    }
  }

  it('lazy: exactly one global RPCIT, the lazily freed addresses merge back, and the search restarts at 0', () => {
    const r = rig({ limit: 64 });
    fillAndFree(r);
    const rpcitsBefore = r.fe.zpci.rpcitCalls;
    expect(r.map(8)).toBe(0);
    expect(r.dma.wraps).toBe(1);
    expect(r.dma.globalRpcits).toBe(1);
    expect(r.fe.zpci.rpcitCalls - rpcitsBefore).toBe(2); // the global one and the new map's range
    expect(r.dma.fqDepth()).toBe(0);
    expect(r.dma.nextBit).toBe(8);
    // QEMU dropped the lazily unmapped entries during the global walk.
    expect(r.fe.shadow!.entries).toBe(8);
    expect(r.fe.checkInvariants()).toEqual([]);
  });

  it('strict: the wrap needs no global RPCIT (every unmap already refreshed)', () => {
    const r = rig({ limit: 64, strict: true });
    fillAndFree(r);
    expect(r.dma.rangeRpcits).toBe(14);
    expect(r.map(8)).toBe(0);
    expect(r.dma.wraps).toBe(1);
    expect(r.dma.globalRpcits).toBe(0);
  });

  it('nothing free even after the wrap: the map fails with ENOMEM', () => {
    const r = rig({ limit: 64 });
    expect(r.map(40)).toBe(0);
    expect(r.map(30)).toBe(-1);
    expect(r.call.errno).toBe(ENOMEM);
    expect(r.dma.iovaExhaustions).toBe(1);
    expect(r.dma.mapFailures).toBe(1);
    expect(r.dma.wraps).toBe(1);
    expect(r.dma.snapshot()).toMatchObject({ allocated: [[0, 39, false]], nextBit: 40 });
  });

  it('a wrap whose global RPCIT fails fails the allocation without merging', () => {
    const s = scriptedRig(false);
    for (let i = 0; i < 7; i++) {
      s.map(8);
      s.unmap(i * 8, 8);
    }
    s.interceptor.answers = [1];
    expect(s.map(8)).toBe(-1);
    expect(s.call.errno).toBe(ENOMEM);
    expect(s.dma.fqDepth()).toBe(7);
  });
});

describe('__dma_purge_tlb: which maps and unmaps issue RPCIT', () => {
  it('a map issues RPCIT over its range only with tlb_refresh (KVM), never on LPAR', () => {
    const kvm = rig();
    kvm.map(4);
    expect(kvm.fe.zpci.rpcitCalls).toBe(1);
    const lpar = rig({ hypervisor: 'lpar' });
    lpar.map(4);
    expect(lpar.fe.zpci.rpcitCalls).toBe(0);
  });

  it('a lazy unmap issues no RPCIT; a strict one refreshes its range', () => {
    const lazy = rig();
    lazy.unmap(lazy.map(4), 4);
    expect(lazy.fe.zpci.rpcitCalls).toBe(1);
    expect(lazy.fe.shadow!.entries).toBe(4);
    const strict = rig({ strict: true });
    strict.unmap(strict.map(4), 4);
    expect(strict.fe.zpci.rpcitCalls).toBe(2);
    expect(strict.fe.shadow!.entries).toBe(0);
  });
});

describe('RPCIT -ENOMEM on a map in the pre-6.7 code', () => {
  it('lazy: one global RPCIT, the lazy bitmap merges back, and the map succeeds', () => {
    const r = rig({ limit: 16, restriction: false });
    r.unmap(r.map(8), 8);
    expect(r.map(8)).toBe(8); // fills QEMU to exactly 16: cc 1 status 16
    expect(r.call.errno).toBe(0);
    expect(r.dma.globalFlushRetries).toBe(1);
    expect(r.fe.zpci.rpcitOutOfResource).toBe(1);
    expect(r.dma.fqDepth()).toBe(0);
    expect(r.fe.shadow!.entries).toBe(8);
    expect(r.fe.checkInvariants()).toEqual([]);
  });

  it('strict: no global RPCIT; the map fails, its entries are cleared without RPCIT and its bits freed', () => {
    const r = rig({ limit: 8, restriction: false, strict: true });
    expect(r.map(6)).toBe(0);
    expect(r.map(4)).toBe(-1);
    expect(r.call.errno).toBe(ENOMEM);
    expect(r.dma.globalRpcits).toBe(0);
    expect(r.fe.zpci.table.validEntries).toBe(6);
    // QEMU shadowed 2 of the 4 pages before running out; nobody told it they are gone.
    expect(r.fe.shadow!.entries).toBe(8);
    expect(r.dma.snapshot()).toMatchObject({ allocated: [[0, 5, false]] });
  });

  it('lazy: a failing global RPCIT fails the map, and the address joins the lazy bitmap', () => {
    const s = scriptedRig(false);
    s.interceptor.answers = [1, 1];
    expect(s.map(4)).toBe(-1);
    expect(s.call.errno).toBe(ENOMEM);
    expect(s.interceptor.served).toBe(2);
    expect(s.dma.fqDepth()).toBe(1);
    expect(s.zpci.table.validEntries).toBe(0);
  });
});

describe('s390_dma_unmap_pages', () => {
  it('a strict unmap whose RPCIT fails never frees its address', () => {
    const s = scriptedRig(true);
    expect(s.map(4)).toBe(0);
    s.interceptor.answers = [1];
    s.unmap(0, 4);
    expect(s.dma.unmapErrors).toBe(1);
    expect(s.dma.snapshot()).toMatchObject({ allocated: [[0, 3, false]] });
    expect(s.zpci.table.validEntries).toBe(0);
  });

  it('an unmap of an address that is not mapped is refused with EINVAL and changes nothing', () => {
    const r = rig();
    r.map(4);
    const before = r.dma.snapshot();
    r.unmap(8, 4);
    expect(r.call.errno).toBe(EINVAL);
    r.unmap(0, 2);
    expect(r.call.errno).toBe(EINVAL);
    expect(r.dma.snapshot()).toEqual(before);
  });

  it('reports lazily freed addresses as its flush-queue depth and their stale window until the global RPCIT', () => {
    const r = rig({ limit: 64 });
    for (let i = 0; i < 7; i++) r.unmap(r.map(8), 8);
    r.map(8);
    const m = metrics(r.dma);
    expect(m['fq.peakDepth']).toBe(7);
    expect(m['s390.legacy.wraps']).toBe(1);
    expect(m['iotlb.flushes.global']).toBe(1);
    expect(m['staleIotlbWindowUsP99']).toBeGreaterThan(0);
    expect(m['dma.maps']).toBe(8);
    expect(m['dma.unmaps']).toBe(7);
  });
});
