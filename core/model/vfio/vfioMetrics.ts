// Names, units and meanings of the metrics a VFIO container reports (vfioType1.ts; iommufd's
// compat container reports the ioctl and entry counts under the same names), for the run's catalog.
// Must not: compute metrics; the process-wide locked-memory metrics are reported by the stack.

import type { MetricInfo } from '../../contract/catalog';

export const VFIO_METRICS: readonly MetricInfo[] = [
  { name: 'vfio.mapIoctls', unit: 'calls', description: 'VFIO_IOMMU_MAP_DMA calls, all containers' },
  { name: 'vfio.unmapIoctls', unit: 'calls', description: 'VFIO_IOMMU_UNMAP_DMA calls, all containers' },
  { name: 'vfio.entriesPeak', unit: 'entries', description: 'most vfio_dma entries one container held at once (limit: dma_entry_limit)' },
  { name: 'vfio.enospc', unit: 'calls', description: 'MAP_DMA calls refused with ENOSPC because dma_avail was 0' },
  { name: 'vfio.pinBatches', unit: 'batches', description: 'pin_user_pages_remote batches (up to 512 pages each) type1 pinned' },
  { name: 'vfio.hostIommuMaps', unit: 'calls', description: 'host iommu_map calls (one per contiguous run and domain, replays included)' },
  { name: 'vfio.hostPtesPeak', unit: 'PTEs', description: 'most host IOMMU PTEs one container held at once, all its domains' },
  { name: 'vfio.mapFailures', unit: 'calls', description: 'MAP_DMA calls that returned an error' },
];
