import { describe, expect, it } from 'vitest';
import { ENOMEM } from '../base/errno';
import { defaultIommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import {
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_VADDR,
  VFIO_DMA_MAP_FLAG_WRITE,
  VFIO_DMA_UNMAP_FLAG_ALL,
  VFIO_DMA_UNMAP_FLAG_VADDR,
} from './vfioContainerApi';
import { VfioType1Container } from './vfioType1';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';

// iommufd_fail_nth for type1: a passing script of maps, unmaps, a replaying attach and vaddr
// updates over two containers of one process, rerun from scratch failing the n-th fault site
// ('alloc', 'pin', 'iommu-map') for n = 1, 2, ... until n passes the sites of a clean run.

const RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
const KiB = 1024;
const MiB = 1024 * KiB;
const X86 = defaultIommuGeometry('x86_64');

interface Rig {
  readonly a: VfioType1Container;
  readonly b: VfioType1Container;
  readonly process: HostProcess;
  readonly faults: FaultInjector;
}

function rig(failAt: number): Rig {
  const process = new HostProcess({ memlockBytes: 64 * MiB, capIpcLock: false, backing: 'thp', userAddressEnd: 2 ** 47 });
  const faults = new FaultInjector(failAt);
  const deps = {
    process,
    costs: resolveCostTable(),
    faults,
    dmaEntryLimit: 16,
    disableHugepages: false,
    geometry: X86,
    irqRemapping: true,
    allowUnsafeInterrupts: false,
  };
  return { a: new VfioType1Container('a', 2, deps), b: new VfioType1Container('b', 1, deps), process, faults };
}

const STEPS: readonly { readonly name: string; readonly call: (r: Rig) => number }[] = [
  { name: 'a: map 4 MiB of huge pages', call: (r) => r.a.mapDma(2 * MiB, 2 * MiB, 4 * MiB, RW) },
  { name: 'a: map 16 KiB inside a huge page', call: (r) => r.a.mapDma(16 * MiB, 0x4000_1000, 16 * KiB, RW) },
  { name: 'b: map the same 2 MiB again (charged twice)', call: (r) => r.b.mapDma(2 * MiB, 2 * MiB, 2 * MiB, RW) },
  { name: 'a: attach a 4 KiB-only device (replay)', call: (r) => r.a.attachDeviceWithGeometry('gpu0', { ...X86, pageSizes: [4 * KiB] }) },
  { name: 'a: map 2 MiB onto both domains', call: (r) => r.a.mapDma(64 * MiB, 64 * MiB, 2 * MiB, RW) },
  { name: 'a: unmap the first mapping', call: (r) => r.a.unmapDma(2 * MiB, 4 * MiB, 0) },
  { name: 'b: v1 unmap covering the first page', call: (r) => r.b.unmapDma(2 * MiB, 4 * KiB, 0) },
  { name: 'a: invalidate every vaddr', call: (r) => r.a.unmapDma(0, 0, VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR) },
  { name: 'a: new vaddr for the 16 KiB mapping', call: (r) => r.a.mapDma(16 * MiB, 0x5000_1000, 16 * KiB, VFIO_DMA_MAP_FLAG_VADDR) },
  { name: 'a: new vaddr for the 2 MiB mapping', call: (r) => r.a.mapDma(64 * MiB, 0x6000_0000, 2 * MiB, VFIO_DMA_MAP_FLAG_VADDR) },
  { name: 'b: map 6 MiB across three huge pages', call: (r) => r.b.mapDma(32 * MiB, 0x8010_0000, 6 * MiB, RW) },
  { name: 'a: unmap all', call: (r) => r.a.unmapDma(0, 0, VFIO_DMA_UNMAP_FLAG_ALL) },
];

function lockedBy(c: VfioType1Container): number {
  return (c.snapshot() as { lockedPages: number }).lockedPages;
}

function expectConsistent(r: Rig): void {
  expect(r.a.checkInvariants()).toEqual([]);
  expect(r.b.checkInvariants()).toEqual([]);
  // No page stays locked beyond what the surviving mappings account for.
  expect(r.process.lockedPages).toBe(lockedBy(r.a) + lockedBy(r.b));
}

describe('fail-nth sweep over a type1 script (every error path leaves state unchanged)', () => {
  const clean = rig(0);
  const cleanResults = STEPS.map((s) => s.call(clean));
  const sites = clean.faults.sitesReached;

  it('the script passes without faults and reaches the fault sites', () => {
    expect(cleanResults).toEqual(STEPS.map(() => 0));
    expectConsistent(clean);
    expect(sites).toBeGreaterThan(10);
  });

  it('failing site n makes exactly one call fail with ENOMEM and change nothing, for every n', () => {
    let failedRuns = 0;
    for (let n = 1; n <= sites + 1; n++) {
      const r = rig(n);
      let failedStep: string | null = null;
      for (const step of STEPS) {
        const before = { a: r.a.snapshot(), b: r.b.snapshot(), locked: r.process.lockedPages };
        const sitesBefore = r.faults.sitesReached;
        const errno = step.call(r);
        if (sitesBefore < n && r.faults.sitesReached >= n) {
          failedStep = step.name;
          expect(errno, `n=${n}: ${step.name}`).toBe(ENOMEM);
          expect(r.a.snapshot(), `n=${n}: ${step.name}`).toEqual(before.a);
          expect(r.b.snapshot(), `n=${n}: ${step.name}`).toEqual(before.b);
          expect(r.process.lockedPages).toBe(before.locked);
        }
        expectConsistent(r);
      }
      if (n <= sites) {
        expect(failedStep, `n=${n} reached no failing call`).not.toBeNull();
        failedRuns++;
      } else {
        expect(failedStep).toBeNull();
        expect(r.faults.injected).toBe(false);
      }
    }
    expect(failedRuns).toBe(sites);
  });
});
