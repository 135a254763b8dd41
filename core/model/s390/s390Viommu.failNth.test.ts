import { describe, it, expect } from 'vitest';
import { ScenarioSchema } from '../../scenario/schema';
import { Simulation } from '../../sim/simulation';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { createHostEnvironment } from '../host/hostEnvironment';
import { createVfioContainer } from '../../stack/hostContainers';
import { DmaCall } from '../base/dmaCall';
import { DmaDevice, IommuDmaDomain } from '../guestDma/iommuDma';
import type { GuestDmaOps } from '../guestDma/guestDmaOps';
import { QemuVm } from '../qemu/qemuVm';
import { VcpuSet } from '../guestDma/vcpuSet';
import { createS390Viommu, type S390Viommu } from './s390Viommu';
import type { VfioContainerApi } from '../vfio/vfioContainerApi';

const PAGE = 4096;

interface Run {
  /** Guest-visible outcome of every step. */
  outcomes: string[];
  sitesReached: number;
  vfioFailures: number;
  outOfResource: number;
  problems: string[];
}

/**
 * A passing multi-step scenario on s390 KVM (dma_entry_limit 48, so the -ENOMEM retry path runs
 * too), with the n-th fault site of the host container failing. After every ioctl QEMU issues and
 * every guest step, the checks of the sweep are collected as problems.
 */
function runScenario(dmaMode: 'lazy' | 's390-legacy', failAt: number): Run {
  const scenario = ScenarioSchema.parse({
    name: 'fail-nth',
    host: { arch: 's390x', hypervisor: 'kvm', memoryBacking: '4k', vfio: { dmaEntryLimit: 48 } },
    vms: [{ vcpus: 2, viommu: { model: 's390-zpci', s390: { apertureRestriction: false } }, guest: { dmaMode } }],
  });
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const faults = new FaultInjector(failAt);
  const env = createHostEnvironment(scenario, sim.costs, faults);
  const vm = scenario.vms[0]!;
  const device = vm.devices[0]!;
  const qemu = new QemuVm(sim.costs, sim.timeline, { name: vm.name, nested: false });
  const inner = createVfioContainer(env, 'vm0.nvme0', device.name);
  const problems: string[] = [];
  let vfioFailures = 0;
  // Every MAP_DMA is all or nothing: a failed one leaves the container exactly as it was.
  const container = new Proxy(inner, {
    get(target, prop, receiver) {
      // Call by call, so every MAP_DMA is checked on its own.
      if (prop === 'mapDmaRun') return () => 0;
      if (prop !== 'mapDma') return Reflect.get(target, prop, receiver) as unknown;
      return (iova: number, vaddr: number, size: number, flags: number) => {
        const before = JSON.stringify(target.snapshot());
        const rc = target.mapDma(iova, vaddr, size, flags);
        if (rc !== 0) {
          vfioFailures++;
          if (JSON.stringify(target.snapshot()) !== before) problems.push(`failed MAP_DMA at ${iova} changed the container`);
        }
        return rc;
      };
    },
  }) as VfioContainerApi;
  const vcpus = new VcpuSet(vm.name, vm.vcpus);
  const fe: S390Viommu = createS390Viommu({ sim, costs: sim.costs, timeline: sim.timeline, scenario, vm, device, vcpus, qemu, container });
  const dma: GuestDmaOps =
    fe.dmaOps ??
    new IommuDmaDomain(
      sim,
      fe.driver!,
      { mode: 'lazy', cpus: 2, perCpuSize: 4, perCpuTimeoutNs: 10e6, singleSize: 64, singleTimeoutNs: 1e9, forcedac: true },
      sim.costs,
      vcpus,
    );
  const dev = new DmaDevice('nvme0', 64, 64, true);
  const call = new DmaCall(0);
  const outcomes: string[] = [];
  const live = new Map<string, [number, number]>();
  const check = (step: string) => {
    for (const p of [...fe.checkInvariants(), ...inner.checkInvariants()]) problems.push(`${step}: ${p}`);
    const shadow = fe.shadow!;
    if (inner.entries !== shadow.entries - shadow.unbackedEntries) {
      problems.push(
        `${step}: container holds ${inner.entries} mappings, QEMU ${shadow.entries} of which ${shadow.unbackedEntries} unbacked`,
      );
    }
    // No page stays pinned beyond what the surviving mappings account for (4 KiB each).
    if (env.process.lockedPages !== inner.entries)
      problems.push(`${step}: ${env.process.lockedPages} pages locked for ${inner.entries} mappings`);
  };
  const map = (name: string, pages: number, gpaPage: number, write = true) => {
    dma.map(call.begin(call.t), dev, gpaPage * PAGE, pages * PAGE, write);
    outcomes.push(`map ${name}: ${call.errno} ${call.dmaAddr}`);
    if (call.errno === 0) live.set(name, [call.dmaAddr, pages]);
    check(`map ${name}`);
  };
  const unmap = (name: string) => {
    const [addr, pages] = live.get(name)!;
    live.delete(name);
    dma.unmap(call.begin(call.t), addr, pages * PAGE);
    outcomes.push(`unmap ${name}: ${call.errno}`);
    check(`unmap ${name}`);
  };
  map('a', 8, 100);
  map('b', 4, 200, false);
  unmap('a');
  map('c', 16, 300);
  unmap('b');
  map('d', 12, 400);
  map('e', 12, 500); // 48 entries: QEMU runs out, the guest flushes globally and retries
  unmap('c');
  if (fe.driver !== null) {
    fe.driver.flushIotlbAll(call.begin(call.t));
    check('flush');
  }
  map('f', 8, 600);
  unmap('d');
  unmap('e');
  unmap('f');
  return { outcomes, sitesReached: faults.sitesReached, vfioFailures, outOfResource: fe.zpci.rpcitOutOfResource, problems };
}

describe.each(['lazy', 's390-legacy'] as const)('fail-nth sweep over the VFIO maps QEMU issues (%s guest)', (dmaMode) => {
  it('the clean run passes, reaches fault sites and goes through the -ENOMEM path', () => {
    const clean = runScenario(dmaMode, 0);
    expect(clean.problems).toEqual([]);
    expect(clean.vfioFailures).toBe(0);
    expect(clean.sitesReached).toBeGreaterThan(20);
    expect(clean.outOfResource).toBeGreaterThan(0);
    expect(clean.outcomes.every((o) => / 0( |$)/.test(o.split(':')[1]!))).toBe(true);
  });

  it('failing the n-th site for every n: one failed ioctl that changed nothing, invariants hold, no stray pins, and the guest sees the clean outcomes', () => {
    const clean = runScenario(dmaMode, 0);
    for (let n = 1; n <= clean.sitesReached; n++) {
      const run = runScenario(dmaMode, n);
      expect(run.vfioFailures, `n=${n}`).toBe(1);
      expect(run.problems, `n=${n}`).toEqual([]);
      // QEMU only logs a failed VFIO map: nothing the guest sees changes.
      expect(run.outcomes, `n=${n}`).toEqual(clean.outcomes);
    }
    expect(runScenario(dmaMode, clean.sitesReached + 1).vfioFailures).toBe(0);
  });
});
