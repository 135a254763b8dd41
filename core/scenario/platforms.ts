// Which hypervisors run on each architecture and the defaults that depend on the architecture
// (the VFIO backend, the vIOMMU model), each with why. The loader applies and checks them
// (loadScenario.ts), the lab catalog serves them to the configurator, so both read one table.
// Must not: validate scenarios (loadScenario.ts does).

import type { Scenario } from './schema';

export type Arch = Scenario['host']['arch'];
export type Hypervisor = Scenario['host']['hypervisor'];

export const HYPERVISORS_BY_ARCH: Readonly<Record<Arch, readonly Hypervisor[]>> = {
  x86_64: ['kvm', 'bare-metal'],
  s390x: ['kvm', 'zvm', 'lpar'],
  ppc64le: ['kvm', 'powernv', 'powervm-nested'],
};

export interface ArchDefault<T extends string> {
  readonly value: T;
  readonly source: string;
}

export interface ArchDefaults {
  readonly backend: ArchDefault<Scenario['host']['vfio']['backend']>;
  readonly viommu: ArchDefault<Scenario['vms'][number]['viommu']['model']>;
}

const SCHEMA_BACKEND = { value: 'type1v2', source: 'schema default: VFIO type1 v2, what QEMU picks on x86 and s390 hosts' } as const;
const SCHEMA_VIOMMU = { value: 'none', source: 'schema default: no vIOMMU, guest RAM is mapped once at boot' } as const;

/**
 * Defaults filled in before the schema's own. A pseries guest (ppc64le) always translates DMA
 * through sPAPR TCE windows, so its vIOMMU is "spapr-tce"; QEMU's vfio_get_iommu_type tries
 * VFIO_SPAPR_TCE_v2_IOMMU before v1, and POWER8 and later hosts offer it.
 */
export const ARCH_DEFAULTS: Readonly<Record<Arch, ArchDefaults>> = {
  x86_64: { backend: SCHEMA_BACKEND, viommu: SCHEMA_VIOMMU },
  s390x: { backend: SCHEMA_BACKEND, viommu: SCHEMA_VIOMMU },
  ppc64le: {
    backend: {
      value: 'spapr-tce-v2',
      source: 'ppc64le default: QEMU picks VFIO_SPAPR_TCE_v2_IOMMU when the host offers it (POWER8 and later)',
    },
    viommu: { value: 'spapr-tce', source: 'ppc64le default: a pseries guest always translates DMA through sPAPR TCE windows' },
  },
};

/** Architectures in the schema's order. */
export const ARCHES: readonly Arch[] = Object.keys(HYPERVISORS_BY_ARCH) as Arch[];
