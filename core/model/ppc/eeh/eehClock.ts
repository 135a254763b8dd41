// The EEH layer's clock: a small queue of timed actions (the guest's recovery steps and sleeps, fan-out
// notifications, the end of an unavailability), run in (time, sequence) order. Attached to the run's
// scheduler it wakes up at each action's time like any component; without one (an ops environment that
// exposes no simulation) actions run when a caller advances the clock past them, which gives the same
// order and times because every EEH entry point advances the clock to its own time first.
// Must not: hold EEH logic; the actions do.

import type { Scheduler, SimComponent } from '../../../sim/scheduler';
import type { SimTimeNs } from '../../../sim/simTime';

interface Action {
  readonly t: number;
  readonly seq: number;
  readonly run: () => void;
}

const WAKE = 0;

export class EehClock implements SimComponent {
  private readonly queue: Action[] = [];
  private seq = 0;
  private current = 0;
  private running = false;
  private handler = -1;

  constructor(private sim: Scheduler | null) {
    if (sim !== null) this.handler = sim.register(this);
  }

  /**
   * Hands the clock to the run's scheduler (a layer first used by an ops script without one, later
   * reached by a fault): pending actions are scheduled there; the clock never goes back in time.
   */
  attach(sim: Scheduler): void {
    if (this.sim !== null) return;
    this.sim = sim;
    this.handler = sim.register(this);
    for (const a of this.queue) sim.scheduleAt(Math.max(a.t, sim.now) as SimTimeNs, this.handler, WAKE);
  }

  /** Whether the run's scheduler drives this clock. */
  get attached(): boolean {
    return this.sim !== null;
  }

  /** The current time, ns: the scheduler's when attached (never behind the last action run). */
  now(): number {
    return this.sim === null ? this.current : Math.max(this.sim.now, this.current);
  }

  /** Runs `run` at `tNs` (not before the current time). */
  at(tNs: number, run: () => void): void {
    const t = Math.max(tNs, this.now());
    const action: Action = { t, seq: this.seq++, run };
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.t > t) i--;
    this.queue.splice(i, 0, action);
    if (this.sim !== null) this.sim.scheduleAt(t as SimTimeNs, this.handler, WAKE);
  }

  /** Runs every action due at or before `tNs`, in order; the clock then reads at least `tNs`. */
  advanceTo(tNs: number): void {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && this.queue[0]!.t <= tNs) {
        const action = this.queue.shift()!;
        this.current = Math.max(this.current, action.t);
        action.run();
      }
    } finally {
      this.running = false;
    }
    this.current = Math.max(this.current, tNs);
  }

  handleEvent(): void {
    this.advanceTo(this.sim!.now);
  }

  /** Actions not run yet. */
  get pending(): number {
    return this.queue.length;
  }

  /** Time of the next action, or null. */
  nextAt(): number | null {
    return this.queue.length === 0 ? null : this.queue[0]!.t;
  }
}
