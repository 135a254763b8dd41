// `pcilab explain "<log line>" [--json]`: matches a pasted kernel or QEMU message to the mechanism
// the lab models, the limit, the knobs, and the preset that reproduces it with the line's numbers
// (core/run/logExplain.ts holds the table). Exit 0 when the line matched, 2 when nothing did or the
// usage is wrong.
// Must not: run the preset (it prints the `pcilab run` line to do so).

import { parseArgs } from 'node:util';
import { explainLogLine, type LogExplanation } from '../../core/run/logExplain';

export interface ExplainIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export const EXPLAIN_USAGE = 'usage: pcilab explain "<a kernel or QEMU log line>" [--json]';

function formatNumbers(numbers: Readonly<Record<string, number>>): string {
  return Object.entries(numbers)
    .map(([k, v]) => `${k} ${k === 'iova' || k === 'size' || k === 'address' ? '0x' + v.toString(16) : v.toLocaleString('en-US')}`)
    .join(', ');
}

export function formatExplanation(e: LogExplanation): string {
  const lines = [
    `matched:   ${e.pattern} (printed by ${e.printedBy === 'vmm' ? 'the VMM' : e.printedBy === 'qemu' ? 'QEMU' : 'the host kernel'})`,
    `source:    ${e.source}`,
    `mechanism: ${e.mechanism}`,
    `limit:     ${e.limit}`,
  ];
  if (e.errno !== null) lines.push(`errno:     ${e.errno}`);
  const numbers = formatNumbers(e.numbers);
  if (numbers !== '') lines.push(`numbers:   ${numbers}`);
  if (e.knobs.length > 0) lines.push('knobs:', ...e.knobs.map((k) => `  ${k.path}: ${k.what}`));
  if (e.preset !== null) lines.push(`preset:    ${e.preset}${e.variant === null ? '' : ` (variant ${e.variant})`}`);
  if (e.command !== null) lines.push(`reproduce: ${e.command}`);
  return lines.join('\n');
}

export function commandExplain(args: string[], io: ExplainIo): number {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  } catch (err) {
    io.err(`pcilab: ${err instanceof Error ? err.message : String(err)}`);
    io.err(EXPLAIN_USAGE);
    return 2;
  }
  const line = parsed.positionals.join(' ').trim();
  if (line === '') {
    io.err('pcilab: explain needs the log line to explain (quote it)');
    io.err(EXPLAIN_USAGE);
    return 2;
  }
  const found = explainLogLine(line);
  if (parsed.values.json === true) {
    io.out(JSON.stringify({ line, matches: found }));
    return found.length > 0 ? 0 : 2;
  }
  if (found.length === 0) {
    io.err(`pcilab: no known kernel or QEMU message in "${line}" (docs/model.md#field-reports lists the ones the lab explains)`);
    return 2;
  }
  io.out(found.map(formatExplanation).join('\n\n'));
  return 0;
}
