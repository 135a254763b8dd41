// Builds what sits under one passed-through device's driver: its vIOMMU front-end (shadowed by QEMU
// into the device's host container) and the guest DMA layer Linux would pick on top, or dma-direct
// for a guest without a vIOMMU. The stack builder calls it at boot; a guest reset and a hot-plug
// call it again for a fresh guest-side state over the same host container.
// Must not: create host containers (the stack does) or know a vIOMMU's internals (front-ends do).

import type { Simulation } from '../sim/simulation';
import type { DeviceConfig, Scenario, VmConfig } from '../scenario/schema';
import type { HostEnvironment } from '../model/host/hostEnvironment';
import { DmaDirect } from '../model/guestDma/dmaDirect';
import { IommuDmaDomain } from '../model/guestDma/iommuDma';
import type { GuestDmaOps } from '../model/guestDma/guestDmaOps';
import type { QemuVm } from '../model/qemu/qemuVm';
import type { VcpuSet } from '../model/guestDma/vcpuSet';
import type { VfioContainerApi } from '../model/vfio/vfioContainerApi';
import type { ViommuContext } from '../model/viommu/viommuContext';
import type { ViommuFrontEnd } from '../model/viommu/viommuFrontEnd';
import { msToNs } from '../sim/simTime';
import { chooseDmaModeWhy, forcedac } from './dmaModeChoice';

export type ViommuFactory = (ctx: ViommuContext) => ViommuFrontEnd;

/** vIOMMU models whose front-end is built, by scenario name. */
export type ViommuRegistry = Partial<Record<VmConfig['viommu']['model'], ViommuFactory>>;

export interface DeviceLayers {
  readonly dma: GuestDmaOps;
  readonly frontEnd: ViommuFrontEnd | null;
}

export interface DeviceLayerContext {
  readonly sim: Simulation;
  readonly scenario: Scenario;
  readonly vm: VmConfig;
  readonly vcpus: VcpuSet;
  readonly qemu: QemuVm | null;
  readonly env: HostEnvironment;
  readonly viommus: ViommuRegistry;
}

export function buildDeviceLayers(ctx: DeviceLayerContext, config: DeviceConfig, container: VfioContainerApi | null): DeviceLayers {
  const { sim, scenario, vm, vcpus } = ctx;
  const model = vm.viommu.model;
  if (model === 'none') return { dma: new DmaDirect(sim.costs), frontEnd: null };
  const factory = ctx.viommus[model];
  if (factory === undefined) throw new Error(`vIOMMU model ${model} has no front-end in this registry`);
  const frontEnd = factory({
    sim,
    costs: sim.costs,
    timeline: sim.timeline,
    scenario,
    vm,
    device: config,
    vcpus,
    qemu: ctx.qemu,
    container,
    env: ctx.env,
  });
  if (frontEnd.dmaOps !== null) return { dma: frontEnd.dmaOps, frontEnd };
  if (frontEnd.driver === null) throw new Error(`vIOMMU ${model} gave neither a driver nor a DMA layer`);
  const { mode, why, forced } = chooseDmaModeWhy(scenario, vm, frontEnd.driver.shadowOnFlush);
  if (mode === 's390-legacy') throw new Error('s390-legacy is served by the s390 front-end, not dma-iommu');
  const fq = vm.guest.flushQueue;
  const dma = new IommuDmaDomain(
    sim,
    frontEnd.driver,
    {
      mode,
      cpus: vm.vcpus,
      perCpuSize: fq.perCpuSize,
      perCpuTimeoutNs: msToNs(fq.perCpuTimeoutMs),
      singleSize: fq.singleSize,
      singleTimeoutNs: msToNs(fq.singleTimeoutMs),
      forcedac: forcedac(scenario, vm),
      iovaMagazineSize: vm.guest.iovaMagazineSize,
      modeWhy: why,
      modeForced: forced,
      timeline: { recorder: sim.timeline, laneName: `dma.${vm.name}.${config.name}` },
    },
    sim.costs,
    vcpus,
  );
  return { dma, frontEnd };
}
