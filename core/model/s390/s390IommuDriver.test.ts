import { describe, it, expect } from 'vitest';
import { ScenarioSchema, type ScenarioInput } from '../../scenario/schema';
import { Simulation } from '../../sim/simulation';
import { resolveCostTable } from '../../sim/costTable';
import { createHostEnvironment } from '../host/hostEnvironment';
import { createVfioContainer } from '../../stack/hostContainers';
import type { MetricMap } from '../../sim/metricSink';
import { DmaCall } from '../base/dmaCall';
import { EINVAL, ENOMEM } from '../base/errno';
import { DmaDevice, IommuDmaDomain, type FlushMode } from '../guestDma/iommuDma';
import { QemuVm } from '../qemu/qemuVm';
import { VcpuSet } from '../guestDma/vcpuSet';
import { createS390Viommu } from './s390Viommu';
import { ZPCI_TABLE_SPAN } from './s390DmaWindow';

const PAGE = 4096;
type S390Opts = NonNullable<NonNullable<NonNullable<ScenarioInput['vms']>[number]['viommu']>['s390']>;

interface RigOptions {
  hypervisor?: 'kvm' | 'zvm' | 'lpar';
  limit?: number;
  s390?: S390Opts;
  kind?: 'nvme' | 'ism';
  vcpus?: number;
}

function rig(o: RigOptions = {}) {
  const hypervisor = o.hypervisor ?? 'kvm';
  const scenario = ScenarioSchema.parse({
    name: 's390',
    host: { arch: 's390x', hypervisor, vfio: { dmaEntryLimit: o.limit ?? 65535 } },
    vms: [
      { vcpus: o.vcpus ?? 4, viommu: { model: 's390-zpci', s390: o.s390 ?? {} }, devices: [{ name: 'nvme0', kind: o.kind ?? 'nvme' }] },
    ],
  });
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const env = createHostEnvironment(scenario, sim.costs);
  const vm = scenario.vms[0]!;
  const device = vm.devices[0]!;
  const qemu = hypervisor === 'kvm' ? new QemuVm(sim.costs, sim.timeline, { name: vm.name, nested: false }) : null;
  const container = qemu === null ? null : createVfioContainer(env, 'vm0.nvme0', device.name);
  const vcpus = new VcpuSet(vm.name, vm.vcpus);
  const fe = createS390Viommu({ sim, costs: sim.costs, timeline: sim.timeline, scenario, vm, device, vcpus, qemu, container });
  const driver = fe.driver!;
  const base = fe.window.startDma;
  const domain = (mode: FlushMode, perCpuSize = 256, singleSize = 32768) =>
    new IommuDmaDomain(
      sim,
      driver,
      { mode, cpus: vm.vcpus, perCpuSize, perCpuTimeoutNs: 10e6, singleSize, singleTimeoutNs: 1e9, forcedac: true },
      sim.costs,
      vcpus,
    );
  return { sim, fe, driver, qemu, container, vcpus, base, domain, costs: sim.costs };
}

function metrics(...sources: { collectMetrics(into: MetricMap): void }[]): MetricMap {
  const m: MetricMap = {};
  for (const s of sources) s.collectMetrics(m);
  return m;
}

function kindName(sim: Simulation, ev: number): string {
  const cols = sim.timeline.columns();
  return cols.kinds[cols.kind[ev]!]!.name;
}

describe('s390-iommu capabilities and geometry', () => {
  it('aperture [0, 2^42 - 1] with [0, start_dma) and (end_dma, 2^42) reserved', () => {
    const { driver, fe } = rig();
    expect(driver.apertureStart).toBe(0);
    expect(driver.apertureLast).toBe(ZPCI_TABLE_SPAN - 1);
    expect(driver.reservedRanges).toEqual([
      { start: 0, last: fe.window.startDma - 1 },
      { start: fe.window.endDma + 1, last: ZPCI_TABLE_SPAN - 1 },
    ]);
  });

  it('IOMMU_CAP_DEFERRED_FLUSH for every function but ISM (ISM is always strict)', () => {
    expect(rig().driver.deferredFlush).toBe(true);
    const ism = rig({ kind: 'ism' });
    expect(ism.driver.deferredFlush).toBe(false);
    expect(ism.domain('lazy').mode).toBe('strict');
  });

  it('shadow_on_flush = tlb_refresh: on under KVM and z/VM, off on LPAR', () => {
    expect(rig({ hypervisor: 'kvm' }).driver.shadowOnFlush).toBe(true);
    expect(rig({ hypervisor: 'zvm' }).driver.shadowOnFlush).toBe(true);
    expect(rig({ hypervisor: 'lpar' }).driver.shadowOnFlush).toBe(false);
  });
});

