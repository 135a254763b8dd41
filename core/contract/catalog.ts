// Reference data the renderer shows beside numbers: units of metrics, defaults with their sources,
// the presets and their claims. Served by the lab so the renderer never imports simulator code.
// Must not: import runtime code.

import type { QueryCatalog } from './query';

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

/** A metric's catalog entry, as the metric lists beside the code that reports them write it. */
export function metric(name: string, unit: string, description: string): MetricInfo {
  return { name, unit, description };
}

/** One op an ops script may call (docs/model.md#ops-scripts). */
export interface OpInfo {
  /** "vfio.map", "hcall.H_PUT_TCE"... */
  readonly name: string;
  /** The layer it works on (vfio, iommufd, spapr, iovaTree, dma, eeh, hcall, rtas). */
  readonly layer: string;
  readonly summary: string;
  /** JSON Schema of its arguments (the input form: numbers or hex strings for addresses). */
  readonly argsSchema: unknown;
}

/** A default that depends on the architecture, and why it is the default. */
export interface ArchDefaultInfo {
  readonly value: string;
  readonly source: string;
}

/** What one architecture accepts: its hypervisors and the defaults that differ per architecture. */
export interface PlatformInfo {
  readonly arch: string;
  readonly hypervisors: readonly string[];
  readonly defaults: { readonly backend: ArchDefaultInfo; readonly viommu: ArchDefaultInfo };
}

/** A behaviour switch a scenario's versions imply (QEMU release, host and guest kernels; docs/model.md#versions). */
export interface VersionImplication {
  /** Scenario path, e.g. "vms.0.viommu.s390.rpcitSecondPass". */
  readonly path: string;
  /** The value the versions give it. */
  readonly value: unknown;
  /** Why, with the source: release, commit title, file:function. */
  readonly because: string;
  /** The scenario sets the switch to another value: the version's does not apply. */
  readonly overridden: boolean;
  /** What the scenario sets it to, when it sets it. */
  readonly scenarioValue?: unknown;
}

export interface LabCatalog {
  readonly costs: readonly CostInfo[];
  readonly parameters: readonly ParameterInfo[];
  readonly metrics: readonly MetricInfo[];
  /** Every op of ops scripts, in registry order (grouped by layer). */
  readonly ops: readonly OpInfo[];
  readonly platforms: readonly PlatformInfo[];
  /** What the query page lists beside its editor: views, functions, examples, limits. */
  readonly query: QueryCatalog;
  readonly version: string;
  /** The largest files the app imports (core/contract/imports.ts), so a client refuses larger ones before uploading. */
  readonly importLimits: { readonly runBundleBytes: number; readonly traceTextBytes: number };
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
  /** The configurations the preset compares in one run; empty when it runs its scenario alone. */
  readonly variants: readonly PresetVariantInfo[];
}

/** A configuration a preset compares in one run: its base scenario with `--set` overrides. */
export interface PresetVariantInfo {
  readonly name: string;
  readonly description: string;
  /** Overrides of the base scenario, as `pcilab run --set` takes them. */
  readonly set: readonly string[];
}

export interface PresetDetail extends PresetSummary {
  /** The base scenario (the variants override it). */
  readonly scenario: unknown;
}

export interface ValidationResult {
  readonly ok: boolean;
  /** One `path: message` per problem. */
  readonly problems: readonly string[];
  /** The scenario with defaults filled in, when valid. */
  readonly scenario: unknown;
}
