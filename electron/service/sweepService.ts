// Sweeps of an experiment beyond one process (docs/cluster.md): submit writes the manifest
// (sweepManifest.ts) into a shared directory and starts one task per variant, as one Slurm job array
// (`sbatch --array=0-(N-1)`, each task `pcilab experiment task DIR` on its node) or as N local worker
// processes running the very same task command (`--local N`); collect reads each variant's state
// (its bundle there: done; else what squeue / scontrol say of its task, or the local worker's state
// file), imports the bundles that arrived (a bundle already in the lab is found by its content hash
// and not imported twice) and records them as an execution of the experiment, so the experiment's
// comparison works as for runs started in the lab. A failed or cancelled task is reported with its
// exit code and log, and resubmitted on request (retry): never silently missing.
// Must not: import electron; wait on the scheduler (collect looks once; callers poll).

import { spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabDatabase } from '../../db/database';
import { ExperimentStore, type StoredExperiment } from '../../db/experimentStore';
import type { StartRunRequest } from '../../core/contract/runRequest';
import type { SweepStatus, SweepVariantStatus } from '../../core/contract/experiments';
import { importRunBundle, type BundleImport } from './runBundleImport';
import { runWithContentHash } from '../../db/runRecord';
import { BundleError } from './runBundleFormat';
import { LabError, errorMessage } from './labError';
import {
  bundleName,
  latestJobOf,
  MANIFEST_FILE,
  logName,
  readManifest,
  slurmOutputPattern,
  writeManifest,
  type SweepJob,
  type SweepManifest,
} from './sweepManifest';
import { arraySpec, parseSbatchParsable, parseScontrolJobs, parseSqueueJson, type TaskRecord } from './slurmQueue';

export type { SweepStatus, SweepVariantStatus } from '../../core/contract/experiments';
/** How a command of the scheduler is run (the tests put fakes in its place). */
export interface SchedulerShell {
  run(command: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string; error: string | null };
}

export const systemShell: SchedulerShell = {
  run(command, args) {
    const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    const code = (r.error as { code?: unknown } | undefined)?.code;
    return {
      status: r.status,
      stdout: r.stdout ?? '',
      stderr: r.stderr ?? '',
      error: r.error === undefined ? null : code === 'ENOENT' ? `${command}: not found on PATH` : errorMessage(r.error),
    };
  },
};

/** Whether `command` is an executable on PATH (the app offers Slurm only when sbatch is there). */
export function onPath(command: string, env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  for (const dir of (env['PATH'] ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, command))) return true;
  }
  return false;
}

/** The command a task runs: this lab's own CLI (bin/pcilab.mjs, which runs the build in out/cli) under Node. */
export function taskCommand(dir: string, env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  // In the desktop app process.execPath is Electron: tasks need a plain Node (PCILAB_NODE, else node on PATH).
  const node = process.versions['electron'] === undefined ? process.execPath : (env['PCILAB_NODE'] ?? 'node');
  const bin = fileURLToPath(new URL('../../bin/pcilab.mjs', import.meta.url));
  return [node, bin, 'experiment', 'task', dir];
}

/**
 * Brings the built CLI (out/cli) up to date before tasks start, so they do not each rebuild it at
 * once (bin/pcilab.mjs rebuilds a stale build): tooling/buildCli.mjs --if-stale, in a checkout that has it.
 */
