// IntervalMap over NumberBTree against the sorted-btree version it replaced
// (intervalMapReference.testkit.ts): random inserts (checked and unchecked), deletes and clears, then
// every query on both, must give the same intervals (the same objects) in the same order. Some inserts
// and deletes reuse the overlap lookup before them (insertAfterFirstOverlap, deleteAfterFirstOverlap).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntervalMap, type Interval } from './intervalMap';
import { IntervalMapReference } from './intervalMapReference.testkit';

type Cmd =
  | { readonly op: 'insert'; readonly start: number; readonly len: number }
  | { readonly op: 'delete'; readonly at: number }
  | { readonly op: 'clear' };

function run(cmds: readonly Cmd[], probes: readonly [number, number][]): void {
  const a = new IntervalMap<Interval>();
  const b = new IntervalMapReference<Interval>();
  for (const c of cmds) {
    if (c.op === 'insert') {
      const v = { start: c.start, last: c.start + c.len };
      const clash = b.firstOverlap(v.start, v.last) !== undefined;
      expect(a.firstOverlap(v.start, v.last) !== undefined).toBe(clash);
      if (clash) {
        expect(() => a.insert(v)).toThrow();
        continue;
      }
      if (c.len % 3 === 0) {
        a.insert(v);
        b.insert(v);
      } else if (c.len % 3 === 1) {
        // Right after the overlap check above: the insert that reuses its lookup.
        a.insertAfterFirstOverlap(v);
        b.insertChecked(v);
      } else {
        a.insertChecked(v);
        b.insertChecked(v);
      }
    } else if (c.op === 'delete') {
      const v = b.containing(c.at);
      if (v !== undefined) {
        // Half the deletes follow a lookup that found the interval, as the virtio-iommu walks do.
        if (c.at % 2 === 0) {
          expect(a.firstOverlap(c.at, c.at)).toBe(v);
          expect(a.deleteAfterFirstOverlap(v)).toBe(b.delete(v));
        } else expect(a.delete(v)).toBe(b.delete(v));
      }
    } else {
      a.clear();
      b.clear();
    }
    expect(a.size).toBe(b.size);
    for (const [s, n] of probes) {
      const l = s + n;
      expect(a.firstOverlap(s, l)).toBe(b.firstOverlap(s, l));
      expect(a.containing(s)).toBe(b.containing(s));
      expect(a.overlapping(s, l)).toEqual(b.overlapping(s, l));
      expect(a.covers(s, l)).toBe(b.covers(s, l));
      expect(a.firstStartingAtOrAfter(s)).toBe(b.firstStartingAtOrAfter(s));
      expect([...a.descendingBelow(s)]).toEqual([...b.descendingBelow(s)]);
      const v = b.containing(s);
      if (v !== undefined) {
        expect(a.next(v)).toBe(b.next(v));
        expect(a.prev(v)).toBe(b.prev(v));
      }
    }
  }
  expect([...a.values()]).toEqual([...b.values()]);
  expect([...a.descendingBelow()]).toEqual([...b.descendingBelow()]);
  expect(a.first()).toBe(b.first());
  expect(a.last()).toBe(b.last());
}

const at = fc.integer({ min: 0, max: 4000 });
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('insert' as const), start: at, len: fc.integer({ min: 0, max: 20 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('delete' as const), at }) },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
);

describe('IntervalMap matches its sorted-btree predecessor', () => {
  it('same answers for random inserts, deletes and queries', () => {
    fc.assert(
      fc.property(
        fc.array(cmdArb, { maxLength: 300 }),
        fc.array(fc.tuple(at, fc.integer({ min: 0, max: 200 })), { minLength: 1, maxLength: 4 }),
        run,
      ),
      { numRuns: 150 },
    );
  });
});
