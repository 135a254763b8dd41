// A scenario's cost table is resolved once and shared by its runs (costTableOf): it must be what
// resolveCostTable gives for the same overrides (random overrides of random keys), the same frozen
// object on every call, and apart for two scenarios with other overrides.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COST_KEYS, resolveCostTable } from '../sim/costTable';
import type { Scenario } from '../scenario/schema';
import { costTableOf } from './scenarioRun';

const asScenario = (costs: object): Scenario => ({ costs }) as unknown as Scenario;

describe('costTableOf', () => {
  it('is resolveCostTable of the overrides, once per overrides object, frozen', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...COST_KEYS), fc.nat(1_000_000), { maxKeys: 8 }), (costs) => {
        const s = asScenario(costs);
        const table = costTableOf(s);
        expect(table).toEqual(resolveCostTable(costs));
        expect(costTableOf(s)).toBe(table);
        expect(costTableOf({ ...s })).toBe(table);
        expect(Object.isFrozen(table)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps scenarios with other overrides apart', () => {
    const a = costTableOf(asScenario({}));
    const b = costTableOf(asScenario({ [COST_KEYS[0]!]: 12345 }));
    expect(b[COST_KEYS[0]!]).toBe(12345);
    expect(a).toEqual(resolveCostTable({}));
  });
});
