// What a version bisect asks, checked and applied: the version field it sweeps (the QEMU release,
// the host kernel or a guest's kernel), the releases in order, the outcome read from each run (a
// metric of the catalog, optionally compared: `dma.mapFailures > 0`), and the preset variant to run.
// The service and `pcilab bisect` share these, so both accept and refuse the same input with the
// same `path: message` lines; bisect.ts picks the versions to run.
// Must not: run or store anything.

import type { StartRunRequest } from '../contract/labApi';
import type { BisectOutcome, BisectSpec, OutcomeOp } from '../contract/experiments';
import { compareVersions, impliedSwitches, parseVersion, type Version } from '../scenario/versions';
import { applyOverrides, parseScenarioText } from '../scenario/loadScenario';
import { metricInfo } from './metricCatalog';
import type { PreparedRun } from './runRequest';

/** The version fields of a scenario a bisect can sweep. */
const VERSION_PATH = /^(?:host\.qemu\.version|host\.kernelVersion|vms\.(?:0|[1-9][0-9]{0,2})\.guest\.kernelVersion)$/;
export const VERSION_PATHS_TEXT = 'host.qemu.version, host.kernelVersion or vms.N.guest.kernelVersion';

export const MAX_BISECT_VERSIONS = 64;

function range(major: number, lastMinor: number): string[] {
  return Array.from({ length: lastMinor + 1 }, (_, m) => `${major}.${m}`);
}

/**
 * The feature releases (major.minor) of QEMU and Linux, in order. A version newer than the newest
 * listed is accepted (a later release); one inside the listed span that is not a release (QEMU 7.3,
 * Linux 5.25) is refused. Patch releases (7.2.1) of a listed release are accepted.
 */
export const QEMU_RELEASES: readonly string[] = [
  ...range(2, 12),
  ...range(3, 1),
  ...range(4, 2),
  ...range(5, 2),
  ...range(6, 2),
  ...range(7, 2),
  ...range(8, 2),
  ...range(9, 2),
  ...range(10, 1),
];
export const LINUX_RELEASES: readonly string[] = [...range(3, 19), ...range(4, 20), ...range(5, 19), ...range(6, 18)];

/** "QEMU" or "Linux": whose releases a version path names. */
export function releaseFamily(path: string): 'QEMU' | 'Linux' {
  return path === 'host.qemu.version' ? 'QEMU' : 'Linux';
}

function releaseProblem(family: 'QEMU' | 'Linux', v: Version): string | null {
  const list = family === 'QEMU' ? QEMU_RELEASES : LINUX_RELEASES;
  const feature = `${v[0]}.${v[1]}`;
  if (list.includes(feature)) return null;
  const newest = parseVersion(list.at(-1)!)!;
  const oldest = parseVersion(list[0]!)!;
  if (compareVersions([v[0], v[1], 0], newest) > 0) return null;
  if (compareVersions([v[0], v[1], 0], oldest) < 0)
    return `${family} ${feature} is older than the oldest release the lab knows (${list[0]})`;
  const sameMajor = list.filter((r) => r.startsWith(`${v[0]}.`));
  return `${family} has no release ${feature}${sameMajor.length > 0 ? ` (${v[0]}.x runs ${sameMajor[0]} to ${sameMajor.at(-1)})` : ''}`;
}

const OPS: readonly OutcomeOp[] = ['>=', '<=', '==', '!=', '>', '<'];
const OUTCOME = /^\s*([^\s<>=!]+)\s*(?:(>=|<=|==|!=|>|<)\s*(\S+))?\s*$/;

/** Parses `metric` or `metric OP number` (`s390.shadow.retryPasses>0`); an error message names the part. */
export function parseOutcome(text: string): { ok: true; outcome: BisectOutcome } | { ok: false; problem: string } {
  const m = OUTCOME.exec(text);
  if (m === null) return { ok: false, problem: `expected METRIC or METRIC OP NUMBER (OP one of ${OPS.join(' ')}), got "${text}"` };
  if (m[2] === undefined) return { ok: true, outcome: { metric: m[1]! } };
  const value = Number(m[3]);
  if (m[3]!.trim() === '' || !Number.isFinite(value)) return { ok: false, problem: `"${m[3]}" after ${m[2]} is not a number` };
  return { ok: true, outcome: { metric: m[1]!, op: m[2] as OutcomeOp, value } };
}

