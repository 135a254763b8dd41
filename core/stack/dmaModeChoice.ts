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

/** The mode Linux picks and why; `forced` when it overrides the lazy mode configured or defaulted. */
export interface DmaModeChoice {
  readonly mode: GuestDmaMode;
  readonly why: string;
  readonly forced: boolean;
}

export function chooseDmaMode(scenario: Scenario, vm: VmConfig, shadowOnFlush: boolean): GuestDmaMode {
  return chooseDmaModeWhy(scenario, vm, shadowOnFlush).mode;
}

export function chooseDmaModeWhy(scenario: Scenario, vm: VmConfig, shadowOnFlush: boolean): DmaModeChoice {
  const explicit = vm.guest.dmaMode;
  // An explicit mode also stands for writing DMA-FQ to the group's sysfs type, the only way to get
  // lazy mode on intel-iommu in caching mode.
  if (explicit !== undefined)
    return { mode: explicit, why: `guest.dmaMode = ${explicit} in the scenario (the iommu_group's sysfs type)`, forced: false };
  const strictParam = vm.guest.kernelParams['iommu.strict'];
  const lazyDefault = scenario.host.arch === 'x86_64' || scenario.host.arch === 's390x';
  const strict = strictParam === undefined ? !lazyDefault : strictParam === 1;
  // intel_iommu_init: caching mode with second-stage tables calls iommu_set_dma_strict()
  // ("IOMMU batching disallowed due to virtualization"), which iommu.strict=0 does not undo.
  // A bare-metal host's VT-d has no caching mode to force anything (the physical IOMMU).
  if (scenario.host.hypervisor !== 'bare-metal' && intelIommuForcesStrict(vm))
    return {
      mode: 'strict',
      why: 'intel-iommu caching mode: Linux >= 5.11 forces strict ("IOMMU batching disallowed due to virtualization", intel_iommu_init -> iommu_set_dma_strict)',
      forced: !strict,
    };
  if (strict)
    return {
      mode: 'strict',
      why:
        strictParam === undefined
          ? 'the Kconfig default is strict off x86 and s390 (IOMMU_DEFAULT_DMA_STRICT)'
          : 'iommu.strict=1 on the kernel command line',
      forced: false,
    };
  const asked =
    strictParam === undefined
      ? 'the Kconfig default is lazy on x86 and s390 (IOMMU_DEFAULT_DMA_LAZY)'
      : 'iommu.strict=0 on the kernel command line';
  if (shadowOnFlush)
    return {
      mode: 'lazy-single',
      why: `${asked}; the vIOMMU shadows on flush, so iommu_dma_init_options picks the single flush queue`,
      forced: false,
    };
  return { mode: 'lazy', why: `${asked}: per-CPU flush queues`, forced: false };
}

/** iommu.forcedac, with s390's own forcing (zpci_init_iommu sets iommu_dma_forcedac). */
export function forcedac(scenario: Scenario, vm: VmConfig): boolean {
  const param = vm.guest.kernelParams['iommu.forcedac'];
  if (param !== undefined) return param === 1;
  return scenario.host.arch === 's390x';
}
