// Builds the whole DMA path of a scenario: per VM its vCPUs and its QEMU (none on s390 LPAR and
// z/VM, where no QEMU or VFIO is involved, nor on an x86 bare-metal host); per passed-through device its host container, its
// vIOMMU front-end and the guest DMA layer on top, in the mode Linux would pick. Without a vIOMMU,
// one container per VM holds guest RAM mapped once at boot (IOVA = GPA; that boot work is not
// charged to the workload's simulated time but shows in the VFIO metrics). With a vIOMMU, QEMU
// gives every device's DMA address space its own container (one per AddressSpace), so each has
// its own dma_entry_limit. With intel-iommu, each device's address space is the no-DMAR alias of
// guest RAM until the guest enables translation, so QEMU maps all guest RAM into every container
// when the device is realized (and unmaps it when the guest turns DMA remapping on): each
// container pins and charges all of it to RLIMIT_MEMLOCK.
// Must not: run workloads (workload/*.ts do) or know a vIOMMU's internals (front-ends do).

import type { Simulation } from '../sim/simulation';
import type { DurationNs, SimTimeNs } from '../sim/simTime';
import type { DeviceConfig, Scenario, VmConfig } from '../scenario/schema';
import { createHostEnvironment } from '../model/host/hostEnvironment';
import type { HostEnvironment } from '../model/host/hostEnvironment';
import { createVfioContainer } from '../stack/hostContainers';
import { DmaDevice } from '../model/guestDma/iommuDma';
import { GuestDmaSlot } from '../model/guestDma/guestDmaSlot';
import { DeviceLifecycle } from '../model/device/deviceLifecycle';
import { QemuVm, type QemuMapReports } from '../model/qemu/qemuVm';
import { VcpuSet } from '../model/guestDma/vcpuSet';
import type { VfioContainerApi } from '../model/vfio/vfioContainerApi';
import type { ViommuFrontEnd } from '../model/viommu/viommuFrontEnd';
import { DeviceModel } from '../model/device/deviceModel';
import { devicePerformance } from '../model/device/deviceDefaults';
import { addMetric, type MetricMap } from '../sim/metricSink';
import { forcedac } from './dmaModeChoice';
import { buildDeviceLayers, type DeviceLayerContext, type DeviceLayers, type ViommuRegistry } from './deviceLayers';
import { eehSystemFor, type EehSystem } from '../model/ppc/eeh/eehSystem';
import { wireEeh } from './eehWiring';
import { PAGE_SIZE } from '../model/base/pages';
import { qemuListenerInitFailed, recordLogLine } from '../model/base/logLines';
import { compareVersions, parseVersion } from '../scenario/versions';

export type { ViommuFactory, ViommuRegistry } from './deviceLayers';

const GiB = 2 ** 30;

/** One passed-through device: its driver's view (dev, dma), the device itself, and what lies below. */
export class DeviceStack {
  /** The guest DMA API the driver calls; its layers are replaced when the guest resets or re-plugs the device. */
  readonly dma: GuestDmaSlot;
  private current: ViommuFrontEnd | null;
  private readonly retiredFrontEnds: ViommuFrontEnd[] = [];

  constructor(
    readonly config: DeviceConfig,
    readonly dev: DmaDevice,
    readonly model: DeviceModel,
    /** The host container the device's DMA goes through (for vIOMMU-less guests the VM's RAM container); null without QEMU. */
    readonly container: VfioContainerApi | null,
    readonly lifecycle: DeviceLifecycle,
    layers: DeviceLayers,
  ) {
    this.dma = new GuestDmaSlot(layers.dma);
    this.current = layers.frontEnd;
  }

  get frontEnd(): ViommuFrontEnd | null {
    return this.current;
  }

  /** A fresh guest-side state: the old layers stop (timers, queued flushes) and keep their metrics. */
  replaceLayers(layers: DeviceLayers): void {
    if (this.current !== null) this.retiredFrontEnds.push(this.current);
    this.current = layers.frontEnd;
    this.dma.replace(layers.dma);
  }

  collectMetrics(into: MetricMap): void {
    this.dma.collectMetrics(into);
    for (const old of this.retiredFrontEnds) old.collectMetrics(into);
    this.current?.collectMetrics(into);
  }
}

export interface VmStack {
  readonly config: VmConfig;
  readonly vcpus: VcpuSet;
  readonly qemu: QemuVm | null;
  readonly devices: readonly DeviceStack[];
  /** Without a vIOMMU: the container holding guest RAM, shared by the VM's devices (null otherwise). */
  readonly ramContainer: VfioContainerApi | null;
  /** What rebuilding a device's layers needs. */
  readonly layerContext: DeviceLayerContext;
}

