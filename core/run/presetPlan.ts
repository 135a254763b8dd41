// The run plan of a shipped preset: its scenario with the caller's overrides and seed, its
// variants and its claims. The CLI, the service and the golden tests all build presets this way.
// Must not: run anything.

import { ClaimSpecSchema } from '../scenario/claimSpec';
import { loadRunnableScenario } from './scenarioChecks';
import type { Preset } from '../scenario/presets';
import { buildRunPlan, type PlanResult } from './runPlan';

export function presetPlan(preset: Preset, overrides: readonly string[] = [], seed?: number): PlanResult {
  const loaded = loadRunnableScenario({ value: preset.scenario }, overrides, seed);
  if (!loaded.ok) return loaded;
  const claims = (preset.claims ?? []).map((c) => ClaimSpecSchema.parse(c));
  return buildRunPlan(loaded.scenario, preset.variants ?? [], claims);
}
