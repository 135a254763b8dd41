// Fires a scenario's faults at their simulated times, in order (equal times in list order), each
// recorded on the timeline as a failure-kind event so a run shows what was injected and when.
// Must not: decide what a fault does (its handler does).

import type { FaultSpec } from '../scenario/faultSchema';
import type { Simulation, SimComponent } from '../sim/simulation';
import { PRIORITY_EARLY } from '../sim/scheduler';
import { msToNs, type SimTimeNs } from '../sim/simTime';
import { runFault, type FaultContext } from './faultRegistry';

export class FaultScheduler implements SimComponent {
  private readonly handler: number;
  private readonly lane: number;
  private readonly kind: number;
  fired = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly faults: readonly FaultSpec[],
    private readonly ctx: FaultContext,
  ) {
    this.handler = sim.register(this);
    this.lane = sim.timeline.defineLane('faults', 'faults');
    // The scenario's injection is the root of what follows (its effects are the failures), not a failure itself.
    this.kind = sim.timeline.defineKind({ name: 'fault.inject', args: [{ name: 'fault', format: 'str' }] });
  }

  start(): void {
    this.faults.forEach((f, i) => this.sim.scheduleAt(msToNs(f.atMs) as number as SimTimeNs, this.handler, 0, i, 0, PRIORITY_EARLY));
  }

  handleEvent(_kind: number, index: number): void {
    const fault = this.faults[index]!;
    const cause = this.sim.timeline.record(this.sim.now, 0, this.lane, this.kind, this.sim.timeline.internString(JSON.stringify(fault)));
    runFault(this.ctx, fault, cause);
    this.fired++;
  }
}
