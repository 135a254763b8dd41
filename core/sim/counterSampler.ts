// Counters sampled over simulated time (VFIO entries in use, locked bytes, flush-queue depth,
// IOPS...): each series is read at a fixed interval into a growable array. Readers are registered
// once at setup, so sampling costs one call per series per interval.
// Quiet spans: nothing but events changes what a series reads, so when the sampler's event finds
// the next pending event (or the run's end) several intervals away, it takes the samples of that
// span right then, each at its own sample time, and schedules itself at the first sample time it
// did not take. Each sample taken so counts as one processed event (coalescedSamples), as when
// every sample was an event of its own: sample times, values, event counts and the order of every
// other event are those of one event per sample (counterSampler.testkit.ts keeps that sampler as
// the oracle of counterSampler.test.ts).
// Must not: sample from outside the event loop (it schedules itself like any component); read a
// series anywhere but at its sample time (a series reads the time it is given, never the clock).

import { PRIORITY_LATE, type Scheduler, type SimComponent } from './scheduler';
import type { DurationNs, SimTimeNs } from './simTime';

/** One sampled counter: its name, unit, and values at the sample times (ns). */
export interface CounterSeries {
  readonly name: string;
  readonly unit: string;
  readonly tNs: readonly number[];
  readonly values: readonly number[];
}

/**
 * Reads a series at sample time `tNs` (ns). It may depend on the simulated state, on what the
 * reader itself remembers of its earlier reads (a per-interval delta) and on `tNs`, but not on the
 * clock: a quiet span's samples are read one after the other, at their own times, by one event.
 */
export type CounterRead = (tNs: number) => number;

/**
 * How a quiet span reads a series. 'level': a function of the simulated state alone (no memory of
 * its own, no use of the time), read once for the whole span. 'reading' (the default): read at
 * every sample time of the span, in order (a delta since the last read, a rate over the interval).
 * A series' memory is its own: series are read one after the other, each over the whole span.
 */
export type CounterSeriesKind = 'level' | 'reading';

/** The pending events, as far as the sampler looks at them (the simulation's EventQueue). */
export interface PendingEvents {
  readonly size: number;
  peekTime(): SimTimeNs;
}

interface SeriesState {
  readonly name: string;
  readonly unit: string;
  readonly read: CounterRead;
  readonly level: boolean;
  values: Float64Array;
}

const SAMPLE = 0;
/** Most samples start() sizes the arrays for. */
const PRESIZE_MAX = 4096;

export class CounterSampler implements SimComponent {
  private readonly series: SeriesState[] = [];
  // No samples yet: start() sizes the arrays once every series is defined.
  private times = new Float64Array(0);
  private count = 0;
  private intervalNs = 0;
  private handlerId = -1;
  /** The last sample time a quiet span may reach (the run's end); -Infinity: one event per sample. */
  private endNs = Number.NEGATIVE_INFINITY;
  private coalesced = 0;

  /**
   * @param pending the simulation's event queue: with it (and an end given to start()) quiet spans
   *   are sampled in one event; without it every sample is an event.
   */
  constructor(
    private readonly sim: Scheduler,
    private readonly namePrefix = '',
    private readonly pending: PendingEvents | null = null,
  ) {}

  /** Samples taken in a quiet span by an earlier sample's event: each counts as one processed event. */
  get coalescedSamples(): number {
    return this.coalesced;
  }

  /** Adds a series; call before start(). */
  define(name: string, unit: string, read: CounterRead, kind: CounterSeriesKind = 'reading'): void {
    this.series.push({ name: this.namePrefix + name, unit, read, level: kind === 'level', values: new Float64Array(this.times.length) });
  }

  /**
   * Starts sampling every `intervalNs` from time 0. `expectedSamples` (the run's length over the
   * interval, plus the final sample) sizes the arrays once (up to PRESIZE_MAX samples: a run that
   * ends early wastes little) instead of doubling them on the way; more samples still fit (they grow).
   * `endNs`: the last time the run's steps go to (samples after it are never taken); given, a
   * quiet span is sampled by one event (see the header).
   */
  start(intervalNs: DurationNs, expectedSamples = 0, endNs?: SimTimeNs): void {
    if (intervalNs <= 0) throw new RangeError('counter sampling interval must be positive');
    if (endNs !== undefined && this.pending !== null) this.endNs = endNs;
    const want = Math.min(PRESIZE_MAX, Math.ceil(expectedSamples));
    if (want > this.times.length && this.count === 0) this.resize(want);
    this.intervalNs = intervalNs;
    this.handlerId = this.sim.register(this);
    this.sim.schedule(0, this.handlerId, SAMPLE, 0, 0, PRIORITY_LATE);
  }

  handleEvent(): void {
    this.sampleNow();
    // The next sample time, as schedule(intervalNs) from now would make it.
    let next = this.sim.now + this.intervalNs;
    if (next <= this.endNs) {
      // Samples before the next pending event (and up to the end) read what they would read as
      // events of their own: nothing runs in between. A pending event at this very time (after
      // this one) leaves no quiet span; neither does one before the next sample.
      const pending = this.pending!;
      const quietBefore = pending.size === 0 ? Number.POSITIVE_INFINITY : pending.peekTime();
      const first = this.count;
      let n = first;
      while (next < quietBefore && next <= this.endNs) {
        if (n === this.times.length) this.grow();
        this.times[n++] = next;
        next += this.intervalNs;
      }
      if (n > first) this.takeSpan(first, n);
    }
    // Scheduled even past the end, as ever: the queue holds what it held with one event per sample.
    this.sim.scheduleAt(next as SimTimeNs, this.handlerId, SAMPLE, 0, 0, PRIORITY_LATE);
  }

  /** Takes one sample at the current time (also used for the final sample at the end of a run). */
  sampleNow(): void {
    const now = this.sim.now;
    if (this.count > 0 && this.times[this.count - 1] === now) return;
    this.take(now);
  }

  /** Reads every series at the sample times first .. end - 1 (already in `times`) of a quiet span. */
  private takeSpan(first: number, end: number): void {
    const times = this.times;
    for (const s of this.series) {
      const values = s.values;
      if (s.level) values.fill(s.read(times[first]!), first, end);
      else for (let i = first; i < end; i++) values[i] = s.read(times[i]!);
    }
    this.coalesced += end - first;
    this.count = end;
  }

  private take(tNs: number): void {
    const i = this.count;
    if (i === this.times.length) this.grow();
    this.times[i] = tNs;
    for (const s of this.series) s.values[i] = s.read(tNs);
    this.count = i + 1;
  }

  result(): CounterSeries[] {
    const t = toArray(this.times, this.count);
    return this.series.map((s) => ({ name: s.name, unit: s.unit, tNs: t, values: toArray(s.values, this.count) }));
  }

  private grow(): void {
    this.resize(Math.max(256, this.times.length * 2));
  }

  /**
   * Arrays of `next` samples holding what was taken: the times and every series are views of one
   * ArrayBuffer (a typed array with a backing store of its own costs V8 far more to make and collect).
   */
  private resize(next: number): void {
    const buf = new ArrayBuffer(8 * next * (1 + this.series.length));
    const t = new Float64Array(buf, 0, next);
    t.set(this.times);
    this.times = t;
    this.series.forEach((s, i) => {
      const v = new Float64Array(buf, 8 * next * (1 + i), next);
      v.set(s.values);
      s.values = v;
    });
  }
}

/** The first `n` elements as a plain array (a loop: Array.from over a typed array goes through its iterator). */
function toArray(a: Float64Array, n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = a[i]!;
  return out;
}
