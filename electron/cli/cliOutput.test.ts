import { describe, expect, it } from 'vitest';
import { formatRunText, runJson } from './cliOutput';

describe('pcilab run text output', () => {
  it('says when an ops script was cut short by the run duration, per variant', () => {
    const metrics = { 'a:ops.notRun': 6, 'a:ops.cutShort': 1, 'b:ops.notRun': 1, 'b:ops.cutShort': 0 };
    const text = formatRunText(runJson(7, 'completed', metrics, [], []));
    expect(text).toContain("ops script cut short (a): 6 step(s) not run, the run's durationMs ended first");
    // b stopped on an error: steps not run, but not cut short by time.
    expect(text).not.toContain('(b)');
  });

  it('says nothing of the kind for a script that ran to its end', () => {
    const text = formatRunText(runJson(7, 'completed', { 'ops.notRun': 0, 'ops.cutShort': 0 }, [], []));
    expect(text).not.toContain('cut short');
  });
});
