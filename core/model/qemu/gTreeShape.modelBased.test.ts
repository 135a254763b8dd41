// GTreeShape with its right-spine append path against the walk-from-the-root tree it replaced
// (gTreeShapeReference.testkit.ts): random inserts (mostly ascending runs, as QEMU maps pages, with
// values in between), removals, lookups, interval searches and in-order walks, on the overlap
// comparator of QEMU's IOVA tree and on a host-address order with the interval augmentation, must
// give the same answers, the same step counts, the same shape and heights, and sound invariants.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GTreeShape, type AvlNodeView } from './gTreeShape';
import { GTreeShapeReference } from './gTreeShapeReference.testkit';

interface Range {
  readonly start: number;
  readonly last: number;
}

/** iova_tree_compare: overlapping ranges are equal. */
const overlapOrder = (a: Range, b: Range): number => (a.start > b.last ? 1 : a.last < b.start ? -1 : 0);
/** A total order by start then last (the reverse index orders host ranges this way). */
const startOrder = (a: Range, b: Range): number => a.start - b.start || a.last - b.last;
const lastOf = (r: Range): number => r.last;
const startOf = (r: Range): number => r.start;

type Cmd =
  | { readonly op: 'run'; readonly at: number; readonly n: number; readonly len: number }
  | { readonly op: 'insert'; readonly at: number; readonly len: number }
  | { readonly op: 'remove'; readonly pick: number }
  | { readonly op: 'lookup'; readonly at: number; readonly len: number }
  | { readonly op: 'overlap'; readonly at: number; readonly len: number }
  | { readonly op: 'walk'; readonly stopAt: number }
  | { readonly op: 'search'; readonly mod: number };

interface Node {
  readonly value: Range;
  readonly height: number;
  readonly left: Node | null;
  readonly right: Node | null;
}

function shape(n: Node | null): unknown {
  return n === null ? null : [n.value.start, n.value.last, n.height, shape(n.left), shape(n.right)];
}

function check(augmented: boolean, cmds: readonly Cmd[]): void {
  const order = augmented ? startOrder : overlapOrder;
  const fast = new GTreeShape<Range>(order, augmented ? lastOf : null);
  const ref = new GTreeShapeReference<Range>(order, augmented ? lastOf : null);
  const live: Range[] = [];
  // The end of the highest value inserted so far: runs start after it, so they append.
  let top = 0;
  const insert = (r: Range): void => {
    // Both trees hold distinct values; the overlap order needs disjoint ranges (the IOVA tree checks first).
    if (live.some((x) => (augmented ? startOrder(x, r) === 0 : overlapOrder(x, r) === 0))) return;
    fast.insert(r);
    ref.insert(r);
    live.push(r);
    top = Math.max(top, r.last);
  };
  for (const [i, c] of cmds.entries()) {
    const what = `step ${i}: ${JSON.stringify(c)}`;
    if (c.op === 'run') {
      const from = top + 1 + c.at;
      for (let k = 0; k < c.n; k++) insert({ start: from + k * (c.len + 1), last: from + k * (c.len + 1) + c.len });
    } else if (c.op === 'insert') insert({ start: c.at, last: c.at + c.len });
    else if (c.op === 'remove') {
      if (live.length === 0) continue;
      const r = live.splice(c.pick % live.length, 1)[0]!;
      expect(fast.remove(r), what).toBe(ref.remove(r));
    } else if (c.op === 'lookup') {
      const key = { start: c.at, last: c.at + c.len };
      expect(fast.lookup(key), what).toBe(ref.lookup(key));
    } else if (c.op === 'overlap') {
      if (!augmented) continue;
      expect(fast.lowestOverlap(c.at, c.at + c.len, startOf), what).toBe(ref.lowestOverlap(c.at, c.at + c.len, startOf));
    } else if (c.op === 'walk') {
      const seenFast: Range[] = [];
      const seenRef: Range[] = [];
      fast.forEachInOrder((v) => seenFast.push(v) > c.stopAt);
      ref.forEachInOrder((v) => seenRef.push(v) > c.stopAt);
      expect(seenFast, what).toEqual(seenRef);
    } else {
      // A g_tree_foreach stopping at the first match (the IOVA tree's reverse lookup without an index).
      const match = (v: Range): boolean => v.start % 7 === c.mod;
      let want: Range | null = null;
      ref.forEachInOrder((v) => {
        if (!match(v)) return false;
        want = v;
        return true;
      });
      expect(fast.firstInOrder(match), what).toBe(want);
    }
    expect(fast.steps, `steps after ${what}`).toBe(ref.steps);
    expect(fast.size).toBe(ref.size);
    expect(shape(fast.rootView), `shape after ${what}`).toEqual(shape(ref.root as Node | null));
    expect(fast.check('fast'), `after ${what}`).toEqual([]);
  }
  expect(fast.preOrder()).toEqual(ref.preOrder());
}

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('run' as const), at: fc.nat(50), n: fc.integer({ min: 1, max: 40 }), len: fc.nat(9) }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(3000), len: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), pick: fc.nat(10_000) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('lookup' as const), at: fc.nat(4000), len: fc.nat(30) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('overlap' as const), at: fc.nat(4000), len: fc.nat(30) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('walk' as const), stopAt: fc.nat(200) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('search' as const), mod: fc.nat(7) }) },
);

