// SpaprTceTable.fill / putList (the range writes of H_STUFF_TCE and H_PUT_TCE_INDIRECT, with the
// chunk of an array-backed window looked up once per chunk) against the entry-by-entry put() loop
// they replace: random sequences of single puts, fills, list writes (lists shorter than the range
// included) and resets, on array-backed windows whose ranges cross chunk boundaries and on a sparse
// window, must leave the same entries, live / backed counts, peaks and invariants after every step.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpaprTceTable } from './spaprTceTable';

const RAM = 2 ** 30;
const CHUNK = 4096;

type Cmd =
  | { readonly op: 'put'; readonly index: number; readonly tce: number }
  | { readonly op: 'fill'; readonly index: number; readonly n: number; readonly tce: number }
  | { readonly op: 'list'; readonly index: number; readonly n: number; readonly list: readonly number[] }
  | { readonly op: 'reset' };

/** put() one entry at a time: the oracle. */
function byPut(t: SpaprTceTable, c: Cmd): void {
  if (c.op === 'put') t.put(c.index, c.tce);
  else if (c.op === 'fill') for (let i = 0; i < c.n; i++) t.put(c.index + i, c.tce);
  else if (c.op === 'list') for (let i = 0; i < c.n; i++) t.put(c.index + i, i < c.list.length ? c.list[i]! : 0);
  else t.clearAll();
}

function byRange(t: SpaprTceTable, c: Cmd): void {
  if (c.op === 'put') t.put(c.index, c.tce);
  else if (c.op === 'fill') t.fill(c.index, c.n, c.tce);
  else if (c.op === 'list') t.putList(c.index, Float64Array.from(c.list), c.list.length, c.n);
  else t.clearAll();
}

function state(t: SpaprTceTable): unknown {
  return { snapshot: t.snapshot(), live: t.live, backed: t.liveBacked, peak: t.livePeak, problems: t.checkInvariants() };
}

/** A TCE: 0, a fault entry, or a page (in RAM or past it) with some permission bits. */
const tce = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.nat(2 ** 20).map((p) => p * 4096) },
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.nat(2 ** 19), fc.integer({ min: 0, max: 3 }), fc.boolean())
      .map(([p, perm, high]) => (high ? RAM : 0) + p * 4096 + perm),
  },
);

function cmds(entries: number): fc.Arbitrary<Cmd[]> {
  // Near a chunk boundary half of the time, so ranges cross chunks.
  const index = fc.oneof(
    fc.nat(entries - 1),
    fc.integer({ min: -40, max: 40 }).map((d) => Math.min(entries - 1, Math.max(0, CHUNK + d))),
  );
  const room = (i: number, n: number): number => Math.max(0, Math.min(n, entries - i));
  const cmd: fc.Arbitrary<Cmd> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ op: fc.constant('put' as const), index, tce }) },
    {
      weight: 3,
      arbitrary: fc
        .record({ index, n: fc.nat(600), tce })
        .map(({ index: i, n, tce: v }) => ({ op: 'fill' as const, index: i, n: room(i, n), tce: v })),
    },
    {
      weight: 3,
      arbitrary: fc
        .record({ index, n: fc.nat(520), list: fc.array(tce, { maxLength: 512 }) })
        .map(({ index: i, n, list }) => ({ op: 'list' as const, index: i, n: room(i, n), list })),
    },
    { weight: 1, arbitrary: fc.constant({ op: 'reset' as const }) },
  );
  return fc.array(cmd, { minLength: 1, maxLength: 30 });
}

describe('SpaprTceTable range writes match put() entry by entry', () => {
  for (const [what, nbTable] of [
    ['an array-backed window of a few chunks', 3 * CHUNK + 77],
    ['a sparse window past 2^21 entries', 2 ** 21 + 8],
  ] as const) {
    it(`on ${what}`, () => {
      fc.assert(
        fc.property(cmds(Math.min(nbTable, 3 * CHUNK + 77)), (script) => {
          const fast = new SpaprTceTable(0x8000_0000, 0, RAM);
          const ref = new SpaprTceTable(0x8000_0000, 0, RAM);
          fast.enable(12, 0, nbTable);
          ref.enable(12, 0, nbTable);
          for (const [i, c] of script.entries()) {
            byRange(fast, c);
            byPut(ref, c);
            expect(state(fast), `step ${i}: ${c.op}`).toEqual(state(ref));
          }
        }),
        { numRuns: 150 },
      );
    });
  }
});
