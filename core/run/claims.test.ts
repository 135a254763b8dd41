import { describe, expect, it } from 'vitest';
import { evaluateClaims } from './claims';
import type { ClaimSpec } from '../scenario/claimSpec';

const base = { id: 'c', text: 't', source: 's', tolerance: 0 } as const;
const claim = (over: Partial<ClaimSpec>): ClaimSpec => ({ ...base, metric: 'm', op: '>=', value: 1, ...over }) as ClaimSpec;

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

  it('never passes a claim whose metric the run did not produce', () => {
    const [r] = evaluateClaims([claim({ metric: 'missing' })], {});
    expect(r).toMatchObject({ holds: false, measured: null, note: 'metric missing was not produced by this run' });
  });
});
