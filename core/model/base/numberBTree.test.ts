// NumberBTree against a sorted array: random inserts (also in bulk, so the tree grows several
// levels and splits inner nodes), replacements, deletes (also in bulk, so leaves and inner nodes
// empty and the root collapses), and every query after each step; the structure checks hold
// throughout. Inserts and deletes after a floorAndHigher (setAfterLookup, deleteAfterLookup), also
// in bulk and with another lookup or change in between, must do what set and delete do. A walk of
// operations each near the last one's key checks the reuse of the last descent's leaf (the finger)
// across splits, emptied leaves and root changes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NumberBTree } from './numberBTree';

type Cmd =
  | { readonly op: 'set'; readonly k: number }
  | { readonly op: 'del'; readonly k: number }
  | { readonly op: 'bulkSet'; readonly from: number; readonly n: number; readonly step: number }
  | { readonly op: 'bulkDel'; readonly from: number; readonly n: number; readonly step: number }
  | { readonly op: 'clear' }
  /** floorAndHigher(k), maybe an intervening query at `q` (or a set of q), then setAfterLookup(k + shift). */
  | { readonly op: 'lookupSet'; readonly k: number; readonly shift: number; readonly between: 'none' | 'query' | 'set'; readonly q: number }
  /** floorAndHigher(k), maybe an intervening query or set at `q`, then deleteAfterLookup of its floor, its after, or k. */
  | {
      readonly op: 'lookupDel';
      readonly k: number;
      readonly pick: 'floor' | 'after' | 'k';
      readonly between: 'none' | 'query' | 'set';
      readonly q: number;
    }
  | { readonly op: 'bulkLookupSet'; readonly from: number; readonly n: number; readonly step: number }
  | { readonly op: 'bulkLookupDel'; readonly from: number; readonly n: number; readonly step: number };

class SortedArray {
  keys: number[] = [];
  vals = new Map<number, string>();
  indexOf(k: number): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.keys[mid]! < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  set(k: number, v: string): void {
    if (!this.vals.has(k)) this.keys.splice(this.indexOf(k), 0, k);
    this.vals.set(k, v);
  }
  del(k: number): boolean {
    if (!this.vals.has(k)) return false;
    this.vals.delete(k);
    this.keys.splice(this.indexOf(k), 1);
    return true;
  }
  /** Value at index i of the sorted keys (undefined out of range). */
  at(i: number): string | undefined {
    const k = this.keys[i];
    return k === undefined ? undefined : this.vals.get(k);
  }
  floor(k: number): string | undefined {
    return this.at(this.indexOf(k) + (this.vals.has(k) ? 0 : -1));
  }
  lower(k: number): string | undefined {
    return this.at(this.indexOf(k) - 1);
  }
  ceiling(k: number): string | undefined {
    return this.at(this.indexOf(k));
  }
  higher(k: number): string | undefined {
    return this.at(this.indexOf(k) + (this.vals.has(k) ? 1 : 0));
  }
  floorKey(k: number): number | undefined {
    return this.keys[this.indexOf(k) + (this.vals.has(k) ? 0 : -1)];
  }
  higherKey(k: number): number | undefined {
    return this.keys[this.indexOf(k) + (this.vals.has(k) ? 1 : 0)];
  }
}

function run(cmds: readonly Cmd[], probes: readonly number[]): void {
  const t = new NumberBTree<string>();
  const r = new SortedArray();
  let version = 0;
  const apply = (c: Cmd): void => {
    const v = `v${version++}`;
    switch (c.op) {
      case 'set':
        t.set(c.k, v);
        r.set(c.k, v);
        return;
      case 'del':
        expect(t.delete(c.k)).toBe(r.del(c.k));
        return;
      case 'bulkSet':
        for (let i = 0; i < c.n; i++) {
          t.set(c.from + i * c.step, `${v}.${i}`);
          r.set(c.from + i * c.step, `${v}.${i}`);
        }
        return;
      case 'bulkDel':
        for (let i = 0; i < c.n; i++) expect(t.delete(c.from + i * c.step)).toBe(r.del(c.from + i * c.step));
        return;
      case 'clear':
        t.clear();
        r.keys = [];
        r.vals.clear();
        return;
      case 'lookupSet': {
        expect(t.floorAndHigher(c.k)).toBe(r.floor(c.k));
        between(c.between, c.q);
        t.setAfterLookup(c.k + c.shift, v);
        r.set(c.k + c.shift, v);
        return;
      }
      case 'lookupDel': {
        expect(t.floorAndHigher(c.k)).toBe(r.floor(c.k));
        const target = c.pick === 'floor' ? r.floorKey(c.k) : c.pick === 'after' ? r.higherKey(c.k) : c.k;
        between(c.between, c.q);
        if (target !== undefined) expect(t.deleteAfterLookup(target)).toBe(r.del(target));
        return;
      }
      case 'bulkLookupSet':
        for (let i = 0; i < c.n; i++) {
          const k = c.from + i * c.step;
          t.floorAndHigher(k);
          t.setAfterLookup(k, `${v}.${i}`);
          r.set(k, `${v}.${i}`);
        }
        return;
      case 'bulkLookupDel':
        for (let i = 0; i < c.n; i++) {
          const k = c.from + i * c.step;
          t.floorAndHigher(k);
          // Alternately the floor (often the key itself) and the next key, as interval maps delete.
          const target = i % 2 === 0 ? r.floorKey(k) : r.higherKey(k);
          if (target !== undefined) expect(t.deleteAfterLookup(target)).toBe(r.del(target));
        }
        return;
    }
  };
  const between = (what: 'none' | 'query' | 'set', q: number): void => {
    if (what === 'query') expect(t.floor(q)).toBe(r.floor(q));
    else if (what === 'set') {
      t.set(q, `q${version}`);
      r.set(q, `q${version}`);
    }
  };
  for (const c of cmds) {
    apply(c);
    expect(t.checkInvariants()).toEqual([]);
    expect(t.size).toBe(r.keys.length);
    for (const k of probes) {
      expect(t.get(k)).toBe(r.vals.get(k));
      expect(t.floor(k)).toBe(r.floor(k));
      expect(t.lower(k)).toBe(r.lower(k));
      expect(t.ceiling(k)).toBe(r.ceiling(k));
      expect(t.higher(k)).toBe(r.higher(k));
      expect(t.floorAndHigher(k)).toBe(r.floor(k));
      expect(t.after).toBe(r.higher(k));
    }
  }
  for (const k of probes) {
    expect([...t.descending(k)]).toEqual(
      r.keys
        .filter((x) => x < k)
        .reverse()
        .map((x) => r.vals.get(x)),
    );
  }
  expect([...t.values()]).toEqual(r.keys.map((k) => r.vals.get(k)));
  expect([...t.descending()]).toEqual(r.keys.map((k) => r.vals.get(k)).reverse());
  expect(t.first()).toBe(r.vals.get(r.keys[0]!));
  expect(t.last()).toBe(r.vals.get(r.keys.at(-1)!));
}