/** Guest-physical RAM regions as QEMU lays them out (x86: up to 3 GiB below 4 GiB, the rest above). */
export function guestRamRegions(scenario: Scenario, vm: VmConfig): { gpa: number; bytes: number }[] {
  if (scenario.host.arch !== 'x86_64' || vm.memoryBytes <= 3 * GiB) return [{ gpa: 0, bytes: vm.memoryBytes }];
  return [
    { gpa: 0, bytes: 3 * GiB },
    { gpa: 4 * GiB, bytes: vm.memoryBytes - 3 * GiB },
  ];
}

export class Stack {
  readonly vms: VmStack[] = [];
  /** VFIO map/unmap work done at boot (mapping RAM for vIOMMU-less guests), ns; not in the workload's time. */
  bootVfioNs = 0;
  /** Counts of what faults caused (stale DMA, IOMMU faults, resets...), reported as metrics. */
  readonly incidents = new Map<string, number>();
  /** Told when an IOMMU blocks a device's DMA (PowerPC: the device's PE freezes). */
  dmaFaultListener: ((device: DeviceStack, cause: number) => void) | null = null;
  /** PowerPC: each VM's EEH layer, by VM name. */
  private readonly eehByVm = new Map<string, EehSystem>();

  constructor(readonly env: HostEnvironment) {}

  device(name: string): { vm: VmStack; device: DeviceStack } | undefined {
    for (const vm of this.vms) {
      const device = vm.devices.find((d) => d.config.name === name);
      if (device !== undefined) return { vm, device };
    }
    return undefined;
  }

  /** The VM's EEH layer (PowerPC guests only). */
  eeh(vmName: string): EehSystem | undefined {
    return this.eehByVm.get(vmName);
  }

  addEeh(vmName: string, eeh: EehSystem): void {
    this.eehByVm.set(vmName, eeh);
  }

  countIncident(name: string, by = 1): void {
    this.incidents.set(name, (this.incidents.get(name) ?? 0) + by);
  }

  /** A fresh guest-side DMA path for the device (after a reset or a re-plug) over its host container. */
  rebuildDevice(vm: VmStack, device: DeviceStack): void {
    device.replaceLayers(buildDeviceLayers(vm.layerContext, device.config, vm.config.viommu.model === 'none' ? null : device.container));
    device.lifecycle.generation++;
  }

  /** @param containers false when the caller reports the environment's instances (containers) itself */
  collectMetrics(into: MetricMap, durationNs: number, containers = true): void {
    const seen = new Set<VfioContainerApi>();
    for (const vm of this.vms) {
      for (const d of vm.devices) {
        d.collectMetrics(into);
        if (containers && d.container !== null && !seen.has(d.container)) {
          seen.add(d.container);
          d.container.collectMetrics(into);
        }
        const offline = d.lifecycle.offlineTotalNs(durationNs);
        if (offline > 0) addMetric(into, 'device.offlineMs', offline / 1e6);
        if (d.lifecycle.aborted > 0) addMetric(into, 'io.aborted', d.lifecycle.aborted);
      }
      if (vm.qemu !== null) {
        addMetric(into, 'vmexits', vm.qemu.exits);
        addMetric(into, 'qemu.busyMs', vm.qemu.trapBusyNs / 1e6);
        addMetric(into, 'qemu.vfioMapFailures', vm.qemu.vfioMapFailures);
        if (vm.config.devices.some((d) => d.barBytes !== undefined)) {
          addMetric(into, 'qemu.barMapFailures', vm.qemu.barMapFailures);
          addMetric(into, 'qemu.barBytesMapped', vm.qemu.barBytesMapped);
          into['qemu.barMapErrno'] = Math.max(into['qemu.barMapErrno'] ?? 0, vm.qemu.barMapErrno);
        }
      }
      into[`guest.vcpuUtilization`] = Math.max(into['guest.vcpuUtilization'] ?? 0, vm.vcpus.utilization(durationNs));
    }
    // The EEH layers are environment instances: reported here unless the caller reports those itself.
    if (containers) for (const eeh of this.eehByVm.values()) eeh.collectMetrics(into);
    for (const [name, n] of this.incidents) addMetric(into, name, n);
    if (seen.size > 0) {
      let entries = 0;
      for (const c of seen) entries += c.entries;
      into['vfio.entriesEnd'] = entries;
    }
    into['vfio.lockedBytesEnd'] = this.env.process.lockedPages * PAGE_SIZE;
    into['vfio.lockedBytesPeak'] = this.env.process.lockedPeakBytes;
    into['vfio.memlockFailures'] = this.env.process.memlockFailures;
    into['vfio.bootMs'] = this.bootVfioNs / 1e6;
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    for (const vm of this.vms)
      for (const d of vm.devices) problems.push(...(d.frontEnd?.checkInvariants() ?? []), ...(d.container?.checkInvariants() ?? []));
    return problems;
  }
}

