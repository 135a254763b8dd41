import { describe, expect, it } from 'vitest';
import type { ComparedRun, MetricRow } from '../../../../core/contract/comparison';
import type { ClaimResult } from '../../../../core/contract/runResult';
import {
  alignCounter,
  canCompare,
  comparableSelection,
  changeAgainstFirst,
  claimRows,
  comparePath,
  configCellsDiffer,
  configValueText,
  counterNames,
  parseRunIds,
  savedRequest,
  stateOfSaved,
  timeAxisUnit,
  visibleCounters,
  visibleMetricRows,
} from './comparisonView';

function run(id: number, counters: ComparedRun['counters'], claims: ClaimResult[] = []): ComparedRun {
  return { id, name: `r${id}`, status: 'completed', metrics: {}, counters, claims };
}

function claim(id: string, holds: boolean): ClaimResult {
  return { id, text: `claim ${id}`, holds, measured: 1, expectation: '>= 1', source: 's' };
}

const rows: MetricRow[] = [
  { name: 'io.iops', unit: 'IO/s', values: [10, 20], differs: true },
  { name: 'dma.maps', unit: 'calls', values: [5, 5], differs: false },
  { name: 'ops.10.ret', unit: 'value', values: [1, 1], differs: false },
  { name: 'ops.2.ret', unit: 'value', values: [1, 2], differs: true },
];

describe('metric rows', () => {
  it('show every row by name, or only the chosen ones, or only those that differ', () => {
    expect(visibleMetricRows(rows, { metrics: [], onlyDifferences: false }).map((r) => r.name)).toEqual([
      'dma.maps',
      'io.iops',
      'ops.2.ret',
      'ops.10.ret',
    ]);
    expect(visibleMetricRows(rows, { metrics: [], onlyDifferences: true }).map((r) => r.name)).toEqual(['io.iops', 'ops.2.ret']);
    expect(visibleMetricRows(rows, { metrics: ['dma.maps', 'io.iops'], onlyDifferences: true }).map((r) => r.name)).toEqual(['io.iops']);
  });

  it('give each value its change against the first run', () => {
    expect(changeAgainstFirst([10, 20, 5, 10, null], 1)).toBe('+100 %');
    expect(changeAgainstFirst([10, 20, 5, 10.5, null], 2)).toBe('-50.0 %');
    expect(changeAgainstFirst([10, 20, 5, 10.5, null], 3)).toBe('+5.00 %');
    expect(changeAgainstFirst([10, 10], 1)).toBeNull();
    expect(changeAgainstFirst([10, null], 1)).toBeNull();
    expect(changeAgainstFirst([10, 20], 0)).toBeNull();
    expect(changeAgainstFirst([0, 3], 1)).toBe('new');
  });
});

describe('counters', () => {
  const a = run(1, [
    { name: 'vfio.entries', unit: 'entries', tNs: [0, 1000, 2000], values: [0, 5, 9] },
    { name: 'io.iops', unit: 'IO/s', tNs: [0], values: [1] },
  ]);
  const b = run(2, [{ name: 'vfio.entries', unit: 'entries', tNs: [0, 1500], values: [1, 7] }]);

  it('are listed once each, in the order the runs list them, and filtered by choice', () => {
    const all = counterNames([a, b]);
    expect(all).toEqual([
      { name: 'vfio.entries', unit: 'entries' },
      { name: 'io.iops', unit: 'IO/s' },
    ]);
    expect(visibleCounters(all, [])).toEqual(all);
    expect(visibleCounters(all, ['io.iops'])).toEqual([{ name: 'io.iops', unit: 'IO/s' }]);
  });

  it('align every run on the union of sample times, null where a run has no sample', () => {
    expect(alignCounter([a, b], 'vfio.entries')).toEqual({
      xs: [0, 1000, 1500, 2000],
      unit: 'ns',
      ys: [
        [0, 5, null, 9],
        [1, null, 7, null],
      ],
    });
    expect(alignCounter([a, b], 'io.iops').ys[1]).toEqual([null]);
  });

  it('pick a readable time unit for the axis', () => {
    expect(timeAxisUnit(5_000)).toEqual({ unit: 'ns', perUnitNs: 1 });
    expect(timeAxisUnit(2_000_000)).toEqual({ unit: 'us', perUnitNs: 1e3 });
    expect(timeAxisUnit(20_000_000)).toEqual({ unit: 'ms', perUnitNs: 1e6 });
    const long = run(3, [{ name: 'x', unit: 'u', tNs: [0, 20e6], values: [1, 2] }]);
    expect(alignCounter([long], 'x')).toMatchObject({ xs: [0, 20], unit: 'ms' });
  });
});

describe('claims side by side', () => {
  it('are one row per claim id, differing when the verdicts disagree or a run lacks it', () => {
    const r = claimRows([
      run(1, [], [claim('a', true), claim('b', true)]),
      run(2, [], [claim('a', true), claim('b', false), claim('c', true)]),
    ]);
    expect(r.map((x) => [x.id, x.differs])).toEqual([
      ['a', false],
      ['b', true],
      ['c', true],
    ]);
    expect(r[2]!.results[0]).toBeNull();
  });
});

describe('configuration diff', () => {
  it('shows strings bare, JSON as written and absent values spelled out', () => {
    expect([configValueText('"lazy"'), configValueText('4'), configValueText('[1,2]'), configValueText(null)]).toEqual([
      'lazy',
      '4',
      '[1,2]',
      '(absent)',
    ]);
    expect(configCellsDiffer({ path: 'a', values: ['1', '1', '2', null] })).toEqual([false, false, true, true]);
  });
});

describe('routes and saved state', () => {
  it('read 2 to 16 distinct run ids from the route', () => {
    expect(parseRunIds('3,4,5')).toEqual({ ok: true, runIds: [3, 4, 5] });
    expect(parseRunIds('3,3,4')).toEqual({ ok: true, runIds: [3, 4] });
    expect(parseRunIds('3')).toMatchObject({ ok: false });
    expect(parseRunIds('3,x')).toMatchObject({ ok: false });
    expect(parseRunIds(Array.from({ length: 17 }, (_, i) => i + 1).join(','))).toMatchObject({ ok: false });
    expect(comparePath([3, 4])).toBe('/compare/runs/3,4');
  });

  it('round-trip through a saved comparison', () => {
    const state = { metrics: ['io.iops'], counters: [], onlyDifferences: true };
    const request = savedRequest(' mine ', [1, 2], state);
    expect(request).toEqual({ name: 'mine', runIds: [1, 2], metrics: ['io.iops'], counters: [], view: { onlyDifferences: true } });
    expect(stateOfSaved({ metrics: request.metrics!, counters: request.counters!, view: request.view! })).toEqual(state);
    expect(stateOfSaved({ metrics: [], counters: [], view: {} }).onlyDifferences).toBe(false);
  });
});

describe('comparing from the history', () => {
  it('takes the selected runs that have ended, 2 to 16 of them', () => {
    const rows = [
      { id: 5, status: 'completed' as const },
      { id: 4, status: 'running' as const },
      { id: 3, status: 'failed' as const },
      { id: 2, status: 'completed' as const },
    ];
    expect(comparableSelection(rows, new Set([2, 3, 4, 9]))).toEqual([3, 2]);
    expect(canCompare([3, 2])).toBe(true);
    expect(canCompare([3])).toBe(false);
    expect(canCompare(Array.from({ length: 17 }, (_, i) => i))).toBe(false);
  });
});
