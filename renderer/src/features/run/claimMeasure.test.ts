import { describe, expect, it } from 'vitest';
import { formatMeasured } from './claimMeasure';

describe("a claim's measured value with the unit the run gave it", () => {
  it('formats a metric claim with its metric unit', () => {
    expect(formatMeasured({ measured: 3489.3, unit: 'MB/s' })).toBe('3,489.3 MB/s');
    expect(formatMeasured({ measured: 150, unit: 'us' })).toBe('150 us');
    expect(formatMeasured({ measured: 4, unit: '' })).toBe('4 (no unit)');
  });

  it('formats a ratio claim as a ratio of its two units', () => {
    expect(formatMeasured({ measured: 0.8789, per: 'b:io.bandwidthMBps', unit: 'MB/s per MB/s' })).toBe('0.879 (ratio, MB/s per MB/s)');
  });

  it("formats a step claim's value as the step's output", () => {
    expect(formatMeasured({ measured: 65536, unit: 'value' })).toBe('65,536 (step output)');
  });

  it('says when there is no number, or when the run was stored without units', () => {
    expect(formatMeasured({ measured: null, unit: 'us' })).toBe('no numeric value');
    expect(formatMeasured({ measured: 12 })).toBe('12 (unit not recorded for this run)');
  });
});