export function ensureCliBuilt(): void {
  const tool = fileURLToPath(new URL('../../tooling/buildCli.mjs', import.meta.url));
  if (!existsSync(tool) || process.versions['electron'] !== undefined) return;
  spawnSync(process.execPath, [tool, '--if-possible', '--if-stale'], { stdio: 'ignore' });
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface SlurmOptions {
  readonly partition?: string | undefined;
  readonly time?: string | undefined;
  /** More sbatch arguments (after `--` on the command line). */
  readonly sbatchArgs?: readonly string[];
}

/** The manifest of a new sweep of `experiment` (not written yet). */
export function newManifest(
  experiment: StoredExperiment,
  scheduler: 'slurm' | 'local',
  labVersion: string,
  nowMs: number,
  slurm?: SlurmOptions,
): SweepManifest {
  if (experiment.kind !== 'variants')
    throw new LabError('invalid-argument', `experiment ${experiment.id} is a bisect: only a variants experiment is swept`);
  if (experiment.variants.length === 0) throw new LabError('invalid-argument', `experiment ${experiment.id} has no variants`);
  return {
    format: 'pcilab-sweep',
    version: 1,
    labVersion,
    createdAt: new Date(nowMs).toISOString(),
    experiment: {
      id: experiment.id,
      name: experiment.name,
      base: experiment.base as SweepManifest['experiment']['base'],
      variants: experiment.variants.map((v) => ({ name: v.name, set: [...v.set] })),
    },
    scheduler,
    ...(slurm === undefined
      ? {}
      : { slurm: { partition: slurm.partition ?? null, time: slurm.time ?? null, sbatchArgs: [...(slurm.sbatchArgs ?? [])] } }),
    jobs: [
      {
        arrayJobId: null,
        indices: experiment.variants.map((_, i) => i),
        submittedAt: new Date(nowMs).toISOString(),
        ...(scheduler === 'local' ? { localRunner: thisRunner() } : {}),
      },
    ],
  };
}

/** Where sweeps go without --out: `sweeps/` beside the lab database. */
export function sweepsRoot(dbPath: string): string {
  return join(dirname(resolve(dbPath)), 'sweeps');
}

/** The default directory of a new sweep of an experiment: sweeps/experiment-<id>-<UTC time>. */
export function defaultSweepDir(dbPath: string, experimentId: number, nowMs: number): string {
  const stamp = new Date(nowMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return join(sweepsRoot(dbPath), `experiment-${experimentId}-${stamp}`);
}

/** The newest sweep of an experiment under the default location, or null. */
export function latestSweepDir(dbPath: string, experimentId: number): string | null {
  const root = sweepsRoot(dbPath);
  if (!existsSync(root)) return null;
  const dirs = readdirSync(root)
    .filter((d) => d.startsWith(`experiment-${experimentId}-`) && existsSync(join(root, d, MANIFEST_FILE)))
    .sort();
  return dirs.length === 0 ? null : join(root, dirs[dirs.length - 1]!);
}

/** A directory that already holds a sweep is refused: each sweep gets its own (its bundles are named by variant index). */
export function checkFreshDir(dir: string): void {
  if (existsSync(join(dir, 'manifest.json'))) {
    throw new LabError('conflict', `${dir} holds a sweep already (manifest.json); give another --out, or collect that one`);
  }
}

/** Submits tasks `indices` of the sweep in `dir` as one Slurm job array; returns the job (its array job id). */
export function submitSlurmArray(
  dir: string,
  manifest: SweepManifest,
  indices: readonly number[],
  shell: SchedulerShell,
  nowMs: number,
): SweepJob {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  mkdirSync(join(dir, 'bundles'), { recursive: true });
  ensureCliBuilt();
  const script = join(dir, 'task.sh');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      `# One task of the pcilab sweep of experiment ${manifest.experiment.id} ("${manifest.experiment.name.replace(/[\r\n]/g, ' ')}"):`,
      '# runs variant $SLURM_ARRAY_TASK_ID of manifest.json with the lab CLI and writes its bundle here (docs/cluster.md).',
      `exec ${taskCommand(dir).map(shellQuote).join(' ')}`,
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  const slurm = manifest.slurm ?? { partition: null, time: null, sbatchArgs: [] };
  const args = [
    '--parsable',
    `--array=${arraySpec(indices)}`,
    `--job-name=pcilab-sweep-${manifest.experiment.id}`,
    `--output=${slurmOutputPattern(dir)}`,
    `--chdir=${dir}`,
    ...(slurm.partition === null ? [] : [`--partition=${slurm.partition}`]),
    ...(slurm.time === null ? [] : [`--time=${slurm.time}`]),
    ...slurm.sbatchArgs,
    script,
  ];
  const r = shell.run('sbatch', args);
  if (r.error !== null) throw new LabError('internal', `sbatch: ${r.error}`);
  if (r.status !== 0)
    throw new LabError('internal', `sbatch refused the job array (exit ${r.status}): ${r.stderr.trim().split('\n')[0] ?? ''}`);
  let arrayJobId: number;
  try {
    arrayJobId = parseSbatchParsable(r.stdout);
  } catch (err) {
    throw new LabError('internal', errorMessage(err));
  }
  return { arrayJobId, indices: [...indices], submittedAt: new Date(nowMs).toISOString() };
}

/** Writes the manifest of a new Slurm sweep and submits its array; returns the manifest as written. */
export function submitSlurmSweep(dir: string, manifest: SweepManifest, shell: SchedulerShell, nowMs: number): SweepManifest {
  checkFreshDir(dir);
  const all = manifest.experiment.variants.map((_, i) => i);
  // Written before sbatch so a task that starts at once finds it; rewritten with the array job id.
  writeManifest(dir, manifest);
  let job: SweepJob;
  try {
    job = submitSlurmArray(dir, manifest, all, shell, nowMs);
  } catch (err) {
    // Nothing was submitted: no sweep is left behind to collect (every variant "failed"), nor to refuse
    // the directory; the refused manifest stays beside, for the record.
    renameSync(join(dir, MANIFEST_FILE), join(dir, 'manifest.refused.json'));
    throw err;
  }
  const submitted = { ...manifest, jobs: [job] };
  writeManifest(dir, submitted);
  return submitted;
}

/** The state file a local worker keeps for a task's attempt. */
function localStatePath(dir: string, index: number, attempt: number): string {
  return join(dir, 'local', `task-${index}.attempt-${attempt}.json`);
}

interface LocalState {
  readonly state: 'running' | 'exited';
  readonly pid: number;
  readonly exitCode: number | null;
  readonly signal: string | null;
}

function writeLocalState(path: string, state: LocalState): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, path);
}

