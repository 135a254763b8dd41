// `pcilab experiment <subcommand>`: experiments from the command line (docs/cluster.md). EXPERIMENT
// is an experiment of the lab (its id, or its exact name): made in the app's Experiments screen or
// with `pcilab experiment create` (a preset or scenario file, --variant and --grid as the app takes
// them). `submit` sweeps it beyond this process: one Slurm job array (`--slurm`, one task per variant)
// or N local workers (`--local N`) running the same task command (`experiment task`) into the same
// shared directory of bundles; `collect` shows each variant's state and imports what arrived;
// `compare` prints the comparison of its latest runs (pcilab compare's table).
// Must not: touch the lab database from a task (sweepTask.ts); print anything on stdout but output.

import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isParseArgsError, parseArgsProblem } from './cliCommon';
import type { LabDatabase } from '../../db/database';
import { ExperimentStore, type StoredExperiment } from '../../db/experimentStore';
import { RunStore } from '../../db/runStore';
import type { StartRunRequest } from '../../core/contract/runRequest';
import type { ExperimentGridAxis, ExperimentVariantSpec } from '../../core/contract/experiments';
import type { RunDetail } from '../../core/contract/runResult';
import { compareRunDetails } from '../service/runComparison';
import { expandExperiment } from '../service/experimentVariants';
import { LabError } from '../service/labError';
import { ManifestError, MANIFEST_FILE, readManifest } from '../service/sweepManifest';
import {
  collectSweep,
  SweepCollectMemo,
  newManifest,
  retrySweep,
  runLocalTasks,
  submitSlurmSweep,
  systemShell,
  checkFreshDir,
  defaultSweepDir,
  latestSweepDir,
  sweepsRoot,
  type SchedulerShell,
  type SweepStatus,
} from '../service/sweepService';
import { runSweepTask, TaskError, taskIndexOf } from '../service/sweepTask';
import { writeManifest } from '../service/sweepManifest';
import { formatComparisonText } from './cliOutput';

export interface ExperimentIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly dbPath: (db: string | undefined) => string;
  readonly withDatabase: <T>(path: string, mode: 'read' | 'write', use: (db: LabDatabase) => T) => T;
  /** run request of `pcilab run`'s target (a scenario file or a preset); throws on a target that is neither. */
  readonly request: (target: string, overrides: string[], seed: number | undefined) => StartRunRequest;
  readonly parseSeed: (raw: string | undefined) => number | undefined;
  readonly labVersion: string;
  readonly nowMs: () => number;
  /** The scheduler's commands (sbatch, squeue, scontrol); default: run from PATH. */
  readonly shell?: SchedulerShell;
  /** How collect --wait sleeps between looks (tests shorten it). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Bad usage of a subcommand: one line, exit 2. */
export class ExperimentUsageError extends Error {}

const DB = '  --db PATH        the lab database (default: $PCILAB_DB, else the data directory)';

