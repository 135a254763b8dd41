// QEMU's guest-facing EEH RTAS calls on one VM's guest PEs (hw/ppc/spapr_pci.c rtas_ibm_set_eeh_option,
// rtas_ibm_read_slot_reset_state2, rtas_ibm_set_slot_reset, rtas_ibm_configure_pe,
// rtas_ibm_slot_error_detail, rtas_ibm_get_config_addr_info2, over hw/ppc/spapr_pci_vfio.c
// spapr_phb_vfio_eeh_*) and how each becomes VFIO_EEH_PE_OP on the guest PE's host PE(s). Each call is
// a trap into QEMU (QemuVm.trap: exit, BQL, re-entry) plus the host's EEH work.
// A guest PE made of several host PEs is served by one of three strategies (vms[].eeh.guestPeMapping):
// - refuse: today's QEMU. spapr_phb_eeh_available -> vfio_eeh_as_ok is false when the PHB's address
//   space has more than one container (vfio_eeh_as_container) or its container more than one group
//   (vfio_eeh_container_ok: "the host kernel EEH/VFIO implementation is broken if there are multiple
//   groups in a container"), so every call answers RTAS_OUT_PARAM_ERROR.
// - naive: the container-wide ioctl without QEMU's guard: tce_iommu_ioctl runs the op on each group in
//   turn and returns the first non-zero result (an error, or GET_STATE's first non-normal state).
// - fan-out (reference 001's proposal, docs/model.md#eeh): a host error notification carrying a
//   serial makes QEMU freeze every host PE of the guest PE (VFIO INJECT_ERR), later notifications
//   with the same serial are merged; each guest call is replayed on every host PE; a partial
//   failure is resolved by bringing every host PE back to Stopped (deassert a reset first, inject
//   an error into a thawed one) and reporting the failure once. Stopped is chosen because it is
//   always reachable and always safe (DMA stopped), and it is what an EEH error looks like to the
//   guest at any step: Linux then retries (the three reset attempts of eeh_pe_reset_full) or fails
//   the PE permanently, as it would on one PE.
// Must not: model the guest's recovery (eehGuestRecovery.ts) or a host PE's semantics (vfioEehPeOp.ts).

import { DmaCall } from '../../base/dmaCall';
import type { QemuVm, TrapHandler } from '../../qemu/qemuVm';
import { NO_CAUSE } from '../../../sim/timelineRecorder';
import { RTAS_OUT_HW_ERROR, RTAS_OUT_NO_ERRORS_FOUND, RTAS_OUT_PARAM_ERROR, RTAS_OUT_SUCCESS } from '../papr';
import type { EehClock } from './eehClock';
import { EEH_PE_STATE_UNAVAIL } from './eehPeState';
import type { EehTimeline } from './eehTimeline';
import type { GuestPe } from './eehGuestPe';
import type { HostPe } from './hostPe';
import {
  VFIO_EEH_PE_CONFIGURE,
  VFIO_EEH_PE_DISABLE,
  VFIO_EEH_PE_ENABLE,
  VFIO_EEH_PE_GET_STATE,
  VFIO_EEH_PE_INJECT_ERR,
  VFIO_EEH_PE_RESET_DEACTIVATE,
  VFIO_EEH_PE_RESET_FUNDAMENTAL,
  VFIO_EEH_PE_RESET_HOT,
  VFIO_EEH_PE_UNFREEZE_DMA,
  VFIO_EEH_PE_UNFREEZE_IO,
  type VfioEehPeOp,
} from './vfioEehPeOp';

export type GuestPeMapping = 'refuse' | 'naive' | 'fan-out';

