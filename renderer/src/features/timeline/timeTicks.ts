// Ticks of the time axis: a 1-2-5 step that leaves room for a label, and labels that show the
// time in the unit of its magnitude with as many decimals as the step needs (deep in a 4 s run a
// 100 ns step reads "3.9000001 s", not eleven times "3.9 s").
// Must not: touch the DOM.

import type { TimeWindow } from './timeScale';

export interface TimeTick {
  readonly tNs: number;
  readonly label: string;
}

/** The smallest 1, 2 or 5 x 10^k ns step with at most `maxTicks` ticks over the span. */
export function niceStepNs(spanNs: number, maxTicks: number): number {
  const raw = spanNs / Math.max(1, maxTicks);
  let step = 1;
  while (step < raw) {
    const base = step;
    if (2 * base >= raw) return 2 * base;
    if (5 * base >= raw) return 5 * base;
    step = 10 * base;
  }
  return step;
}

const UNITS: readonly [name: string, ns: number][] = [
  ['s', 1e9],
  ['ms', 1e6],
  ['us', 1e3],
  ['ns', 1],
];

/** A time as the axis shows it: unit by the time's magnitude, decimals by the step between ticks. */
export function formatTick(tNs: number, stepNs: number): string {
  if (tNs === 0) return '0';
  const [unit, unitNs] = UNITS.find(([, ns]) => Math.abs(tNs) >= ns) ?? ['ns', 1];
  const decimals = Math.min(9, Math.max(0, Math.ceil(Math.log10(unitNs / stepNs) - 1e-9)));
  return `${(tNs / unitNs).toFixed(decimals)} ${unit}`;
}

/** Ticks over a window at least `minSpacingPx` apart on a track of `widthPx`. */
export function timeTicks(w: TimeWindow, widthPx: number, minSpacingPx = 100): TimeTick[] {
  const span = w.endNs - w.startNs;
  if (!(span > 0) || widthPx <= 0) return [];
  const step = niceStepNs(span, Math.max(1, Math.floor(widthPx / minSpacingPx)));
  const ticks: TimeTick[] = [];
  for (let t = Math.ceil(w.startNs / step) * step; t <= w.endNs; t += step) ticks.push({ tNs: t, label: formatTick(t, step) });
  return ticks;
}
