// What a client asks to run: a scenario (object or file text) or a preset, with `--set` overrides
// and a seed. Its own file so experiments.ts and labApi.ts can both use it without an import cycle.
// Must not: import anything; plain data shapes only.

export interface StartRunRequest {
  /** A scenario object (already parsed from JSON or YAML) or a scenario file's text. */
  readonly scenario?: unknown;
  readonly scenarioText?: string;
  /** Or the name of a shipped preset. */
  readonly preset?: string;
  /** `a.b.c=value` overrides applied before validation, as `pcilab run --set`. */
  readonly overrides?: readonly string[];
  readonly seed?: number;
}
