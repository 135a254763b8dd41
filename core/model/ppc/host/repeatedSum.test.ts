// The closed forms of repeatedSum.ts against the loops they stand for: bit-identical results
// (Object.is) for integer and fractional starts and costs, totals near 2^53 and zero counts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addRepeated, addRepeated2 } from './repeatedSum';

function loop1(x: number, a: number, n: number): number {
  for (let i = 0; i < n; i++) x += a;
  return x;
}

function loop2(x: number, a: number, b: number, n: number): number {
  for (let i = 0; i < n; i++) x = x + a + b;
  return x;
}

const value = fc.oneof(
  fc.integer({ min: 0, max: 1e9 }),
  fc.double({ min: 0, max: 1e9, noNaN: true }),
  fc.integer({ min: 2 ** 53 - 5000, max: 2 ** 53 }),
  fc.constantFrom(0, -0, 0.5, 2 ** 53 - 1, 2 ** 53 + 2),
  fc.integer({ min: -1000, max: 0 }),
);
const step = fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.double({ min: 0, max: 5000, noNaN: true }), fc.constantFrom(0, -0, 0.1, 1.5));
const count = fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.constantFrom(0, 1, 2.5));

describe('repeated sums', () => {
  it('addRepeated is the += loop, bit for bit', () => {
    fc.assert(
      fc.property(value, step, count, (x, a, n) => {
        expect(Object.is(addRepeated(x, a, n), loop1(x, a, n))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('addRepeated2 is the x = x + a + b loop, bit for bit', () => {
    fc.assert(
      fc.property(value, step, step, count, (x, a, b, n) => {
        expect(Object.is(addRepeated2(x, a, b, n), loop2(x, a, b, n))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
