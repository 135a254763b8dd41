import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { EEXIST, EINVAL, ENOENT, ENOMEM, EOVERFLOW, OK } from '../base/errno';
import { defaultIommuGeometry, type IommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import { U64_END } from '../base/bits';
import { IOMMUFD_COMPAT_DMA_AVAIL, IommufdVfioCompat } from './iommufdVfioCompat';
import {
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_VADDR,
  VFIO_DMA_MAP_FLAG_WRITE,
  VFIO_DMA_UNMAP_FLAG_ALL,
  VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
  VFIO_IOMMU_INFO_CAPS,
  VFIO_IOMMU_INFO_PGSIZES,
} from '../vfio/vfioContainerApi';

const P = PAGE_SIZE;
const MiB = 1024 * 1024;
const RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
const BUF = 0x7f00_0000_0000;
const costs = resolveCostTable();
const MOCK: IommuGeometry = { apertureStart: 1 << 24, apertureLast: 2 ** 31 - 1, pageSizes: [P / 2], reserved: [] };

function compat(
  version: 'type1v1' | 'type1v2',
  geometry: IommuGeometry = MOCK,
  opts: { memlockBytes?: number | null; faults?: FaultInjector } = {},
) {
  const process = new HostProcess({ memlockBytes: opts.memlockBytes ?? null, capIpcLock: false, backing: 'thp', userAddressEnd: 2 ** 47 });
  const c = new IommufdVfioCompat('c0', {
    process,
    costs,
    faults: opts.faults ?? new FaultInjector(),
    geometry,
    version,
    maxAutoAlignBytes: 2 * MiB,
  });
  expect(c.attachDevice('dev0')).toBe(OK);
  return { process, c };
}

function noChange(c: IommufdVfioCompat, call: () => number, errno: number): void {
  const before = JSON.stringify(c.snapshot());
  expect(call()).toBe(errno);
  expect(JSON.stringify(c.snapshot())).toBe(before);
  expect(c.checkInvariants()).toEqual([]);
}

const START = 1 << 24;

describe('VFIO compat MAP_DMA (iommufd_vfio_map_dma)', () => {
  it('maps at the fixed iova and pins like IOAS_MAP', () => {
    const { process, c } = compat('type1v2');
    expect(c.mapDma(START, BUF, 16 * P, RW)).toBe(OK);
    expect(c.entries).toBe(1);
    expect(process.lockedPages).toBe(16);
  });
  it('flags other than READ|WRITE are EINVAL, VADDR included', () => {
    const { c } = compat('type1v2');
    noChange(c, () => c.mapDma(START, BUF, P, RW | VFIO_DMA_MAP_FLAG_VADDR), EINVAL);
    noChange(c, () => c.mapDma(START, BUF, P, RW | (1 << 31)), EINVAL);
  });
  it('no READ/WRITE is accepted (type1 answers EINVAL)', () => {
    const { c } = compat('type1v2');
    expect(c.mapDma(START, BUF, P, 0)).toBe(OK);
  });
  it('overlap is EEXIST and outside the aperture EINVAL', () => {
    const { c } = compat('type1v2');
    expect(c.mapDma(START, BUF, 2 * P, RW)).toBe(OK);
    noChange(c, () => c.mapDma(START + P, BUF, 2 * P, RW), EEXIST);
    noChange(c, () => c.mapDma(START - 2 * P, BUF, P, RW), EINVAL);
  });
  it('a wrapping range is EOVERFLOW (type1: EINVAL)', () => {
    const { c } = compat('type1v2', { ...MOCK, apertureLast: U64_END });
    noChange(c, () => c.mapDma(U64_END - P, BUF, 2 * P, RW), EOVERFLOW);
  });
  it('has no entry limit: many small maps all succeed', () => {
    const { c } = compat('type1v2');
    for (let i = 0; i < 1000; i++) expect(c.mapDma(START + i * P, BUF + i * P, P, RW)).toBe(OK);
    expect(c.entries).toBe(1000);
  });
  it('over RLIMIT_MEMLOCK is ENOMEM and changes nothing', () => {
    const { c } = compat('type1v2', MOCK, { memlockBytes: 4 * P });
    noChange(c, () => c.mapDma(START, BUF, 8 * P, RW), ENOMEM);
  });
});

describe('VFIO compat UNMAP_DMA (iommufd_vfio_unmap_dma)', () => {
  it('flags other than ALL are EINVAL (dirty bitmap included)', () => {
    const { c } = compat('type1v2');
    noChange(c, () => c.unmapDma(START, P, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP), EINVAL);
    noChange(c, () => c.unmapDma(START, P, 1 << 31), EINVAL);
  });
  it('UNMAP_FLAG_ALL needs iova = size = 0 (item 31); 0/0 removes everything', () => {
    const { c } = compat('type1v2');
    expect(c.mapDma(START, BUF, 16 * P, RW)).toBe(OK);
    noChange(c, () => c.unmapDma(START, 16 * P, VFIO_DMA_UNMAP_FLAG_ALL), EINVAL);
    expect(c.unmapDma(0, 0, VFIO_DMA_UNMAP_FLAG_ALL)).toBe(OK);
    expect(c.lastUnmappedBytes).toBe(16 * P);
    expect(c.entries).toBe(0);
  });
  it('simple map/unmap returns the size; small pages unmap one by one (item 31)', () => {
    const { c } = compat('type1v2');
    expect(c.mapDma(START, BUF, 16 * P, RW)).toBe(OK);
    expect(c.unmapDma(START, 16 * P, 0)).toBe(OK);
    expect(c.lastUnmappedBytes).toBe(16 * P);
    for (let i = 0; i < 16; i++) expect(c.mapDma(START + i * P, BUF + i * P, P, RW)).toBe(OK);
    for (const i of [3, 15, 0, 7, 12, 1, 9, 4, 14, 2, 11, 6, 13, 8, 5, 10]) expect(c.unmapDma(START + i * P, P, 0)).toBe(OK);
    expect(c.entries).toBe(0);
  });
  it('an empty range succeeds with 0 bytes (only IOAS_UNMAP turns it into ENOENT)', () => {
    const { c } = compat('type1v2');
    expect(c.unmapDma(START, P, 0)).toBe(OK);
    expect(c.lastUnmappedBytes).toBe(0);
  });
  it('v2: an unmap that would split a mapping is ENOENT, where real type1 v2 says EINVAL (item 32)', () => {
    const { c } = compat('type1v2');
    expect(c.mapDma(START, BUF, 2 * MiB * 2, RW)).toBe(OK);
    noChange(c, () => c.unmapDma(START + (4 * MiB) / 16, (4 * MiB) / 16, 0), ENOENT);
  });
  it('v1: unmaps of 1/16 of a huge mapping all succeed in any order, cutting areas (item 32)', () => {
    const { process, c } = compat('type1v1');
    const size = 4 * MiB;
    expect(c.mapDma(START, BUF, size, RW)).toBe(OK);
    const step = size / 16;
    for (const i of [5, 0, 15, 8, 3, 12, 1, 10, 14, 6, 2, 9, 13, 4, 11, 7]) {
      expect(c.unmapDma(START + i * step, step, 0)).toBe(OK);
      expect(c.lastUnmappedBytes).toBe(step);
      expect(c.checkInvariants()).toEqual([]);
    }
    expect(c.entries).toBe(0);
    expect(process.lockedPages).toBe(0);
  });
  it('v1 maps use PAGE_SIZE IOPTEs only (large pages disabled)', () => {
    const { c } = compat('type1v1', defaultIommuGeometry('x86_64'));
    expect(c.mapDma(2 * MiB, BUF, 2 * MiB, RW)).toBe(OK);
    expect(c.ioas.domains.list[0]!.domain.livePtes).toBe(512);
  });
  it('v1: a cut not aligned to the IOAS alignment is EINVAL and changes nothing', () => {
    const { c } = compat('type1v1');
    expect(c.mapDma(START, BUF, 4 * P, RW)).toBe(OK);
    noChange(c, () => c.unmapDma(START + 512, P, 0), EINVAL);
  });
  it('v1: a failed area allocation while cutting is ENOMEM and changes nothing', () => {
    const clean = new FaultInjector();
    compat('type1v1', MOCK, { faults: clean }).c.mapDma(START, BUF, 4 * P, RW);
    const f = new FaultInjector(clean.sitesReached + 1);
    const { c } = compat('type1v1', MOCK, { faults: f });
    expect(c.mapDma(START, BUF, 4 * P, RW)).toBe(OK);
    noChange(c, () => c.unmapDma(START + P, P, 0), ENOMEM);
  });
  it('size 0 is EINVAL', () => {
    const { c } = compat('type1v2');
    noChange(c, () => c.unmapDma(START, 0, 0), EINVAL);
  });
});

describe('VFIO compat GET_INFO (iommufd_vfio_iommu_get_info, item 33)', () => {
  it('reports PGSIZES|CAPS, the IOVA range of the aperture and DMA_AVAIL = U32_MAX', () => {
    const { c } = compat('type1v2');
    const info = c.getInfo();
    expect(info.flags).toBe(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
    expect(info.iovaRanges).toEqual([{ start: 1 << 24, end: 2 ** 31 - 1 }]);
    expect(info.dmaAvail).toBe(IOMMUFD_COMPAT_DMA_AVAIL);
    expect(info.iovaPgsizes).not.toBe(0);
  });
  it('DMA_AVAIL does not shrink as mappings are made', () => {
    const { c } = compat('type1v2');
    expect(c.mapDma(START, BUF, P, RW)).toBe(OK);
    expect(c.getInfo().dmaAvail).toBe(0xffffffff);
  });
  it('page sizes: the AND of the domains, sub-page sizes folded into PAGE_SIZE', () => {
    expect(compat('type1v2').c.getInfo().iovaPgsizes).toBe(P);
    const x86 = compat('type1v2', defaultIommuGeometry('x86_64')).c;
    expect(x86.getInfo().iovaPgsizes).toBe(P + 2 * MiB + 1024 * MiB);
    expect(x86.attachDevice('dev1')).toBe(OK);
    const other = new IommufdVfioCompat('c1', {
      process: new HostProcess({ memlockBytes: null, capIpcLock: false, backing: 'thp', userAddressEnd: 2 ** 47 }),
      costs,
      faults: new FaultInjector(),
      geometry: defaultIommuGeometry('x86_64'),
      version: 'type1v2',
      maxAutoAlignBytes: 2 * MiB,
    });
    expect(other.getInfo().iovaPgsizes).toBe(U64_END - P);
  });
  it('x86: the IOVA ranges skip the MSI window', () => {
    const { c } = compat('type1v2', defaultIommuGeometry('x86_64'));
    expect(c.getInfo().iovaRanges).toEqual([
      { start: 0, end: 0xfedfffff },
      { start: 0xfef00000, end: 2 ** 48 - 1 },
    ]);
  });
});

describe('what a device DMA reaches through the compat container (translates)', () => {
  it('covers exactly the mapped areas, across adjacent ones, not a byte beyond', () => {
    const { c } = compat('type1v2');
    expect(c.mapDma(START, BUF, 4 * P, RW)).toBe(OK);
    expect(c.mapDma(START + 4 * P, BUF + 4 * P, 2 * P, RW)).toBe(OK);
    expect(c.translates(START, 6 * P)).toBe(true);
    expect(c.translates(START + 3 * P, 2 * P)).toBe(true);
    expect(c.translates(START, 6 * P + 1)).toBe(false);
    expect(c.translates(START - 1, 1)).toBe(false);
    expect(c.unmapDma(START + 4 * P, 2 * P, 0)).toBe(OK);
    expect(c.translates(START, 5 * P)).toBe(false);
  });
});
