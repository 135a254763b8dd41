// One host PE (a PowerNV partitionable endpoint = one IOMMU group passed to the VM): its EEH state, what
// the devices in it see while it is frozen (MMIO reads return all ones of the access width, writes are
// dropped, DMA stops), the serial of its last error event, and recovery-step failures armed on it.
// The freeze counter that decides permanent failure is the guest kernel's, per guest PE
// (eehFreezeWindow.ts): the host's EEH core leaves passed-through PEs to their owner
// (eeh_dev_check_failure returns early for eeh_pe_passed PEs).
// Must not: take a transition the state table refuses (that is a programmer error and throws), or
// decide recovery (eehGuestRecovery.ts) or how QEMU maps guest calls onto host PEs (qemuSpaprEeh.ts).

import type { EEH_RECOVERY_STEPS } from '../../../scenario/faultSchema';
import { NO_CAUSE } from '../../../sim/timelineRecorder';
import { type EehPeState, eehPeDmaEnabled, eehPeMmioEnabled, eehPeTransitionAllowed } from './eehPeState';
import type { EehTimeline } from './eehTimeline';

export type EehRecoveryStep = (typeof EEH_RECOVERY_STEPS)[number];
export type FreezeOrigin = 'error' | 'fan-out';

/** MMIO access widths (readb/readw/readl/readq). */
export type MmioWidth = 1 | 2 | 4 | 8;

const ALL_ONES_64 = 0xffff_ffff_ffff_ffffn;

/**
 * EEH_IO_ERROR_VALUE(size) = ~0U >> ((4 - size) * 8) for 1, 2 and 4 bytes; an 8-byte read of a frozen
 * PE returns (u64)~0 (eeh_readq compares against it), which a JS number cannot hold: a bigint.
 */
export function eehIoErrorValue(widthBytes: MmioWidth): number | bigint {
  return widthBytes === 8 ? ALL_ONES_64 : 0xffff_ffff >>> ((4 - widthBytes) * 8);
}

export type HostPeListener = (pe: HostPe, from: EehPeState, to: EehPeState, tNs: number) => void;

export class HostPe {
  readonly lane: number;
  private current: EehPeState = 'normal';
  private readonly armed = new Set<EehRecoveryStep>();
  /** Serial of the error event that last froze this PE (0: none yet). */
  lastSerial = 0;
  /** Timeline event of that freeze (a cause for what follows). */
  lastFreezeEvent = NO_CAUSE;
  /** When the current unavailability ends, ns (meaningful in state unavailable). */
  unavailableUntilNs = 0;
  errorFreezes = 0;
  fanOutFreezes = 0;
  allOnesReads = 0;
  writesDropped = 0;
  dmaBlocked = 0;
  transitions = 0;

  constructor(
    readonly number: number,
    readonly devices: readonly string[],
    private readonly tl: EehTimeline,
    private readonly listener: HostPeListener | null = null,
  ) {
    this.lane = tl.hostPeLane(number);
  }

  get state(): EehPeState {
    return this.current;
  }

  /** Takes a transition of the state table (a no-op to the same state); refusing one is a programmer error. */
  setState(to: EehPeState, tNs: number, cause = NO_CAUSE): void {
    const from = this.current;
    if (from === to) return;
    if (!eehPeTransitionAllowed(from, to)) throw new Error(`host PE ${this.number}: illegal EEH transition ${from} -> ${to}`);
    this.current = to;
    this.transitions++;
    this.tl.state(this.lane, tNs, from, to, cause);
    this.listener?.(this, from, to, tNs);
  }

  /**
   * An error (or an injected one) freezes the PE: MMIO and DMA stop. Returns false when nothing changes:
   * the PE is already fully stopped, or unavailable.
   */
  freeze(serial: number, tNs: number, origin: FreezeOrigin, cause = NO_CAUSE): boolean {
    const s = this.current;
    if (s === 'stopped' || s === 'unavailable') return false;
    this.lastSerial = serial;
    this.lastFreezeEvent = this.tl.freeze(this.lane, tNs, serial, origin, cause);
    if (origin === 'error') this.errorFreezes++;
    else this.fanOutFreezes++;
    this.setState('stopped', tNs, this.lastFreezeEvent);
    this.onFreeze?.(this, serial, origin, tNs);
    return true;
  }

