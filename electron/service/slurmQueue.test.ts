// Slurm's answers parsed as a sweep needs them: squeue --json of 22.05 (records of other jobs
// ignored, an unsplit pending array expanded, exit_code a raw wait status), the 23.x number and
// exit-code objects, scontrol show job -o lines, sbatch --parsable, and --array specs.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  arraySpec,
  decodeWaitStatus,
  parseArrayTaskString,
  parseSbatchParsable,
  parseScontrolJobs,
  parseSqueueJson,
  taskStateOf,
} from './slurmQueue';

/** Records as squeue --json of Slurm 22.05.8 prints them (fields trimmed to those read). */
const SQUEUE_2205 = JSON.stringify({
  meta: { plugin: { type: 'openapi/v0.0.38' }, Slurm: { release: '22.05.8' } },
  errors: [],
  jobs: [
    {
      job_id: 7,
      array_job_id: 7,
      array_task_id: null,
      array_task_string: '4-19%8',
      job_state: 'PENDING',
      exit_code: 0,
      state_reason: 'JobArrayTaskLimit',
    },
    { job_id: 8, array_job_id: 7, array_task_id: 0, array_task_string: '', job_state: 'COMPLETED', exit_code: 0, state_reason: 'None' },
    { job_id: 9, array_job_id: 7, array_task_id: 1, array_task_string: '', job_state: 'RUNNING', exit_code: 0, state_reason: 'None' },
    {
      job_id: 10,
      array_job_id: 7,
      array_task_id: 2,
      array_task_string: '',
      job_state: 'FAILED',
      exit_code: 768,
      state_reason: 'NonZeroExitCode',
    },
    { job_id: 11, array_job_id: 7, array_task_id: 3, array_task_string: '', job_state: 'CANCELLED', exit_code: 15, state_reason: 'None' },
    // Another user's job, and a plain job: squeue 22.05 lists them whatever -j says.
    { job_id: 12, array_job_id: 0, array_task_id: null, array_task_string: '', job_state: 'RUNNING', exit_code: 0, state_reason: 'None' },
    { job_id: 13, array_job_id: 13, array_task_id: 0, array_task_string: '', job_state: 'FAILED', exit_code: 256, state_reason: 'None' },
  ],
});

describe('squeue --json', () => {
  it('keeps the array jobs asked for and gives each task its state, exit code and reason', () => {
    const records = parseSqueueJson(SQUEUE_2205, [7]);
    const byTask = new Map(records.map((r) => [r.taskId, r]));
    expect(records.every((r) => r.arrayJobId === 7)).toBe(true);
    expect(records).toHaveLength(20);
    expect(byTask.get(0)).toMatchObject({ state: 'done', exitCode: 0 });
    expect(byTask.get(1)).toMatchObject({ state: 'running', exitCode: null });
    expect(byTask.get(2)).toMatchObject({ state: 'failed', exitCode: 3, signal: null, slurmState: 'FAILED', reason: 'NonZeroExitCode' });
    expect(byTask.get(3)).toMatchObject({ state: 'failed', exitCode: null, signal: 15, slurmState: 'CANCELLED' });
    for (let i = 4; i < 20; i++) expect(byTask.get(i)).toMatchObject({ state: 'pending', reason: 'JobArrayTaskLimit' });
  });

  it('reads the numbers and exit codes of newer releases', () => {
    const text = JSON.stringify({
      jobs: [
        {
          array_job_id: { set: true, infinite: false, number: 40 },
          array_task_id: { set: true, infinite: false, number: 5 },
          job_state: ['FAILED'],
          exit_code: { status: ['EXITED'], return_code: { set: true, number: 2 }, signal: { id: { set: false, number: 0 } } },
        },
        {
          array_job_id: { set: true, number: 40 },
          array_task_id: { set: false, number: 0 },
          array_task_string: '6,8',
          job_state: ['PENDING'],
        },
      ],
    });
    const records = parseSqueueJson(text, [40]);
    expect(records.map((r) => [r.taskId, r.state, r.exitCode])).toEqual([
      [5, 'failed', 2],
      [6, 'pending', null],
      [8, 'pending', null],
    ]);
  });

  it('refuses output that is not squeue JSON, naming it', () => {
    expect(() => parseSqueueJson('squeue: error: Invalid user', [1])).toThrow(/not JSON/);
    expect(() => parseSqueueJson('{"meta": {}}', [1])).toThrow(/no "jobs"/);
  });
});

