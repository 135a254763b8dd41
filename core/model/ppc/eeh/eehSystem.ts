// The EEH side of one VM: its host PEs and guest PEs (from devices[].hostPe / guestPe), the host
// kernel's VFIO_EEH_PE_OP, QEMU's RTAS calls with the VM's strategy for multi-host-PE guest PEs, and
// the guest kernel's detection and recovery, all on one clock. Entry points for the rest of the lab:
// what a device's DMA and MMIO see (dmaAllowed, mmioRead, mmioWrite), errors (freeze, inject), and the
// metrics, snapshot and invariants of an ops layer.
// Every entry point takes the time it happens at and first runs the EEH actions due by then.
// Must not: decide EEH semantics (the files it assembles do).

import type { HostEnvironment } from '../../host/hostEnvironment';
import type { LayerInstance } from '../../base/layerInstance';
import { addMetric, maxMetric, type MetricMap } from '../../../sim/metricSink';
import type { Scenario, VmConfig } from '../../../scenario/schema';
import type { CostTable } from '../../../sim/costTable';
import type { Simulation } from '../../../sim/simulation';
import { NO_CAUSE, TimelineRecorder } from '../../../sim/timelineRecorder';
import { QemuVm } from '../../qemu/qemuVm';
import { EehClock } from './eehClock';
import { GuestPe } from './eehGuestPe';
import { EehGuestRecovery } from './eehGuestRecovery';
import { eehPeStateIndex, type EehPeState } from './eehPeState';
import { eehPlacement } from './eehPlacement';
import { EehTimeline } from './eehTimeline';
import { type EehRecoveryStep, type FreezeOrigin, HostPe, type MmioWidth } from './hostPe';
import { EEH_RTAS_CALLS, QemuSpaprEeh } from './qemuSpaprEeh';
import { VFIO_EEH_PE_INJECT_ERR, VfioEehPeOp, type VfioEehPeOpArgs } from './vfioEehPeOp';

export interface EehSystemContext {
  /** The run's simulation; null when the caller has none (the EEH clock then advances with the calls). */
  readonly sim: Simulation | null;
  readonly costs: CostTable;
  readonly timeline: TimelineRecorder;
  readonly scenario: Scenario;
  readonly vm: VmConfig;
  /** The VM's QEMU (the stack's); null: the EEH system makes its own. */
  readonly qemu: QemuVm | null;
  readonly env?: HostEnvironment;
}

const MS = 1_000_000;

export function createEehSystem(ctx: EehSystemContext): EehSystem {
  return new EehSystem(ctx);
}

/**
 * The VM's EEH layer registered in `env` under `eeh:<vm>`, created on first use. The simulation is
 * `sim` when given, else the environment's `sim` if it carries one; without either (unit tests of host
 * layers) the layer keeps its own clock and a private timeline.
 */
export function eehSystemFor(env: HostEnvironment, vm: VmConfig, sim: Simulation | null = null, qemu: QemuVm | null = null): EehSystem {
  const eeh = env.instance(`eeh:${vm.name}`, () => {
    const run = sim ?? env.sim ?? null;
    return createEehSystem({
      sim: run,
      costs: env.costs,
      timeline: run?.timeline ?? new TimelineRecorder(1_000_000),
      scenario: env.scenario,
      vm,
      qemu,
      env,
    });
  });
  if (sim !== null && !eeh.clock.attached) eeh.clock.attach(sim);
  return eeh;
}

export class EehSystem implements LayerInstance {
  readonly laneName: string;
  readonly clock: EehClock;
  readonly vfio: VfioEehPeOp;
  readonly qemu: QemuSpaprEeh;
  readonly recovery: EehGuestRecovery;
  readonly hostPes: readonly HostPe[];
  readonly guestPes: readonly GuestPe[];
  /** Cost of the last device access (mmioRead / mmioWrite), ns. */
  lastCostNs = 0;
  private readonly byHostPe = new Map<number, HostPe>();
  private readonly byGuestPe = new Map<number, GuestPe>();
  private readonly guestOfHost = new Map<HostPe, GuestPe>();
  private readonly deviceHost = new Map<string, HostPe>();
  private readonly ownQemu: QemuVm | null;
  private readonly tl: EehTimeline;
  private mmioInconsistent = 0;
  private readonly stateListeners: ((pe: HostPe, tNs: number) => void)[] = [];
  private unhandledFreezes = 0;

