// The pseries guest kernel's EEH core for one VM: detection (a driver reads all ones ->
// eeh_dev_check_failure asks firmware for the PE state) and recovery (eeh_handle_normal_event) as timed
// steps, every platform request going through the guest RTAS calls (qemuSpaprEeh.ts), so the VM's
// strategy for multi-host-PE guest PEs applies. Sources (torvalds/linux): arch/powerpc/kernel/eeh.c
// eeh_dev_check_failure, eeh_pci_enable, eeh_pe_reset_full, eeh_slot_error_detail; eeh_driver.c
// eeh_handle_normal_event, eeh_reset_device, eeh_clear_pe_frozen_state; eeh_pe.c eeh_wait_state,
// eeh_pe_update_time_stamp; platforms/pseries/eeh_pseries.c pseries_eeh_reset (hold / settle sleeps
// after the RTAS call), pseries_eeh_init (EEH_ENABLE_IO_FOR_LOG: MMIO is thawed to collect the log).
// The platform calls themselves are in pseriesEehOps.ts. Each phase is its own timed action.
// Simplification: after a reset the state is read once; an unavailable PE there counts as inactive
// (the next of the three attempts follows) instead of being waited for.
// Must not: touch host PEs except through RTAS calls (a permanent failure removes the guest's devices
// and tells the host nothing: its PEs stay as the last call left them).

import type { CostTable } from '../../../sim/costTable';
import type { EehOptions } from '../../../scenario/eehSchema';
import type { EehClock } from './eehClock';
import type { GuestPe } from './eehGuestPe';
import type { EehTimeline } from './eehTimeline';
import type { EehRecoveryStep, HostPe } from './hostPe';
import {
  type QemuSpaprEeh,
  RTAS_SLOT_PERM_ERR_LOG,
  RTAS_SLOT_RESET_DEACTIVATE,
  RTAS_SLOT_RESET_FUNDAMENTAL,
  RTAS_SLOT_RESET_HOT,
  RTAS_SLOT_TEMP_ERR_LOG,
} from './qemuSpaprEeh';
import type { EehPeState } from './eehPeState';
import { EEH_STATE_NOT_SUPPORT, EEH_STATE_UNAVAILABLE, PseriesEehOps, stateActive } from './pseriesEehOps';
import { EIO } from '../../base/errno';

/** eeh_pe_reset_full: three attempts; eeh_clear_pe_frozen_state: three tries. */
const RESET_ATTEMPTS = 3;
const UNFREEZE_TRIES = 3;
const MS = 1_000_000;

/** enum pci_ers_result as the lab uses it, merged by eeh_result_priority. */
export type ErsResult = 'none' | 'recovered' | 'can-recover' | 'disconnect' | 'need-reset';
const PRIORITY: Readonly<Record<ErsResult, number>> = { none: 1, recovered: 3, 'can-recover': 4, disconnect: 5, 'need-reset': 6 };

function merge(old: ErsResult, next: ErsResult): ErsResult {
  return PRIORITY[next] > PRIORITY[old] ? next : old;
}

export interface RecoveryOutcome {
  readonly guestPe: number;
  readonly outcome: 'recovered' | 'permanent';
  readonly tNs: number;
  /** Host PE states right after the outcome. */
  readonly states: readonly EehPeState[];
}

interface Run {
  readonly gpe: GuestPe;
  readonly cause: number;
  result: ErsResult;
  attempt: number;
  resetRet: number;
  /** RTAS status of the last set-slot-reset call. */
  status: number;
  waitLeftMs: number;
  /** Devices whose driver has no handler: removed around the reset (eeh_rmv_device). */
  removed: number;
  /** After the reset: report slot_reset (NEED_RESET path) or go straight to resume (NONE path). */
  slotReset: boolean;
  /** Why the recovery failed (permanent path). */
  why: string;
}