/** `metric`, or `metric > 0`. */
export function formatOutcome(o: BisectOutcome): string {
  return o.op === undefined ? o.metric : `${o.metric} ${o.op} ${o.value ?? 0}`;
}

/** The problems of a bisect spec, one `bisect.<field>: message` each (empty when valid). */
export function checkBisectSpec(spec: BisectSpec): string[] {
  const problems: string[] = [];
  if (!VERSION_PATH.test(spec.path)) {
    problems.push(`bisect.path: "${spec.path}" is not a version field; use ${VERSION_PATHS_TEXT}`);
  }
  const family = releaseFamily(spec.path);
  if (spec.versions.length < 2) problems.push('bisect.versions: give at least two versions, oldest first');
  if (spec.versions.length > MAX_BISECT_VERSIONS) problems.push(`bisect.versions: at most ${MAX_BISECT_VERSIONS} versions`);
  let previous: { text: string; v: Version } | null = null;
  spec.versions.forEach((text, i) => {
    const v = parseVersion(text);
    if (v === null) {
      problems.push(`bisect.versions.${i}: "${text}" is not a version (write it like "7.2" or "6.1.5")`);
      return;
    }
    const release = releaseProblem(family, v);
    if (release !== null) problems.push(`bisect.versions.${i}: ${release}`);
    if (previous !== null) {
      const order = compareVersions(previous.v, v);
      if (order === 0) problems.push(`bisect.versions.${i}: "${text}" is listed twice (as "${previous.text}" before)`);
      else if (order > 0)
        problems.push(
          `bisect.versions.${i}: "${text}" comes before "${previous.text}" in ${family}'s releases; list versions oldest first`,
        );
    }
    previous = { text, v };
  });
  const metric = spec.outcome.metric;
  if (metric.includes(':')) {
    problems.push(`bisect.outcome.metric: "${metric}" has a variant prefix; name the metric alone and the variant in bisect.variant`);
  } else if (metricInfo(metric) === undefined) {
    problems.push(`bisect.outcome.metric: "${metric}" is not a metric of the catalog (docs/model.md#outputs lists them)`);
  }
  if (spec.outcome.op !== undefined && (spec.outcome.value === undefined || !Number.isFinite(spec.outcome.value))) {
    problems.push(`bisect.outcome.value: a comparison ${spec.outcome.op} needs a number`);
  }
  if (spec.outcome.op === undefined && spec.outcome.value !== undefined) problems.push('bisect.outcome.op: a value needs a comparison');
  return problems;
}

/** The run request of one version: the base with the version set last (it wins over the base's overrides). */
export function bisectRequest(base: StartRunRequest, spec: BisectSpec, version: string): StartRunRequest {
  return { ...base, overrides: [...(base.overrides ?? []), `${spec.path}=${version}`] };
}

/**
 * The prepared run restricted to the spec's variant (only it runs, with its claims); a problem
 * when the variant is unknown, or when the plan has variants and the spec names none.
 */
export function restrictToVariant(prepared: PreparedRun, spec: BisectSpec): PreparedRun {
  if (!prepared.ok) return prepared;
  const { plan } = prepared;
  const problem = variantProblem(
    spec,
    plan.variants.map((v) => v.name),
  );
  if (problem !== null) return { ok: false, problems: [problem] };
  if (spec.variant === undefined) return prepared;
  const variant = plan.variants.find((v) => v.name === spec.variant)!;
  const own = (m: string | undefined): boolean => m === undefined || m.startsWith(`${variant.name}:`);
  const claims = plan.claims.filter(
    (c) =>
      plan.base.claims.includes(c) || ('metric' in c ? own(c.metric) && own(c.per) : c.variant === undefined || c.variant === variant.name),
  );
  return { ...prepared, plan: { ...plan, variants: [variant], claims } };
}

