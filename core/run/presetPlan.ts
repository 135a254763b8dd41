// The run plan of a shipped preset: its scenario with the caller's overrides and seed, its
// variants and its claims. The CLI, the service and the golden tests all build presets this way.
// Must not: run anything.

import { ClaimSpecSchema, type ClaimSpec } from '../scenario/claimSpec';
import { formatIssues } from '../scenario/loadScenario';
import { loadRunnableScenario } from './scenarioChecks';
import type { Preset } from '../scenario/presets';
import { buildRunPlan, type PlanResult } from './runPlan';

export function presetPlan(preset: Preset, overrides: readonly string[] = [], seed?: number): PlanResult {
  const loaded = loadRunnableScenario({ value: preset.scenario }, overrides, seed);
  if (!loaded.ok) return loaded;
  // A preset's claims are code, but a bad one is still a path: message line, never a stack.
  const claims: ClaimSpec[] = [];
  const problems: string[] = [];
  (preset.claims ?? []).forEach((c, i) => {
    const parsed = ClaimSpecSchema.safeParse(c);
    if (parsed.success) claims.push(parsed.data);
    else problems.push(...formatIssues(parsed.error.issues, ['claims', i]));
  });
  if (problems.length > 0) return { ok: false, problems };
  return buildRunPlan(loaded.scenario, preset.variants ?? [], claims);
}
