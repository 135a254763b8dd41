// LatencyHistogram against hdr-histogram-js recording the same values one by one (the oracle):
// random latencies (small, IO-sized, past the highest trackable value so the library resizes,
// fractional, repeated, zero, NaN) recorded in batches with queries in between must give the same
// total and the same value at every percentile, and every value the same counts-array index, for
// each of several configurations built one after the other (their shapes are cached).
import fc from 'fast-check';
import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from './latencyHistogram';

const CONFIG = { lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: 3 } as const;
const PERCENTILES = [0, 0.1, 1, 25, 50, 75, 90, 99, 99.9, 99.99, 100, 150];

const value = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 4096 }) },
  { weight: 6, arbitrary: fc.integer({ min: 50_000, max: 2_000_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 ** 45 }) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 1e7, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 2047, 2048, 2049, 4095, 4096, 2 ** 31 - 1, 2 ** 31, 3_600_000_000_001, NaN) },
);

describe('LatencyHistogram', () => {
  it('answers every percentile as hdr-histogram-js given the same values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(value, { maxLength: 300 }), { minLength: 1, maxLength: 4 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (batches, p) => {
          const fast = new LatencyHistogram(CONFIG);
          const lib = hdr.build(CONFIG);
          for (const batch of batches) {
            for (const v of batch) {
              fast.recordValue(v);
              lib.recordValue(v);
            }
            expect(fast.totalCount).toBe(lib.totalCount);
            if (lib.totalCount === 0) continue;
            for (const q of [...PERCENTILES, p]) expect(fast.getValueAtPercentile(q), `p${q}`).toBe(lib.getValueAtPercentile(q));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("places a value at the library's counts-array index", () => {
    const fast = new LatencyHistogram(CONFIG);
    const lib = hdr.build(CONFIG) as unknown as { countsArrayIndex(v: number): number };
    const edges = [];
    for (let k = 0; k < 60; k++) edges.push(2 ** k - 1, 2 ** k, 2 ** k + 1, 2 ** k + 0.5);
    for (const v of edges) expect(fast.countsArrayIndex(v), String(v)).toBe(lib.countsArrayIndex(v));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ min: 0, max: 2 ** 60, noNaN: true }),
          fc.maxSafeNat(),
          // The integer fast path (below 2^32) and the values just below each power of two.
          fc.maxSafeNat().map((v) => v % 2 ** 32),
          fc.tuple(fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 1000 })).map(([k, d]) => Math.max(0, 2 ** k - d)),
        ),
        (v) => fast.countsArrayIndex(v) === lib.countsArrayIndex(v),
      ),
    );
  });

  it('keeps the shape of each configuration apart (shapes are cached per configuration)', () => {
    const configs = [
      CONFIG,
      { lowestDiscernibleValue: 1, highestTrackableValue: 1_000_000, numberOfSignificantValueDigits: 2 },
      { lowestDiscernibleValue: 1000, highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: 4 },
    ] as const;
    const values = [0, 1, 7, 999, 1000, 4096, 65_537, 999_999, 2_000_001, 2 ** 40];
    for (const round of [0, 1])
      for (const config of round === 0 ? configs : [...configs].reverse()) {
        const fast = new LatencyHistogram(config);
        const lib = hdr.build(config);
        const libIndex = lib as unknown as { countsArrayIndex(v: number): number };
        for (const v of values) {
          expect(fast.countsArrayIndex(v), `${config.highestTrackableValue}: ${v}`).toBe(libIndex.countsArrayIndex(v));
          fast.recordValue(v);
          lib.recordValue(v);
        }
        for (const q of PERCENTILES) expect(fast.getValueAtPercentile(q), `p${q}`).toBe(lib.getValueAtPercentile(q));
      }
  });

  it('rounds the count at a percentile as the library does (fp products a ulp above an integer: 57% of 100)', () => {
    for (const n of [1, 2, 3, 7, 10, 99, 100, 101, 333, 1000]) {
      const fast = new LatencyHistogram(CONFIG);
      const lib = hdr.build(CONFIG);
      // One value per bucket: the answer moves with every count.
      for (let v = 1; v <= n; v++) {
        fast.recordValue(v);
        lib.recordValue(v);
      }
      for (let q = 0; q <= 100; q += 0.5) expect(fast.getValueAtPercentile(q), `n ${n} p${q}`).toBe(lib.getValueAtPercentile(q));
      for (const q of [-1, NaN, 1e-300, 100.5]) expect(fast.getValueAtPercentile(q), `n ${n} p${q}`).toBe(lib.getValueAtPercentile(q));
    }
  });

  it('refuses a negative value as the library does', () => {
    expect(() => new LatencyHistogram(CONFIG).recordValue(-1)).toThrow(/negative/);
    expect(() => hdr.build(CONFIG).recordValue(-1)).toThrow(/negative/);
  });
});
