// The intel-iommu driver keeps leaves as runs (vtdPageTable.ts) and QEMU's shadow walks them a
// stretch at a time (qemuIntelIommuShadow.ts). That must change nothing: random maps (4 KiB, 2 MiB
// and 1 GiB leaves, any gpa offset), the same translation mapped again before a walk saw it go, unmaps (whole mappings and arbitrary ranges, which may be
// refused for cutting a leaf), page-selective and domain-selective invalidations, memlock and
// dma_entry_limit pressure on the host and injected faults, driven through the driver and through
// the per-leaf oracle (intelIommuGuestReference.testkit.ts) over their own QEMU and type1 container,
// must give the same call clocks, errnos and causes, the same guest table, shadow and container
// snapshots, the same metrics, QEMU counters and timeline hash after every step.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import type { MetricMap } from '../../sim/metricSink';
import { TimelineRecorder } from '../../sim/timelineRecorder';
import type { IntelIommuOptions } from '../../scenario/x86ViommuSchema';
import { DmaCall } from '../base/dmaCall';
import { defaultIommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { QemuVm } from '../qemu/qemuVm';
import { VfioType1Container } from '../vfio/vfioType1';
import { IntelIommuGuestDriver } from './intelIommuGuest';
import { IntelIommuGuestReference } from './intelIommuGuestReference.testkit';

const P = 4096;
const MiB = 2 ** 20;
const GiB = 2 ** 30;
/** Small mappings live in [BASE, BASE + SPAN_PAGES pages): a few 2 MiB tables, shared by many runs. */
const BASE = 2 * GiB - 4 * MiB;
const SPAN_PAGES = 3 * 512;
/** Huge mappings (1 GiB leaves) live from HUGE_BASE up. */
const HUGE_BASE = 16 * GiB;

type Cmd =
  | { readonly op: 'map'; readonly page: number; readonly pages: number; readonly gpaPage: number; readonly write: boolean }
  | { readonly op: 'mapHuge'; readonly slot: number; readonly headPages: number; readonly tailPages: number; readonly gpaSlot: number }
  | { readonly op: 'remap'; readonly pick: number; readonly write: boolean }
  | { readonly op: 'unmap'; readonly pick: number; readonly sync: boolean }
  | { readonly op: 'unmapRange'; readonly page: number; readonly pages: number }
  | { readonly op: 'sync'; readonly page: number; readonly pages: number }
  | { readonly op: 'flush' }
  | { readonly op: 'memlock'; readonly pages: number | null };

interface Setup {
  readonly options: IntelIommuOptions;
  readonly limit: number;
  readonly guestFailAt: number;
  readonly hostFailAt: number;
}

interface Mapping {
  readonly iova: number;
  readonly size: number;
  readonly gpa: number;
}

function side(setup: Setup, reference: boolean) {
  // Fractional costs: any change in the order QEMU's work is summed shows up in the clocks.
  const costs = resolveCostTable({ vfioPinPerPageNs: 250.7, qemuPteWalkNs: 30.3, vfioUnpinPerPageNs: 50.3, hostPteWriteNs: 20.1 });
  const timeline = new TimelineRecorder();
  const qemu = new QemuVm(costs, timeline, { name: 'vm0', nested: false });
  const process = new HostProcess({ memlockBytes: null, capIpcLock: false, backing: 'thp', userAddressEnd: 2 ** 47 });
  const container = new VfioType1Container('c0', 2, {
    process,
    costs,
    faults: new FaultInjector(setup.hostFailAt),
    dmaEntryLimit: setup.limit,
    disableHugepages: false,
    geometry: defaultIommuGeometry('x86_64'),
    irqRemapping: true,
    allowUnsafeInterrupts: false,
  });
  const deps = {
    qemu,
    container,
    costs,
    timeline,
    laneName: 'viommu.vm0.nvme0',
    options: setup.options,
    faults: new FaultInjector(setup.guestFailAt),
  };
  const driver = reference ? new IntelIommuGuestReference(deps) : new IntelIommuGuestDriver(deps);
  return {
    driver,
    container,
    process,
    qemu,
    timeline,
    call: new DmaCall(0),
    out: [] as unknown[],
    live: [] as Mapping[],
    unmapped: [] as Mapping[],
    hugeOk: setup.options.superpages !== 'none',
  };
}

type Side = ReturnType<typeof side>;

function overlapsLive(s: Side, iova: number, size: number): boolean {
  return s.live.some((m) => m.iova < iova + size && iova < m.iova + m.size);
}

/** Runs a driver call; a RangeError (a range dma-iommu never passes) is an answer too. */
function attempt(s: Side, f: () => void): void {
  try {
    f();
    s.out.push([s.call.t, s.call.errno, s.call.cause]);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    s.out.push('RangeError');
  }
}

function apply(s: Side, c: Cmd): void {
  const d = s.driver;
  const call = s.call.begin(s.call.t + 100);
  switch (c.op) {
    case 'map':
    case 'mapHuge': {
      const head = c.op === 'map' ? 0 : c.headPages * P;
      const iova = c.op === 'map' ? BASE + c.page * P : HUGE_BASE + c.slot * GiB - head;
      const size = c.op === 'map' ? c.pages * P : head + GiB + c.tailPages * P;
      const gpa = c.op === 'map' ? c.gpaPage * P : 4 * GiB + c.gpaSlot * GiB - head;
      const write = c.op === 'map' ? c.write : true;
      // Without superpages a 1 GiB mapping is 262144 leaves: too slow for the per-leaf oracle.
      if (c.op === 'mapHuge' && !s.hugeOk) return;
      if (overlapsLive(s, iova, size) || d.table.leavesIn(iova, iova + size - 1) > 0) return;
      attempt(s, () => d.map(call, iova, gpa, size, write));
      if (call.errno === 0 && s.out.at(-1) !== 'RangeError') s.live.push({ iova, size, gpa });
      return;
    }
    case 'remap': {
      // The same translation again (or with another permission) before any walk saw it go.
      if (s.unmapped.length === 0) return;
      const m = s.unmapped[c.pick % s.unmapped.length]!;
      if (overlapsLive(s, m.iova, m.size) || d.table.leavesIn(m.iova, m.iova + m.size - 1) > 0) return;
      attempt(s, () => d.map(call, m.iova, m.gpa, m.size, c.write));
      if (call.errno === 0 && s.out.at(-1) !== 'RangeError') s.live.push(m);
      return;
    }
    case 'unmap': {
      if (s.live.length === 0) return;
      const [m] = s.live.splice(c.pick % s.live.length, 1);
      s.unmapped.push(m!);
      attempt(s, () => d.unmap(call, m!.iova, m!.size));
      if (c.sync) attempt(s, () => d.iotlbSync(call, m!.iova, m!.size));
      return;
    }
    case 'unmapRange': {
      const iova = BASE + c.page * P;
      attempt(s, () => d.unmap(call, iova, c.pages * P));
      if (s.out.at(-1) !== 'RangeError') s.live = s.live.filter((m) => d.table.leavesIn(m.iova, m.iova + m.size - 1) > 0);
      return;
    }
    case 'sync':
      attempt(s, () => d.iotlbSync(call, BASE + c.page * P, c.pages * P));
      return;
    case 'flush':
      attempt(s, () => d.flushIotlbAll(call));
      return;
    case 'memlock':
      s.process.setMemlockLimit(c.pages === null ? null : c.pages * P);
      return;
  }
}

function stateOf(s: Side): unknown {
  const m: MetricMap = {};
  s.driver.collectMetrics(m);
  s.container.collectMetrics(m);
  return {
    out: s.out,
    driver: s.driver.snapshot(),
    container: s.container.snapshot(),
    metrics: m,
    leaves: s.driver.table.leafCount,
    shadow: [
      s.driver.shadow.entries,
      s.driver.shadow.staleLeaves,
      s.driver.shadow.skippedUnmaps,
      s.driver.shadow.walks,
      s.driver.shadow.fullWalks,
    ],
    qemu: [s.qemu.exits, s.qemu.vfioMapCalls, s.qemu.vfioUnmapCalls, s.qemu.vfioMapFailures, s.qemu.trapBusyNs, [...s.qemu.vfioErrors]],
    process: [s.process.lockedPages, s.process.memlockFailures],
    timeline: [s.timeline.size, s.timeline.hash()],
  };
}

function compare(setup: Setup, cmds: readonly Cmd[]): void {
  const runs = side(setup, false);
  const ref = side(setup, true);
  for (const [i, c] of cmds.entries()) {
    apply(runs, c);
    apply(ref, c);
    const at = `step ${i}: ${JSON.stringify(c)}`;
    expect(stateOf(runs), at).toEqual(stateOf(ref));
    expect(runs.driver.checkInvariants(), at).toEqual([]);
  }
}

const page = fc.nat(SPAN_PAGES - 1);
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc
      .record({
        page,
        pages: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(64, 511, 512, 513, 520, 700, 1024, 1100)),
        gpaPage: fc.nat(4096),
        aligned: fc.boolean(),
        write: fc.boolean(),
      })
      .map(({ page: p, pages, gpaPage, aligned, write }): Cmd => {
        // Aligned: iova and gpa share their offset in a 2 MiB page, so 2 MiB leaves can appear
        // (after 4 KiB leaves up to the first 2 MiB boundary).
        const at = aligned && pages >= 512 && p % 3 === 0 ? 512 * Math.floor(p / 512) : p;
        const pagesIn = Math.min(pages, SPAN_PAGES - at);
        const gpa = aligned ? 512 * gpaPage + (at % 512) : gpaPage;
        return { op: 'map', page: at, pages: pagesIn, gpaPage: gpa, write };
      }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('mapHuge' as const),
      slot: fc.integer({ min: 1, max: 3 }),
      headPages: fc.constantFrom(0, 1, 513),
      tailPages: fc.constantFrom(0, 1, 3),
      gpaSlot: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 7, arbitrary: fc.record({ op: fc.constant('unmap' as const), pick: fc.nat(), sync: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('remap' as const), pick: fc.nat(), write: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('unmapRange' as const), page, pages: fc.integer({ min: 1, max: 600 }) }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('sync' as const), page, pages: fc.integer({ min: 1, max: 700 }) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'flush' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('memlock' as const), pages: fc.option(fc.nat(3000), { nil: null }) }) },
);

