// Collecting a sweep with Slurm's answers faked: a bundle that arrived is imported once (a second
// collect finds it by content hash) and recorded as the experiment's run; a running task and a
// failed one (exit code 3 from the raw wait status, its log named) are reported; a retry submits a
// job array of the failed tasks only and the manifest keeps both jobs; a task Slurm forgot without a
// bundle is failed, never missing; the manifest refuses what is not one, naming the field.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { openLabDatabase, type LabDatabase } from '../../db/database';
import { ExperimentStore } from '../../db/experimentStore';
import { exportBundle, runPreset } from './runBundle.testkit';
import { collectSweep, newManifest, retrySweep, submitSlurmSweep, type SchedulerShell } from './sweepService';
import { bundleName, latestJobOf, logName, MANIFEST_FILE, ManifestError, readManifest, writeManifest } from './sweepManifest';

let dir: string;
let db: LabDatabase;
let experimentId: number;

const VARIANTS = [
  { name: 'qd1', set: ['workload.iodepth=1'] },
  { name: 'qd2', set: ['workload.iodepth=2'] },
  { name: 'qd4', set: ['workload.iodepth=4'] },
];
const BASE = { preset: 'quickstart-nvme-fio', overrides: ['durationMs=2'] };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-sweep-'));
  db = openLabDatabase(join(dir, 'lab.db'));
  experimentId = new ExperimentStore(db).create({ name: 'qd sweep', base: BASE, variants: VARIANTS }, 0);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A fake scheduler: sbatch answers the next job id; squeue and scontrol print what the test set. */
function fakeShell(answers: { squeue: object[]; scontrol?: string }): SchedulerShell & { calls: string[][]; nextJob: number } {
  const shell = {
    calls: [] as string[][],
    nextJob: 7,
    run(command: string, args: readonly string[]) {
      shell.calls.push([command, ...args]);
      if (command === 'sbatch') return { status: 0, stdout: `${shell.nextJob++}\n`, stderr: '', error: null };
      if (command === 'squeue') return { status: 0, stdout: JSON.stringify({ jobs: answers.squeue }), stderr: '', error: null };
      if (command === 'scontrol') {
        return answers.scontrol === undefined
          ? { status: 1, stdout: '', stderr: 'slurm_load_jobs error: Invalid job id specified', error: null }
          : { status: 0, stdout: answers.scontrol, stderr: '', error: null };
      }
      return { status: null, stdout: '', stderr: '', error: `${command}: not found on PATH` };
    },
  };
  return shell;
}

/** Writes the bundle variant `index` would write (the variant run in a lab of its own). */
function arrive(sweep: string, index: number): void {
  const other = openLabDatabase(':memory:');
  try {
    const runId = runPreset(other, BASE.preset, [...BASE.overrides, ...VARIANTS[index]!.set]);
    mkdirSync(join(sweep, 'bundles'), { recursive: true });
    writeFileSync(join(sweep, bundleName(index)), exportBundle(other, runId));
  } finally {
    other.close();
  }
}

function submit(shell: SchedulerShell): string {
  const sweep = join(dir, 'sweep');
  const experiment = new ExperimentStore(db).get(experimentId)!;
  submitSlurmSweep(
    sweep,
    newManifest(experiment, 'slurm', '9.9.9', 0, { partition: 'debug', time: '5:00', sbatchArgs: ['--mem=1G'] }),
    shell,
    0,
  );
  return sweep;
}

