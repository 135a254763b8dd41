// The end of a failed task's log: its last lines only, read from the end of a large log, a cut first
// line dropped, and a missing or empty log said in words; only failed variants get one.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SweepStatus, SweepVariantStatus } from '../../core/contract/experiments';
import { LOG_TAIL_BYTES, LOG_TAIL_LINES, logTail, withLogTails } from './sweepLogTail';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-logtail-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('logTail', () => {
  it('keeps the last lines of a short log', () => {
    const log = join(dir, 'a.log');
    writeFileSync(log, Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n') + '\n');
    const tail = logTail(log).split('\n');
    expect(tail).toHaveLength(LOG_TAIL_LINES);
    expect(tail[tail.length - 1]).toBe('line 39');
  });

  it('reads only the end of a large log and drops the line it cut', () => {
    const log = join(dir, 'big.log');
    writeFileSync(log, 'x'.repeat(10 * LOG_TAIL_BYTES) + '\nlast words\n');
    expect(logTail(log)).toBe('last words');
  });

  it('says when the log is missing or empty', () => {
    expect(logTail(join(dir, 'none.log'))).toMatch(/^\(no log: /);
    writeFileSync(join(dir, 'empty.log'), '');
    expect(logTail(join(dir, 'empty.log'))).toBe('(the log is empty)');
  });

  it('is given to failed variants only', () => {
    writeFileSync(join(dir, 'f.log'), 'boom\n');
    const variant = (state: SweepVariantStatus['state'], log: string): SweepVariantStatus => ({
      index: 0,
      name: 'v',
      state,
      runId: null,
      imported: null,
      exitCode: null,
      signal: null,
      reason: null,
      log,
      attempt: 1,
      arrayJobId: 7,
    });
    const status: SweepStatus = {
      dir,
      scheduler: 'slurm',
      experimentId: 1,
      experimentName: 'e',
      variants: [variant('failed', join(dir, 'f.log')), variant('running', join(dir, 'f.log'))],
      counts: { pending: 0, running: 1, done: 0, failed: 1 },
    };
    const [failed, running] = withLogTails(status).variants;
    expect(failed!.logTail).toBe('boom');
    expect(running!.logTail).toBeUndefined();
  });
});