describe('wait statuses', () => {
  it('takes the exit code from status >> 8 and a signal from its low bits', () => {
    expect(decodeWaitStatus(0)).toEqual({ exitCode: 0, signal: null });
    expect(decodeWaitStatus(768)).toEqual({ exitCode: 3, signal: null });
    expect(decodeWaitStatus(256 * 255)).toEqual({ exitCode: 255, signal: null });
    expect(decodeWaitStatus(9)).toEqual({ exitCode: null, signal: 9 });
  });

  it('round-trips every exit code', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 255 }), (code) => decodeWaitStatus(code << 8).exitCode === code));
  });

  it('maps Slurm states to pending, running, done and failed', () => {
    expect(taskStateOf('COMPLETED', 0)).toBe('done');
    expect(taskStateOf('COMPLETED', 1)).toBe('failed');
    expect(taskStateOf('TIMEOUT', null)).toBe('failed');
    expect(taskStateOf('NODE_FAIL', null)).toBe('failed');
    expect(taskStateOf('REQUEUED', null)).toBe('pending');
    expect(taskStateOf('COMPLETING', 0)).toBe('running');
  });
});

describe('scontrol show job -o', () => {
  it('reads state and ExitCode=code:signal of each task line', () => {
    const text = [
      'JobId=4 ArrayJobId=1 ArrayTaskId=2 JobName=pcilab-sweep-1 UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 RunTime=00:00:02',
      'JobId=5 ArrayJobId=1 ArrayTaskId=3 JobName=pcilab-sweep-1 JobState=CANCELLED Reason=None ExitCode=0:15',
      'JobId=1 ArrayJobId=1 ArrayTaskId=0 JobName=pcilab-sweep-1 JobState=COMPLETED Reason=None ExitCode=0:0',
      'JobId=1 ArrayJobId=1 ArrayTaskId=4-6 JobName=pcilab-sweep-1 JobState=PENDING Reason=Resources ExitCode=0:0',
      '',
    ].join('\n');
    const records = parseScontrolJobs(text);
    expect(records.map((r) => [r.taskId, r.state, r.exitCode, r.signal, r.reason])).toEqual([
      [2, 'failed', 3, null, 'NonZeroExitCode'],
      [3, 'failed', null, 15, null],
      [0, 'done', 0, null, null],
      [4, 'pending', null, null, 'Resources'],
      [5, 'pending', null, null, 'Resources'],
      [6, 'pending', null, null, 'Resources'],
    ]);
  });

  it('finds nothing in an error message', () => {
    expect(parseScontrolJobs('slurm_load_jobs error: Invalid job id specified')).toEqual([]);
  });
});

describe('array specs', () => {
  it('parses throttles, steps and lists', () => {
    expect(parseArrayTaskString('0-3')).toEqual([0, 1, 2, 3]);
    expect(parseArrayTaskString('3,7-9%2')).toEqual([3, 7, 8, 9]);
    expect(parseArrayTaskString('1-7:3')).toEqual([1, 4, 7]);
    expect(parseArrayTaskString('')).toEqual([]);
  });

  it('writes --array compactly, and parses back to the same ids', () => {
    expect(arraySpec([5, 0, 1, 2, 9, 8])).toBe('0-2,5,8-9');
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 40 }), (ids) => {
        expect(parseArrayTaskString(arraySpec(ids))).toEqual([...ids].sort((a, b) => a - b));
      }),
    );
  });

  it("reads sbatch --parsable's job id, with or without a cluster", () => {
    expect(parseSbatchParsable('1234\n')).toBe(1234);
    expect(parseSbatchParsable('99;cluster2')).toBe(99);
    expect(() => parseSbatchParsable('sbatch: error: invalid partition')).toThrow(/no job id/);
  });
});