export class EehGuestRecovery {
  detections = 0;
  falsePositives = 0;
  recoveries = 0;
  permanentFailures = 0;
  recoveryTimeMaxMs = 0;
  recoveryTimeTotalMs = 0;
  readonly outcomes: RecoveryOutcome[] = [];
  private readonly pseries: PseriesEehOps;

  constructor(
    private readonly qemu: QemuSpaprEeh,
    private readonly clock: EehClock,
    private readonly tl: EehTimeline,
    private readonly options: EehOptions,
    private readonly costs: CostTable,
  ) {
    this.pseries = new PseriesEehOps(qemu);
  }

  get auto(): boolean {
    return this.options.guestRecovery === 'auto';
  }

  /**
   * eeh_dev_check_failure after a driver read all ones from a device of `gpe` at `tNs`: ask the PE
   * state; a frozen PE is marked isolated and its event handled (eeh_handle_normal_event). Returns the
   * time the check took (the read returns only after it).
   */
  detect(gpe: GuestPe, tNs: number, cause: number): number {
    if (!this.auto || gpe.removed || gpe.isolated || gpe.recovering || !this.qemu.eehAvailable(gpe)) return 0;
    const { flags, t } = this.pseries.getState(gpe, tNs, cause);
    if (flags < 0 || flags === EEH_STATE_NOT_SUPPORT || stateActive(flags)) {
      this.falsePositives++;
      return t - tNs;
    }
    gpe.isolated = true;
    gpe.recovering = true;
    this.detections++;
    const event = this.tl.step(gpe.lane, tNs, t - tNs, 'detect', 'frozen', 0, gpe.errorCause >= 0 ? gpe.errorCause : cause);
    const run: Run = {
      gpe,
      cause: event,
      result: 'none',
      attempt: 0,
      resetRet: 0,
      status: 0,
      waitLeftMs: 0,
      removed: 0,
      slotReset: true,
      why: '',
    };
    this.go(run, t, this.start);
    return t - tNs;
  }

  /** Abandons recoveries in flight (guest reboot): their pending steps see the guest PE no longer recovering. */
  abandon(gpe: GuestPe): void {
    gpe.recovering = false;
    gpe.isolated = false;
  }

  /**
   * Continues the recovery with `phase` at `tNs`: every phase runs as its own timed action, so what
   * a later phase changes is not visible before its time; a recovery abandoned meanwhile stops.
   */
  private go(run: Run, tNs: number, phase: (run: Run, tNs: number) => void): void {
    this.clock.at(tNs, () => {
      if (run.gpe.recovering) phase.call(this, run, this.clock.now());
    });
  }

  private fail(run: Run, tNs: number, why: string): void {
    run.why = why;
    this.go(run, tNs, this.permanent);
  }

  private start(run: Run, t: number): void {
    const { gpe } = run;
    const over = gpe.window.recordFreeze(t);
    this.tl.step(gpe.lane, t, 0, 'freeze_count', `${gpe.window.freezeCount}`, 0, run.cause);
    if (over) {
      run.result = 'disconnect';
      this.fail(run, t, `failed ${gpe.window.freezeCount} times in the last hour`);
    } else this.go(run, t, this.errorDetected);
  }

  private errorDetected(run: Run, t0: number): void {
    const t = t0 + this.driverCallbacks(run, 'error_detected', (kind) => this.options.driverResult[kind]);
    this.tl.step(run.gpe.lane, t0, t - t0, 'error_detected', run.result, 0, run.cause);
    if (run.result === 'disconnect') this.fail(run, t, 'a driver asked to disconnect');
    else {
      run.waitLeftMs = this.options.recoveryWaitMaxMs;
      for (const pe of run.gpe.hostPes) if (pe.consume('wait')) this.holdUnavailable(pe, t);
      this.go(run, t, this.wait);
    }
  }

  /** The lab's wait fault: the host keeps the PE unavailable past the guest's patience. */
  private holdUnavailable(pe: HostPe, t: number): void {
    const until = t + (this.options.recoveryWaitMaxMs + this.options.unavailableHintMs) * MS + 1;
    pe.makeUnavailable(until, t);
    this.clock.at(until, () => pe.endUnavailable(this.clock.now(), () => this.qemu.newSerial()));
  }