/** ibm,set-eeh-option options (include/hw/ppc/spapr.h RTAS_EEH_*). */
export const RTAS_EEH_DISABLE = 0;
export const RTAS_EEH_ENABLE = 1;
export const RTAS_EEH_THAW_IO = 2;
export const RTAS_EEH_THAW_DMA = 3;
/** ibm,set-slot-reset options. */
export const RTAS_SLOT_RESET_DEACTIVATE = 0;
export const RTAS_SLOT_RESET_HOT = 1;
export const RTAS_SLOT_RESET_FUNDAMENTAL = 3;
/** ibm,get-config-addr-info2 options and the PE mode QEMU reports. */
export const RTAS_GET_PE_ADDR = 0;
export const RTAS_GET_PE_MODE = 1;
export const RTAS_PE_MODE_SHARED = 2;
/** ibm,slot-error-detail log kinds. */
export const RTAS_SLOT_TEMP_ERR_LOG = 1;
export const RTAS_SLOT_PERM_ERR_LOG = 2;
/** ibm,read-slot-reset-state2 second output: EEH supported. */
export const RTAS_EEH_SUPPORT = 1;

export const EEH_RTAS_CALLS = [
  'ibm,set-eeh-option',
  'ibm,read-slot-reset-state2',
  'ibm,set-slot-reset',
  'ibm,configure-pe',
  'ibm,slot-error-detail',
  'ibm,get-config-addr-info2',
] as const;
export type EehRtasCall = (typeof EEH_RTAS_CALLS)[number];

const SET_OPTION_OPS: Readonly<Record<number, number>> = {
  [RTAS_EEH_DISABLE]: VFIO_EEH_PE_DISABLE,
  [RTAS_EEH_ENABLE]: VFIO_EEH_PE_ENABLE,
  [RTAS_EEH_THAW_IO]: VFIO_EEH_PE_UNFREEZE_IO,
  [RTAS_EEH_THAW_DMA]: VFIO_EEH_PE_UNFREEZE_DMA,
};

const RESET_OPS: Readonly<Record<number, number>> = {
  [RTAS_SLOT_RESET_DEACTIVATE]: VFIO_EEH_PE_RESET_DEACTIVATE,
  [RTAS_SLOT_RESET_HOT]: VFIO_EEH_PE_RESET_HOT,
  [RTAS_SLOT_RESET_FUNDAMENTAL]: VFIO_EEH_PE_RESET_FUNDAMENTAL,
};

export class QemuSpaprEeh implements TrapHandler {
  /** Why the last refused RTAS call was refused (QEMU's check, or the host's answer), or null. */
  lastWhy: string | null = null;
  lastCostNs = 0;
  /** read-slot-reset-state2 outputs of the last successful call. */
  lastState = 0;
  lastSupport = 0;
  lastUnavailableMs = 0;
  /** get-config-addr-info2 output of the last successful call. */
  lastValue = 0;
  /** Timeline event of the last call's trap (a cause for what follows). */
  lastEvent = NO_CAUSE;
  readonly rtasCalls: Record<EehRtasCall, number> = {
    'ibm,set-eeh-option': 0,
    'ibm,read-slot-reset-state2': 0,
    'ibm,set-slot-reset': 0,
    'ibm,configure-pe': 0,
    'ibm,slot-error-detail': 0,
    'ibm,get-config-addr-info2': 0,
  };
  /** Guest state reads answered with a state that does not hold for every host PE of the guest PE. */
  inconsistentStates = 0;
  /** Calls refused because QEMU keeps EEH off for the PHB (refuse strategy). */
  refusedCalls = 0;
  duplicateNotificationsMerged = 0;
  resolvedPartialFailures = 0;
  private readonly seenSerials = new Set<number>();
  private readonly call = new DmaCall(0);
  private readonly trapNames: Record<EehRtasCall, number>;
  // The call being served inside the trap (no closure per call).
  private pKind: EehRtasCall = 'ibm,configure-pe';
  private pGpe: GuestPe | undefined = undefined;
  private pOption = 0;
  private pDevice: string | undefined = undefined;
  private pT = 0;
  private pStatus = 0;
  private hostNs = 0;

  constructor(
    private readonly vfio: VfioEehPeOp,
    readonly mapping: GuestPeMapping,
    private readonly qemu: QemuVm,
    private readonly tl: EehTimeline,
    private readonly clock: EehClock,
    private readonly options: {
      readonly unavailableHintMs: number;
      readonly notifyNs: number;
      /** The container is iommufd: QEMU serves EEH on the legacy VFIO container only. */
      readonly iommufd: boolean;
    },
  ) {
    this.trapNames = Object.fromEntries(EEH_RTAS_CALLS.map((c) => [c, qemu.trapName(`rtas.${c}`)])) as Record<EehRtasCall, number>;
  }

