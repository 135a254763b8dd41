import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { resolveCostTable } from '../../../sim/costTable';
import { TimelineRecorder } from '../../../sim/timelineRecorder';
import { EINVAL, EIO, OK } from '../../base/errno';
import { eehPeStateCode, eehPeTransitionAllowed, type EehPeState } from './eehPeState';
import { EehTimeline } from './eehTimeline';
import { HostPe } from './hostPe';
import { VfioEehPeOp } from './vfioEehPeOp';

// Model-based test of one host PE under VFIO_EEH_PE_OP, errors, unavailability and device traffic,
// against a reference written as a plain table of the kernel's rules. After every command: the same
// state, only legal transitions taken, a frozen PE never completes a DMA, MMIO reads all ones exactly
// when MMIO is frozen.

interface Model {
  state: EehPeState;
  armed: Set<string>;
  /** When the current unavailability ends (ns). */
  until: number;
  now: number;
}

interface Real {
  readonly pe: HostPe;
  readonly vfio: VfioEehPeOp;
  readonly transitions: [EehPeState, EehPeState][];
}

const FROZEN: readonly EehPeState[] = ['stopped', 'stopped-dma', 'stopped-mmio'];
const INERT: readonly EehPeState[] = ['unavailable'];

/** The reference: what each op does to the state, and its errno (vfio_spapr_iommu_eeh_ioctl + eeh_pe_*). */
function refOp(m: Model, op: number, flags: number, type: number, func: number): number {
  if (m.state === 'unavailable' && m.now >= m.until) m.state = 'stopped';
  if (flags !== 0) return EINVAL;
  const inert = INERT.includes(m.state);
  switch (op) {
    case 0:
    case 4:
    case 8:
      return OK;
    case 1:
      if (inert) return EIO;
      if (FROZEN.includes(m.state)) m.state = 'normal';
      return OK;
    case 2:
    case 3: {
      if (inert) return EIO;
      const mmio = op === 2;
      const activeStates: EehPeState[] = mmio ? ['normal', 'stopped-dma', 'reset'] : ['normal', 'stopped-mmio', 'reset'];
      if (activeStates.includes(m.state)) return OK;
      if (m.armed.delete(mmio ? 'thaw_mmio' : 'thaw_dma')) return EIO;
      if (m.state === 'stopped') m.state = mmio ? 'stopped-dma' : 'stopped-mmio';
      else m.state = 'normal';
      return OK;
    }
    case 5:
      if (inert) return EIO;
      m.state = 'normal';
      return OK;
    case 6:
    case 7:
      if (inert) return EIO;
      if (m.armed.delete('reset')) {
        m.state = 'stopped';
        return EIO;
      }
      m.state = 'reset';
      return OK;
    case 9:
      if (type !== 0 && type !== 1) return EINVAL;
      if (func < 0 || func > 19) return EINVAL;
      if (inert) return EIO;
      m.state = 'stopped';
      return OK;
    default:
      return EINVAL;
  }
}

function check(m: Model, r: Real): void {
  expect(r.pe.state).toBe(m.state);
  for (const [from, to] of r.transitions) expect(eehPeTransitionAllowed(from, to)).toBe(true);
  const dmaOk = m.state === 'normal' || m.state === 'stopped-mmio';
  const mmioOk = m.state === 'normal' || m.state === 'stopped-dma';
  expect(r.pe.dmaAttempt()).toBe(dmaOk);
  expect(r.pe.mmioRead(4)).toBe(mmioOk ? 0 : 0xffffffff);
  expect(r.pe.mmioWrite()).toBe(mmioOk);
}

class OpCommand implements fc.Command<Model, Real> {
  constructor(
    readonly op: number,
    readonly flags: number,
    readonly type: number,
    readonly func: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    // The host's PHB recovery ends on its own timer (eeh_pe_refreeze_passed); the test plays that timer.
    r.pe.endUnavailable(m.now, () => 1);
    const expected = refOp(m, this.op, this.flags, this.type, this.func);
    const got = r.vfio.run(r.pe, this.op, m.now, { flags: this.flags, errType: this.type, errFunc: this.func });
    expect(got).toBe(expected);
    if (this.op === 4 && got === OK) expect(r.vfio.lastState).toBe(eehPeStateCode(m.state, 'powernv'));
    check(m, r);
  }
  toString(): string {
    return `op(${this.op}, flags ${this.flags}, type ${this.type}, func ${this.func})`;
  }
}

class ErrorCommand implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    r.pe.endUnavailable(m.now, () => 1);
    if (m.state === 'unavailable' && m.now >= m.until) m.state = 'stopped';
    const froze = r.pe.freeze(1, m.now, 'error');
    const before = m.state;
    if (before !== 'stopped' && !INERT.includes(before)) m.state = 'stopped';
    expect(froze).toBe(before !== m.state);
    check(m, r);
  }
  toString(): string {
    return 'error';
  }
}

class UnavailableCommand implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    r.pe.makeUnavailable(m.now + this.ms * 1e6, m.now);
    m.until = m.state === 'unavailable' ? Math.max(m.until, m.now + this.ms * 1e6) : m.now + this.ms * 1e6;
    m.state = 'unavailable';
    check(m, r);
  }
  toString(): string {
    return `unavailable(${this.ms} ms)`;
  }
}

class TimeCommand implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model): void {
    m.now += this.ms * 1e6;
  }
  toString(): string {
    return `wait(${this.ms} ms)`;
  }
}

class ArmCommand implements fc.Command<Model, Real> {
  constructor(readonly step: 'thaw_mmio' | 'thaw_dma' | 'reset') {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    m.armed.add(this.step);
    r.pe.arm(this.step);
  }
  toString(): string {
    return `arm(${this.step})`;
  }
}

const commands = [
  fc
    .tuple(fc.integer({ min: 0, max: 11 }), fc.constantFrom(0, 0, 0, 1), fc.constantFrom(0, 1, 2), fc.integer({ min: -1, max: 20 }))
    .map(([op, flags, type, func]) => new OpCommand(op, flags, type, func)),
  fc.constant(new ErrorCommand()),
  fc.integer({ min: 1, max: 50 }).map((ms) => new UnavailableCommand(ms)),
  fc.integer({ min: 1, max: 100 }).map((ms) => new TimeCommand(ms)),
  fc.constantFrom('thaw_mmio', 'thaw_dma', 'reset').map((s) => new ArmCommand(s as 'thaw_mmio' | 'thaw_dma' | 'reset')),
];

describe('host PE state machine, model-based (VFIO_EEH_PE_OP, errors, unavailability, DMA and MMIO)', () => {
  it('matches the reference table after every command; only legal transitions; a frozen PE never completes DMA', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 60 }), (cmds) => {
        const transitions: [EehPeState, EehPeState][] = [];
        const pe = new HostPe(1, ['dev'], new EehTimeline(new TimelineRecorder()), (_p, from, to) => transitions.push([from, to]));
        const real: Real = { pe, vfio: new VfioEehPeOp(resolveCostTable(), { resetHoldMs: 250, resetSettleMs: 1800 }, false), transitions };
        fc.modelRun(() => ({ model: { state: 'normal' as EehPeState, armed: new Set<string>(), until: 0, now: 0 }, real }), cmds);
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});
