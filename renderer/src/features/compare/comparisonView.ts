// The comparison view's logic over the lab's RunComparison: which metric rows show (chosen names,
// only differences), each value's change against the first run, the counters present and their
// series aligned on one time axis for an overlay chart, claims side by side, the configuration
// diff's values made readable, and the view's state as a saved comparison holds it.
// Must not: decide whether values differ (the lab's `differs` does) or reach the lab.

import type {
  ComparedRun,
  ComparisonViewState,
  ConfigDifference,
  MetricRow,
  SavedComparisonRequest,
} from '../../../../core/contract/comparison';
import type { ClaimResult, RunSummary } from '../../../../core/contract/runResult';
import { compareMetricNames } from '../run/metricTable';

export const MIN_COMPARED_RUNS = 2;
export const MAX_COMPARED_RUNS = 16;

/** The view's state: chosen metrics and counters (empty = all) and its toggles. */
export interface ComparisonState {
  metrics: string[];
  counters: string[];
  onlyDifferences: boolean;
}

export function visibleMetricRows(rows: readonly MetricRow[], state: Pick<ComparisonState, 'metrics' | 'onlyDifferences'>): MetricRow[] {
  const chosen = new Set(state.metrics);
  return rows
    .filter((r) => (chosen.size === 0 || chosen.has(r.name)) && (!state.onlyDifferences || r.differs))
    .sort((a, b) => compareMetricNames(a.name, b.name));
}

/** A value's change against the first run's, as a signed percentage ("+12.5 %"); null when not comparable. */
export function changeAgainstFirst(values: readonly (number | null)[], index: number): string | null {
  const base = values[0];
  const v = values[index];
  if (index === 0 || base === null || base === undefined || v === null || v === undefined || v === base) return null;
  if (base === 0) return 'new';
  const pct = ((v - base) / Math.abs(base)) * 100;
  const rounded = Math.abs(pct) >= 100 ? pct.toFixed(0) : Math.abs(pct) >= 10 ? pct.toFixed(1) : pct.toFixed(2);
  return `${pct > 0 ? '+' : ''}${rounded} %`;
}

export interface CounterInfo {
  readonly name: string;
  readonly unit: string;
}

/** Every counter name any run sampled, in the order the runs list them. */
export function counterNames(runs: readonly ComparedRun[]): CounterInfo[] {
  const seen = new Map<string, string>();
  for (const r of runs) for (const c of r.counters) if (!seen.has(c.name)) seen.set(c.name, c.unit);
  return [...seen].map(([name, unit]) => ({ name, unit }));
}

export function visibleCounters(all: readonly CounterInfo[], chosen: readonly string[]): CounterInfo[] {
  return chosen.length === 0 ? [...all] : all.filter((c) => chosen.includes(c.name));
}

/** A time unit for an axis spanning `maxNs`. */
export function timeAxisUnit(maxNs: number): { readonly unit: 'ns' | 'us' | 'ms' | 's'; readonly perUnitNs: number } {
  if (maxNs >= 10e9) return { unit: 's', perUnitNs: 1e9 };
  if (maxNs >= 10e6) return { unit: 'ms', perUnitNs: 1e6 };
  if (maxNs >= 10e3) return { unit: 'us', perUnitNs: 1e3 };
  return { unit: 'ns', perUnitNs: 1 };
}

export interface AlignedSeries {
  /** Sample times in `unit`, ascending, the union of every run's sample times. */
  readonly xs: number[];
  readonly unit: 'ns' | 'us' | 'ms' | 's';
  /** One list per run, aligned with xs: null where that run has no sample (or no such counter). */
  readonly ys: (number | null)[][];
}

