// Which DMA API mode a guest runs, as Linux decides it: an explicit scenario mode wins; otherwise
// iommu.strict= picks strict or a flush queue, else the Kconfig default (lazy on x86 and s390,
// strict elsewhere: IOMMU_DEFAULT_DMA_LAZY if X86 || S390). A default flush queue becomes the
// single large queue when the IOMMU driver shadows on flush (iommu_dma_init_options). An explicit
// "lazy" means per-CPU queues (docs/model.md#dma-api-modes), so a scenario can compare the two.
// Must not: check whether the IOMMU can defer flushes (IommuDmaDomain falls back to strict).

import type { Scenario, VmConfig } from '../scenario/schema';
import type { FlushMode } from '../model/guestDma/iommuDma';
import { intelIommuForcesStrict } from '../model/x86/intelIommuGuest';

export type GuestDmaMode = FlushMode | 's390-legacy';

export function chooseDmaMode(scenario: Scenario, vm: VmConfig, shadowOnFlush: boolean): GuestDmaMode {
  const explicit = vm.guest.dmaMode;
  // An explicit mode also stands for writing DMA-FQ to the group's sysfs type, the only way to get
  // lazy mode on intel-iommu in caching mode.
  if (explicit !== undefined) return explicit;
  // intel_iommu_init: caching mode with second-stage tables calls iommu_set_dma_strict()
  // ("IOMMU batching disallowed due to virtualization"), which iommu.strict=0 does not undo.
  if (scenario.host.hypervisor !== 'bare-metal' && intelIommuForcesStrict(vm)) return 'strict';
  const strictParam = vm.guest.kernelParams['iommu.strict'];
  const lazyDefault = scenario.host.arch === 'x86_64' || scenario.host.arch === 's390x';
  const strict = strictParam === undefined ? !lazyDefault : strictParam === 1;
  if (strict) return 'strict';
  return shadowOnFlush ? 'lazy-single' : 'lazy';
}

/** iommu.forcedac, with s390's own forcing (zpci_init_iommu sets iommu_dma_forcedac). */
export function forcedac(scenario: Scenario, vm: VmConfig): boolean {
  const param = vm.guest.kernelParams['iommu.forcedac'];
  if (param !== undefined) return param === 1;
  return scenario.host.arch === 's390x';
}
