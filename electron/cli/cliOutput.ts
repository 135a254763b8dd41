// How the CLI prints: the exact `--json` shapes (docs/model.md#command-line), the human-readable
// tables, query results (table, CSV) and the bash completion script.
// Must not: decide exit codes or run anything.

import type { ClaimResult, OpResult, RunSummary } from '../../core/contract/runResult';
import type { PresetSummary } from '../../core/contract/catalog';
import type { RunComparison } from '../../core/contract/comparison';
import { metricInfo } from '../../core/run/metricCatalog';
import type { QueryRunResult, QueryValue } from '../../core/contract/query';
import { limitsAnswers, limitsLines, type LimitsAnswer } from '../../core/contract/limitsAnswer';

export interface RunJson {
  readonly run: { readonly id: number; readonly status: string };
  readonly metrics: Readonly<Record<string, number>>;
  readonly ops: readonly { readonly op: string; readonly ok: boolean; readonly errno: string | null; readonly ret: unknown }[];
  readonly claims: readonly ClaimJson[];
  /** The "Memlock & VFIO entries" answer per variant (docs/model.md#limits-answer). */
  readonly memlock: readonly LimitsAnswer[];
}

export interface ClaimJson {
  readonly id: string;
  readonly text: string;
  readonly holds: boolean;
  readonly measured: number | null;
  /** Unit of `measured` ("" when none, null for runs stored before units were kept). */
  readonly unit: string | null;
  readonly expectation: string;
  readonly source: string;
  /** Why the model does not reproduce the claim (the scenario's whyNot), when it does not hold; else null. */
  readonly whyNot: string | null;
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
    memlock: limitsAnswers(metrics),
    ops: ops.map((o) => ({ op: o.op, ok: o.ok, errno: o.errno, ret: o.ret })),
    claims: claims.map((c) => ({
      id: c.id,
      text: c.text,
      holds: c.holds,
      measured: c.measured,
      unit: c.unit ?? null,
      expectation: c.expectation,
      source: c.source,
      whyNot: c.note ?? null,
    })),
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
  if (json.memlock.length > 0) {
    lines.push('', 'memlock & VFIO entries (needed; from a run without the limits where the run hit one):');
    for (const a of json.memlock) {
      const head = `${a.variant === '' ? '' : `${a.variant}: `}${a.limitHit ? 'a limit was hit' : 'no limit hit'}`;
      lines.push(`  ${head}`, ...limitsLines(a).map((l) => `    ${l}`));
    }
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
    const held = json.claims.filter((c) => c.holds).length;
    lines.push('', `claims: ${held} of ${json.claims.length} hold`);
    for (const c of json.claims) {
      const measured = c.measured === null ? 'n/a' : `${formatNumber(c.measured)} ${c.unit ?? ''}`.trimEnd();
      lines.push(`  [${c.holds ? 'holds' : 'DOES NOT HOLD'}] ${c.id}: measured ${measured}, expected ${c.expectation}`);
      lines.push(`      ${c.text}`);
      if (c.whyNot !== null) lines.push(`      why not: ${c.whyNot}`);
      lines.push(`      source: ${c.source}`);
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

function queryCell(v: QueryValue): string {
  if (v === null) return 'NULL';
  return typeof v === 'number' ? String(v) : v;
}

/** A query result as an aligned table (numbers right-aligned), then the row count. */
export function formatQueryTable(r: QueryRunResult): string {
  const cells = r.rows.map((row) => row.map(queryCell));
  const width = r.columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const numeric = r.columns.map((_, i) => r.rows.length > 0 && r.rows.every((row) => row[i] === null || typeof row[i] === 'number'));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(width[i]!) : v.padEnd(width[i]!)))
      .join('  ')
      .trimEnd();
  const count = `(${r.rows.length.toLocaleString('en-US')} row${r.rows.length === 1 ? '' : 's'}${r.truncated ? ', more cut off' : ''}, ${r.elapsedMs} ms)`;
  return [line(r.columns), line(width.map((w) => '-'.repeat(w))), ...cells.map(line), count].join('\n');
}

/** A query result as CSV (RFC 4180: quoted when needed), a header line first. */
export function formatQueryCsv(r: QueryRunResult): string {
  const field = (v: QueryValue): string => {
    if (v === null) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [r.columns.map(field).join(','), ...r.rows.map((row) => row.map(field).join(','))].join('\n');
}

/** `pcilab completion bash`: commands, each command's options, presets for run, files elsewhere. */
export function bashCompletion(commands: readonly string[], presets: readonly string[]): string {
  const options: Record<string, string> = {
    run: '--seed --set --json --progress --db --help',
    runs: '--json --db --help',
    compare: '--json --db --help',
    export: '--format --out --db --help',
    query: '--json --csv --max-rows --timeout --db --help',
    delete: '--db --help',
    'import-trace': '--qemu-log --scenario --preset --set --json --db --help',
    presets: '--json --help',
    schema: '--help',
    completion: 'bash',
    experiment:
      'create list submit collect compare task --slurm --local --partition --time --out --wait --interval --retry --name --variant --grid --set --seed --json --db --help',
  };
  const cases = Object.entries(options)
    .map(([c, o]) => `    ${c}) opts="${o}" ;;`)
    .join('\n');
  return `# bash completion for pcilab (source <(pcilab completion bash))
_pcilab() {
  local cur prev cmd opts
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${commands.join(' ')} help --help --version" -- "$cur") )
    return
  fi
  case "$prev" in
    --format) COMPREPLY=( $(compgen -W "perfetto csv json" -- "$cur") ); return ;;
    --preset) COMPREPLY=( $(compgen -W "${presets.join(' ')}" -- "$cur") ); return ;;
    --db|--out|--scenario|--qemu-log) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
  esac
  case "$cmd" in
${cases}
    help) COMPREPLY=( $(compgen -W "${commands.join(' ')}" -- "$cur") ); return ;;
    *) opts="" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  elif [ "$cmd" = run ]; then
    COMPREPLY=( $(compgen -W "${presets.join(' ')}" -- "$cur") $(compgen -f -- "$cur") )
  else
    COMPREPLY=( $(compgen -f -- "$cur") )
  fi
}
complete -F _pcilab pcilab`;
}
