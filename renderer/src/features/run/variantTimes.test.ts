// A run with variants reports each variant's simulated time (each on its own clock from 0), never their sum.
import { describe, expect, it } from 'vitest';
import { runAxisNs, simulatedText, variantTimes } from './variantTimes';

const variant = (name: string) => ({ name, description: '', set: [] });

describe("a run's simulated time", () => {
  // s390-flush-queue-throughput: variants of 200 ms each; a run stored before this kept their sum.
  const fiveBy200 = {
    variants: ['percpu', 'single', 'strict', 'retry', 'restricted'].map(variant),
    metrics: Object.fromEntries(['percpu', 'single', 'strict', 'retry', 'restricted'].map((v) => [`${v}:sim.simulatedMs`, 200])),
    simulatedNs: 1e9,
  };

  it('is each variant’s own time, never the sum of the variants', () => {
    expect(variantTimes(fiveBy200).map((v) => v.simulatedNs)).toEqual([2e8, 2e8, 2e8, 2e8, 2e8]);
    expect(simulatedText(fiveBy200)).toBe('200 ms in each of 5 variants');
    expect(runAxisNs(fiveBy200)).toBe(2e8);
  });

  it('names each variant when their times differ; the axis is the longest', () => {
    const run = {
      variants: [variant('a'), variant('b')],
      metrics: { 'a:sim.simulatedMs': 0.0085, 'b:sim.simulatedMs': 29.5 },
      simulatedNs: 2e9,
    };
    expect(simulatedText(run)).toBe('a 8.5 us, b 29.5 ms');
    expect(runAxisNs(run)).toBe(29_500_000);
  });

  it('is the run’s simulated time without variants', () => {
    const run = { variants: [], metrics: { 'sim.simulatedMs': 50 }, simulatedNs: 5e7 };
    expect(simulatedText(run)).toBe('50 ms');
    expect(runAxisNs(run)).toBe(5e7);
  });
});