/**
 * Runs tasks `indices` (the latest job of the manifest) with `workers` local processes, each the
 * same task command a Slurm node runs, its output to the task's log; resolves when all have ended.
 */
export async function runLocalTasks(dir: string, manifest: SweepManifest, indices: readonly number[], workers: number): Promise<void> {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  mkdirSync(join(dir, 'local'), { recursive: true });
  ensureCliBuilt();
  const queue = [...indices];
  const command = taskCommand(dir);
  const one = (index: number): Promise<void> =>
    new Promise((done) => {
      const { job, attempt } = latestJobOf(manifest, index);
      const log = openSync(join(dir, logName(index, job, attempt)), 'w');
      const state = localStatePath(dir, index, attempt);
      const child = spawn(command[0]!, [...command.slice(1), '--index', String(index)], { stdio: ['ignore', log, log] });
      closeSync(log);
      writeLocalState(state, { state: 'running', pid: child.pid ?? 0, exitCode: null, signal: null });
      const finish = (exitCode: number | null, signal: string | null): void => {
        writeLocalState(state, { state: 'exited', pid: child.pid ?? 0, exitCode, signal });
        done();
      };
      child.on('error', () => finish(127, null));
      child.on('exit', (code, signal) => finish(code, signal));
    });
  const worker = async (): Promise<void> => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) await one(i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, indices.length)) }, worker));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: unknown }).code === 'EPERM';
  }
}

/** What Slurm says of every task of the manifest's array jobs: squeue first, then scontrol for those squeue no longer lists. */
function slurmRecords(manifest: SweepManifest, pendingIndices: readonly number[], shell: SchedulerShell): Map<string, TaskRecord> {
  const key = (job: number, task: number): string => `${job}_${task}`;
  const records = new Map<string, TaskRecord>();
  const jobIds = [...new Set(manifest.jobs.flatMap((j) => (j.arrayJobId === null ? [] : [j.arrayJobId])))];
  if (jobIds.length === 0 || pendingIndices.length === 0) return records;
  const q = shell.run('squeue', ['--json']);
  if (q.error !== null) throw new LabError('internal', `squeue: ${q.error}`);
  if (q.status !== 0) throw new LabError('internal', `squeue --json failed (exit ${q.status}): ${q.stderr.trim().split('\n')[0] ?? ''}`);
  for (const r of parseSqueueJson(q.stdout, jobIds)) records.set(key(r.arrayJobId, r.taskId), r);
  // Tasks squeue does not list: ask scontrol, once per array job that has such a task.
  const missing = new Set<number>();
  for (const i of pendingIndices) {
    const { job } = latestJobOf(manifest, i);
    if (job.arrayJobId !== null && !records.has(key(job.arrayJobId, i))) missing.add(job.arrayJobId);
  }
  for (const jobId of missing) {
    const s = shell.run('scontrol', ['show', 'job', '-o', String(jobId)]);
    if (s.error !== null) throw new LabError('internal', `scontrol: ${s.error}`);
    // Exit 1 with "Invalid job id specified": the controller has forgotten the job (MinJobAge).
    if (s.status !== 0) continue;
    for (const r of parseScontrolJobs(s.stdout)) if (!records.has(key(r.arrayJobId, r.taskId))) records.set(key(r.arrayJobId, r.taskId), r);
  }
  return records;
}

