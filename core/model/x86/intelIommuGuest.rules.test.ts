import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultInjector } from '../../sim/faultInjector';
import type { MetricMap } from '../../sim/metricSink';
import { loadScenario } from '../../scenario/loadScenario';
import type { IntelIommuOptions } from '../../scenario/x86ViommuSchema';
import { DmaCall } from '../base/dmaCall';
import { ENOMEM } from '../base/errno';
import { PAGE_SIZE } from '../base/pages';
import {
  IntelIommuGuestDriver,
  intelIommuAssignmentProblem,
  intelIommuForcesStrict,
  psiAlignedRange,
  psiMask,
  VTD_MSI_RANGE,
} from './intelIommuGuest';
import { hostSide } from '../viommu/viommuFailNth.testkit';
import { psiAlignedRangeReference } from './intelIommuGuestReference.testkit';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

function rig(o: Partial<IntelIommuOptions> = {}, c: { limit?: number; faults?: FaultInjector } = {}) {
  const { costs, timeline, qemu, process, container } = hostSide({ backing: 'thp', limit: c.limit ?? 65535 });
  const driver = new IntelIommuGuestDriver({
    qemu,
    container,
    costs,
    timeline,
    laneName: 'viommu.vm0.nvme0',
    options: { cachingMode: true, awBits: 48, superpages: '2m+1g', ...o },
    faults: c.faults,
  });
  const call = new DmaCall(0);
  return { costs, timeline, qemu, container, driver, call, process };
}

function leafSizes(driver: IntelIommuGuestDriver): number[] {
  return driver.table.leafList().map((l) => l.last - l.start + 1);
}

function metrics(driver: IntelIommuGuestDriver): MetricMap {
  const m: MetricMap = {};
  driver.collectMetrics(m);
  return m;
}

describe('intel-iommu guest driver: page-selective invalidation ranges (calculate_psi_aligned_address)', () => {
  it('an aligned power-of-two range is invalidated exactly', () => {
    expect(psiAlignedRange(0x10000, 0x1ffff)).toEqual({ addr: 0x10000, mask: 4 });
    expect(psiAlignedRange(0x5000, 0x5fff)).toEqual({ addr: 0x5000, mask: 0 });
  });

  it('a range that is not size aligned gets the mask of the lowest bit where first and last page agree', () => {
    // pages 3..4: differ in bits 0..2, agree from bit 3 on -> 8 pages from 0.
    expect(psiAlignedRange(0x3000, 0x4fff)).toEqual({ addr: 0, mask: 3 });
    // 3 pages at 0x10000 round up to 4 pages, aligned -> mask 2.
    expect(psiAlignedRange(0x10000, 0x12fff)).toEqual({ addr: 0x10000, mask: 2 });
  });

  it('psiMask / psiAddress answer as the log2-and-powers reference (IOVAs up to 2^53)', () => {
    // Page numbers near powers of two and anywhere in a 64-bit space; ranges from one page to most of it.
    const pfn = fc.oneof(
      fc.nat(1 << 20),
      fc.integer({ min: 0, max: 40 }).chain((k) => fc.integer({ min: -3, max: 3 }).map((d) => Math.max(0, 2 ** k + d))),
      fc.double({ min: 0, max: 2 ** 40, noNaN: true }).map(Math.floor),
    );
    const pages = fc.oneof(fc.integer({ min: 1, max: 1024 }), fc.double({ min: 1, max: 2 ** 39, noNaN: true }).map(Math.floor));
    fc.assert(
      fc.property(pfn, pages, fc.nat(PAGE_SIZE - 1), fc.nat(PAGE_SIZE - 1), (first, n, headOff, tailOff) => {
        const start = first * PAGE_SIZE + headOff;
        const last = (first + n) * PAGE_SIZE - 1 - tailOff;
        fc.pre(last >= start);
        expect(psiAlignedRange(start, last)).toEqual(psiAlignedRangeReference(start, last));
        expect(psiMask(start, last)).toBe(psiAlignedRangeReference(start, last).mask);
      }),
      { numRuns: 2000 },
    );
  });

  it('a mask above VTD_MAMV (18) turns the invalidation domain-selective', () => {
    const { driver, call } = rig();
    driver.map(call.begin(0), 2 * GiB, 4 * GiB, 2 * GiB, true);
    expect(driver.dsiInvalidations).toBe(1);
    expect(driver.psiInvalidations).toBe(0);
  });
});

