// The bisect names the first release whose outcome changes, in about log2(n) runs, and the real
// use: preset 1's retry variant over QEMU releases changes at 7.2 (the RPCIT second pass).
import { describe, expect, it } from 'vitest';
import { findPreset } from '../scenario/presets';
import { bisectVersions, sortVersions } from './bisect';
import { presetPlan } from './presetPlan';
import { PlanRun } from './planRun';

describe('bisectVersions', () => {
  const releases = ['5.2', '6.0', '6.1', '6.2', '7.0', '7.1', '7.2', '8.0', '8.1', '8.2', '9.0', '9.1', '9.2', '10.0'];

  it('orders versions numerically', () => {
    expect(sortVersions(['10.0', '9.2', '9.10', '9.9'])).toEqual(['9.2', '9.9', '9.10', '10.0']);
  });

  it('finds the first changed release in about log2(n) + 2 runs', () => {
    let runs = 0;
    const r = bisectVersions(releases, (v) => {
      runs++;
      return sortVersions([v, '7.2'])[0] === '7.2' ? 1 : 0;
    });
    expect(r.firstChange).toBe('7.2');
    expect([r.before, r.after]).toEqual([0, 1]);
    expect(runs).toBeLessThanOrEqual(Math.ceil(Math.log2(releases.length)) + 2);
    expect(r.steps.map((s) => s.version)).toEqual(sortVersions(r.steps.map((s) => s.version)));
  });

  it('reports no change when the ends agree, and `all` runs every release', () => {
    expect(bisectVersions(releases, () => 3).firstChange).toBeNull();
    const r = bisectVersions(releases, (v) => (v === '8.0' ? 1 : 0), true);
    expect(r.firstChange).toBe('8.0');
    expect(r.steps).toHaveLength(releases.length);
  });

  it('names QEMU 7.2 for the RPCIT second pass of preset 1 (retry variant)', () => {
    const preset = findPreset('s390-rpcit-exhaustion')!;
    const r = bisectVersions(['5.2', '6.2', '7.0', '7.1', '7.2', '8.0', '9.0', '10.0'], (version) => {
      const planned = presetPlan(preset, [`host.qemu.version=${version}`, 'durationMs=300']);
      if (!planned.ok) throw new Error(planned.problems.join('\n'));
      const plan = { ...planned.plan, variants: planned.plan.variants.filter((v) => v.name === 'retry') };
      return new PlanRun(plan).runToEnd().metrics['retry:s390.shadow.retryPasses']! > 0 ? 1 : 0;
    });
    expect(r.firstChange).toBe('7.2');
  });
});
