// A bisect spec is checked field by field (version field, releases in order, catalog metric,
// comparison), the outcome text parses both ways, and a preset run is restricted to one variant.
import { describe, expect, it } from 'vitest';
import { findPreset } from '../scenario/presets';
import { bisectRequest, checkBisectSpec, formatOutcome, outcomeOf, parseOutcome, pinnedBaseProblem, restrictToVariant } from './bisectSpec';
import { prepareRun } from './runRequest';
import type { BisectSpec } from '../contract/experiments';

const spec: BisectSpec = { path: 'host.qemu.version', versions: ['7.1', '7.2'], outcome: { metric: 'dma.mapFailures' } };

describe('bisect specs', () => {
  it('parses and formats outcomes', () => {
    expect(parseOutcome('s390.shadow.retryPasses>0')).toEqual({
      ok: true,
      outcome: { metric: 's390.shadow.retryPasses', op: '>', value: 0 },
    });
    expect(parseOutcome(' dma.mapFailures  !=  2.5 ')).toEqual({ ok: true, outcome: { metric: 'dma.mapFailures', op: '!=', value: 2.5 } });
    expect(parseOutcome('vfio.entriesPeak')).toEqual({ ok: true, outcome: { metric: 'vfio.entriesPeak' } });
    expect(parseOutcome('m > x')).toEqual({ ok: false, problem: '"x" after > is not a number' });
    expect(parseOutcome('a b')).toMatchObject({ ok: false });
    expect(formatOutcome({ metric: 'm', op: '>=', value: 3 })).toBe('m >= 3');
  });

  it('accepts a valid spec and names each bad field', () => {
    expect(checkBisectSpec(spec)).toEqual([]);
    expect(checkBisectSpec({ ...spec, path: 'vms.1.guest.kernelVersion', versions: ['5.10', '6.1', '6.1.5', '6.7'] })).toEqual([]);
    expect(checkBisectSpec({ ...spec, versions: ['11.0', '12.3'] })).toEqual([]);
    expect(checkBisectSpec({ ...spec, path: 'host.qemu.machine' })).toEqual([expect.stringMatching(/^bisect\.path: /)]);
    expect(checkBisectSpec({ ...spec, versions: ['7.2'] })).toEqual(['bisect.versions: give at least two versions, oldest first']);
    expect(checkBisectSpec({ ...spec, versions: ['7.1', '7.1.0'] })).toEqual([
      'bisect.versions.1: "7.1.0" is listed twice (as "7.1" before)',
    ]);
    expect(checkBisectSpec({ ...spec, versions: ['1.7', '7.1'] })).toEqual([
      'bisect.versions.0: QEMU 1.7 is older than the oldest release the lab knows (2.0)',
    ]);
    expect(checkBisectSpec({ ...spec, outcome: { metric: 'retry:dma.mapFailures' } })).toEqual([
      expect.stringMatching(/^bisect\.outcome\.metric: .*variant prefix/),
    ]);
    expect(checkBisectSpec({ ...spec, outcome: { metric: 'dma.mapFailures', op: '>' } })).toEqual([
      'bisect.outcome.value: a comparison > needs a number',
    ]);
  });

  it('reads the outcome of a run: the value, or 1 / 0 with a comparison', () => {
    expect(outcomeOf({ 'dma.mapFailures': 3 }, spec)).toEqual({ ok: true, value: 3 });
    expect(
      outcomeOf({ 'v:dma.mapFailures': 3 }, { ...spec, variant: 'v', outcome: { metric: 'dma.mapFailures', op: '<=', value: 2 } }),
    ).toEqual({
      ok: true,
      value: 0,
    });
    expect(outcomeOf({}, spec)).toEqual({
      ok: false,
      problem: 'the run reports no metric "dma.mapFailures" (this scenario does not produce it)',
    });
  });

  it('runs a preset at a version with only the chosen variant and its claims', () => {
    const s = { ...spec, variant: 'retry' };
    const prepared = restrictToVariant(
      prepareRun(bisectRequest({ preset: 's390-rpcit-exhaustion', overrides: ['durationMs=5'] }, s, '7.2')),
      s,
    );
    if (!prepared.ok) throw new Error(prepared.problems.join('\n'));
    expect(prepared.plan.variants.map((v) => v.name)).toEqual(['retry']);
    expect(prepared.plan.base.host.qemu.version).toBe('7.2');
    expect(prepared.plan.claims.every((c) => !('metric' in c) || c.metric.startsWith('retry:'))).toBe(true);
    expect(findPreset('s390-rpcit-exhaustion')!.variants!.length).toBeGreaterThan(1);
    expect(restrictToVariant(prepareRun({ preset: 's390-rpcit-exhaustion' }), { ...s, variant: 'x' })).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/^bisect\.variant: no variant "x"/)],
    });
  });
});

describe('a base that pins the switches the versions change', () => {
  const s = { path: 'host.qemu.version', versions: ['7.1', '7.2'], outcome: { metric: 'dma.mapFailures' } };
  const raw = { name: 'x', host: { arch: 's390x', qemu: { version: '7.2' } } };

  it("is refused, naming the switches, when every one is set (a stored run's scenario)", () => {
    expect(pinnedBaseProblem({ scenario: raw }, s)).toBeNull();
    const filled = { ...raw, vms: [{ viommu: { s390: { rpcitSecondPass: true } } }] };
    expect(pinnedBaseProblem({ scenario: filled }, s)).toMatch(
      /^bisect\.path: the base scenario sets every switch host\.qemu\.version changes between 7\.1 and 7\.2 \(vms\.0\.viommu\.s390\.rpcitSecondPass\)/,
    );
    expect(pinnedBaseProblem({ scenarioText: JSON.stringify(filled) }, s)).not.toBeNull();
    // One switch left to the version is enough.
    expect(pinnedBaseProblem({ scenario: filled }, { ...s, versions: ['7.1', '8.0'] })).toBeNull();
    expect(pinnedBaseProblem({ preset: 's390-rpcit-exhaustion' }, s)).toBeNull();
  });
});