describe('s390_iommu_map_pages + iotlb_sync_map', () => {
  it('writes one entry per 4 KiB page and refreshes exactly the new range with one RPCIT (KVM)', () => {
    const { driver, fe, qemu, base, costs } = rig();
    const call = new DmaCall(0).begin(0);
    driver.map(call, base, 0x100000, 4 * PAGE, true);
    expect(call.errno).toBe(0);
    expect(fe.zpci.table.validEntries).toBe(4);
    expect(fe.zpci.rpcitCalls).toBe(1);
    expect(qemu!.exits).toBe(1);
    expect(fe.shadow!.entries).toBe(4);
    expect(call.t).toBeGreaterThan(4 * costs.guestPteWriteNs + costs.vmExitNs);
  });

  it('without tlb_refresh (LPAR) a map needs no RPCIT and costs only the entry writes', () => {
    const { driver, fe, base, costs } = rig({ hypervisor: 'lpar' });
    const call = new DmaCall(0).begin(0);
    driver.map(call, base, 0, 4 * PAGE, false);
    expect(fe.zpci.rpcitCalls).toBe(0);
    expect(call.t).toBe(4 * costs.guestPteWriteNs);
  });

  it('refuses unaligned addresses and sizes, and ranges past the 2^42 aperture, with -EINVAL and writes nothing', () => {
    const { driver, fe, base } = rig();
    for (const [iova, gpa, size] of [
      [base + 0x800, 0, PAGE],
      [base, 0x800, PAGE],
      [base, 0, PAGE + 1],
      [ZPCI_TABLE_SPAN - PAGE, 0, 2 * PAGE],
    ] as const) {
      const call = new DmaCall(0).begin(0);
      driver.map(call, iova, gpa, size, true);
      expect(call.errno).toBe(EINVAL);
    }
    expect(fe.zpci.table.validEntries).toBe(0);
    expect(fe.zpci.rpcitCalls).toBe(0);
    expect(driver.invalidMaps).toBe(4);
  });
});

describe('unmap, iotlb_sync and flush_iotlb_all', () => {
  it('unmap clears the entries without RPCIT: QEMU still holds them until a sync', () => {
    const { driver, fe, base } = rig();
    const call = new DmaCall(0).begin(0);
    driver.map(call, base, 0, 2 * PAGE, true);
    driver.unmap(call, base, 2 * PAGE);
    expect(fe.zpci.table.validEntries).toBe(0);
    expect(fe.zpci.rpcitCalls).toBe(1);
    expect(fe.shadow!.entries).toBe(2);
  });

  it('iotlb_sync is one RPCIT over the unmapped range: QEMU drops it', () => {
    const { driver, fe, base, container } = rig();
    const call = new DmaCall(0).begin(0);
    driver.map(call, base, 0, 2 * PAGE, true);
    driver.unmap(call, base, 2 * PAGE);
    driver.iotlbSync(call, base, 2 * PAGE);
    expect(fe.zpci.rpcitCalls).toBe(2);
    expect(fe.shadow!.entries).toBe(0);
    expect(container!.entries).toBe(0);
  });

  it('flush_iotlb_all is one global RPCIT over [start_dma, end_dma]', () => {
    const { driver, fe, base } = rig();
    const call = new DmaCall(0).begin(0);
    driver.map(call, base, 0, 2 * PAGE, true);
    driver.map(call, base + 128 * 2 ** 20, 0, 2 * PAGE, true);
    driver.unmap(call, base, 2 * PAGE);
    driver.unmap(call, base + 128 * 2 ** 20, 2 * PAGE);
    driver.flushIotlbAll(call);
    expect(fe.zpci.globalRpcits).toBe(1);
    expect(fe.shadow!.entries).toBe(0);
  });
});