  /** eeh_wait_state(pe, MAX_WAIT_FOR_RECOVERY): poll while unavailable, sleeping the firmware's hint. */
  private wait(run: Run, t0: number): void {
    const { flags, t } = this.pseries.getState(run.gpe, t0, run.cause);
    if (flags === EEH_STATE_UNAVAILABLE) {
      if (run.waitLeftMs <= 0) {
        this.tl.step(run.gpe.lane, t0, t - t0, 'wait', 'timeout', 0, run.cause);
        this.fail(run, t, 'the PE stayed unavailable');
        return;
      }
      const mwait = Math.min(Math.max(this.qemu.lastUnavailableMs, 1000), 300_000);
      const sleepMs = Math.min(mwait, run.waitLeftMs);
      run.waitLeftMs -= mwait;
      this.go(run, t + sleepMs * MS, this.wait);
      return;
    }
    this.tl.step(run.gpe.lane, t0, t - t0, 'wait', flags < 0 ? `rtas ${flags}` : 'available', 0, run.cause);
    if (flags < 0 || flags === EEH_STATE_NOT_SUPPORT) this.fail(run, t, 'the PE state could not be read');
    else this.go(run, t, this.readLog);
  }

  /** eeh_slot_error_detail(EEH_LOG_TEMP): thaw MMIO for the log (pseries), configure the bridge, get the log. */
  private readLog(run: Run, t0: number): void {
    const t = this.errorDetail(run, t0, RTAS_SLOT_TEMP_ERR_LOG);
    this.tl.step(run.gpe.lane, t0, t - t0, 'read_log', 'done', 0, run.cause);
    if (run.result === 'none') run.slotReset = false;
    this.go(run, t, run.result === 'can-recover' ? this.thawMmio : this.resetDevice);
  }

  private errorDetail(run: Run, t0: number, severity: number): number {
    let t = this.pseries.pciEnable(run.gpe, t0, 'mmio', run.cause).t;
    this.qemu.configurePe(run.gpe, t, run.cause);
    t += this.qemu.lastCostNs;
    this.qemu.slotErrorDetail(run.gpe, severity, t, run.cause);
    return t + this.qemu.lastCostNs;
  }

  /** CAN_RECOVER: thaw MMIO, then mmio_enabled. */
  private thawMmio(run: Run, t0: number): void {
    const { rc, t } = this.pseries.pciEnable(run.gpe, t0, 'mmio', run.cause);
    this.tl.step(run.gpe.lane, t0, t - t0, 'thaw_mmio', rc < 0 ? 'failed' : 'ok', 0, run.cause);
    if (rc < 0) this.fail(run, t, 'MMIO could not be thawed');
    else this.go(run, t, this.mmioEnabled);
  }

  private mmioEnabled(run: Run, t0: number): void {
    const t = t0 + this.driverCallbacks(run, 'mmio_enabled', () => 'recovered');
    this.tl.step(run.gpe.lane, t0, t - t0, 'mmio_enabled', run.result, 0, run.cause);
    if (run.result === 'can-recover') this.go(run, t, this.thawDma);
    else this.afterThaw(run, t);
  }

  /** Still CAN_RECOVER: thaw DMA; the PE is no longer isolated: RECOVERED. */
  private thawDma(run: Run, t0: number): void {
    const { rc, t } = this.pseries.pciEnable(run.gpe, t0, 'dma', run.cause);
    this.tl.step(run.gpe.lane, t0, t - t0, 'thaw_dma', rc < 0 ? 'failed' : 'ok', 0, run.cause);
    if (rc < 0) run.result = 'disconnect';
    else {
      run.gpe.isolated = false;
      run.result = 'recovered';
    }
    this.afterThaw(run, t);
  }

  private afterThaw(run: Run, t: number): void {
    if (run.result === 'recovered') this.go(run, t, this.resume);
    else if (run.result === 'need-reset') this.go(run, t, this.resetDevice);
    else this.fail(run, t, 'recovery without reset failed');
  }

