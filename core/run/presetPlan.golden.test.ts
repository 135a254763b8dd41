// Presets are golden tests: every claim must hold (or the preset documents why the faithful model
// differs), and everything a preset's run measures is pinned per seed: the timeline hash, every
// metric, each claim's value and the ops results (presetPlan.golden.json). A model change that moves
// any of them must regenerate the file on purpose (`npm run golden -- --write`), with the reason in
// the commit.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../scenario/presets';
import { presetPlan } from './presetPlan';
import { PlanRun } from './planRun';
import { METRIC_CATALOG, metricInfo } from './metricCatalog';
import { goldenOf, type PresetGolden } from './presetGolden.testkit';
import { EVENT_KIND_NAME } from '../sim/timelineRecorder';

const GOLDEN = JSON.parse(readFileSync(new URL('./presetPlan.golden.json', import.meta.url), 'utf8')) as Record<string, PresetGolden>;

describe.each(PRESETS.map((p) => [p.id, p] as const))('preset %s', (id, preset) => {
  const planned = presetPlan(preset);
  it('is a valid plan', () => {
    expect(planned.ok ? [] : planned.problems).toEqual([]);
  });
  if (!planned.ok) return;
  const run = new PlanRun(planned.plan);
  const result = run.runToEnd();
  const kinds = run.timelineColumns().kinds.map((k) => k.name);

  it('states at least one claim; every claim holds as measured, or the preset documents why the faithful model differs', () => {
    expect(result.claims.length).toBeGreaterThan(0);
    const documented = new Set(
      [...(preset.claims ?? []), ...(preset.scenario.claims ?? [])].filter((c) => c.whyNot !== undefined).map((c) => c.id),
    );
    for (const c of result.claims) {
      if (!c.holds)
        expect({ id: c.id, measured: c.measured, documentedGap: documented.has(c.id) }).toMatchObject({ id: c.id, documentedGap: true });
    }
  });

  it('measures what the golden file pins (metrics, claims, ops)', () => {
    expect(goldenOf(result)).toEqual(GOLDEN[id]);
  });

  it('names every event kind it records layer.verb[.outcome]', () => {
    expect(kinds.length).toBeGreaterThan(0);
    expect(kinds.filter((k) => !EVENT_KIND_NAME.test(k))).toEqual([]);
  });

  it('produces only metrics the catalog documents (each has a unit)', () => {
    const unknown = Object.keys(result.metrics).filter((m) => metricInfo(m) === undefined);
    expect(unknown).toEqual([]);
    expect(METRIC_CATALOG.length).toBeGreaterThan(0);
  });
});
