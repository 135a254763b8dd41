// What a vIOMMU front-end is built from: the run's clock, costs and timeline, the VM's QEMU (null
// when no QEMU is involved: s390 LPAR and z/VM run the guest without QEMU and VFIO), the host
// container the device's address space is shadowed into (null likewise), and the scenario's VM
// and device. The stack builder creates one per passed-through device.
// Must not: carry anything specific to one vIOMMU.

import type { CostTable } from '../../sim/costTable';
import type { Scheduler } from '../../sim/scheduler';
import type { TimelineRecorder } from '../../sim/timelineRecorder';
import type { DeviceConfig, Scenario, VmConfig } from '../../scenario/schema';
import type { QemuVm } from '../qemu/qemuVm';
import type { VfioContainerApi } from '../vfio/vfioContainerApi';
import type { VcpuSet } from '../guestDma/vcpuSet';
import type { HostEnvironment } from '../host/hostEnvironment';

export interface ViommuContext {
  readonly sim: Scheduler;
  readonly costs: CostTable;
  readonly timeline: TimelineRecorder;
  readonly scenario: Scenario;
  readonly vm: VmConfig;
  readonly device: DeviceConfig;
  readonly vcpus: VcpuSet;
  /** The VM's QEMU; null on s390 LPAR and z/VM. */
  readonly qemu: QemuVm | null;
  /**
   * The type1/iommufd container this device's DMA address space is shadowed into; null when qemu is
   * null, and for the SPAPR TCE backends (the sPAPR front-end creates its containers through env).
   */
  readonly container: VfioContainerApi | null;
  /**
   * The run's host environment: the QEMU process, its locked memory, the fault injector, layer
   * instances. The stack always sets it; front-ends that create host containers themselves (sPAPR) need it.
   */
  readonly env?: HostEnvironment;
}
