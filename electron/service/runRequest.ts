// Turns a StartRunRequest (a scenario object, a scenario file's text or a preset name, plus
// overrides and a seed) into a validated scenario with the name and preset a run is stored under.
// Used by the service and the CLI, so `pcilab run` and the app accept exactly the same input.
// Must not: store or run anything.

import type { StartRunRequest } from '../../core/contract/labApi';
import { findPreset, PRESETS } from '../../core/scenario/presets';
import { loadScenario } from '../../core/scenario/loadScenario';
import type { Scenario } from '../../core/scenario/schema';

export type PreparedRun =
  | { readonly ok: true; readonly scenario: Scenario; readonly preset: string | null }
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
    const loaded = loadScenario({ value: preset.scenario }, overrides, request.seed);
    return loaded.ok ? { ok: true, scenario: loaded.scenario, preset: preset.id } : loaded;
  }
  const loaded =
    request.scenarioText !== undefined
      ? loadScenario({ text: request.scenarioText }, overrides, request.seed)
      : loadScenario({ value: request.scenario }, overrides, request.seed);
  return loaded.ok ? { ok: true, scenario: loaded.scenario, preset: null } : loaded;
}