function hasQemu(scenario: Scenario): boolean {
  const h = scenario.host.hypervisor;
  return h !== 'lpar' && h !== 'zvm' && h !== 'bare-metal';
}

/**
 * @param env the host environment to build on (an ops script's, so ops and the guest share one QEMU
 *   process, one locked-memory account and one fault injector); a new one when omitted
 */
export function buildStack(
  sim: Simulation,
  scenario: Scenario,
  viommus: ViommuRegistry,
  env: HostEnvironment = { ...createHostEnvironment(scenario, sim.costs), sim },
): Stack {
  const stack = new Stack(env);
  for (const vm of scenario.vms) {
    const vcpus = new VcpuSet(vm.name, vm.vcpus);
    const qemu = hasQemu(scenario)
      ? new QemuVm(sim.costs, sim.timeline, {
          name: vm.name,
          nested: scenario.host.hypervisor === 'powervm-nested',
          clock: sim,
          reports: qemuMapReports(scenario),
        })
      : null;
    const layerContext: DeviceLayerContext = { sim, scenario, vm, vcpus, qemu, env, viommus };
    const devices: DeviceStack[] = [];
    const model = vm.viommu.model;
    let ramContainer: VfioContainerApi | null = null;
    if (model === 'none' && qemu !== null) {
      ramContainer = env.instance(`vfio:${vm.name}`, () => createVfioContainer(env, vm.name, vm.devices[0]!.name));
      stack.bootVfioNs += mapRamIntoContainer(scenario, vm, qemu, ramContainer);
    }
    // SPAPR TCE containers do not serve type1 calls; the sPAPR front-end creates its own through env.
    const spapr = scenario.host.vfio.backend.startsWith('spapr');
    /** intel-iommu: containers holding guest RAM through the no-DMAR alias; the first device whose realize failed. */
    const aliasMapped: VfioContainerApi[] = [];
    let failedDevice: string | null = null;
    for (const config of vm.devices) {
      const dev = new DmaDevice(config.name, config.dmaMaskBits, config.coherentDmaMaskBits ?? config.dmaMaskBits, forcedac(scenario, vm));
      const deviceModel = new DeviceModel(config.name, devicePerformance(config, sim.costs), sim.rng.fork());
      let container: VfioContainerApi | null = ramContainer;
      if (model !== 'none') {
        container =
          qemu === null || spapr
            ? null
            : env.instance(`vfio:${vm.name}.${config.name}`, () => createVfioContainer(env, `${vm.name}.${config.name}`, config.name));
      }
      if (model === 'intel-iommu' && qemu !== null && container !== null && failedDevice === null) {
        stack.bootVfioNs += mapRamIntoContainer(scenario, vm, qemu, container);
        if (qemu.vfioMapFailures > 0) failedDevice = config.name;
        else aliasMapped.push(container);
      }
      const layers = buildDeviceLayers(layerContext, config, model === 'none' ? null : container);
      devices.push(new DeviceStack(config, dev, deviceModel, container, new DeviceLifecycle(sim, config.name), layers));
    }
    const vmStack: VmStack = { config: vm, vcpus, qemu, devices, ramContainer, layerContext };
    stack.vms.push(vmStack);
    const ramFailed = ramContainer !== null && qemu !== null && qemu.vfioMapFailures > 0;
    if (ramFailed) qemuDidNotStart(sim, stack, vmStack, qemu, vm.devices[0]?.name ?? 'device');
    else if (ramContainer !== null && qemu !== null) stack.bootVfioNs += mapDeviceBars(vm, qemu, ramContainer, env);
    if (failedDevice !== null && qemu !== null) qemuDidNotStart(sim, stack, vmStack, qemu, failedDevice);
    else if (qemu !== null)
      // The guest enables DMA remapping (GCMD.TE): vtd_switch_address_space drops the no-DMAR alias,
      // the listener's region_del unmaps guest RAM and its pages are unpinned and uncharged.
      for (const c of aliasMapped) for (const r of guestRamRegions(scenario, vm)) stack.bootVfioNs += qemu.vfioUnmap(c, r.gpa, r.bytes);
    if (scenario.host.arch === 'ppc64le') {
      // The EEH layer lives in the environment (ops scripts reach it too); the stack follows its PEs.
      const eeh = eehSystemFor(env, vm, sim, qemu);
      stack.addEeh(vm.name, eeh);
      wireEeh(sim, stack, vmStack, eeh);
    }
  }
  return stack;
}

