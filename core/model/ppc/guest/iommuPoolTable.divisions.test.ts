// The pool table's divisions by its TCE size done as multiplications by 1 / pageSize (remPage,
// invPageSize; pseriesIommu's iommu_num_pages and entry numbers use them) against remPow2 and the
// plain division: the same bits (Object.is) for any address, fractional, huge and zero included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { remPow2 } from '../../base/bits';
import { IommuPoolTable } from './iommuPoolTable';

const anyValue = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 53 }),
  fc.double({ noNaN: true }),
  fc.constantFrom(0, -0, 2 ** 64 + 4096, Infinity, 0.75),
  fc.integer({ min: 0, max: 2 ** 40 }).map((p) => p * 4096 + 17),
);

describe('IommuPoolTable divisions as multiplications', () => {
  it('remPage and x * invPageSize are remPow2 and x / pageSize', () => {
    fc.assert(
      fc.property(fc.integer({ min: 12, max: 34 }), anyValue, fc.integer({ min: 0, max: 2 ** 20 }), (shift, x, bytes) => {
        const t = new IommuPoolTable(1, 0, 64, shift, 2 ** Math.max(0, 32 - shift));
        const ps = 2 ** shift;
        expect(Object.is(t.remPage(x), remPow2(x, ps))).toBe(true);
        expect(Object.is(Math.ceil((t.remPage(x) + bytes) * t.invPageSize), Math.ceil((remPow2(x, ps) + bytes) / ps))).toBe(true);
        expect(Object.is(Math.floor(x * t.invPageSize), Math.floor(x / ps))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
