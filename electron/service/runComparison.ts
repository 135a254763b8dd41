// Comparing stored runs: their metrics side by side with units (a row differs when its values
// spread by more than 1 % of the largest magnitude, or a run lacks it; host-measured wall time never
// differs by value), their counters for
// overlaying, and the configuration diff: the dotted paths where the runs' stored scenarios
// (validated, every default filled in) hold different values. Used by the service and `pcilab compare`.
// Must not: read the store (callers pass the runs).

import type { ComparedRun, ConfigDifference, MetricRow, RunComparison } from '../../core/contract/comparison';
import type { RunDetail } from '../../core/contract/runResult';
import { metricInfo } from '../../core/run/metricCatalog';
import { HOST_MEASURED_METRIC } from '../../core/run/runMetrics';

export const DIFFERS_FRACTION = 0.01;

export function compareRunDetails(runs: readonly RunDetail[]): RunComparison {
  const compared: ComparedRun[] = runs.map((r) => ({
    id: r.id,
    name: r.name,
    status: r.status,
    metrics: r.metrics,
    counters: r.counters,
    claims: r.claims,
  }));
  return { runs: compared, metrics: metricRows(runs), config: configDifferences(runs.map((r) => r.scenario)) };
}

export function valuesDiffer(values: readonly (number | null)[]): boolean {
  if (values.some((v) => v === null)) return values.some((v) => v !== null);
  const nums = values as number[];
  const largest = Math.max(...nums.map(Math.abs));
  return Math.max(...nums) - Math.min(...nums) > DIFFERS_FRACTION * largest;
}

function metricRows(runs: readonly RunDetail[]): MetricRow[] {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  return names.map((name) => {
    const values = runs.map((r) => r.metrics[name] ?? null);
    // Wall time differs run to run on the same scenario: not a difference between the runs.
    const differs = HOST_MEASURED_METRIC.test(name)
      ? values.some((v) => v === null) && values.some((v) => v !== null)
      : valuesDiffer(values);
    return { name, unit: metricInfo(name)?.unit ?? '', values, differs };
  });
}

/** Leaves of a scenario as dotted paths ("\." escapes a dot inside a key, as `--set` reads it). */
export function flattenScenario(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value) && value.length > 0) {
    value.forEach((v, i) => flattenScenario(v, prefix === '' ? String(i) : `${prefix}.${i}`, out));
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) {
      const key = k.replace(/\./g, '\\.');
      flattenScenario(v, prefix === '' ? key : `${prefix}.${key}`, out);
    }
  } else {
    out.set(prefix === '' ? '(root)' : prefix, JSON.stringify(value) ?? 'null');
  }
  return out;
}

export function configDifferences(scenarios: readonly unknown[]): ConfigDifference[] {
  const flat = scenarios.map((s) => flattenScenario(s));
  const paths = [...new Set(flat.flatMap((f) => [...f.keys()]))].sort();
  const diffs: ConfigDifference[] = [];
  for (const path of paths) {
    const values = flat.map((f) => f.get(path) ?? null);
    if (values.some((v) => v !== values[0])) diffs.push({ path, values });
  }
  return diffs;
}
