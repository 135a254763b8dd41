import { describe, expect, it } from 'vitest';
import type { FaultInjector } from '../../sim/faultInjector';
import { IntelIommuGuestDriver } from './intelIommuGuest';
import { hostSide, sweepGuestFailures, sweepHostFailures, type SweepRig, type SweepStep } from '../viommu/viommuFailNth.testkit';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Maps, unmaps, a strict sync and a domain flush, touching new page tables at every level. */
const STEPS: SweepStep<IntelIommuGuestDriver>[] = [
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

function setup(guestFaults: FaultInjector, hostFaults: FaultInjector): SweepRig<IntelIommuGuestDriver> {
  const host = hostSide({ faults: hostFaults });
  const driver = new IntelIommuGuestDriver({
    qemu: host.qemu,
    container: host.container,
    costs: host.costs,
    timeline: host.timeline,
    laneName: 'viommu.vm0.nvme0',
    options: { cachingMode: true, awBits: 48, superpages: '2m+1g' },
    faults: guestFaults,
  });
  return { driver, container: host.container, qemu: host.qemu, process: host.process };
}

describe('intel-iommu fail-nth sweep', () => {
  it('a failed guest page-table allocation fails only that map, with ENOMEM, and changes nothing', () => {
    expect(sweepGuestFailures(setup, STEPS)).toBeGreaterThan(4);
  });

  it('a failed host allocation, pin or IOMMU map is logged by QEMU; the guest call succeeds and nothing leaks', () => {
    const sites = sweepHostFailures(setup, STEPS, (r) => {
      // The last step is a domain flush: QEMU's tree equals the guest's leaves, the host lacks only the failed one.
      expect(r.driver.shadow.entries).toBe(r.driver.table.leafCount);
    });
    expect(sites).toBeGreaterThan(10);
  });
});