const optionsArb: fc.Arbitrary<IntelIommuOptions> = fc.record({
  cachingMode: fc.constant(true),
  cachingModeForcesStrict: fc.boolean(),
  awBits: fc.constantFrom(39 as const, 48 as const),
  superpages: fc.constantFrom('none' as const, '2m' as const, '2m+1g' as const),
});

describe('intel-iommu with runs of leaves matches the per-leaf driver, table and shadow', () => {
  it('random maps, unmaps and invalidations give the same clocks, state, metrics and timeline', () => {
    fc.assert(
      fc.property(optionsArb, fc.integer({ min: 16, max: 5000 }), fc.array(cmdArb, { maxLength: 50 }), (options, limit, cmds) =>
        compare({ options, limit, guestFailAt: 0, hostFailAt: 0 }, cmds),
      ),
      { numRuns: 150 },
    );
  });

  it('with an injected guest or host fault anywhere', () => {
    fc.assert(
      fc.property(
        optionsArb,
        fc.integer({ min: 1, max: 300 }),
        fc.boolean(),
        fc.array(cmdArb, { maxLength: 30 }),
        (options, failAt, guest, cmds) =>
          compare({ options, limit: 65535, guestFailAt: guest ? failAt : 0, hostFailAt: guest ? 0 : failAt }, cmds),
      ),
      { numRuns: 80 },
    );
  });

  it('a strict IO cycle (map, unmap, sync) of the fio preset shape', () => {
    const cmds: Cmd[] = [];
    for (let k = 0; k < 8; k++) cmds.push({ op: 'map', page: 32 * k, pages: 32, gpaPage: 1000 + 32 * k, write: true });
    for (let k = 0; k < 8; k++) cmds.push({ op: 'unmap', pick: 0, sync: k % 2 === 0 });
    cmds.push({ op: 'flush' });
    compare(
      {
        options: { cachingMode: true, cachingModeForcesStrict: true, awBits: 48, superpages: '2m+1g' },
        limit: 65535,
        guestFailAt: 0,
        hostFailAt: 0,
      },
      cmds,
    );
  });
});
