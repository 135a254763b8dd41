// From what a user wrote to a validated scenario: parse JSON or YAML text, apply `--set a.b=value`
// overrides, validate with the schema and the platform table, and list every problem as
// `path: message`. Checks that need the simulator's registries (built ops, fault handlers, vIOMMU
// front-ends, EEH placement) are passed in by the caller (core/run/scenarioChecks.ts), so this
// file stays below the simulator.
// Must not: touch the file system (hosts read files and pass the text), or import the simulator.

import { type Scenario, ScenarioSchema } from './schema';
import { ARCH_DEFAULTS, HYPERVISORS_BY_ARCH } from './platforms';
import {
  compareVersions,
  impliedFieldProblems,
  MACHINE_FAMILY,
  machineVersion,
  markExplicit,
  parseVersion,
  withVersionDefaults,
} from './versions';
import { formatIssues } from './problemPath';
import { capProblems, nestingProblem } from './inputLimits';
import { parseYamlText } from './yamlText';

export { formatIssues, pathText } from './problemPath';

/** Further checks of a schema-valid scenario, one `path: message` line per problem. */
export type ScenarioCheck = (scenario: Scenario) => string[];

export type LoadResult = { readonly ok: true; readonly scenario: Scenario } | { readonly ok: false; readonly problems: string[] };

/** Parses scenario text: JSON when it looks like JSON, YAML otherwise (YAML is a superset). */
export function parseScenarioText(text: string, origin = 'scenario'): { ok: true; value: unknown } | { ok: false; problems: string[] } {
  const trimmed = text.trimStart();
  try {
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) return { ok: true, value: JSON.parse(text) as unknown };
    return { ok: true, value: parseYamlText(text) };
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { ok: false, problems: [`(${origin}): not valid JSON or YAML: ${message}`] };
  }
}

/** Parses the value part of `--set path=value`: JSON when it parses as JSON, else the raw string. */
function parseOverrideValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

const INDEX = /^(0|[1-9][0-9]*)$/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/** Applies overrides to a deep copy of `input`; returns the copy or the problems found. */
export function applyOverrides(
  input: unknown,
  overrides: readonly string[],
): { ok: true; value: unknown } | { ok: false; problems: string[] } {
  // A JSON round trip is a deep copy of what a scenario file can hold (core has no structuredClone);
  // it recurses, so the depth is checked first.
  const tooDeep = nestingProblem(input);
  if (tooDeep !== null) return { ok: false, problems: [tooDeep] };
  const root: unknown = JSON.parse(JSON.stringify(input ?? {})) as unknown;
  const problems: string[] = [];
  for (const entry of overrides) {
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      problems.push(`--set ${setText(entry)}: expected path=value, e.g. host.vfio.dmaEntryLimit=1024`);
      continue;
    }
    // Segments split on dots; "\." is a literal dot (kernel parameters: guest.kernelParams.iommu\.strict=1).
    const path = entry
      .slice(0, eq)
      .split(/(?<!\\)\./)
      .map((p) => p.replace(/\\\./g, '.'));

    const raw = entry.slice(eq + 1);
    // A version is text: "6.10" read as a number would be 6.1 (host.qemu.version=7.1 stays "7.1").
    const value = /[vV]ersion$/.test(path.at(-1) ?? '') && /^[0-9]+(\.[0-9]+){1,2}$/.test(raw) ? raw : parseOverrideValue(raw);
    const problem = setPath(root, path, value);
    if (problem !== null) problems.push(`--set ${setText(entry.slice(0, eq))}: ${problem}`);
    // Setting a switch the versions filled in makes it explicit (versions.ts IMPLIED_FIELD).
    else markExplicit(root, path.join('.'));
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: root };
}

/** An override's path as written, JSON-quoted when it could break the path: message form. */
function setText(path: string): string {
  return /[\s:"]/.test(path) || path === '' ? JSON.stringify(path) : path;
}

function setPath(root: unknown, path: string[], value: unknown): string | null {
  if (path.some((p) => p === '' || FORBIDDEN_KEYS.has(p))) return 'empty or forbidden path segment';
  if (typeof root !== 'object' || root === null || Array.isArray(root)) return 'the scenario is not an object';
  let node = root as Record<string, unknown> | unknown[];
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    const last = i === path.length - 1;
    if (Array.isArray(node)) {
      if (!INDEX.test(key)) return `"${path.slice(0, i).join('.')}" is a list; "${key}" is not an index`;
      const idx = Number(key);
      if (idx > node.length) return `index ${idx} is past the end of "${path.slice(0, i).join('.')}" (length ${node.length})`;
      if (last) {
        node[idx] = value;
        return null;
      }
      node[idx] ??= INDEX.test(path[i + 1]!) ? [] : {};
      const next: unknown = node[idx];
      if (typeof next !== 'object' || next === null) return `"${path.slice(0, i + 1).join('.')}" is not an object or list`;
      node = next as Record<string, unknown> | unknown[];
    } else {
      if (last) {
        node[key] = value;
        return null;
      }
      node[key] ??= INDEX.test(path[i + 1]!) ? [] : {};
      const next: unknown = node[key];
      if (typeof next !== 'object' || next === null) return `"${path.slice(0, i + 1).join('.')}" is not an object or list`;
      node = next as Record<string, unknown> | unknown[];
    }
  }
  return null;
}

type JsonObject = Record<string, unknown>;

