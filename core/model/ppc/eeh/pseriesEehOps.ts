// The pseries guest kernel's platform EEH calls (struct eeh_ops of arch/powerpc/platforms/pseries/
// eeh_pseries.c) over QEMU's RTAS, and the generic helpers of arch/powerpc/kernel/eeh.c built on them:
// pseries_eeh_get_state turns the RTAS state code into EEH_STATE_* flags; eeh_pci_enable thaws MMIO or
// DMA unless already active and checks the state after; eeh_unfreeze_pe thaws both.
// Simplification: eeh_pci_enable reads the state once after its request (eeh_wait_state would wait
// while the PE is unavailable; the lab makes a PE unavailable only from outside such a thaw).
// Must not: decide recovery (eehGuestRecovery.ts).

import type { GuestPe } from './eehGuestPe';
import { type QemuSpaprEeh, RTAS_EEH_THAW_DMA, RTAS_EEH_THAW_IO } from './qemuSpaprEeh';
import { EIO } from '../../base/errno';

/** arch/powerpc/include/asm/eeh.h EEH_STATE_* flags (what eeh_ops->get_state returns). */
export const EEH_STATE_UNAVAILABLE = 1 << 0;
export const EEH_STATE_NOT_SUPPORT = 1 << 1;
export const EEH_STATE_RESET_ACTIVE = 1 << 2;
export const EEH_STATE_MMIO_ACTIVE = 1 << 3;
export const EEH_STATE_DMA_ACTIVE = 1 << 4;
export const EEH_STATE_MMIO_ENABLED = 1 << 5;

/** eeh_state_active: MMIO and DMA both active. */
export function stateActive(flags: number): boolean {
  return (flags & (EEH_STATE_MMIO_ACTIVE | EEH_STATE_DMA_ACTIVE)) === (EEH_STATE_MMIO_ACTIVE | EEH_STATE_DMA_ACTIVE);
}

export class PseriesEehOps {
  constructor(private readonly qemu: QemuSpaprEeh) {}

  /** pseries_eeh_get_state through ibm,read-slot-reset-state2: the RTAS state as EEH_STATE_* flags. */
  getState(gpe: GuestPe, tNs: number, cause: number): { flags: number; t: number } {
    const status = this.qemu.readSlotResetState2(gpe, tNs, cause);
    const t = tNs + this.qemu.lastCostNs;
    if (status !== 0) return { flags: status, t };
    if (this.qemu.lastSupport === 0) return { flags: EEH_STATE_NOT_SUPPORT, t };
    switch (this.qemu.lastState) {
      case 0:
        return { flags: EEH_STATE_MMIO_ACTIVE | EEH_STATE_DMA_ACTIVE, t };
      case 1:
        return { flags: EEH_STATE_RESET_ACTIVE | EEH_STATE_MMIO_ACTIVE | EEH_STATE_DMA_ACTIVE, t };
      case 2:
        return { flags: 0, t };
      case 4:
        return { flags: EEH_STATE_MMIO_ENABLED, t };
      case 5:
        return { flags: this.qemu.lastUnavailableMs > 0 ? EEH_STATE_UNAVAILABLE : EEH_STATE_NOT_SUPPORT, t };
      default:
        return { flags: EEH_STATE_NOT_SUPPORT, t };
    }
  }

  /**
   * eeh_pci_enable(THAW_MMIO | THAW_DMA): nothing if already active; else ibm,set-eeh-option, then
   * check the state again: -EIO unless the side is active now.
   */
  pciEnable(gpe: GuestPe, t0: number, side: 'mmio' | 'dma', cause: number): { rc: number; t: number } {
    const active = side === 'mmio' ? EEH_STATE_MMIO_ACTIVE | EEH_STATE_MMIO_ENABLED : EEH_STATE_DMA_ACTIVE;
    const before = this.getState(gpe, t0, cause);
    if (before.flags < 0) return { rc: before.flags, t: before.t };
    if (before.flags === EEH_STATE_NOT_SUPPORT || (before.flags & active) !== 0) return { rc: 0, t: before.t };
    this.qemu.setEehOption(gpe, side === 'mmio' ? RTAS_EEH_THAW_IO : RTAS_EEH_THAW_DMA, before.t, cause);
    const after = this.getState(gpe, before.t + this.qemu.lastCostNs, cause);
    if (after.flags < 0) return { rc: after.flags, t: after.t };
    return { rc: (after.flags & active) !== 0 ? 0 : -EIO, t: after.t };
  }

  /** eeh_unfreeze_pe: thaw MMIO then DMA. */
  unfreeze(gpe: GuestPe, t0: number, cause: number): { rc: number; t: number } {
    const mmio = this.pciEnable(gpe, t0, 'mmio', cause);
    if (mmio.rc < 0) return mmio;
    return this.pciEnable(gpe, mmio.t, 'dma', cause);
  }
}
