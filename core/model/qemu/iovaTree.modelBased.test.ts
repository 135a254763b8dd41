// QEMU's IOVA tree over GTreeShape (right-spine appends, the in-order list for today's linear reverse
// lookup) against the tree over the walk-from-the-root GTreeShape (iovaTreeReference.testkit.ts):
// random scripts of ascending runs of inserts (as QEMU maps a region), inserts in between, aliases,
// finds, reverse lookups with and without ids, removals and hole allocations, under every fix, must
// give the same results, comparisons, costs, outputs, counters, snapshots (maps and both trees' shapes)
// and invariants after every call. IovaTree.insertRepeat (a repeated iova_tree_insert step, appended
// down the right spine without the comparator when the maps ascend past the last one) must match the
// same calls made one by one on the reference.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import type { MetricMap } from '../../sim/metricSink';
import { IovaTree, type IovaTreeFix } from './iovaTree';
import { IovaTreeReference } from './iovaTreeReference.testkit';

const PAGE = 4096;
const HVA = 0x7f00_0000_0000;
const costs = resolveCostTable();

type Cmd =
  | { readonly op: 'run'; readonly iova: number; readonly addr: number; readonly n: number; readonly ids: boolean }
  | { readonly op: 'insert'; readonly iova: number; readonly addr: number; readonly pages: number; readonly id: number | null }
  | {
      readonly op: 'repeat';
      readonly iova: number;
      readonly addr: number;
      readonly size: number;
      readonly perm: 'rw' | 'none';
      readonly id: number | null;
      readonly dIova: number;
      readonly dAddr: number;
      readonly dId: number | null;
      readonly from: number;
      readonly count: number;
    }
  | { readonly op: 'find'; readonly iova: number; readonly pages: number }
  | { readonly op: 'findIova'; readonly addr: number; readonly pages: number; readonly id: number | null | undefined }
  | { readonly op: 'remove'; readonly iova: number; readonly pages: number }
  | { readonly op: 'alloc'; readonly addr: number; readonly pages: number; readonly begin: number };

function outputs(t: IovaTree | IovaTreeReference): unknown {
  const metrics: MetricMap = {};
  t.collectMetrics(metrics);
  return {
    cost: t.lastCostNs,
    steps: t.lastSteps,
    map: t.lastMap,
    iova: t.lastIova,
    removed: t.lastRemoved,
    wrong: t.lastWrong,
    remainder: t.lastRemainder,
    count: t.mapCount,
    metrics,
  };
}

function check(fix: IovaTreeFix, cmds: readonly Cmd[]): void {
  const fast = new IovaTree('t', fix, costs);
  const ref = new IovaTreeReference('t', fix, costs);
  for (const [i, c] of cmds.entries()) {
    const what = `step ${i}: ${JSON.stringify(c)}`;
    const both = <R>(f: (t: IovaTree | IovaTreeReference) => R): void => {
      expect(f(fast), what).toEqual(f(ref));
      expect(outputs(fast), what).toEqual(outputs(ref));
    };
    switch (c.op) {
      case 'run':
        for (let k = 0; k < c.n; k++)
          both((t) => t.insert(c.iova + k * PAGE, c.addr + k * PAGE, PAGE - 1, 'rw', c.ids ? c.iova + k * PAGE : null));
        break;
      case 'insert':
        both((t) => t.insert(c.iova, c.addr, c.pages * PAGE - 1, 'rw', c.id));
        break;
      case 'repeat': {
        const rc = fast.insertRepeat(c.iova, c.addr, c.size, c.perm, c.id, c.dIova, c.dAddr, c.dId, c.from, c.count, 7);
        let refRc = 0;
        let calls = 0;
        let total = 7;
        for (let i = c.from; i < c.from + c.count; i++) {
          refRc = ref.insert(c.iova + i * c.dIova, c.addr + i * c.dAddr, c.size, c.perm, c.dId === null ? c.id : c.id! + i * c.dId);
          if (refRc !== 0) break;
          calls++;
          total += ref.lastCostNs;
        }
        expect({ rc, calls: fast.repeatCalls, total: fast.repeatCostNs }, what).toEqual({ rc: refRc, calls, total });
        expect(outputs(fast), what).toEqual(outputs(ref));
        break;
      }
      case 'find':
        both((t) => t.find(c.iova, c.pages * PAGE - 1));
        break;
      case 'findIova':
        both((t) => t.findIova(c.addr, c.pages * PAGE - 1, c.id));
        break;
      case 'remove':
        both((t) => t.remove(c.iova, c.pages * PAGE - 1));
        break;
      case 'alloc':
        both((t) => t.allocMap(c.addr, c.pages * PAGE - 1, 'rw', c.begin, 2 ** 40));
        break;
    }
    expect(fast.snapshot(), `snapshot after ${what}`).toEqual(ref.snapshot());
    expect(fast.checkInvariants(), `after ${what}`).toEqual([]);
  }
}

