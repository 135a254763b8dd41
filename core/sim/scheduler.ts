// What a component needs from the simulation to take part in it: the clock, registration and
// scheduling. Components depend on this interface, not on Simulation, so the kernel has no cycles.
// Must not: grow into a service locator; add only what every component needs.

import type { DurationNs, SimTimeNs } from './simTime';

export interface SimComponent {
  handleEvent(kind: number, a: number, b: number): void;
}

/** Default priority: lower numbers run first among events at the same time. */
export const PRIORITY_NORMAL = 100;
export const PRIORITY_EARLY = 10;
export const PRIORITY_LATE = 200;

export interface Scheduler {
  readonly now: SimTimeNs;
  register(component: SimComponent): number;
  schedule(delay: DurationNs | 0, handler: number, kind: number, a?: number, b?: number, priority?: number): void;
  scheduleAt(at: SimTimeNs, handler: number, kind: number, a?: number, b?: number, priority?: number): void;
}