export const EXPERIMENT_SUBCOMMANDS: Readonly<Record<string, { readonly synopsis: string; readonly help: string }>> = {
  create: {
    synopsis:
      'experiment create <file | preset> --name NAME [--variant NAME:a.b=V[;c.d=W]]... [--grid a.b=V1,V2,...]... [--set a.b=V ...] [--seed N] [--json] [--db PATH]',
    help: `Stores an experiment: the base (a scenario file or a preset, with --set overrides and --seed) and
its variants, each the base with more overrides, as the app's Experiments screen makes them. Every
variant is checked before anything is stored; a bad override is named with its variant and field.

  --name NAME      the experiment's name
  --variant N:O    a variant named N with overrides O (a.b=V, several separated by ;); repeat for more
  --grid a.b=V,..  a grid axis: every combination of the axes' values becomes a variant ("a.b=V1,c.d=W2")
  --set a.b=V      override one field of the base; repeat for more
  --seed N         the base's random seed
  --json           print {"experimentId", "variants"}
${DB}`,
  },
  list: {
    synopsis: 'experiment list [--json] [--db PATH]',
    help: `Lists the lab's experiments, newest first: id, name, number of variants and the latest runs' states.

  --json           print the list as JSON
${DB}`,
  },
  submit: {
    synopsis:
      'experiment submit <experiment> (--slurm [--partition P] [--time T] | --local N) [--out DIR] [--json] [--db PATH] [-- sbatch args]',
    help: `Sweeps an experiment (its id or exact name) beyond this process. Writes a manifest (the base,
every variant, the bundle each task writes) into DIR, then starts one task per variant:

  --slurm          one Slurm job array, --array=0-(N-1): each task runs "pcilab experiment task DIR"
                   on its node (this lab's CLI, which must be at the same path there) and writes its
                   run as a bundle into DIR/bundles; logs go to DIR/logs/task-<i>.job-<array id>.log
  --partition P    sbatch --partition
  --time T         sbatch --time (a task's time limit, e.g. 10:00)
  -- ARGS          more sbatch arguments, as given (e.g. -- --account=kvm --mem=4G)
  --local N        N local worker processes run the same task command (a sweep written for the
                   cluster runs on a laptop unchanged); returns when every task has ended
  --out DIR        the sweep's shared directory, seen by every node (default: sweeps/experiment-<id>-<time>
                   beside the lab database); it must not hold a sweep already
  --json           print {"dir", "scheduler", "arrayJobId", "variants"}
${DB}

Then: pcilab experiment collect DIR (imports the bundles, shows each variant's state).

Exit status: 0 submitted (--local: every task ran; collect tells how each went), 2 invalid input,
1 sbatch refused the array or is missing, or a broken database.`,
  },
  collect: {
    synopsis: 'experiment collect <dir | experiment> [--wait] [--interval S] [--retry] [--json] [--db PATH]',
    help: `Shows the state of each variant of a sweep (pending, running, done, failed with its exit code
and log) and imports the bundles that arrived into the lab, recording them as the experiment's
runs (the same runs "compare" and the app show). A bundle already in the lab (the same content
hash) is not imported again: collect can run any number of times, from any process or machine that
sees DIR. States come from the bundles, then squeue --json and scontrol show job (Slurm), or the
local workers' state files (--local). An experiment (id or name) stands for its newest sweep
directory under the default location.

  --wait           look again every --interval seconds until no variant is pending or running
  --interval S     seconds between looks with --wait (default 5)
  --retry          resubmit the failed variants (a new job array of those tasks; --local: run them again)
                   and, with --wait, wait for them
  --json           print {"dir", "experimentId", "counts", "variants": [...]}
${DB}

Exit status: 0 no variant failed (some may still be pending or running without --wait), 1 some
variant failed (each named with its exit code and log) or the scheduler could not be asked, 2
invalid input (not a sweep directory).`,
  },
  compare: {
    synopsis: 'experiment compare <experiment> [--json] [--db PATH]',
    help: `Compares the runs of an experiment's latest execution (the app's Run all, or the runs collect
imported): metrics side by side, * where they differ by more than 1 %, then configuration
differences, as pcilab compare prints them. A variant without a run is named on stderr.

  --json           print the comparison as JSON
${DB}`,
  },
  task: {
    synopsis: 'experiment task <dir> [--index I]',
    help: `Runs one variant of the sweep in DIR and writes its bundle there (what each Slurm array task or
local worker runs; you need not run it yourself). The variant is --index, else $SLURM_ARRAY_TASK_ID,
else $JOB_COMPLETION_INDEX (a Kubernetes indexed job). The run goes to a throwaway database under
$TMPDIR, never to a lab database.

Exit status: 0 the bundle was written, 1 the run failed, 2 invalid input.`,
  },
};

export const EXPERIMENT_HELP = `Experiments from the command line: create, list, sweep one on a Slurm cluster or local workers,
collect the runs, compare them. EXPERIMENT is an experiment's id (pcilab experiment list) or its
exact name. docs/cluster.md describes the sweep directory and the manifest.

${Object.values(EXPERIMENT_SUBCOMMANDS)
  .map((s) => `  pcilab ${s.synopsis}`)
  .join('\n')}

pcilab experiment <subcommand> --help explains one.`;

