// The counter sampler sized up front (start's expectedSamples) against the one that doubles its
// arrays on the way: the same sample times and values for any interval, number of series and run
// length, also past the expected count and for series defined after start.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulation } from './simulation';
import { resolveCostTable } from './costTable';
import type { DurationNs } from './simTime';

function sampled(series: number, intervalNs: number, untilNs: number, expected: number, lateSeries: boolean) {
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const define = (i: number): void => sim.counters.define(`c${i}`, 'n', () => sim.now * (i + 1) + 0.5);
  for (let i = 0; i < series; i++) define(i);
  sim.counters.start(intervalNs as DurationNs, expected);
  if (lateSeries) define(series);
  sim.step(untilNs as never, Infinity);
  sim.counters.sampleNow();
  return sim.counters.result();
}

describe('CounterSampler', () => {
  it('samples the same with its arrays sized up front', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 0, max: 6000 }),
        fc.boolean(),
        (series, interval, until, expected, late) => {
          expect(sampled(series, interval, until, expected, late)).toEqual(sampled(series, interval, until, 0, late));
        },
      ),
      { numRuns: 100 },
    );
  });
});
