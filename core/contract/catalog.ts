// Reference data the renderer shows beside numbers: units of metrics, defaults with their sources,
// the presets and their claims. Served by the lab so the renderer never imports simulator code.
// Must not: import runtime code.

export interface CostInfo {
  readonly key: string;
  readonly defaultNs: number;
  readonly label: string;
  readonly source: string;
}

export interface ParameterInfo {
  /** Dotted scenario path, e.g. "host.vfio.dmaEntryLimit". */
  readonly path: string;
  readonly defaultValue: unknown;
  readonly unit: string;
  /** The kernel parameter or QEMU option the field mirrors, if any. */
  readonly mirrors: string | null;
  readonly source: string;
}

export interface MetricInfo {
  readonly name: string;
  readonly unit: string;
  readonly description: string;
}

export interface LabCatalog {
  readonly costs: readonly CostInfo[];
  readonly parameters: readonly ParameterInfo[];
  readonly metrics: readonly MetricInfo[];
  readonly version: string;
}

export interface PresetClaimInfo {
  readonly id: string;
  readonly text: string;
}

export interface PresetSummary {
  readonly id: string;
  readonly title: string;
  readonly summary: string;
  /** The reference thread it comes from (file name under reference/ and a short citation). */
  readonly thread: string;
  readonly claims: readonly PresetClaimInfo[];
}

export interface PresetDetail extends PresetSummary {
  readonly scenario: unknown;
}

export interface ValidationResult {
  readonly ok: boolean;
  /** One `path: message` per problem. */
  readonly problems: readonly string[];
  /** The scenario with defaults filled in, when valid. */
  readonly scenario: unknown;
}