describe('intel-iommu guest driver: leaves (hardware_largepage_caps)', () => {
  it('uses 4 KiB leaves when the guest-physical address is not 2 MiB aligned', () => {
    const { driver, call } = rig();
    driver.map(call.begin(0), 4 * MiB, 0x10_1000, 2 * MiB, true);
    expect(leafSizes(driver)).toEqual(Array(512).fill(4 * KiB));
  });

  it('uses a 2 MiB leaf where IOVA and GPA are both 2 MiB aligned, 4 KiB leaves for the rest', () => {
    const { driver, call } = rig();
    driver.map(call.begin(0), 4 * MiB, 8 * MiB, 2 * MiB + 8 * KiB, true);
    expect(leafSizes(driver)).toEqual([2 * MiB, 4 * KiB, 4 * KiB]);
  });

  it('uses a 1 GiB leaf with 2m+1g, a 2 MiB leaf with 2m, only 4 KiB leaves with none', () => {
    const big = rig();
    big.driver.map(big.call.begin(0), GiB, 2 * GiB, GiB, true);
    expect(leafSizes(big.driver)).toEqual([GiB]);
    const mid = rig({ superpages: '2m' });
    mid.driver.map(mid.call.begin(0), 4 * MiB, 8 * MiB, 4 * MiB, true);
    expect(leafSizes(mid.driver)).toEqual([2 * MiB, 2 * MiB]);
    const none = rig({ superpages: 'none' });
    none.driver.map(none.call.begin(0), 4 * MiB, 8 * MiB, 64 * KiB, true);
    expect(leafSizes(none.driver)).toEqual(Array(16).fill(4 * KiB));
  });

  it('a large leaf replaces an empty smaller page table below it', () => {
    const { driver, call } = rig();
    driver.map(call.begin(0), 4 * MiB, 8 * MiB, 4 * KiB, true);
    driver.unmap(call.begin(0), 4 * MiB, 4 * KiB); // the level-1 table stays (range did not cover it)
    driver.map(call.begin(0), 4 * MiB, 8 * MiB, 2 * MiB, true);
    expect(leafSizes(driver)).toEqual([2 * MiB]);
    expect(driver.checkInvariants()).toEqual([]);
  });

  it('the aperture is 2^aw-1 and the IOAPIC range is reserved', () => {
    expect(rig().driver.apertureLast).toBe(2 ** 48 - 1);
    expect(rig({ awBits: 39 }).driver.apertureLast).toBe(2 ** 39 - 1);
    expect(rig().driver.reservedRanges).toEqual([VTD_MSI_RANGE]);
    expect(rig().driver.deferredFlush).toBe(true);
    expect(rig().driver.shadowOnFlush).toBe(false);
  });

  it('mapping over a present leaf is a programmer error (dma-iommu maps only free IOVAs)', () => {
    const { driver, call } = rig();
    driver.map(call.begin(0), 0x10000, 0x20000, 4 * KiB, true);
    expect(() => driver.map(call.begin(0), 0x10000, 0x30000, 4 * KiB, true)).toThrow(RangeError);
  });
});

