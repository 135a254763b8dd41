// The counter sampler against its oracle. Sized up front (start's expectedSamples) against doubling
// its arrays on the way: the same sample times and values for any interval, number of series and
// run length, also past the expected count and for series defined after start. Quiet spans sampled
// in one event against one event per sample (counterSampler.testkit.ts): for random event scripts
// (any priority, ties with sample times, follow-up events, stop(), any step size), the same sample
// times and values of level, delta, rate and time-reading series, the same processed-event count,
// clock and order of every other event.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulation, PRIORITY_EARLY, PRIORITY_LATE, PRIORITY_NORMAL, type SimComponent } from './simulation';
import { resolveCostTable } from './costTable';
import type { DurationNs, SimTimeNs } from './simTime';
import { EagerCounterSampler } from './counterSampler.testkit';
import type { CounterRead, CounterSeriesKind } from './counterSampler';

function sampled(series: number, intervalNs: number, untilNs: number, expected: number, lateSeries: boolean) {
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const define = (i: number): void => sim.counters.define(`c${i}`, 'n', (t) => t * (i + 1) + 0.5);
  for (let i = 0; i < series; i++) define(i);
  sim.counters.start(intervalNs as DurationNs, expected);
  if (lateSeries) define(series);
  sim.step(untilNs as never, Infinity);
  sim.counters.sampleNow();
  return sim.counters.result();
}

interface Act {
  readonly at: number;
  readonly priority: number;
  readonly delta: number;
  /** A follow-up event this long after (it adds 1), or none. */
  readonly follow: number | null;
  readonly followPriority: number;
  readonly stop: boolean;
}

/** A component whose state changes only at its events; it logs every event it runs. */
class ScriptedModel implements SimComponent {
  x = 0;
  readonly log: number[] = [];
  private readonly id: number;
  constructor(
    private readonly sim: Simulation,
    private readonly acts: readonly Act[],
  ) {
    this.id = sim.register(this);
  }
  schedule(): void {
    this.acts.forEach((a, i) => this.sim.scheduleAt(a.at as SimTimeNs, this.id, i, 0, 0, a.priority));
  }
  handleEvent(kind: number, a: number): void {
    this.log.push(this.sim.now, kind, a);
    if (a === 1) {
      this.x += 1;
      return;
    }
    const act = this.acts[kind]!;
    this.x += act.delta;
    if (act.follow !== null) this.sim.schedule(act.follow as DurationNs, this.id, kind, 1, 0, act.followPriority);
    if (act.stop) this.sim.stop();
  }
}

/** Level, delta (memory of its own), rate over the interval (memory + time) and a time-reading series. */
function seriesOf(model: ScriptedModel): [string, CounterRead, CounterSeriesKind][] {
  let lastX = 0;
  let lastT = 0;
  let lastRateX = 0;
  return [
    ['level', () => model.x, 'level'],
    [
      'delta',
      () => {
        const d = model.x - lastX;
        lastX = model.x;
        return d;
      },
      'reading',
    ],
    [
      'rate',
      (t) => {
        const dt = t - lastT;
        const r = dt > 0 ? ((model.x - lastRateX) * 1e9) / dt : 0;
        lastT = t;
        lastRateX = model.x;
        return r;
      },
      'reading',
    ],
    ['time', (t) => t * 2 + model.x, 'reading'],
  ];
}

function runScript(acts: readonly Act[], intervalNs: number, endNs: number, maxEvents: number, samplerFirst: boolean, eager: boolean) {
  const sim = new Simulation({ seed: 7, costs: resolveCostTable() });
  const model = new ScriptedModel(sim, acts);
  const oracle = eager ? new EagerCounterSampler(sim) : null;
  for (const [name, read, kind] of seriesOf(model)) {
    if (oracle !== null) oracle.define(name, 'n', read);
    else sim.counters.define(name, 'n', read, kind);
  }
  const startSampler = (): void => {
    if (oracle !== null) oracle.start(intervalNs as DurationNs);
    else sim.counters.start(intervalNs as DurationNs, endNs / intervalNs + 2, endNs as SimTimeNs);
  };
  if (samplerFirst) startSampler();
  model.schedule();
  if (!samplerFirst) startSampler();
  while (!sim.step(endNs as SimTimeNs, maxEvents));
  if (oracle !== null) oracle.sampleNow();
  else sim.counters.sampleNow();
  return {
    counters: oracle !== null ? oracle.result() : sim.counters.result(),
    events: sim.eventsProcessed,
    now: sim.now,
    log: model.log,
    x: model.x,
  };
}

const priority = fc.constantFrom(PRIORITY_EARLY, PRIORITY_NORMAL, PRIORITY_LATE);
const act = (maxT: number): fc.Arbitrary<Act> =>
  fc.record({
    at: fc.integer({ min: 0, max: maxT }),
    priority,
    delta: fc.integer({ min: -3, max: 5 }),
    follow: fc.option(fc.integer({ min: 0, max: 300 }), { nil: null }),
    followPriority: priority,
    stop: fc.integer({ min: 0, max: 30 }).map((v) => v === 0),
  });

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

  it('samples quiet spans in one event as it samples them one event each', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.array(act(3200), { maxLength: 25 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        (interval, end, acts, maxEvents, samplerFirst) => {
          const fast = runScript(acts, interval, end, maxEvents, samplerFirst, false);
          expect(fast).toEqual(runScript(acts, interval, end, maxEvents, samplerFirst, true));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('takes a run with nothing but samples in one event', () => {
    const fast = runScript([], 10, 10_000, 1_000_000, true, false);
    expect(fast.counters[0]!.tNs.length).toBe(1001);
    expect(fast.events).toBe(1001);
    expect(fast).toEqual(runScript([], 10, 10_000, 1_000_000, true, true));
  });
});
