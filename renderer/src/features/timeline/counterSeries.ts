// The run's sampled counters as the chart under the timeline plots them: which series are picked
// at first (of the variant the inspector looks at, and moved to another variant when it turns there), their samples on one shared time axis (uPlot wants one x array; series sampled at other
// times get gaps), and one y scale per unit so entries and bytes never share an axis.
// Must not: touch the DOM or uPlot (the chart component does).

import type { CounterSeries } from '../../../../core/contract/runResult';

/** At most this many series are picked at first: the ones that change, fewest constants. */
export const DEFAULT_PICK = 3;

/** The variant a series belongs to ("percpu" of "percpu:vfio.entries"), '' when none of `variants`. */
export function seriesVariant(name: string, variants: readonly string[]): string {
  const colon = name.indexOf(':');
  return colon > 0 && variants.includes(name.slice(0, colon)) ? name.slice(0, colon) : '';
}

/** The series of one variant (all of them for '' or a run without variants). */
export function seriesOf(series: readonly CounterSeries[], variants: readonly string[], variant: string): CounterSeries[] {
  if (variant === '' || variants.length === 0) return [...series];
  return series.filter((s) => seriesVariant(s.name, variants) === variant);
}

/** Names picked when the chart opens: the first series that vary (limits and constants left out), of `variant` when given. */
export function defaultPick(series: readonly CounterSeries[], variants: readonly string[] = [], variant = ''): string[] {
  const own = seriesOf(series, variants, variant);
  const varying = own.filter((s) => s.values.some((v) => v !== s.values[0]));
  return (varying.length > 0 ? varying : own).slice(0, DEFAULT_PICK).map((s) => s.name);
}

/**
 * The picked series moved to another variant: "percpu:vfio.entries" becomes "strict:vfio.entries"
 * when the inspector turns to a strict event (a series the variant lacks is dropped; nothing left
 * picks that variant's defaults). Series of no variant stay.
 */
export function repick(
  picked: readonly string[],
  series: readonly CounterSeries[],
  variants: readonly string[],
  variant: string,
): string[] {
  if (variant === '' || variants.length === 0) return [...picked];
  const names = new Set(series.map((s) => s.name));
  const out: string[] = [];
  for (const name of picked) {
    const from = seriesVariant(name, variants);
    const moved = from === '' ? name : `${variant}:${name.slice(from.length + 1)}`;
    if (names.has(moved) && !out.includes(moved)) out.push(moved);
  }
  return out.length > 0 ? out : defaultPick(series, variants, variant);
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
