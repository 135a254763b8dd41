import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IntervalMap } from './intervalMap';
import { lastBefore } from '../iommufd/iommufdIovaSpan';

describe('IntervalMap.covers: no gap in a range', () => {
  it('agrees with a byte-by-byte check on small maps, adjacent intervals included', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { maxLength: 12 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 10 }),
        (starts, s, len) => {
          const map = new IntervalMap<{ start: number; last: number }>();
          const taken = new Set<number>();
          for (const a of [...starts].sort((x, y) => x - y)) {
            if (taken.has(a)) continue;
            const last = a + 1;
            if (taken.has(last)) continue;
            map.insert({ start: a, last });
            taken.add(a).add(last);
          }
          let want = true;
          for (let x = s; x <= s + len; x++) if (!taken.has(x)) want = false;
          expect(map.covers(s, s + len)).toBe(want);
        },
      ),
    );
  });

  it('ends at IOVAs past 2^53, where adding 1 no longer moves a float', () => {
    const map = new IntervalMap<{ start: number; last: number }>();
    const start = 2 ** 63;
    map.insert({ start, last: lastBefore(start + 65536) });
    expect(map.covers(start, lastBefore(start + 65536))).toBe(true);
    expect(map.covers(start, start + 2 ** 20)).toBe(false);
  });
});
