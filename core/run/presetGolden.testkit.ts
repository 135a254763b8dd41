// What the golden test pins for every preset: its timeline hash, every metric but the host-measured
// wall time, each claim's verdict and measured value, and the ops results. A model change that
// moves any of these must regenerate core/run/presetPlan.golden.json on purpose
// (`npm run golden -- --write`) and say why in its commit.

import type { RunResult } from '../contract/runResult';
import { HOST_MEASURED_METRIC as HOST_MEASURED } from './runMetrics';

export interface PresetGolden {
  readonly timelineHash: string;
  readonly simulatedNs: number;
  readonly metrics: Record<string, number>;
  readonly claims: Record<string, { holds: boolean; measured: number | null }>;
  readonly ops: readonly { op: string; ok: boolean; errno: string | null; ret: unknown }[];
}

export function goldenOf(result: RunResult): PresetGolden {
  const metrics: Record<string, number> = {};
  for (const k of Object.keys(result.metrics).sort()) if (!HOST_MEASURED.test(k)) metrics[k] = result.metrics[k]!;
  const claims: PresetGolden['claims'] = {};
  for (const c of result.claims) claims[c.id] = { holds: c.holds, measured: c.measured };
  return {
    timelineHash: result.timelineHash,
    simulatedNs: result.simulatedNs,
    metrics,
    claims,
    ops: result.ops.map((o) => ({ op: o.op, ok: o.ok, errno: o.errno, ret: o.ret })),
  };
}
