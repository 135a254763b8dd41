// `npm run golden`: runs every preset and compares what it measures with core/run/presetPlan.golden.json
// (the golden test does the same in `npm test`); `npm run golden -- --write` regenerates the file
// after a deliberate model change. Prints the presets whose results moved and the first differences.

import { readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { PRESETS } from '../core/scenario/presets';
import { presetPlan } from '../core/run/presetPlan';
import { PlanRun } from '../core/run/planRun';
import { goldenOf, type PresetGolden } from '../core/run/presetGolden.testkit';

const file = new URL('../core/run/presetPlan.golden.json', import.meta.url);
const all: Record<string, PresetGolden> = {};
for (const preset of PRESETS) {
  const planned = presetPlan(preset);
  if (!planned.ok) throw new Error(`preset ${preset.id}: ${planned.problems.join('; ')}`);
  all[preset.id] = goldenOf(new PlanRun(planned.plan).runToEnd());
}
if (process.argv.includes('--write')) {
  writeFileSync(file, JSON.stringify(all, null, 1) + '\n');
  console.log(`wrote ${file.pathname}`);
} else {
  const pinned = JSON.parse(readFileSync(file, 'utf8')) as Record<string, PresetGolden>;
  let moved = 0;
  for (const [id, now] of Object.entries(all)) {
    const was = pinned[id];
    if (isDeepStrictEqual(was, now)) continue;
    moved++;
    const diffs: string[] = [];
    if (was?.timelineHash !== now.timelineHash) diffs.push(`timelineHash ${was?.timelineHash} -> ${now.timelineHash}`);
    for (const k of new Set([...Object.keys(was?.metrics ?? {}), ...Object.keys(now.metrics)]))
      if (was?.metrics[k] !== now.metrics[k]) diffs.push(`${k} ${was?.metrics[k]} -> ${now.metrics[k]}`);
    console.log(`${id}: ${diffs.length} differences\n  ${diffs.slice(0, 12).join('\n  ')}`);
  }
  console.log(moved === 0 ? `all ${PRESETS.length} presets match the golden file` : `${moved} presets moved`);
  process.exitCode = moved === 0 ? 0 : 1;
}
