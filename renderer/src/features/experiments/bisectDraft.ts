// The bisect part of the experiment form: the version field, the versions (comma-separated, oldest
// first) and the outcome written as `metric` or `metric OP number`, read into the lab's BisectSpec.
// Only the shape is checked here; the lab checks the field, the release order and the metric and
// answers with `bisect.<field>: message` problems.
// Must not: decide which versions or metrics are valid (the lab does).

import type { BisectSpec, OutcomeOp } from '../../../../core/contract/experiments';

export const VERSION_FIELDS = ['host.qemu.version', 'host.kernelVersion', 'vms.0.guest.kernelVersion'] as const;

export interface BisectDraft {
  path: string;
  versions: string;
  outcome: string;
  variant: string;
  all: boolean;
}

export function emptyBisectDraft(): BisectDraft {
  return { path: 'host.qemu.version', versions: '', outcome: '', variant: '', all: false };
}

const OUTCOME = /^\s*([^\s<>=!]+)\s*(?:(>=|<=|==|!=|>|<)\s*(\S+))?\s*$/;

/** The spec, or the problem of each field by name (path, versions, outcome). */
export function readBisect(d: BisectDraft): { spec: BisectSpec | null; problems: Map<keyof BisectDraft, string> } {
  const problems = new Map<keyof BisectDraft, string>();
  const versions = d.versions
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (versions.length < 2) problems.set('versions', 'give at least two versions, oldest first, e.g. 7.0, 7.1, 7.2, 8.0');
  const m = OUTCOME.exec(d.outcome);
  if (d.outcome.trim() === '') problems.set('outcome', 'a metric (dma.mapFailures) or a comparison (dma.mapFailures > 0)');
  else if (m === null) problems.set('outcome', 'write METRIC or METRIC OP NUMBER (OP one of > >= < <= == !=)');
  else if (m[2] !== undefined && !Number.isFinite(Number(m[3]))) problems.set('outcome', `"${m[3]}" after ${m[2]} is not a number`);
  if (problems.size > 0 || m === null) return { spec: null, problems };
  const outcome = m[2] === undefined ? { metric: m[1]! } : { metric: m[1]!, op: m[2] as OutcomeOp, value: Number(m[3]) };
  const variant = d.variant.trim();
  return {
    spec: { path: d.path.trim(), versions, outcome, ...(variant === '' ? {} : { variant }), ...(d.all ? { all: true } : {}) },
    problems,
  };
}