  /** A serial for a new error event (the host's numbering). */
  newSerial(): number {
    return this.vfio.newSerial();
  }

  /**
   * spapr_phb_eeh_available -> vfio_eeh_as_ok: one legacy container (not iommufd: "IBM EEH is only
   * supported by legacy backend") holding exactly one group, unless a strategy lifts the guard.
   */
  eehAvailable(gpe: GuestPe): boolean {
    if (this.options.iommufd) return false;
    return !gpe.multi || this.mapping !== 'refuse';
  }

  /** ibm,set-eeh-option: 0 disable, 1 enable, 2 thaw MMIO, 3 thaw DMA; an ioctl failure -> HW_ERROR. */
  setEehOption(gpe: GuestPe | undefined, option: number, tNs: number, cause = NO_CAUSE): number {
    return this.rtas('ibm,set-eeh-option', gpe, option, undefined, tNs, cause);
  }

  /** ibm,read-slot-reset-state2: state, support 1 and the unavailable hint; a VFIO failure -> PARAM_ERROR. */
  readSlotResetState2(gpe: GuestPe | undefined, tNs: number, cause = NO_CAUSE): number {
    return this.rtas('ibm,read-slot-reset-state2', gpe, 0, undefined, tNs, cause);
  }

  /** ibm,set-slot-reset: 0 deactivate, 1 hot, 3 fundamental; an ioctl failure -> HW_ERROR. */
  setSlotReset(gpe: GuestPe | undefined, option: number, tNs: number, cause = NO_CAUSE): number {
    return this.rtas('ibm,set-slot-reset', gpe, option, undefined, tNs, cause);
  }

  /** ibm,configure-pe: VFIO_EEH_PE_CONFIGURE; a failure -> PARAM_ERROR. */
  configurePe(gpe: GuestPe | undefined, tNs: number, cause = NO_CAUSE): number {
    return this.rtas('ibm,configure-pe', gpe, 0, undefined, tNs, cause);
  }

  /** ibm,slot-error-detail: option 1 (temporary) or 2 (permanent) -> NO_ERRORS_FOUND: QEMU keeps no log. */
  slotErrorDetail(gpe: GuestPe | undefined, option: number, tNs: number, cause = NO_CAUSE): number {
    return this.rtas('ibm,slot-error-detail', gpe, option, undefined, tNs, cause);
  }

  /** ibm,get-config-addr-info2: option 0 the PE address of `device`, option 1 the PE mode (shared). */
  getConfigAddrInfo2(gpe: GuestPe | undefined, device: string | undefined, option: number, tNs: number, cause = NO_CAUSE): number {
    return this.rtas('ibm,get-config-addr-info2', gpe, option, device, tNs, cause);
  }

  private rtas(
    kind: EehRtasCall,
    gpe: GuestPe | undefined,
    option: number,
    device: string | undefined,
    tNs: number,
    cause: number,
  ): number {
    this.rtasCalls[kind]++;
    this.pKind = kind;
    this.pGpe = gpe;
    this.pOption = option;
    this.pDevice = device;
    this.pT = tNs;
    this.pStatus = RTAS_OUT_SUCCESS;
    this.lastWhy = null;
    const c = this.call.begin(tNs);
    c.cause = cause;
    this.qemu.trap(c, this.trapNames[kind], this, 0, 0);
    this.lastEvent = c.cause;
    this.lastCostNs = c.t - tNs;
    return this.pStatus;
  }

  /** TrapHandler: serves the pending call under the BQL; returns the host's time for it. */
  serve(): number {
    this.hostNs = 0;
    const gpe = this.pGpe;
    if (gpe === undefined) this.pStatus = this.no(RTAS_OUT_PARAM_ERROR, 'no guest PHB has this PE address (spapr_pci_find_phb)');
    else if (!this.eehAvailable(gpe)) {
      this.refusedCalls++;
      this.pStatus = this.no(
        RTAS_OUT_PARAM_ERROR,
        this.options.iommufd
          ? 'the PHB is backed by iommufd, which has no EEH (spapr_phb_eeh_available)'
          : `the guest PE spans ${gpe.hostPes.length} host PEs: QEMU offers EEH only for a PHB with one host PE (spapr_phb_eeh_available)`,
      );
    } else this.pStatus = this.serveOn(gpe);
    return this.hostNs;
  }

