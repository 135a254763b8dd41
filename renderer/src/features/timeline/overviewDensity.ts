// The overview strip's picture of the whole run: how many events (and failures) start in each
// pixel column, summed over every lane, from one full-span window whose lanes all came back
// aggregated (plus the real events it still holds), and where the current view sits on it.
// Must not: touch the DOM.

import type { TimelineWindow } from '../../../../core/contract/timeline';
import { clampWindow, spanOf, type TimeWindow } from './timeScale';

export interface OverviewDensity {
  readonly counts: Float64Array;
  readonly failures: Float64Array;
  readonly max: number;
}

export function overviewDensity(w: TimelineWindow, columns: number, totalNs: number): OverviewDensity {
  const n = Math.max(1, Math.floor(columns));
  const counts = new Float64Array(n);
  const failures = new Float64Array(n);
  const col = (t: number): number => Math.min(n - 1, Math.max(0, Math.floor((t / Math.max(1, totalNs)) * n)));
  for (const a of w.aggregates) {
    for (let i = 0; i < a.tNs.length; i++) {
      const c = col(a.tNs[i]!);
      counts[c]! += a.count[i]!;
      failures[c]! += a.failures[i]!;
    }
  }
  for (const e of w.events) {
    const c = col(e.tNs);
    counts[c]! += 1;
    if (e.failure) failures[c]! += 1;
  }
  let max = 1;
  for (const v of counts) if (v > max) max = v;
  return { counts, failures, max };
}

/** The view moved so its centre sits at the overview's x (a click or drag on the strip). */
export function viewCentredAtX(x: number, widthPx: number, view: TimeWindow, totalNs: number): TimeWindow {
  const t = (x / Math.max(1, widthPx)) * totalNs;
  const half = spanOf(view) / 2;
  return clampWindow({ startNs: t - half, endNs: t + half }, totalNs);
}
