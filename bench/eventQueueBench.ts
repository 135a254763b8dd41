// Event kernel benches: the "hold" model (keep N events pending; pop the earliest, push one at a
// random later time) on the lab's EventQueue and on a bare heap doing the same heap work, plus the
// Simulation dispatch loop with a trivial component.

import { EventQueue } from '../core/sim/eventQueue';
import { Simulation, type SimComponent } from '../core/sim/simulation';
import { resolveCostTable } from '../core/sim/costTable';
import type { DurationNs, SimTimeNs } from '../core/sim/simTime';
import { BareHeap } from './bareHeap';
import type { Measure } from './harness';

const PENDING = 10_000;
const HOLD_OPS = 1_000_000;
const DELAYS = new Float64Array(4096).map((_, i) => 1 + ((i * 2654435761) % 10_000));

export function eventQueueMeasures(): Measure[] {
  let q = new EventQueue(PENDING * 2);
  let bare = new BareHeap(PENDING * 2);
  return [
    {
      name: 'EventQueue hold (time, priority, seq + payload)',
      items: HOLD_OPS,
      unit: 'push+pop',
      setup: () => {
        q = new EventQueue(PENDING * 2);
        for (let i = 0; i < PENDING; i++) q.push(DELAYS[i & 4095]! as SimTimeNs, 100, 0, 0, i, 0);
      },
      fn: () => {
        for (let i = 0; i < HOLD_OPS; i++) {
          q.pop();
          q.push((q.poppedTime + DELAYS[i & 4095]!) as SimTimeNs, 100, q.poppedHandler, q.poppedKind, q.poppedA, 0);
        }
      },
    },
    {
      name: 'bare heap hold (time keys only)',
      items: HOLD_OPS,
      unit: 'push+pop',
      setup: () => {
        bare = new BareHeap(PENDING * 2);
        for (let i = 0; i < PENDING; i++) bare.push(DELAYS[i & 4095]!);
      },
      fn: () => {
        for (let i = 0; i < HOLD_OPS; i++) bare.push(bare.pop() + DELAYS[i & 4095]!);
      },
    },
  ];
}

class Ticker implements SimComponent {
  readonly id: number;
  private i = 0;
  constructor(private readonly sim: Simulation) {
    this.id = sim.register(this);
  }
  handleEvent(kind: number): void {
    this.sim.schedule(DELAYS[this.i++ & 4095]! as DurationNs, this.id, kind);
  }
}

export function dispatchMeasure(): Measure {
  const events = 1_000_000;
  return {
    name: 'Simulation dispatch (10k pending, trivial handler)',
    items: events,
    unit: 'events',
    fn: () => {
      const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
      const t = new Ticker(sim);
      for (let i = 0; i < PENDING; i++) sim.schedule(DELAYS[i & 4095]! as DurationNs, t.id, 0);
      sim.step(Number.MAX_SAFE_INTEGER as SimTimeNs, events);
    },
  };
}
