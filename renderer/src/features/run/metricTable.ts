// A run's metrics as the run page's table: grouped by their first name segment (io, dma, vfio...),
// one value column per variant when the run compared variants ("<variant>:<metric>" names; metrics
// of the whole run, like sim.wallMs, get a "whole run" column), each row with its catalog unit and
// description.
// Must not: drop a metric the catalog does not know (it is shown with an explicit "no unit").

import type { MetricInfo } from '../../../../core/contract/catalog';

export const WHOLE_RUN = 'whole run';

export interface MetricRow {
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  /** Full metric name per column ("v1:vfio.enospc"), for test ids and exact lookups; null when absent. */
  readonly keys: readonly (string | null)[];
  readonly values: readonly (number | null)[];
}

export interface MetricGroup {
  readonly name: string;
  readonly rows: readonly MetricRow[];
}

export interface MetricTable {
  /** Column headings: the variants, or one "value" column for a plain run. */
  readonly columns: readonly string[];
  readonly groups: readonly MetricGroup[];
}

const OPS_OUTPUT = /^ops\.(\d+)\.(.+)$/;
/** limits.<kind>/<name>.<field>: one limit account's value (core/contract/limitsAnswer.ts reads them into the run's limits answer). */
const LIMITS_ACCOUNT = /^limits\.([a-z0-9-]+)\/(.+)\.(lockedBytes|entries)(Start|Peak)$|^limits\.([a-z0-9-]+)\/(.+)\.entryLimit$/;

/** The catalog entry of a metric (variant prefix already removed); ops step outputs and limit accounts' values are described from their name. */
export function metricInfoOf(local: string, catalog: readonly MetricInfo[]): MetricInfo | undefined {
  const known = catalog.find((m) => m.name === local);
  if (known !== undefined) return known;
  const account = LIMITS_ACCOUNT.exec(local);
  if (account !== null) {
    const bytes = account[3] === 'lockedBytes';
    const what =
      account[4] === undefined
        ? 'dma_entry_limit'
        : `${bytes ? 'locked memory' : 'mappings'} needed at ${account[4] === 'Start' ? 'start' : 'peak'}`;
    return {
      name: local,
      unit: bytes ? 'bytes' : 'entries',
      description: `${account[1] ?? account[5]} account ${account[2] ?? account[6]}: ${what}`,
    };
  }
  const out = OPS_OUTPUT.exec(local);
  if (out === null) return undefined;
  return { name: local, unit: 'value', description: `output "${out[2]}" of ops step ${out[1]}` };
}

export function splitVariant(name: string): { variant: string | null; local: string } {
  const colon = name.indexOf(':');
  return colon < 0 ? { variant: null, local: name } : { variant: name.slice(0, colon), local: name.slice(colon + 1) };
}

function groupOf(local: string): string {
  const dot = local.indexOf('.');
  return dot < 0 ? 'general' : local.slice(0, dot);
}

export function buildMetricTable(
  metrics: Readonly<Record<string, number>>,
  variants: readonly string[],
  catalog: readonly MetricInfo[],
): MetricTable {
  const names = Object.keys(metrics);
  const prefixes = new Set(names.map((n) => splitVariant(n).variant).filter((v): v is string => v !== null));
  const variantCols = [...variants, ...[...prefixes].filter((p) => !variants.includes(p)).sort()];
  const hasWhole = variantCols.length > 0 && names.some((n) => splitVariant(n).variant === null);
  const columns = variantCols.length === 0 ? ['value'] : hasWhole ? [...variantCols, WHOLE_RUN] : variantCols;
  const colOf = (variant: string | null): number =>
    variantCols.length === 0 ? 0 : variant === null ? columns.length - 1 : columns.indexOf(variant);

  const rows = new Map<string, { keys: (string | null)[]; values: (number | null)[] }>();
  for (const name of names) {
    const { variant, local } = splitVariant(name);
    let row = rows.get(local);
    if (row === undefined) {
      row = { keys: columns.map(() => null), values: columns.map(() => null) };
      rows.set(local, row);
    }
    row.keys[colOf(variant)] = name;
    row.values[colOf(variant)] = metrics[name]!;
  }

  const groups = new Map<string, MetricRow[]>();
  for (const local of [...rows.keys()].sort(compareMetricNames)) {
    const info = metricInfoOf(local, catalog);
    const g = groupOf(local);
    const list = groups.get(g) ?? [];
    list.push({ name: local, unit: info?.unit ?? '', description: info?.description ?? 'not in the metric catalog', ...rows.get(local)! });
    groups.set(g, list);
  }
  const order = [...groups.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return { columns, groups: order.map((name) => ({ name, rows: groups.get(name)! })) };
}

/** Groups users look at first come first; simulator bookkeeping last. */
function rank(group: string): number {
  const first = ['io', 'dma', 'iotlb', 'fq', 'general'];
  const last = ['ops', 'sim'];
  if (first.includes(group)) return first.indexOf(group);
  if (last.includes(group)) return 100 + last.indexOf(group);
  return 50;
}

/** "ops.2.ret" before "ops.10.ret": numeric segments compare as numbers. */
export function compareMetricNames(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
