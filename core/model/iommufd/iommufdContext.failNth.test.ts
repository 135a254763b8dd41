// Fail-nth sweeps (tools/testing/selftests/iommu/iommufd_fail_nth.c): a passing multi-step
// scenario is rerun from scratch failing the n-th fault site (allocation, pin, iommu_map) for
// n = 1, 2, ... until n passes the number of sites a clean run reaches. The call that meets the
// fault must fail and leave the state exactly as before it; every invariant must hold after every
// call; and the locked pages must equal what the surviving areas pin.
import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { ENOENT, OK } from '../base/errno';
import { defaultIommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import { IommufdContext } from './iommufdContext';
import { IOMMU_IOAS_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE, type IommufdIoas } from './iommufdIoas';
import { areaFirstPage, areaLastPage } from './iommufdPages';
import { IommufdVfioCompat } from './iommufdVfioCompat';
import { VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE, VFIO_DMA_UNMAP_FLAG_ALL } from '../vfio/vfioContainerApi';

const P = PAGE_SIZE;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const BUF = 0x7f00_0000_0000;
const RW = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
const FIXED = IOMMU_IOAS_MAP_FIXED_IOVA;
const x86 = defaultIommuGeometry('x86_64');
const costs = resolveCostTable();

interface World {
  readonly process: HostProcess;
  readonly contexts: () => IommufdContext[];
  snapshot(): unknown;
  invariants(): string[];
}

/** Pages the surviving areas pin, computed from the areas alone (union per pages object). */
function pinnedByAreas(contexts: IommufdContext[]): number {
  const perPages = new Map<object, Set<number>>();
  for (const ctx of contexts)
    for (const ioas of ctx.allIoas()) {
      if (ioas.domains.count === 0) continue;
      for (const a of ioas.areas()) {
        const set = perPages.get(a.pages) ?? new Set<number>();
        for (let i = areaFirstPage(a); i <= areaLastPage(a); i++) set.add(i);
        perPages.set(a.pages, set);
      }
    }
  let n = 0;
  for (const s of perPages.values()) n += s.size;
  return n;
}

function sweep(build: (faults: FaultInjector) => World, steps: readonly ((w: World) => number)[]): number {
  const clean = new FaultInjector();
  const w0 = build(clean);
  steps.forEach((step, i) => expect(step(w0), `clean run, step ${i}`).toBe(OK));
  const total = clean.sitesReached;
  expect(total).toBeGreaterThan(steps.length);
  for (let n = 1; n <= total + 1; n++) {
    const faults = new FaultInjector(n);
    const w = build(faults);
    let failedAt = -1;
    steps.forEach((step, i) => {
      const before = JSON.stringify(w.snapshot());
      const lockedBefore = w.process.lockedPages;
      const sitesBefore = faults.sitesReached;
      const rc = step(w);
      if (sitesBefore < n && faults.sitesReached >= n) {
        failedAt = i;
        expect(rc, `n=${n}: step ${i} met the fault`).not.toBe(OK);
        expect(JSON.stringify(w.snapshot()), `n=${n}: step ${i} changed state`).toBe(before);
        expect(w.process.lockedPages).toBe(lockedBefore);
      }
      expect(w.invariants(), `n=${n}, step ${i}`).toEqual([]);
      expect(w.process.lockedPages, `n=${n}, step ${i}: locked pages`).toBe(pinnedByAreas(w.contexts()));
    });
    if (n <= total) expect(failedAt, `n=${n} was never reached`).toBeGreaterThanOrEqual(0);
    else expect(failedAt).toBe(-1);
  }
  return total;
}

function newProcess(): HostProcess {
  return new HostProcess({ memlockBytes: null, capIpcLock: false, backing: 'thp', userAddressEnd: 2 ** 47 });
}

describe('iommufd fail-nth sweeps', () => {
  it('IOAS alloc, attach, map, auto map, copy, unmap, allow, second domain, unmap-all', () => {
    const build = (faults: FaultInjector): World & { ctx: IommufdContext } => {
      const process = newProcess();
      const ctx = new IommufdContext({ process, costs, faults, dmaWindows: false, maxAutoAlignBytes: 2 * MiB });
      return {
        process,
        ctx,
        contexts: () => [ctx],
        snapshot: () => [ctx.snapshot(), process.lockedPages],
        invariants: () => ctx.checkInvariants(),
      };
    };
    type W = ReturnType<typeof build>;
    // After a failed IOAS_ALLOC later calls name a missing IOAS: ENOENT, as iommufd_get_ioas answers.
    const onA = (w: World, f: (x: IommufdIoas) => number) => {
      const x = (w as W).ctx.ioasByName('a');
      return x === undefined ? ENOENT : f(x);
    };
    const onB = (w: World, f: (x: IommufdIoas) => number) => {
      const x = (w as W).ctx.ioasByName('b');
      return x === undefined ? ENOENT : f(x);
    };
    const onAB = (w: World, f: (x: IommufdIoas, y: IommufdIoas) => number) => onA(w, (x) => onB(w, (y) => f(x, y)));
    const total = sweep(build, [
      (w) => (w as W).ctx.ioasAlloc('a'),
      (w) => (w as W).ctx.ioasAlloc('b'),
      (w) => onA(w, (x) => x.mapFixed(16 * P, BUF, 8 * P)),
      (w) => onA(w, (x) => (w as W).ctx.attach(x, 'd1', x86)),
      (w) => onA(w, (x) => x.mapAuto(BUF + 2 * MiB, 2 * MiB)),
      (w) => onB(w, (y) => (w as W).ctx.attach(y, 'd2', { ...x86, pageSizes: [P] })),
      (w) => onAB(w, (x, y) => y.copyFrom(x, RW | FIXED, 16 * P, 8 * P, 64 * P)),
      (w) => onAB(w, (x, y) => y.copyFrom(x, IOMMU_IOAS_MAP_READABLE, 18 * P, 2 * P, 0)),
      (w) => onA(w, (x) => x.unmap(16 * P, 8 * P)),
      (w) => onA(w, (x) => x.allowIovas([{ start: 4 * MiB, last: 64 * MiB - 1 }])),
      (w) => onA(w, (x) => x.mapAuto(BUF + 4 * MiB, 4 * P)),
      (w) => onA(w, (x) => (w as W).ctx.attach(x, 'd3', { ...x86, pageSizes: [P, 2 * MiB] })),
      (w) => onA(w, (x) => x.unmapAll()),
      (w) => onB(w, (y) => y.unmap(64 * P, 8 * P)),
    ]);
    expect(total).toBeGreaterThan(20);
  });

  it('DMA-window extension: create, map, copy, remove, attach re-check', () => {
    const build = (faults: FaultInjector): World & { ctx: IommufdContext } => {
      const process = newProcess();
      const ctx = new IommufdContext({ process, costs, faults, dmaWindows: true, maxAutoAlignBytes: 2 * MiB });
      ctx.ioasInstall('a');
      ctx.ioasInstall('b');
      return {
        process,
        ctx,
        contexts: () => [ctx],
        snapshot: () => [ctx.snapshot(), process.lockedPages],
        invariants: () => ctx.checkInvariants(),
      };
    };
    type W = ReturnType<typeof build>;
    const a = (w: World) => (w as W).ctx.ioasByName('a')!;
    const b = (w: World) => (w as W).ctx.ioasByName('b')!;
    sweep(build, [
      (w) => a(w).createWindow(GiB, GiB, null),
      (w) => a(w).mapFixed(GiB, BUF, 16 * P),
      (w) => (w as W).ctx.attach(a(w), 'd1', x86),
      (w) => b(w).createWindow(null, GiB, P),
      (w) => (w as W).ctx.attach(b(w), 'd2', x86),
      (w) => b(w).copyFrom(a(w), RW, GiB, 16 * P, 0),
      (w) => a(w).mapAuto(BUF + MiB, 8 * P),
      (w) => a(w).removeWindow(GiB),
      (w) => b(w).unmapAll(),
    ]);
  });

  it('VFIO compat type1 v1: attach, maps, cutting unmaps, unmap-all', () => {
    const build = (faults: FaultInjector): World & { c: IommufdVfioCompat } => {
      const process = newProcess();
      const c = new IommufdVfioCompat('c', { process, costs, faults, geometry: x86, version: 'type1v1', maxAutoAlignBytes: 2 * MiB });
      return {
        process,
        c,
        contexts: () => [c.context],
        snapshot: () => [c.snapshot(), process.lockedPages],
        invariants: () => c.checkInvariants(),
      };
    };
    type W = ReturnType<typeof build>;
    const flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    sweep(build, [
      (w) => (w as W).c.mapDma(GiB, BUF, 16 * P, flags),
      (w) => (w as W).c.attachDevice('dev0'),
      (w) => (w as W).c.mapDma(2 * GiB, BUF + MiB, 8 * P, flags),
      (w) => (w as W).c.unmapDma(GiB + 4 * P, 4 * P, 0),
      (w) => (w as W).c.unmapDma(GiB, 2 * P, 0),
      (w) => (w as W).c.attachDevice('dev1'),
      (w) => (w as W).c.unmapDma(0, 0, VFIO_DMA_UNMAP_FLAG_ALL),
    ]);
  });
});
