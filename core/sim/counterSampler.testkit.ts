// The counter sampler as it was before quiet spans were sampled in one event (counterSampler.ts):
// every sample an event of its own, each series read at that event. Kept as the oracle of
// counterSampler.test.ts.
// Must not: be imported outside tests (*.testkit.ts).

import { PRIORITY_LATE, type Scheduler, type SimComponent } from './scheduler';
import type { CounterRead, CounterSeries } from './counterSampler';
import type { DurationNs } from './simTime';

export class EagerCounterSampler implements SimComponent {
  private readonly series: { name: string; unit: string; read: CounterRead; values: number[] }[] = [];
  private readonly times: number[] = [];
  private intervalNs = 0;
  private handlerId = -1;

  constructor(private readonly sim: Scheduler) {}

  define(name: string, unit: string, read: CounterRead): void {
    this.series.push({ name, unit, read, values: [] });
  }

  start(intervalNs: DurationNs): void {
    this.intervalNs = intervalNs;
    this.handlerId = this.sim.register(this);
    this.sim.schedule(0, this.handlerId, 0, 0, 0, PRIORITY_LATE);
  }

  handleEvent(): void {
    this.sampleNow();
    this.sim.schedule(this.intervalNs as DurationNs, this.handlerId, 0, 0, 0, PRIORITY_LATE);
  }

  sampleNow(): void {
    const now = this.sim.now;
    if (this.times.length > 0 && this.times[this.times.length - 1] === now) return;
    this.times.push(now);
    for (const s of this.series) s.values.push(s.read(now));
  }

  result(): CounterSeries[] {
    return this.series.map((s) => ({ name: s.name, unit: s.unit, tNs: [...this.times], values: [...s.values] }));
  }
}