  constructor(private readonly ctx: EehSystemContext) {
    const { vm, scenario, costs } = ctx;
    const o = vm.eeh;
    this.laneName = `eeh.${vm.name}`;
    this.clock = new EehClock(ctx.sim);
    this.tl = new EehTimeline(ctx.timeline);
    const nested = scenario.host.hypervisor === 'powervm-nested';
    this.ownQemu = ctx.qemu === null ? new QemuVm(costs, ctx.timeline, { name: vm.name, nested }) : null;
    const qemuVm = ctx.qemu ?? this.ownQemu!;
    this.vfio = new VfioEehPeOp(costs, o, nested);
    this.qemu = new QemuSpaprEeh(this.vfio, o.guestPeMapping, qemuVm, this.tl, this.clock, {
      unavailableHintMs: o.unavailableHintMs,
      notifyNs: costs.eehNotifyNs,
      iommufd: scenario.host.vfio.backend === 'iommufd',
    });
    this.recovery = new EehGuestRecovery(this.qemu, this.clock, this.tl, o, costs);
    const placement = eehPlacement(scenario, vm);
    this.hostPes = placement.hostPes.map((p) => {
      const pe = new HostPe(
        p.pe,
        p.devices.map((d) => d.name),
        this.tl,
        (host, _from, _to, t) => {
          this.guestOfHost.get(host)?.noteStates(t);
          for (const listener of this.stateListeners) listener(host, t);
        },
      );
      pe.onFreeze = (host, serial, origin, t) => this.onFreeze(host, serial, origin, t);
      this.byHostPe.set(p.pe, pe);
      for (const d of p.devices) this.deviceHost.set(d.name, pe);
      return pe;
    });
    const devices = new Map(vm.devices.map((d) => [d.name, d]));
    this.guestPes = placement.guestPes.map((g) => {
      const hosts = g.hostPes.map((n) => this.byHostPe.get(n)!);
      const gpe = new GuestPe(
        vm.name,
        g.pe,
        hosts,
        hosts.flatMap((h) => h.devices.map((name) => devices.get(name)!)),
        { maxFreezes: o.maxFreezes, windowS: o.freezeWindowS },
        this.tl.guestPeLane(vm.name, g.pe),
      );
      for (const h of hosts) this.guestOfHost.set(h, gpe);
      this.byGuestPe.set(g.pe, gpe);
      return gpe;
    });
    if (ctx.sim !== null) {
      for (const pe of this.hostPes) ctx.sim.counters.define(`eeh.pe${pe.number}.state`, 'state', () => eehPeStateIndex(pe.state));
    }
  }

  /** `listener` hears every host PE state change (the stack pauses and resumes the PE's devices). */
  onHostPeState(listener: (pe: HostPe, tNs: number) => void): void {
    this.stateListeners.push(listener);
  }

  hostPe(n: number): HostPe | undefined {
    return this.byHostPe.get(n);
  }

  guestPe(n: number): GuestPe | undefined {
    return this.byGuestPe.get(n);
  }

  guestPeOfHostPe(pe: HostPe): GuestPe {
    return this.guestOfHost.get(pe)!;
  }

  hostPeOfDevice(name: string): HostPe | undefined {
    return this.deviceHost.get(name);
  }

  guestPeOfDevice(name: string): GuestPe | undefined {
    const pe = this.deviceHost.get(name);
    return pe === undefined ? undefined : this.guestOfHost.get(pe);
  }

  /** The EEH clock's time, ns (the run's when a simulation drives it). */
  nowNs(): number {
    return this.clock.now();
  }

  /** Runs every EEH action due by `tNs` (recovery steps, notifications); returns the time to act at. */
  advanceTo(tNs: number): number {
    this.clock.advanceTo(tNs);
    return Math.max(tNs, this.clock.now());
  }

  /** Whether a DMA of the device goes through now (false while its PE is frozen). */
  dmaAllowed(deviceName: string): boolean {
    return this.deviceHost.get(deviceName)?.dmaEnabled ?? true;
  }

  /** A DMA attempt by the device at `tNs`: counted as blocked when its PE is frozen. */
  dmaAttempt(deviceName: string, tNs: number): boolean {
    this.advanceTo(tNs);
    return this.deviceHost.get(deviceName)?.dmaAttempt() ?? true;
  }