describe('RPCIT -ENOMEM in iotlb_sync_map (reference 000)', () => {
  /** QEMU holds `stale` lazily unmapped pages (the guest cleared them without RPCIT). */
  function withStale(o: RigOptions, stale: number) {
    const r = rig({ limit: 8, ...o, s390: { apertureRestriction: false, ...o.s390 } });
    const call = new DmaCall(0).begin(0);
    r.driver.map(call, r.base + 64 * PAGE, 0x100000, stale * PAGE, true);
    r.driver.unmap(call, r.base + 64 * PAGE, stale * PAGE);
    return { ...r, call };
  }

  it('with the retry: one global RPCIT (no second range RPCIT) frees the stale entries and the map succeeds', () => {
    const r = withStale({}, 6);
    const before = r.fe.zpci.rpcitCalls;
    r.driver.map(r.call.begin(r.call.t), r.base, 0x200000, 4 * PAGE, true);
    expect(r.call.errno).toBe(0);
    expect(r.fe.zpci.rpcitCalls - before).toBe(2);
    expect(r.fe.zpci.globalRpcits).toBe(1);
    expect(r.fe.zpci.rpcitOutOfResource).toBe(1);
    expect(r.driver.globalFlushRetries).toBe(1);
    expect(r.fe.shadow!.entries).toBe(4);
    expect(r.fe.checkInvariants()).toEqual([]);
  });

  it('without the retry the map fails with -ENOMEM; iommu_map undoes it, and its iotlb_sync lets QEMU drop what it had shadowed', () => {
    const r = withStale({ s390: { globalFlushRetry: false } }, 6);
    r.driver.map(r.call.begin(r.call.t), r.base, 0x200000, 4 * PAGE, true);
    expect(r.call.errno).toBe(ENOMEM);
    expect(r.fe.zpci.table.validEntries).toBe(0);
    expect(r.fe.zpci.globalRpcits).toBe(0);
    // Range RPCIT mapped 2 of 4 pages and answered cc 1; the undo's RPCIT unmapped those 2 again.
    for (let p = 0; p < 4; p++) expect(r.fe.shadow!.cachedGpa(r.base / PAGE + p)).toBeNull();
    expect(r.fe.shadow!.entries).toBe(6);
    expect(r.container!.entries).toBe(6);
    expect(r.driver.syncMapFailures).toBe(1);
    expect(r.fe.checkInvariants()).toEqual([]);
  });

  it('the failure is explained as a chain: dma map failed <- rpcit insufficient resources <- the trap', () => {
    const r = withStale({ s390: { globalFlushRetry: false } }, 6);
    r.call.begin(r.call.t);
    r.driver.map(r.call, r.base, 0x200000, 4 * PAGE, true);
    const cols = r.sim.timeline.columns();
    // The undo's RPCIT follows the failure event, so the failure event is the undo trap's cause.
    const undoTrap = r.call.cause;
    const failed = cols.cause[undoTrap]!;
    expect(kindName(r.sim, failed)).toBe('dma.map.failed');
    expect(cols.a2[failed]).toBe(r.sim.timeline.internString('ENOMEM'));
    const insufficient = cols.cause[failed]!;
    expect(kindName(r.sim, insufficient)).toBe('rpcit.refresh.insufficientResources');
    expect(kindName(r.sim, cols.cause[insufficient]!)).toBe('qemu.trap');
  });

  it('when the global RPCIT cannot free anything either, the map fails after it', () => {
    const r = rig({ limit: 9, s390: { apertureRestriction: false } });
    const call = new DmaCall(0).begin(0);
    r.driver.map(call, r.base + 64 * PAGE, 0x100000, 8 * PAGE, true); // 8 live mappings, nothing stale
    expect(call.errno).toBe(0);
    r.driver.map(call.begin(call.t), r.base, 0x200000, 2 * PAGE, true);
    expect(call.errno).toBe(ENOMEM);
    expect(r.fe.zpci.globalRpcits).toBe(1);
    expect(r.driver.globalFlushRetries).toBe(1);
    expect(r.fe.zpci.table.validEntries).toBe(8);
    expect(r.fe.shadow!.entries).toBe(8);
  });
});

/** One IO at a time per vCPU round-robin: map `pages`, unmap; returns the failed maps. */
function runIos(dma: IommuDmaDomain, ios: number, cpus: number, pages: number): number {
  const dev = new DmaDevice('nvme0', 64, 64, true);
  const calls = Array.from({ length: cpus }, (_, c) => new DmaCall(c));
  let t = 0;
  let failures = 0;
  for (let i = 0; i < ios; i++) {
    const call = calls[i % cpus]!.begin(t);
    dma.map(call, dev, (i % 512) * pages * PAGE, pages * PAGE, true);
    if (call.errno !== 0) {
      failures++;
      continue;
    }
    const addr = call.dmaAddr;
    dma.unmap(call.begin(call.t), addr, pages * PAGE);
    t = call.t;
  }
  return failures;
}

