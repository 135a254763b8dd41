// isMultipleOfPow2 (the alignment checks of type1 and the sPAPR TCE container without a floating-point remainder) against the
// remainder it replaces, `x % pgsize === 0`: for every power-of-two page size from 1 byte to 2^40
// and any double (integers around the u64 limit, page multiples, fractions, negatives, NaN,
// infinities, tiny subnormals) and for an undefined page size (no common size: never aligned).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMultipleOfPow2 } from './bits';

const remainderOracle = (x: number, pgsize: number): boolean => x % pgsize === 0;

describe('isMultipleOfPow2', () => {
  const pgsize = fc.integer({ min: 0, max: 40 }).map((e) => 2 ** e);
  const addr = fc.oneof(
    fc.double(),
    fc.double({ min: -(2 ** 66), max: 2 ** 66, noNaN: true }),
    fc.bigInt({ min: 0n, max: 2n ** 64n }).map(Number),
    fc.tuple(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 24 })).map(([n, e]) => n * 2 ** e),
    fc
      .tuple(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 24 }), fc.integer({ min: -3, max: 3 }))
      .map(([n, e, d]) => n * 2 ** e * 4096 + d),
    fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** 64, 2 ** 64 - 4096, 2 ** 53, 2 ** 53 + 2, Number.MIN_VALUE, 5e-324, 0.5),
  );

  it('answers what x % pgsize === 0 answers', () => {
    fc.assert(
      fc.property(addr, pgsize, (x, p) => {
        expect(isMultipleOfPow2(x, p)).toBe(remainderOracle(x, p));
      }),
      { numRuns: 20_000 },
    );
  });

  it('is false for an undefined page size, as the remainder is', () => {
    const none = [][0] as unknown as number;
    for (const x of [0, 4096, 2 ** 40, NaN]) expect(isMultipleOfPow2(x, none)).toBe(remainderOracle(x, none));
  });
});
