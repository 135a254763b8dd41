// The variants of an experiment: its explicit variants, then every combination of its grid axes
// (named "a.b=1,c.d=x" after their overrides), each checked by preparing the run it would start
// (the scenario loader validates the base with the variant's overrides). A bad override is
// reported with the variant's name and the field's path.
// Must not: store or start anything.

import type { ExperimentGridAxis, ExperimentRequest, ExperimentVariantSpec } from '../../core/contract/experiments';
import type { StartRunRequest } from '../../core/contract/labApi';
import { LabError } from './labError';
import { prepareRun, type PreparedRun } from '../../core/run/runRequest';

export const MAX_EXPERIMENT_VARIANTS = 256;

/** How a grid value is written after `path=` so that `--set` parses it back to the same value. */
function overrideText(value: unknown): string {
  if (typeof value === 'string') {
    try {
      JSON.parse(value);
      return JSON.stringify(value);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value);
}

/** How a grid value appears in a variant's name. */
function nameText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function gridVariants(axes: readonly ExperimentGridAxis[]): ExperimentVariantSpec[] {
  const total = axes.reduce((n, a) => n * a.values.length, axes.length > 0 ? 1 : 0);
  if (total > MAX_EXPERIMENT_VARIANTS) {
    throw new LabError('invalid-argument', `the grid makes ${total} variants; an experiment has at most ${MAX_EXPERIMENT_VARIANTS}`);
  }
  let combos: { names: string[]; set: string[] }[] = axes.length > 0 ? [{ names: [], set: [] }] : [];
  for (const axis of axes) {
    combos = combos.flatMap((c) =>
      axis.values.map((v) => ({ names: [...c.names, `${axis.path}=${nameText(v)}`], set: [...c.set, `${axis.path}=${overrideText(v)}`] })),
    );
  }
  return combos.map((c) => ({ name: c.names.join(','), set: c.set }));
}

export function variantRequest(base: StartRunRequest, variant: ExperimentVariantSpec): StartRunRequest {
  return { ...base, overrides: [...(base.overrides ?? []), ...variant.set] };
}

/** Every variant of the request, validated; throws a LabError naming each bad variant and field. */
export function expandExperiment(request: ExperimentRequest): { variants: ExperimentVariantSpec[]; prepared: PreparedRun[] } {
  const base = prepareRun(request.base);
  if (!base.ok) throw preparedError(base, (p) => `base: ${p}`);
  const variants = [...(request.variants ?? []), ...gridVariants(request.grid ?? [])];
  if (variants.length > MAX_EXPERIMENT_VARIANTS) {
    throw new LabError('invalid-argument', `${variants.length} variants; an experiment has at most ${MAX_EXPERIMENT_VARIANTS}`);
  }
  const names = new Set<string>();
  const problems: string[] = [];
  const prepared: PreparedRun[] = [];
  for (const v of variants) {
    if (names.has(v.name)) problems.push(`variant "${v.name}": duplicate variant name`);
    names.add(v.name);
    const p = prepareRun(variantRequest(request.base, v));
    if (!p.ok) problems.push(...p.problems.map((x) => `variant "${v.name}": ${x}`));
    prepared.push(p);
  }
  if (problems.length > 0) throw new LabError('invalid-scenario', problems.join('\n'), problems);
  return { variants, prepared };
}

function preparedError(p: Extract<PreparedRun, { ok: false }>, label: (problem: string) => string): LabError {
  const problems = p.problems.map(label);
  return new LabError(p.notFound === true ? 'not-found' : 'invalid-scenario', problems.join('\n'), problems);
}