function isObject(x: unknown): x is JsonObject {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Defaults that depend on the architecture (platforms.ts: ARCH_DEFAULTS), filled in before the
 * schema's own; only ppc64le differs from the schema today. Fields the user set are left alone.
 * The input is not modified.
 */
function withArchDefaults(input: unknown): unknown {
  if (!isObject(input) || !isObject(input['host']) || input['host']['arch'] !== 'ppc64le') return input;
  const defaults = ARCH_DEFAULTS.ppc64le;
  const host = input['host'];
  const vfio = isObject(host['vfio']) ? host['vfio'] : {};
  const out: JsonObject = { ...input, host: { ...host, vfio: { backend: defaults.backend.value, ...vfio } } };
  if (Array.isArray(input['vms'])) {
    out['vms'] = input['vms'].map((vm: unknown) => {
      if (!isObject(vm)) return vm;
      const viommu = isObject(vm['viommu']) ? vm['viommu'] : {};
      return { ...vm, viommu: { model: defaults.viommu.value, ...viommu } };
    });
  } else if (input['vms'] === undefined) {
    out['vms'] = [{ viommu: { model: defaults.viommu.value } }];
  }
  return out;
}

export function validateScenario(input: unknown, check?: ScenarioCheck): LoadResult {
  const tooDeep = nestingProblem(input);
  if (tooDeep !== null) return { ok: false, problems: [tooDeep] };
  const impliedProblems = impliedFieldProblems(input);
  if (impliedProblems.length > 0) return { ok: false, problems: capProblems(impliedProblems) };
  // Versions imply switches (versions.ts); what the scenario sets itself is kept.
  const parsed = ScenarioSchema.safeParse(withVersionDefaults(withArchDefaults(input)));
  if (!parsed.success) return { ok: false, problems: capProblems(formatIssues(parsed.error.issues)) };
  const problems = [...platformProblems(parsed.data), ...(check?.(parsed.data) ?? [])];
  return problems.length === 0 ? { ok: true, scenario: parsed.data } : { ok: false, problems: capProblems(problems) };
}

/** The whole path: optional text, overrides, an optional seed override, validation. */
export function loadScenario(
  source: { value?: unknown; text?: string; origin?: string },
  overrides: readonly string[] = [],
  seed?: number,
  check?: ScenarioCheck,
): LoadResult {
  let value: unknown = source.value;
  if (source.text !== undefined) {
    const parsed = parseScenarioText(source.text, source.origin);
    if (!parsed.ok) return parsed;
    value = parsed.value;
  }
  const all = seed === undefined ? overrides : [...overrides, `seed=${seed}`];
  const overridden = applyOverrides(value, all);
  if (!overridden.ok) return { ok: false, problems: capProblems(overridden.problems) };
  return validateScenario(overridden.value, check);
}

/** Machine types and versions that do not go together. */
function versionProblems(scenario: Scenario): string[] {
  const problems: string[] = [];
  const { arch, qemu } = scenario.host;
  const qemuVersion = parseVersion(qemu.version)!;
  if (qemu.machine !== undefined) {
    const family = MACHINE_FAMILY[arch];
    if (!qemu.machine.startsWith(`${family}-`))
      problems.push(`host.qemu.machine: "${qemu.machine}" is not a machine type of ${arch} (${family}-X.Y)`);
    const mv = machineVersion(qemu.machine);
    if (mv !== null && compareVersions(mv, qemuVersion) > 0)
      problems.push(`host.qemu.machine: QEMU ${qemu.version} has no machine type "${qemu.machine}" (newer than the release)`);
  }
  if (scenario.host.vfio.backend === 'iommufd' && compareVersions(parseVersion(scenario.host.kernelVersion)!, parseVersion('6.2')!) < 0)
    problems.push(`host.vfio.backend: iommufd needs host Linux 6.2 or newer; host.kernelVersion is ${scenario.host.kernelVersion}`);
  return problems;
}

/** Combinations that cannot exist: z/VM on x86, a SPAPR backend off ppc64le, a pseries guest without sPAPR TCE. */
function platformProblems(scenario: Scenario): string[] {
  const problems: string[] = [];
  const { arch, hypervisor } = scenario.host;
  if (!HYPERVISORS_BY_ARCH[arch].includes(hypervisor)) {
    problems.push(`host.hypervisor: "${hypervisor}" does not run on ${arch} (${arch}: ${HYPERVISORS_BY_ARCH[arch].join(', ')})`);
  }
  const spaprBackend = scenario.host.vfio.backend.startsWith('spapr');
  if (arch === 'ppc64le' && !spaprBackend) {
    problems.push(
      `host.vfio.backend: a pseries guest's DMA windows need the SPAPR TCE backend (spapr-tce-v2 or spapr-tce-v1), not ${scenario.host.vfio.backend}`,
    );
  }
  if (arch !== 'ppc64le' && spaprBackend) problems.push(`host.vfio.backend: ${scenario.host.vfio.backend} exists only on ppc64le hosts`);
  problems.push(...versionProblems(scenario));
  scenario.vms.forEach((vm, i) => {
    const spaprModel = vm.viommu.model === 'spapr-tce';
    if (arch === 'ppc64le' && !spaprModel) {
      problems.push(
        `vms.${i}.viommu.model: a pseries guest always translates DMA through sPAPR TCE windows: use "spapr-tce", not "${vm.viommu.model}"`,
      );
    }
    if (arch !== 'ppc64le' && spaprModel) problems.push(`vms.${i}.viommu.model: "spapr-tce" is the pseries (ppc64le) IOMMU`);
    // A bare-metal host has no hypervisor to emulate an IOMMU: its DMA API runs on the machine, either
    // untranslated (dma-direct, "none") or through the physical VT-d ("intel-iommu").
    if (hypervisor === 'bare-metal' && vm.viommu.model !== 'none' && vm.viommu.model !== 'intel-iommu') {
      problems.push(
        `vms.${i}.viommu.model: a bare-metal host has no vIOMMU (no QEMU emulates one): use "none" (dma-direct) or "intel-iommu" (the physical VT-d), not "${vm.viommu.model}"`,
      );
    }
  });
  return problems;
}
