// The sPAPR side of one VM: its guest PHBs (one per guest PE: devices with the same guestPe share
// one, QEMU's SPAPR PHB of that index), the LIOBN directory the hypervisor looks TCE calls up in
// (spapr_tce_find_by_liobn), the hypercall and RTAS handlers, the host below each PHB (containers,
// in-kernel tables, PowerVM when nested), the guest kernel's pseries DMA state, and window changes.
// Devices sit where the EEH side puts them (spaprPlacementOf). One instance per VM, registered in the run's environment as "spaprGuest:<vm>" so hcall.* and
// rtas.* ops find it. Its metrics are reported once, by its reporting front-end (reportMetrics):
// collectMetrics does nothing, so ops runs (which collect environment instances) and timed runs
// (which collect front-ends) count them exactly once.
// Topologies: "kvm" and "powernv" = KVM on bare metal (L1 has the real IOMMU); "powervm-nested" = KVM
// in an LPAR (L0 PowerVM, L2 guest).
// Must not: implement hypercall, RTAS or guest-driver semantics (their files do).

import type { CostTable } from '../../sim/costTable';
import type { SimTimeNs } from '../../sim/simTime';
import type { TimelineRecorder } from '../../sim/timelineRecorder';
import type { HostEnvironment } from '../host/hostEnvironment';
import type { LayerInstance } from '../base/layerInstance';
import { maxMetric, addMetric, type MetricMap } from '../../sim/metricSink';
import type { DeviceConfig, Scenario, VmConfig } from '../../scenario/schema';
import type { SpaprViommuOptions } from '../../scenario/ppcSchema';
import { OK, linuxErrnoName } from '../base/errno';
import type { QemuVm } from '../qemu/qemuVm';
import { MmIommuMemList } from './host/spaprTceContainer';
import { spaprPlatformOf } from './host/spaprTceWindows';
import { DEFAULT_GUEST_PE, eehHostPeNumbers } from './eeh/eehPlacement';
import { PowerVmL0 } from './host/nestedPowerVm';
import { PseriesKernel } from './guest/pseriesKernel';
import { SpaprHcalls, type SpaprLiobnSlot } from './qemu/spaprHcalls';
import { SpaprHostTce, type SpaprHostTopology } from './host/spaprHostTce';
import { SpaprPhb } from './qemu/spaprPhb';
import { SpaprRtasDdw } from './qemu/spaprRtasDdw';
import { SpaprWindowChange } from './qemu/spaprWindowChange';

export interface SpaprMachineDeps {
  readonly costs: CostTable;
  readonly timeline: TimelineRecorder;
  readonly scenario: Scenario;
  readonly vm: VmConfig;
  readonly qemu: QemuVm;
  readonly env: HostEnvironment;
  /** The run's clock (the VM's stack is built at clock.now). */
  readonly clock: { readonly now: number };
}

function topologyOf(hypervisor: string): SpaprHostTopology {
  if (hypervisor === 'kvm' || hypervisor === 'powernv') return 'powernv';
  if (hypervisor === 'powervm-nested') return 'powervm-nested';
  throw new Error(`the sPAPR vIOMMU models KVM guests (kvm, powernv, powervm-nested), not ${hypervisor}`);
}

/**
 * Where a device sits: its host PE (devices[].hostPe, else a PE of its own numbered after the highest
 * explicit one) and its guest PE (devices[].guestPe, else QEMU's default PHB 0), the placement the
 * EEH side uses too (eehPlacement.ts), so both see the same PHBs.
 */
export function spaprPlacementOf(scenario: Scenario, device: DeviceConfig): { hostPe: number; guestPe: number } {
  const hostPe = eehHostPeNumbers(scenario).get(device.name);
  if (hostPe === undefined) throw new Error(`no device ${device.name}`);
  return { hostPe, guestPe: device.guestPe ?? DEFAULT_GUEST_PE };
}

export class SpaprMachine implements LayerInstance {
  readonly laneName: string;
  readonly lane: number;
  readonly options: SpaprViommuOptions;
  readonly topology: SpaprHostTopology;
  readonly phbs: readonly SpaprPhb[];
  readonly l0: PowerVmL0;
  readonly hcalls: SpaprHcalls;
  readonly rtas: SpaprRtasDdw;
  readonly kernel: PseriesKernel;
  readonly windowChange: SpaprWindowChange;
  readonly ramBytes: number;
  /** The front-end that reports this machine's metrics (the latest one built for the VM's first device). */
  reporter: object | null = null;
  private readonly slots = new Map<number, SpaprLiobnSlot>();
  /** The last LIOBN looked up and its slot (slots never change once the machine is built). */
  private lastLiobn = -1;
  private lastSlot: SpaprLiobnSlot | undefined = undefined;
  /** Device -> when its guest-side DMA layer was last retired (ns), for telling a guest reset from a re-plug. */
  private readonly retiredAt = new Map<string, number>();
  private readonly layerDevices = new Set<string>();
  /** Guest reboots seen (every device of a PHB retired at once). */
  resets = 0;
  /** PHBs whose host containers could not be set up (QEMU would not start the VM; the lab runs on unmirrored). */
  readonly setupFailures: { readonly pe: number; readonly errno: number }[] = [];

