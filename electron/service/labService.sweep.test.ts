// The app's sweep on Slurm through the lab service (LabApi.getSweepSupport, submitExperimentSweep,
// collectExperimentSweep, retryExperimentSweep) with sbatch and squeue faked: the submission writes
// its manifest and one job array into the default sweep directory, a variant whose task failed is
// reported with its exit code, its log and the log's end, and is retried as a new job array; a
// bundle that arrives becomes the experiment's run on the next collect.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLabDatabase } from '../../db/database';
import { LabService } from './labService';
import { spawnRunWorker } from './workerSpawner';
import { exportBundle, runPreset } from './runBundle.testkit';
import { bundleName, MANIFEST_FILE } from './sweepManifest';
import type { SchedulerShell } from './sweepService';

let dir: string;
let service: LabService;
const calls: string[][] = [];
const shell: SchedulerShell = {
  run(command, args) {
    calls.push([command, ...args]);
    if (command === 'sbatch') return { status: 0, stdout: '41\n', stderr: '', error: null };
    const jobs = [
      { array_job_id: 41, array_task_id: 0, job_state: 'RUNNING', exit_code: 0 },
      { array_job_id: 41, array_task_id: 1, job_state: 'FAILED', exit_code: 512, state_reason: 'NonZeroExitCode' },
    ];
    return { status: 0, stdout: JSON.stringify({ jobs }), stderr: '', error: null };
  },
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-svc-sweep-'));
  calls.length = 0;
  service = new LabService({ dbPath: join(dir, 'lab.db'), spawnWorker: spawnRunWorker, version: 'test', schedulerShell: shell });
});
afterEach(() => {
  service.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('LabService: sweeps on Slurm', () => {
  it('submits, reports states and imports an arrived bundle as the experiment run', async () => {
    const base = { preset: 'quickstart-nvme-fio', overrides: ['durationMs=2'] };
    const variants = [
      { name: 'qd1', set: ['workload.iodepth=1'] },
      { name: 'qd2', set: ['workload.iodepth=2'] },
    ];
    const { experimentId } = await service.createExperiment({ name: 'qd', base, variants });
    expect(await service.collectExperimentSweep(experimentId)).toBeNull();
    expect(typeof (await service.getSweepSupport()).slurm).toBe('boolean');

    const first = await service.submitExperimentSweep(experimentId, { partition: 'debug', time: '5:00' });
    expect(first.dir).toMatch(new RegExp(`sweeps/experiment-${experimentId}-`));
    expect(calls[0]).toEqual(expect.arrayContaining(['sbatch', '--array=0-1', '--partition=debug', '--time=5:00']));
    expect(first.variants.map((v) => v.state)).toEqual(['running', 'failed']);
    expect(first.variants[1]).toMatchObject({ exitCode: 2, arrayJobId: 41, log: join(first.dir, 'logs', 'task-1.job-41.log') });
    expect(JSON.parse(readFileSync(join(first.dir, MANIFEST_FILE), 'utf8'))).toMatchObject({ jobs: [{ arrayJobId: 41 }] });

    const other = openLabDatabase(':memory:');
    try {
      writeFileSync(
        join(first.dir, bundleName(0)),
        exportBundle(other, runPreset(other, base.preset, [...base.overrides, ...variants[0]!.set])),
      );
    } finally {
      other.close();
    }
    const next = (await service.collectExperimentSweep(experimentId))!;
    expect(next.variants[0]).toMatchObject({ state: 'done', imported: 'imported' });
    const detail = await service.getExperiment(experimentId);
    expect(detail.variants.map((v) => [v.runId, v.status])).toEqual([
      [next.variants[0]!.runId, 'completed'],
      [null, null],
    ]);
  });

  it('retries the failed variants as a new job array of just those tasks, the end of the log beside its path', async () => {
    const { experimentId } = await service.createExperiment({
      name: 'qd',
      base: { preset: 'quickstart-nvme-fio', overrides: ['durationMs=2'] },
      variants: [
        { name: 'qd1', set: ['workload.iodepth=1'] },
        { name: 'qd2', set: ['workload.iodepth=2'] },
      ],
    });
    await expect(service.retryExperimentSweep(experimentId)).rejects.toThrow(`experiment ${experimentId} has no sweep to retry`);
    const first = await service.submitExperimentSweep(experimentId, {});
    writeFileSync(first.variants[1]!.log, 'task: variant 1 failed\n');
    expect((await service.collectExperimentSweep(experimentId))!.variants[1]!.logTail).toBe('task: variant 1 failed');
    calls.length = 0;
    const retried = await service.retryExperimentSweep(experimentId);
    expect(calls.filter((c) => c[0] === 'sbatch')).toEqual([expect.arrayContaining(['sbatch', '--array=1'])]);
    expect(retried.variants[1]).toMatchObject({ attempt: 2, state: 'failed' });
    expect(retried.variants[0]).toMatchObject({ attempt: 1, state: 'running' });
    expect(retried.variants[0]!.logTail).toBeUndefined();
  });

  it('says which experiment is missing', async () => {
    await expect(service.submitExperimentSweep(99, {})).rejects.toThrow('no experiment 99');
  });
});
