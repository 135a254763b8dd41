import { describe, expect, it } from 'vitest';
import { OK } from '../../base/errno';
import { HostProcess } from '../../host/hostProcess';
import { MmIommuMemList } from './mmIommuMemList';
import { SpaprTceContainer } from './spaprTceContainer';
import type { SpaprPlatform } from './spaprTceWindows';
import { FaultInjector } from '../../../sim/faultInjector';
import { resolveCostTable } from '../../../sim/costTable';

// iommufd_fail_nth for the SPAPR container: rerun a passing script failing the n-th fault site
// (allocation or pin) for n = 1, 2, ... until n passes the sites a clean run reaches. The call that
// meets the failure must fail and leave every snapshot, locked page and pin as before.

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const VA = 0x7f00_0000_0000;
const DDW = 2 ** 59;
const RW = 3;

const PLATFORM: SpaprPlatform = {
  tce32Start: 0,
  tce32SizeBytes: 2 * GiB,
  ddwStart: DDW,
  pageShifts: [12, 16, 21, 30],
  maxLevels: 5,
  maxWindows: 2,
  hostPageShift: 16,
  tce32PageShift: 12,
};

interface World {
  proc: HostProcess;
  mm: MmIommuMemList;
  faults: FaultInjector;
  c: SpaprTceContainer;
  c2: SpaprTceContainer;
}

type Step = (w: World) => number;

function world(version: 1 | 2, failAt: number): World {
  const proc = new HostProcess({ memlockBytes: null, capIpcLock: false, backing: 'thp', userAddressEnd: 2 ** 47 });
  const faults = new FaultInjector(failAt);
  const mm = new MmIommuMemList(proc, faults, PLATFORM.hostPageShift);
  const make = (n: string) => new SpaprTceContainer(`spapr.${n}`, version, PLATFORM, proc, mm, faults, resolveCostTable());
  return { proc, mm, faults, c: make('c0'), c2: make('c1') };
}

const state = (w: World) => JSON.stringify([w.c.snapshot(), w.c2.snapshot(), w.mm.snapshot(), w.proc.lockedPages]);

function consistent(w: World): void {
  expect([...w.c.checkInvariants(), ...w.c2.checkInvariants(), ...w.mm.checkInvariants()]).toEqual([]);
  // Locked memory is exactly what the survivors account for; v1 pins are exactly the live TCEs (invariants).
  expect(w.proc.lockedPages).toBe(w.mm.lockedPages + w.c.chargedPages + w.c2.chargedPages);
}

function sweep(version: 1 | 2, steps: readonly Step[]): { sites: number; failedCalls: number } {
  const clean = world(version, 0);
  for (const step of steps) expect(step(clean)).toBe(OK);
  consistent(clean);
  const sites = clean.faults.sitesReached;
  let failedCalls = 0;
  for (let n = 1; n <= sites; n++) {
    const w = world(version, n);
    for (const step of steps) {
      const before = state(w);
      const reached = w.faults.sitesReached;
      const rc = step(w);
      if (reached < n && w.faults.sitesReached >= n) {
        expect(rc, `site ${n}`).not.toBe(OK);
        expect(state(w), `site ${n}`).toBe(before);
        consistent(w);
        failedCalls++;
        break;
      }
      expect(rc, `site ${n}: a step before the failing one`).toBe(OK);
    }
  }
  return { sites, failedCalls };
}

describe('fail-nth sweep of the SPAPR TCE container', () => {
  it('v2: register, share, create a two-level DDW, map, unmap, unregister: every injected failure changes nothing', () => {
    const steps: Step[] = [
      (w) => w.c.registerMemory(VA, 64 * MiB),
      (w) => w.c2.registerMemory(VA, 64 * MiB),
      (w) => w.c.createWindow(16, GiB, 2),
      (w) => w.c.mapDma(0, VA, MiB, RW),
      (w) => w.c.mapDma(DDW, VA, 2 * MiB, RW),
      (w) => w.c.unmapDma(DDW + MiB, 64 * KiB, 0),
      (w) => w.c2.mapDma(0, VA + MiB, MiB, RW),
      (w) => w.c.registerMemory(VA + 64 * MiB, 64 * MiB),
      (w) => w.c.mapDma(DDW + 4 * MiB, VA + 64 * MiB, MiB, RW),
      (w) => w.c.unmapDma(DDW, 8 * MiB, 0),
      (w) => w.c.unregisterMemory(VA + 64 * MiB, 64 * MiB),
      (w) => w.c.removeWindow(DDW),
    ];
    const { sites, failedCalls } = sweep(2, steps);
    expect(sites).toBeGreaterThanOrEqual(9);
    expect(failedCalls).toBe(sites);
  });

  it('v1: enable, map (a pin per TCE), overwrite, unmap, map again: every injected failure changes nothing', () => {
    const steps: Step[] = [
      (w) => w.c.enable(),
      (w) => w.c.mapDma(0, VA, 64 * KiB, RW),
      (w) => w.c.mapDma(32 * KiB, VA + MiB, 64 * KiB, RW),
      (w) => w.c.unmapDma(0, 16 * KiB, 0),
      (w) => w.c.mapDma(MiB, VA, 128 * KiB, RW),
      (w) => w.c.unmapDma(0, 2 * MiB, 0),
      (w) => w.c.mapDma(0, VA, 8 * KiB, RW),
    ];
    const { sites, failedCalls } = sweep(1, steps);
    expect(sites).toBe(16 + 16 + 32 + 2);
    expect(failedCalls).toBe(sites);
  });
});