  constructor(readonly deps: SpaprMachineDeps) {
    const { scenario, vm, costs, timeline, env } = deps;
    this.options = vm.viommu.spapr;
    this.topology = topologyOf(scenario.host.hypervisor);
    this.ramBytes = vm.memoryBytes;
    this.laneName = `spapr.${vm.name}`;
    this.lane = timeline.defineLane(this.laneName, 'spapr');
    this.l0 = new PowerVmL0(costs, deps.clock);
    const nested = this.topology === 'powervm-nested';
    if (nested) this.l0.startGuest(vm.vcpus);
    const mm = env.instance('spaprMm', () => new MmIommuMemList(env.process, env.faults, scenario.host.spapr.hostPageShift));
    const platform = spaprPlatformOf(scenario);
    const hugetlb = scenario.host.memoryBacking.startsWith('hugepages');
    const ramPageShift = hugetlb ? Math.log2(env.process.chunkBytes) : scenario.host.spapr.hostPageShift;
    const version = scenario.host.vfio.backend === 'spapr-tce-v1' ? 1 : 2;
    const byPe = new Map<number, { devices: string[]; hostPes: Set<number> }>();
    for (const d of vm.devices) {
      const { hostPe, guestPe } = spaprPlacementOf(scenario, d);
      const entry = byPe.get(guestPe) ?? { devices: [], hostPes: new Set<number>() };
      entry.devices.push(d.name);
      entry.hostPes.add(hostPe);
      byPe.set(guestPe, entry);
    }
    this.phbs = [...byPe.keys()]
      .sort((a, b) => a - b)
      .map((pe) => {
        const devices = byPe.get(pe)!.devices;
        const hostPes = [...byPe.get(pe)!.hostPes].sort((a, b) => a - b);
        const host = new SpaprHostTce(
          {
            laneName: `spapr.${vm.name}.phb${pe}`,
            topology: this.topology,
            hostPes,
            version,
            inKernel: this.options.inKernelTce,
            platform,
            ramBytes: this.ramBytes,
            ramPageShift,
          },
          { process: env.process, mm, faults: env.faults, costs, trackLimits: (c) => env.trackLimitAccount(c) },
          deps.qemu,
          nested ? this.l0 : null,
        );
        const phb = new SpaprPhb(
          {
            index: pe,
            ddwEnabled: this.options.ddw,
            dmaWinAddr: 0,
            dmaWinSizeBytes: this.options.dmaWinSizeBytes,
            dma64WinAddr: 2 ** this.options.dma64WinShift,
            pageShifts: this.options.pageShifts,
            queryReports2M: this.options.queryReports2M,
            ramBytes: this.ramBytes,
          },
          hostPes,
          devices,
          host,
        );
        // QEMU realizes the container (pre-registration), then resets the machine: default window.
        const rc = host.setup();
        phb.dmaReset();
        if (rc !== OK) this.setupFailures.push({ pe, errno: rc });
        for (const t of phb.tables) this.slots.set(t.liobn, { table: t, phb });
        return phb;
      });
    if (this.setupFailures.length > 0) {
      const kind = timeline.defineKind({
        name: 'vfio.spaprSetup.failed',
        args: [
          { name: 'guestPe', format: 'int' },
          { name: 'errno', format: 'errno' },
        ],
        failure: true,
      });
      for (const f of this.setupFailures)
        timeline.record(deps.clock.now as SimTimeNs, 0, this.lane, kind, f.pe, timeline.internString(linuxErrnoName(f.errno) ?? 'E?'));
    }
    const l0 = nested ? this.l0 : null;
    const find = (liobn: number) => this.findLiobn(liobn);
    this.hcalls = new SpaprHcalls({ costs, timeline, lane: this.lane, qemu: deps.qemu, l0, ramBytes: this.ramBytes, find });
    this.rtas = new SpaprRtasDdw({ costs, timeline, lane: this.lane, qemu: deps.qemu, l0, findPhb: (pe) => this.phb(pe), find });
    this.kernel = new PseriesKernel({
      costs,
      hcalls: this.hcalls,
      rtas: this.rtas,
      options: this.options,
      ramBytes: this.ramBytes,
      vcpus: vm.vcpus,
      defaultWindow: (pe) => {
        const cfg = this.phb(pe)!.config;
        return { liobn: this.phb(pe)!.tables[0]!.liobn, base: cfg.dmaWinAddr, sizeBytes: cfg.dmaWinSizeBytes };
      },
    });
    this.windowChange = new SpaprWindowChange({
      timeline,
      lane: this.lane,
      hcalls: this.hcalls,
      rtas: this.rtas,
      kernel: this.kernel,
      strategy: this.options.windowChange,
      ramBytes: this.ramBytes,
    });
  }

