// How the CLI prints: the exact `--json` shapes of SPEC 8 and the human-readable tables.
// Must not: decide exit codes or run anything.

import type { ClaimResult, OpResult, RunSummary } from '../../core/contract/runResult';
import type { PresetSummary } from '../../core/contract/catalog';
import { metricInfo } from '../../core/run/metricCatalog';

export interface RunJson {
  readonly run: { readonly id: number; readonly status: string };
  readonly metrics: Readonly<Record<string, number>>;
  readonly ops: readonly { readonly op: string; readonly ok: boolean; readonly errno: string | null; readonly ret: unknown }[];
  readonly claims: readonly { readonly id: string; readonly text: string; readonly holds: boolean; readonly measured: number | null }[];
}

/** The one JSON object `pcilab run --json` prints (SPEC 8), with no other keys. */
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

export function formatPresetsText(presets: readonly PresetSummary[]): string {
  return presets.map((p) => `${p.id}\n  ${p.title}\n  thread: ${p.thread}\n  claims: ${p.claims.length}`).join('\n\n');
}