  private serveOn(gpe: GuestPe): number {
    switch (this.pKind) {
      case 'ibm,set-eeh-option': {
        const op = SET_OPTION_OPS[this.pOption];
        if (op === undefined) return this.no(RTAS_OUT_PARAM_ERROR, `unknown option ${this.pOption}`);
        return this.forward(gpe, op) < 0 ? this.no(RTAS_OUT_HW_ERROR, this.ioctlWhy('VFIO_EEH_PE_OP')) : RTAS_OUT_SUCCESS;
      }
      case 'ibm,read-slot-reset-state2': {
        const ret = this.forward(gpe, VFIO_EEH_PE_GET_STATE);
        if (ret < 0) return this.no(RTAS_OUT_PARAM_ERROR, this.ioctlWhy('VFIO_EEH_PE_GET_STATE'));
        this.lastState = ret;
        this.lastSupport = RTAS_EEH_SUPPORT;
        this.lastUnavailableMs = this.options.unavailableHintMs;
        if (gpe.multi && !gpe.codeHoldsForAll(ret)) this.inconsistentStates++;
        return RTAS_OUT_SUCCESS;
      }
      case 'ibm,set-slot-reset': {
        const op = RESET_OPS[this.pOption];
        if (op === undefined) return this.no(RTAS_OUT_PARAM_ERROR, `unknown reset option ${this.pOption}`);
        return this.forward(gpe, op) < 0 ? this.no(RTAS_OUT_HW_ERROR, this.ioctlWhy('VFIO_EEH_PE_RESET')) : RTAS_OUT_SUCCESS;
      }
      case 'ibm,configure-pe':
        return this.forward(gpe, VFIO_EEH_PE_CONFIGURE) < 0
          ? this.no(RTAS_OUT_PARAM_ERROR, this.ioctlWhy('VFIO_EEH_PE_CONFIGURE'))
          : RTAS_OUT_SUCCESS;
      case 'ibm,slot-error-detail': {
        if (this.pOption !== RTAS_SLOT_TEMP_ERR_LOG && this.pOption !== RTAS_SLOT_PERM_ERR_LOG)
          return this.no(RTAS_OUT_PARAM_ERROR, `option ${this.pOption} is neither 1 (temporary) nor 2 (permanent)`);
        // The lab's read_log fault: retrieving the log fails on that host PE (QEMU itself keeps none).
        let failed = false;
        for (const pe of gpe.hostPes) if (pe.consume('read_log')) failed = true;
        return failed
          ? this.no(RTAS_OUT_HW_ERROR, 'retrieving the error log failed on a host PE (injected read_log fault)')
          : RTAS_OUT_NO_ERRORS_FOUND;
      }
      case 'ibm,get-config-addr-info2':
        if (this.pOption === RTAS_GET_PE_MODE) {
          this.lastValue = RTAS_PE_MODE_SHARED;
          return RTAS_OUT_SUCCESS;
        }
        if (this.pOption !== RTAS_GET_PE_ADDR) return this.no(RTAS_OUT_PARAM_ERROR, `unknown option ${this.pOption}`);
        if (this.pDevice !== undefined && !gpe.devices.some((d) => d.name === this.pDevice))
          return this.no(RTAS_OUT_PARAM_ERROR, `device ${this.pDevice} is not on this guest PE`);
        // "00BB0001": the lab's devices sit on the PHB's root bus (bus 0).
        this.lastValue = (0 << 16) + 1;
        return RTAS_OUT_SUCCESS;
      default: {
        const never: never = this.pKind;
        throw new Error(`unknown RTAS call ${String(never)}`);
      }
    }
  }

  private no(status: number, why: string): number {
    this.lastWhy = why;
    return status;
  }

  /** Why the host refused the forwarded VFIO_EEH_PE_OP (the host PE's answer). */
  private ioctlWhy(op: string): string {
    return `${op} failed on the host${this.vfio.lastWhy === null ? '' : `: ${this.vfio.lastWhy}`}`;
  }