  get nested(): boolean {
    return this.topology === 'powervm-nested';
  }

  /** The guest PHB of guest PE `pe`. */
  phb(pe: number): SpaprPhb | undefined {
    for (const p of this.phbs) if (p.index === pe) return p;
    return undefined;
  }

  /** The guest PHB a host PE sits under. */
  phbOfHostPe(hostPe: number): SpaprPhb | undefined {
    return this.phbs.find((p) => p.hostPes.includes(hostPe));
  }

  findLiobn(liobn: number): SpaprLiobnSlot | undefined {
    if (liobn === this.lastLiobn) return this.lastSlot;
    const slot = this.slots.get(liobn);
    if (slot !== undefined) {
      this.lastLiobn = liobn;
      this.lastSlot = slot;
    }
    return slot;
  }

  /** Whether a guest-side DMA layer was built for the device before (a rebuild after reset or re-plug). */
  hasLayer(device: string): boolean {
    return this.layerDevices.has(device);
  }

  addLayer(device: string): void {
    this.layerDevices.add(device);
  }

  /** A device's guest-side DMA layer was retired (guest reset or unplug) at `nowNs`. */
  layerRetired(device: string, nowNs: number): void {
    this.retiredAt.set(device, nowNs);
  }

  /**
   * A device gets a fresh guest-side DMA layer at `nowNs`. When every device of its PHB had its layer
   * retired at this very instant, the guest rebooted: QEMU's machine reset restores the PHB's default
   * window (spapr_phb_dma_reset) and the guest kernel sets its DMA up from scratch.
   */
  layerRebuilt(guestPe: number, nowNs: number): void {
    const phb = this.phb(guestPe);
    if (phb === undefined) return;
    if (!phb.devices.every((d) => this.retiredAt.get(d) === nowNs)) return;
    for (const d of phb.devices) this.retiredAt.delete(d);
    phb.dmaReset();
    phb.busyUntilNs = 0;
    this.kernel.forgetGroup(guestPe);
    this.resets++;
  }

  /** LayerInstance: nothing here; the reporting front-end calls reportMetrics (see the header). */
  collectMetrics(): void {}

  reportMetrics(into: MetricMap): void {
    this.hcalls.collectMetrics(into);
    this.rtas.collectMetrics(into);
    this.l0.collectMetrics(into);
    this.windowChange.collectMetrics(into);
    const k = this.kernel;
    addMetric(into, 'ddw.setups', k.ddwSetups);
    addMetric(into, 'ddw.setupMs', k.ddwSetupNs / 1e6);
    addMetric(into, 'ddw.setupHcalls', k.ddwSetupHcalls);
    addMetric(into, 'ddw.fallbacks', k.ddwFallbacks);
    maxMetric(into, 'ddw.directMappedBytes', k.directMappedBytes);
    let livePeak = 0;
    for (const phb of this.phbs) {
      phb.host.collectMetrics(into);
      for (const t of phb.tables) livePeak = Math.max(livePeak, t.livePeak);
    }
    maxMetric(into, 'tce.liveGuestPeak', livePeak);
    addMetric(into, 'spapr.hostSetupFailures', this.setupFailures.length);
    addMetric(into, 'guest.spaprResets', this.resets);
  }

  snapshot(): unknown {
    return {
      phbs: this.phbs.map((p) => ({ phb: p.snapshot(), host: p.host.snapshot() })),
      kernel: this.kernel.snapshot(),
    };
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    for (const phb of this.phbs) {
      problems.push(...phb.checkInvariants(), ...phb.host.checkInvariants());
      for (const t of phb.tables)
        if (this.slots.get(t.liobn)?.table !== t) problems.push(`LIOBN 0x${t.liobn.toString(16)} is not in the directory`);
    }
    if (this.slots.size !== this.phbs.reduce((n, p) => n + p.tables.length, 0)) problems.push('the LIOBN directory holds tables of no PHB');
    problems.push(...this.kernel.checkInvariants());
    return problems;
  }
}