function parse<T extends ParseArgsConfig>(sub: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    if (!isParseArgsError(err)) throw err;
    throw new ExperimentUsageError(`experiment ${sub}: ${parseArgsProblem(err)} (pcilab experiment ${sub} --help lists the options)`);
  }
}

/** An experiment by id or exact name. */
function findExperiment(store: ExperimentStore, ref: string, dbPath: string): StoredExperiment {
  const id = Number(ref);
  const found = Number.isSafeInteger(id) && id > 0 ? store.get(id) : store.list().find((e) => e.name === ref);
  if (found === undefined) throw new MissingExperiment(`no experiment ${JSON.stringify(ref)} in ${dbPath} (pcilab experiment list)`);
  return found;
}

class MissingExperiment extends Error {}

/** How a grid value on the command line is read: JSON when it parses (numbers, booleans), else the text. */
function gridValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function parseVariant(text: string): ExperimentVariantSpec {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new ExperimentUsageError(`--variant: expected NAME:a.b=V[;c.d=W], got "${text}"`);
  const set = text
    .slice(colon + 1)
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const s of set) if (!s.includes('=')) throw new ExperimentUsageError(`--variant ${text.slice(0, colon)}: "${s}" is not a.b=V`);
  return { name: text.slice(0, colon), set };
}

function parseGrid(text: string): ExperimentGridAxis {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) throw new ExperimentUsageError(`--grid: expected a.b=V1,V2,..., got "${text}"`);
  return {
    path: text.slice(0, eq),
    values: text
      .slice(eq + 1)
      .split(',')
      .map(gridValue),
  };
}

