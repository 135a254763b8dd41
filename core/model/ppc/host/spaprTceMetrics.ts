// Names, units and meanings of the metrics the VFIO SPAPR TCE containers and the process's
// pre-registered memory list report, for the run's catalog.
// Must not: compute metrics (spaprTceContainer.ts and mmIommuMemList.ts do).

import type { MetricInfo } from '../../../contract/catalog';

export const SPAPR_METRICS: readonly MetricInfo[] = [
  { name: 'spapr.mapIoctls', unit: 'calls', description: 'VFIO_IOMMU_MAP_DMA calls on SPAPR TCE containers' },
  { name: 'spapr.unmapIoctls', unit: 'calls', description: 'VFIO_IOMMU_UNMAP_DMA calls on SPAPR TCE containers' },
  { name: 'spapr.mapFailures', unit: 'calls', description: 'MAP_DMA calls that failed' },
  { name: 'spapr.tcesPeak', unit: 'TCEs', description: 'most live TCEs in one container at once' },
  {
    name: 'spapr.windowsCreated',
    unit: 'windows',
    description: 'DMA windows (TCE tables) created: TCE_CREATE and the lazily created default window of v2',
  },
  {
    name: 'spapr.registeredBytesPeak',
    unit: 'bytes',
    description: 'most memory pre-registered (REGISTER_MEMORY, pinned and charged once per process) at once',
  },
];
