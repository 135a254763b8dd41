// Runs of single-page entries (vfioDmaRun.ts) against the container they replaced
// (vfioType1Reference.testkit.ts, every vfio_dma its own node): random sequences of back-to-back
// page maps (mapDmaRun, falling back to mapDma call by call as QEMU's shadowing does), back-to-back
// page unmaps (unmapDmaRun, falling back to unmapDma the same way), single maps of any size, unmaps (whole, partial, v1 and v2 rules, UNMAP_ALL, FLAG_VADDR), vaddr updates,
// group attaches and memlock changes, on both containers with their own process, must give the
// same errno and the same cost for every ioctl, and the same snapshot, metrics and locked memory
// after every step. Fail-nth sweeps over a fixed sequence must fail the same site the same way.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultIommuGeometry, type IommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import {
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_VADDR,
  VFIO_DMA_MAP_FLAG_WRITE,
  VFIO_DMA_UNMAP_FLAG_ALL,
  VFIO_DMA_UNMAP_FLAG_VADDR,
  type VfioContainerApi,
} from './vfioContainerApi';
import { VfioType1Container } from './vfioType1';
import { VfioType1Reference } from './vfioType1Reference.testkit';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import type { MetricMap } from '../../sim/metricSink';

const P = PAGE_SIZE;
const IOVA_BASE = 0x4000_0000;
const VADDR_BASE = 0x7f00_0000_0000;
const RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
const costs = resolveCostTable({ hostPteWriteNs: 20.1, vfioPinPerPageNs: 250.3 });

type Cmd =
  | { readonly op: 'run'; readonly page: number; readonly vpage: number; readonly count: number; readonly ro: boolean }
  | { readonly op: 'map'; readonly page: number; readonly vpage: number; readonly pages: number }
  | { readonly op: 'unmap'; readonly page: number; readonly pages: number }
  | { readonly op: 'unmapRun'; readonly page: number; readonly count: number }
  | { readonly op: 'unmapAll' }
  | { readonly op: 'invalidateVaddr'; readonly page: number; readonly pages: number }
  | { readonly op: 'updateVaddr'; readonly page: number; readonly pages: number; readonly vpage: number }
  | { readonly op: 'attach'; readonly other: boolean }
  | { readonly op: 'memlock'; readonly pages: number | null };

interface Side {
  readonly c: VfioContainerApi & { attachDeviceWithGeometry(d: string, g: IommuGeometry): number };
  readonly process: HostProcess;
  /** errno and cost of every ioctl, in order. */
  readonly calls: [number, number][];
  devices: number;
}

interface Setup {
  readonly version: 1 | 2;
  readonly limit: number;
  readonly memlockPages: number | null;
  readonly backing: '4k' | 'thp';
  readonly failAt?: number;
}

function side(setup: Setup, reference: boolean): Side {
  const process = new HostProcess({
    memlockBytes: setup.memlockPages === null ? null : setup.memlockPages * P,
    capIpcLock: false,
    backing: setup.backing,
    userAddressEnd: 2 ** 47,
  });
  const deps = {
    process,
    costs,
    faults: new FaultInjector(setup.failAt ?? 0),
    dmaEntryLimit: setup.limit,
    disableHugepages: false,
    geometry: defaultIommuGeometry('x86_64'),
    irqRemapping: true,
    allowUnsafeInterrupts: false,
  };
  const c = reference ? new VfioType1Reference('c', setup.version, deps) : new VfioType1Container('c', setup.version, deps);
  return { c, process, calls: [], devices: 0 };
}

