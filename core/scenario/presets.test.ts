// Presets are golden tests: every claim must hold, and the timeline hash per seed is pinned. A
// model change that moves a hash must update GOLDEN_HASHES on purpose, with the reason in the commit.
import { describe, expect, it } from 'vitest';
import { PRESETS } from './presets';
import { loadScenario } from './loadScenario';
import { ScenarioRun } from '../run/scenarioRun';
import { METRIC_CATALOG } from '../run/metricCatalog';

const GOLDEN_HASHES: Record<string, string> = {
  'quickstart-nvme-fio@1': '966261a5629a54c5',
};

describe.each(PRESETS.map((p) => [p.id, p] as const))('preset %s', (id, preset) => {
  const loaded = loadScenario({ value: preset.scenario });
  it('is a valid scenario', () => {
    expect(loaded.ok ? [] : loaded.problems).toEqual([]);
  });
  if (!loaded.ok) return;
  const result = new ScenarioRun(loaded.scenario).runToEnd();

  it('states at least one claim, and every claim holds as measured', () => {
    expect(result.claims.length).toBeGreaterThan(0);
    for (const c of result.claims) expect({ id: c.id, holds: c.holds, measured: c.measured }).toMatchObject({ id: c.id, holds: true });
  });

  it('has a pinned timeline hash for its seed', () => {
    expect(result.timelineHash).toBe(GOLDEN_HASHES[`${id}@${loaded.scenario.seed}`]);
  });

  it('produces only metrics the catalog documents (each has a unit)', () => {
    const known = new Set(METRIC_CATALOG.map((m) => m.name));
    expect(Object.keys(result.metrics).filter((m) => !known.has(m))).toEqual([]);
  });
});
