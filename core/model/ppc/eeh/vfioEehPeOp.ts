// VFIO_EEH_PE_OP on one host PE, as the host kernel serves it (drivers/vfio/vfio_spapr_eeh.c
// vfio_spapr_iommu_eeh_ioctl, since 6.4 vfio_iommu_spapr_tce.c vfio_spapr_ioctl_eeh_pe_op) through the
// eeh_pe_* functions of arch/powerpc/kernel/eeh.c, with the kernel's return values and errnos and the
// time the host spends (the reset hold and settle sleeps happen inside the ioctl: pnv_eeh_reset on
// PowerNV, pseries_eeh_reset when the host is itself a PowerVM LPAR, each followed by an RTAS call to L0).
// Returns 0 or a positive Linux errno like every host model; GET_STATE's state is in lastState.
// Must not: iterate over groups (qemuSpaprEeh.ts models the container loop and QEMU's choices).

import type { CostTable } from '../../../sim/costTable';
import { NO_CAUSE } from '../../../sim/timelineRecorder';
import { EINVAL, EIO, ENODEV, OK } from '../../base/errno';
import { eehPeStateCode, type EehHostPlatform } from './eehPeState';
import type { FreezeOrigin, HostPe } from './hostPe';

export const VFIO_EEH_PE_DISABLE = 0;
export const VFIO_EEH_PE_ENABLE = 1;
export const VFIO_EEH_PE_UNFREEZE_IO = 2;
export const VFIO_EEH_PE_UNFREEZE_DMA = 3;
export const VFIO_EEH_PE_GET_STATE = 4;
export const VFIO_EEH_PE_RESET_DEACTIVATE = 5;
export const VFIO_EEH_PE_RESET_HOT = 6;
export const VFIO_EEH_PE_RESET_FUNDAMENTAL = 7;
export const VFIO_EEH_PE_CONFIGURE = 8;
export const VFIO_EEH_PE_INJECT_ERR = 9;

export const VFIO_EEH_PE_OP_NAMES = [
  'DISABLE',
  'ENABLE',
  'UNFREEZE_IO',
  'UNFREEZE_DMA',
  'GET_STATE',
  'RESET_DEACTIVATE',
  'RESET_HOT',
  'RESET_FUNDAMENTAL',
  'CONFIGURE',
  'INJECT_ERR',
] as const;

/** uapi asm/eeh.h: error types and the range of error functions eeh_pe_inject_err accepts. */
export const EEH_ERR_TYPE_32 = 0;
export const EEH_ERR_TYPE_64 = 1;
export const EEH_ERR_FUNC_MIN = 0;
export const EEH_ERR_FUNC_MAX = 19;

export interface VfioEehTiming {
  readonly resetHoldMs: number;
  readonly resetSettleMs: number;
}

export interface VfioEehPeOpArgs {
  /** vfio_eeh_pe_op.flags: none defined, any bit -> EINVAL. */
  readonly flags?: number;
  readonly errType?: number;
  readonly errFunc?: number;
  /** INJECT_ERR: serial of the error event (0 or absent: a new one). */
  readonly serial?: number;
  /** INJECT_ERR: 'fan-out' when QEMU freezes a sibling PE on purpose (fan-out strategy). */
  readonly origin?: FreezeOrigin;
  readonly cause?: number;
}

const NO_ARGS: VfioEehPeOpArgs = {};

export class VfioEehPeOp {
  lastCostNs = 0;
  /** Why the last refused op was refused (the check that failed), or null. */
  lastWhy: string | null = null;
  /** GET_STATE result of the last successful call (EEH_PE_STATE_*). */
  lastState = 0;
  /** Serial of the freeze the last INJECT_ERR caused (0: it froze nothing). */
  lastSerial = 0;
  calls = 0;
  failures = 0;
  private nextSerial = 1;
  private readonly opNs: number;

  constructor(
    costs: CostTable,
    private readonly timing: VfioEehTiming,
    /** The host is an L1 PowerVM LPAR: its EEH ops are RTAS calls to L0. */
    nested: boolean,
  ) {
    this.opNs = costs.eehHostPeOpNs + (nested ? costs.l1ToL0HcallNs : 0);
    this.platform = nested ? 'pseries' : 'powernv';
  }

  private readonly platform: EehHostPlatform;

  /** A serial number for a new error event (shared with freezes that do not come through INJECT_ERR). */
  newSerial(): number {
    return this.nextSerial++;
  }

