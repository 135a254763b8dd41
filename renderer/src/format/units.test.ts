import { describe, expect, it } from 'vitest';
import { formatBytes, formatFraction, formatNs, formatRate, formatUs, formatWallMs, formatWithUnit } from './units';

describe('numbers shown with units', () => {
  it('formats durations in the largest readable unit', () => {
    expect(formatNs(0)).toBe('0 ns');
    expect(formatNs(20)).toBe('20 ns');
    expect(formatNs(1500)).toBe('1.5 us');
    expect(formatNs(10_000_000)).toBe('10 ms');
    expect(formatNs(2_500_000_000)).toBe('2.5 s');
    expect(formatUs(5701.631)).toBe('5.702 ms');
  });
  it('formats sizes with binary prefixes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(4096)).toBe('4 KiB');
    expect(formatBytes(256 * 1024 * 1024)).toBe('256 MiB');
    expect(formatBytes(8 * 1024 ** 3)).toBe('8 GiB');
  });
  it('formats rates with decimal prefixes and wall time left', () => {
    expect(formatRate(950.4, 'events')).toBe('950 events/s');
    expect(formatRate(19_666.7, 'events')).toBe('19.67 k events/s');
    expect(formatRate(1_250_000, 'events')).toBe('1.25 M events/s');
    expect(formatWallMs(850)).toBe('850 ms');
    expect(formatWallMs(6520)).toBe('6.52 s');
    expect(formatWallMs(185_000)).toBe('3 min 05 s');
  });
  it('always appends the unit', () => {
    expect(formatWithUnit(65535, 'mappings')).toBe('65,535 mappings');
    expect(formatWithUnit(3489.3, 'MB/s')).toBe('3,489.3 MB/s');
    expect(formatWithUnit(150, 'us')).toBe('150 us');
    expect(formatWithUnit(201.32489, 'ms')).toBe('201.3 ms');
    expect(formatWithUnit(0.4587, 'fraction')).toBe('45.87 %');
    expect(formatFraction(1)).toBe('100 %');
    expect(formatWithUnit(3, '')).toBe('3 (no unit)');
    expect(formatWithUnit(65536, 'value')).toBe('65,536 (op output)');
  });
});
