import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { EEXIST, EFAULT, EINVAL, ENOMEM, ENOSPC, EOPNOTSUPP, EOVERFLOW, OK } from '../base/errno';
import { defaultIommuGeometry, type IommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import { IommufdContext } from './iommufdContext';
import { IOMMU_IOAS_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE, type IommufdIoas } from './iommufdIoas';
import { U64_END } from '../base/bits';

const MiB = 1024 * 1024;
const P = PAGE_SIZE;
const costs = resolveCostTable();
const RW = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
const FIXED = IOMMU_IOAS_MAP_FIXED_IOVA;
const BUF = 0x7f00_0000_0000; // 2 MiB aligned user buffer
const x86 = defaultIommuGeometry('x86_64');

function setup(
  opts: { memlockBytes?: number | null; domain?: IommuGeometry | null; backing?: '4k' | 'thp'; maxAutoAlignBytes?: number } = {},
) {
  const process = new HostProcess({
    memlockBytes: opts.memlockBytes ?? null,
    capIpcLock: false,
    backing: opts.backing ?? 'thp',
    userAddressEnd: 2 ** 47,
  });
  const ctx = new IommufdContext({
    process,
    costs,
    faults: new FaultInjector(),
    dmaWindows: false,
    maxAutoAlignBytes: opts.maxAutoAlignBytes ?? 2 * MiB,
  });
  expect(ctx.ioasAlloc('a')).toBe(OK);
  const ioas = ctx.ioasByName('a')!;
  const domain = opts.domain === undefined ? x86 : opts.domain;
  if (domain !== null) expect(ctx.attach(ioas, 'dev', domain)).toBe(OK);
  return { process, ctx, ioas };
}

function noChange(ctx: IommufdContext, call: () => number, errno: number): void {
  const before = JSON.stringify(ctx.snapshot());
  expect(call()).toBe(errno);
  expect(JSON.stringify(ctx.snapshot())).toBe(before);
  expect(ctx.checkInvariants()).toEqual([]);
}

describe('IOMMU_IOAS_MAP argument checks (iommufd_ioas_map)', () => {
  it('unknown flags are EOPNOTSUPP', () => {
    const { ctx, ioas } = setup();
    noChange(ctx, () => ioas.map(RW | FIXED | (1 << 3), P * 16, BUF, P), EOPNOTSUPP);
  });
  it('iova or length of ULONG_MAX or more is EOVERFLOW', () => {
    const { ctx, ioas } = setup();
    noChange(ctx, () => ioas.map(RW | FIXED, U64_END, BUF, P), EOVERFLOW);
    noChange(ctx, () => ioas.map(RW, 0, BUF, U64_END), EOVERFLOW);
  });
  it('no READABLE or WRITEABLE is EINVAL', () => {
    const { ctx, ioas } = setup();
    noChange(ctx, () => ioas.map(FIXED, P * 16, BUF, P), EINVAL);
  });
  it('length 0 is EINVAL', () => {
    const { ctx, ioas } = setup();
    noChange(ctx, () => ioas.mapFixed(P * 16, BUF, 0), EINVAL);
  });
  it('length not a multiple of the IOAS alignment is EINVAL', () => {
    const { ctx, ioas } = setup();
    noChange(ctx, () => ioas.mapFixed(P * 16, BUF, P + 512), EINVAL);
    noChange(ctx, () => ioas.mapAuto(BUF, P + 512), EINVAL);
  });
  it('a user range that wraps past 2^64 is EOVERFLOW (iopt_alloc_user_pages)', () => {
    const { ctx, ioas } = setup();
    noChange(ctx, () => ioas.mapFixed(P * 16, U64_END - P, 2 * P), EOVERFLOW);
  });
});

describe('IOMMU_IOAS_MAP at a fixed IOVA (iopt_check_iova)', () => {
  it('maps and reports the IOVA', () => {
    const { ioas } = setup();
    expect(ioas.mapFixed(P * 16, BUF, 4 * P)).toBe(OK);
    expect(ioas.lastIova).toBe(P * 16);
    expect(ioas.areaCount).toBe(1);
  });
  it('an IOVA not aligned to the IOAS alignment is EINVAL', () => {
    const { ctx, ioas } = setup();
    noChange(ctx, () => ioas.mapFixed(P * 16 + 512, BUF, P), EINVAL);
  });
  it('a range wrapping past 2^64 is EOVERFLOW', () => {
    const { ctx, ioas } = setup({ domain: null });
    noChange(ctx, () => ioas.mapFixed(U64_END - P, BUF, 2 * P), EOVERFLOW);
  });
  it('a range touching a reserved range is EINVAL (x86 MSI window)', () => {
    const { ctx, ioas } = setup();
    noChange(ctx, () => ioas.mapFixed(0xfee00000 - P, BUF, 2 * P), EINVAL);
  });
  it('a range outside the aperture is EINVAL (the outside is reserved)', () => {
    const { ctx, ioas } = setup();
    noChange(ctx, () => ioas.mapFixed(2 ** 48, BUF, P), EINVAL);
  });
  it('a range overlapping an existing area is EEXIST', () => {
    const { ctx, ioas } = setup();
    expect(ioas.mapFixed(P * 16, BUF, 2 * P)).toBe(OK);
    noChange(ctx, () => ioas.mapFixed(P * 17, BUF, 2 * P), EEXIST);
    noChange(ctx, () => ioas.mapFixed(P * 15, BUF, 2 * P), EEXIST);
  });
  it('adjacent areas are separate and both succeed', () => {
    const { ioas } = setup();
    expect(ioas.mapFixed(P * 16, BUF, 2 * P)).toBe(OK);
    expect(ioas.mapFixed(P * 18, BUF, 2 * P)).toBe(OK);
    expect(ioas.areaCount).toBe(2);
  });
  it('a user address with a page offset is EINVAL once a domain sets the alignment (iopt_insert_area)', () => {
    const { ctx, ioas } = setup();
    noChange(ctx, () => ioas.mapFixed(P * 16, BUF + 512, P), EINVAL);
  });
  it('checks reserved (EINVAL) before existing areas (EEXIST)', () => {
    const { ctx, ioas } = setup();
    expect(ioas.mapFixed(0xfee00000 - P, BUF, P)).toBe(OK);
    noChange(ctx, () => ioas.mapFixed(0xfee00000 - P, BUF, 2 * P), EINVAL);
  });
});

describe('IOMMU_IOAS_MAP with automatic IOVA (iopt_alloc_iova)', () => {
  it('never returns IOVA 0: the search starts at PAGE_SIZE', () => {
    const { ioas } = setup();
    expect(ioas.mapAuto(BUF, P)).toBe(OK);
    expect(ioas.lastIova).toBe(P);
  });
  it('aligns to roundup_pow_of_two(length) when the user address is aligned further', () => {
    const { ioas } = setup();
    expect(ioas.mapAuto(BUF, 3 * P)).toBe(OK);
    expect(ioas.lastIova).toBe(4 * P);
    expect(ioas.mapAuto(BUF, 8 * P)).toBe(OK);
    expect(ioas.lastIova).toBe(8 * P);
  });
  it('aligns to the lowest set bit of the user address when that is smaller', () => {
    const { ioas } = setup();
    expect(ioas.mapFixed(P, BUF, P)).toBe(OK);
    expect(ioas.mapAuto(BUF + 2 * P, 16 * P)).toBe(OK);
    expect(ioas.lastIova).toBe(2 * P);
  });
  it('caps the alignment at the huge page size (2 MiB)', () => {
    const { ioas } = setup();
    expect(ioas.mapFixed(P, BUF, P)).toBe(OK);
    expect(ioas.mapAuto(BUF, 64 * MiB)).toBe(OK);
    expect(ioas.lastIova).toBe(2 * MiB);
  });
  it('caps the alignment at PAGE_SIZE without transparent huge pages', () => {
    const { ioas } = setup({ maxAutoAlignBytes: P });
    expect(ioas.mapFixed(P, BUF, P)).toBe(OK);
    expect(ioas.mapAuto(BUF, 64 * MiB)).toBe(OK);
    expect(ioas.lastIova).toBe(2 * P);
  });
  it('returns the lowest hole that fits, skipping areas and reserved ranges', () => {
    const { ioas } = setup();
    expect(ioas.mapFixed(P, BUF, 3 * P)).toBe(OK); // [1p, 4p)
    expect(ioas.mapFixed(6 * P, BUF, P)).toBe(OK); // hole [4p, 6p) then [7p, ...)
    expect(ioas.mapAuto(BUF, 2 * P)).toBe(OK);
    expect(ioas.lastIova).toBe(4 * P);
    expect(ioas.mapAuto(BUF, P)).toBe(OK);
    expect(ioas.lastIova).toBe(7 * P);
  });
  it('stays inside the aperture', () => {
    const { ioas } = setup({ domain: { apertureStart: 1 << 24, apertureLast: 2 ** 31 - 1, pageSizes: [P], reserved: [] } });
    expect(ioas.mapAuto(BUF, P)).toBe(OK);
    expect(ioas.lastIova).toBe(1 << 24);
  });
  it('nothing fits: ENOSPC', () => {
    const { ctx, ioas } = setup({ domain: { apertureStart: 1 << 24, apertureLast: (1 << 24) + 4 * P - 1, pageSizes: [P], reserved: [] } });
    noChange(ctx, () => ioas.mapAuto(BUF, 8 * P), ENOSPC);
  });
  it('alignment below the IOAS alignment is EINVAL (a sub-page user address under a domain)', () => {
    const { ctx, ioas } = setup();
    noChange(ctx, () => ioas.mapAuto(BUF + 2048, P), EINVAL);
  });
  it('keeps the page offset of the user address in the IOVA without a domain', () => {
    const { ioas } = setup({ domain: null });
    expect(ioas.mapAuto(BUF + 0x800, 0x800)).toBe(OK);
    expect(ioas.lastIova % P).toBe(0x800);
  });
});

describe('IOMMU_IOAS_MAP pinning and locked memory', () => {
  it('pins the pages and charges them to the process', () => {
    const { process, ctx, ioas } = setup();
    expect(ioas.mapFixed(P * 16, BUF, 8 * P)).toBe(OK);
    expect(process.lockedPages).toBe(8);
    expect(ctx.account.pinnedPages).toBe(8);
  });
  it('over RLIMIT_MEMLOCK is ENOMEM and charges nothing (all or nothing)', () => {
    const { process, ctx, ioas } = setup({ memlockBytes: 4 * P });
    expect(ioas.mapFixed(P * 16, BUF, 2 * P)).toBe(OK);
    noChange(ctx, () => ioas.mapFixed(P * 32, BUF + MiB, 3 * P), ENOMEM);
    expect(process.lockedPages).toBe(2);
  });
  it('a user range outside the mapped address space is EFAULT', () => {
    const { ctx, ioas } = setup();
    noChange(ctx, () => ioas.mapFixed(P * 16, 0, P), EFAULT);
    noChange(ctx, () => ioas.mapFixed(P * 16, 2 ** 47, P), EFAULT);
  });
  it('without a domain nothing is pinned (pages are read lazily) and a bad address still maps', () => {
    const { process, ioas } = setup({ domain: null });
    expect(ioas.mapFixed(P * 16, BUF, 8 * P)).toBe(OK);
    expect(ioas.mapFixed(P * 32, 0, P)).toBe(OK);
    expect(process.lockedPages).toBe(0);
  });
  it('costs the ioctl, 4 KiB pins and one host IOMMU map per contiguous run', () => {
    const { ioas } = setup({ backing: '4k' });
    expect(ioas.mapFixed(P * 16, BUF, 2 * P)).toBe(OK);
    const perRun = costs.hostIommuMapNs + costs.hostPteWriteNs;
    expect(ioas.lastCostNs).toBe(costs.vfioMapIoctlNs + 2 * costs.vfioPinPerPageNs + 2 * perRun);
  });
  it('uses huge IOPTEs for THP-backed, 2 MiB-aligned memory', () => {
    const { ioas } = setup({ backing: 'thp' });
    expect(ioas.mapFixed(2 * MiB, BUF, 4 * MiB)).toBe(OK);
    expect(ioas.domains.list[0]!.domain.livePtes).toBe(2);
  });
});

function twoDomains(faults: FaultInjector) {
  const process = new HostProcess({ memlockBytes: null, capIpcLock: false, backing: 'thp', userAddressEnd: 2 ** 47 });
  const ctx = new IommufdContext({ process, costs, faults, dmaWindows: false, maxAutoAlignBytes: 2 * MiB });
  const ioas: IommufdIoas = ctx.ioasInstall('a');
  expect(ctx.attach(ioas, 'd1', x86)).toBe(OK);
  expect(ctx.attach(ioas, 'd2', { ...x86, pageSizes: [P] })).toBe(OK);
  return { process, ctx, ioas };
}

describe('IOMMU_IOAS_MAP fault injection leaves nothing behind', () => {
  const clean = new FaultInjector();
  twoDomains(clean);
  const setupSites = clean.sitesReached;
  // sites of one map: alloc pages, alloc area, pin, iommu_map domain 1, iommu_map domain 2
  for (let k = 1; k <= 5; k++) {
    it(`failing site ${k} of 5 of a map into two domains is ENOMEM and changes nothing`, () => {
      const { process, ctx, ioas } = twoDomains(new FaultInjector(setupSites + k));
      noChange(ctx, () => ioas.mapFixed(P * 16, BUF, 4 * P), ENOMEM);
      expect(process.lockedPages).toBe(0);
      expect(ioas.domains.list.map((d) => d.domain.livePtes)).toEqual([0, 0]);
    });
  }
  it('a map reaches exactly 5 fault sites and succeeds past them', () => {
    const f = new FaultInjector(setupSites + 6);
    const { ioas } = twoDomains(f);
    expect(ioas.mapFixed(P * 16, BUF, 4 * P)).toBe(OK);
    expect(f.sitesReached - setupSites).toBe(5);
  });
});
