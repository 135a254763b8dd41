// A run plan: what one stored run simulates. A base scenario, optionally compared across named
// variants (each the base with `--set` style overrides: strict vs lazy, KVM vs LPAR...), and the
// claims checked over the variants' metrics, named "<variant>:<metric>". A scenario file is a plan
// without variants whose claims use plain metric names. Presets and experiments are plans.
// Must not: run anything (planRun.ts does).

import type { ClaimSpec } from '../scenario/claimSpec';
import { applyOverrides } from '../scenario/loadScenario';
import { validateRunnableScenario } from './scenarioChecks';
import type { Scenario } from '../scenario/schema';
import type { VariantSpec } from '../scenario/variantSpec';

export type { VariantSpec } from '../scenario/variantSpec';

export interface PlannedVariant {
  readonly name: string;
  readonly description: string;
  readonly set: readonly string[];
  readonly scenario: Scenario;
}

export interface RunPlan {
  readonly base: Scenario;
  /** Empty for a plain scenario. */
  readonly variants: readonly PlannedVariant[];
  /** Claims over the merged metrics (variant-prefixed when there are variants). */
  readonly claims: readonly ClaimSpec[];
}

export type PlanResult = { readonly ok: true; readonly plan: RunPlan } | { readonly ok: false; readonly problems: string[] };

const VARIANT_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** A plan for `base` with `variants`; each variant's overrides are validated against the base. */
export function buildRunPlan(base: Scenario, variants: readonly VariantSpec[] = [], extraClaims: readonly ClaimSpec[] = []): PlanResult {
  const problems: string[] = [];
  const names = new Set<string>();
  const planned: PlannedVariant[] = [];
  for (const v of variants) {
    if (!VARIANT_NAME.test(v.name))
      problems.push(`variants.${v.name}: a variant name starts with a letter and uses letters, digits, "-" or "_"`);
    if (names.has(v.name)) problems.push(`variants.${v.name}: duplicate variant name`);
    names.add(v.name);
    const overridden = applyOverrides({ ...base, claims: [] }, v.set);
    if (!overridden.ok) {
      problems.push(...overridden.problems.map((p) => `variants.${v.name}: ${p}`));
      continue;
    }
    const loaded = validateRunnableScenario(overridden.value);
    if (!loaded.ok) problems.push(...loaded.problems.map((p) => `variants.${v.name}: ${p}`));
    else planned.push({ name: v.name, description: v.description, set: v.set, scenario: loaded.scenario });
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, plan: { base, variants: planned, claims: [...base.claims, ...extraClaims] } };
}

/** Simulated time a plan's run goes through, ns: the sum of its variants' durations (each has its own clock from 0), for progress. */
export function planDurationNs(plan: RunPlan): number {
  const scenarios = plan.variants.length > 0 ? plan.variants.map((v) => v.scenario) : [plan.base];
  return scenarios.reduce((t, s) => t + Math.round(s.durationMs * 1e6), 0);
}