  /**
   * A driver's MMIO read of `widthBytes` at `offset` (registers are not modelled: 0 when the PE's MMIO
   * works). A frozen PE answers EEH_IO_ERROR_VALUE and the guest runs eeh_check_failure, whose state
   * check lengthens the read. Cost in lastCostNs.
   */
  mmioRead(deviceName: string, _offset: number, widthBytes: MmioWidth, tNs: number): number | bigint {
    const t = this.advanceTo(tNs);
    const pe = this.device(deviceName);
    const gpe = this.guestOfHost.get(pe)!;
    if (gpe.multi && gpe.mmioDivergent()) this.mmioInconsistent++;
    const value = pe.mmioRead(widthBytes);
    this.lastCostNs = this.ctx.costs.mmioAccessNs;
    if (!pe.mmioEnabled) this.lastCostNs += this.recovery.detect(gpe, t + this.lastCostNs, pe.lastFreezeEvent);
    return value;
  }

  /** A driver's MMIO write; false when the frozen PE drops it. Cost in lastCostNs. */
  mmioWrite(deviceName: string, _offset: number, _widthBytes: MmioWidth, _value: number | bigint, tNs: number): boolean {
    this.advanceTo(tNs);
    this.lastCostNs = this.ctx.costs.mmioAccessNs;
    return this.device(deviceName).mmioWrite();
  }

  /** An EEH error on host PE `pe` at `tNs` (fault, DMA to an unmapped IOVA): its serial, or 0 if nothing froze. */
  freeze(pe: number, tNs: number, cause = NO_CAUSE): number {
    const t = this.advanceTo(tNs);
    const host = this.byHostPe.get(pe);
    if (host === undefined) return 0;
    const serial = this.vfio.newSerial();
    return host.freeze(serial, t, 'error', cause) ? serial : 0;
  }

  /** VFIO_EEH_PE_OP INJECT_ERR on host PE `pe`: 0 or a Linux errno (cost in vfio.lastCostNs). */
  inject(pe: number, errType: number, errFunc: number, tNs: number, cause = NO_CAUSE): number {
    return this.peOp(pe, VFIO_EEH_PE_INJECT_ERR, tNs, { errType, errFunc, cause });
  }

  /** Any VFIO_EEH_PE_OP on host PE `pe` (ENODEV for a PE the VM does not own). */
  peOp(pe: number, op: number, tNs: number, args: VfioEehPeOpArgs = {}): number {
    const t = this.advanceTo(tNs);
    return this.vfio.run(this.byHostPe.get(pe), op, t, args);
  }

  /** Arms a one-shot failure of `step` on host PE `pe` (fault eeh-recovery-step-fails); false for an unknown PE. */
  armStepFailure(pe: number, step: EehRecoveryStep): boolean {
    const host = this.byHostPe.get(pe);
    host?.arm(step);
    return host !== undefined;
  }

  /** The host recovers the PHB above `pe` for `ms`: the PE reads unavailable meanwhile, then frozen. */
  makeUnavailable(pe: number, ms: number, tNs: number): boolean {
    const t = this.advanceTo(tNs);
    const host = this.byHostPe.get(pe);
    if (host === undefined || !host.makeUnavailable(t + ms * MS, t)) return false;
    this.clock.at(t + ms * MS, () => host.endUnavailable(this.clock.now(), () => this.vfio.newSerial()));
    return true;
  }

  /** The guest reboots: recoveries are abandoned, counters restart, QEMU re-enables EEH (spapr_phb_vfio_reset). */
  resetGuest(tNs: number): void {
    const t = this.advanceTo(tNs);
    for (const gpe of this.guestPes) {
      if (gpe.removed) continue;
      this.recovery.abandon(gpe);
      gpe.window.clear();
      gpe.errorStartNs = -1;
      if (this.qemu.eehAvailable(gpe)) this.qemu.setEehOption(gpe, 1, t);
    }
  }

  private device(name: string): HostPe {
    const pe = this.deviceHost.get(name);
    if (pe === undefined) throw new Error(`device ${name} is not in VM ${this.ctx.vm.name}`);
    return pe;
  }