function describeRecord(r: TaskRecord): string {
  const how =
    r.signal !== null ? `killed by signal ${r.signal}` : r.exitCode !== null && r.exitCode !== 0 ? `exit code ${r.exitCode}` : null;
  return [`Slurm ${r.slurmState}`, how, r.reason === null ? null : `reason ${r.reason}`].filter((x) => x !== null).join(', ');
}

/** JSON with every object's keys sorted (two requests with the same fields compare equal whatever their order). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** The experiment of this lab the manifest's sweep belongs to: the same id with the same base and variants, else any with them, else a new one. */
export function experimentOf(store: ExperimentStore, manifest: SweepManifest, nowMs: number): number {
  const same = (e: StoredExperiment): boolean =>
    e.kind === 'variants' &&
    canonicalJson(e.base) === canonicalJson(manifest.experiment.base) &&
    canonicalJson(e.variants.map((v) => ({ name: v.name, set: v.set }))) === canonicalJson(manifest.experiment.variants);
  const byId = store.get(manifest.experiment.id);
  if (byId !== undefined && same(byId)) return byId.id;
  const other = store.list().find(same);
  if (other !== undefined) return other.id;
  return store.create(
    { name: manifest.experiment.name, base: manifest.experiment.base as StartRunRequest, variants: manifest.experiment.variants },
    nowMs,
  );
}

/**
 * Records the variants' runs as an execution of the experiment: added to its latest execution when
 * that one holds only these runs (an earlier collect of the same sweep), else as a new execution.
 */
export function recordSweepRuns(store: ExperimentStore, experimentId: number, runIds: readonly (number | null)[], nowMs: number): void {
  if (runIds.every((r) => r === null)) return;
  const latest = store.latestRuns(experimentId);
  const ours =
    latest.length > 0 && latest.some((v) => v.ran) && latest.every((v, i) => !v.ran || (v.runId !== null && v.runId === runIds[i]));
  const executionId = ours ? store.latestExecution(experimentId)!.id : store.addExecution(experimentId, [], nowMs);
  runIds.forEach((runId, i) => {
    if (runId !== null && !(ours && latest[i]?.ran === true)) store.addStep(executionId, i, runId);
  });
}

/** A bundle file as it was when collect imported it: the same path, size, time and inode is the same bundle. */
function bundleFileKey(path: string): string | null {
  try {
    const st = statSync(path);
    return `${path}\0${st.size}\0${st.mtimeMs}\0${st.ino}`;
  } catch {
    return null;
  }
}

/**
 * What collect remembers across looks (one per lab connection: the service keeps one, `collect
 * --wait` one per command): each bundle file it imported, and the run holding it, so a poll does
 * not unpack and hash every bundle of the sweep again (a 1.4 M-event bundle is about 2 s of that).
 */
export class SweepCollectMemo {
  private readonly seen = new Map<string, { runId: number; contentHash: string }>();

  /** The run already holding the bundle file at `path`, when it is the file imported before and the run is still here. */
  known(db: LabDatabase, path: string): { runId: number; contentHash: string } | undefined {
    const key = bundleFileKey(path);
    const hit = key === null ? undefined : this.seen.get(key);
    if (hit === undefined) return undefined;
    return runWithContentHash(db, hit.contentHash) === hit.runId ? hit : undefined;
  }

  remember(path: string, runId: number, contentHash: string): void {
    const key = bundleFileKey(path);
    if (key !== null) this.seen.set(key, { runId, contentHash });
  }
}

type Base = Pick<SweepVariantStatus, 'index' | 'name' | 'log' | 'attempt' | 'arrayJobId'>;

/** One look, up to its imports: the manifest, the bundles that arrived, the variants still waiting. */
interface CollectLook {
  readonly abs: string;
  readonly manifest: SweepManifest;
  readonly bundles: readonly { index: number; path: string; base: Base }[];
  readonly waiting: readonly number[];
  readonly byIndex: (SweepVariantStatus | undefined)[];
  /** What the scheduler said of the tasks without a bundle, read before the bundles were looked at. */
  readonly records: ReadonlyMap<string, TaskRecord>;
  readonly localStates: ReadonlyMap<number, ReturnType<typeof localState>>;
}

