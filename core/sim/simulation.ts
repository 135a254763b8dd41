// One simulation instance: the clock, the event queue, the PRNG, the timeline and the cost table.
// Every component of a run is owned by (and registered with) exactly one Simulation; nothing is
// module-level. Events dispatch to `handleEvent(kind, a, b)` of the registered component by index,
// so the hot loop creates no closures.
// Must not: read a wall clock; a host decides how many events to run per step (progress, cancel).

import { EventQueue } from './eventQueue';
import { Prng } from './prng';
import { type DurationNs, type SimTimeNs, SIM_TIME_ZERO } from './simTime';
import { TimelineRecorder } from './timelineRecorder';
import type { CostTable } from './costTable';
import { CounterSampler } from './counterSampler';
import { PRIORITY_NORMAL, type Scheduler, type SimComponent } from './scheduler';

export { PRIORITY_EARLY, PRIORITY_LATE, PRIORITY_NORMAL, type SimComponent } from './scheduler';

export interface SimulationOptions {
  readonly seed: number;
  readonly costs: CostTable;
  readonly maxTimelineEvents?: number;
  /** Record into this timeline (shared by the variants of one run plan) instead of a new one. */
  readonly timeline?: TimelineRecorder;
  /** Prefix of counter series names (the variant's name). */
  readonly counterPrefix?: string;
}

export class Simulation implements Scheduler {
  now: SimTimeNs = SIM_TIME_ZERO;
  // Small at first (it doubles when full; order never depends on capacity): making a large queue
  // was a fifth of building a short run, and most short runs hold a few events at a time.
  readonly queue = new EventQueue(32);
  readonly rng: Prng;
  readonly timeline: TimelineRecorder;
  readonly counters: CounterSampler;
  readonly costs: CostTable;
  private readonly handlers: SimComponent[] = [];
  // Each component's handleEvent, read once at register(). The dispatch site sees every component
  // class of the run, so `handlers[i].handleEvent` was a megamorphic property load per event (the
  // hottest line of step in profiles); calling the stored function with the component as `this`
  // runs the same method without that lookup.
  private readonly handlerFns: SimComponent['handleEvent'][] = [];
  private processed = 0;
  private stopRequested = false;

  constructor(options: SimulationOptions) {
    this.rng = Prng.fromSeed(options.seed);
    this.costs = options.costs;
    this.timeline = options.timeline ?? new TimelineRecorder(options.maxTimelineEvents);
    this.counters = new CounterSampler(this, options.counterPrefix, this.queue);
  }

  /** Events run so far; a counter sample taken in a quiet span counts as one (counterSampler.ts). */
  get eventsProcessed(): number {
    return this.processed + this.counters.coalescedSamples;
  }

  register(component: SimComponent): number {
    this.handlers.push(component);
    this.handlerFns.push(component.handleEvent);
    return this.handlers.length - 1;
  }

  schedule(delay: DurationNs | 0, handler: number, kind: number, a = 0, b = 0, priority = PRIORITY_NORMAL): void {
    this.queue.push((this.now + delay) as SimTimeNs, priority, handler, kind, a, b);
  }

  scheduleAt(at: SimTimeNs, handler: number, kind: number, a = 0, b = 0, priority = PRIORITY_NORMAL): void {
    if (at < this.now) throw new RangeError(`scheduleAt(${at}) is in the past (now ${this.now})`);
    this.queue.push(at, priority, handler, kind, a, b);
  }

  /** Ends the run after the current event (the simulated system decided it is over). */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Runs events whose time is <= `until`, at most `maxEvents` of them.
   * Returns true when the run is over: nothing left before `until`, or stop() was called.
   * On return the clock is at the last event run, or at `until` when the run is over.
   */
  step(until: SimTimeNs, maxEvents: number): boolean {
    const q = this.queue;
    const handlers = this.handlers;
    const fns = this.handlerFns;
    let n = 0;
    let over = false;
    while (n < maxEvents) {
      if (this.stopRequested) {
        over = true;
        break;
      }
      if (q.size === 0 || q.peekTime() > until) {
        this.now = until;
        over = true;
        break;
      }
      q.pop();
      this.now = q.poppedTime;
      const h = q.poppedHandler;
      fns[h]!.call(handlers[h]!, q.poppedKind, q.poppedA, q.poppedB);
      n++;
    }
    this.processed += n;
    return over || this.stopRequested;
  }
}