  /**
   * One VFIO_EEH_PE_OP. Order of checks as vfio_spapr_iommu_eeh_ioctl: no PE behind the group -> ENODEV,
   * flags -> EINVAL, then the op; an unknown op -> EINVAL.
   */
  run(pe: HostPe | undefined, op: number, tNs: number, args: VfioEehPeOpArgs = NO_ARGS): number {
    this.calls++;
    this.lastWhy = null;
    this.lastCostNs = 0;
    this.lastSerial = 0;
    if (pe === undefined) return this.fail(ENODEV, 'no EEH PE behind the group');
    if ((args.flags ?? 0) !== 0) return this.fail(EINVAL, 'flags must be 0');
    pe.endUnavailable(tNs, () => this.newSerial());
    this.lastCostNs = this.opNs;
    const cause = args.cause ?? NO_CAUSE;
    const s = pe.state;
    // An unavailable PE (its PHB under recovery) cannot be operated: the eeh_pci_enable / reset paths
    // end with the state lacking the active flag there: -EIO.
    const inert = s === 'unavailable';
    switch (op) {
      case VFIO_EEH_PE_DISABLE:
        // eeh_pe_set_option(EEH_OPT_DISABLE): "isn't expected to be disabled on one specific PE": 0.
        return OK;
      case VFIO_EEH_PE_ENABLE:
        // eeh_pe_change_owner: a frozen PE is unfrozen (thaw MMIO, thaw DMA); an active one is left alone.
        if (inert)
          return this.fail(
            EIO,
            'the PE is unavailable: its PHB is under recovery (the enable and reset paths end without the active flag)',
          );
        if (s === 'stopped' || s === 'stopped-dma' || s === 'stopped-mmio') pe.setState('normal', tNs, cause);
        return OK;
      case VFIO_EEH_PE_UNFREEZE_IO:
        return this.thaw(pe, 'mmio', tNs, cause);
      case VFIO_EEH_PE_UNFREEZE_DMA:
        return this.thaw(pe, 'dma', tNs, cause);
      case VFIO_EEH_PE_GET_STATE:
        this.lastState = eehPeStateCode(s, this.platform);
        return OK;
      case VFIO_EEH_PE_RESET_DEACTIVATE:
        // eeh_pe_reset(DEACTIVATE, true): platform reset deassert (settle sleep), eeh_pe_reenable_devices
        // unfreezes the PE (include_passed).
        if (inert)
          return this.fail(
            EIO,
            'the PE is unavailable: its PHB is under recovery (the enable and reset paths end without the active flag)',
          );
        this.lastCostNs += this.timing.resetSettleMs * 1e6;
        pe.setState('normal', tNs, cause);
        return OK;
      case VFIO_EEH_PE_RESET_HOT:
      case VFIO_EEH_PE_RESET_FUNDAMENTAL:
        // eeh_pe_reset(HOT|FUNDAMENTAL): freeze the PE first (EEH_OPT_FREEZE_PE), then assert reset
        // (hold sleep). A failing platform reset leaves the PE frozen by that first step.
        if (inert)
          return this.fail(
            EIO,
            'the PE is unavailable: its PHB is under recovery (the enable and reset paths end without the active flag)',
          );
        this.lastCostNs += this.timing.resetHoldMs * 1e6;
        if (pe.consume('reset')) {
          if (s !== 'stopped') pe.setState('stopped', tNs, cause);
          return this.fail(EIO, 'the platform reset failed (injected reset fault); the PE stays frozen');
        }
        pe.setState('reset', tNs, cause);
        return OK;
      case VFIO_EEH_PE_CONFIGURE:
        // eeh_pe_configure does nothing but check the PE.
        return OK;
      case VFIO_EEH_PE_INJECT_ERR:
        return this.inject(pe, tNs, args, inert, cause);
      default:
        return this.fail(EINVAL, `unknown VFIO_EEH_PE_OP ${op}`);
    }
  }

  /** eeh_pci_enable(THAW_MMIO | THAW_DMA): nothing to do when already active (no platform call). */
  private thaw(pe: HostPe, side: 'mmio' | 'dma', tNs: number, cause: number): number {
    const s = pe.state;
    if (s === 'unavailable')
      return this.fail(EIO, 'the PE is unavailable: its PHB is under recovery (the enable and reset paths end without the active flag)');
    const active = s === 'reset' || (side === 'mmio' ? pe.mmioEnabled : pe.dmaEnabled);
    if (active) return OK;
    if (pe.consume(side === 'mmio' ? 'thaw_mmio' : 'thaw_dma'))
      return this.fail(EIO, `thawing ${side.toUpperCase()} failed (injected fault)`);
    if (side === 'mmio') pe.setState(s === 'stopped' ? 'stopped-dma' : 'normal', tNs, cause);
    else pe.setState(s === 'stopped' ? 'stopped-mmio' : 'normal', tNs, cause);
    return OK;
  }

  /** eeh_pe_inject_err: type 32/64 and function 0..19 else EINVAL; the platform's injection freezes the PE. */
  private inject(pe: HostPe, tNs: number, args: VfioEehPeOpArgs, inert: boolean, cause: number): number {
    const type = args.errType ?? EEH_ERR_TYPE_32;
    const func = args.errFunc ?? EEH_ERR_FUNC_MIN;
    if (type !== EEH_ERR_TYPE_32 && type !== EEH_ERR_TYPE_64) return this.fail(EINVAL, `error type ${type} is neither 32-bit nor 64-bit`);
    if (!Number.isInteger(func) || func < EEH_ERR_FUNC_MIN || func > EEH_ERR_FUNC_MAX)
      return this.fail(EINVAL, `error function ${func} is outside ${EEH_ERR_FUNC_MIN}..${EEH_ERR_FUNC_MAX}`);
    if (inert)
      return this.fail(EIO, 'the PE is unavailable: its PHB is under recovery (the enable and reset paths end without the active flag)');
    const serial = args.serial !== undefined && args.serial > 0 ? args.serial : this.newSerial();
    // The lab freezes at once; the hardware freezes at the next access of the chosen kind.
    if (pe.freeze(serial, tNs, args.origin ?? 'error', cause)) this.lastSerial = serial;
    return OK;
  }

  private fail(errno: number, why: string): number {
    this.failures++;
    this.lastWhy = why;
    return errno;
  }
}
