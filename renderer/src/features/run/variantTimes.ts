// A run's simulated time as people read it: a run with variants simulated each variant on its own
// clock from 0, so it reports each variant's time ("200 ms in each of 5 variants"), never their sum,
// and its timeline's axis is as long as its longest variant. The times come from each variant's
// sim.simulatedMs metric (runs stored before the run kept the longest variant's time stored the sum).
// Must not: fetch or touch the DOM.

import type { RunDetail } from '../../../../core/contract/runResult';
import { formatNs } from '../../format/units';

export interface VariantTime {
  readonly name: string;
  /** Null when the run has no sim.simulatedMs for the variant (it did not finish). */
  readonly simulatedNs: number | null;
}

type TimedRun = Pick<RunDetail, 'variants' | 'metrics' | 'simulatedNs'>;

export function variantTimes(run: TimedRun): VariantTime[] {
  return run.variants.map((v) => {
    const ms = run.metrics[`${v.name}:sim.simulatedMs`];
    return { name: v.name, simulatedNs: ms === undefined ? null : Math.round(ms * 1e6) };
  });
}

/** How long the run's time axis is: its longest variant (each starts at 0), or its simulated time. */
export function runAxisNs(run: TimedRun): number {
  const times = variantTimes(run).flatMap((v) => (v.simulatedNs === null ? [] : [v.simulatedNs]));
  return times.length > 0 ? Math.max(...times) : run.simulatedNs;
}

/** "200 ms in each of 5 variants", "percpu 200 ms, strict 120 ms", or the run's own "50 ms". */
export function simulatedText(run: TimedRun): string {
  const times = variantTimes(run);
  if (times.length === 0 || times.some((v) => v.simulatedNs === null)) return formatNs(run.simulatedNs);
  const first = times[0]!.simulatedNs!;
  if (times.every((v) => v.simulatedNs === first)) {
    return times.length === 1 ? `${formatNs(first)} (variant ${times[0]!.name})` : `${formatNs(first)} in each of ${times.length} variants`;
  }
  return times.map((v) => `${v.name} ${formatNs(v.simulatedNs!)}`).join(', ');
}
