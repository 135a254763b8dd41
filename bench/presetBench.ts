// Whole-run benches: a preset simulated end to end (no storage), reported as simulated events and
// IOs per wall second.

import { loadRunnableScenario } from '../core/run/scenarioChecks';
import { findPreset } from '../core/scenario/presets';
import { ScenarioRun } from '../core/run/scenarioRun';
import type { Measured } from './harness';

export function benchPreset(id: string, overrides: string[] = []): Measured[] {
  const preset = findPreset(id);
  if (preset === undefined) throw new Error(`no preset ${id}`);
  const loaded = loadRunnableScenario({ value: preset.scenario }, overrides);
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const runs: { ms: number; events: number; ios: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const result = new ScenarioRun(loaded.scenario).runToEnd();
    runs.push({ ms: performance.now() - t0, events: result.metrics['sim.events'] ?? 0, ios: result.metrics['io.completed'] ?? 0 });
  }
  runs.sort((a, b) => a.ms - b.ms);
  const median = runs[1]!;
  const label = `${id}${overrides.length > 0 ? ` (${overrides.join(', ')})` : ''}`;
  return [
    {
      name: `${label}: simulated events`,
      unit: 'events',
      perSecond: (median.events / median.ms) * 1000,
      nsPerItem: (median.ms * 1e6) / median.events,
      rmePct: NaN,
      samples: 3,
    },
    {
      name: `${label}: simulated IOs`,
      unit: 'IOs',
      perSecond: (median.ios / median.ms) * 1000,
      nsPerItem: (median.ms * 1e6) / median.ios,
      rmePct: NaN,
      samples: 3,
    },
  ];
}
