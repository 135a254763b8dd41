// Map and unmap stay O(log n) at 1,000,000 live areas: the cost of a map/unmap pair and of an
// automatic-IOVA map that has to skip a million too-small holes barely grows from 10,000 live
// areas to 1,000,000 (a linear walk would be about 100 times slower).
import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { OK } from '../base/errno';
import { defaultIommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import { IommufdContext } from './iommufdContext';
import type { IommufdIoas } from './iommufdIoas';

const P = PAGE_SIZE;
const BASE = 2 ** 33;
const UPTR = 0x1000_0000;

function fill(ioas: IommufdIoas, from: number, to: number): void {
  // one-page areas two pages apart: a one-page hole after each
  for (let i = from; i < to; i++) if (ioas.mapFixed(BASE + i * 2 * P, UPTR + i * P, P) !== OK) throw new Error(`map ${i}`);
}

/** Wall time of `reps` unmap+map pairs and `reps` two-page automatic maps (then unmapped). */
function timeOps(ioas: IommufdIoas, live: number, reps: number): number {
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) {
    const i = (r * 7919) % live;
    if (ioas.unmap(BASE + i * 2 * P, P) !== OK || ioas.mapFixed(BASE + i * 2 * P, UPTR + i * P, P) !== OK) throw new Error('pair');
    if (ioas.mapAuto(UPTR, 2 * P) !== OK || ioas.unmap(ioas.lastIova, 2 * P) !== OK) throw new Error('auto');
  }
  return performance.now() - t0;
}

describe('iommufd IOAS at scale', () => {
  it('map, unmap and first-fit automatic IOVA stay logarithmic up to 1,000,000 live areas', { timeout: 120_000 }, () => {
    const process = new HostProcess({ memlockBytes: null, capIpcLock: false, backing: '4k', userAddressEnd: 2 ** 47 });
    const ctx = new IommufdContext({
      process,
      costs: resolveCostTable(),
      faults: new FaultInjector(),
      dmaWindows: false,
      maxAutoAlignBytes: 2 * 1024 * 1024,
    });
    const ioas = ctx.ioasInstall('big');
    expect(ctx.attach(ioas, 'd', defaultIommuGeometry('x86_64'))).toBe(OK);
    // fill [P, BASE) around the MSI window, so automatic maps must search past BASE
    const MSI = 0xfee00000;
    const MSI_END = 0xfef00000;
    expect(ioas.mapFixed(P, UPTR, MSI - P)).toBe(OK);
    expect(ioas.mapFixed(MSI_END, UPTR, BASE - MSI_END)).toBe(OK);
    fill(ioas, 0, 10_000);
    timeOps(ioas, 10_000, 2_000); // warm up the JIT
    const small = timeOps(ioas, 10_000, 5_000);
    fill(ioas, 10_000, 1_000_000);
    expect(ioas.areaCount).toBe(1_000_002);
    const large = timeOps(ioas, 1_000_000, 5_000);
    expect(large / small).toBeLessThan(10);
    expect(process.lockedPages).toBe((MSI - P + BASE - MSI_END) / P + 1_000_000);
  });
});
