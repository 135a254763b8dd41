import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { EADDRINUSE, EFAULT, EINVAL, EMSGSIZE, ENOMEM, OK } from '../base/errno';
import { defaultIommuGeometry, type IommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import { IommufdContext } from './iommufdContext';
import { U64_END } from '../base/bits';

const MiB = 1024 * 1024;
const P = PAGE_SIZE;
const costs = resolveCostTable();
const BUF = 0x7f00_0000_0000;
const x86 = defaultIommuGeometry('x86_64');
const MOCK: IommuGeometry = { apertureStart: 1 << 24, apertureLast: 2 ** 31 - 1, pageSizes: [P / 2], reserved: [] };

function setup(opts: { memlockBytes?: number | null; backing?: '4k' | 'thp' } = {}) {
  const process = new HostProcess({
    memlockBytes: opts.memlockBytes ?? null,
    capIpcLock: false,
    backing: opts.backing ?? '4k',
    userAddressEnd: 2 ** 47,
  });
  const ctx = new IommufdContext({ process, costs, faults: new FaultInjector(), dmaWindows: false, maxAutoAlignBytes: 2 * MiB });
  const ioas = ctx.ioasInstall('a');
  return { process, ctx, ioas };
}

function noChange(ctx: IommufdContext, call: () => number, errno: number): void {
  const before = JSON.stringify(ctx.snapshot());
  expect(call()).toBe(errno);
  expect(JSON.stringify(ctx.snapshot())).toBe(before);
  expect(ctx.checkInvariants()).toEqual([]);
}

describe('IOMMU_IOAS_IOVA_RANGES (iommufd_ioas_iova_ranges)', () => {
  it('without a domain: one range [0, ULONG_MAX] and alignment 1', () => {
    const { ioas } = setup();
    expect(ioas.iovaRanges()).toBe(OK);
    expect(ioas.lastIovaRanges).toEqual([{ start: 0, end: U64_END }]);
    expect(ioas.lastIovaAlignment).toBe(1);
  });
  it("with a domain: the holes between reserved ranges (aperture, MSI) and the domain's page size", () => {
    const { ctx, ioas } = setup();
    expect(ctx.attach(ioas, 'd', x86)).toBe(OK);
    expect(ioas.iovaRanges()).toBe(OK);
    expect(ioas.lastIovaRanges).toEqual([
      { start: 0, end: 0xfee00000 },
      { start: 0xfef00000, end: 2 ** 48 },
    ]);
    expect(ioas.lastIovaAlignment).toBe(P);
  });
  it('reports reserved holes, not the allowed list and not areas', () => {
    const { ctx, ioas } = setup();
    expect(ctx.attach(ioas, 'd', MOCK)).toBe(OK);
    expect(ioas.allowIovas([{ start: (1 << 24) + P, last: (1 << 24) + 10 * P - 1 }])).toBe(OK);
    expect(ioas.mapFixed(1 << 25, BUF, P)).toBe(OK);
    expect(ioas.iovaRanges()).toBe(OK);
    expect(ioas.lastIovaRanges).toEqual([{ start: 1 << 24, end: 2 ** 31 }]);
  });
  it('a capacity smaller than the count is EMSGSIZE with the real count', () => {
    const { ctx, ioas } = setup();
    expect(ctx.attach(ioas, 'd', x86)).toBe(OK);
    expect(ioas.iovaRanges(1)).toBe(EMSGSIZE);
    expect(ioas.lastIovaRangeCount).toBe(2);
    expect(ioas.lastIovaRanges).toEqual([{ start: 0, end: 0xfee00000 }]);
    expect(ioas.iovaRanges(0)).toBe(EMSGSIZE);
    expect(ioas.lastIovaRangeCount).toBe(2);
  });
});

describe('IOMMU_IOAS_ALLOW_IOVAS (iommufd_ioas_load_iovas, iopt_set_allow_iova)', () => {
  it('start >= last is EINVAL', () => {
    const { ctx, ioas } = setup();
    noChange(ctx, () => ioas.allowIovas([{ start: 2 * P, last: 2 * P }]), EINVAL);
    noChange(ctx, () => ioas.allowIovas([{ start: 3 * P, last: 2 * P }]), EINVAL);
  });
  it('overlapping ranges are EINVAL', () => {
    const { ctx, ioas } = setup();
    noChange(
      ctx,
      () =>
        ioas.allowIovas([
          { start: P, last: 4 * P - 1 },
          { start: 3 * P, last: 8 * P - 1 },
        ]),
      EINVAL,
    );
  });
  it('a range intersecting a reserved range is EADDRINUSE and nothing changes', () => {
    const { ctx, ioas } = setup();
    expect(ctx.attach(ioas, 'd', x86)).toBe(OK);
    expect(ioas.allowIovas([{ start: P, last: 16 * P - 1 }])).toBe(OK);
    noChange(
      ctx,
      () =>
        ioas.allowIovas([
          { start: 32 * P, last: 64 * P - 1 },
          { start: 0xfee00000 - P, last: 0xfee00000 },
        ]),
      EADDRINUSE,
    );
    expect(ioas.space.allowed).toEqual([{ start: P, end: 16 * P }]);
  });
  it('automatic IOVA stays inside the allowed ranges, lowest first', () => {
    const { ioas } = setup();
    expect(
      ioas.allowIovas([
        { start: 200 * P, last: 204 * P - 1 },
        { start: 100 * P, last: 102 * P - 1 },
      ]),
    ).toBe(OK);
    expect(ioas.mapAuto(BUF, P)).toBe(OK);
    expect(ioas.lastIova).toBe(100 * P);
    expect(ioas.mapAuto(BUF, 4 * P)).toBe(OK);
    expect(ioas.lastIova).toBe(200 * P);
  });
  it('fixed maps may still land outside the allowed ranges (iopt_check_iova ignores them)', () => {
    const { ioas } = setup();
    expect(ioas.allowIovas([{ start: 200 * P, last: 204 * P - 1 }])).toBe(OK);
    expect(ioas.mapFixed(16 * P, BUF, P)).toBe(OK);
  });
  it('an empty list lifts the restriction', () => {
    const { ioas } = setup();
    expect(ioas.allowIovas([{ start: 200 * P, last: 204 * P - 1 }])).toBe(OK);
    expect(ioas.allowIovas([])).toBe(OK);
    expect(ioas.mapAuto(BUF, P)).toBe(OK);
    expect(ioas.lastIova).toBe(P);
  });
  it('reserving over an allowed range is EADDRINUSE (iopt_reserve_iova)', () => {
    const { ctx, ioas } = setup();
    expect(ioas.allowIovas([{ start: 0, last: 2 ** 31 }])).toBe(OK);
    noChange(ctx, () => ctx.attach(ioas, 'd', MOCK), EADDRINUSE);
  });
});

describe('attaching a domain (iopt_table_add_domain)', () => {
  it("raises the alignment to the domain's smallest page", () => {
    const { ctx, ioas } = setup();
    expect(ioas.iovaAlignment).toBe(1);
    expect(ctx.attach(ioas, 'd', MOCK)).toBe(OK);
    expect(ioas.iovaAlignment).toBe(P / 2);
  });
  it('a smallest page above PAGE_SIZE is EINVAL', () => {
    const { ctx, ioas } = setup();
    noChange(ctx, () => ctx.attach(ioas, 'd', { ...x86, pageSizes: [64 * 1024] }), EINVAL);
  });
  it('existing areas not aligned to the new alignment are EADDRINUSE', () => {
    const { ctx, ioas } = setup();
    expect(ioas.mapFixed(P + 512, BUF, P)).toBe(OK);
    noChange(ctx, () => ctx.attach(ioas, 'd', x86), EADDRINUSE);
  });
  it('an area outside the new aperture is EADDRINUSE', () => {
    const { ctx, ioas } = setup();
    expect(ioas.mapFixed(P, BUF, P)).toBe(OK);
    noChange(ctx, () => ctx.attach(ioas, 'd', MOCK), EADDRINUSE);
  });
  it("an area on the device's reserved region is EADDRINUSE", () => {
    const { ctx, ioas } = setup();
    expect(ioas.mapFixed(0xfee00000, BUF, P)).toBe(OK);
    noChange(ctx, () => ctx.attach(ioas, 'd', x86), EADDRINUSE);
  });
  it('pins and maps existing areas into the first domain', () => {
    const { process, ctx, ioas } = setup();
    expect(ioas.mapFixed(16 * P, BUF, 4 * P)).toBe(OK);
    expect(process.lockedPages).toBe(0);
    expect(ctx.attach(ioas, 'd', x86)).toBe(OK);
    expect(process.lockedPages).toBe(4);
    expect(ioas.domains.list[0]!.domain.livePtes).toBe(4);
  });
  it('pinning an area whose user memory is gone fails the attach with EFAULT (fork_gone)', () => {
    const { ctx, ioas } = setup();
    expect(ioas.mapFixed(16 * P, 0, P)).toBe(OK);
    noChange(ctx, () => ctx.attach(ioas, 'd', x86), EFAULT);
  });
  it('pinning past RLIMIT_MEMLOCK fails the attach with ENOMEM and charges nothing', () => {
    const { process, ctx, ioas } = setup({ memlockBytes: 4 * P });
    expect(ioas.mapFixed(16 * P, BUF, 3 * P)).toBe(OK);
    expect(ioas.mapFixed(32 * P, BUF + MiB, 3 * P)).toBe(OK);
    noChange(ctx, () => ctx.attach(ioas, 'd', x86), ENOMEM);
    expect(process.lockedPages).toBe(0);
  });
  it('a second device with the same geometry joins the domain; another geometry adds a domain', () => {
    const { process, ctx, ioas } = setup();
    expect(ctx.attach(ioas, 'd1', x86)).toBe(OK);
    expect(ioas.mapFixed(16 * P, BUF, 4 * P)).toBe(OK);
    expect(ctx.attach(ioas, 'd2', x86)).toBe(OK);
    expect(ioas.domains.count).toBe(1);
    expect(ctx.attach(ioas, 'd3', { ...x86, pageSizes: [P] })).toBe(OK);
    expect(ioas.domains.count).toBe(2);
    expect(process.lockedPages).toBe(4);
    expect(ioas.domains.list[1]!.domain.livePtes).toBe(4);
  });
  it('a device attached already is EINVAL', () => {
    const { ctx, ioas } = setup();
    const other = ctx.ioasInstall('b');
    expect(ctx.attach(ioas, 'd', x86)).toBe(OK);
    noChange(ctx, () => ctx.attach(other, 'd', x86), EINVAL);
    noChange(ctx, () => ctx.attach(ioas, 'd', x86), EINVAL);
  });
});

describe('IOMMU_OPTION_HUGE_PAGES (iopt_disable_large_pages)', () => {
  it('defaults to on; turning it off raises the alignment to PAGE_SIZE', () => {
    const { ioas } = setup();
    expect(ioas.hugePages).toBe(true);
    expect(ioas.setHugePages(false)).toBe(OK);
    expect(ioas.iovaAlignment).toBe(P);
    expect(ioas.setHugePages(true)).toBe(OK);
    expect(ioas.iovaAlignment).toBe(1);
  });
  it('IOMMU_OPTION values other than 0 and 1 are EINVAL', () => {
    const { ctx, ioas } = setup();
    noChange(ctx, () => ioas.setHugePagesOption(2), EINVAL);
    expect(ioas.setHugePagesOption(0)).toBe(OK);
    expect(ioas.hugePages).toBe(false);
    expect(ioas.setHugePagesOption(1)).toBe(OK);
    expect(ioas.hugePages).toBe(true);
  });
  it('turning it off with a domain and areas is EINVAL', () => {
    const { ctx, ioas } = setup();
    expect(ctx.attach(ioas, 'd', x86)).toBe(OK);
    expect(ioas.mapFixed(16 * P, BUF, P)).toBe(OK);
    noChange(ctx, () => ioas.setHugePages(false), EINVAL);
  });
  it('turning it off over a misaligned area is EADDRINUSE', () => {
    const { ctx, ioas } = setup();
    expect(ioas.mapFixed(16 * P + 2048, BUF + 2048, P)).toBe(OK);
    noChange(ctx, () => ioas.setHugePages(false), EADDRINUSE);
  });
  it('with huge pages off, domains are written with PAGE_SIZE IOPTEs only (THP-backed memory)', () => {
    const { ctx, ioas } = setup({ backing: 'thp' });
    const other = ctx.ioasInstall('huge');
    expect(ctx.attach(other, 'd0', x86)).toBe(OK);
    expect(other.mapFixed(2 * MiB, BUF, 2 * MiB)).toBe(OK);
    expect(other.domains.list[0]!.domain.livePtes).toBe(1);
    expect(ioas.setHugePages(false)).toBe(OK);
    expect(ctx.attach(ioas, 'd', x86)).toBe(OK);
    expect(ioas.mapFixed(2 * MiB, BUF, 2 * MiB)).toBe(OK);
    expect(ioas.domains.list[0]!.domain.livePtes).toBe(512);
  });
});