describe('collecting a Slurm sweep', () => {
  it('imports what arrived, reports running and failed tasks with exit code and log, and imports nothing twice', () => {
    const shell = fakeShell({
      squeue: [
        { array_job_id: 7, array_task_id: 0, job_state: 'COMPLETED', exit_code: 0 },
        { array_job_id: 7, array_task_id: 1, job_state: 'RUNNING', exit_code: 0 },
        { array_job_id: 7, array_task_id: 2, job_state: 'FAILED', exit_code: 768, state_reason: 'NonZeroExitCode' },
        { array_job_id: 99, array_task_id: 2, job_state: 'COMPLETED', exit_code: 0 },
      ],
    });
    const sweep = submit(shell);
    const sbatch = shell.calls.find((c) => c[0] === 'sbatch')!;
    expect(sbatch).toEqual(
      expect.arrayContaining(['--parsable', '--array=0-2', '--partition=debug', '--time=5:00', '--mem=1G', join(sweep, 'task.sh')]),
    );
    expect(readFileSync(join(sweep, 'task.sh'), 'utf8')).toMatch(/exec '.*' '.*bin\/pcilab\.mjs' 'experiment' 'task' '.*sweep'/);
    expect(readManifest(sweep).jobs).toEqual([{ arrayJobId: 7, indices: [0, 1, 2], submittedAt: new Date(0).toISOString() }]);
    arrive(sweep, 0);

    const first = collectSweep(db, sweep, shell, 1000);
    expect(first.experimentId).toBe(experimentId);
    expect(first.counts).toEqual({ pending: 0, running: 1, done: 1, failed: 1 });
    expect(first.variants[0]).toMatchObject({ state: 'done', imported: 'imported' });
    expect(first.variants[1]).toMatchObject({ state: 'running', runId: null });
    expect(first.variants[2]).toMatchObject({
      state: 'failed',
      exitCode: 3,
      reason: 'Slurm FAILED, exit code 3, reason NonZeroExitCode',
      log: join(sweep, 'logs', 'task-2.job-7.log'),
    });
    const store = new ExperimentStore(db);
    expect(store.latestRuns(experimentId).map((v) => v.runId)).toEqual([first.variants[0]!.runId]);

    arrive(sweep, 1);
    const second = collectSweep(db, sweep, shell, 2000);
    expect(second.variants[0]).toMatchObject({ state: 'done', imported: 'duplicate', runId: first.variants[0]!.runId });
    expect(second.variants[1]).toMatchObject({ state: 'done', imported: 'imported' });
    // The runs are added to the same execution, not a new one per collect.
    expect(store.executionCount(experimentId)).toBe(1);
    expect(store.latestRuns(experimentId).map((v) => v.runId)).toEqual([second.variants[0]!.runId, second.variants[1]!.runId]);
  });

  it('retries failed tasks as a job array of their own, and follows the new job', () => {
    const shell = fakeShell({
      squeue: [
        { array_job_id: 7, array_task_id: 2, job_state: 'FAILED', exit_code: 256 },
        { array_job_id: 8, array_task_id: null, array_task_string: '2', job_state: 'PENDING', exit_code: 0, state_reason: 'Priority' },
      ],
    });
    const sweep = submit(shell);
    arrive(sweep, 0);
    arrive(sweep, 1);
    expect(collectSweep(db, sweep, shell, 0).variants[2]).toMatchObject({ state: 'failed', exitCode: 1, attempt: 1 });
    const manifest = retrySweep(sweep, [2], shell, 0);
    expect(shell.calls.filter((c) => c[0] === 'sbatch').at(-1)).toContain('--array=2');
    expect(manifest.jobs.map((j) => j.arrayJobId)).toEqual([7, 8]);
    expect(latestJobOf(manifest, 2)).toMatchObject({ attempt: 2, job: { arrayJobId: 8 } });
    const after = collectSweep(db, sweep, shell, 0);
    expect(after.variants[2]).toMatchObject({ state: 'pending', attempt: 2, arrayJobId: 8, log: join(sweep, 'logs', 'task-2.job-8.log') });
    expect(after.counts).toEqual({ pending: 1, running: 0, done: 2, failed: 0 });
  });

  it('moves a refused bundle aside on retry, so the retried task is followed and not reported failed again', () => {
    const shell = fakeShell({ squeue: [{ array_job_id: 8, array_task_id: 0, job_state: 'RUNNING', exit_code: 0 }] });
    const sweep = submit(shell);
    mkdirSync(join(sweep, 'bundles'), { recursive: true });
    writeFileSync(join(sweep, bundleName(0)), 'not a bundle');
    expect(collectSweep(db, sweep, shell, 0).variants[0]).toMatchObject({
      state: 'failed',
      reason: expect.stringMatching(/^its bundle was refused/),
    });
    retrySweep(sweep, [0], shell, 0);
    expect(existsSync(join(sweep, bundleName(0)))).toBe(false);
    expect(readFileSync(join(sweep, `${bundleName(0)}.refused-1`), 'utf8')).toBe('not a bundle');
    expect(collectSweep(db, sweep, shell, 0).variants[0]).toMatchObject({ state: 'running', attempt: 2, arrayJobId: 8 });
  });

  it('reports a task neither squeue nor scontrol knows, and that wrote no bundle, as failed', () => {
    const shell = fakeShell({ squeue: [] });
    const sweep = submit(shell);
    const status = collectSweep(db, sweep, shell, 0);
    expect(status.counts.failed).toBe(3);
    expect(status.variants[0]!.reason).toMatch(/no longer knows task 7_0 and it wrote no bundle/);
    expect(shell.calls.filter((c) => c[0] === 'scontrol')).toEqual([['scontrol', 'show', 'job', '-o', '7']]);
  });

  it('imports the bundle of a task that ended while collect looked (squeue says COMPLETED, the bundle is there)', () => {
    const shell = fakeShell({ squeue: [] });
    const sweep = submit(shell);
    const run = shell.run.bind(shell);
    // Task 2 writes its bundle and ends between collect's look at the bundles and squeue's answer.
    shell.run = (command, args) => {
      if (command !== 'squeue') return run(command, args);
      if (!existsSync(join(sweep, bundleName(2)))) arrive(sweep, 2);
      const jobs = [0, 1, 2].map((t) => ({
        array_job_id: 7,
        array_task_id: t,
        job_state: t === 2 ? 'COMPLETED' : 'RUNNING',
        exit_code: 0,
      }));
      return { status: 0, stdout: JSON.stringify({ jobs }), stderr: '', error: null };
    };
    const status = collectSweep(db, sweep, shell, 0);
    expect(status.variants.map((v) => v.state)).toEqual(['running', 'running', 'done']);
    expect(status.variants[2]).toMatchObject({ imported: 'imported', reason: null });
  });

  it('reads finished tasks from scontrol once squeue no longer lists them', () => {
    const shell = fakeShell({
      squeue: [],
      scontrol:
        'JobId=9 ArrayJobId=7 ArrayTaskId=1 JobState=TIMEOUT Reason=TimeLimit ExitCode=0:15\nJobId=7 ArrayJobId=7 ArrayTaskId=2 JobState=RUNNING Reason=None ExitCode=0:0\n',
    });
    const sweep = submit(shell);
    arrive(sweep, 0);
    const status = collectSweep(db, sweep, shell, 0);
    expect(status.variants.map((v) => v.state)).toEqual(['done', 'failed', 'running']);
    expect(status.variants[1]).toMatchObject({ signal: 15, reason: 'Slurm TIMEOUT, killed by signal 15, reason TimeLimit' });
  });

  it('says sbatch is missing, and a refused submission in one line; neither leaves a sweep behind', () => {
    const missing: SchedulerShell = { run: () => ({ status: null, stdout: '', stderr: '', error: 'sbatch: not found on PATH' }) };
    expect(() => submit(missing)).toThrow('sbatch: sbatch: not found on PATH');
    expect(existsSync(join(dir, 'sweep', MANIFEST_FILE))).toBe(false);
    const refused: SchedulerShell = {
      run: () => ({ status: 1, stdout: '', stderr: 'sbatch: error: invalid partition specified: gpu\n', error: null }),
    };
    // The same directory again: not refused as "holds a sweep already".
    expect(() => submit(refused)).toThrow('sbatch refused the job array (exit 1): sbatch: error: invalid partition specified: gpu');
    expect(existsSync(join(dir, 'sweep', MANIFEST_FILE))).toBe(false);
    expect(submit(fakeShell({ squeue: [] }))).toBe(join(dir, 'sweep'));
  });

  it('matches the experiment of another lab by its base and variants, or creates it', () => {
    const shell = fakeShell({ squeue: [] });
    const sweep = submit(shell);
    arrive(sweep, 0);
    const other = openLabDatabase(':memory:');
    try {
      const status = collectSweep(other, sweep, shell, 0);
      const e = new ExperimentStore(other).get(status.experimentId)!;
      expect(e.variants).toEqual(VARIANTS);
      expect(collectSweep(other, sweep, shell, 0).experimentId).toBe(status.experimentId);
    } finally {
      other.close();
    }
  });
});

