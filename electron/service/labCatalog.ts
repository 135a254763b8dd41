// The reference data the lab serves (LabApi.getCatalog) and the preset views (listPresets,
// getPreset), assembled from the simulator's own tables: cost defaults, parameter defaults, the
// metric catalog, the op registry with its argument schemas, the platform table, the query views
// and examples (core/contract/query.ts); and what a scenario's versions imply (getImpliedSwitches).
// Must not: hold data of its own; every entry comes from core.

import { RUN_BUNDLE_UPLOAD_MAX_BYTES, TRACE_TEXT_MAX_BYTES } from '../../core/contract/imports';
import type { LabCatalog, PlatformInfo, PresetDetail, PresetSummary, VersionImplication } from '../../core/contract/catalog';
import { impliedSwitches } from '../../core/scenario/versions';
import { COST_DEFAULTS, COST_KEYS } from '../../core/sim/costTable';
import { PARAMETER_DEFAULTS } from '../../core/scenario/parameterDefaults';
import { METRIC_CATALOG } from '../../core/run/metricCatalog';
import { opCatalog } from '../../core/ops/opCatalog';
import { ARCH_DEFAULTS, ARCHES, HYPERVISORS_BY_ARCH } from '../../core/scenario/platforms';
import { presetClaims, type Preset } from '../../core/scenario/presets';
import { QUERY_CATALOG } from '../../core/contract/query';

export function platformCatalog(): PlatformInfo[] {
  return ARCHES.map((arch) => ({ arch, hypervisors: HYPERVISORS_BY_ARCH[arch], defaults: ARCH_DEFAULTS[arch] }));
}

export function labCatalog(version: string): LabCatalog {
  return {
    version,
    importLimits: { runBundleBytes: RUN_BUNDLE_UPLOAD_MAX_BYTES, traceTextBytes: TRACE_TEXT_MAX_BYTES },
    costs: COST_KEYS.map((key) => ({
      key,
      defaultNs: COST_DEFAULTS[key].valueNs,
      label: COST_DEFAULTS[key].label,
      source: COST_DEFAULTS[key].source,
    })),
    parameters: Object.entries(PARAMETER_DEFAULTS).map(([path, d]) => ({
      path,
      defaultValue: d.value,
      unit: d.unit,
      mirrors: d.mirrors,
      source: d.source,
    })),
    metrics: METRIC_CATALOG,
    ops: opCatalog(),
    platforms: platformCatalog(),
    query: QUERY_CATALOG,
  };
}

export function presetSummary(p: Preset): PresetSummary {
  return {
    id: p.id,
    title: p.title,
    summary: p.summary,
    thread: p.thread,
    claims: presetClaims(p).map((c) => ({ id: c.id, text: c.text })),
    variants: (p.variants ?? []).map((v) => ({ name: v.name, description: v.description, set: [...v.set] })),
  };
}

export function presetDetail(p: Preset): PresetDetail {
  return { ...presetSummary(p), scenario: p.scenario };
}

function valueAt(root: unknown, path: string): unknown {
  let node = root;
  for (const k of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[k];
  }
  return node;
}

/**
 * The switches a raw scenario's versions imply (core/scenario/versions.ts impliedSwitches), each
 * with what the scenario sets it to. Overridden means set by the scenario to another value: a
 * stored run's scenario lists the switches its versions filled (impliedByVersions), and runs stored
 * before that list existed have every implied switch filled in; one the versions gave is not an
 * override.
 */
export function versionImplications(raw: unknown): VersionImplication[] {
  return impliedSwitches(raw).map((i) => {
    const scenarioValue = valueAt(raw, i.path);
    const overridden = i.overridden && JSON.stringify(scenarioValue) !== JSON.stringify(i.value);
    return { path: i.path, value: i.value, because: i.because, overridden, ...(scenarioValue === undefined ? {} : { scenarioValue }) };
  });
}
