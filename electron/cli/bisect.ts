// `pcilab bisect`: the same scenario or preset across ordered releases of one version field,
// naming the first release whose outcome changes (core/run/bisect.ts picks the versions, halving
// unless --all). Each version is an ordinary stored run, executed here one after the other like
// `pcilab run`; the bisect is stored as a bisect experiment, so the app shows it with its steps.
// Must not: print anything on stdout but the result (progress goes to stderr).

import { parseArgs } from 'node:util';
import type { BisectSpec } from '../../core/contract/experiments';
import type { StartRunRequest } from '../../core/contract/labApi';
import { bisectNext, bisectSummary, type BisectResult } from '../../core/run/bisect';
import {
  bisectRequest,
  checkBisectSpec,
  formatOutcome,
  outcomeOf,
  parseOutcome,
  pinnedBaseProblem,
  restrictToVariant,
} from '../../core/run/bisectSpec';
import { prepareRun } from '../../core/run/runRequest';
import { metricInfo } from '../../core/run/metricCatalog';
import type { LabDatabase } from '../../db/database';
import { ExperimentStore } from '../../db/experimentStore';
import { RunStore } from '../../db/runStore';
import { executeRun } from '../service/runExecution';
import type { ValidRun } from '../service/runLauncher';
import { storeRun } from '../service/runLauncher';

export const BISECT_USAGE = `  bisect <file | preset> --path FIELD --versions V1,V2,... --outcome METRIC[OP NUMBER]
         [--variant NAME] [--all] [--set a.b.c=value ...] [--seed N] [--name TEXT] [--db PATH] [--json]
                                   run the scenario at each version of FIELD (host.qemu.version,
                                   host.kernelVersion, vms.N.guest.kernelVersion; versions oldest
                                   first) and name the first whose outcome (a metric, or 1 / 0
                                   whether METRIC OP NUMBER holds, OP one of > >= < <= == !=)
                                   differs from the oldest's; halves the range unless --all.
                                   --variant picks one variant of a preset. Each version is a
                                   stored run; the bisect is stored as an experiment`;

export interface BisectCliContext {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Print each step on stderr (a terminal, without --json). */
  readonly progress: (asJson: boolean) => boolean;
  readonly request: (target: string, overrides: string[], seed: number | undefined) => StartRunRequest;
  readonly parseSeed: (raw: string | undefined) => number | undefined;
  readonly withDatabase: <T>(db: string | undefined, use: (db: LabDatabase) => T) => T;
}

/** Bad input: its `path: message` lines go to stderr, exit 2. */
export class BisectInputError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** A run that did not complete stopped the bisect: exit 1. */
export class BisectStopped extends Error {}

export interface BisectStepJson {
  readonly version: string;
  readonly runId: number;
  readonly outcome: number;
}

export interface BisectJson {
  readonly experiment: number;
  readonly path: string;
  readonly outcome: string;
  /** The outcome's unit: the metric's, or "1 = holds" for a comparison. */
  readonly unit: string;
  readonly firstChange: string | null;
  readonly before: number | null;
  readonly after: number | null;
  readonly steps: readonly BisectStepJson[];
}

/** A spec problem as the option that caused it: `bisect.versions.2: ...` -> `--versions 3rd ...`. */
function asOption(problem: string): string {
  return problem
    .replace(/^bisect\.versions\.(\d+):/, (_m, i: string) => `--versions (item ${Number(i) + 1}):`)
    .replace(/^bisect\.outcome\.\w+:/, '--outcome:')
    .replace(/^bisect\.(path|versions|variant):/, '--$1:');
}

function specOf(values: { path?: string; versions?: string; outcome?: string; variant?: string; all?: boolean }): BisectSpec {
  const problems: string[] = [];
  if (values.path === undefined) problems.push('--path: required (host.qemu.version, host.kernelVersion or vms.N.guest.kernelVersion)');
  if (values.versions === undefined) problems.push('--versions: required, e.g. 7.0,7.1,7.2,8.0 (oldest first)');
  if (values.outcome === undefined) problems.push('--outcome: required, a metric (dma.mapFailures) or a comparison (dma.mapFailures>0)');
  const parsed = values.outcome === undefined ? null : parseOutcome(values.outcome);
  if (parsed !== null && !parsed.ok) problems.push(`--outcome: ${parsed.problem}`);
  const outcome = parsed?.ok === true ? parsed.outcome : null;
  const spec: BisectSpec = {
    path: values.path ?? 'host.qemu.version',
    versions: (values.versions ?? '0.0,0.1').split(',').map((v) => v.trim()),
    // Without a usable outcome the other options are still checked (with a metric that exists).
    outcome: outcome ?? { metric: 'io.completed' },
    ...(values.variant === undefined ? {} : { variant: values.variant }),
    ...(values.all === true ? { all: true } : {}),
  };
  const checked = checkBisectSpec(spec)
    .map(asOption)
    .filter((p) => !problems.some((q) => q.slice(0, q.indexOf(':')) === p.slice(0, p.indexOf(':'))));
  problems.push(...checked);
  if (problems.length > 0) throw new BisectInputError(problems);
  return spec;
}

