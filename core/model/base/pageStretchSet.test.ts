// PageStretchSet against a plain Set of page addresses: random adds and removes of page ranges
// (any overlap, adjacency, byte bounds that end mid-page) must give the same membership, size,
// next page in a window and stretch ends.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PageStretchSet } from './pageStretchSet';

const P = 4096;

type Cmd = { readonly add: boolean; readonly page: number; readonly pages: number; readonly tailBytes: number };

function check(cmds: readonly Cmd[], probes: readonly [number, number][]): void {
  const set = new PageStretchSet();
  const ref = new Set<number>();
  for (const c of cmds) {
    const start = c.page * P;
    if (c.add) {
      set.add(start, start + (c.pages - 1) * P);
      for (let k = 0; k < c.pages; k++) ref.add(start + k * P);
    } else {
      const last = start + (c.pages - 1) * P + c.tailBytes;
      set.remove(start, last);
      for (const p of [...ref]) if (p >= start && p <= last) ref.delete(p);
    }
    expect(set.size).toBe(ref.size);
    expect(set.pages()).toEqual([...ref].sort((a, b) => a - b));
  }
  for (const [a, n] of probes) {
    const from = a * P;
    const last = from + n * P - 1;
    const want = [...ref].filter((p) => p >= from && p <= last).sort((x, y) => x - y)[0] ?? -1;
    expect(set.next(from, last)).toBe(want);
    expect(set.has(from)).toBe(ref.has(from));
    let through = -1;
    if (ref.has(from)) for (through = from; ref.has(through + P);) through += P;
    expect(set.through(from)).toBe(through);
  }
}

describe('PageStretchSet', () => {
  it('agrees with a set of pages', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            add: fc.boolean(),
            page: fc.nat(200),
            pages: fc.integer({ min: 1, max: 40 }),
            tailBytes: fc.constantFrom(0, 1, P - 1),
          }),
          { maxLength: 40 },
        ),
        fc.array(fc.tuple(fc.nat(220), fc.integer({ min: 1, max: 60 })), { maxLength: 20 }),
        check,
      ),
      { numRuns: 300 },
    );
  });

  it('keeps merged neighbours as one stretch', () => {
    const set = new PageStretchSet();
    set.add(0, 3 * P);
    set.add(8 * P, 9 * P);
    set.add(4 * P, 7 * P);
    expect(set.through(0)).toBe(9 * P);
    set.remove(2 * P, 2 * P + 10);
    expect(set.through(0)).toBe(P);
    expect(set.through(3 * P)).toBe(9 * P);
    expect(set.size).toBe(9);
  });
});
