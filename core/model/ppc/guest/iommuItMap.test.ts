// it_map's word-at-a-time searches against one boolean per entry: random set / clear spans over a
// table whose size is not a multiple of a word or a chunk, spans crossing chunk boundaries, queries
// running past either end.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IommuItMap } from './iommuItMap';

const SIZE = 2 * 32768 + 77;

function firstSet(bits: readonly boolean[], first: number, last: number): number {
  for (let i = Math.max(0, first); i <= Math.min(last, bits.length - 1); i++) if (bits[i]) return i;
  return -1;
}

function nextClear(bits: readonly boolean[], from: number): number {
  for (let i = Math.max(0, from); i < bits.length; i++) if (!bits[i]) return i;
  return bits.length;
}

describe('IommuItMap', () => {
  it('answers as a bit per entry would', () => {
    const point = fc.oneof(
      fc.nat(SIZE - 1),
      fc.integer({ min: 32768 - 40, max: 32768 + 40 }),
      fc.integer({ min: SIZE - 40, max: SIZE - 1 }),
    );
    const span = fc.record({ at: point, len: fc.oneof(fc.nat(40), fc.nat(5000)) });
    fc.assert(
      fc.property(
        fc.array(fc.record({ set: fc.boolean(), span, probe: fc.integer({ min: -5, max: SIZE + 5 }) }), { minLength: 1, maxLength: 60 }),
        (cmds) => {
          const map = new IommuItMap(SIZE);
          const bits: boolean[] = new Array<boolean>(SIZE).fill(false);
          for (const c of cmds) {
            const first = c.span.at;
            const last = Math.min(SIZE - 1, first + c.span.len);
            // set() and clear() are only called on spans that are all clear / all set.
            const all = bits.slice(first, last + 1);
            if (c.set && all.every((b) => !b)) {
              map.set(first, last);
              bits.fill(true, first, last + 1);
            } else if (!c.set && all.every((b) => b)) {
              map.clear(first, last);
              bits.fill(false, first, last + 1);
            }
            expect(map.count).toBe(bits.filter((b) => b).length);
            expect(map.test(c.probe)).toBe(bits[c.probe] === true);
            expect(map.firstSet(c.probe, c.probe + c.span.len)).toBe(firstSet(bits, c.probe, c.probe + c.span.len));
            expect(map.nextClear(c.probe)).toBe(nextClear(bits, c.probe));
            const set = firstSet(bits, c.probe, SIZE);
            if (set >= 0) expect(map.nextClear(set)).toBe(nextClear(bits, set));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a full table has no clear entry; a table of 2^31 entries is addressable at its last entry', () => {
    const small = new IommuItMap(70);
    small.set(0, 69);
    expect(small.nextClear(0)).toBe(70);
    expect(small.firstSet(-3, 100)).toBe(0);
    const huge = new IommuItMap(2 ** 31);
    huge.set(2 ** 31 - 3, 2 ** 31 - 1);
    expect(huge.firstSet(0, 2 ** 31 - 1)).toBe(2 ** 31 - 3);
    expect(huge.nextClear(2 ** 31 - 3)).toBe(2 ** 31);
    expect(huge.test(2 ** 31 - 1)).toBe(true);
    expect(huge.test(2 ** 31)).toBe(false);
  });
});