/** The metric's name in the run's metrics (variant-prefixed when a variant runs). */
export function outcomeMetricName(spec: BisectSpec): string {
  return spec.variant === undefined ? spec.outcome.metric : `${spec.variant}:${spec.outcome.metric}`;
}

/** The outcome of one run: the metric's value, or 1 / 0 whether it compares as asked; a message when the run lacks it. */
export function outcomeOf(
  metrics: Readonly<Record<string, number>>,
  spec: BisectSpec,
): { ok: true; value: number } | { ok: false; problem: string } {
  const name = outcomeMetricName(spec);
  const value = metrics[name];
  if (value === undefined) return { ok: false, problem: `the run reports no metric "${name}" (this scenario does not produce it)` };
  const { op, value: ref = 0 } = spec.outcome;
  if (op === undefined) return { ok: true, value };
  const holds =
    op === '>'
      ? value > ref
      : op === '>='
        ? value >= ref
        : op === '<'
          ? value < ref
          : op === '<='
            ? value <= ref
            : op === '=='
              ? value === ref
              : value !== ref;
  return { ok: true, value: holds ? 1 : 0 };
}

/** The problem with the spec's variant given the base's variant names (a preset's; none for a scenario). */
export function variantProblem(spec: BisectSpec, names: readonly string[]): string | null {
  if (spec.variant === undefined) {
    return names.length === 0 ? null : `bisect.variant: the scenario has variants (${names.join(', ')}); name the one to run`;
  }
  if (names.includes(spec.variant)) return null;
  return names.length === 0
    ? 'bisect.variant: the scenario has no variants; leave it out'
    : `bisect.variant: no variant "${spec.variant}" (variants: ${names.join(', ')})`;
}

/**
 * A base scenario object that sets every switch the swept versions change (as a stored run's
 * scenario does: loading filled them in) cannot show a change: explicit switches win over what a
 * version implies. The problem says so, naming the switches; null when a version can change one
 * (or changes none: then the versions only matter to validation).
 */
export function pinnedSwitchesProblem(raw: unknown, overrides: readonly string[], spec: BisectSpec): string | null {
  const first = spec.versions[0];
  const last = spec.versions.at(-1);
  if (first === undefined || last === undefined || first === last) return null;
  const at = (version: string): Map<string, { value: string; overridden: boolean }> | null => {
    const set = applyOverrides(raw, [...overrides, `${spec.path}=${version}`]);
    if (!set.ok) return null;
    return new Map(impliedSwitches(set.value).map((i) => [i.path, { value: JSON.stringify(i.value), overridden: i.overridden }]));
  };
  const a = at(first);
  const b = at(last);
  if (a === null || b === null) return null;
  const changing = [...new Set([...a.keys(), ...b.keys()])].filter((p) => a.get(p)?.value !== b.get(p)?.value);
  if (changing.length === 0) return null;
  if (!changing.every((p) => (a.get(p) ?? b.get(p))!.overridden)) return null;
  return (
    `bisect.path: the base scenario sets every switch ${spec.path} changes between ${first} and ${last} (${changing.join(', ')}), ` +
    `so the versions cannot change the run; leave them out of the base (a stored run's scenario has them filled in)`
  );
}

/** pinnedSwitchesProblem for a run request's base (a scenario object or file text; a preset pins nothing). */
export function pinnedBaseProblem(base: StartRunRequest, spec: BisectSpec): string | null {
  if (base.scenario !== undefined) return pinnedSwitchesProblem(base.scenario, base.overrides ?? [], spec);
  if (base.scenarioText === undefined) return null;
  const parsed = parseScenarioText(base.scenarioText);
  return parsed.ok ? pinnedSwitchesProblem(parsed.value, base.overrides ?? [], spec) : null;
}
