// How the CLI prints: the exact `--json` shapes (docs/model.md#command-line) and the human-readable
// tables.
// Must not: decide exit codes or run anything.

import type { ClaimResult, OpResult, RunSummary } from '../../core/contract/runResult';
import type { PresetSummary } from '../../core/contract/catalog';
import type { RunComparison } from '../../core/contract/comparison';
import { metricInfo } from '../../core/run/metricCatalog';

export interface RunJson {
  readonly run: { readonly id: number; readonly status: string };
  readonly metrics: Readonly<Record<string, number>>;
  readonly ops: readonly { readonly op: string; readonly ok: boolean; readonly errno: string | null; readonly ret: unknown }[];
  readonly claims: readonly { readonly id: string; readonly text: string; readonly holds: boolean; readonly measured: number | null }[];
}

/** The one JSON object `pcilab run --json` prints (docs/model.md#command-line), with no other keys. */
export function runJson(
  id: number,
  status: string,
  metrics: Readonly<Record<string, number>>,
  ops: readonly OpResult[],
  claims: readonly ClaimResult[],
): RunJson {
  return {
    run: { id, status },
    metrics,
    ops: ops.map((o) => ({ op: o.op, ok: o.ok, errno: o.errno, ret: o.ret })),
    claims: claims.map((c) => ({ id: c.id, text: c.text, holds: c.holds, measured: c.measured })),
  };
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
}

export function formatRunText(json: RunJson): string {
  const lines = [`run ${json.run.id}: ${json.run.status}`, '', 'metrics:'];
  const width = Math.max(0, ...Object.keys(json.metrics).map((k) => k.length));
  for (const [name, value] of Object.entries(json.metrics)) {
    const unit = metricInfo(name)?.unit ?? '';
    lines.push(`  ${name.padEnd(width)}  ${formatNumber(value)} ${unit}`.trimEnd());
  }
  if (json.ops.length > 0) {
    lines.push('', 'ops:');
    json.ops.forEach((o, i) =>
      lines.push(`  ${String(i).padStart(3)} ${o.op.padEnd(28)} ${o.ok ? 'ok' : (o.errno ?? 'error')}  ${JSON.stringify(o.ret)}`),
    );
  }
  for (const [name, value] of Object.entries(json.metrics)) {
    // ops.notRun / <variant>:ops.notRun: a script the run's duration cut short says so.
    if (!name.endsWith('ops.notRun') || value === 0 || json.metrics[name.replace(/notRun$/, 'cutShort')] !== 1) continue;
    const variant = name.slice(0, -'ops.notRun'.length).replace(/:$/, '');
    lines.push(
      '',
      `ops script cut short${variant === '' ? '' : ` (${variant})`}: ${value} step(s) not run, the run's durationMs ended first`,
    );
  }
  if (json.claims.length > 0) {
    lines.push('', 'claims:');
    for (const c of json.claims) {
      lines.push(`  [${c.holds ? 'holds' : 'DOES NOT HOLD'}] ${c.id}: measured ${c.measured === null ? 'n/a' : formatNumber(c.measured)}`);
      lines.push(`      ${c.text}`);
    }
  }
  return lines.join('\n');
}

export function formatRunsText(runs: readonly RunSummary[]): string {
  if (runs.length === 0) return 'no runs yet (start one with `pcilab run <preset>`; `pcilab presets` lists them)';
  const header = `${'id'.padStart(5)}  ${'status'.padEnd(11)}  ${'created'.padEnd(24)}  ${'events'.padStart(10)}  claims  name`;
  return [
    header,
    ...runs.map(
      (r) =>
        `${String(r.id).padStart(5)}  ${r.status.padEnd(11)}  ${r.createdAt.padEnd(24)}  ${String(r.eventCount).padStart(10)}  ${
          r.claimsTotal > 0 ? `${r.claimsHeld}/${r.claimsTotal}`.padEnd(6) : '-'.padEnd(6)
        }  ${r.name}`,
    ),
  ].join('\n');
}

export function formatPresetsText(presets: readonly Pick<PresetSummary, 'id' | 'title' | 'thread' | 'claims'>[]): string {
  return presets.map((p) => `${p.id}\n  ${p.title}\n  thread: ${p.thread}\n  claims: ${p.claims.length}`).join('\n\n');
}

/** `pcilab compare`: metrics side by side ("*" marks a row that differs), then the configuration diff. */
export function formatComparisonText(c: RunComparison): string {
  const heads = c.runs.map((r) => `run ${r.id}`);
  const cells = c.metrics.map((m) => m.values.map((v) => (v === null ? '-' : formatNumber(v))));
  const nameWidth = Math.max(6, ...c.metrics.map((m) => m.name.length));
  const unitWidth = Math.max(4, ...c.metrics.map((m) => m.unit.length));
  const colWidth = heads.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (name: string, unit: string, values: readonly string[], mark: string) =>
    `${mark} ${name.padEnd(nameWidth)}  ${unit.padEnd(unitWidth)}  ${values.map((v, i) => v.padStart(colWidth[i]!)).join('  ')}`.trimEnd();
  const lines = c.runs.map((r) => `run ${r.id}: ${r.name} (${r.status})`);
  lines.push('', line('metric', 'unit', heads, ' '));
  c.metrics.forEach((m, i) => lines.push(line(m.name, m.unit, cells[i]!, m.differs ? '*' : ' ')));
  lines.push('', c.config.length === 0 ? 'configuration: identical' : 'configuration differences:');
  for (const d of c.config) lines.push(`  ${d.path}: ${d.values.map((v) => v ?? '(absent)').join(' | ')}`);
  return lines.join('\n');
}
