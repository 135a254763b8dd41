import { describe, expect, it } from 'vitest';
import type { CounterSeries } from '../../../../core/contract/runResult';
import { alignCounters, defaultPick, repick, seriesVariant, unitsOf } from './counterSeries';

const s = (name: string, unit: string, tNs: number[], values: number[]): CounterSeries => ({ name, unit, tNs, values });

describe('counters on a shared time axis', () => {
  it('series sampled at the same times share x as they are', () => {
    const a = alignCounters([s('a', 'entries', [0, 10], [1, 2]), s('b', 'bytes', [0, 10], [5, 6])]);
    expect(a).toEqual({
      xs: [0, 10],
      ys: [
        [1, 2],
        [5, 6],
      ],
    });
  });

  it('series sampled at other times get gaps on the union of the times', () => {
    const a = alignCounters([s('a', 'entries', [0, 10], [1, 2]), s('b', 'entries', [5, 10], [7, 8])]);
    expect(a).toEqual({
      xs: [0, 5, 10],
      ys: [
        [1, null, 2],
        [null, 7, 8],
      ],
    });
  });

  it('picks varying series first, at most three', () => {
    const series = [
      s('limit', 'entries', [0, 1], [65535, 65535]),
      s('entries', 'entries', [0, 1], [1, 2]),
      s('bytes', 'bytes', [0, 1], [0, 4096]),
      s('iops', 'IO/s', [0, 1], [0, 9]),
      s('depth', 'IOVAs', [0, 1], [0, 3]),
    ];
    expect(defaultPick(series)).toEqual(['entries', 'bytes', 'iops']);
    expect(defaultPick([series[0]!])).toEqual(['limit']);
    expect(unitsOf(series.slice(0, 3))).toEqual(['entries', 'bytes']);
  });
});

describe('counters of a run with variants', () => {
  const variants = ['percpu', 'strict'];
  const series = [
    s('percpu:vfio.entries', 'mappings', [0, 1], [0, 9]),
    s('percpu:io.inflight', 'IOs', [0, 1], [1, 2]),
    s('strict:vfio.entries', 'mappings', [0, 1], [0, 3]),
    s('strict:io.inflight', 'IOs', [0, 1], [4, 2]),
  ];

  it('picks the series of the variant looked at', () => {
    expect(seriesVariant('strict:vfio.entries', variants)).toBe('strict');
    expect(seriesVariant('vfio.entries', variants)).toBe('');
    expect(defaultPick(series, variants, 'strict')).toEqual(['strict:vfio.entries', 'strict:io.inflight']);
  });

  it('moves the picked series to the variant of the selected failure', () => {
    expect(repick(['percpu:vfio.entries'], series, variants, 'strict')).toEqual(['strict:vfio.entries']);
    // Nothing of the picked exists in that variant: its defaults.
    expect(repick(['percpu:gone'], series, variants, 'strict')).toEqual(['strict:vfio.entries', 'strict:io.inflight']);
    expect(repick(['percpu:vfio.entries'], series, [], '')).toEqual(['percpu:vfio.entries']);
  });
});
