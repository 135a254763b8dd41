// Counters sampled over simulated time (VFIO entries in use, locked bytes, flush-queue depth,
// IOPS...): each series is read at a fixed interval into a growable array. Readers are registered
// once at setup, so sampling costs one call per series per interval.
// Must not: sample from outside the event loop (it schedules itself like any component).

import { PRIORITY_LATE, type Scheduler, type SimComponent } from './scheduler';
import type { DurationNs } from './simTime';

/** One sampled counter: its name, unit, and values at the sample times (ns). */
export interface CounterSeries {
  readonly name: string;
  readonly unit: string;
  readonly tNs: readonly number[];
  readonly values: readonly number[];
}

interface SeriesState {
  readonly name: string;
  readonly unit: string;
  readonly read: () => number;
  values: Float64Array;
}

const SAMPLE = 0;
/** Most samples start() sizes the arrays for. */
const PRESIZE_MAX = 4096;

export class CounterSampler implements SimComponent {
  private readonly series: SeriesState[] = [];
  private times = new Float64Array(256);
  private count = 0;
  private intervalNs = 0;
  private handlerId = -1;

  constructor(
    private readonly sim: Scheduler,
    private readonly namePrefix = '',
  ) {}

  /** Adds a series; call before start(). */
  define(name: string, unit: string, read: () => number): void {
    this.series.push({ name: this.namePrefix + name, unit, read, values: new Float64Array(this.times.length) });
  }

  /**
   * Starts sampling every `intervalNs` from time 0. `expectedSamples` (the run's length over the
   * interval, plus the final sample) sizes the arrays once (up to PRESIZE_MAX samples: a run that
   * ends early wastes little) instead of doubling them on the way; more samples still fit (they grow).
   */
  start(intervalNs: DurationNs, expectedSamples = 0): void {
    if (intervalNs <= 0) throw new RangeError('counter sampling interval must be positive');
    const want = Math.min(PRESIZE_MAX, Math.ceil(expectedSamples));
    if (want > this.times.length && this.count === 0) this.resize(want);
    this.intervalNs = intervalNs;
    this.handlerId = this.sim.register(this);
    this.sim.schedule(0, this.handlerId, SAMPLE, 0, 0, PRIORITY_LATE);
  }

  handleEvent(): void {
    this.sampleNow();
    this.sim.schedule(this.intervalNs as DurationNs, this.handlerId, SAMPLE, 0, 0, PRIORITY_LATE);
  }

  /** Takes one sample at the current time (also used for the final sample at the end of a run). */
  sampleNow(): void {
    if (this.count > 0 && this.times[this.count - 1] === this.sim.now) return;
    if (this.count === this.times.length) this.grow();
    this.times[this.count] = this.sim.now;
    for (const s of this.series) s.values[this.count] = s.read();
    this.count++;
  }

  result(): CounterSeries[] {
    const t = toArray(this.times, this.count);
    return this.series.map((s) => ({ name: s.name, unit: s.unit, tNs: t, values: toArray(s.values, this.count) }));
  }

  private grow(): void {
    this.resize(this.times.length * 2);
  }

  private resize(next: number): void {
    const t = new Float64Array(next);
    t.set(this.times);
    this.times = t;
    for (const s of this.series) {
      const v = new Float64Array(next);
      v.set(s.values);
      s.values = v;
    }
  }
}

/** The first `n` elements as a plain array (a loop: Array.from over a typed array goes through its iterator). */
function toArray(a: Float64Array, n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = a[i]!;
  return out;
}