describe('reference 000 in miniature: 64-page IOs, dma_entry_limit 4096, per-CPU flush queues', () => {
  it('lazy without the global-flush retry: QEMU reaches the limit, RPCIT reports status 16 and maps fail', () => {
    const r = rig({ limit: 4096, s390: { apertureRestriction: false, globalFlushRetry: false } });
    const dma = r.domain('lazy');
    expect(runIos(dma, 600, 4, 64)).toBeGreaterThan(0);
    const m = metrics(r.fe, dma);
    expect(m['rpcit.outOfResource']).toBeGreaterThan(0);
    expect(m['s390.shadow.entriesPeak']).toBe(4096);
    expect(m['dma.mapFailures']).toBeGreaterThan(0);
    expect(r.fe.checkInvariants()).toEqual([]);
  });

  it('lazy with the retry: out-of-resource answers occur and every map still succeeds', () => {
    const r = rig({ limit: 4096, s390: { apertureRestriction: false, globalFlushRetry: true } });
    const dma = r.domain('lazy');
    expect(runIos(dma, 600, 4, 64)).toBe(0);
    const m = metrics(r.fe, dma);
    expect(m['rpcit.outOfResource']).toBeGreaterThan(0);
    expect(m['rpcit.globalFlushRetries']).toBe(m['rpcit.outOfResource']);
    expect(m['dma.mapFailures']).toBe(0);
    expect(r.fe.checkInvariants()).toEqual([]);
  });

  it('strict: peak shadow entries stay at the in-flight footprint and RPCIT never runs out', () => {
    const r = rig({ limit: 4096, s390: { apertureRestriction: false, globalFlushRetry: false } });
    const dma = r.domain('strict');
    expect(runIos(dma, 600, 4, 64)).toBe(0);
    const m = metrics(r.fe, dma);
    expect(m['s390.shadow.entriesPeak']).toBe(64);
    expect(m['rpcit.outOfResource']).toBe(0);
  });

  it("QEMU's aperture restriction: the guest window is dma_avail pages, so shadow entries never exceed it", () => {
    const r = rig({ limit: 4096, s390: { apertureRestriction: true, globalFlushRetry: false } });
    expect(r.fe.window.pages).toBe(4096);
    // Small rings flush before the guest fills its window: RPCIT never runs out.
    const dma = r.domain('lazy', 8);
    expect(runIos(dma, 600, 4, 64)).toBe(0);
    const m = metrics(r.fe, dma);
    expect(m['rpcit.outOfResource']).toBe(0);
    expect(m['s390.shadow.entriesPeak']).toBeLessThanOrEqual(4096);
  });

  it('with the restriction and big queues the guest fills its window: the map taking its last page gets status 16 (QEMU answers cc 1 whenever dma_avail ends at 0)', () => {
    const r = rig({ limit: 4096, s390: { apertureRestriction: true, globalFlushRetry: false } });
    const dma = r.domain('lazy');
    const failures = runIos(dma, 600, 4, 64);
    const m = metrics(r.fe, dma);
    expect(m['s390.shadow.entriesPeak']).toBe(4096);
    // The failed map frees its IOVA at once, so every later map takes the same last slot and fails the same way.
    expect(failures).toBeGreaterThan(0);
    expect(m['rpcit.outOfResource']).toBe(failures);
    expect(m['iova.exhaustions']).toBe(0);
  });

  it('with the restriction and the retry, the host never runs out for long: the guest runs out of IOVAs instead', () => {
    const r = rig({ limit: 4096, s390: { apertureRestriction: true, globalFlushRetry: true } });
    const dma = r.domain('lazy');
    const failures = runIos(dma, 600, 4, 64);
    const m = metrics(r.fe, dma);
    expect(m['s390.shadow.entriesPeak']).toBe(4096);
    expect(m['rpcit.outOfResource']).toBe(1);
    expect(m['s390.syncMapFailures']).toBe(0);
    expect(failures).toBe(m['iova.exhaustions']);
    expect(failures).toBeGreaterThan(0);
  });
});