/** One counter of every run on a shared time axis (uPlot's data layout: x first, then a series per run). */
export function alignCounter(runs: readonly ComparedRun[], name: string): AlignedSeries {
  const series = runs.map((r) => r.counters.find((c) => c.name === name));
  const times = [...new Set(series.flatMap((s) => s?.tNs ?? []))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const ys = series.map((s) => {
    const row: (number | null)[] = new Array<number | null>(times.length).fill(null);
    s?.tNs.forEach((t, i) => (row[index.get(t)!] = s.values[i] ?? null));
    return row;
  });
  const { unit, perUnitNs } = timeAxisUnit(times[times.length - 1] ?? 0);
  return { xs: times.map((t) => t / perUnitNs), unit, ys };
}

export interface ClaimRow {
  readonly id: string;
  readonly text: string;
  /** Per run: the run's result for this claim, null when the run does not check it. */
  readonly results: readonly (ClaimResult | null)[];
  /** True when the runs do not all agree (one holds where another does not, or one lacks it). */
  readonly differs: boolean;
}

export function claimRows(runs: readonly ComparedRun[]): ClaimRow[] {
  const order = new Map<string, string>();
  for (const r of runs) for (const c of r.claims) if (!order.has(c.id)) order.set(c.id, c.text);
  return [...order].map(([id, text]) => {
    const results = runs.map((r) => r.claims.find((c) => c.id === id) ?? null);
    const verdicts = results.map((c) => (c === null ? 'absent' : String(c.holds)));
    return { id, text, results, differs: verdicts.some((v) => v !== verdicts[0]) };
  });
}

/** A configuration value as the diff shows it: strings without their JSON quotes, absent spelled out. */
export function configValueText(value: string | null): string {
  if (value === null) return '(absent)';
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === 'string' ? parsed : value;
  } catch {
    return value;
  }
}

/** Marks each value of a config difference that is not the first run's. */
export function configCellsDiffer(d: ConfigDifference): boolean[] {
  return d.values.map((v, i) => i > 0 && v !== d.values[0]);
}

/** Run ids from a route parameter ("3,4,5"): positive integers, no repeats, 2 to 16 of them. */
export function parseRunIds(text: string): { ok: true; runIds: number[] } | { ok: false; problem: string } {
  const parts = text.split(',').filter((p) => p.trim() !== '');
  const ids = parts.map((p) => Number(p.trim()));
  if (ids.some((id) => !Number.isSafeInteger(id) || id <= 0)) return { ok: false, problem: `"${text}" is not a list of run ids` };
  const unique = [...new Set(ids)];
  if (unique.length < MIN_COMPARED_RUNS || unique.length > MAX_COMPARED_RUNS) {
    return { ok: false, problem: `compare ${MIN_COMPARED_RUNS} to ${MAX_COMPARED_RUNS} runs (got ${unique.length})` };
  }
  return { ok: true, runIds: unique };
}

/** The route of a comparison of these runs. */
export function comparePath(runIds: readonly number[]): string {
  return `/compare/runs/${runIds.join(',')}`;
}

export function savedRequest(name: string, runIds: readonly number[], state: ComparisonState): SavedComparisonRequest {
  const view: ComparisonViewState = state.onlyDifferences ? { onlyDifferences: true } : {};
  return { name: name.trim(), runIds: [...runIds], metrics: [...state.metrics], counters: [...state.counters], view };
}

export function stateOfSaved(saved: {
  metrics: readonly string[];
  counters: readonly string[];
  view: ComparisonViewState;
}): ComparisonState {
  return { metrics: [...saved.metrics], counters: [...saved.counters], onlyDifferences: saved.view.onlyDifferences === true };
}

/** The selected runs that have ended (a queued or running run has nothing to compare yet), in table order. */
export function comparableSelection(runs: readonly Pick<RunSummary, 'id' | 'status'>[], selected: ReadonlySet<number>): number[] {
  return runs.filter((r) => selected.has(r.id) && r.status !== 'queued' && r.status !== 'running').map((r) => r.id);
}

export function canCompare(runIds: readonly number[]): boolean {
  return runIds.length >= MIN_COMPARED_RUNS && runIds.length <= MAX_COMPARED_RUNS;
}