function apply(s: Side, cmd: Cmd, fast: boolean): void {
  const { c } = s;
  const note = (errno: number): void => {
    s.calls.push([errno, c.lastCostNs]);
  };
  switch (cmd.op) {
    case 'run': {
      const flags = VFIO_DMA_MAP_FLAG_READ | (cmd.ro ? 0 : VFIO_DMA_MAP_FLAG_WRITE);
      const iova = IOVA_BASE + cmd.page * P;
      const vaddr = VADDR_BASE + cmd.vpage * P;
      let j = 0;
      while (j < cmd.count) {
        const n = fast && c instanceof VfioType1Container ? c.mapDmaRun(iova + j * P, vaddr + j * P, cmd.count - j, flags) : 0;
        for (let k = 0; k < n; k++) note(0);
        j += n;
        if (j < cmd.count) {
          note(c.mapDma(iova + j * P, vaddr + j * P, P, flags));
          j++;
        }
      }
      return;
    }
    case 'map':
      note(c.mapDma(IOVA_BASE + cmd.page * P, VADDR_BASE + cmd.vpage * P, cmd.pages * P, RW));
      return;
    case 'unmapRun': {
      const iova = IOVA_BASE + cmd.page * P;
      let j = 0;
      while (j < cmd.count) {
        const n = fast && c instanceof VfioType1Container ? c.unmapDmaRun(iova + j * P, cmd.count - j) : 0;
        for (let k = 0; k < n; k++) {
          note(0);
          s.calls.push([-1, c.lastUnmappedBytes]);
        }
        j += n;
        if (n === 0) {
          note(c.unmapDma(iova + j * P, P, 0));
          s.calls.push([-1, c.lastUnmappedBytes]);
          j++;
        }
      }
      return;
    }
    case 'unmap':
      note(c.unmapDma(IOVA_BASE + cmd.page * P, cmd.pages * P, 0));
      s.calls.push([-1, c.lastUnmappedBytes]);
      return;
    case 'unmapAll':
      note(c.unmapDma(0, 0, VFIO_DMA_UNMAP_FLAG_ALL));
      return;
    case 'invalidateVaddr':
      note(c.unmapDma(IOVA_BASE + cmd.page * P, cmd.pages * P, VFIO_DMA_UNMAP_FLAG_VADDR));
      return;
    case 'updateVaddr':
      note(c.mapDma(IOVA_BASE + cmd.page * P, VADDR_BASE + cmd.vpage * P, cmd.pages * P, VFIO_DMA_MAP_FLAG_VADDR));
      return;
    case 'attach': {
      const geo = defaultIommuGeometry('x86_64');
      const g = cmd.other ? { ...geo, pageSizes: [P, 2 * 1024 * 1024] } : geo;
      note(c.attachDeviceWithGeometry(`dev${s.devices++}`, g));
      return;
    }
    case 'memlock':
      s.process.setMemlockLimit(cmd.pages === null ? null : cmd.pages * P);
      return;
  }
}

function metricsOf(s: Side): MetricMap {
  const m: MetricMap = {};
  s.c.collectMetrics(m);
  return m;
}

function compare(setup: Setup, cmds: readonly Cmd[]): void {
  const fast = side(setup, false);
  const ref = side(setup, true);
  for (const [i, cmd] of cmds.entries()) {
    apply(fast, cmd, true);
    apply(ref, cmd, false);
    const at = `step ${i}: ${JSON.stringify(cmd)}`;
    expect(fast.calls, at).toEqual(ref.calls);
    expect(fast.c.snapshot(), at).toEqual(ref.c.snapshot());
    expect(metricsOf(fast), at).toEqual(metricsOf(ref));
    expect(fast.c.entries, at).toBe(ref.c.entries);
    expect([fast.process.lockedPages, fast.process.lockedPeakBytes, fast.process.memlockFailures], at).toEqual([
      ref.process.lockedPages,
      ref.process.lockedPeakBytes,
      ref.process.memlockFailures,
    ]);
    expect(fast.c.checkInvariants(), at).toEqual([]);
  }
}

const page = fc.nat(300);
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant('run' as const),
      page,
      vpage: fc.nat(2000),
      count: fc.integer({ min: 1, max: 70 }),
      ro: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('map' as const), page, vpage: fc.nat(2000), pages: fc.integer({ min: 1, max: 9 }) }),
  },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('unmap' as const), page, pages: fc.integer({ min: 1, max: 90 }) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('unmapRun' as const), page, count: fc.integer({ min: 1, max: 80 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'unmapAll' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('invalidateVaddr' as const), page, pages: fc.integer({ min: 1, max: 20 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('updateVaddr' as const), page, pages: fc.integer({ min: 1, max: 3 }), vpage: fc.nat(2000) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('attach' as const), other: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('memlock' as const), pages: fc.option(fc.nat(400), { nil: null }) }) },
);

