// The table's divisions by its page size done as multiplications by 1 / pageSize (remPage,
// indexOf, tcePerm) against the division forms they replace (remPow2, x / pageSize): the same
// bits (Object.is) for any TCE, bus address or page shift, fractional, negative, huge and zero
// inputs; and isBacked's comparison with the last whole RAM page against gpaOf + pageSize <= RAM.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { remPow2 } from '../../base/bits';
import { SpaprTceTable, tcePerm } from './spaprTceTable';

const anyValue = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 53 }),
  fc.double({ noNaN: true }),
  fc.double({ min: -1e20, max: 1e20, noNaN: true }),
  fc.constantFrom(0, -0, 3, 2 ** 64 + 4096, Infinity, -Infinity, 0.75),
  fc.integer({ min: 0, max: 2 ** 40 }).map((p) => p * 4096 + 3),
);

describe('SpaprTceTable divisions as multiplications', () => {
  it('tcePerm is remPow2(tce, 4)', () => {
    fc.assert(
      fc.property(anyValue, (x) => {
        expect(Object.is(tcePerm(x), remPow2(x, 4))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('remPage, indexOf and the ioba index match remPow2 and the divisions', () => {
    fc.assert(
      fc.property(fc.integer({ min: 12, max: 40 }), fc.integer({ min: 0, max: 2 ** 20 }), anyValue, (shift, offPages, x) => {
        const t = new SpaprTceTable(1, 1, 2 ** 33);
        const ps = 2 ** shift;
        t.enable(shift, offPages * ps, 2 ** 10);
        expect(Object.is(t.remPage(x), remPow2(x, ps))).toBe(true);
        expect(Object.is(t.gpaOf(x), x - remPow2(x, ps))).toBe(true);
        if (x >= t.busOffset) expect(Object.is(t.indexOf(x), Math.floor((x - t.busOffset) / ps))).toBe(true);
        expect(Object.is(x * t.invPageSize - t.busOffset * t.invPageSize, x / ps - t.busOffset / ps)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('isBacked is gpaOf(tce) + pageSize <= ramBytes', () => {
    const ram = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 53 }),
      fc.integer({ min: 0, max: 2 ** 24 }).map((p) => p * 4096),
      fc.constantFrom(0, 4095, 2 ** 33, 2 ** 53 - 1, 2 ** 53, 2 ** 60, 0.5, 2 ** 33 + 0.5),
    );
    fc.assert(
      fc.property(fc.integer({ min: 12, max: 40 }), fc.boolean(), ram, anyValue, (shift, enabled, ramBytes, x) => {
        const t = new SpaprTceTable(1, 1, ramBytes);
        if (enabled) t.enable(shift, 0, 2 ** 10);
        const tce = Number.isFinite(x) && Math.abs(x) < 2 ** 50 && x > 0 ? x % (ramBytes * 2 + 4096) : x;
        for (const v of [x, tce, ramBytes, ramBytes - 1, ramBytes - t.pageSize, ramBytes + 3])
          expect(t.isBacked(v)).toBe(t.gpaOf(v) + t.pageSize <= ramBytes);
      }),
      { numRuns: 3000 },
    );
  });
});