/** Runs the bisect; `asJson` tells how the caller prints the result (--json). */
export function commandBisect(args: string[], ctx: BisectCliContext): { json: BisectJson; asJson: boolean } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      seed: { type: 'string' },
      set: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      path: { type: 'string' },
      versions: { type: 'string' },
      outcome: { type: 'string' },
      variant: { type: 'string' },
      all: { type: 'boolean' },
      name: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new BisectInputError(['bisect takes exactly one scenario file or preset name']);
  const spec = specOf(values);
  const base = ctx.request(positionals[0]!, values.set ?? [], ctx.parseSeed(values.seed));
  const pinned = pinnedBaseProblem(base, spec);
  if (pinned !== null) throw new BisectInputError([asOption(pinned)]);
  // Every version is checked before anything is stored.
  const prepared = spec.versions.map((v) => restrictToVariant(prepareRun(bisectRequest(base, spec, v)), spec));
  const problems = prepared.flatMap((p, i) =>
    p.ok ? [] : p.problems.map((x) => (x.startsWith('bisect.') ? asOption(x) : `version "${spec.versions[i]}": ${x}`)),
  );
  if (problems.length > 0) throw new BisectInputError([...new Set(problems)]);
  const valid = prepared as ValidRun[];
  const name = values.name ?? `bisect ${positionals[0]} ${spec.path}`;

  const json = ctx.withDatabase(values.db, (db) => {
    const runs = new RunStore(db);
    const experiments = new ExperimentStore(db);
    const variants = spec.versions.map((v) => ({ name: v, set: [`${spec.path}=${v}`] }));
    const experimentId = experiments.create({ name, base, variants, kind: 'bisect', bisect: spec }, Date.now());
    const executionId = experiments.startBisectExecution(experimentId, Date.now());
    const seen = new Map<number, number>();
    const runIds = new Map<number, number>();
    for (let i = bisectNext(spec.versions.length, seen, spec.all); i !== null; i = bisectNext(spec.versions.length, seen, spec.all)) {
      const version = spec.versions[i]!;
      const { runId } = storeRun(runs, valid[i]!, Date.now(), `${name} / ${spec.path}=${version}`);
      experiments.addStep(executionId, i, runId);
      runIds.set(i, runId);
      if (ctx.progress(values.json === true)) ctx.err(`bisect: ${spec.path}=${version}: run ${runId}`);
      const result = executeRun(db, runId, valid[i]!.plan, {
        nowMs: () => Date.now(),
        isCancelled: () => false,
        onProgress: () => undefined,
      });
      if (result.status !== 'completed') {
        const why = `${version}: run ${runId} ${result.status}${result.status === 'failed' ? `: ${result.error}` : ''}`;
        experiments.finishExecution(executionId, 'stopped', why);
        throw new BisectStopped(why);
      }
      const outcome = outcomeOf(result.result.metrics, spec);
      if (!outcome.ok) {
        const why = `${version}: run ${runId}: ${outcome.problem}`;
        experiments.finishExecution(executionId, 'stopped', why);
        throw new BisectStopped(why);
      }
      experiments.setStepOutcome(executionId, i, outcome.value);
      seen.set(i, outcome.value);
    }
    experiments.finishExecution(executionId, 'done', null);
    return bisectJson(experimentId, spec, bisectSummary(spec.versions, seen), runIds);
  });
  return { json, asJson: values.json === true };
}

function bisectJson(experiment: number, spec: BisectSpec, r: BisectResult, runIds: ReadonlyMap<number, number>): BisectJson {
  return {
    experiment,
    path: spec.path,
    outcome: formatOutcome(spec.outcome),
    unit: spec.outcome.op === undefined ? (metricInfo(spec.outcome.metric)?.unit ?? 'value') : '1 = holds, 0 = does not',
    firstChange: r.firstChange,
    before: r.before,
    after: r.after,
    steps: r.steps.map((s) => ({ version: s.version, runId: runIds.get(spec.versions.indexOf(s.version))!, outcome: s.outcome })),
  };
}

/** `first change: 7.2 (0 -> 1)` and the steps table. */
export function formatBisectText(j: BisectJson): string {
  const unit = j.unit.startsWith('1 =') ? '' : ` ${j.unit}`;
  const head =
    j.firstChange === null
      ? `no change: ${j.path} from ${j.steps[0]?.version} to ${j.steps.at(-1)?.version} gives ${j.steps[0]?.outcome}${unit} (${j.outcome})`
      : `first change: ${j.firstChange} (${j.before} -> ${j.after}${unit})`;
  const rows = [['version', 'run', `${j.outcome} (${j.unit})`], ...j.steps.map((s) => [s.version, String(s.runId), String(s.outcome)])];
  const widths = [0, 1].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const table = rows.map((r) => `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padStart(widths[1]!)}  ${r[2]}`);
  return [head, `${j.path}, experiment ${j.experiment}:`, ...table].join('\n');
}
