// The run's sampled counters as the chart under the timeline plots them: which series are picked
// at first, their samples on one shared time axis (uPlot wants one x array; series sampled at other
// times get gaps), and one y scale per unit so entries and bytes never share an axis.
// Must not: touch the DOM or uPlot (the chart component does).

import type { CounterSeries } from '../../../../core/contract/runResult';

/** At most this many series are picked at first: the ones that change, fewest constants. */
export const DEFAULT_PICK = 3;

/** Names picked when the chart opens: the first series that vary (limits and constants left out). */
export function defaultPick(series: readonly CounterSeries[]): string[] {
  const varying = series.filter((s) => s.values.some((v) => v !== s.values[0]));
  return (varying.length > 0 ? varying : series).slice(0, DEFAULT_PICK).map((s) => s.name);
}

export interface AlignedCounters {
  readonly xs: number[];
  /** One array per series, in the order given, null where a series has no sample at that x. */
  readonly ys: (number | null)[][];
}

/** The series' samples on the union of their sample times (no copy of x when they share it). */
export function alignCounters(series: readonly CounterSeries[]): AlignedCounters {
  if (series.length === 0) return { xs: [], ys: [] };
  const first = series[0]!.tNs;
  if (series.every((s) => sameTimes(s.tNs, first))) return { xs: [...first], ys: series.map((s) => [...s.values]) };
  const xs = [...new Set(series.flatMap((s) => s.tNs))].sort((a, b) => a - b);
  const at = new Map(xs.map((t, i) => [t, i]));
  const ys = series.map((s) => {
    const col: (number | null)[] = xs.map(() => null);
    s.tNs.forEach((t, i) => (col[at.get(t)!] = s.values[i]!));
    return col;
  });
  return { xs, ys };
}

function sameTimes(a: readonly number[], b: readonly number[]): boolean {
  return a === b || (a.length === b.length && a.every((t, i) => t === b[i]));
}

/** The units of the picked series, in order of first use: each gets a y scale, the first two an axis. */
export function unitsOf(series: readonly CounterSeries[]): string[] {
  return [...new Set(series.map((s) => s.unit))];
}