  /** eeh_reset_device: remove handler-less devices, eeh_pe_reset_full, configure, unfreeze, re-add. */
  private resetDevice(run: Run, t: number): void {
    run.removed = run.gpe.devices.filter((d) => this.options.driverResult[d.kind] === 'none').length;
    run.attempt = 0;
    run.resetRet = 0;
    this.resetAssert(run, t);
  }

  private resetAssert(run: Run, t0: number): void {
    run.attempt++;
    const option = this.options.resetType === 'fundamental' ? RTAS_SLOT_RESET_FUNDAMENTAL : RTAS_SLOT_RESET_HOT;
    run.status = this.qemu.setSlotReset(run.gpe, option, t0, run.cause);
    const t = t0 + this.qemu.lastCostNs;
    this.tl.step(run.gpe.lane, t0, t - t0, 'reset', run.status === 0 ? 'asserted' : `rtas ${run.status}`, run.attempt, run.cause);
    // pseries_eeh_reset sleeps the hold time whatever the call returned.
    this.go(run, t + this.options.resetHoldMs * MS, this.resetDeassert);
  }

  private resetDeassert(run: Run, t0: number): void {
    if (run.status !== 0) {
      run.resetRet = -EIO;
      this.nextResetAttempt(run, t0);
      return;
    }
    run.status = this.qemu.setSlotReset(run.gpe, RTAS_SLOT_RESET_DEACTIVATE, t0, run.cause);
    const t = t0 + this.qemu.lastCostNs;
    this.tl.step(run.gpe.lane, t0, t - t0, 'reset', run.status === 0 ? 'deasserted' : `rtas ${run.status}`, run.attempt, run.cause);
    this.go(run, t + this.options.resetSettleMs * MS, this.afterSettle);
  }

  /** eeh_pe_reset(DEACTIVATE): re-enable devices (unfreeze the PE), then eeh_wait_state. */
  private afterSettle(run: Run, t0: number): void {
    if (run.status !== 0) {
      run.resetRet = -EIO;
      this.nextResetAttempt(run, t0);
      return;
    }
    const unfreeze = this.pseries.unfreeze(run.gpe, t0, run.cause);
    if (unfreeze.rc < 0) {
      run.resetRet = -EIO;
      this.nextResetAttempt(run, unfreeze.t);
      return;
    }
    run.resetRet = 0;
    const { flags, t } = this.pseries.getState(run.gpe, unfreeze.t, run.cause);
    if (flags >= 0 && flags !== EEH_STATE_UNAVAILABLE && stateActive(flags)) this.go(run, t, this.resetDone);
    else this.nextResetAttempt(run, t);
  }

  private nextResetAttempt(run: Run, t: number): void {
    this.go(run, t, run.attempt < RESET_ATTEMPTS ? this.resetAssert : this.resetDone);
  }

  private resetDone(run: Run, t0: number): void {
    if (run.resetRet !== 0) {
      this.fail(run, t0, 'the PE could not be reset');
      return;
    }
    this.qemu.configurePe(run.gpe, t0, run.cause);
    let t = t0 + this.qemu.lastCostNs;
    // eeh_clear_pe_frozen_state: up to three unfreezes.
    let rc = -EIO;
    for (let i = 0; i < UNFREEZE_TRIES && rc < 0; i++) ({ rc, t } = this.pseries.unfreeze(run.gpe, t, run.cause));
    this.tl.step(run.gpe.lane, t0, t - t0, 'configure', rc < 0 ? 'still frozen' : 'ok', run.attempt, run.cause);
    if (rc < 0) {
      this.fail(run, t, 'the PE stayed frozen after reset');
      return;
    }
    run.gpe.isolated = false;
    const delayNs = run.removed > 0 || !run.slotReset ? this.options.hotplugDelayMs * MS : 0;
    this.go(run, t + delayNs, run.slotReset ? this.slotReset : this.resume);
  }