describe('collecting a local sweep', () => {
  it('fails a task its runner never started once the runner is gone, and keeps it pending while the runner lives', () => {
    const sweep = join(dir, 'local-sweep');
    const experiment = new ExperimentStore(db).get(experimentId)!;
    const manifest = newManifest(experiment, 'local', '9.9.9', 0);
    writeManifest(sweep, manifest);
    const shell = fakeShell({ squeue: [] });
    // This process is the runner: alive, so the tasks are pending.
    expect(collectSweep(db, sweep, shell, 0).counts).toEqual({ pending: 3, running: 0, done: 0, failed: 0 });
    const dead = spawnSync('true').pid!;
    writeManifest(sweep, { ...manifest, jobs: [{ ...manifest.jobs[0]!, localRunner: { pid: dead, host: hostname() } }] });
    const status = collectSweep(db, sweep, shell, 0);
    expect(status.counts.failed).toBe(3);
    expect(status.variants[0]!.reason).toBe(`never started: its local runner (pid ${dead}) ended first`);
    expect(shell.calls).toEqual([]);
  });
});

describe('the manifest', () => {
  it('round-trips and names each file a task writes', () => {
    const experiment = new ExperimentStore(db).get(experimentId)!;
    const m = newManifest(experiment, 'local', '9.9.9', 0);
    writeManifest(dir, m);
    expect(readManifest(dir)).toEqual(m);
    expect(bundleName(7)).toBe('bundles/variant-007.pcilab-run.jsonl.gz');
    expect(logName(3, { arrayJobId: 12, indices: [3], submittedAt: '' }, 1)).toBe('logs/task-3.job-12.log');
    expect(logName(3, { arrayJobId: null, indices: [3], submittedAt: '' }, 2)).toBe('logs/task-3.local-2.log');
  });

  it('refuses a file that is not a manifest, naming the field', () => {
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify({ format: 'pcilab-sweep', version: 1 }));
    expect(() => readManifest(dir)).toThrow(ManifestError);
    expect(() => readManifest(dir)).toThrow(/labVersion/);
    const experiment = new ExperimentStore(db).get(experimentId)!;
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify({ ...newManifest(experiment, 'local', '9', 0), version: 2 }));
    expect(() => readManifest(dir)).toThrow(/version: written by a newer pcilab/);
    expect(() => readManifest(join(dir, 'nowhere'))).toThrow(/no such file \(not a sweep directory/);
  });

  it('refuses to sweep a bisect experiment', () => {
    const bisect = new ExperimentStore(db).create(
      {
        name: 'b',
        base: BASE,
        variants: [{ name: '7.0', set: [] }],
        kind: 'bisect',
        bisect: { path: 'host.qemu.version', versions: ['7.0', '7.1'], outcome: { metric: 'x' } },
      },
      0,
    );
    expect(() => newManifest(new ExperimentStore(db).get(bisect)!, 'slurm', '9', 0)).toThrow(/is a bisect/);
  });
});
