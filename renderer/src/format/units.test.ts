import { describe, expect, it } from 'vitest';
import { formatBytes, formatNs, formatWithUnit } from './units';

describe('numbers shown with units', () => {
  it('formats durations and sizes', () => {
    expect(formatNs(1500)).toBe('1.5 us');
    expect(formatNs(10_000_000)).toBe('10 ms');
    expect(formatBytes(4096)).toBe('4 KiB');
    expect(formatBytes(256 * 1024 * 1024)).toBe('256 MiB');
  });
  it('always appends the unit', () => {
    expect(formatWithUnit(65535, 'mappings')).toBe('65,535 mappings');
    expect(formatWithUnit(3489.3, 'MB/s')).toBe('3,489.3 MB/s');
  });
});
