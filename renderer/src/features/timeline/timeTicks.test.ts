import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatTick, niceStepNs, timeTicks } from './timeTicks';

describe('time axis ticks', () => {
  it('steps are 1, 2 or 5 times a power of ten and give at most the asked number of ticks', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e12, noNaN: true }), fc.integer({ min: 1, max: 40 }), (span, max) => {
        const step = niceStepNs(span, max);
        const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
        expect([1, 2, 5]).toContain(Math.round(mantissa));
        expect(span / step).toBeLessThanOrEqual(max + 1e-9);
      }),
    );
  });

  it('ticks lie inside the window, spaced for their labels', () => {
    const ticks = timeTicks({ startNs: 1234, endNs: 1_001_234 }, 1000, 100);
    expect(ticks.length).toBeGreaterThan(3);
    expect(ticks.length).toBeLessThanOrEqual(11);
    for (const t of ticks) expect(t.tNs).toBeGreaterThanOrEqual(1234);
  });

  it('labels carry the unit of the time and the decimals of the step', () => {
    expect(formatTick(0, 100)).toBe('0');
    expect(formatTick(500, 100)).toBe('500 ns');
    expect(formatTick(2_500_000, 500_000)).toBe('2.5 ms');
    expect(formatTick(3_900_000_100, 100)).toBe('3.9000001 s');
    expect(formatTick(2_000_000_000, 1_000_000_000)).toBe('2 s');
    expect(formatTick(1500, 500)).toBe('1.5 us');
  });

  it('neighbouring labels differ even deep in a long run', () => {
    const ticks = timeTicks({ startNs: 3_900_000_000, endNs: 3_900_000_400 }, 1000, 100);
    expect(new Set(ticks.map((t) => t.label)).size).toBe(ticks.length);
  });
});