// Call-by-call MAP_DMA and UNMAP_DMA over many small mappings: the tree grows past one B+ tree leaf
// (and one level), so vfio_link_dma and vfio_remove_dma reusing the descent of vfio_find_dma /
// vfio_find_dma_first_node split and empty leaves; v2's end checks answered by the first-node
// lookup, and walks that stop at a mapping reaching the range end, are held to the reference.
const densePage = fc.nat(1500);
const denseCmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({ op: fc.constant('map' as const), page: densePage, vpage: fc.nat(4000), pages: fc.integer({ min: 1, max: 3 }) }),
  },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('unmap' as const), page: densePage, pages: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unmap' as const), page: densePage, pages: fc.integer({ min: 5, max: 120 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('run' as const),
      page: densePage,
      vpage: fc.nat(4000),
      count: fc.integer({ min: 1, max: 40 }),
      ro: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unmapRun' as const), page: densePage, count: fc.integer({ min: 1, max: 40 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('invalidateVaddr' as const), page: densePage, pages: fc.integer({ min: 1, max: 6 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('updateVaddr' as const),
      page: densePage,
      pages: fc.integer({ min: 1, max: 3 }),
      vpage: fc.nat(4000),
    }),
  },
);

describe('VFIO type1 call-by-call map and unmap over a tree of many mappings match the reference', () => {
  it.each([1, 2] as const)('type1 v%i', (version) => {
    fc.assert(
      fc.property(fc.array(denseCmdArb, { minLength: 150, maxLength: 300 }), (cmds) =>
        compare({ version, limit: 65535, memlockPages: null, backing: '4k' }, cmds),
      ),
      { numRuns: 8 },
    );
  });
});

describe('VFIO type1 runs of page entries match one vfio_dma per call', () => {
  it.each([1, 2] as const)('type1 v%i, random sequences (limit, memlock, backing vary)', (version) => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.option(fc.integer({ min: 0, max: 500 }), { nil: null }),
        fc.constantFrom('4k' as const, 'thp' as const),
        fc.array(cmdArb, { maxLength: 60 }),
        (limit, memlockPages, backing, cmds) => compare({ version, limit, memlockPages, backing }, cmds),
      ),
      { numRuns: 120 },
    );
  });

  it('fail-nth: failing the n-th fault site gives the same answers and the same state', () => {
    const cmds: Cmd[] = [
      { op: 'run', page: 0, vpage: 0, count: 40, ro: false },
      { op: 'attach', other: true },
      { op: 'run', page: 60, vpage: 100, count: 30, ro: true },
      { op: 'unmap', page: 10, pages: 5 },
      { op: 'run', page: 10, vpage: 500, count: 8, ro: false },
      { op: 'run', page: 100, vpage: 900, count: 25, ro: false },
    ];
    for (let failAt = 1; failAt <= 400; failAt++) compare({ version: 2, limit: 1000, memlockPages: null, backing: '4k', failAt }, cmds);
  });

  it('keeps a run as few tree nodes (the point of it) while counting its entries', () => {
    const s = side({ version: 2, limit: 65535, memlockPages: null, backing: '4k' }, false);
    const c = s.c as VfioType1Container;
    expect(c.mapDmaRun(IOVA_BASE, VADDR_BASE, 64, RW)).toBe(64);
    expect(c.entries).toBe(64);
    expect(c.getInfo().dmaAvail).toBe(65535 - 64);
    expect(c.unmapDma(IOVA_BASE + 16 * P, 8 * P, 0)).toBe(0);
    expect(c.lastUnmappedBytes).toBe(8 * P);
    expect(c.entries).toBe(56);
    expect((c.snapshot() as { mappings: unknown[] }).mappings).toHaveLength(56);
  });
});
