import { describe, expect, it } from 'vitest';
import { evaluateClaims } from './claims';
import type { MetricClaimSpec, StepClaimSpec } from '../scenario/claimSpec';

const base = { id: 'c', text: 't', source: 's', tolerance: 0 } as const;
const claim = (over: Partial<MetricClaimSpec>): MetricClaimSpec =>
  ({ ...base, metric: 'm', op: '>=', value: 1, ...over }) as MetricClaimSpec;
const stepClaim = (over: Partial<StepClaimSpec>): StepClaimSpec => ({ id: 'c', text: 't', source: 's', step: 0, errno: null, ...over });

describe('claims are checked against measured metrics', () => {
  it('compares a metric with each operator', () => {
    const m = { m: 5 };
    expect(
      evaluateClaims([claim({ op: '>', value: 4 }), claim({ op: '<', value: 4 }), claim({ op: '==', value: 5 })], m).map((c) => c.holds),
    ).toEqual([true, false, true]);
  });

  it('checks a ratio of two metrics, with tolerance', () => {
    const [r] = evaluateClaims([claim({ metric: 'a', per: 'b', op: 'between', value: 0.45, valueMax: 0.55 })], { a: 56, b: 100 });
    expect(r).toMatchObject({ holds: false, measured: 0.56 });
    const [s] = evaluateClaims([claim({ metric: 'a', per: 'b', op: 'between', value: 0.45, valueMax: 0.55, tolerance: 0.02 })], {
      a: 56,
      b: 100,
    });
    expect(s!.holds).toBe(true);
  });

  it('checks what an ops step returned: errno, and the output when given', () => {
    const ops = [
      { op: 'vfio.map', ok: false, errno: 'EEXIST', ret: null },
      { op: 'vfio.unmap', ok: true, errno: null, ret: 4096 },
    ];
    const [a, b, c, d] = evaluateClaims(
      [
        stepClaim({ step: 0, errno: 'EEXIST' }),
        stepClaim({ step: 1, errno: null, ret: 4096 }),
        stepClaim({ step: 1, errno: null, ret: 0 }),
        stepClaim({ step: 5 }),
      ],
      {},
      ops,
    );
    expect([a!.holds, b!.holds, c!.holds, d!.holds]).toEqual([true, true, false, false]);
    expect(b!.measured).toBe(4096);
    expect(c!.note).toContain('returned success with 4096');
    expect(d!.note).toBe('the run has no step 5');
  });

  it('never passes a claim whose metric the run did not produce', () => {
    const [r] = evaluateClaims([claim({ metric: 'missing' })], {});
    expect(r).toMatchObject({ holds: false, measured: null, note: 'metric missing was not produced by this run' });
  });

  it('names the metric a claim measures and the unit of the measured value, from the metric catalog', () => {
    const [plain, variant, ratio, step] = evaluateClaims(
      [
        claim({ metric: 'io.latencyP99Us' }),
        claim({ metric: 'lazy:vfio.entriesPeak' }),
        claim({ metric: 'vmexits', per: 'io.completed' }),
        stepClaim({ step: 0 }),
      ],
      { 'io.latencyP99Us': 12, 'lazy:vfio.entriesPeak': 3, vmexits: 10, 'io.completed': 5 },
      [{ op: 'vfio.getInfo', ok: true, errno: null, ret: 1 }],
    );
    expect(plain).toMatchObject({ metric: 'io.latencyP99Us', unit: 'us' });
    expect(variant).toMatchObject({ metric: 'lazy:vfio.entriesPeak', unit: 'entries' });
    expect(ratio).toMatchObject({ metric: 'vmexits', per: 'io.completed', unit: 'exits per IOs', measured: 2 });
    expect(step).not.toHaveProperty('metric');
    expect(step).toMatchObject({ unit: 'value', measured: 1 });
  });

  it('gives a metric the catalog does not know an empty unit, and keeps naming it when it is missing', () => {
    const [r] = evaluateClaims([claim({ metric: 'missing' })], {});
    expect(r).toMatchObject({ metric: 'missing', unit: '', measured: null });
  });
});