describe('intel-iommu caching mode: every invalidation is one exit and a shadow walk', () => {
  it('map in caching mode costs one PSI trap and one VFIO map per new 4 KiB leaf', () => {
    const { driver, qemu, container, call } = rig();
    driver.map(call.begin(0), 0x10_0000, 0x40_0000, 64 * KiB, true);
    expect(qemu.exits).toBe(1);
    expect(driver.psiInvalidations).toBe(1);
    expect(qemu.vfioMapCalls).toBe(16);
    expect(container.entries).toBe(16);
    expect(call.t).toBeGreaterThan(0);
  });

  it('without caching mode a map writes PTEs but does not invalidate (no exit, nothing shadowed)', () => {
    const { driver, qemu, container, call } = rig({ cachingMode: false });
    driver.map(call.begin(0), 0x10_0000, 0x40_0000, 64 * KiB, true);
    expect(qemu.exits).toBe(0);
    expect(container.entries).toBe(0);
  });

  it('unmap clears PTEs without an exit; the host keeps the leaves (stale) until an invalidation', () => {
    const { driver, qemu, container, call } = rig();
    driver.map(call.begin(0), 0x10_0000, 0x40_0000, 64 * KiB, true);
    driver.unmap(call.begin(0), 0x10_0000, 64 * KiB);
    expect(qemu.exits).toBe(1);
    expect(container.entries).toBe(16);
    expect(driver.shadow.staleLeaves).toBe(16);
    driver.iotlbSync(call.begin(0), 0x10_0000, 64 * KiB);
    expect(qemu.exits).toBe(2);
    expect(qemu.vfioUnmapCalls).toBe(16);
    expect(container.entries).toBe(0);
    expect(driver.shadow.staleLeaves).toBe(0);
    expect(metrics(driver)['viommu.staleMappingsPeak']).toBe(16);
  });

  it('an UNMAP for a range QEMU never mapped is skipped (no ioctl)', () => {
    const { driver, qemu, call } = rig();
    driver.iotlbSync(call.begin(0), 0x10_0000, 64 * KiB);
    expect(qemu.exits).toBe(1);
    expect(qemu.vfioUnmapCalls + qemu.vfioMapCalls).toBe(0);
  });

  it('an identical leaf is not mapped again: unmap + identical re-map before any walk issues no ioctl', () => {
    const { driver, qemu, call } = rig();
    driver.map(call.begin(0), 0x10_0000, 0x40_0000, 4 * KiB, true);
    driver.unmap(call.begin(0), 0x10_0000, 4 * KiB);
    driver.map(call.begin(0), 0x10_0000, 0x40_0000, 4 * KiB, true);
    expect(qemu.vfioMapCalls).toBe(1);
    expect(qemu.vfioUnmapCalls).toBe(0);
    expect(driver.shadow.dedupedMaps).toBe(1);
    expect(driver.checkInvariants()).toEqual([]);
  });

  it('a PSI widened over already shadowed neighbours maps only the new leaves', () => {
    const { driver, qemu, call } = rig();
    driver.map(call.begin(0), 0x4000, 0x40_4000, 4 * KiB, true);
    // Pages 5..6 are not 2-page aligned: the PSI covers pages 4..7 (mask 2) and walks page 4 again.
    driver.map(call.begin(0), 0x5000, 0x40_5000, 8 * KiB, true);
    expect(qemu.vfioMapCalls).toBe(3);
    expect(driver.shadow.dedupedMaps).toBe(1);
  });

  it('a changed translation becomes UNMAP of the new leaf span + MAP', () => {
    const { driver, qemu, container, call } = rig();
    driver.map(call.begin(0), 0x10_0000, 0x40_0000, 4 * KiB, true);
    driver.unmap(call.begin(0), 0x10_0000, 4 * KiB);
    driver.map(call.begin(0), 0x10_0000, 0x50_0000, 4 * KiB, true);
    expect(qemu.vfioUnmapCalls).toBe(1);
    expect(qemu.vfioMapCalls).toBe(2);
    expect(container.entries).toBe(1);
    expect(driver.shadow.entryAt(0x10_0000)?.gpa).toBe(0x50_0000);
  });

  it('a cleared page-table page is one UNMAP of its whole 2 MiB span (QEMU coalesces there only)', () => {
    const { driver, qemu, container, call } = rig();
    driver.map(call.begin(0), 4 * MiB, 0x10_1000, 2 * MiB, true); // 512 leaves of 4 KiB
    expect(container.entries).toBe(512);
    driver.unmap(call.begin(0), 4 * MiB, 2 * MiB); // covers the whole level-1 table: freed
    driver.iotlbSync(call.begin(0), 4 * MiB, 2 * MiB);
    expect(qemu.vfioUnmapCalls).toBe(1);
    expect(container.entries).toBe(0);
  });

  it('the UNMAP span of a non-present directory entry is not clipped to the invalidated range', () => {
    const { driver, qemu, container, call } = rig();
    driver.map(call.begin(0), 4 * MiB, 0x10_1000, 2 * MiB, true);
    driver.unmap(call.begin(0), 4 * MiB, 2 * MiB);
    driver.iotlbSync(call.begin(0), 4 * MiB + 64 * KiB, 4 * KiB);
    expect(qemu.vfioUnmapCalls).toBe(1);
    expect(container.entries).toBe(0);
  });

  it('a page-selective walk reads one PTE per level above the leaves (4 levels at aw 48, 3 at aw 39)', () => {
    const a = rig();
    a.driver.map(a.call.begin(0), 0x10_0000, 0x40_0000, 4 * KiB, true);
    expect(a.driver.shadow.ptesWalked).toBe(4);
    const b = rig({ awBits: 39 });
    b.driver.map(b.call.begin(0), 0x10_0000, 0x40_0000, 64 * KiB, true);
    expect(b.driver.shadow.ptesWalked).toBe(2 + 16);
  });

  it('a domain-selective invalidation walks every entry of every table (512 per table) and drops all stale leaves', () => {
    const { driver, qemu, container, call } = rig();
    driver.map(call.begin(0), 0x10_0000, 0x40_0000, 64 * KiB, true);
    driver.map(call.begin(0), 3 * GiB, 0x80_0000, 4 * KiB, true);
    driver.unmap(call.begin(0), 0x10_0000, 64 * KiB);
    const before = driver.shadow.ptesWalked;
    driver.flushIotlbAll(call.begin(0));
    // root + one level-3 table + two level-2 tables + two level-1 tables
    expect(driver.shadow.ptesWalked - before).toBe(512 * 6);
    expect(driver.dsiInvalidations).toBe(1);
    expect(qemu.vfioUnmapCalls).toBe(16);
    expect(container.entries).toBe(1);
    expect(driver.shadow.fullWalks).toBe(1);
  });

  it('QEMU updates its tree even when the VFIO ioctl fails (errors are only logged)', () => {
    const { driver, qemu, container, call } = rig({}, { limit: 4 });
    driver.map(call.begin(0), 0x10_0000, 0x40_0000, 32 * KiB, true);
    expect(call.errno).toBe(0);
    expect(container.entries).toBe(4);
    expect(qemu.vfioMapFailures).toBe(4);
    expect(qemu.vfioErrors.get('ENOSPC')).toBe(4);
    expect(driver.shadow.entries).toBe(8);
  });

  it('records a domain invalidation on the vIOMMU lane as the cause of its trap', () => {
    const { driver, timeline, call } = rig();
    driver.flushIotlbAll(call.begin(0));
    const cols = timeline.columns();
    const names = [...cols.kind].map((k) => cols.kinds[k]!.name);
    expect(names).toEqual(['vtd.invalidate.domain', 'qemu.trap']);
    expect(cols.cause[1]).toBe(0);
    expect(cols.dur[0]).toBeGreaterThan(0);
  });
});

