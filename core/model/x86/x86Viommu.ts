// The stack builder's entry points for the x86 vIOMMUs: one front-end per passed-through device,
// built from its ViommuContext. Both put dma-iommu on top (driver set, dmaOps null), and both need
// QEMU and a host container: the guest's mappings reach the device only through QEMU's shadowing.
// On a bare-metal host "intel-iommu" is the machine's VT-d driven by the host kernel itself
// (hostVtdDriver.ts).
// Must not: decide the DMA mode (core/stack/dmaModeChoice.ts) or validate the scenario (the caller
// uses intelIommuAssignmentProblem).

import { FaultInjector } from '../../sim/faultInjector';
import { IntelIommuGuestDriver } from './intelIommuGuest';
import type { QemuVm } from '../qemu/qemuVm';
import type { VfioContainerApi } from '../vfio/vfioContainerApi';
import type { ViommuContext } from '../viommu/viommuContext';
import type { ViommuFrontEnd } from '../viommu/viommuFrontEnd';
import { VirtioIommuGuestDriver } from './virtioIommuGuest';
import { HostVtdDriver } from './hostVtdDriver';

function requireQemu(ctx: ViommuContext, model: string): { qemu: QemuVm; container: VfioContainerApi } {
  if (ctx.qemu === null || ctx.container === null) {
    throw new Error(`${model} for ${ctx.vm.name}/${ctx.device.name} needs QEMU and a VFIO container`);
  }
  return { qemu: ctx.qemu, container: ctx.container };
}

function laneOf(ctx: ViommuContext): string {
  return `viommu.${ctx.vm.name}.${ctx.device.name}`;
}

export function createIntelIommuViommu(ctx: ViommuContext, faults: FaultInjector = new FaultInjector()): ViommuFrontEnd {
  if (ctx.scenario.host.hypervisor === 'bare-metal') return createHostVtd(ctx, faults);
  const { qemu, container } = requireQemu(ctx, 'intel-iommu');
  const driver = new IntelIommuGuestDriver({
    qemu,
    container,
    costs: ctx.costs,
    timeline: ctx.timeline,
    laneName: laneOf(ctx),
    options: ctx.vm.viommu.intel,
    faults,
  });
  return {
    driver,
    dmaOps: null,
    collectMetrics: (into) => driver.collectMetrics(into),
    checkInvariants: () => driver.checkInvariants(),
  };
}

/** A bare-metal host's own DMA API on the physical VT-d (no QEMU, no shadowing). */
function createHostVtd(ctx: ViommuContext, faults: FaultInjector): ViommuFrontEnd {
  const driver = new HostVtdDriver({
    costs: ctx.costs,
    timeline: ctx.timeline,
    laneName: `iommu.${ctx.vm.name}.${ctx.device.name}`,
    clock: ctx.sim,
    options: ctx.vm.viommu.intel,
    faults,
  });
  return {
    driver,
    dmaOps: null,
    collectMetrics: (into) => driver.collectMetrics(into),
    checkInvariants: () => driver.checkInvariants(),
  };
}

export function createVirtioIommuViommu(ctx: ViommuContext, faults: FaultInjector = new FaultInjector()): ViommuFrontEnd {
  const { qemu, container } = requireQemu(ctx, 'virtio-iommu');
  const driver = new VirtioIommuGuestDriver({
    qemu,
    container,
    costs: ctx.costs,
    timeline: ctx.timeline,
    laneName: laneOf(ctx),
    options: ctx.vm.viommu.virtio,
    faults,
    clock: ctx.sim,
  });
  return {
    driver,
    dmaOps: null,
    collectMetrics: (into) => driver.collectMetrics(into),
    checkInvariants: () => driver.checkInvariants(),
  };
}
