import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EEH_RECOVERY_STEPS } from '../../../scenario/faultSchema';
import { eehPeDmaEnabled, eehPeTransitionAllowed, type EehPeState } from './eehPeState';
import { eehWorld, MS, S, type EehWorld } from './eehTestWorld.testkit';
import type { EehRecoveryStep } from './hostPe';

// Model-based test of the EEH system with the guest recovering by itself: random errors, step
// failures, unavailability, DMA and MMIO by the devices, and time passing. The reference is the
// small set of rules the system must keep whatever happens:
// - only legal state transitions are ever taken;
// - a frozen PE never completes a DMA (checked against the state before each attempt);
// - fan-out: once the notification latency has passed, the host PEs of a guest PE agree (an
//   unavailable one aside: the host, not QEMU, holds it);
// - every recovery ends Recovered or Permanent, and once the system has been left alone long enough
//   every guest PE is entirely Normal, or removed by its guest (the host PEs then stay as the guest
//   left them: the host is never told).

type Cmd = fc.Command<Model, Real>;

interface Model {
  now: number;
  /** Time of the last error freeze a command caused (fan-out agreement is checked after the notification latency). */
  lastErrorNs: number;
}

interface Real {
  readonly w: EehWorld;
  readonly mapping: 'fan-out' | 'naive';
}

const DEVICES = ['nvme0', 'nvme1', 'dev2'];

function invariants(m: Model, r: Real, settled: boolean): void {
  const eeh = r.w.eeh;
  expect(eeh.checkInvariants()).toEqual([]);
  for (const [from, to] of transitionsFromTimeline(r)) expect(eehPeTransitionAllowed(from, to)).toBe(true);
  for (const o of eeh.recovery.outcomes) expect(['recovered', 'permanent']).toContain(o.outcome);
  for (const o of eeh.recovery.outcomes.filter((x) => x.outcome === 'permanent')) expect(eeh.guestPe(o.guestPe)!.removed).toBe(true);
  const gpe = eeh.guestPe(1)!;
  if (r.mapping === 'fan-out' && settled && m.now - m.lastErrorNs > r.w.sim.costs.eehNotifyNs) {
    const states = new Set(gpe.hostPes.map((p) => p.state).filter((s) => s !== 'unavailable'));
    expect(states.size).toBeLessThanOrEqual(1);
  }
}

class ErrorCmd implements Cmd {
  constructor(readonly pe: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    if (r.w.eeh.freeze(this.pe, m.now) !== 0) m.lastErrorNs = m.now;
    invariants(m, r, false);
  }
  toString(): string {
    return `error(pe ${this.pe})`;
  }
}

class WaitCmd implements Cmd {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    m.now += this.ms * MS;
    r.w.runTo(m.now);
    invariants(m, r, true);
  }
  toString(): string {
    return `wait(${this.ms} ms)`;
  }
}

class DmaCmd implements Cmd {
  constructor(readonly device: string) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const eeh = r.w.eeh;
    eeh.advanceTo(m.now);
    const state = eeh.hostPeOfDevice(this.device)!.state;
    expect(eeh.dmaAttempt(this.device, m.now)).toBe(eehPeDmaEnabled(state));
    invariants(m, r, false);
  }
  toString(): string {
    return `dma(${this.device})`;
  }
}

class MmioCmd implements Cmd {
  constructor(readonly device: string) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const eeh = r.w.eeh;
    eeh.advanceTo(m.now);
    const frozen = !eeh.hostPeOfDevice(this.device)!.mmioEnabled;
    expect(eeh.mmioRead(this.device, 0, 4, m.now)).toBe(frozen ? 0xffffffff : 0);
    invariants(m, r, false);
  }
  toString(): string {
    return `mmio(${this.device})`;
  }
}

class StepFailsCmd implements Cmd {
  constructor(
    readonly pe: number,
    readonly step: EehRecoveryStep,
  ) {}
  check(): boolean {
    return true;
  }
  run(_m: Model, r: Real): void {
    r.w.eeh.armStepFailure(this.pe, this.step);
  }
  toString(): string {
    return `fails(${this.step} on pe ${this.pe})`;
  }
}

class UnavailableCmd implements Cmd {
  constructor(
    readonly pe: number,
    readonly ms: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    r.w.eeh.makeUnavailable(this.pe, this.ms, m.now);
    invariants(m, r, false);
  }
  toString(): string {
    return `unavailable(pe ${this.pe}, ${this.ms} ms)`;
  }
}

const pe = fc.constantFrom(1, 2, 3);
const commands = [
  pe.map((p) => new ErrorCmd(p)),
  fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1000, max: 120_000 })).map((ms) => new WaitCmd(ms)),
  fc.constantFrom(...DEVICES).map((d) => new DmaCmd(d)),
  fc.constantFrom(...DEVICES).map((d) => new MmioCmd(d)),
  fc.tuple(pe, fc.constantFrom(...EEH_RECOVERY_STEPS)).map(([p, s]) => new StepFailsCmd(p, s)),
  fc.tuple(pe, fc.integer({ min: 1, max: 400_000 })).map(([p, ms]) => new UnavailableCmd(p, ms)),
];

function world(mapping: 'fan-out' | 'naive'): Real {
  const w = eehWorld({
    devices: [
      { name: 'nvme0', kind: 'nvme', hostPe: 1, guestPe: 1 },
      { name: 'nvme1', kind: 'nvme', hostPe: 2, guestPe: 1 },
      { name: 'dev2', kind: 'generic', hostPe: 3, guestPe: 3 },
    ],
    eeh: { guestPeMapping: mapping },
  });
  return { w, mapping };
}

function settledEnd(r: Real, m: Model): void {
  // Leave the system alone long enough for any detection (30 s), wait (300 s) and recovery to finish.
  m.now += 2000 * S;
  r.w.runTo(m.now);
  invariants(m, r, true);
  for (const gpe of r.w.eeh.guestPes) {
    expect(gpe.recovering).toBe(false);
    expect(gpe.allIn('normal') || gpe.removed).toBe(true);
  }
}

/** Every state change the host PEs took, from their eeh.state events on the timeline. */
function transitionsFromTimeline(r: Real): [EehPeState, EehPeState][] {
  const cols = r.w.sim.timeline.columns();
  const kind = cols.kinds.find((k) => k.name === 'eeh.state')!.id;
  const out: [EehPeState, EehPeState][] = [];
  for (let i = 0; i < cols.count; i++) {
    if (cols.kind[i] === kind) out.push([cols.strings[cols.a0[i]!] as EehPeState, cols.strings[cols.a1[i]!] as EehPeState]);
  }
  return out;
}

describe.each(['fan-out', 'naive'] as const)('EEH system with guest recovery, model-based (%s)', (mapping) => {
  it('keeps the PE rules after every command, and ends every guest PE Normal or removed', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 30 }), (cmds) => {
        const real = world(mapping);
        const model: Model = { now: 0, lastErrorNs: -1e18 };
        fc.modelRun(() => ({ model, real }), cmds);
        settledEnd(real, model);
      }),
      { numRuns: 120, seed: 7 },
    );
  });
});
