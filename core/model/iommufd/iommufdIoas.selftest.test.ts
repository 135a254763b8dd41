// The IOAS checks of tools/testing/selftests/iommu/iommufd.c (the area,
// unmap_fully_contained_areas, area_auto_iova, area_allowed, copy_area, iova_ranges,
// ioas_option_huge_pages, ioas_iova_alloc, ioas_align_change, copy_sweep and all_aligns tests),
// re-run against the model with the selftest's mock domain: aperture [1<<24, (1<<31)-1],
// MOCK_PAGE_SIZE = PAGE_SIZE / 2, a 16-page buffer. Each block runs for the no_domain and the
// mock_domain variants where the selftest does.
import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { EADDRINUSE, EEXIST, EINVAL, EMSGSIZE, ENOENT, OK } from '../base/errno';
import type { IommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import { lowestSetBit, U64_END } from '../base/bits';
import { IommufdContext } from './iommufdContext';
import { IOMMU_IOAS_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE, type IommufdIoas } from './iommufdIoas';

const P = PAGE_SIZE;
const MOCK_PAGE_SIZE = P / 2;
const MOCK_APERTURE_START = 1 << 24;
const MOCK_APERTURE_LAST = 2 ** 31 - 1;
const HUGEPAGE_SIZE = 2 * 1024 * 1024;
const BUFFER_SIZE = 16 * P;
const buffer = 0x7f00_0000_0000; // HUGEPAGE_SIZE aligned, like posix_memalign(HUGEPAGE_SIZE)
const MOCK: IommuGeometry = {
  apertureStart: MOCK_APERTURE_START,
  apertureLast: MOCK_APERTURE_LAST,
  pageSizes: [MOCK_PAGE_SIZE],
  reserved: [],
};
const COPY_FIXED = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
const costs = resolveCostTable();

type Variant = 'no_domain' | 'mock_domain';

function fixture(variant: Variant) {
  const process = new HostProcess({ memlockBytes: null, capIpcLock: false, backing: 'thp', userAddressEnd: 2 ** 47 });
  const ctx = new IommufdContext({ process, costs, faults: new FaultInjector(), dmaWindows: false, maxAutoAlignBytes: HUGEPAGE_SIZE });
  const ioas = ctx.ioasInstall('ioas');
  let baseIova = 0;
  if (variant === 'mock_domain') {
    expect(ctx.attach(ioas, 'mock', MOCK)).toBe(OK);
    baseIova = MOCK_APERTURE_START;
  }
  return { process, ctx, ioas, baseIova, hasDomain: variant === 'mock_domain' };
}

const VARIANTS: Variant[] = ['no_domain', 'mock_domain'];

describe.each(VARIANTS)('selftest iommufd_ioas (%s)', (variant) => {
  it('area (items 8-10): unmap of nothing ENOENT, no split, over-map EEXIST, unmap-all also when empty', () => {
    const { ioas, baseIova } = fixture(variant);
    for (let i = 0; i < 10; i++) expect(ioas.unmap(i * P, P)).toBe(ENOENT);
    for (let i = 0; i < 10; i++) expect(ioas.mapFixed(baseIova + i * P, buffer, P)).toBe(OK);
    for (let i = 0; i < 10; i++) expect(ioas.unmap(baseIova + i * P, P)).toBe(OK);
    expect(ioas.mapFixed(baseIova + 16 * P, buffer, 2 * P)).toBe(OK);
    expect(ioas.unmap(baseIova + 16 * P, P)).toBe(ENOENT);
    expect(ioas.unmap(baseIova + 17 * P, P)).toBe(ENOENT);
    expect(ioas.mapFixed(baseIova + 16 * P, buffer, 2 * P)).toBe(EEXIST);
    expect(ioas.mapFixed(baseIova + 16 * P, buffer, P)).toBe(EEXIST);
    expect(ioas.mapFixed(baseIova + 17 * P, buffer, P)).toBe(EEXIST);
    expect(ioas.mapFixed(baseIova + 15 * P, buffer, 2 * P)).toBe(EEXIST);
    expect(ioas.mapFixed(baseIova + 15 * P, buffer, 3 * P)).toBe(EEXIST);
    expect(ioas.unmap(0, U64_END)).toBe(OK);
    expect(ioas.unmap(0, U64_END)).toBe(OK);
  });

  it('unmap_fully_contained_areas (item 11): a clipping range is ENOENT, a superset unmaps 32 pages', () => {
    const { ioas, baseIova: base0 } = fixture(variant);
    const baseIova = base0 + 4 * P;
    for (let i = 0; i < 4; i++) expect(ioas.mapFixed(baseIova + i * 16 * P, buffer, 8 * P)).toBe(OK);
    expect(ioas.unmap(baseIova - 4 * P, 8 * P)).toBe(ENOENT);
    expect(ioas.unmap(baseIova + 3 * 16 * P + 8 * P - 4 * P, 8 * P)).toBe(ENOENT);
    expect(ioas.unmap(baseIova - 4 * P, 3 * 16 * P + 8 * P + 4 * P)).toBe(OK);
    expect(ioas.lastUnmappedBytes).toBe(32 * P);
  });

  it('area_auto_iova (items 12-13): aligned to the lowest bit of the length, avoids [4p, 104p), stays in the allowed range', () => {
    const { ioas, hasDomain } = fixture(variant);
    const iovas: number[] = [];
    for (let i = 0; i < 10; i++) {
      expect(ioas.mapAuto(buffer, P)).toBe(OK);
      iovas.push(ioas.lastIova);
    }
    for (const iova of iovas) expect(ioas.unmap(iova, P)).toBe(OK);
    iovas.length = 0;
    for (let i = 0; i < 10; i++) {
      const length = P * (i + 1);
      expect(ioas.mapAuto(hasDomain ? buffer : 2 ** 31, length)).toBe(OK);
      expect(ioas.lastIova % lowestSetBit(length)).toBe(0);
      iovas.push(ioas.lastIova);
    }
    iovas.forEach((iova, i) => expect(ioas.unmap(iova, P * (i + 1))).toBe(OK));
    iovas.length = 0;
    expect(ioas.reserveIova(4 * P, 100 * P)).toBe(OK);
    for (let i = 0; i < 10; i++) {
      const length = P * (i + 1);
      expect(ioas.mapAuto(buffer, length)).toBe(OK);
      expect(ioas.lastIova % lowestSetBit(length)).toBe(0);
      expect(ioas.lastIova > 4 * P && ioas.lastIova < 104 * P).toBe(false);
      iovas.push(ioas.lastIova);
    }
    iovas.forEach((iova, i) => expect(ioas.unmap(iova, P * (i + 1))).toBe(OK));
    iovas.length = 0;
    expect(ioas.allowIovas([{ start: P, last: 600 * P }])).toBe(EADDRINUSE);
    const range = hasDomain
      ? { start: MOCK_APERTURE_START + P, last: MOCK_APERTURE_START + 600 * P - 1 }
      : { start: 200 * P, last: 600 * P - 1 };
    expect(ioas.allowIovas([range])).toBe(OK);
    for (let i = 0; i < 10; i++) {
      const length = P * (i + 1);
      expect(ioas.mapAuto(buffer, length)).toBe(OK);
      const iova = ioas.lastIova;
      expect(iova % lowestSetBit(length)).toBe(0);
      expect(iova >= range.start && iova + length <= range.last + 1).toBe(true);
      iovas.push(iova);
    }
    iovas.forEach((iova, i) => expect(ioas.unmap(iova, P * (i + 1))).toBe(OK));
  });

  it('area_allowed (item 14): reserving inside an allowed range and allowing over a reserved one are EADDRINUSE', () => {
    const { ioas, baseIova } = fixture(variant);
    const range = { start: baseIova, last: baseIova + 600 * P };
    expect(ioas.allowIovas([range])).toBe(OK);
    expect(ioas.reserveIova(range.start + P, P)).toBe(EADDRINUSE);
    expect(ioas.allowIovas([])).toBe(OK);
    expect(ioas.reserveIova(range.start + P, P)).toBe(OK);
    expect(ioas.allowIovas([range])).toBe(EADDRINUSE);
  });

  it('copy_area (item 15): copy inside one IOAS and into another', () => {
    const { ctx, ioas, baseIova } = fixture(variant);
    expect(ioas.mapFixed(baseIova, buffer, P)).toBe(OK);
    expect(ioas.copyFrom(ioas, COPY_FIXED, baseIova, P, baseIova + P)).toBe(OK);
    const dst = ctx.ioasInstall('dst');
    expect(dst.copyFrom(ioas, COPY_FIXED, baseIova, P, 0)).toBe(OK);
  });

  it('iova_ranges (items 16-17): one range, EMSGSIZE with the count, two ranges around a reservation', () => {
    const { ioas, hasDomain } = fixture(variant);
    expect(ioas.iovaRanges()).toBe(OK);
    expect(ioas.lastIovaRangeCount).toBe(1);
    if (!hasDomain) {
      expect(ioas.lastIovaRanges).toEqual([{ start: 0, end: U64_END }]);
      expect(ioas.lastIovaAlignment).toBe(1);
    } else {
      expect(ioas.lastIovaRanges).toEqual([{ start: MOCK_APERTURE_START, end: MOCK_APERTURE_LAST + 1 }]);
      expect(ioas.lastIovaAlignment).toBe(MOCK_PAGE_SIZE);
    }
    expect(ioas.iovaRanges(0)).toBe(EMSGSIZE);
    expect(ioas.lastIovaRangeCount).toBe(1);
    expect(ioas.reserveIova(P, P)).toBe(OK);
    expect(ioas.iovaRanges()).toBe(OK);
    if (!hasDomain) {
      expect(ioas.lastIovaRanges).toEqual([
        { start: 0, end: P },
        { start: 2 * P, end: U64_END },
      ]);
      expect(ioas.iovaRanges(1)).toBe(EMSGSIZE);
      expect(ioas.lastIovaRangeCount).toBe(2);
      expect(ioas.lastIovaRanges).toEqual([{ start: 0, end: P }]);
    } else {
      expect(ioas.lastIovaRangeCount).toBe(1);
      expect(ioas.iovaRanges(1)).toBe(OK);
    }
  });

  it('ioas_option_huge_pages (item 21): default on, 0 reads back off, 2 is EINVAL, 1 restores', () => {
    const { ioas } = fixture(variant);
    expect(ioas.hugePages).toBe(true);
    expect(ioas.setHugePagesOption(0)).toBe(OK);
    expect(ioas.hugePages).toBe(false);
    expect(ioas.setHugePagesOption(2)).toBe(EINVAL);
    expect(ioas.setHugePagesOption(1)).toBe(OK);
  });

  it('ioas_iova_alloc (item 22): with the mock domain a length not a multiple of MOCK_PAGE_SIZE is EINVAL', () => {
    const { ioas, hasDomain } = fixture(variant);
    for (let length = 1; length !== 2 * P; length++) {
      if (hasDomain && length % MOCK_PAGE_SIZE !== 0) {
        expect(ioas.mapAuto(buffer, length)).toBe(EINVAL);
      } else {
        expect(ioas.mapAuto(buffer, length)).toBe(OK);
        expect(ioas.unmap(ioas.lastIova, length)).toBe(OK);
      }
    }
  });

  it('copy_sweep (item 24): 511-byte steps; ranges outside the mapping are ENOENT', () => {
    const { ctx, ioas, hasDomain } = fixture(variant);
    const dst: IommufdIoas = ctx.ioasInstall('dst');
    const lastIova = hasDomain ? MOCK_APERTURE_START + BUFFER_SIZE - 1 : MOCK_APERTURE_START + BUFFER_SIZE - 2;
    expect(ioas.mapFixed(MOCK_APERTURE_START, buffer, lastIova - MOCK_APERTURE_START + 1)).toBe(OK);
    for (let iova = MOCK_APERTURE_START - P; iova <= lastIova; iova += 511) {
      const rc = dst.copyFrom(ioas, COPY_FIXED, iova, MOCK_PAGE_SIZE, MOCK_APERTURE_START);
      if (iova < MOCK_APERTURE_START || iova + MOCK_PAGE_SIZE - 1 > lastIova) {
        expect(rc).toBe(ENOENT);
      } else {
        expect(rc).toBe(OK);
        expect(dst.unmap(MOCK_APERTURE_START, MOCK_PAGE_SIZE)).toBe(OK);
      }
    }
    expect(ctx.checkInvariants()).toEqual([]);
  });
});

describe('selftest ioas_align_change (item 23, no_domain)', () => {
  it('misaligned maps are refused after HUGE_PAGES=0, and raising the alignment over one is EADDRINUSE', () => {
    const { ioas } = fixture('no_domain');
    expect(ioas.mapFixed(MOCK_APERTURE_START, buffer, P)).toBe(OK);
    expect(ioas.setHugePagesOption(0)).toBe(OK);
    expect(ioas.mapFixed(MOCK_APERTURE_START + P, buffer + MOCK_PAGE_SIZE, P)).toBe(EINVAL);
    expect(ioas.setHugePagesOption(0)).toBe(OK);
    expect(ioas.setHugePagesOption(1)).toBe(OK);
    expect(ioas.mapFixed(MOCK_APERTURE_START + P, buffer + MOCK_PAGE_SIZE, P)).toBe(OK);
    expect(ioas.setHugePagesOption(0)).toBe(EADDRINUSE);
    expect(ioas.unmap(MOCK_APERTURE_START + P, P)).toBe(OK);
    expect(ioas.unmap(MOCK_APERTURE_START, P)).toBe(OK);
  });
});

describe('selftest iommufd_mock_domain all_aligns (item 26)', () => {
  it('maps every MOCK_PAGE_SIZE start and length, pins the pages spanned once, and drops every pin', () => {
    const { process, ctx, ioas } = fixture('mock_domain');
    const bufSize = 8 * P;
    for (let start = 0; start < bufSize; start += MOCK_PAGE_SIZE) {
      for (let end = start + MOCK_PAGE_SIZE; end < bufSize; end += MOCK_PAGE_SIZE) {
        const length = end - start;
        expect(ioas.mapAuto(buffer + start, length)).toBe(OK);
        const firstPage = Math.floor(start / P);
        const endPage = Math.ceil(end / P);
        expect(process.lockedPages).toBe(endPage - firstPage);
        expect(ioas.unmap(ioas.lastIova, length)).toBe(OK);
      }
      expect(process.lockedPages).toBe(0);
      expect([...ctx.account.pagesObjects()]).toEqual([]);
    }
    expect(ctx.checkInvariants()).toEqual([]);
  });
});
