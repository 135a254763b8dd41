// One guest PE: a guest-visible PHB (QEMU's sPAPR PHB, one EEH PE for the guest) made of one or more
// host PEs, and the guest kernel's view of it: isolated while an EEH event is pending or handled,
// removed once its recovery failed permanently, and its freeze counter. Also measures how long its
// host PEs disagree (the inconsistency reference 001 warns about).
// Must not: issue calls (eehGuestRecovery.ts and qemuSpaprEeh.ts do).

import type { DeviceConfig } from '../../../scenario/schema';
import { NO_CAUSE } from '../../../sim/timelineRecorder';
import { EehFreezeWindow } from './eehFreezeWindow';
import { EEH_PE_STATE_UNAVAIL, eehPeStateCode, type EehPeState } from './eehPeState';
import type { HostPe } from './hostPe';

export class GuestPe {
  readonly lane: number;
  readonly window: EehFreezeWindow;
  /** EEH_PE_ISOLATED in the guest: an event is queued or being handled; further detections are ignored. */
  isolated = false;
  /** EEH_PE_REMOVED: recovery failed permanently, the devices are gone from the guest. */
  removed = false;
  /** EEH_PE_RECOVERING: eeh_handle_normal_event runs for it (events for it wait until it ends). */
  recovering = false;
  /** When the error being handled first froze one of its host PEs (-1: none). */
  errorStartNs = -1;
  errorCause = NO_CAUSE;
  /** Since when its host PEs disagree (-1: they agree). */
  private divergentSinceNs = -1;
  divergentNs = 0;

  constructor(
    readonly vm: string,
    readonly number: number,
    readonly hostPes: readonly HostPe[],
    readonly devices: readonly DeviceConfig[],
    window: { maxFreezes: number; windowS: number },
    lane: number,
  ) {
    this.window = new EehFreezeWindow(window.maxFreezes, window.windowS);
    this.lane = lane;
  }

  /** The host PE a device of this guest PE sits in. */
  hostPeOf(device: string): HostPe {
    const pe = this.hostPes.find((p) => p.devices.includes(device));
    if (pe === undefined) throw new Error(`device ${device} is not in guest PE ${this.number}`);
    return pe;
  }

  /** More than one host PE behind this guest PE (the case reference 001 is about). */
  get multi(): boolean {
    return this.hostPes.length > 1;
  }

  /** Every host PE is in the same state. */
  statesAgree(): boolean {
    const first = this.hostPes[0]!.state;
    return this.hostPes.every((p) => p.state === first);
  }

  /** All host PEs are in `state`. */
  allIn(state: EehPeState): boolean {
    return this.hostPes.every((p) => p.state === state);
  }

  /**
   * Whether a state code reported for the whole guest PE is true of it: every host PE is in a state
   * with that code, or the code is "unavailable" and some host PE is unavailable (PAPR: retry later,
   * which holds for the guest PE as a whole).
   */
  codeHoldsForAll(code: number): boolean {
    if (code === EEH_PE_STATE_UNAVAIL && this.hostPes.some((p) => p.state === 'unavailable')) return true;
    return this.hostPes.every((p) => eehPeStateCode(p.state) === code);
  }

  /** Its host PEs disagree on whether MMIO is frozen: one device reads all ones, a sibling answers. */
  mmioDivergent(): boolean {
    const first = this.hostPes[0]!.mmioEnabled;
    return this.hostPes.some((p) => p.mmioEnabled !== first);
  }

  /** Called after any host PE of this guest PE changed state (or it was removed), to account the time they disagree. */
  noteStates(tNs: number): void {
    // Once removed nobody reads its state: its host PEs may differ (one refrozen, one as the log left it).
    const agree = this.removed || this.statesAgree();
    if (!agree && this.divergentSinceNs < 0) this.divergentSinceNs = tNs;
    else if (agree && this.divergentSinceNs >= 0) {
      this.divergentNs += tNs - this.divergentSinceNs;
      this.divergentSinceNs = -1;
    }
  }

  /** Time its host PEs disagreed, up to `tNs` (an open divergence counts until then). */
  divergentUpTo(tNs: number): number {
    return this.divergentNs + (this.divergentSinceNs >= 0 ? Math.max(0, tNs - this.divergentSinceNs) : 0);
  }

  snapshot(): unknown {
    return {
      pe: this.number,
      isolated: this.isolated,
      removed: this.removed,
      recovering: this.recovering,
      errorStartNs: this.errorStartNs,
      window: this.window.snapshot(),
      hostPes: this.hostPes.map((p) => p.number),
    };
  }
}
