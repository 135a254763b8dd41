import { describe, expect, it } from 'vitest';
import { Simulation, type SimComponent } from './simulation';
import { resolveCostTable } from './costTable';
import type { SimTimeNs } from './simTime';

class Ticker implements SimComponent {
  readonly seen: number[] = [];
  readonly id: number;
  constructor(
    private readonly sim: Simulation,
    private readonly everyNs: number,
  ) {
    this.id = sim.register(this);
  }
  handleEvent(kind: number): void {
    this.seen.push(this.sim.now);
    if (kind === 0) this.sim.schedule(this.everyNs as never, this.id, 0);
  }
}

const make = () => new Simulation({ seed: 1, costs: resolveCostTable() });

describe('Simulation.step', () => {
  it('runs events up to `until` and leaves the clock there', () => {
    const sim = make();
    const ticker = new Ticker(sim, 10);
    sim.schedule(0, ticker.id, 0);
    expect(sim.step(35 as SimTimeNs, 1000)).toBe(true);
    expect(ticker.seen).toEqual([0, 10, 20, 30]);
    expect(sim.now).toBe(35);
    expect(sim.eventsProcessed).toBe(4);
  });

  it('dispatches each event to the method of the component it was scheduled for, with that component as this', () => {
    const sim = make();
    const a = new Ticker(sim, 10);
    const b = new Ticker(sim, 15);
    const log: string[] = [];
    const other: SimComponent = { handleEvent: (kind, x, y) => log.push(`${kind}:${x}:${y}@${sim.now}`) };
    const otherId = sim.register(other);
    sim.schedule(0, a.id, 0);
    sim.schedule(0, b.id, 0);
    sim.schedule(7 as never, otherId, 3, 1.5, 2 ** 60);
    sim.step(31 as SimTimeNs, 1000);
    expect(a.seen).toEqual([0, 10, 20, 30]);
    expect(b.seen).toEqual([0, 15, 30]);
    expect(log).toEqual([`3:1.5:${2 ** 60}@7`]);
  });

  it('stops after maxEvents and resumes where it left off', () => {
    const sim = make();
    const ticker = new Ticker(sim, 10);
    sim.schedule(0, ticker.id, 0);
    expect(sim.step(1000 as SimTimeNs, 2)).toBe(false);
    expect(ticker.seen).toEqual([0, 10]);
    expect(sim.step(25 as SimTimeNs, 100)).toBe(true);
    expect(ticker.seen).toEqual([0, 10, 20]);
  });

  it('ends the run when a component calls stop()', () => {
    const sim = make();
    const stopper: SimComponent = { handleEvent: () => sim.stop() };
    const id = sim.register(stopper);
    sim.schedule(5 as never, id, 0);
    sim.schedule(50 as never, id, 0);
    expect(sim.step(1000 as SimTimeNs, 1000)).toBe(true);
    expect(sim.now).toBe(5);
  });

  it('refuses to schedule in the past', () => {
    const sim = make();
    const ticker = new Ticker(sim, 10);
    sim.schedule(20 as never, ticker.id, 1);
    sim.step(1000 as SimTimeNs, 10);
    expect(() => sim.scheduleAt(5 as SimTimeNs, ticker.id, 1)).toThrow(RangeError);
  });
});