  private slotReset(run: Run, t0: number): void {
    run.result = 'none' as ErsResult;
    const t = t0 + this.driverCallbacks(run, 'slot_reset', () => 'recovered');
    this.tl.step(run.gpe.lane, t0, t - t0, 'slot_reset', run.result, 0, run.cause);
    if (run.result === 'recovered' || run.result === 'none') this.go(run, t, this.resume);
    else this.fail(run, t, 'slot_reset failed');
  }

  /** resume: its result is ignored (eeh_pe_report(..., NULL)); "EEH: Recovery successful." */
  private resume(run: Run, t0: number): void {
    const { gpe } = run;
    let t = t0;
    for (const d of gpe.devices) {
      if (this.options.driverResult[d.kind] === 'none') continue;
      gpe.hostPeOf(d.name).consume('resume');
      t += this.costs.eehDriverHandlerNs;
    }
    this.tl.step(gpe.lane, t0, t - t0, 'resume', 'done', 0, run.cause);
    const recoveryNs = gpe.errorStartNs >= 0 ? t - gpe.errorStartNs : 0;
    this.recoveries++;
    this.recoveryTimeMaxMs = Math.max(this.recoveryTimeMaxMs, recoveryNs / MS);
    this.recoveryTimeTotalMs += recoveryNs / MS;
    this.tl.recovered(gpe.lane, t, recoveryNs, run.cause);
    this.finish(run, 'recovered', t);
  }

  /**
   * The permanent-failure path (recover_failed): permanent log (eeh_slot_error_detail(EEH_LOG_PERM)
   * thaws MMIO first), error_detected(perm_failure), devices removed. The host is never told: its PEs
   * stay as the log left them (MMIO thawed, DMA stopped: state 4 to a later query).
   */
  private permanent(run: Run, t0: number): void {
    const { gpe } = run;
    let t = this.errorDetail(run, t0, RTAS_SLOT_PERM_ERR_LOG);
    t += gpe.devices.filter((d) => this.options.driverResult[d.kind] !== 'none').length * this.costs.eehDriverHandlerNs;
    gpe.removed = true;
    gpe.noteStates(t);
    this.permanentFailures++;
    this.tl.permanentFailure(gpe.lane, t, gpe.window.freezeCount, run.why, run.cause);
    this.finish(run, 'permanent', t);
  }

  private finish(run: Run, outcome: RecoveryOutcome['outcome'], t: number): void {
    const { gpe } = run;
    gpe.recovering = false;
    gpe.isolated = outcome === 'permanent';
    gpe.errorStartNs = -1;
    this.outcomes.push({ guestPe: gpe.number, outcome, tNs: t, states: gpe.hostPes.map((p) => p.state) });
    for (const listener of this.finishListeners) listener(gpe, outcome, t);
  }

  private readonly finishListeners: ((gpe: GuestPe, outcome: RecoveryOutcome['outcome'], tNs: number) => void)[] = [];

  /** `listener` hears the end of every recovery (the drivers resumed, or the PE failed for good). */
  onFinished(listener: (gpe: GuestPe, outcome: RecoveryOutcome['outcome'], tNs: number) => void): void {
    this.finishListeners.push(listener);
  }

  /**
   * Calls `step` on every EEH-aware driver of the guest PE, merging results into run.result; a driver
   * whose host PE has that step armed to fail answers DISCONNECT. Returns the time the callbacks took.
   */
  private driverCallbacks(run: Run, step: EehRecoveryStep, answer: (kind: GuestPe['devices'][number]['kind']) => string): number {
    let ns = 0;
    for (const d of run.gpe.devices) {
      const own = this.options.driverResult[d.kind];
      if (own === 'none') continue;
      const failed = run.gpe.hostPeOf(d.name).consume(step);
      run.result = merge(run.result, failed ? 'disconnect' : (answer(d.kind) as ErsResult));
      ns += this.costs.eehDriverHandlerNs;
    }
    return ns;
  }
}
