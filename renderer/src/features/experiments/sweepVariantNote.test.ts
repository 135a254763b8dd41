import { describe, expect, it } from 'vitest';
import type { SweepStatus, SweepVariantStatus } from '../../../../core/contract/experiments';
import { sweepVariantNote, sweepVariantsByName } from './sweepVariantNote';

const variant = (over: Partial<SweepVariantStatus>): SweepVariantStatus => ({
  index: 0,
  name: 'a',
  state: 'pending',
  runId: null,
  imported: null,
  exitCode: null,
  signal: null,
  reason: null,
  log: '/sweep/logs/0.log',
  attempt: 1,
  arrayJobId: 41,
  ...over,
});

describe("a variant's sweep note in the experiment's variant table", () => {
  it('says where a variant without a run waits or runs', () => {
    expect(sweepVariantNote(variant({ state: 'pending' }), 'slurm')).toBe('queued on Slurm');
    expect(sweepVariantNote(variant({ state: 'running' }), 'local')).toBe('running on local workers');
  });

  it('names the exit code, the signal or the reason of a failed task, and its attempt', () => {
    expect(sweepVariantNote(variant({ state: 'failed', exitCode: 3 }), 'slurm')).toBe(
      'sweep task failed (exit code 3, attempt 1): see the sweep below',
    );
    expect(sweepVariantNote(variant({ state: 'failed', signal: 9, attempt: 2 }), 'slurm')).toContain('(signal 9, attempt 2)');
    expect(sweepVariantNote(variant({ state: 'failed', reason: 'the bundle was refused' }), 'local')).toContain(
      '(the bundle was refused, attempt 1)',
    );
  });

  it('adds nothing without a sweep or once the task is done', () => {
    expect(sweepVariantNote(undefined, 'slurm')).toBeNull();
    expect(sweepVariantNote(variant({ state: 'done', runId: 4 }), 'slurm')).toBeNull();
  });

  it('finds the sweep variants by name', () => {
    const sweep: SweepStatus = {
      dir: '/sweep',
      scheduler: 'slurm',
      experimentId: 1,
      experimentName: 'e',
      variants: [variant({ name: 'a' }), variant({ name: 'b', index: 1, state: 'failed', exitCode: 1 })],
      counts: { pending: 1, running: 0, done: 0, failed: 1 },
    };
    expect(sweepVariantsByName(sweep).get('b')?.exitCode).toBe(1);
    expect(sweepVariantsByName(null).size).toBe(0);
  });
});
