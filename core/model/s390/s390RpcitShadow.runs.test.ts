// QEMU's RPCIT shadow issues its VFIO maps (and, before QEMU 8.0, its per-entry unmaps) as runs of
// consecutive pages (QemuVm.vfioMapRun, vfioUnmapRun) that the type1 container may take in one go.
// That must change nothing: the same random guest table writes, clears and refreshes, against a
// container that maps and unmaps call by call and one that takes runs, give the same condition codes, the same QEMU work (to the nanosecond), the same shadow and
// container state, the same metrics and the same timeline (failed maps are events).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import type { MetricMap } from '../../sim/metricSink';
import { TimelineRecorder } from '../../sim/timelineRecorder';
import { DmaCall } from '../base/dmaCall';
import { defaultIommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { QemuVm } from '../qemu/qemuVm';
import { VfioType1Container } from '../vfio/vfioType1';
import type { VfioContainerApi } from '../vfio/vfioContainerApi';
import { S390DmaWindow } from './s390DmaWindow';
import { S390PciDmaCounts } from './s390PciDmaCount';
import { QemuS390PciShadow } from './s390RpcitShadow';
import { ZpciFunction } from './s390Zpci';
import { ZpciDmaTable } from './s390ZpciDmaTable';

const PAGE = 4096;
const BASE = 4 * 2 ** 30;
const BASE_PAGE = BASE / PAGE;
const WINDOW_PAGES = 8 * 256;

type Cmd =
  | { readonly op: 'write'; readonly page: number; readonly n: number; readonly gpaPage: number; readonly ro: boolean }
  | { readonly op: 'clear'; readonly page: number; readonly n: number }
  | { readonly op: 'rpcit'; readonly page: number; readonly n: number };

function stack(runs: boolean, limit: number, memlockPages: number | null, coalescedUnmap = true) {
  const costs = resolveCostTable({ vfioPinPerPageNs: 250.7, qemuPteWalkNs: 30.3 });
  const timeline = new TimelineRecorder();
  const process = new HostProcess({
    memlockBytes: memlockPages === null ? null : memlockPages * PAGE,
    capIpcLock: false,
    backing: '4k',
    userAddressEnd: 2 ** 47,
  });
  const container = new VfioType1Container('c0', 2, {
    process,
    costs,
    faults: new FaultInjector(),
    dmaEntryLimit: limit,
    disableHugepages: false,
    geometry: defaultIommuGeometry('s390x'),
    irqRemapping: true,
    allowUnsafeInterrupts: false,
  });
  const seen: VfioContainerApi = runs
    ? container
    : new Proxy(container, {
        get: (t, p, r) => (p === 'mapDmaRun' || p === 'unmapDmaRun' ? () => 0 : (Reflect.get(t, p, r) as unknown)),
      });
  const qemu = new QemuVm(costs, timeline, { name: 'vm0', nested: false });
  const { count } = new S390PciDmaCounts().start(seen);
  const table = new ZpciDmaTable();
  const shadow = new QemuS390PciShadow({ costs, qemu, container: seen, table, count, coalescedUnmap });
  const window = new S390DmaWindow({
    sdma: BASE,
    restrictToDmaLimit: false,
    maxDmaLimit: WINDOW_PAGES,
    ramBytes: 8 * 2 ** 30,
    apertureFactor: 1,
  });
  const zpci = new ZpciFunction({ window, table, hypervisor: 'kvm', costs, timeline, laneName: 'viommu.f0', qemu, interceptor: shadow });
  return { container, timeline, table, shadow, zpci, qemu, call: new DmaCall(0), out: [] as number[] };
}

type Stack = ReturnType<typeof stack>;

function apply(s: Stack, c: Cmd): void {
  if (c.op === 'write') s.table.validate(BASE_PAGE + c.page, c.gpaPage * PAGE, c.n, c.ro);
  else if (c.op === 'clear') s.table.invalidate(BASE_PAGE + c.page, c.n);
  else {
    s.zpci.refreshTrans(s.call.begin(s.call.t), BASE + c.page * PAGE, c.n * PAGE);
    s.out.push(s.zpci.lastCc, s.call.t);
  }
}

function stateOf(s: Stack): unknown {
  const m: MetricMap = {};
  s.shadow.collectMetrics(m);
  s.container.collectMetrics(m);
  s.zpci.collectMetrics(m);
  return {
    out: s.out,
    shadow: s.shadow.snapshot(),
    container: s.container.snapshot(),
    metrics: m,
    qemu: [s.qemu.vfioMapCalls, s.qemu.vfioUnmapCalls, s.qemu.vfioMapFailures, s.qemu.trapBusyNs],
    timeline: s.timeline.hash(),
  };
}

const page = fc.integer({ min: 0, max: WINDOW_PAGES - 1 });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('write' as const),
      page,
      n: fc.integer({ min: 1, max: 96 }),
      gpaPage: fc.nat(20_000),
      ro: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('clear' as const), page, n: fc.integer({ min: 1, max: 96 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('rpcit' as const), page, n: fc.integer({ min: 1, max: 400 }) }) },
);

function same(limit: number, memlock: number | null, cmds: readonly Cmd[]): void {
  const byCall = stack(false, limit, memlock);
  const byRun = stack(true, limit, memlock);
  for (const c of cmds) {
    const clipped = { ...c, n: Math.min(c.n, WINDOW_PAGES - c.page) };
    apply(byCall, clipped);
    apply(byRun, clipped);
  }
  expect(stateOf(byRun)).toEqual(stateOf(byCall));
}

describe('RPCIT shadow: VFIO maps as runs change nothing', () => {
  it('at the memlock limit, a run stops where call by call starts failing (maps before the unmap that would lift the limit)', () => {
    same(1000, 64, [
      { op: 'write', page: 64, n: 64, gpaPage: 0, ro: false },
      { op: 'rpcit', page: 0, n: 256 },
      { op: 'clear', page: 64, n: 64 },
      { op: 'write', page: 0, n: 32, gpaPage: 500, ro: false },
      { op: 'rpcit', page: 0, n: 256 },
    ]);
  });

  it('same answers, costs, state, metrics and timeline as call by call (QEMU >= 8.0 and before, coalesced unmaps or not)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
        fc.boolean(),
        fc.array(cmd, { maxLength: 50 }),
        (limit, memlock, coalesced, cmds) => {
          const byCall = stack(false, limit, memlock, coalesced);
          const byRun = stack(true, limit, memlock, coalesced);
          for (const c of cmds) {
            const n = c.op === 'write' || c.op === 'clear' || c.op === 'rpcit' ? Math.min(c.n, WINDOW_PAGES - c.page) : 0;
            const clipped = { ...c, n };
            apply(byCall, clipped);
            apply(byRun, clipped);
          }
          expect(stateOf(byRun)).toEqual(stateOf(byCall));
        },
      ),
      { numRuns: 200 },
    );
  });
});