  /** The host recovers the PHB above this PE until `untilNs`: the state is unavailable meanwhile. */
  makeUnavailable(untilNs: number, tNs: number, cause = NO_CAUSE): boolean {
    this.unavailableUntilNs = Math.max(untilNs, this.current === 'unavailable' ? this.unavailableUntilNs : 0);
    this.setState('unavailable', tNs, cause);
    return true;
  }

  /**
   * eeh_pe_refreeze_passed: the host finished recovering the PHB and the passed-through PE comes back
   * frozen. For its owner that is an error like any other: a new error event with `serial`.
   */
  endUnavailable(tNs: number, serial: () => number): void {
    if (this.current !== 'unavailable' || tNs < this.unavailableUntilNs) return;
    const n = serial();
    this.lastSerial = n;
    this.lastFreezeEvent = this.tl.freeze(this.lane, tNs, n, 'error', NO_CAUSE);
    this.errorFreezes++;
    this.setState('stopped', tNs, this.lastFreezeEvent);
    this.onFreeze?.(this, n, 'error', tNs);
  }

  get mmioEnabled(): boolean {
    return eehPeMmioEnabled(this.current);
  }

  get dmaEnabled(): boolean {
    return eehPeDmaEnabled(this.current);
  }

  /** A driver's MMIO read: all ones of the width while MMIO is frozen, else 0 (device registers are not modelled). */
  mmioRead(widthBytes: MmioWidth): number | bigint {
    if (this.mmioEnabled) return widthBytes === 8 ? 0n : 0;
    this.allOnesReads++;
    return eehIoErrorValue(widthBytes);
  }

  /** A driver's MMIO write; false when the frozen PE drops it. */
  mmioWrite(): boolean {
    if (this.mmioEnabled) return true;
    this.writesDropped++;
    return false;
  }

  /** A DMA by a device of this PE; false (and counted) when the PE is frozen: it never completes. */
  dmaAttempt(): boolean {
    if (this.dmaEnabled) return true;
    this.dmaBlocked++;
    return false;
  }

  /** Arms a one-shot failure of `step` on this PE (fault eeh-recovery-step-fails). */
  arm(step: EehRecoveryStep): void {
    this.armed.add(step);
  }

  /**
   * Called wherever `step` reaches this PE (a driver callback of one of its devices, a platform call on
   * it); consumes an armed failure and returns true when the step must fail now. Every consultation is
   * appended to `consultLog` when one is set (fail-nth sweeps list the steps of a clean recovery).
   */
  consume(step: EehRecoveryStep): boolean {
    this.consultLog?.push({ step, pe: this.number });
    return this.armed.delete(step);
  }

  /** Where consultations are logged (null: not logged). */
  consultLog: { step: EehRecoveryStep; pe: number }[] | null = null;

  /** Called when an error (or a fan-out injection) froze this PE. */
  onFreeze: ((pe: HostPe, serial: number, origin: FreezeOrigin, tNs: number) => void) | null = null;

  armedSteps(): EehRecoveryStep[] {
    return [...this.armed].sort();
  }

  snapshot(): unknown {
    return {
      pe: this.number,
      state: this.current,
      lastSerial: this.lastSerial,
      unavailableUntilNs: this.current === 'unavailable' ? this.unavailableUntilNs : null,
      armed: this.armedSteps(),
    };
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    if (this.devices.length === 0) problems.push(`host PE ${this.number} has no device`);
    if (this.current !== 'normal' && this.current !== 'reset' && this.lastSerial === 0 && this.errorFreezes + this.fanOutFreezes > 0) {
      problems.push(`host PE ${this.number} froze without a serial`);
    }
    return problems;
  }
}