function startCollect(dir: string, shell: SchedulerShell): CollectLook {
  const abs = resolve(dir);
  const manifest = readManifest(abs);
  const bundles: { index: number; path: string; base: Base }[] = [];
  const waiting: number[] = [];
  // The scheduler (or a local worker's state file) is read before the bundles are looked at: a task
  // that ends in between has its bundle seen below, instead of its end read as "ended without a bundle".
  const variants = manifest.experiment.variants;
  const unbundled = variants.flatMap((_, i) => (existsSync(join(abs, bundleName(i))) ? [] : [i]));
  const records = manifest.scheduler === 'slurm' ? slurmRecords(manifest, unbundled, shell) : new Map<string, TaskRecord>();
  const localStates = new Map<number, ReturnType<typeof localState>>();
  for (const i of manifest.scheduler === 'local' ? unbundled : []) {
    const { job, attempt } = latestJobOf(manifest, i);
    localStates.set(i, localState(abs, i, attempt, job));
  }
  for (const [index, v] of variants.entries()) {
    const { job, attempt } = latestJobOf(manifest, index);
    const base = { index, name: v.name, log: join(abs, logName(index, job, attempt)), attempt, arrayJobId: job.arrayJobId };
    const path = join(abs, bundleName(index));
    if (existsSync(path)) bundles.push({ index, path, base });
    else waiting.push(index);
  }
  return { abs, manifest, bundles, waiting, byIndex: [], records, localStates };
}

/** Records a bundle's import (or its refusal) in the look. */
function bundleOutcome(look: CollectLook, b: CollectLook['bundles'][number], outcome: BundleImport | BundleError): void {
  look.byIndex[b.index] =
    outcome instanceof BundleError
      ? {
          ...b.base,
          state: 'failed',
          runId: null,
          imported: null,
          exitCode: null,
          signal: null,
          reason: `its bundle was refused: ${outcome.message}`,
        }
      : { ...b.base, state: 'done', runId: outcome.runId, imported: outcome.kind, exitCode: 0, signal: null, reason: null };
}

/** The bundle's run when `memo` knows the file, else undefined (it is imported). */
function fromMemo(db: LabDatabase, memo: SweepCollectMemo | undefined, path: string): BundleImport | undefined {
  const hit = memo?.known(db, path);
  return hit === undefined ? undefined : { kind: 'duplicate', runId: hit.runId, name: '', contentHash: hit.contentHash };
}

/**
 * Looks once at every variant of the sweep in `dir`: imports the bundles that arrived into `db`
 * (here, one after another), asks the scheduler about the others, and records the imported runs
 * on the experiment. The CLI's collect; the lab service imports off its thread (collectSweepWith).
 */
export function collectSweep(db: LabDatabase, dir: string, shell: SchedulerShell, nowMs: number, memo?: SweepCollectMemo): SweepStatus {
  const look = startCollect(dir, shell);
  for (const b of look.bundles) {
    let outcome: BundleImport | BundleError;
    try {
      outcome = fromMemo(db, memo, b.path) ?? importRunBundle(db, readFileSync(b.path), b.path);
      memo?.remember(b.path, outcome.runId, outcome.contentHash);
    } catch (err) {
      if (!(err instanceof BundleError)) throw err;
      outcome = err;
    }
    bundleOutcome(look, b, outcome);
  }
  return finishCollect(db, look, nowMs);
}

/**
 * As collectSweep, each bundle imported by `importFile` (the lab service's import worker, through
 * a connection of its own), so the calling thread answers other calls while bundles import.
 */
export async function collectSweepWith(
  db: LabDatabase,
  dir: string,
  shell: SchedulerShell,
  nowMs: () => number,
  importFile: (path: string) => Promise<BundleImport>,
  memo?: SweepCollectMemo,
): Promise<SweepStatus> {
  const look = startCollect(dir, shell);
  for (const b of look.bundles) {
    let outcome: BundleImport | BundleError;
    try {
      outcome = fromMemo(db, memo, b.path) ?? (await importFile(b.path));
      memo?.remember(b.path, outcome.runId, outcome.contentHash);
    } catch (err) {
      if (!(err instanceof BundleError)) throw err;
      outcome = err;
    }
    bundleOutcome(look, b, outcome);
  }
  return finishCollect(db, look, nowMs());
}

