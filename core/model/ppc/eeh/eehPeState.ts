// The EEH state of one host PE (partitionable endpoint, the unit of isolation) as firmware and the host
// kernel see it, the transitions the lab allows between states, and the codes a state is reported as
// (VFIO_EEH_PE_GET_STATE and PAPR ibm,read-slot-reset-state2 share them: uapi asm/eeh.h EEH_PE_STATE_*).
// Must not: decide when a transition happens (hostPe.ts, vfioEehPeOp.ts and eehGuestRecovery.ts do).

/**
 * normal: MMIO and DMA work. stopped: both frozen (an EEH error). stopped-dma: MMIO thawed, DMA still
 * frozen (EEH_OPT_THAW_MMIO done). stopped-mmio: DMA thawed while MMIO stays frozen (THAW_DMA first;
 * Linux never does it, a script can). reset: reset asserted (eeh_pe_reset froze the PE first).
 * unavailable: state temporarily unknown (the host is recovering the PHB above the PE). There is no
 * host state for a PE its guest gave up on: the host is never told (eeh_handle_normal_event's
 * recover_failed path runs in the guest), so the PE stays as the guest left it, MMIO thawed for the
 * permanent error log: stopped-dma.
 */
export const EEH_PE_STATES = ['normal', 'stopped', 'stopped-dma', 'stopped-mmio', 'reset', 'unavailable'] as const;
export type EehPeState = (typeof EEH_PE_STATES)[number];

export const EEH_PE_STATE_NORMAL = 0;
export const EEH_PE_STATE_RESET = 1;
export const EEH_PE_STATE_STOPPED_IO_DMA = 2;
export const EEH_PE_STATE_STOPPED_DMA = 4;
export const EEH_PE_STATE_UNAVAIL = 5;

/** Every legal transition; a state not listed as a target is unreachable from that state. */
const TRANSITIONS: Readonly<Record<EehPeState, readonly EehPeState[]>> = {
  // An error or EEH_OPT_FREEZE_PE freezes; a hot/fundamental reset asserts reset; the host's PHB
  // recovery makes it unavailable.
  normal: ['stopped', 'reset', 'unavailable'],
  // eeh_pci_enable(THAW_MMIO | THAW_DMA) thaw one side; eeh_unfreeze_pe (ENABLE, RESET_DEACTIVATE) both.
  stopped: ['stopped-dma', 'stopped-mmio', 'normal', 'reset', 'unavailable'],
  'stopped-dma': ['normal', 'stopped', 'reset', 'unavailable'],
  'stopped-mmio': ['normal', 'stopped', 'reset', 'unavailable'],
  // RESET_DEACTIVATE ends a reset with the PE thawed (eeh_pe_reenable_devices); an error during it freezes.
  reset: ['normal', 'stopped', 'unavailable'],
  // eeh_pe_refreeze_passed: after the host recovered the PHB, a passed-through PE is frozen again.
  unavailable: ['stopped'],
};

export function eehPeTransitionAllowed(from: EehPeState, to: EehPeState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Every legal transition as [from, to] pairs (for tests and docs). */
export function eehPeTransitions(): readonly (readonly [EehPeState, EehPeState])[] {
  return EEH_PE_STATES.flatMap((from) => TRANSITIONS[from].map((to) => [from, to] as const));
}

/** Who answers the host's EEH state queries: OPAL firmware on a PowerNV host, PowerVM's RTAS under a nested L1. */
export type EehHostPlatform = 'powernv' | 'pseries';

/**
 * The code VFIO_EEH_PE_GET_STATE returns (eeh_pe_get_state) and QEMU passes on in
 * ibm,read-slot-reset-state2: MMIO and DMA enabled -> 0; neither -> 2; MMIO only -> 4; DMA only ->
 * 5 ("else" branch); unavailable -> 5 (the parent PHB is being recovered). While a reset is asserted
 * a PowerNV host reports what OPAL reports for the PE eeh_pe_reset froze first: stopped, 2
 * (pnv_eeh_get_pe_state reads the freeze status, never EEH_PE_RESET); a pseries (L1) host asks
 * PowerVM, whose RTAS answers 1, reset asserted.
 */
export function eehPeStateCode(state: EehPeState, platform: EehHostPlatform = 'powernv'): number {
  switch (state) {
    case 'normal':
      return EEH_PE_STATE_NORMAL;
    case 'reset':
      return platform === 'powernv' ? EEH_PE_STATE_STOPPED_IO_DMA : EEH_PE_STATE_RESET;
    case 'stopped':
      return EEH_PE_STATE_STOPPED_IO_DMA;
    case 'stopped-dma':
      return EEH_PE_STATE_STOPPED_DMA;
    case 'stopped-mmio':
    case 'unavailable':
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

/** Index of the state for a sampled counter (0 normal ... 5 unavailable, in EEH_PE_STATES order). */
export function eehPeStateIndex(state: EehPeState): number {
  return EEH_PE_STATES.indexOf(state);
}
