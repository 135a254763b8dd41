// The fail-nth sweep shared by the vIOMMU front-ends (intel-iommu, virtio-iommu), as Linux's
// iommufd_fail_nth does: run a script of guest DMA steps once to count the allocation sites it
// reaches, then rerun it with the n-th one failing for every n, checking after each step that a
// failure changed nothing and every invariant holds. Guest-side failures fail that one map with
// ENOMEM; host-side ones (VFIO allocation, pin, IOMMU map) are logged by QEMU while the guest's call
// succeeds, and nothing leaks.
// Must not: know a front-end's internals (each test file passes its setup and checks).

import { expect } from 'vitest';
import { resolveCostTable, type CostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { TimelineRecorder } from '../../sim/timelineRecorder';
import { DmaCall } from '../base/dmaCall';
import { ENOMEM } from '../base/errno';
import { defaultIommuGeometry } from '../host/hostIommu';
import { HostProcess, type MemoryBacking } from '../host/hostProcess';
import { QemuVm } from '../qemu/qemuVm';
import { VfioType1Container } from '../vfio/vfioType1';

export interface SweptDriver {
  snapshot(): unknown;
  checkInvariants(): string[];
}

export interface SweepRig<D extends SweptDriver> {
  readonly driver: D;
  readonly container: VfioType1Container;
  readonly qemu: QemuVm;
  readonly process: HostProcess;
}

export type SweepStep<D> = (d: D, call: DmaCall) => void;

/** What a front-end needs to be built over a fresh QEMU and type1 container. */
export interface HostSide {
  readonly costs: CostTable;
  readonly timeline: TimelineRecorder;
  readonly qemu: QemuVm;
  readonly container: VfioType1Container;
  readonly process: HostProcess;
}

export interface HostSideOptions {
  readonly faults?: FaultInjector;
  /** vfio_iommu_type1.dma_entry_limit; 65535 by default. */
  readonly limit?: number;
  readonly backing?: MemoryBacking;
  /** The run's own cost table and timeline, when the rig sits under a simulation. */
  readonly costs?: CostTable;
  readonly timeline?: TimelineRecorder;
}

/** QEMU and a type1 v2 container on an x86 host, for a vIOMMU front-end under test. */
export function hostSide(o: HostSideOptions = {}): HostSide {
  const costs = o.costs ?? resolveCostTable();
  const timeline = o.timeline ?? new TimelineRecorder();
  const qemu = new QemuVm(costs, timeline, { name: 'vm0', nested: false });
  const process = new HostProcess({ memlockBytes: null, capIpcLock: false, backing: o.backing ?? '4k', userAddressEnd: 2 ** 47 });
  const container = new VfioType1Container('c0', 2, {
    process,
    costs,
    faults: o.faults ?? new FaultInjector(),
    dmaEntryLimit: o.limit ?? 65535,
    disableHugepages: false,
    geometry: defaultIommuGeometry('x86_64'),
    irqRemapping: true,
    allowUnsafeInterrupts: false,
  });
  return { costs, timeline, qemu, container, process };
}

function lockedBytesOf(container: VfioType1Container): number {
  const snap = container.snapshot() as { mappings: { sizeBytes: number }[] };
  return snap.mappings.reduce((a, m) => a + m.sizeBytes, 0);
}

type Setup<D extends SweptDriver> = (guestFaults: FaultInjector, hostFaults: FaultInjector) => SweepRig<D>;

/** Counts the fault sites a clean run of `steps` reaches on one side ('guest' or 'host'). */
function sitesReached<D extends SweptDriver>(setup: Setup<D>, steps: readonly SweepStep<D>[], side: 'guest' | 'host'): number {
  const clean = new FaultInjector();
  const r = side === 'guest' ? setup(clean, new FaultInjector()) : setup(new FaultInjector(), clean);
  const call = new DmaCall(0);
  for (const step of steps) step(r.driver, call.begin(0));
  return clean.sitesReached;
}

function expectConsistent<D extends SweptDriver>(r: SweepRig<D>): void {
  expect(r.driver.checkInvariants()).toEqual([]);
  expect(r.container.checkInvariants()).toEqual([]);
  expect(r.process.lockedPages * 4096).toBe(lockedBytesOf(r.container));
}

/** Guest-side sweep: each n fails exactly one step, with ENOMEM, which changes neither side. Returns the sites swept. */
export function sweepGuestFailures<D extends SweptDriver>(setup: Setup<D>, steps: readonly SweepStep<D>[]): number {
  const sites = sitesReached(setup, steps, 'guest');
  const call = new DmaCall(0);
  for (let n = 1; n <= sites; n++) {
    const faults = new FaultInjector(n);
    const r = setup(faults, new FaultInjector());
    let failedSteps = 0;
    for (const step of steps) {
      const before = { guest: r.driver.snapshot(), host: r.container.snapshot() };
      const wasInjected = faults.injected;
      step(r.driver, call.begin(0));
      if (!wasInjected && faults.injected) {
        failedSteps++;
        expect(call.errno).toBe(ENOMEM);
        expect(r.driver.snapshot()).toEqual(before.guest);
        expect(r.container.snapshot()).toEqual(before.host);
      } else {
        expect(call.errno).toBe(0);
      }
      expectConsistent(r);
    }
    expect(failedSteps).toBe(1);
  }
  return sites;
}

/**
 * Host-side sweep: every guest call succeeds, QEMU logs exactly one failed VFIO map, nothing leaks;
 * `after` checks what the front-end keeps. Returns the sites swept.
 */
export function sweepHostFailures<D extends SweptDriver>(
  setup: Setup<D>,
  steps: readonly SweepStep<D>[],
  after: (r: SweepRig<D>) => void,
): number {
  const sites = sitesReached(setup, steps, 'host');
  const call = new DmaCall(0);
  for (let n = 1; n <= sites; n++) {
    const r = setup(new FaultInjector(), new FaultInjector(n));
    for (const step of steps) {
      step(r.driver, call.begin(0));
      expect(call.errno).toBe(0);
      expectConsistent(r);
    }
    expect(r.qemu.vfioMapFailures).toBe(1);
    after(r);
  }
  return sites;
}
