// Names, units and meanings of the metrics the iommufd context and its IOAS report, for the run's
// catalog.
// Must not: compute metrics (iommufdIoas.ts and iommufdContext.ts do).

import type { MetricInfo } from '../../contract/catalog';

export const IOMMUFD_METRICS: readonly MetricInfo[] = [
  { name: 'iommufd.mapIoctls', unit: 'calls', description: 'IOMMU_IOAS_MAP calls, all IOAS.' },
  { name: 'iommufd.unmapIoctls', unit: 'calls', description: 'IOMMU_IOAS_UNMAP calls, all IOAS.' },
  { name: 'iommufd.copyIoctls', unit: 'calls', description: 'IOMMU_IOAS_COPY calls, all IOAS.' },
  { name: 'iommufd.areasPeak', unit: 'areas', description: 'Most areas (mappings) one IOAS held at once.' },
  {
    name: 'iommufd.pinnedPagesPeak',
    unit: 'pages',
    description:
      'Most 4 KiB pages pinned (and charged to locked memory) at once by the iommufd context; pages shared by IOAS_COPY count once.',
  },
  { name: 'iommufd.mapFailures', unit: 'calls', description: 'IOMMU_IOAS_MAP and IOMMU_IOAS_COPY calls that failed.' },
];
