// Builds the whole DMA path of a scenario: per VM its vCPUs and its QEMU (none on s390 LPAR and
// z/VM, where no QEMU or VFIO is involved); per passed-through device its host container, its
// vIOMMU front-end and the guest DMA layer on top, in the mode Linux would pick. Without a vIOMMU,
// one container per VM holds guest RAM mapped once at boot (IOVA = GPA; that boot work is not
// charged to the workload's simulated time but shows in the VFIO metrics). With a vIOMMU, QEMU
// gives every device's DMA address space its own container (one per AddressSpace), so each has
// its own dma_entry_limit.
// Must not: run workloads (workload/*.ts do) or know a vIOMMU's internals (front-ends do).

import type { Simulation } from '../sim/simulation';
import type { DeviceConfig, Scenario, VmConfig } from '../scenario/schema';
import { createOpsEnvironment } from '../ops/opsEnvironment';
import type { OpsEnvironment } from '../ops/opTypes';
import { createVfioContainer } from '../ops/vfioOps';
import { DmaDirect } from '../model/dmaDirect';
import { DmaDevice, IommuDmaDomain } from '../model/iommuDma';
import type { GuestDmaOps } from '../model/guestDmaOps';
import { QemuVm } from '../model/qemuVm';
import { VcpuSet } from '../model/vcpuSet';
import type { VfioContainerApi } from '../model/vfioContainerApi';
import type { ViommuContext } from '../model/viommuContext';
import type { ViommuFrontEnd } from '../model/viommuFrontEnd';
import { DeviceModel } from '../model/deviceModel';
import { devicePerformance } from '../model/deviceDefaults';
import { msToNs } from '../sim/simTime';
import { addMetric, type MetricMap } from './metricSink';
import { chooseDmaMode, forcedac } from './dmaModeChoice';

const GiB = 2 ** 30;

export interface DeviceStack {
  readonly config: DeviceConfig;
  readonly dev: DmaDevice;
  readonly dma: GuestDmaOps;
  readonly model: DeviceModel;
  readonly container: VfioContainerApi | null;
  readonly frontEnd: ViommuFrontEnd | null;
}

export interface VmStack {
  readonly config: VmConfig;
  readonly vcpus: VcpuSet;
  readonly qemu: QemuVm | null;
  readonly devices: readonly DeviceStack[];
}

export type ViommuFactory = (ctx: ViommuContext) => ViommuFrontEnd;

/** vIOMMU models whose front-end is built, by scenario name. */
export type ViommuRegistry = Partial<Record<VmConfig['viommu']['model'], ViommuFactory>>;

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

  constructor(readonly env: OpsEnvironment) {}

  device(name: string): { vm: VmStack; device: DeviceStack } | undefined {
    for (const vm of this.vms) {
      const device = vm.devices.find((d) => d.config.name === name);
      if (device !== undefined) return { vm, device };
    }
    return undefined;
  }

  /** @param containers false when the caller reports the environment's instances (containers) itself */
  collectMetrics(into: MetricMap, durationNs: number, containers = true): void {
    const seen = new Set<VfioContainerApi>();
    for (const vm of this.vms) {
      for (const d of vm.devices) {
        d.dma.collectMetrics(into);
        d.frontEnd?.collectMetrics(into);
        if (containers && d.container !== null && !seen.has(d.container)) {
          seen.add(d.container);
          d.container.collectMetrics(into);
        }
      }
      if (vm.qemu !== null) {
        addMetric(into, 'vmexits', vm.qemu.exits);
        addMetric(into, 'qemu.busyMs', vm.qemu.trapBusyNs / 1e6);
        addMetric(into, 'qemu.vfioMapFailures', vm.qemu.vfioMapFailures);
      }
      into[`guest.vcpuUtilization`] = Math.max(into['guest.vcpuUtilization'] ?? 0, vm.vcpus.utilization(durationNs));
    }
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
  return scenario.host.hypervisor !== 'lpar' && scenario.host.hypervisor !== 'zvm';
}

/**
 * @param env the host environment to build on (an ops script's, so ops and the guest share one QEMU
 *   process, one locked-memory account and one fault injector); a new one when omitted
 */
export function buildStack(
  sim: Simulation,
  scenario: Scenario,
  viommus: ViommuRegistry,
  env: OpsEnvironment = createOpsEnvironment(scenario, sim.costs),
): Stack {
  const stack = new Stack(env);
  for (const vm of scenario.vms) {
    const vcpus = new VcpuSet(vm.name, vm.vcpus);
    const qemu = hasQemu(scenario)
      ? new QemuVm(sim.costs, sim.timeline, { name: vm.name, nested: scenario.host.hypervisor === 'powervm-nested' })
      : null;
    const devices: DeviceStack[] = [];
    const model = vm.viommu.model;
    let ramContainer: VfioContainerApi | null = null;
    if (model === 'none' && qemu !== null) {
      ramContainer = env.instance(`vfio:${vm.name}`, () => createVfioContainer(env, vm.name, vm.devices[0]!.name));
      for (const r of guestRamRegions(scenario, vm)) stack.bootVfioNs += qemu.vfioMap(ramContainer, r.gpa, r.gpa, r.bytes, false, 0, -1);
    }
    for (const config of vm.devices) {
      const dev = new DmaDevice(config.name, config.dmaMaskBits, config.coherentDmaMaskBits ?? config.dmaMaskBits, forcedac(scenario, vm));
      const perf = devicePerformance(config, sim.costs);
      const deviceModel = new DeviceModel(config.name, perf, sim.rng.fork());
      if (model === 'none') {
        devices.push({ config, dev, dma: new DmaDirect(sim.costs), model: deviceModel, container: ramContainer, frontEnd: null });
        continue;
      }
      const factory = viommus[model];
      if (factory === undefined) throw new Error(`vIOMMU model ${model} is not built yet (the scenario should have been rejected)`);
      // SPAPR TCE containers do not serve type1 calls; the sPAPR front-end creates its own through env.
      const spapr = scenario.host.vfio.backend.startsWith('spapr');
      const container =
        qemu === null || spapr
          ? null
          : env.instance(`vfio:${vm.name}.${config.name}`, () => createVfioContainer(env, `${vm.name}.${config.name}`, config.name));
      const frontEnd = factory({
        sim,
        costs: sim.costs,
        timeline: sim.timeline,
        scenario,
        vm,
        device: config,
        vcpus,
        qemu,
        container,
        env,
      });

      let dma: GuestDmaOps;
      if (frontEnd.dmaOps !== null) dma = frontEnd.dmaOps;
      else if (frontEnd.driver !== null) {
        const fq = vm.guest.flushQueue;
        dma = new IommuDmaDomain(
          sim,
          frontEnd.driver,
          {
            mode: (() => {
              const m = chooseDmaMode(scenario, vm, frontEnd.driver.shadowOnFlush);
              if (m === 's390-legacy') throw new Error('s390-legacy is served by the s390 front-end, not dma-iommu');
              return m;
            })(),
            cpus: vm.vcpus,
            perCpuSize: fq.perCpuSize,
            perCpuTimeoutNs: msToNs(fq.perCpuTimeoutMs),
            singleSize: fq.singleSize,
            singleTimeoutNs: msToNs(fq.singleTimeoutMs),
            forcedac: forcedac(scenario, vm),
          },
          sim.costs,
          vcpus,
        );
      } else throw new Error(`vIOMMU ${model} gave neither a driver nor a DMA layer`);
      devices.push({ config, dev, dma, model: deviceModel, container, frontEnd });
    }
    stack.vms.push({ config: vm, vcpus, qemu, devices });
  }
  return stack;
}
