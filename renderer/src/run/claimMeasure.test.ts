import { describe, expect, it } from 'vitest';
import { claimSubject, formatMeasured } from './claimMeasure';

const units: Record<string, string> = { 'io.bandwidthMBps': 'MB/s', 'io.latencyP50Us': 'us' };
const unitOf = (m: string) => units[m.slice(m.indexOf(':') + 1)] ?? '';

describe("a claim's measured value with its unit", () => {
  it('reads the measured metric from the expectation', () => {
    expect(claimSubject({ expectation: 'io.bandwidthMBps between 3325 and 3500' })).toEqual({ kind: 'metric', metric: 'io.bandwidthMBps' });
    expect(claimSubject({ expectation: 'kvmSingle:io.bandwidthMBps / kvmLegacy:io.bandwidthMBps >= 0.8' })).toEqual({
      kind: 'ratio',
      metric: 'kvmSingle:io.bandwidthMBps',
      per: 'kvmLegacy:io.bandwidthMBps',
    });
    expect(claimSubject({ expectation: 'v2 step 1 -> EEXIST' })).toEqual({ kind: 'step' });
    expect(claimSubject({ expectation: 'step 3 -> success returning 65536' })).toEqual({ kind: 'step' });
  });
  it('formats it with that unit, as a ratio, or as a step output', () => {
    expect(formatMeasured({ expectation: 'io.bandwidthMBps between 3325 and 3500', measured: 3489.3 }, unitOf)).toBe('3,489.3 MB/s');
    expect(formatMeasured({ expectation: 'io.latencyP50Us between 130 and 170', measured: 150 }, unitOf)).toBe('150 us');
    expect(formatMeasured({ expectation: 'a:io.bandwidthMBps / b:io.bandwidthMBps >= 0.8', measured: 0.8789 }, unitOf)).toBe(
      '0.879 (ratio, MB/s per MB/s)',
    );
    expect(formatMeasured({ expectation: 'step 4 -> success', measured: 65536 }, unitOf)).toBe('65,536 (step output)');
    expect(formatMeasured({ expectation: 'v2 step 1 -> EEXIST', measured: null }, unitOf)).toBe('no numeric value');
  });
});
