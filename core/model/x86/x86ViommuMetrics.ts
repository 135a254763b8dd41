// The metrics the x86 vIOMMU front-ends (intel-iommu in caching mode, virtio-iommu) and QEMU's
// shadowing of them report, with units, for the run's metric catalog.
// Must not: hold metrics of other layers (dma-iommu reports iotlb.flushes.*, VFIO its ioctls).

import type { MetricInfo } from '../../contract/catalog';

export const X86_VIOMMU_METRICS: readonly MetricInfo[] = [
  {
    name: 'viommu.invalidations.psi',
    unit: 'invalidations',
    description: 'intel-iommu page-selective IOTLB invalidations (after each map in caching mode, and strict unmaps).',
  },
  {
    name: 'viommu.invalidations.dsi',
    unit: 'invalidations',
    description: 'intel-iommu domain-selective IOTLB invalidations (flush-queue flushes); QEMU walks the whole domain.',
  },
  {
    name: 'viommu.kicks',
    unit: 'kicks',
    description: 'virtio-iommu request-queue notifications (each one exit, QEMU serves all queued requests).',
  },
  { name: 'viommu.queueFullKicks', unit: 'kicks', description: 'virtio-iommu kicks forced by a full request queue.' },
  { name: 'viommu.requests', unit: 'requests', description: 'virtio-iommu MAP and UNMAP requests QEMU served.' },
  {
    name: 'viommu.requestErrors',
    unit: 'requests',
    description: 'virtio-iommu requests QEMU refused (S_INVAL overlap, S_RANGE split); the guest does not see them.',
  },
  {
    name: 'viommu.mapFailures',
    unit: 'maps',
    description: 'Guest IOMMU maps that failed in the guest driver (page-table or request allocation).',
  },
  {
    name: 'viommu.orphanedMappings',
    unit: 'mappings',
    description: 'virtio-iommu mappings the guest dropped without sending an UNMAP (partial unmap).',
  },
  {
    name: 'viommu.vfioMaps',
    unit: 'ioctls',
    description: 'VFIO map ioctls QEMU issued shadowing the vIOMMU (one per new leaf or power-of-two chunk).',
  },
  { name: 'viommu.vfioUnmaps', unit: 'ioctls', description: 'VFIO unmap ioctls QEMU issued shadowing the vIOMMU.' },
  { name: 'viommu.dedupedMaps', unit: 'leaves', description: 'intel-iommu leaves a walk found already shadowed identically (no ioctl).' },
  { name: 'qemu.pteWalked', unit: 'PTEs', description: 'Guest page-table entries QEMU read in intel-iommu shadow walks.' },
  {
    name: 'viommu.staleMappingsPeak',
    unit: 'mappings',
    description:
      'Peak of mappings the guest removed that QEMU and VFIO still held (intel: shadowed leaves awaiting an invalidation; virtio: queued UNMAP requests).',
  },
  {
    name: 'viommu.shadowEntriesPeak',
    unit: 'mappings',
    description: "Peak of QEMU's shadow entries (intel IOVATree leaves, virtio domain mappings).",
  },
];