const iova = fc.nat(3000).map((p) => p * PAGE);
const addr = fc.nat(300).map((p) => HVA + p * PAGE);
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('run' as const), iova, addr, n: fc.integer({ min: 1, max: 60 }), ids: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('insert' as const), iova, addr, pages: fc.integer({ min: 1, max: 3 }), id: fc.option(iova) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('repeat' as const),
      iova: fc.oneof({ weight: 5, arbitrary: iova }, { weight: 1, arbitrary: fc.constant(2 ** 53 - 40 * PAGE) }),
      addr,
      size: fc.constantFrom(PAGE - 1, 2 * PAGE - 1, 0),
      perm: fc.constantFrom('rw' as const, 'rw' as const, 'rw' as const, 'none' as const),
      id: fc.option(iova),
      dIova: fc.constantFrom(PAGE, PAGE, 2 * PAGE, PAGE - 1, 0, -PAGE),
      dAddr: fc.constantFrom(PAGE, 0, -PAGE),
      dId: fc.option(fc.constantFrom(PAGE, 0)),
      from: fc.nat(3),
      count: fc.nat(50),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('find' as const), iova, pages: fc.integer({ min: 1, max: 4 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('findIova' as const),
      addr,
      pages: fc.integer({ min: 1, max: 3 }),
      id: fc.oneof(fc.constant(undefined), fc.constant(null), iova),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), iova, pages: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('alloc' as const), addr, pages: fc.integer({ min: 1, max: 3 }), begin: iova }) },
);

describe('IovaTree matches the tree walked from the root', () => {
  for (const fix of ['none', 'id', 'reverse-index', 'id+reverse-index'] as const) {
    it(`with fix '${fix}'`, () => {
      fc.assert(
        fc.property(fc.array(cmd, { minLength: 1, maxLength: 25 }), (cmds) => check(fix, cmds)),
        { numRuns: 80 },
      );
    });
  }
});

// Runs whose host addresses ascend past the ones mapped so far (QEMU mapping a region page by page):
// the reverse index then takes the run down its spine (GTreeShape.appendRun) instead of call by call.
const ascendingRun: fc.Arbitrary<Cmd> = fc.record({
  op: fc.constant('repeat' as const),
  iova: fc.nat(3000).map((p) => (4000 + p) * PAGE),
  addr: fc.nat(2000).map((p) => HVA + (400 + p) * PAGE),
  size: fc.constant(PAGE - 1),
  perm: fc.constant('rw' as const),
  id: fc.oneof(fc.constant(null), iova),
  dIova: fc.constant(PAGE),
  dAddr: fc.constantFrom(PAGE, 2 * PAGE),
  dId: fc.constantFrom(null, PAGE),
  from: fc.nat(3),
  count: fc.integer({ min: 1, max: 120 }),
});

describe('IovaTree runs of ascending maps match the tree walked from the root', () => {
  for (const fix of ['none', 'reverse-index', 'id+reverse-index'] as const) {
    it(`with fix '${fix}'`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.oneof({ weight: 3, arbitrary: ascendingRun }, { weight: 2, arbitrary: cmd }), { minLength: 1, maxLength: 12 }),
          (cmds) => check(fix, cmds),
        ),
        { numRuns: 40 },
      );
    });
  }
});
