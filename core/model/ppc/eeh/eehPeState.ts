// The EEH state of one host PE (partitionable endpoint, the unit of isolation) as firmware and the host
// kernel see it, the transitions the lab allows between states, and the codes a state is reported as
// (VFIO_EEH_PE_GET_STATE and PAPR ibm,read-slot-reset-state2 share them: uapi asm/eeh.h EEH_PE_STATE_*).
// Must not: decide when a transition happens (hostPe.ts, vfioEehPeOp.ts and eehGuestRecovery.ts do).

/**
 * normal: MMIO and DMA work. stopped: both frozen (an EEH error). stopped-dma: MMIO thawed, DMA still
 * frozen (EEH_OPT_THAW_MMIO done). stopped-mmio: DMA thawed while MMIO stays frozen (THAW_DMA first;
 * Linux never does it, a script can). reset: reset asserted (the PE is frozen during it). unavailable:
 * state temporarily unknown (the host is recovering the PHB above the PE). permanently-failed: the
 * lab's terminal state (docs/model.md#eeh): the guest gave up and removed the PE's devices.
 */
export const EEH_PE_STATES = ['normal', 'stopped', 'stopped-dma', 'stopped-mmio', 'reset', 'unavailable', 'permanently-failed'] as const;
export type EehPeState = (typeof EEH_PE_STATES)[number];

export const EEH_PE_STATE_NORMAL = 0;
export const EEH_PE_STATE_RESET = 1;
export const EEH_PE_STATE_STOPPED_IO_DMA = 2;
export const EEH_PE_STATE_STOPPED_DMA = 4;
export const EEH_PE_STATE_UNAVAIL = 5;

/** Every legal transition; a state not listed as a target is unreachable from that state. */
const TRANSITIONS: Readonly<Record<EehPeState, readonly EehPeState[]>> = {
  // An error or EEH_OPT_FREEZE_PE freezes; a hot/fundamental reset asserts reset; the host's PHB
  // recovery makes it unavailable; the guest may give up on a PE that is still fine (its guest PE failed).
  normal: ['stopped', 'reset', 'unavailable', 'permanently-failed'],
  // eeh_pci_enable(THAW_MMIO | THAW_DMA) thaw one side; eeh_unfreeze_pe (ENABLE, RESET_DEACTIVATE) both.
  stopped: ['stopped-dma', 'stopped-mmio', 'normal', 'reset', 'unavailable', 'permanently-failed'],
  'stopped-dma': ['normal', 'stopped', 'reset', 'unavailable', 'permanently-failed'],
  'stopped-mmio': ['normal', 'stopped', 'reset', 'unavailable', 'permanently-failed'],
  // RESET_DEACTIVATE ends a reset with the PE thawed (eeh_pe_reenable_devices); an error during it freezes.
  reset: ['normal', 'stopped', 'unavailable', 'permanently-failed'],
  // eeh_pe_refreeze_passed: after the host recovered the PHB, a passed-through PE is frozen again.
  unavailable: ['stopped', 'permanently-failed'],
  'permanently-failed': [],
};

export function eehPeTransitionAllowed(from: EehPeState, to: EehPeState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Every legal transition as [from, to] pairs (for tests and docs). */
export function eehPeTransitions(): readonly (readonly [EehPeState, EehPeState])[] {
  return EEH_PE_STATES.flatMap((from) => TRANSITIONS[from].map((to) => [from, to] as const));
}

/**
 * The code VFIO_EEH_PE_GET_STATE returns (eeh_pe_get_state) and QEMU passes on in
 * ibm,read-slot-reset-state2: reset asserted -> 1; MMIO and DMA enabled -> 0; neither -> 2; MMIO only
 * -> 4; DMA only -> 5 ("else" branch). Unavailable answers 5 (PAPR: temporarily unavailable); a
 * permanently failed PE answers 5 as well (PAPR reports permanent unavailability as state 5).
 */
export function eehPeStateCode(state: EehPeState): number {
  switch (state) {
    case 'normal':
      return EEH_PE_STATE_NORMAL;
    case 'reset':
      return EEH_PE_STATE_RESET;
    case 'stopped':
      return EEH_PE_STATE_STOPPED_IO_DMA;
    case 'stopped-dma':
      return EEH_PE_STATE_STOPPED_DMA;
    case 'stopped-mmio':
    case 'unavailable':
    case 'permanently-failed':
      return EEH_PE_STATE_UNAVAIL;
    default: {
      const never: never = state;
      throw new Error(`unknown EEH PE state ${String(never)}`);
    }
  }
}

/** Whether MMIO reaches the device (otherwise reads return all ones and writes are dropped). */
export function eehPeMmioEnabled(state: EehPeState): boolean {
  return state === 'normal' || state === 'stopped-dma';
}

/** Whether the device's DMA goes through (a frozen PE never completes a DMA). */
export function eehPeDmaEnabled(state: EehPeState): boolean {
  return state === 'normal' || state === 'stopped-mmio';
}

/** The PE is frozen by an error (some side stopped) and no reset is in progress. */
export function eehPeFrozen(state: EehPeState): boolean {
  return state === 'stopped' || state === 'stopped-dma' || state === 'stopped-mmio';
}

/** Index of the state for a sampled counter (0 normal ... 6 permanently-failed, in EEH_PE_STATES order). */
export function eehPeStateIndex(state: EehPeState): number {
  return EEH_PE_STATES.indexOf(state);
}
