// A named variant of a base scenario: `--set` style overrides (see run/runPlan.ts).
// Must not: hold results.

export interface VariantSpec {
  readonly name: string;
  readonly description: string;
  /** Overrides of the base scenario, as `pcilab run --set` takes them. */
  readonly set: readonly string[];
}
