// `npm run reproductions`: runs every preset exactly as `pcilab run <preset>` does and rewrites
// docs/reproductions.md from what the runs measured: each claim, whether it holds, the measured
// value, the expectation and the thread it comes from. Nothing in the document is written by hand.

import { writeFileSync } from 'node:fs';
import { PRESETS } from '../core/scenario/presets';
import { presetPlan } from '../core/run/presetPlan';
import { PlanRun } from '../core/run/planRun';

function fmt(v: number | null): string {
  if (v === null) return 'n/a';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
}

function escape(s: string): string {
  return s.replace(/\|/g, '\\|');
}

const lines: string[] = [
  '# Reproductions',
  '',
  'Every preset the lab ships, run as `npx pcilab run <preset>` runs it, with each claim from its reference thread:',
  'whether it holds in the model, the value the model measured, and what the claim expects. This file is generated',
  'by `npm run reproductions` from those runs; a claim the faithful model does not reproduce is listed as such, with',
  'the reason in its note.',
  '',
];
let held = 0;
let total = 0;
for (const preset of PRESETS) {
  const planned = presetPlan(preset);
  if (!planned.ok) throw new Error(`preset ${preset.id} is invalid: ${planned.problems.join('; ')}`);
  const t0 = performance.now();
  const result = new PlanRun(planned.plan).runToEnd();
  const wallMs = performance.now() - t0;
  lines.push(
    `## ${preset.title}`,
    '',
    `\`${preset.id}\` - ${preset.summary}`,
    '',
    `Thread: ${preset.thread}. Timeline hash ${result.timelineHash}; ${fmt(Math.round(wallMs))} ms wall.`,
    '',
  );
  if (planned.plan.variants.length > 0) {
    lines.push('Variants: ' + planned.plan.variants.map((v) => `\`${v.name}\` (${v.description})`).join(', ') + '.', '');
  }
  lines.push('| claim | holds | measured | expected | source |', '| --- | --- | --- | --- | --- |');
  for (const c of result.claims) {
    total++;
    if (c.holds) held++;
    const note = c.note === undefined ? '' : ` (${c.note})`;
    lines.push(
      `| ${escape(c.text)}${escape(note)} | ${c.holds ? 'holds' : '**does not hold**'} | ${fmt(c.measured)} | ${escape(c.expectation)} | ${escape(c.source)} |`,
    );
  }
  lines.push('');
  console.log(
    `${preset.id}: ${result.claims.filter((c) => c.holds).length}/${result.claims.length} claims hold (${fmt(Math.round(wallMs))} ms)`,
  );
}
lines.splice(7, 0, `Summary: ${held} of ${total} claims hold across ${PRESETS.length} presets.`, '');
writeFileSync(new URL('../docs/reproductions.md', import.meta.url), lines.join('\n'));
console.log('wrote docs/reproductions.md');
