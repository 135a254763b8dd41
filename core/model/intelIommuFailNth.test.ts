import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../sim/costTable';
import { FaultInjector } from '../sim/faultInjector';
import { TimelineRecorder } from '../sim/timelineRecorder';
import { DmaCall } from './dmaCall';
import { ENOMEM } from './errno';
import { defaultIommuGeometry } from './hostIommu';
import { HostProcess } from './hostProcess';
import { IntelIommuGuestDriver } from './intelIommuGuest';
import { QemuVm } from './qemuVm';
import { VfioType1Container } from './vfioType1';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

type Step = (d: IntelIommuGuestDriver, call: DmaCall) => void;

/** Maps, unmaps, a strict sync and a domain flush, touching new page tables at every level. */
const STEPS: Step[] = [
  (d, c) => d.map(c, 0x10_0000, 0x40_0000, 64 * KiB, true),
  (d, c) => d.map(c, 4 * MiB, 8 * MiB, 2 * MiB, false),
  (d, c) => d.map(c, 3 * GiB, 0x80_0000, 4 * KiB, true),
  (d, c) => d.unmap(c, 0x10_0000, 64 * KiB),
  (d, c) => d.iotlbSync(c, 0x10_0000, 64 * KiB),
  (d, c) => d.map(c, 600 * GiB, 0x90_0000, 12 * KiB, true),
  (d, c) => d.unmap(c, 4 * MiB, 2 * MiB),
  (d, c) => d.flushIotlbAll(c),
  (d, c) => d.map(c, 0x10_0000, 0xa0_0000, 8 * KiB, true),
  (d, c) => d.unmap(c, 3 * GiB, 4 * KiB),
  (d, c) => d.flushIotlbAll(c),
];

function setup(guestFaults: FaultInjector, hostFaults: FaultInjector) {
  const costs = resolveCostTable();
  const timeline = new TimelineRecorder();
  const qemu = new QemuVm(costs, timeline, { name: 'vm0', nested: false });
  const process = new HostProcess({ memlockBytes: null, capIpcLock: false, backing: '4k', userAddressEnd: 2 ** 47 });
  const container = new VfioType1Container('c0', 2, {
    process,
    costs,
    faults: hostFaults,
    dmaEntryLimit: 65535,
    disableHugepages: false,
    geometry: defaultIommuGeometry('x86_64'),
    irqRemapping: true,
    allowUnsafeInterrupts: false,
  });
  const driver = new IntelIommuGuestDriver({
    qemu,
    container,
    costs,
    timeline,
    laneName: 'viommu.vm0.nvme0',
    options: { cachingMode: true, awBits: 48, superpages: '2m+1g' },
    faults: guestFaults,
  });
  return { driver, container, qemu, process };
}

function lockedBytesOf(container: VfioType1Container): number {
  const snap = container.snapshot() as { mappings: { sizeBytes: number }[] };
  return snap.mappings.reduce((a, m) => a + m.sizeBytes, 0);
}

describe('intel-iommu fail-nth sweep', () => {
  it('a failed guest page-table allocation fails only that map, with ENOMEM, and changes nothing', () => {
    const clean = new FaultInjector();
    const r0 = setup(clean, new FaultInjector());
    const call = new DmaCall(0);
    for (const step of STEPS) step(r0.driver, call.begin(0));
    expect(clean.sitesReached).toBeGreaterThan(4);
    for (let n = 1; n <= clean.sitesReached; n++) {
      const faults = new FaultInjector(n);
      const r = setup(faults, new FaultInjector());
      let failedSteps = 0;
      for (const step of STEPS) {
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
        expect(r.driver.checkInvariants()).toEqual([]);
        expect(r.container.checkInvariants()).toEqual([]);
        expect(r.process.lockedPages * 4096).toBe(lockedBytesOf(r.container));
      }
      expect(failedSteps).toBe(1);
    }
  });

  it('a failed host allocation, pin or IOMMU map is logged by QEMU; the guest call succeeds and nothing leaks', () => {
    const clean = new FaultInjector();
    const r0 = setup(new FaultInjector(), clean);
    const call = new DmaCall(0);
    for (const step of STEPS) step(r0.driver, call.begin(0));
    expect(clean.sitesReached).toBeGreaterThan(10);
    for (let n = 1; n <= clean.sitesReached; n++) {
      const faults = new FaultInjector(n);
      const r = setup(new FaultInjector(), faults);
      for (const step of STEPS) {
        step(r.driver, call.begin(0));
        expect(call.errno).toBe(0);
        expect(r.driver.checkInvariants()).toEqual([]);
        expect(r.container.checkInvariants()).toEqual([]);
        expect(r.process.lockedPages * 4096).toBe(lockedBytesOf(r.container));
      }
      expect(r.qemu.vfioMapFailures).toBe(1);
      // The last step is a domain flush: QEMU's tree equals the guest's leaves, the host lacks only the failed one.
      expect(r.driver.shadow.entries).toBe(r.driver.table.leafCount);
    }
  });
});