const key = fc.integer({ min: -50, max: 3000 });
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), k: key }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('del' as const), k: key }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('bulkSet' as const),
      from: key,
      n: fc.integer({ min: 1, max: 1500 }),
      step: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('bulkDel' as const),
      from: key,
      n: fc.integer({ min: 1, max: 1500 }),
      step: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('lookupSet' as const),
      k: key,
      shift: fc.constantFrom(0, 0, 0, 1, -1, 2, -2, 16, -16),
      between: fc.constantFrom('none' as const, 'none' as const, 'query' as const, 'set' as const),
      q: key,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('lookupDel' as const),
      k: key,
      pick: fc.constantFrom('floor' as const, 'after' as const, 'k' as const),
      between: fc.constantFrom('none' as const, 'none' as const, 'query' as const, 'set' as const),
      q: key,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('bulkLookupSet' as const),
      from: key,
      n: fc.integer({ min: 1, max: 1500 }),
      step: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('bulkLookupDel' as const),
      from: key,
      n: fc.integer({ min: 1, max: 1500 }),
      step: fc.integer({ min: 1, max: 3 }),
    }),
  },
);

describe('NumberBTree', () => {
  it('answers every query as a sorted array does, through splits, empty nodes and root changes', () => {
    fc.assert(fc.property(fc.array(cmdArb, { maxLength: 25 }), fc.array(key, { minLength: 1, maxLength: 6 }), run), { numRuns: 150 });
  });

  it('answers as a sorted array does when each operation lands near the last one (the finger)', () => {
    const step = fc.record({
      delta: fc.integer({ min: -6, max: 6 }),
      op: fc.constantFrom('set', 'set', 'del', 'floor', 'higher', 'lookupSet', 'lookupDel', 'get'),
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.array(step, { minLength: 300, maxLength: 600 }), (start, steps) => {
        const t = new NumberBTree<string>();
        const r = new SortedArray();
        let k = start;
        let n = 0;
        for (const s of steps) {
          k += s.delta;
          const v = `v${n++}`;
          if (s.op === 'set') {
            t.set(k, v);
            r.set(k, v);
          } else if (s.op === 'del') expect(t.delete(k)).toBe(r.del(k));
          else if (s.op === 'floor') expect(t.floor(k)).toBe(r.floor(k));
          else if (s.op === 'higher') expect(t.higher(k)).toBe(r.higher(k));
          else if (s.op === 'get') expect(t.get(k)).toBe(r.vals.get(k));
          else if (s.op === 'lookupSet') {
            expect(t.floorAndHigher(k)).toBe(r.floor(k));
            expect(t.after).toBe(r.higher(k));
            t.setAfterLookup(k, v);
            r.set(k, v);
          } else {
            expect(t.floorAndHigher(k)).toBe(r.floor(k));
            const target = r.floorKey(k);
            if (target !== undefined) expect(t.deleteAfterLookup(target)).toBe(r.del(target));
          }
          if (n % 16 === 0) expect(t.checkInvariants()).toEqual([]);
        }
        expect(t.checkInvariants()).toEqual([]);
        expect([...t.values()]).toEqual(r.keys.map((x) => r.vals.get(x)));
      }),
      { numRuns: 80 },
    );
  });

  it('holds keys past 2^53 and fractional keys in order', () => {
    const t = new NumberBTree<number>();
    const keys = [2 ** 64, 2 ** 63, 2 ** 53 + 2, 0.5, -1, 0];
    for (const k of keys) t.set(k, k);
    expect([...t.values()]).toEqual([...keys].sort((a, b) => a - b));
    expect(t.floor(2 ** 63 + 4096)).toBe(2 ** 63);
    expect(() => t.set(NaN, 0)).toThrow(RangeError);
  });
});
