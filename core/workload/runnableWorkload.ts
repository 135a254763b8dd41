// What a run needs from a workload, and how each workload kind is built from the scenario and the
// stack (the whole DMA path the stack builder made). ScenarioRun looks kinds up in WORKLOADS.
// Must not: know the DMA path's internals; workloads use GuestDmaOps, DeviceModel and VcpuSet.

import type { OpResult } from '../contract/runResult';
import type { Scenario } from '../scenario/schema';
import type { Simulation } from '../sim/simulation';
import type { DurationNs, SimTimeNs } from '../sim/simTime';
import { addMetric, type MetricMap } from '../sim/metricSink';
import { NO_CAUSE } from '../sim/timelineRecorder';
import { guestRamRegions, type Stack } from '../stack/stackBuilder';
import type { DeviceModel } from '../model/device/deviceModel';
import type { GuestDmaOps } from '../model/guestDma/guestDmaOps';
import type { DmaDevice } from '../model/guestDma/iommuDma';
import type { VcpuSet } from '../model/guestDma/vcpuSet';
import type { DeviceLifecycle } from '../model/device/deviceLifecycle';
import type { QemuVm } from '../model/qemu/qemuVm';
import type { VfioContainerApi } from '../model/vfio/vfioContainerApi';

export interface RunnableWorkload {
  start(): void;
  /** Metrics of the workload itself (the run adds the stack's). */
  collectMetrics(into: MetricMap): void;
  /** Step results (ops scripts, probe sequences); empty for throughput workloads. */
  opResults(): readonly OpResult[];
}

export type WorkloadFactory = (sim: Simulation, scenario: Scenario, stack: Stack, endNs: SimTimeNs) => RunnableWorkload;

/** What every device workload drives: the device, its guest DMA API, the VM's vCPUs, its lifecycle. */
export interface DeviceTarget {
  readonly device: DeviceModel;
  readonly dma: GuestDmaOps;
  readonly dev: DmaDevice;
  readonly vcpus: VcpuSet;
  readonly lifecycle: DeviceLifecycle;
  /** Whether the host IOMMU translates the device's DMA; null when no QEMU container sits below (nothing to check). */
  readonly host: HostDmaReach | null;
}

/**
 * The host IOMMU's view of a device's DMA. QEMU does not tell the guest when a VFIO map it makes
 * for a vIOMMU notifier fails (vtd_page_walk_one / virtio-iommu notifiers only log it), so the
 * guest's map succeeds while the host has no translation: the device's DMA to that IOVA then
 * faults in the host IOMMU (a DMAR fault on x86) and the request fails. Until QEMU has failed a
 * map every shadowed mapping exists, so the container is only searched after a failure.
 */
export class HostDmaReach {
  constructor(
    private readonly qemu: QemuVm,
    private readonly container: VfioContainerApi,
  ) {}

  reaches(iova: number, bytes: number): boolean {
    return this.qemu.vfioMapFailures === 0 || this.container.translates(iova, bytes);
  }
}

/**
 * A workload's log of the host IOMMU faults its device's DMA runs into (see HostDmaReach): each one
 * an event on the device lane, caused by the guest call that mapped the buffer, and the run's
 * iommu.faults. The event kind is defined at the first fault, so a run without one keeps its timeline.
 */
export class HostFaultLog {
  private kind = -1;
  count = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly host: HostDmaReach | null,
    private readonly lane: number,
  ) {}

  /** Whether the device's DMA to [iova, iova + bytes) faults now; if so it is recorded (`tag`: the workload's slot, job or buffer). */
  /** The last fault recorded (the cause of what the workload does about it). */
  lastEvent = NO_CAUSE;

  faults(iova: number, bytes: number, tag: number, cause: number): boolean {
    if (this.host === null || this.host.reaches(iova, bytes)) return false;
    const tl = this.sim.timeline;
    if (this.kind < 0)
      this.kind = tl.defineKind({
        name: 'iommu.hostFault.unmapped',
        args: [
          { name: 'dmaAddr', format: 'hex' },
          { name: 'bytes', format: 'bytes' },
          { name: 'tag', format: 'int' },
        ],
        failure: true,
      });
    this.count++;
    this.lastEvent = tl.record(this.sim.now, 0 as DurationNs, this.lane, this.kind, iova, bytes, tag, cause);
    return true;
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'iommu.faults', this.count);
  }
}

/** The named device (else the first of the first VM) as a workload drives it, and its VM. */
export function deviceTarget(stack: Stack, name: string | undefined): { vm: Stack['vms'][number]; target: DeviceTarget } {
  const { vm, device } = targetDevice(stack, name);
  // Only a vIOMMU's notifier maps can fail unseen: without one QEMU maps guest RAM at boot, and a
  // failure there stops the VM from starting (vfio_connect_container), it does not fault IOs.
  const behindViommu = vm.config.viommu.model !== 'none';
  const host = behindViommu && vm.qemu !== null && device.container !== null ? new HostDmaReach(vm.qemu, device.container) : null;
  return { vm, target: { device: device.model, dma: device.dma, dev: device.dev, vcpus: vm.vcpus, lifecycle: device.lifecycle, host } };
}

/** Where a workload's buffers start: the highest guest RAM region (above the first 16 MiB when that region starts at 0). */
export function highRamBufferGpa(scenario: Scenario, vm: Stack['vms'][number]): number {
  const regions = guestRamRegions(scenario, vm.config);
  const top = regions[regions.length - 1]!.gpa;
  return top === 0 ? 16 * 1024 * 1024 : top;
}

/** The device a workload targets: the named one, else the first device of the first VM. */
export function targetDevice(
  stack: Stack,
  name: string | undefined,
): { vm: Stack['vms'][number]; device: Stack['vms'][number]['devices'][number] } {
  const found = name === undefined ? undefined : stack.device(name);
  const vm = found?.vm ?? stack.vms[0]!;
  return { vm, device: found?.device ?? vm.devices[0]! };
}
