// An experiment's base as the form offers it (a preset, the configurator's draft, a stored run's
// scenario) and the request it becomes. Reading the draft or the run is the caller's: this file
// only shapes what they read.
// Must not: reach the lab or a store.

import type { StartRunRequest } from '../../../../core/contract/runRequest';

export type BaseChoice = { kind: 'preset'; preset: string } | { kind: 'draft' } | { kind: 'run'; runId: number };

export interface BaseSources {
  /** The configurator's draft, when there is one. */
  readonly draft: Record<string, unknown> | null;
  /** The run's stored scenario (read only for a run choice). */
  readonly runScenario: (runId: number) => Promise<unknown>;
}

/** The base request of the choice; a problem when it cannot be made. */
export async function baseRequest(
  choice: BaseChoice,
  sources: BaseSources,
): Promise<{ ok: true; base: StartRunRequest } | { ok: false; problem: string }> {
  switch (choice.kind) {
    case 'preset':
      return choice.preset === '' ? { ok: false, problem: 'choose a preset' } : { ok: true, base: { preset: choice.preset } };
    case 'draft':
      return sources.draft === null
        ? { ok: false, problem: 'the configurator has no draft: open New run first' }
        : { ok: true, base: { scenario: JSON.parse(JSON.stringify(sources.draft)) as unknown } };
    case 'run':
      if (choice.runId <= 0) return { ok: false, problem: 'choose a run' };
      return { ok: true, base: { scenario: await sources.runScenario(choice.runId) } };
    default: {
      const never: never = choice;
      throw new Error(`unknown base ${String(never)}`);
    }
  }
}

/** A short description of a stored base request, for the experiment's page. */
export function describeBase(base: StartRunRequest): string {
  const parts: string[] = [];
  if (base.preset !== undefined) parts.push(`preset ${base.preset}`);
  else if (base.scenarioText !== undefined) parts.push('a scenario file');
  else {
    const name = (base.scenario as { name?: unknown } | undefined)?.name;
    parts.push(typeof name === 'string' ? `scenario "${name}"` : 'a scenario');
  }
  if ((base.overrides ?? []).length > 0) parts.push(`with ${base.overrides!.join(' ')}`);
  if (base.seed !== undefined) parts.push(`seed ${base.seed}`);
  return parts.join(', ');
}