/** The rest of a look after its imports: the waiting variants' states (the scheduler's word, read first), the runs recorded on the experiment. */
function finishCollect(db: LabDatabase, look: CollectLook, nowMs: number): SweepStatus {
  const { abs, manifest, waiting, byIndex, records, localStates } = look;
  const variants = manifest.experiment.variants;
  for (const index of waiting) {
    const { job, attempt } = latestJobOf(manifest, index);
    const base = {
      index,
      name: variants[index]!.name,
      runId: null,
      imported: null,
      log: join(abs, logName(index, job, attempt)),
      attempt,
      arrayJobId: job.arrayJobId,
    };
    if (manifest.scheduler === 'local') {
      byIndex[index] = { ...base, ...localStates.get(index)! };
      continue;
    }
    const r = job.arrayJobId === null ? undefined : records.get(`${job.arrayJobId}_${index}`);
    if (r === undefined) {
      byIndex[index] = {
        ...base,
        state: 'failed',
        exitCode: null,
        signal: null,
        reason: `Slurm no longer knows task ${job.arrayJobId}_${index} and it wrote no bundle (see its log)`,
      };
    } else if (r.state === 'done') {
      byIndex[index] = {
        ...base,
        state: 'failed',
        exitCode: r.exitCode,
        signal: null,
        reason: `${describeRecord(r)}, but it wrote no bundle (see its log)`,
      };
    } else {
      byIndex[index] = { ...base, state: r.state, exitCode: r.exitCode, signal: r.signal, reason: describeRecord(r) };
    }
  }
  const list = byIndex as SweepVariantStatus[];
  const store = new ExperimentStore(db);
  // IMMEDIATE: two collects of one sweep (two windows, the app and the CLI) record it one after
  // the other, so the second finds the first's execution holding these runs and adds nothing.
  const experimentId = db
    .transaction(() => {
      const id = experimentOf(store, manifest, nowMs);
      recordSweepRuns(
        store,
        id,
        list.map((v) => v.runId),
        nowMs,
      );
      return id;
    })
    .immediate();
  const counts = { pending: 0, running: 0, done: 0, failed: 0 };
  for (const v of list) counts[v.state]++;
  return { dir: abs, scheduler: manifest.scheduler, experimentId, experimentName: manifest.experiment.name, variants: list, counts };
}

/** This process as a local job's runner. */
function thisRunner(): { pid: number; host: string } {
  return { pid: process.pid, host: hostname() };
}

function localState(
  dir: string,
  index: number,
  attempt: number,
  job: SweepJob,
): Pick<SweepVariantStatus, 'state' | 'exitCode' | 'signal' | 'reason'> {
  let s: LocalState;
  try {
    s = JSON.parse(readFileSync(localStatePath(dir, index, attempt), 'utf8')) as LocalState;
  } catch {
    // Not started: pending while its runner lives; failed once it is gone (interrupted) on this host.
    const runner = job.localRunner;
    if (runner !== undefined && runner.host === hostname() && !pidAlive(runner.pid)) {
      return { state: 'failed', exitCode: null, signal: null, reason: `never started: its local runner (pid ${runner.pid}) ended first` };
    }
    return { state: 'pending', exitCode: null, signal: null, reason: null };
  }
  if (s.state === 'running') {
    if (pidAlive(s.pid)) return { state: 'running', exitCode: null, signal: null, reason: `local worker pid ${s.pid}` };
    return { state: 'failed', exitCode: null, signal: null, reason: `its local worker (pid ${s.pid}) is gone and it wrote no bundle` };
  }
  if (s.signal !== null) return { state: 'failed', exitCode: null, signal: null, reason: `killed by ${s.signal}` };
  return {
    state: 'failed',
    exitCode: s.exitCode,
    signal: null,
    reason: s.exitCode === 0 ? 'exit code 0, but it wrote no bundle (see its log)' : `exit code ${s.exitCode}`,
  };
}

/** Appends a retry of tasks `indices` to the manifest: Slurm gets a new job array, a local sweep a new attempt (run it with runLocalTasks). */
export function retrySweep(dir: string, indices: readonly number[], shell: SchedulerShell, nowMs: number): SweepManifest {
  const abs = resolve(dir);
  const manifest = readManifest(abs);
  // A refused bundle (damaged, truncated) is moved aside, kept for a look: left in place, collect would
  // keep reading it and report the retried task failed again while it runs.
  for (const i of indices) {
    const bundle = join(abs, bundleName(i));
    if (existsSync(bundle)) renameSync(bundle, `${bundle}.refused-${latestJobOf(manifest, i).attempt}`);
  }
  const job: SweepJob =
    manifest.scheduler === 'slurm'
      ? submitSlurmArray(abs, manifest, indices, shell, nowMs)
      : { arrayJobId: null, indices: [...indices], submittedAt: new Date(nowMs).toISOString(), localRunner: thisRunner() };
  const next = { ...manifest, jobs: [...manifest.jobs, job] };
  writeManifest(abs, next);
  return next;
}