describe('intel-iommu guest driver: failures', () => {
  it('a failed page-table allocation fails the map with ENOMEM and changes nothing', () => {
    const { driver, qemu, call } = rig({}, { faults: new FaultInjector(2) });
    const before = driver.snapshot();
    driver.map(call.begin(0), 0x10_0000, 0x40_0000, 4 * KiB, true);
    expect(call.errno).toBe(ENOMEM);
    expect(driver.snapshot()).toEqual(before);
    expect(qemu.exits).toBe(0);
    expect(driver.mapFailures).toBe(1);
  });

  it('QEMU refuses device assignment behind intel-iommu without caching mode', () => {
    const r = loadScenario({ value: { name: 'x' } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const base = r.scenario.vms[0]!;
    const good = { ...base, viommu: { ...base.viommu, model: 'intel-iommu' as const } };
    const bad = { ...good, viommu: { ...good.viommu, intel: { ...good.viommu.intel, cachingMode: false } } };
    expect(intelIommuAssignmentProblem(bad, bad.devices)).toMatch(/caching-mode=on/);
    expect(intelIommuAssignmentProblem(bad, [])).toBeNull();
    expect(intelIommuAssignmentProblem(good, good.devices)).toBeNull();
    expect(intelIommuAssignmentProblem({ ...bad, viommu: { ...bad.viommu, model: 'virtio-iommu' } }, bad.devices)).toBeNull();
  });

  it('caching mode makes the guest kernel strict by default (IOMMU batching disallowed due to virtualization)', () => {
    expect(rig().driver.forcesStrict).toBe(true);
    expect(rig({ cachingMode: false }).driver.forcesStrict).toBe(false);
    const r = loadScenario({ value: { name: 'x' } });
    if (!r.ok) throw new Error(r.problems.join('; '));
    const base = r.scenario.vms[0]!;
    const intel = { ...base, viommu: { ...base.viommu, model: 'intel-iommu' as const } };
    expect(intelIommuForcesStrict(intel)).toBe(true);
    expect(intelIommuForcesStrict({ ...intel, viommu: { ...intel.viommu, model: 'virtio-iommu' } })).toBe(false);
  });

  it('scenario defaults: caching mode on, aw-bits 48, 2 MiB and 1 GiB superpages', () => {
    const r = loadScenario({ value: { name: 'x' } });
    expect(r.ok).toBe(true);
    if (r.ok)
      expect(r.scenario.vms[0]!.viommu.intel).toEqual({
        cachingMode: true,
        awBits: 48,
        cachingModeForcesStrict: true,
        superpages: '2m+1g',
      });
  });
});