  private onFreeze(pe: HostPe, serial: number, origin: FreezeOrigin, t: number): void {
    const gpe = this.guestOfHost.get(pe)!;
    if (gpe.removed) return;
    if (origin === 'error' && gpe.errorStartNs < 0) {
      gpe.errorStartNs = t;
      gpe.errorCause = pe.lastFreezeEvent;
    }
    const available = this.qemu.eehAvailable(gpe);
    if (origin === 'error' && !available && this.recovery.auto) this.unhandledFreezes++;
    if (gpe.multi && this.qemu.mapping === 'fan-out') this.qemu.notifyFrozen(gpe, pe, serial, t, pe.lastFreezeEvent);
    if (!available || !this.recovery.auto) return;
    const delays = pe.devices.map((d) => this.ctx.vm.eeh.detectionMs[this.kindOf(d)]).filter((ms): ms is number => ms !== null);
    if (delays.length === 0) return;
    const at = t + Math.min(...delays) * MS;
    this.clock.at(at, () => this.recovery.detect(gpe, this.clock.now(), pe.lastFreezeEvent));
  }

  private kindOf(device: string): VmConfig['devices'][number]['kind'] {
    return this.ctx.vm.devices.find((d) => d.name === device)!.kind;
  }

  /** How many host PEs are in `state` now. */
  countIn(state: EehPeState): number {
    return this.hostPes.filter((p) => p.state === state).length;
  }

  collectMetrics(into: MetricMap): void {
    const now = this.clock.now();
    for (const call of EEH_RTAS_CALLS) addMetric(into, `rtas.${call}`, this.qemu.rtasCalls[call]);
    addMetric(
      into,
      'eeh.freezes',
      this.sum((p) => p.errorFreezes),
    );
    addMetric(
      into,
      'eeh.fanOutFreezes',
      this.sum((p) => p.fanOutFreezes),
    );
    addMetric(into, 'eeh.recoveries', this.recovery.recoveries);
    addMetric(into, 'eeh.permanentFailures', this.recovery.permanentFailures);
    addMetric(into, 'eeh.inconsistentStates', this.qemu.inconsistentStates + this.mmioInconsistent);
    addMetric(into, 'eeh.inconsistentMs', this.guestPes.reduce((s, g) => s + g.divergentUpTo(now), 0) / MS);
    maxMetric(into, 'eeh.recoveryTimeMs', this.recovery.recoveryTimeMaxMs);
    addMetric(into, 'eeh.duplicateNotificationsMerged', this.qemu.duplicateNotificationsMerged);
    addMetric(into, 'eeh.resolvedPartialFailures', this.qemu.resolvedPartialFailures);
    addMetric(into, 'eeh.unhandledFreezes', this.unhandledFreezes);
    addMetric(into, 'eeh.rtasRefused', this.qemu.refusedCalls);
    addMetric(into, 'eeh.detections', this.recovery.detections);
    addMetric(into, 'eeh.falsePositives', this.recovery.falsePositives);
    addMetric(
      into,
      'eeh.mmioAllOnesReads',
      this.sum((p) => p.allOnesReads),
    );
    addMetric(
      into,
      'eeh.mmioWritesDropped',
      this.sum((p) => p.writesDropped),
    );
    addMetric(
      into,
      'eeh.dmaBlocked',
      this.sum((p) => p.dmaBlocked),
    );
    addMetric(into, 'eeh.vfioPeOps', this.vfio.calls);
    addMetric(into, 'eeh.hostPesNormal', this.countIn('normal'));
    addMetric(into, 'eeh.divergentGuestPes', this.guestPes.filter((g) => !g.removed && !g.statesAgree()).length);
    if (this.ownQemu !== null) addMetric(into, 'vmexits', this.ownQemu.exits);
  }

  private sum(f: (p: HostPe) => number): number {
    return this.hostPes.reduce((s, p) => s + f(p), 0);
  }

  snapshot(): unknown {
    return {
      hostPes: this.hostPes.map((p) => p.snapshot()),
      guestPes: this.guestPes.map((g) => g.snapshot()),
      pendingActions: this.clock.pending,
    };
  }

  checkInvariants(): string[] {
    const problems = this.hostPes.flatMap((p) => p.checkInvariants());
    for (const gpe of this.guestPes) {
      if (gpe.removed && gpe.recovering) problems.push(`guest PE ${gpe.number} was removed but is still recovering`);
      if (gpe.recovering && this.clock.pending === 0) problems.push(`guest PE ${gpe.number} is recovering with no step pending`);
    }
    for (const pe of this.hostPes) {
      if (pe.dmaEnabled && (pe.state === 'stopped' || pe.state === 'stopped-dma' || pe.state === 'reset')) {
        problems.push(`host PE ${pe.number} lets DMA through in state ${pe.state}`);
      }
    }
    return problems;
  }
}
