import { describe, expect, it } from 'vitest';
import type { FaultInjector } from '../../sim/faultInjector';
import { VirtioIommuGuestDriver } from './virtioIommuGuest';
import { hostSide, sweepGuestFailures, sweepHostFailures, type SweepRig, type SweepStep } from '../viommu/viommuFailNth.testkit';

const KiB = 1024;

/** Maps (one split into several runs), lazy unmaps, a full ring, a strict sync and a flush. */
const STEPS: SweepStep<VirtioIommuGuestDriver>[] = [
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

function setup(guestFaults: FaultInjector, hostFaults: FaultInjector): SweepRig<VirtioIommuGuestDriver> {
  const host = hostSide({ faults: hostFaults });
  const driver = new VirtioIommuGuestDriver({
    qemu: host.qemu,
    container: host.container,
    costs: host.costs,
    timeline: host.timeline,
    laneName: 'viommu.vm0.nvme0',
    options: { awBits: 39, deferredFlush: true, iotlbSyncMap: true, shadowOnFlush: false, requestQueueSize: 4 },
    faults: guestFaults,
  });
  return { driver, container: host.container, qemu: host.qemu, process: host.process };
}

describe('virtio-iommu fail-nth sweep', () => {
  it('a failed guest allocation fails only that map, with ENOMEM, and changes nothing', () => {
    expect(sweepGuestFailures(setup, STEPS)).toBeGreaterThanOrEqual(10);
  });

  it('a failed host allocation, pin or IOMMU map is logged by QEMU; the guest call succeeds and nothing leaks', () => {
    const sites = sweepHostFailures(setup, STEPS, (r) => {
      // QEMU's domain still records the mapping (virtio_iommu_map succeeded); only VFIO lacks it.
      expect(r.driver.device.requestErrors).toBe(0);
    });
    expect(sites).toBeGreaterThan(10);
  });
});
