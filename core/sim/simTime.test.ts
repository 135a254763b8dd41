import { describe, expect, it } from 'vitest';
import { durationNs, msToNs, nsToMs, simTimeNs, usToNs } from './simTime';

describe('simulated time is integer nanoseconds', () => {
  it('converts us and ms to whole nanoseconds', () => {
    expect(usToNs(1.5)).toBe(1500);
    expect(usToNs(0.25)).toBe(250);
    expect(msToNs(10)).toBe(10_000_000);
    expect(nsToMs(msToNs(3))).toBe(3);
  });

  it('refuses fractional, negative or unsafe values', () => {
    expect(() => simTimeNs(1.5)).toThrow(RangeError);
    expect(() => durationNs(-1)).toThrow(RangeError);
    expect(() => simTimeNs(2 ** 53)).toThrow(RangeError);
  });
});