function commandCreate(args: string[], io: ExperimentIo): number {
  const { values, positionals } = parse('create', {
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      name: { type: 'string' },
      variant: { type: 'string', multiple: true },
      grid: { type: 'string', multiple: true },
      set: { type: 'string', multiple: true },
      seed: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new ExperimentUsageError('experiment create: takes exactly one scenario file or preset name');
  const name = (values.name ?? '').trim();
  if (name === '') throw new ExperimentUsageError("--name: required (the experiment's name)");
  const variants = (values.variant ?? []).map(parseVariant);
  const grid = (values.grid ?? []).map(parseGrid);
  if (variants.length === 0 && grid.length === 0)
    throw new ExperimentUsageError('experiment create: give at least one --variant or --grid');
  const base = io.request(positionals[0]!, values.set ?? [], io.parseSeed(values.seed));
  const expanded = expandExperiment({ name, base, variants, grid });
  const dbPath = io.dbPath(values.db);
  const experimentId = io.withDatabase(dbPath, 'write', (db) =>
    new ExperimentStore(db).create({ name, base, variants: expanded.variants }, io.nowMs()),
  );
  if (values.json === true) io.out(JSON.stringify({ experimentId, variants: expanded.variants }));
  else io.out(`experiment ${experimentId} "${name}": ${expanded.variants.length} variants`);
  return 0;
}

function commandList(args: string[], io: ExperimentIo): number {
  const { values } = parse('list', { args, options: { db: { type: 'string' }, json: { type: 'boolean' } } });
  const list = io.withDatabase(io.dbPath(values.db), 'read', (db) => {
    const store = new ExperimentStore(db);
    return store.list().map((e) => {
      const runs: Record<string, number> = {};
      for (const v of store.latestRuns(e.id)) if (v.status !== null) runs[v.status] = (runs[v.status] ?? 0) + 1;
      return { id: e.id, name: e.name, kind: e.kind, createdAt: e.createdAt, variantCount: e.variants.length, runs };
    });
  });
  if (values.json === true) io.out(JSON.stringify(list));
  else if (list.length === 0) io.out("no experiments (pcilab experiment create, or the app's Experiments screen)");
  else {
    for (const e of list) {
      const runs = Object.entries(e.runs).map(([s, n]) => `${n} ${s}`);
      io.out(
        `${String(e.id).padStart(4)}  ${e.name}  (${e.kind}, ${e.variantCount} variants${runs.length > 0 ? `; latest runs: ${runs.join(', ')}` : ''})`,
      );
    }
  }
  return 0;
}

async function commandSubmit(args: string[], io: ExperimentIo): Promise<number> {
  const end = args.indexOf('--');
  const own = end < 0 ? args : args.slice(0, end);
  const sbatchArgs = end < 0 ? [] : args.slice(end + 1);
  const { values, positionals } = parse('submit', {
    args: own,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      slurm: { type: 'boolean' },
      local: { type: 'string' },
      partition: { type: 'string' },
      time: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new ExperimentUsageError('experiment submit: takes exactly one experiment (its id or name)');
  const slurm = values.slurm === true;
  if (slurm === (values.local !== undefined)) throw new ExperimentUsageError('experiment submit: give --slurm or --local N (one of them)');
  let workers = 0;
  if (!slurm) {
    workers = Number(values.local);
    if (!Number.isSafeInteger(workers) || workers < 1 || workers > 256) {
      throw new ExperimentUsageError(`--local: expected a number of workers from 1 to 256, got "${values.local}"`);
    }
    if (values.partition !== undefined || values.time !== undefined || sbatchArgs.length > 0) {
      throw new ExperimentUsageError('--partition, --time and sbatch arguments go with --slurm, not --local');
    }
  }
  if (values.time !== undefined && !/^[0-9:-]+$/.test(values.time)) {
    throw new ExperimentUsageError(`--time: expected a Slurm time limit (minutes, MM:SS, HH:MM:SS or D-HH), got "${values.time}"`);
  }
  const dbPath = io.dbPath(values.db);
  const experiment = io.withDatabase(dbPath, 'read', (db) => findExperiment(new ExperimentStore(db), positionals[0]!, dbPath));
  const now = io.nowMs();
  const dir = resolve(values.out ?? defaultSweepDir(dbPath, experiment.id, now));
  const manifest = newManifest(
    experiment,
    slurm ? 'slurm' : 'local',
    io.labVersion,
    now,
    slurm ? { partition: values.partition, time: values.time, sbatchArgs } : undefined,
  );
  // Every variant checked here, before a single task is queued.
  expandExperiment({ name: experiment.name, base: experiment.base, variants: experiment.variants });
  if (slurm) {
    const submitted = submitSlurmSweep(dir, manifest, io.shell ?? systemShell, now);
    const arrayJobId = submitted.jobs[0]!.arrayJobId;
    if (values.json === true)
      io.out(JSON.stringify({ dir, scheduler: 'slurm', arrayJobId, variants: manifest.experiment.variants.length }));
    else {
      io.out(
        `submitted experiment ${experiment.id} "${experiment.name}" as Slurm job array ${arrayJobId} (${manifest.experiment.variants.length} tasks) into ${dir}`,
      );
      io.err(`collect with: pcilab experiment collect ${dir} --wait`);
    }
    return 0;
  }
  checkFreshDir(dir);
  writeManifest(dir, manifest);
  io.err(
    `running ${manifest.experiment.variants.length} variants of experiment ${experiment.id} with ${workers} local workers into ${dir}`,
  );
  await runLocalTasks(dir, manifest, manifest.jobs[0]!.indices, workers);
  if (values.json === true)
    io.out(JSON.stringify({ dir, scheduler: 'local', arrayJobId: null, variants: manifest.experiment.variants.length }));
  else {
    io.out(`ran experiment ${experiment.id} "${experiment.name}" with ${workers} local workers into ${dir}`);
    io.err(`collect with: pcilab experiment collect ${dir}`);
  }
  return 0;
}

/** The sweep directory collect reads: DIR itself, or an experiment's newest sweep under the default location. */
function sweepDirOf(ref: string, dbPath: string, io: ExperimentIo): string {
  if (existsSync(join(ref, MANIFEST_FILE))) return resolve(ref);
  if (existsSync(ref) && statSync(ref).isDirectory()) throw new ExperimentUsageError(`${ref}: not a sweep directory (no ${MANIFEST_FILE})`);
  const experiment = io.withDatabase(dbPath, 'read', (db) => findExperiment(new ExperimentStore(db), ref, dbPath));
  const latest = latestSweepDir(dbPath, experiment.id);
  if (latest === null) {
    throw new MissingExperiment(`experiment ${experiment.id} has no sweep under ${sweepsRoot(dbPath)} (give the sweep's directory)`);
  }
  return latest;
}

function stateLine(s: SweepStatus): string {
  const c = s.counts;
  return `sweep ${s.dir}: experiment ${s.experimentId} "${s.experimentName}" (${s.scheduler}): ${c.done} done, ${c.running} running, ${c.pending} pending, ${c.failed} failed`;
}

export function formatSweepText(s: SweepStatus): string {
  const lines = [stateLine(s)];
  const width = Math.max(...s.variants.map((v) => v.name.length), 7);
  for (const v of s.variants) {
    const what =
      v.state === 'done'
        ? `run ${v.runId}${v.imported === 'imported' ? ' (imported now)' : ''}`
        : v.state === 'failed'
          ? `${v.reason ?? 'failed'}; log ${v.log}`
          : (v.reason ?? '');
    lines.push(`  ${String(v.index).padStart(3)}  ${v.name.padEnd(width)}  ${v.state.padEnd(7)}  ${what}`.trimEnd());
  }
  return lines.join('\n');
}

async function commandCollect(args: string[], io: ExperimentIo): Promise<number> {
  const { values, positionals } = parse('collect', {
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      wait: { type: 'boolean' },
      interval: { type: 'string' },
      retry: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new ExperimentUsageError('experiment collect: takes one sweep directory (or experiment)');
  const intervalS = values.interval === undefined ? 5 : Number(values.interval);
  if (!Number.isFinite(intervalS) || intervalS < 0.1 || intervalS > 3600) {
    throw new ExperimentUsageError(`--interval: expected seconds from 0.1 to 3600, got "${values.interval}"`);
  }
  const dbPath = io.dbPath(values.db);
  const dir = sweepDirOf(positionals[0]!, dbPath, io);
  const shell = io.shell ?? systemShell;
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  // One memo for the command's looks: --wait does not unpack the bundles it imported again each time.
  const memo = new SweepCollectMemo();
  const look = (): SweepStatus => io.withDatabase(dbPath, 'write', (db) => collectSweep(db, dir, shell, io.nowMs(), memo));
  let status = look();
  const retried = new Set<string>();
  for (;;) {
    if (values.retry === true) {
      // Each failed attempt is retried once per collect; a variant failing again is reported.
      const failed = status.variants.filter((v) => v.state === 'failed' && !retried.has(`${v.index}/${v.attempt}`));
      if (failed.length > 0) {
        for (const v of failed) retried.add(`${v.index}/${v.attempt + 1}`);
        const manifest = retrySweep(
          dir,
          failed.map((v) => v.index),
          shell,
          io.nowMs(),
        );
        io.err(`retrying ${failed.length} failed variant(s): ${failed.map((v) => v.index).join(', ')}`);
        if (manifest.scheduler === 'local')
          await runLocalTasks(
            dir,
            manifest,
            failed.map((v) => v.index),
            1,
          );
        status = look();
      }
    }
    if (values.wait !== true || (status.counts.pending === 0 && status.counts.running === 0)) break;
    io.err(stateLine(status));
    await sleep(intervalS * 1000);
    status = look();
  }
  if (values.json === true) io.out(JSON.stringify(status));
  else io.out(formatSweepText(status));
  return status.counts.failed > 0 ? 1 : 0;
}

function commandCompare(args: string[], io: ExperimentIo): number {
  const { values, positionals } = parse('compare', {
    args,
    allowPositionals: true,
    options: { db: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw new ExperimentUsageError('experiment compare: takes exactly one experiment (its id or name)');
  const dbPath = io.dbPath(values.db);
  return io.withDatabase(dbPath, 'read', (db) => {
    const store = new ExperimentStore(db);
    const e = findExperiment(store, positionals[0]!, dbPath);
    const runs = new RunStore(db);
    const details: RunDetail[] = [];
    store.latestRuns(e.id).forEach((v, i) => {
      const run = v.runId === null ? undefined : runs.get(v.runId);
      if (run === undefined) io.err(`pcilab: variant ${i} "${e.variants[i]?.name ?? ''}" has no run (not run, or not collected yet)`);
      else details.push(run);
    });
    if (details.length === 0)
      throw new MissingExperiment(`experiment ${e.id} has no runs yet (run it in the app, or submit and collect it)`);
    const comparison = compareRunDetails(details);
    io.out(values.json === true ? JSON.stringify(comparison) : formatComparisonText(comparison));
    return 0;
  });
}

function commandTask(args: string[], io: ExperimentIo): number {
  const { values, positionals } = parse('task', { args, allowPositionals: true, options: { index: { type: 'string' } } });
  if (positionals.length !== 1) throw new ExperimentUsageError('experiment task: takes the sweep directory');
  const dir = resolve(positionals[0]!);
  const manifest = readManifest(dir);
  const index = taskIndexOf(values.index, io.env, manifest.experiment.variants.length);
  runSweepTask(dir, manifest, index, io.labVersion, io.err);
  return 0;
}

/** Runs `pcilab experiment ...`; returns the exit code. A broken database throws (main.ts reports it). */
export async function commandExperiment(args: string[], io: ExperimentIo): Promise<number> {
  const [sub, ...rest] = args;
  const helpAsked = (a: readonly string[]): boolean => {
    const end = a.indexOf('--');
    return (end < 0 ? a : a.slice(0, end)).some((x) => x === '--help' || x === '-h');
  };
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    const topic = sub === 'help' ? rest[0] : undefined;
    if (topic !== undefined && topic in EXPERIMENT_SUBCOMMANDS) io.out(subHelp(topic));
    else (sub === undefined ? io.err : io.out)(EXPERIMENT_HELP);
    return sub === undefined ? 2 : 0;
  }
  try {
    if (!(sub in EXPERIMENT_SUBCOMMANDS)) {
      throw new ExperimentUsageError(`experiment: unknown subcommand "${sub}" (pcilab experiment --help lists them)`);
    }
    if (helpAsked(rest)) {
      io.out(subHelp(sub));
      return 0;
    }
    switch (sub) {
      case 'create':
        return commandCreate(rest, io);
      case 'list':
        return commandList(rest, io);
      case 'submit':
        return await commandSubmit(rest, io);
      case 'collect':
        return await commandCollect(rest, io);
      case 'compare':
        return commandCompare(rest, io);
      default:
        return commandTask(rest, io);
    }
  } catch (err) {
    if (err instanceof ExperimentUsageError || err instanceof ManifestError) {
      io.err(`pcilab: ${err.message}`);
      return 2;
    }
    if (err instanceof TaskError) {
      io.err(`pcilab: ${err.message}`);
      return sub === 'task' && /^(--index|SLURM|JOB|task:)/.test(err.message) ? 2 : 1;
    }
    if (err instanceof MissingExperiment) {
      io.err(`pcilab: ${err.message}`);
      return 1;
    }
    if (err instanceof LabError) {
      for (const line of err.problems ?? [err.message]) io.err(`pcilab: ${line}`);
      return err.code === 'invalid-argument' || err.code === 'invalid-scenario' || err.code === 'conflict' ? 2 : 1;
    }
    throw err;
  }
}

function subHelp(sub: string): string {
  const s = EXPERIMENT_SUBCOMMANDS[sub]!;
  return `usage: pcilab ${s.synopsis}\n\n${s.help}`;
}
