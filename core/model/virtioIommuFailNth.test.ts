import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../sim/costTable';
import { FaultInjector } from '../sim/faultInjector';
import { TimelineRecorder } from '../sim/timelineRecorder';
import { DmaCall } from './dmaCall';
import { ENOMEM } from './errno';
import { defaultIommuGeometry } from './hostIommu';
import { HostProcess } from './hostProcess';
import { QemuVm } from './qemuVm';
import { VfioType1Container } from './vfioType1';
import { VirtioIommuGuestDriver } from './virtioIommuGuest';

const KiB = 1024;

type Step = (d: VirtioIommuGuestDriver, call: DmaCall) => void;

/** Maps (one split into several runs), lazy unmaps, a full ring, a strict sync and a flush. */
const STEPS: Step[] = [
  (d, c) => d.map(c, 0x10_0000, 0x4000_1000, 64 * KiB, true),
  (d, c) => d.map(c, 0x20_4000, 0x4010_4000, 12 * KiB, false),
  (d, c) => d.map(c, 0x30_0000, 0x4020_0000, 4 * KiB, true),
  (d, c) => d.unmap(c, 0x10_0000, 64 * KiB),
  (d, c) => d.unmap(c, 0x20_4000, 12 * KiB),
  (d, c) => d.map(c, 0x40_0000, 0x4030_0000, 20 * KiB, true),
  (d, c) => d.unmap(c, 0x30_0000, 4 * KiB),
  (d, c) => d.iotlbSync(c),
  (d, c) => d.map(c, 0x10_0000, 0x4040_0000, 8 * KiB, true),
  (d, c) => d.unmap(c, 0x40_0000, 20 * KiB),
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
  const driver = new VirtioIommuGuestDriver({
    qemu,
    container,
    costs,
    timeline,
    laneName: 'viommu.vm0.nvme0',
    options: { awBits: 39, deferredFlush: true, shadowOnFlush: false, requestQueueSize: 4 },
    faults: guestFaults,
  });
  return { driver, container, qemu, process };
}

function lockedBytesOf(container: VfioType1Container): number {
  const snap = container.snapshot() as { mappings: { sizeBytes: number }[] };
  return snap.mappings.reduce((a, m) => a + m.sizeBytes, 0);
}

describe('virtio-iommu fail-nth sweep', () => {
  it('a failed guest allocation fails only that map, with ENOMEM, and changes nothing', () => {
    const clean = new FaultInjector();
    const r0 = setup(clean, new FaultInjector());
    const call = new DmaCall(0);
    for (const step of STEPS) step(r0.driver, call.begin(0));
    expect(clean.sitesReached).toBeGreaterThanOrEqual(10);
    for (let n = 1; n <= clean.sitesReached; n++) {
      const faults = new FaultInjector(n);
      const r = setup(faults, new FaultInjector());
      let failed = 0;
      for (const step of STEPS) {
        const before = { guest: r.driver.snapshot(), host: r.container.snapshot() };
        const wasInjected = faults.injected;
        step(r.driver, call.begin(0));
        if (!wasInjected && faults.injected) {
          failed++;
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
      expect(failed).toBe(1);
    }
  });

  it('a failed host allocation, pin or IOMMU map is logged by QEMU; the guest call succeeds and nothing leaks', () => {
    const clean = new FaultInjector();
    const r0 = setup(new FaultInjector(), clean);
    const call = new DmaCall(0);
    for (const step of STEPS) step(r0.driver, call.begin(0));
    expect(clean.sitesReached).toBeGreaterThan(10);
    for (let n = 1; n <= clean.sitesReached; n++) {
      const r = setup(new FaultInjector(), new FaultInjector(n));
      for (const step of STEPS) {
        step(r.driver, call.begin(0));
        expect(call.errno).toBe(0);
        expect(r.container.checkInvariants()).toEqual([]);
        expect(r.process.lockedPages * 4096).toBe(lockedBytesOf(r.container));
      }
      expect(r.qemu.vfioMapFailures).toBe(1);
      // QEMU's domain still records the mapping (virtio_iommu_map succeeded); only VFIO lacks it.
      expect(r.driver.device.requestErrors).toBe(0);
      expect(r.driver.checkInvariants()).toEqual([]);
    }
  });
});