  /** The ioctl's return as vfio_eeh_as_op sees it: >= 0 (GET_STATE: the state), < 0: -errno. */
  private forward(gpe: GuestPe, op: number): number {
    if (!gpe.multi) return this.one(gpe.hostPes[0]!, op);
    switch (this.mapping) {
      case 'naive':
        // tce_iommu_ioctl: for each group, ret = ioctl; if (ret) return ret.
        for (const pe of gpe.hostPes) {
          const ret = this.one(pe, op);
          if (ret !== 0) return ret;
        }
        return 0;
      case 'fan-out':
        return this.replay(gpe, op);
      case 'refuse':
        throw new Error('refuse strategy: QEMU never forwards for a multi-host-PE guest PE');
      default: {
        const never: never = this.mapping;
        throw new Error(`unknown strategy ${String(never)}`);
      }
    }
  }

  private one(pe: HostPe, op: number): number {
    const errno = this.vfio.run(pe, op, this.pT, { cause: this.call.cause });
    this.hostNs += this.vfio.lastCostNs;
    if (errno !== 0) return -errno;
    return op === VFIO_EEH_PE_GET_STATE ? this.vfio.lastState : 0;
  }

  /** Fan-out: one consistent state first, then the op on every host PE, one result for the guest. */
  private replay(gpe: GuestPe, op: number): number {
    if (!gpe.statesAgree()) this.bringToStopped(gpe, this.pT, this.call.cause);
    if (op === VFIO_EEH_PE_GET_STATE) {
      let code = -1;
      for (const pe of gpe.hostPes) {
        const ret = this.one(pe, op);
        if (ret === EEH_PE_STATE_UNAVAIL || code === -1) code = ret;
      }
      return code;
    }
    let failed = 0;
    let firstError = 0;
    for (const pe of gpe.hostPes) {
      const ret = this.one(pe, op);
      if (ret < 0) {
        failed++;
        if (firstError === 0) firstError = ret;
      }
    }
    if (failed === 0) return 0;
    if (failed < gpe.hostPes.length) this.resolvedPartialFailures++;
    this.bringToStopped(gpe, this.pT, this.call.cause);
    return firstError;
  }

  /**
   * Fan-out: every host PE of the guest PE to Stopped: a PE in reset is deasserted then frozen, a thawed
   * or normal one frozen (VFIO INJECT_ERR with the event's serial); unavailable and failed ones are left.
   */
  bringToStopped(gpe: GuestPe, tNs: number, cause: number): void {
    const serial = Math.max(0, ...gpe.hostPes.map((p) => p.lastSerial)) || this.vfio.newSerial();
    for (const pe of gpe.hostPes) {
      if (pe.state === 'reset') {
        this.vfio.run(pe, VFIO_EEH_PE_RESET_DEACTIVATE, tNs, { cause });
        this.hostNs += this.vfio.lastCostNs;
      }
      const s = pe.state;
      if (s === 'normal' || s === 'stopped-dma' || s === 'stopped-mmio') {
        this.vfio.run(pe, VFIO_EEH_PE_INJECT_ERR, tNs, { serial, origin: 'fan-out', cause });
        this.hostNs += this.vfio.lastCostNs;
      }
    }
  }

  /** Fan-out: the host tells QEMU a device's PE froze (one notification per device, each with the serial). */
  notifyFrozen(gpe: GuestPe, pe: HostPe, serial: number, tNs: number, cause: number): void {
    for (const device of pe.devices) {
      this.clock.at(tNs + this.options.notifyNs, () => this.onNotification(gpe, device, serial, cause));
    }
  }

  private onNotification(gpe: GuestPe, device: string, serial: number, cause: number): void {
    const t = this.clock.now();
    const merged = this.seenSerials.has(serial);
    if (merged) this.duplicateNotificationsMerged++;
    else {
      this.seenSerials.add(serial);
      this.hostNs = 0;
      this.bringToStopped(gpe, t, cause);
    }
    this.tl.notification(gpe.lane, t, serial, device, merged, cause);
  }
}
