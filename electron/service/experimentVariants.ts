// The variants of an experiment: its explicit variants, then every combination of its grid axes
// (named "a.b=1,c.d=x" after their overrides), each checked by preparing the run it would start
// (the scenario loader validates the base with the variant's overrides). A bad override is
// reported with the variant's name and the field's path.
// Must not: store or start anything.

import type { ExperimentGridAxis, ExperimentRequest, ExperimentVariantSpec } from '../../core/contract/experiments';
import type { StartRunRequest } from '../../core/contract/labApi';
import { LabError } from './labError';
import { prepareRun, type PreparedRun } from '../../core/run/runRequest';
import type { CheckedRun } from './runPreparerProtocol';

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

/** The experiment's variants (explicit, then the grid) and the run requests to check: the base first, then one per variant. */
export function experimentRequests(request: ExperimentRequest): { variants: ExperimentVariantSpec[]; requests: StartRunRequest[] } {
  const variants = [...(request.variants ?? []), ...gridVariants(request.grid ?? [])];
  if (variants.length > MAX_EXPERIMENT_VARIANTS) {
    throw new LabError('invalid-argument', `${variants.length} variants; an experiment has at most ${MAX_EXPERIMENT_VARIANTS}`);
  }
  return { variants, requests: [request.base, ...variants.map((v) => variantRequest(request.base, v))] };
}

/** Throws a LabError naming each bad variant and field, given what preparing experimentRequests' requests found. */
export function checkExperiment(variants: readonly ExperimentVariantSpec[], results: readonly CheckedRun[]): void {
  const [base, ...perVariant] = results;
  if (base !== undefined && !base.ok) throw preparedError(base, (p) => `base: ${p}`);
  const names = new Set<string>();
  const problems: string[] = [];
  variants.forEach((v, i) => {
    if (names.has(v.name)) problems.push(`variant "${v.name}": duplicate variant name`);
    names.add(v.name);
    const p = perVariant[i];
    if (p !== undefined && !p.ok) problems.push(...p.problems.map((x) => `variant "${v.name}": ${x}`));
  });
  if (problems.length > 0) throw new LabError('invalid-scenario', problems.join('\n'), problems);
}

/** Every variant of the request, validated on this thread; throws a LabError naming each bad variant and field. */
export function expandExperiment(request: ExperimentRequest): { variants: ExperimentVariantSpec[]; prepared: PreparedRun[] } {
  const { variants, requests } = experimentRequests(request);
  const base = prepareRun(requests[0]!);
  if (!base.ok) throw preparedError(base, (p) => `base: ${p}`);
  const prepared = requests.slice(1).map((r) => prepareRun(r));
  checkExperiment(variants, [base, ...prepared]);
  return { variants, prepared };
}

function preparedError(p: Extract<CheckedRun, { ok: false }>, label: (problem: string) => string): LabError {
  const problems = p.problems.map(label);
  return new LabError(p.notFound === true ? 'not-found' : 'invalid-scenario', problems.join('\n'), problems);
}