/**
 * QEMU's VFIO listener replaying guest RAM into a container it has just set up (vfio_connect_container
 * -> memory_listener_register -> vfio_listener_region_add per RAM section, IOVA = GPA). Errors are
 * collected as vfio_listener_region_add does (QEMU prints the first when setup fails). Returns the cost.
 */
function mapRamIntoContainer(scenario: Scenario, vm: VmConfig, qemu: QemuVm, container: VfioContainerApi): number {
  let ns = 0;
  qemu.mapErrors = 'collect';
  for (const r of guestRamRegions(scenario, vm)) ns += qemu.vfioMap(container, r.gpa, r.gpa, r.bytes, false, 0, -1);
  qemu.mapErrors = 'report';
  return ns;
}

/** Host virtual address of the first BAR QEMU mmaps (below guest RAM; each BAR naturally aligned). */
const BAR_HVA_BASE = 0x7e00_0000_0000;
/** Guest physical address of the first large 64-bit BAR (where firmware puts them, high above RAM). */
export const BAR_GPA_BASE = 0x3800_0000_0000;

/**
 * The devices' large BARs (devices[].barBytes) as QEMU maps them once the guest runs: vfio-pci's
 * region mmap (vfio_region_mmap over vfio_pci_core_mmap, a VM_PFNMAP VMA), then the listener's
 * region_add of the ram_device section when the BAR is placed in guest memory, IOVA = GPA. Only
 * vIOMMU-less guests (one container holding guest memory); a failure is a warning (QemuVm). Returns the cost.
 */
function mapDeviceBars(vm: VmConfig, qemu: QemuVm, container: VfioContainerApi, env: HostEnvironment): number {
  let ns = 0;
  let hva = BAR_HVA_BASE;
  let gpa = BAR_GPA_BASE;
  for (const d of vm.devices) {
    const bytes = d.barBytes;
    if (bytes === undefined) continue;
    hva = Math.ceil(hva / bytes) * bytes;
    gpa = Math.ceil(gpa / bytes) * bytes;
    env.process.addPfnmap(hva, bytes);
    ns += qemu.vfioMapRamDevice(container, d.name, gpa, hva, bytes, 0, -1);
    hva += bytes;
    gpa += bytes;
  }
  return ns;
}

/**
 * Guest RAM QEMU could not map at boot (no vIOMMU: vfio_listener_region_add over all of RAM) makes
 * vfio_connect_container fail ("memory listener initialization failed"): the device cannot be
 * realized and QEMU exits, so the VM never runs. Its devices stay offline for the whole run.
 */
function qemuDidNotStart(sim: Simulation, stack: Stack, vm: VmStack, qemu: QemuVm, device: string): void {
  const tl = sim.timeline;
  const kind = tl.defineKind({
    name: 'qemu.vfioListener.failed',
    args: [{ name: 'failedMaps', format: 'int' }],
    failure: true,
  });
  // What QEMU prints before it exits: the first map error, under the setup error's prefixes.
  const printed =
    qemu.setupFailureText === null
      ? qemu.lastVfioFailure
      : recordLogLine(
          tl,
          { qemu: vm.config.name },
          0,
          qemuListenerInitFailed(device, 'pc.ram', qemu.setupFailureText),
          qemu.lastVfioFailure,
        );
  tl.record(0 as SimTimeNs, 0 as DurationNs, tl.defineLane(`qemu.${vm.config.name}`, 'qemu'), kind, qemu.vfioMapFailures, 0, 0, printed);
  for (const device of vm.devices) device.lifecycle.setOffline(true);
  stack.countIncident('qemu.startFailures');
}

/**
 * How the scenario's QEMU words a failed map. Its own iommufd backend (`-object iommufd`,
 * backends/iommufd.c 6e6d8ac62b5b) arrived in 9.0; an older QEMU on an iommufd host reaches it
 * through the VFIO compatibility container (/dev/vfio/vfio served by vfio_compat.c), the legacy path.
 */
function qemuMapReports(scenario: Scenario): QemuMapReports {
  const atLeast9 = qemuAtLeast(scenario, [9, 0, 0]);
  return {
    backend: scenario.host.vfio.backend === 'iommufd' && atLeast9 ? 'iommufd' : 'legacy',
    atLeast52: qemuAtLeast(scenario, [5, 2, 0]),
    atLeast9,
    atLeast10: qemuAtLeast(scenario, [10, 0, 0]),
  };
}

/** Whether the scenario's QEMU is at least `version` (an unparsable version counts as not). */
function qemuAtLeast(scenario: Scenario, version: readonly [number, number, number]): boolean {
  const v = parseVersion(scenario.host.qemu.version);
  return v !== null && compareVersions(v, version) >= 0;
}