describe('GTreeShape matches the walk-from-the-root tree', () => {
  for (const augmented of [false, true]) {
    it(augmented ? 'ordered by start, with the interval augmentation' : "with QEMU's overlap comparator", () => {
      fc.assert(
        fc.property(fc.array(cmd, { minLength: 1, maxLength: 60 }), (cmds) => check(augmented, cmds)),
        { numRuns: 200 },
      );
    });
  }

  it('a long ascending run (65536 pages) keeps the same shape and steps', () => {
    for (const augmented of [false, true]) {
      const order = augmented ? startOrder : overlapOrder;
      const fast = new GTreeShape<Range>(order, augmented ? lastOf : null);
      const ref = new GTreeShapeReference<Range>(order, augmented ? lastOf : null);
      for (let k = 0; k < 65536; k++) {
        const r = { start: k * 4096, last: k * 4096 + 4095 };
        expect(fast.lookup(r)).toBe(ref.lookup(r));
        fast.insert(r);
        ref.insert(r);
      }
      expect(fast.steps).toBe(ref.steps);
      expect(shape(fast.rootView)).toEqual(shape(ref.root as Node | null));
      if (augmented)
        expect(fast.lowestOverlap(4096 * 30000 + 5, 4096 * 30001, startOf)).toBe(
          ref.lowestOverlap(4096 * 30000 + 5, 4096 * 30001, startOf),
        );
      expect(fast.steps).toBe(ref.steps);
      expect(fast.check('fast')).toEqual([]);
    }
  });
});

describe('GTreeShape.appendRun matches its appends made call by call', () => {
  // Values are indexes into a table of ranges (as the IOVA tree orders map slots): a random history
  // of inserts and removals, then a run of values after every other, appended in one appendRun.
  it('the same steps per call, shape, heights, in-order list and invariants, with and without the lookup', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(2000), remove: fc.boolean() }), { maxLength: 40 }),
        fc.integer({ min: 0, max: 300 }),
        fc.boolean(),
        fc.boolean(),
        fc.nat(5),
        (history, count, lookups, augmented, walkAt) => {
          const ranges: Range[] = [];
          const order = (a: number, b: number): number => (augmented ? startOrder : overlapOrder)(ranges[a]!, ranges[b]!);
          const last = augmented ? (v: number): number => ranges[v]!.last : null;
          const fast = new GTreeShape<number>(order, last);
          const ref = new GTreeShapeReference<number>(order, last);
          const live: number[] = [];
          for (const h of history) {
            if (h.remove && live.length > 0) {
              const v = live.splice(h.at % live.length, 1)[0]!;
              fast.remove(v);
              ref.remove(v);
            } else {
              const r = { start: h.at * 10, last: h.at * 10 + 5 };
              if (ranges.some((x, v) => live.includes(v) && x.start === r.start)) continue;
              ranges.push(r);
              fast.insert(ranges.length - 1);
              ref.insert(ranges.length - 1);
              live.push(ranges.length - 1);
            }
          }
          // Make the in-order list exist sometimes (an appendRun keeps it).
          if (walkAt === 0) fast.firstInOrder(() => false);
          const first = ranges.length;
          for (let k = 0; k < count; k++) ranges.push({ start: 30_000 + k * 10, last: 30_000 + k * 10 + 5 });
          const stepsOut = new Int32Array(count);
          fast.steps = 0;
          fast.appendRun(first, count, lookups, stepsOut);
          expect(fast.steps).toBe(0);
          for (let k = 0; k < count; k++) {
            ref.steps = 0;
            if (lookups) expect(ref.lookup(first + k)).toBe(null);
            ref.insert(first + k);
            expect(stepsOut[k], `call ${k}`).toBe(ref.steps);
          }
          expect(fast.size).toBe(ref.size);
          expect(fast.preOrder()).toEqual(ref.preOrder());
          const heights = (n: AvlNodeView<number> | null): unknown => (n === null ? null : [n.height, heights(n.left), heights(n.right)]);
          expect(heights(fast.rootView)).toEqual(heights(ref.root as AvlNodeView<number> | null));
          expect(fast.check('fast')).toEqual([]);
          // What comes next reads the tree the run left (the spine, the list, the augmentation).
          ranges.push({ start: 50_000, last: 50_005 });
          fast.steps = 0;
          ref.steps = 0;
          fast.insert(ranges.length - 1);
          ref.insert(ranges.length - 1);
          expect(fast.steps).toBe(ref.steps);
          if (count > 0) expect(fast.firstInOrder((v) => v === first + (count >> 1))).toBe(first + (count >> 1));
          if (augmented)
            expect(fast.lowestOverlap(30_003, 30_020, (v) => ranges[v]!.start)).toBe(
              ref.lowestOverlap(30_003, 30_020, (v) => ranges[v]!.start),
            );
          expect(fast.check('fast')).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
