// The TCE table's storage (chunks of 4096 entries allocated at their first non-zero TCE, a map of
// non-zero entries past 2^21 entries) against one number per entry: random writes, runs, lists,
// resets and re-enables over windows that end inside a chunk, span several chunks or are sparse must
// read back the same TCEs, count the same live and backed entries and peak, and snapshot the same.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpaprTceTable, tcePerm } from './spaprTceTable';

const RAM = 8 * 2 ** 30;

/** The reference: every entry as a number. */
class Plain {
  entries = new Map<number, number>();
  live = 0;
  backed = 0;
  peak = 0;
  constructor(readonly pageSize: number) {}
  put(i: number, tce: number): void {
    this.count(this.entries.get(i) ?? 0, -1);
    if (tce === 0) this.entries.delete(i);
    else this.entries.set(i, tce);
    this.count(tce, 1);
    this.peak = Math.max(this.peak, this.live);
  }
  private count(tce: number, sign: number): void {
    if (tcePerm(tce) === 0) return;
    this.live += sign;
    if (tce - (tce % this.pageSize) + this.pageSize <= RAM) this.backed += sign;
  }
}

type Cmd =
  | { readonly op: 'put'; readonly at: number; readonly tce: number }
  | { readonly op: 'fill'; readonly at: number; readonly n: number; readonly tce: number }
  | { readonly op: 'list'; readonly at: number; readonly tces: readonly number[]; readonly n: number }
  | { readonly op: 'clear' };

const tce = fc.oneof(
  fc.constant(0),
  fc.nat(2 ** 22).map((p) => p * 4096 + (p % 4)),
  fc.nat(3).map((perm) => 2 ** 40 + perm),
);

describe('SpaprTceTable storage', () => {
  for (const [name, nb, shift] of [
    ['a window ending inside its first chunk', 3000, 12],
    ['a window of several chunks', 3 * 4096 + 17, 16],
    ['a sparse window past 2^21 entries', 2 ** 22, 16],
  ] as const) {
    it(`reads back what one number per entry holds: ${name}`, () => {
      // Entries around the first chunk boundary (or the window's end when it comes first).
      const edge = Math.min(4096, nb - 1);
      const at = fc.oneof(fc.nat(nb - 1), fc.integer({ min: edge - 3, max: Math.min(nb - 1, edge + 3) }));
      const cmd: fc.Arbitrary<Cmd> = fc.oneof(
        { weight: 4, arbitrary: fc.record({ op: fc.constant('put' as const), at, tce }) },
        { weight: 2, arbitrary: fc.record({ op: fc.constant('fill' as const), at, n: fc.nat(600), tce }) },
        {
          weight: 2,
          arbitrary: fc.record({ op: fc.constant('list' as const), at, tces: fc.array(tce, { maxLength: 40 }), n: fc.nat(60) }),
        },
        { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
      );
      fc.assert(
        fc.property(fc.array(cmd, { minLength: 1, maxLength: 40 }), (cmds) => {
          const t = new SpaprTceTable(0x8000_0001, 1, RAM);
          t.enable(shift, 2 ** 59, nb);
          let ref = new Plain(2 ** shift);
          for (const c of cmds) {
            if (c.op === 'put') {
              const old = ref.entries.get(c.at) ?? 0;
              ref.put(c.at, c.tce);
              expect(t.put(c.at, c.tce)).toBe(old);
            } else if (c.op === 'fill') {
              const n = Math.min(c.n, nb - c.at);
              t.fill(c.at, n, c.tce);
              for (let i = 0; i < n; i++) ref.put(c.at + i, c.tce);
            } else if (c.op === 'list') {
              const n = Math.min(c.n, nb - c.at);
              t.putList(c.at, Float64Array.from(c.tces), c.tces.length, n);
              for (let i = 0; i < n; i++) ref.put(c.at + i, i < c.tces.length ? c.tces[i]! : 0);
            } else {
              t.clearAll();
              const peak = ref.peak;
              ref = new Plain(2 ** shift);
              ref.peak = peak;
            }
            expect([t.live, t.liveBacked, t.livePeak]).toEqual([ref.live, ref.backed, ref.peak]);
            for (const i of [0, c.op === 'clear' ? 1 : c.at, nb - 1]) expect(t.get(i)).toBe(ref.entries.get(i) ?? 0);
          }
          expect((t.snapshot() as { entries: unknown }).entries).toEqual([...ref.entries].sort((a, b) => a[0] - b[0]));
          expect(t.checkInvariants()).toEqual([]);
          t.disable();
          t.enable(shift, 2 ** 59, nb);
          expect((t.snapshot() as { entries: unknown[] }).entries).toEqual([]);
        }),
        { numRuns: 150 },
      );
    });
  }
});
