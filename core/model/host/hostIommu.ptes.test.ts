// ptesFor counts a stretch of equal pages at a time; it must count exactly what iommu_pgsize's page
// by page walk (the loop below, as hostIommu.ts had it) counts, for any geometry, alignment,
// backing chunk and length, IOVAs past 2^53 included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lowestSetBit } from '../base/bits';
import { resolveCostTable } from '../../sim/costTable';
import { countPtes, HostIommuDomain } from './hostIommu';

function ptesPageByPage(sizes: readonly number[], iova: number, physOffset: number, chunkBytes: number, bytes: number): number {
  let count = 0;
  let offset = 0;
  while (offset < bytes) {
    const cur = iova + offset;
    const iovaAlign = cur === 0 ? Infinity : lowestSetBit(cur);
    const inChunk = (physOffset + offset) % chunkBytes;
    const physAlign = inChunk === 0 ? chunkBytes : lowestSetBit(inChunk);
    const align = Math.min(iovaAlign, physAlign);
    let pg = sizes[0]!;
    for (let i = sizes.length - 1; i >= 0; i--) {
      const s = sizes[i]!;
      if (s <= align && s <= bytes - offset) {
        pg = s;
        break;
      }
    }
    offset += pg;
    count++;
  }
  return count;
}

const K = 4096;
const GEOMETRIES = [[K], [K, 2 ** 21, 2 ** 30], [K, 2 ** 16, 2 ** 21, 2 ** 30], [2 ** 16, 2 ** 24]];

describe('ptesFor matches the page-by-page iommu_pgsize walk', () => {
  it('for random geometries, alignments, chunks and lengths', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...GEOMETRIES),
        fc.constantFrom(0, 2 ** 30, 2 ** 40, 2 ** 62, 2 ** 63),
        fc.nat(2 ** 20),
        fc.constantFrom(K, 2 ** 21, 2 ** 30),
        fc.nat(2 ** 19),
        fc.integer({ min: 1, max: 2 ** 20 }),
        (sizes, base, iovaPages, chunkBytes, physPages, pages) => {
          const d = new HostIommuDomain(
            { apertureStart: 0, apertureLast: 2 ** 64 - 1, pageSizes: sizes, reserved: [] },
            resolveCostTable(),
          );
          const iova = base + iovaPages * K;
          const physOffset = (physPages * K) % chunkBytes;
          const bytes = Math.min(pages * K, chunkBytes - physOffset);
          expect(d.ptesFor(iova, physOffset, chunkBytes, bytes)).toBe(ptesPageByPage(sizes, iova, physOffset, chunkBytes, bytes));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('for lengths that do not fit the smallest page', () => {
    const sizes = [2 ** 16, 2 ** 24];
    const d = new HostIommuDomain({ apertureStart: 0, apertureLast: 2 ** 64 - 1, pageSizes: sizes, reserved: [] }, resolveCostTable());
    for (const bytes of [K, 3 * K, 2 ** 16 + K, 2 ** 24 + 5 * K]) {
      expect(d.ptesFor(2 ** 24, 0, 2 ** 30, bytes)).toBe(ptesPageByPage(sizes, 2 ** 24, 0, 2 ** 30, bytes));
    }
  });

  it('answers a repeated question from its last answer exactly as the walk does', () => {
    // Sequences of questions that differ in the IOVA's chunk, its offset in the chunk, the length
    // or the chunk size, so the remembered answer is both hit and missed; IOVAs past 2^53 take the
    // walk every time.
    const question = fc.record({
      chunkBytes: fc.constantFrom(K, 2 ** 21, 2 ** 30),
      chunkIndex: fc.oneof(fc.nat(4096), fc.constantFrom(2 ** 22, 2 ** 33 - 1)),
      lowPages: fc.constantFrom(0, 1, 3, 256, 512),
      physPages: fc.constantFrom(0, 1, 256),
      pages: fc.constantFrom(1, 2, 511, 512, 513, 2 ** 18),
    });
    fc.assert(
      fc.property(fc.constantFrom(...GEOMETRIES), fc.array(question, { minLength: 1, maxLength: 40 }), (sizes, questions) => {
        const d = new HostIommuDomain({ apertureStart: 0, apertureLast: 2 ** 64 - 1, pageSizes: sizes, reserved: [] }, resolveCostTable());
        for (const q of questions) {
          const low = (q.lowPages * K) % q.chunkBytes;
          const iova = q.chunkIndex * q.chunkBytes + low;
          const physOffset = (q.physPages * K) % q.chunkBytes;
          const bytes = Math.max(K, Math.min(q.pages * K, q.chunkBytes - physOffset));
          expect(d.ptesFor(iova, physOffset, q.chunkBytes, bytes)).toBe(countPtes(sizes, iova, physOffset, q.chunkBytes, bytes));
          if (iova + bytes <= 2 ** 46)
            expect(countPtes(sizes, iova, physOffset, q.chunkBytes, bytes)).toBe(
              ptesPageByPage(sizes, iova, physOffset, q.chunkBytes, bytes),
            );
        }
      }),
      { numRuns: 300 },
    );
  });
});
