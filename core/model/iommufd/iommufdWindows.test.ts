import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { EINVAL, ENOSPC, EOPNOTSUPP, OK } from '../base/errno';
import { defaultIommuGeometry, type IommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import { IommufdContext } from './iommufdContext';
import { IOMMU_IOAS_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE } from './iommufdIoas';

const P = PAGE_SIZE;
const K64 = 64 * 1024;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const BUF = 0x7f00_0000_0000;
const costs = resolveCostTable();
const x86 = defaultIommuGeometry('x86_64');
const ppc = defaultIommuGeometry('ppc64le');
const COPY = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;

function setup(dmaWindows = true) {
  const process = new HostProcess({ memlockBytes: null, capIpcLock: false, backing: 'thp', userAddressEnd: 2 ** 47 });
  const ctx = new IommufdContext({ process, costs, faults: new FaultInjector(), dmaWindows, maxAutoAlignBytes: 2 * MiB });
  const ioas = ctx.ioasInstall('a');
  return { process, ctx, ioas };
}

function noChange(ctx: IommufdContext, call: () => number, errno: number): void {
  const before = JSON.stringify(ctx.snapshot());
  expect(call()).toBe(errno);
  expect(JSON.stringify(ctx.snapshot())).toBe(before);
  expect(ctx.checkInvariants()).toEqual([]);
}

describe('DMA-window extension (reference 001)', () => {
  it('is off by default: CREATE/REMOVE_WINDOW are EOPNOTSUPP and maps need no window', () => {
    const { ioas } = setup(false);
    expect(ioas.createWindow(0, GiB, P)).toBe(EOPNOTSUPP);
    expect(ioas.removeWindow(0)).toBe(EOPNOTSUPP);
    expect(ioas.mapFixed(16 * P, BUF, P)).toBe(OK);
  });
  it('a new IOAS has no windows, so every map fails with EINVAL', () => {
    const { ctx, ioas } = setup();
    noChange(ctx, () => ioas.mapFixed(16 * P, BUF, P), EINVAL);
    noChange(ctx, () => ioas.mapAuto(BUF, P), EINVAL);
  });
  it('maps only inside a window', () => {
    const { ctx, ioas } = setup();
    expect(ioas.createWindow(GiB, GiB, P)).toBe(OK);
    expect(ioas.mapFixed(GiB, BUF, P)).toBe(OK);
    noChange(ctx, () => ioas.mapFixed(GiB - 2 * P, BUF, 2 * P), EINVAL);
    noChange(ctx, () => ioas.mapFixed(2 * GiB - P, BUF, 2 * P), EINVAL);
    noChange(ctx, () => ioas.mapFixed(2 * GiB, BUF, P), EINVAL);
  });
  it("maps must be aligned to the window's page size", () => {
    const { ctx, ioas } = setup();
    expect(ioas.createWindow(GiB, GiB, K64)).toBe(OK);
    noChange(ctx, () => ioas.mapFixed(GiB + P, BUF, K64), EINVAL);
    noChange(ctx, () => ioas.mapFixed(GiB, BUF, P), EINVAL);
    expect(ioas.mapFixed(GiB, BUF, K64)).toBe(OK);
  });
  it('automatic IOVA searches the windows, aligned to their page size', () => {
    const { ioas } = setup();
    expect(ioas.createWindow(GiB, GiB, K64)).toBe(OK);
    expect(ioas.mapAuto(BUF, K64)).toBe(OK);
    expect(ioas.lastIova).toBe(GiB);
    expect(ioas.mapAuto(BUF, K64)).toBe(OK);
    expect(ioas.lastIova).toBe(GiB + K64);
  });
  it('automatic IOVA with a length no window page size divides is EINVAL; a full window is ENOSPC', () => {
    const { ctx, ioas } = setup();
    expect(ioas.createWindow(GiB, 2 * K64, K64)).toBe(OK);
    noChange(ctx, () => ioas.mapAuto(BUF, P), EINVAL);
    expect(ioas.mapAuto(BUF, 2 * K64)).toBe(OK);
    noChange(ctx, () => ioas.mapAuto(BUF, K64), ENOSPC);
  });
  it('unmap must be inside one window, aligned; unmap-all is always allowed', () => {
    const { ctx, ioas } = setup();
    expect(ioas.createWindow(GiB, GiB, K64)).toBe(OK);
    expect(ioas.mapFixed(GiB, BUF, K64)).toBe(OK);
    noChange(ctx, () => ioas.unmap(GiB - K64, 2 * K64), EINVAL);
    noChange(ctx, () => ioas.unmap(GiB, P), EINVAL);
    expect(ioas.unmapAll()).toBe(OK);
  });
  it('copy needs the source in a window and a destination window of the same page size', () => {
    const { ctx, ioas } = setup();
    const b = ctx.ioasInstall('b');
    expect(ioas.createWindow(GiB, GiB, K64)).toBe(OK);
    expect(b.createWindow(GiB, GiB, P)).toBe(OK);
    expect(b.createWindow(4 * GiB, GiB, K64)).toBe(OK);
    expect(ioas.mapFixed(GiB, BUF, K64)).toBe(OK);
    noChange(ctx, () => b.copyFrom(ioas, COPY, GiB, K64, GiB), EINVAL);
    expect(b.copyFrom(ioas, COPY, GiB, K64, 4 * GiB)).toBe(OK);
    expect(b.copyFrom(ioas, IOMMU_IOAS_MAP_READABLE, GiB, K64, 0)).toBe(OK);
    expect(b.lastIova).toBe(4 * GiB + K64);
  });
  it('CREATE_WINDOW picks the base and page size when not given', () => {
    const { ctx, ioas } = setup();
    expect(ctx.attach(ioas, 'd', x86)).toBe(OK);
    expect(ioas.createWindow(null, GiB, null)).toBe(OK);
    expect(ioas.lastWindow).toEqual({ base: 0, end: GiB, pageSize: P });
    expect(ioas.createWindow(null, 2 * GiB, null)).toBe(OK);
    expect(ioas.lastWindow).toEqual({ base: GiB, end: 3 * GiB, pageSize: P });
    // [3 GiB, 4 GiB) holds the MSI window: the next GiB starts right after it
    expect(ioas.createWindow(null, GiB, null)).toBe(OK);
    expect(ioas.lastWindow!.base).toBe(0xfef00000);
    expect(ioas.createWindow(null, 2 * MiB, 2 * MiB)).toBe(OK);
    expect(ioas.lastWindow!.base).toBe(3 * GiB);
  });
  it('CREATE_WINDOW refuses with EINVAL: size 0, size not a multiple of the page, a page size not a power of two', () => {
    const { ctx, ioas } = setup();
    noChange(ctx, () => ioas.createWindow(0, 0, P), EINVAL);
    noChange(ctx, () => ioas.createWindow(0, K64 + P, K64), EINVAL);
    noChange(ctx, () => ioas.createWindow(0, 3 * P, 3 * P), EINVAL);
    noChange(ctx, () => ioas.createWindow(P, K64, K64), EINVAL);
  });
  it('CREATE_WINDOW refuses a page size some attached domain cannot map (not a multiple of its smallest page)', () => {
    const { ctx, ioas } = setup();
    expect(ctx.attach(ioas, 'd', { ...ppc, pageSizes: [K64] } as IommuGeometry)).toBe(EINVAL);
    expect(ctx.attach(ioas, 'd', ppc)).toBe(OK);
    expect(ioas.createWindow(0, GiB, 2 * P)).toBe(OK);
    const other = ctx.ioasInstall('o');
    expect(ctx.attach(other, 'e', { ...x86, pageSizes: [2048] })).toBe(OK);
    expect(ctx.attach(other, 'f', x86)).toBe(OK);
    noChange(ctx, () => other.createWindow(0, GiB, 2048), EINVAL);
  });
  it('CREATE_WINDOW refuses a range outside the aperture, on a reserved range, or over another window', () => {
    const { ctx, ioas } = setup();
    expect(ctx.attach(ioas, 'd', x86)).toBe(OK);
    noChange(ctx, () => ioas.createWindow(2 ** 48 - GiB, 2 * GiB, P), EINVAL);
    noChange(ctx, () => ioas.createWindow(0xfe000000, 32 * MiB, P), EINVAL);
    expect(ioas.createWindow(0, GiB, P)).toBe(OK);
    noChange(ctx, () => ioas.createWindow(GiB - P, 2 * P, P), EINVAL);
  });
  it('REMOVE_WINDOW deletes and unpins its mappings; an unknown base is EINVAL', () => {
    const { process, ctx, ioas } = setup();
    expect(ctx.attach(ioas, 'd', x86)).toBe(OK);
    expect(ioas.createWindow(GiB, GiB, P)).toBe(OK);
    expect(ioas.createWindow(4 * GiB, GiB, P)).toBe(OK);
    expect(ioas.mapFixed(GiB, BUF, 4 * P)).toBe(OK);
    expect(ioas.mapFixed(4 * GiB, BUF + MiB, 2 * P)).toBe(OK);
    noChange(ctx, () => ioas.removeWindow(GiB + P), EINVAL);
    expect(ioas.removeWindow(GiB)).toBe(OK);
    expect(ioas.lastUnmappedBytes).toBe(4 * P);
    expect(ioas.areaCount).toBe(1);
    expect(process.lockedPages).toBe(2);
    expect(ioas.mapFixed(GiB, BUF, P)).toBe(EINVAL);
  });
  it('ATTACH re-checks the windows: one on the new reserved range or outside the aperture is EINVAL', () => {
    const { ctx, ioas } = setup();
    expect(ioas.createWindow(0xf0000000, 256 * MiB, P)).toBe(OK);
    noChange(ctx, () => ctx.attach(ioas, 'd', x86), EINVAL);
    const b = ctx.ioasInstall('b');
    expect(b.createWindow(2 ** 50, GiB, P)).toBe(OK);
    noChange(ctx, () => ctx.attach(b, 'e', x86), EINVAL);
  });
  it('ATTACH re-checks the windows: a page size the new domain cannot map is EINVAL', () => {
    const { ctx, ioas } = setup();
    expect(ioas.createWindow(0, GiB, P)).toBe(OK);
    noChange(ctx, () => ctx.attach(ioas, 'd', { ...ppc, pageSizes: [K64] }), EINVAL);
    expect(ctx.attach(ioas, 'd', ppc)).toBe(OK);
  });
});
