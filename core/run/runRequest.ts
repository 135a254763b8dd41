// Turns a StartRunRequest (a scenario object, a scenario file's text or a preset name, plus
// overrides and a seed) into a validated run plan with the name and preset it is stored under.
// Used by the service and the CLI, so `pcilab run` and the app accept exactly the same input.
// Overrides and the seed apply to the base scenario, hence to every variant.
// Must not: store or run anything.

import type { StartRunRequest } from '../contract/labApi';
import { findPreset, PRESETS } from '../scenario/presets';
import { loadRunnableScenario } from './scenarioChecks';
import { ClaimSpecSchema } from '../scenario/claimSpec';
import { buildRunPlan, type RunPlan } from './runPlan';
import { presetPlan } from './presetPlan';

export type PreparedRun =
  | { readonly ok: true; readonly plan: RunPlan; readonly preset: string | null }
  | { readonly ok: false; readonly problems: readonly string[]; readonly notFound?: boolean };

export function prepareRun(request: StartRunRequest): PreparedRun {
  const overrides = request.overrides ?? [];
  if (request.preset !== undefined) {
    const preset = findPreset(request.preset);
    if (preset === undefined) {
      return {
        ok: false,
        notFound: true,
        problems: [`no preset named "${request.preset}"; presets: ${PRESETS.map((p) => p.id).join(', ')}`],
      };
    }
    const planned = presetPlan(preset, overrides, request.seed);
    return planned.ok ? { ok: true, plan: planned.plan, preset: preset.id } : planned;
  }
  const loaded =
    request.scenarioText !== undefined
      ? loadRunnableScenario({ text: request.scenarioText }, overrides, request.seed)
      : loadRunnableScenario({ value: request.scenario }, overrides, request.seed);
  if (!loaded.ok) return loaded;
  const planned = buildRunPlan(loaded.scenario);
  return planned.ok ? { ok: true, plan: planned.plan, preset: null } : planned;
}

/** The plain-data form of a plan that crosses to a worker thread and is stored with the run. */
export interface StoredPlan {
  readonly scenario: unknown;
  readonly variants: readonly { readonly name: string; readonly description: string; readonly set: readonly string[] }[];
  readonly claims: readonly unknown[];
}

export function storedPlanOf(plan: RunPlan): StoredPlan {
  return {
    scenario: plan.base,
    variants: plan.variants.map((v) => ({ name: v.name, description: v.description, set: v.set })),
    claims: plan.claims.filter((c) => !plan.base.claims.includes(c)),
  };
}

/** Rebuilds a plan from its stored form (the worker thread does this; the data was validated before). */
export function planFromStored(stored: StoredPlan): RunPlan {
  const loaded = loadRunnableScenario({ value: stored.scenario });
  if (!loaded.ok) throw new Error(`stored scenario no longer valid: ${loaded.problems.join('; ')}`);
  const planned = buildRunPlan(
    loaded.scenario,
    stored.variants,
    stored.claims.map((c) => ClaimSpecSchema.parse(c)),
  );
  if (!planned.ok) throw new Error(`stored plan no longer valid: ${planned.problems.join('; ')}`);
  return planned.plan;
}
