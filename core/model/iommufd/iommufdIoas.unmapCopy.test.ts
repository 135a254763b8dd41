import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { EEXIST, EINVAL, ENOENT, ENOMEM, EOPNOTSUPP, EOVERFLOW, EPERM, OK } from '../base/errno';
import { defaultIommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import { IommufdContext } from './iommufdContext';
import { IOMMU_IOAS_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE } from './iommufdIoas';
import { U64_END } from '../base/bits';

const MiB = 1024 * 1024;
const P = PAGE_SIZE;
const costs = resolveCostTable();
const R = IOMMU_IOAS_MAP_READABLE;
const W = IOMMU_IOAS_MAP_WRITEABLE;
const FIXED = IOMMU_IOAS_MAP_FIXED_IOVA;
const BUF = 0x7f00_0000_0000;
const x86 = defaultIommuGeometry('x86_64');

function setup(opts: { memlockBytes?: number | null; backing?: '4k' | 'thp' } = {}) {
  const process = new HostProcess({
    memlockBytes: opts.memlockBytes ?? null,
    capIpcLock: false,
    backing: opts.backing ?? '4k',
    userAddressEnd: 2 ** 47,
  });
  const faults = new FaultInjector();
  const ctx = new IommufdContext({ process, costs, faults, dmaWindows: false, maxAutoAlignBytes: 2 * MiB });
  const a = ctx.ioasInstall('a');
  const b = ctx.ioasInstall('b');
  expect(ctx.attach(a, 'dev-a', x86)).toBe(OK);
  expect(ctx.attach(b, 'dev-b', x86)).toBe(OK);
  return { process, ctx, a, b };
}

function noChange(ctx: IommufdContext, call: () => number, errno: number): void {
  const before = JSON.stringify(ctx.snapshot());
  expect(call()).toBe(errno);
  expect(JSON.stringify(ctx.snapshot())).toBe(before);
  expect(ctx.checkInvariants()).toEqual([]);
}

describe('IOMMU_IOAS_UNMAP (iommufd_ioas_unmap, iopt_unmap_iova_range)', () => {
  it('iova 0 and length U64_MAX unmaps everything and returns the bytes', () => {
    const { process, a } = setup();
    expect(a.mapFixed(16 * P, BUF, 2 * P)).toBe(OK);
    expect(a.mapFixed(64 * P, BUF, 3 * P)).toBe(OK);
    expect(a.unmap(0, U64_END)).toBe(OK);
    expect(a.lastUnmappedBytes).toBe(5 * P);
    expect(a.areaCount).toBe(0);
    expect(process.lockedPages).toBe(0);
  });
  it('unmap-all succeeds on an empty IOAS', () => {
    const { a } = setup();
    expect(a.unmapAll()).toBe(OK);
    expect(a.lastUnmappedBytes).toBe(0);
  });
  it('length 0 is EINVAL', () => {
    const { ctx, a } = setup();
    noChange(ctx, () => a.unmap(16 * P, 0), EINVAL);
  });
  it('iova or length of ULONG_MAX or more (other than unmap-all) is EOVERFLOW, and a wrapping range too', () => {
    const { ctx, a } = setup();
    noChange(ctx, () => a.unmap(U64_END, P), EOVERFLOW);
    noChange(ctx, () => a.unmap(P, U64_END), EOVERFLOW);
    noChange(ctx, () => a.unmap(U64_END - P, 2 * P), EOVERFLOW);
  });
  it('a range with nothing mapped is ENOENT', () => {
    const { ctx, a } = setup();
    noChange(ctx, () => a.unmap(16 * P, P), ENOENT);
  });
  it('an area only partly inside the range is ENOENT: areas are never split', () => {
    const { ctx, a } = setup();
    expect(a.mapFixed(16 * P, BUF, 2 * P)).toBe(OK);
    noChange(ctx, () => a.unmap(16 * P, P), ENOENT);
    noChange(ctx, () => a.unmap(17 * P, P), ENOENT);
    noChange(ctx, () => a.unmap(15 * P, 2 * P), ENOENT);
  });
  it('removes every area fully inside and returns their bytes', () => {
    const { a } = setup();
    for (let i = 0; i < 4; i++) expect(a.mapFixed((16 + 16 * i) * P, BUF, 8 * P)).toBe(OK);
    expect(a.unmap(12 * P, 64 * P)).toBe(OK);
    expect(a.lastUnmappedBytes).toBe(32 * P);
    expect(a.areaCount).toBe(0);
  });
  it('kernel quirk: areas before the first clipped one are removed although the call fails with ENOENT', () => {
    const { ctx, a } = setup();
    expect(a.mapFixed(16 * P, BUF, 2 * P)).toBe(OK);
    expect(a.mapFixed(32 * P, BUF, 4 * P)).toBe(OK);
    expect(a.unmap(16 * P, 18 * P)).toBe(ENOENT);
    expect(a.areaCount).toBe(1);
    expect([...a.areas()][0]!.start).toBe(32 * P);
    expect(ctx.checkInvariants()).toEqual([]);
  });
  it('unpins and uncharges the pages and clears the PTEs', () => {
    const { process, a } = setup();
    expect(a.mapFixed(16 * P, BUF, 8 * P)).toBe(OK);
    expect(a.unmap(16 * P, 8 * P)).toBe(OK);
    expect(process.lockedPages).toBe(0);
    expect(a.domains.list[0]!.domain.livePtes).toBe(0);
  });
  it('costs the ioctl, the unpins, the PTE clears and an IOTLB sync', () => {
    const { a } = setup();
    expect(a.mapFixed(16 * P, BUF, 2 * P)).toBe(OK);
    expect(a.unmap(16 * P, 2 * P)).toBe(OK);
    const domainNs = costs.hostIommuMapNs + 2 * costs.hostPteWriteNs + costs.hostIotlbInvalidationNs;
    expect(a.lastCostNs).toBe(costs.vfioUnmapIoctlNs + 2 * costs.vfioUnpinPerPageNs + domainNs);
  });
});

describe('IOMMU_IOAS_COPY (iommufd_ioas_copy, iopt_get_pages)', () => {
  it('copies between IOAS sharing the pinned pages: no new locked-memory charge', () => {
    const { process, ctx, a, b } = setup();
    expect(a.mapFixed(16 * P, BUF, 8 * P)).toBe(OK);
    expect(b.copyFrom(a, R | W | FIXED, 16 * P, 8 * P, 64 * P)).toBe(OK);
    expect(b.lastIova).toBe(64 * P);
    expect(process.lockedPages).toBe(8);
    expect(ctx.account.pinnedPages).toBe(8);
    expect([...b.areas()][0]!.pages).toBe([...a.areas()][0]!.pages);
  });
  it('copy costs the ioctl and the domain maps but no pinning', () => {
    const { a, b } = setup();
    expect(a.mapFixed(16 * P, BUF, 2 * P)).toBe(OK);
    expect(b.copyFrom(a, R | W | FIXED, 16 * P, 2 * P, 64 * P)).toBe(OK);
    expect(b.lastCostNs).toBe(costs.vfioMapIoctlNs + 2 * (costs.hostIommuMapNs + costs.hostPteWriteNs));
  });
  it('the shared pages stay pinned until the last area using them goes', () => {
    const { process, a, b } = setup();
    expect(a.mapFixed(16 * P, BUF, 8 * P)).toBe(OK);
    expect(b.copyFrom(a, R | W | FIXED, 16 * P, 8 * P, 64 * P)).toBe(OK);
    expect(a.unmap(16 * P, 8 * P)).toBe(OK);
    expect(process.lockedPages).toBe(8);
    expect(b.unmap(64 * P, 8 * P)).toBe(OK);
    expect(process.lockedPages).toBe(0);
  });
  it('a copy of part of an area keeps only that part pinned once the original goes', () => {
    const { process, a, b } = setup();
    expect(a.mapFixed(16 * P, BUF, 8 * P)).toBe(OK);
    expect(b.copyFrom(a, R | W | FIXED, 18 * P, 2 * P, 64 * P)).toBe(OK);
    expect(a.unmap(16 * P, 8 * P)).toBe(OK);
    expect(process.lockedPages).toBe(2);
  });
  it('copies within one IOAS', () => {
    const { a } = setup();
    expect(a.mapFixed(16 * P, BUF, P)).toBe(OK);
    expect(a.copyFrom(a, R | W | FIXED, 16 * P, P, 17 * P)).toBe(OK);
    expect(a.areaCount).toBe(2);
  });
  it('a source range spanning contiguous areas makes one destination area per source area', () => {
    const { a, b } = setup();
    expect(a.mapFixed(16 * P, BUF, 2 * P)).toBe(OK);
    expect(a.mapFixed(18 * P, BUF + MiB, 2 * P)).toBe(OK);
    expect(b.copyFrom(a, R | W, 17 * P, 2 * P, 0)).toBe(OK);
    expect([...b.areas()].map((x) => x.end - x.start)).toEqual([P, P]);
  });
  it('a source range not fully covered by contiguous areas is ENOENT', () => {
    const { ctx, a, b } = setup();
    expect(a.mapFixed(16 * P, BUF, 2 * P)).toBe(OK);
    expect(a.mapFixed(19 * P, BUF, 2 * P)).toBe(OK);
    noChange(ctx, () => b.copyFrom(a, R | W | FIXED, 16 * P, 4 * P, 64 * P), ENOENT);
    noChange(ctx, () => b.copyFrom(a, R | W | FIXED, 15 * P, 2 * P, 64 * P), ENOENT);
    noChange(ctx, () => b.copyFrom(a, R | W | FIXED, 17 * P, 2 * P, 64 * P), ENOENT);
  });
  it('a WRITE copy of a read-only source is EPERM; a read-only copy works', () => {
    const { ctx, a, b } = setup();
    expect(a.mapFixed(16 * P, BUF, 2 * P, true, false)).toBe(OK);
    noChange(ctx, () => b.copyFrom(a, R | W | FIXED, 16 * P, 2 * P, 64 * P), EPERM);
    expect(b.copyFrom(a, R | FIXED, 16 * P, 2 * P, 64 * P)).toBe(OK);
  });
  it('follows the MAP rules for the destination: unknown flags, overflow, no access, EEXIST', () => {
    const { ctx, a, b } = setup();
    expect(a.mapFixed(16 * P, BUF, 2 * P)).toBe(OK);
    expect(b.mapFixed(64 * P, BUF, P)).toBe(OK);
    noChange(ctx, () => b.copyFrom(a, R | W | FIXED | 8, 16 * P, 2 * P, 64 * P), EOPNOTSUPP);
    noChange(ctx, () => b.copyFrom(a, R | W | FIXED, 16 * P, 2 * P, U64_END), EOVERFLOW);
    noChange(ctx, () => b.copyFrom(a, FIXED, 16 * P, 2 * P, 64 * P), EINVAL);
    noChange(ctx, () => b.copyFrom(a, R | W | FIXED, 16 * P, 2 * P, 63 * P), EEXIST);
    noChange(ctx, () => b.copyFrom(a, R | W | FIXED, 16 * P, 0, 80 * P), EINVAL);
  });
  it('copy with automatic IOVA aligns from the source user address', () => {
    const { a, b } = setup();
    expect(a.mapFixed(16 * P, BUF, 4 * P)).toBe(OK);
    expect(b.copyFrom(a, R | W, 16 * P, 4 * P, 0)).toBe(OK);
    expect(b.lastIova).toBe(4 * P);
  });
  it('a copy into an IOAS without a domain pins nothing more', () => {
    const { process, ctx, a } = setup();
    const c = ctx.ioasInstall('c');
    expect(a.mapFixed(16 * P, BUF, 4 * P)).toBe(OK);
    expect(c.copyFrom(a, R | W | FIXED, 16 * P, 4 * P, 16 * P)).toBe(OK);
    expect(process.lockedPages).toBe(4);
  });
  it('a failed allocation during copy is ENOMEM and changes nothing', () => {
    const process = new HostProcess({ memlockBytes: null, capIpcLock: false, backing: '4k', userAddressEnd: 2 ** 47 });
    const clean = new FaultInjector();
    const build = (faults: FaultInjector) => {
      const ctx = new IommufdContext({ process, costs, faults, dmaWindows: false, maxAutoAlignBytes: 2 * MiB });
      const a = ctx.ioasInstall('a');
      const b = ctx.ioasInstall('b');
      expect(ctx.attach(a, 'x', x86)).toBe(OK);
      expect(ctx.attach(b, 'y', x86)).toBe(OK);
      expect(a.mapFixed(16 * P, BUF, 2 * P)).toBe(OK);
      return { ctx, a, b };
    };
    build(clean);
    const { ctx, a, b } = build(new FaultInjector(clean.sitesReached + 1));
    noChange(ctx, () => b.copyFrom(a, R | W | FIXED, 16 * P, 2 * P, 64 * P), ENOMEM);
  });
});
