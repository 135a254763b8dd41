// The s390 zPCI vIOMMU front-end for one passed-through function: builds its DMA window (what
// QEMU reports, then Linux's aperture), the guest's zPCI table and RPCIT, QEMU's shadow under KVM
// (one dma_avail counter per VFIO container), and on top either the s390-iommu driver for
// dma-iommu or, for dmaMode "s390-legacy", the pre-6.7 DMA layer that replaces dma-iommu.
// ISM functions are aperture-restricted whenever QEMU restricts at all (it never offers them relaxed
// translation) and always strict under dma-iommu (no IOMMU_CAP_DEFERRED_FLUSH); the pre-6.7 code had no ISM case
// (its strictness was the global s390_iommu=strict).
// Must not: run workloads, or pick dma-iommu's mode (the stack does, from shadowOnFlush).

import type { MetricMap } from '../../sim/metricSink';
import { QemuS390PciShadow } from './s390RpcitShadow';
import { S390PciDmaCounts } from './s390PciDmaCount';
import { S390DmaWindow } from './s390DmaWindow';
import { S390IommuDriver } from './s390IommuDriver';
import { S390LegacyDma } from './s390LegacyDma';
import { ZpciFunction, type ZpciHypervisor } from './s390Zpci';
import { ZpciDmaTable } from './s390ZpciDmaTable';
import type { ViommuContext } from '../viommu/viommuContext';
import type { ViommuFrontEnd } from '../viommu/viommuFrontEnd';

export class S390Viommu implements ViommuFrontEnd {
  constructor(
    readonly window: S390DmaWindow,
    readonly zpci: ZpciFunction,
    readonly shadow: QemuS390PciShadow | null,
    readonly driver: S390IommuDriver | null,
    readonly dmaOps: S390LegacyDma | null,
  ) {}

  /** Front-end metrics; the legacy layer's own (dma.*) come through the stack as its GuestDmaOps. */
  collectMetrics(into: MetricMap): void {
    this.zpci.collectMetrics(into);
    this.driver?.collectMetrics(into);
    this.shadow?.collectMetrics(into);
  }

  checkInvariants(): string[] {
    const own = this.dmaOps?.checkInvariants() ?? this.driver?.checkInvariants() ?? [];
    return [...own, ...(this.shadow?.checkInvariants() ?? [])];
  }
}

function zpciHypervisor(hv: string): ZpciHypervisor {
  if (hv === 'kvm' || hv === 'zvm' || hv === 'lpar') return hv;
  throw new Error(`the s390 zPCI vIOMMU needs an s390 hypervisor (kvm, zvm or lpar), not ${hv}`);
}

/**
 * Builds the front-end. `dmaCounts` is QEMU's list of per-container counters; the stack gives every
 * device its own container, so a fresh list per device is right; pass one list per VM when
 * functions share a container.
 */
export function createS390Viommu(ctx: ViommuContext, dmaCounts: S390PciDmaCounts = new S390PciDmaCounts()): S390Viommu {
  const opts = ctx.vm.viommu.s390;
  const hypervisor = zpciHypervisor(ctx.scenario.host.hypervisor);
  const ism = ctx.device.kind === 'ism';
  let started: ReturnType<S390PciDmaCounts['start']> | null = null;
  if (hypervisor === 'kvm') {
    if (ctx.qemu === null || ctx.container === null) throw new Error("s390 zPCI under KVM needs the VM's QEMU and a VFIO container");
    started = dmaCounts.start(ctx.container, opts.countsDmaAvail);
  }
  const window = new S390DmaWindow({
    sdma: opts.startDma,
    restrictToDmaLimit: ism ? opts.apertureRestrictionIsm : opts.apertureRestriction,
    maxDmaLimit: started?.maxDmaLimit ?? 0,
    ramBytes: ctx.vm.memoryBytes,
    apertureFactor: opts.apertureFactor,
  });
  const table = new ZpciDmaTable();
  const shadow =
    started === null
      ? null
      : new QemuS390PciShadow({
          costs: ctx.costs,
          qemu: ctx.qemu!,
          container: ctx.container!,
          table,
          count: started.count,
          secondPass: opts.rpcitSecondPass,
          coalescedUnmap: opts.coalescedUnmap,
        });
  const zpci = new ZpciFunction({
    window,
    table,
    hypervisor,
    costs: ctx.costs,
    timeline: ctx.timeline,
    laneName: `viommu.${ctx.device.name}`,
    qemu: shadow === null ? null : ctx.qemu,
    interceptor: shadow,
  });
  if (ctx.vm.guest.dmaMode === 's390-legacy') {
    const legacy = new S390LegacyDma(zpci, ctx.costs, ctx.timeline, { strict: opts.legacyStrict });
    return new S390Viommu(window, zpci, shadow, null, legacy);
  }
  const driver = new S390IommuDriver(zpci, ctx.costs, ctx.timeline, {
    name: `s390-iommu.${ctx.device.name}`,
    ism,
    globalFlushRetry: opts.globalFlushRetry,
  });
  return new S390Viommu(window, zpci, shadow, driver, null);
}
