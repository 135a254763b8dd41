// The shape of a shipped preset: a scenario, optionally compared across variants, with the claims
// from its reference thread that the run checks.
// Must not: hold presets (presets*.ts do).

import type { z } from 'zod';
import type { ClaimSpecSchema } from './claimSpec';
import type { ScenarioInput } from './schema';
import type { VariantSpec } from './variantSpec';

export interface Preset {
  readonly id: string;
  readonly title: string;
  readonly summary: string;
  readonly thread: string;
  readonly scenario: ScenarioInput;
  /** Configurations compared in one run; claims then name metrics "<variant>:<metric>". */
  readonly variants?: readonly VariantSpec[];
  /** Claims over the variants' metrics (claims about the base alone can live in scenario.claims). */
  readonly claims?: readonly z.input<typeof ClaimSpecSchema>[];
}
