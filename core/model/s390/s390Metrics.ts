// Metrics the s390 zPCI front-end reports (rpcit.*, s390.*; docs/model.md#s390-zpci), for the run's
// catalog. Besides these, the pre-6.7 DMA layer (s390LegacyDma.ts) reports the DMA-layer names the
// catalog already holds for dma-iommu: dma.maps, dma.unmaps, dma.mapFailures, iova.exhaustions,
// iotlb.flushes.global (its global RPCITs: wraps and -ENOMEM retries), iotlb.flushes.range (its
// strict-unmap RPCITs), fq.peakDepth (most lazily freed addresses waiting for a global RPCIT) and
// staleIotlbWindowUsP99; under z/VM the zPCI function adds its RPCIT intercepts to vmexits.
// Must not: compute metrics.

import { metric as m, type MetricInfo } from '../../contract/catalog';

export const S390_METRICS: readonly MetricInfo[] = [
  m('rpcit.calls', 'instructions', 'RPCIT instructions the guest issued (range and global)'),
  m('rpcit.outOfResource', 'instructions', 'RPCITs answered with cc 1 status 16 (insufficient resources: QEMU reached the VFIO DMA limit)'),
  m('rpcit.globalFlushRetries', 'instructions', 'global RPCITs the guest issued because a range RPCIT returned -ENOMEM'),
  m('rpcit.global', 'instructions', 'global RPCITs over the whole DMA window, for any reason (flush queue, -ENOMEM retry, allocator wrap)'),
  m('s390.syncMapFailures', 'calls', 'maps whose iotlb_sync_map failed for good (the map is undone and DMA_MAPPING_ERROR returned)'),
  m('s390.invalidMaps', 'calls', 'maps s390_iommu_map_pages refused (-EINVAL: unaligned or outside the aperture)'),
  m('s390.table.entriesPeak', 'entries', 'most valid entries in the guest zPCI DMA table at once'),
  m('s390.window.bytes', 'bytes', 'size of the guest DMA window [start_dma, end_dma] (largest of the run)'),
  m('s390.shadow.entriesPeak', 'entries', "most 4 KiB entries in QEMU's RPCIT shadow of one function at once"),
  m('s390.shadow.dmaAvailMin', 'mappings', "lowest value QEMU's dma_avail counter reached (0 = the VFIO DMA limit was hit)"),
  m('s390.shadow.retryPasses', 'passes', 'second walks rpcit_service_call made after skipping maps for want of dma_avail'),
  m('s390.shadow.pteWalks', 'entries', 'guest table entries QEMU read while serving RPCIT (the walk cost driver)'),
  m(
    's390.shadow.iotlbLookups',
    'lookups',
    'QEMU IOTLB cache lookups while serving RPCIT: one per 4 KiB of every refreshed range, empty frames included',
  ),
  m('s390.shadow.unmapNotifies', 'calls', 'coalesced power-of-two unmap notifications QEMU sent to VFIO (one unmap ioctl each)'),
  m('s390.shadow.remaps', 'entries', 'cached entries QEMU found changed and re-mapped (unmap + map; its dma_avail drifts one lower each)'),
  m('s390.shadow.unbackedEntries', 'entries', 'entries QEMU holds whose VFIO map failed (logged by QEMU; the device would fault there)'),
  m('s390.legacy.wraps', 'wraps', 'times the pre-6.7 allocator restarted its search at the window start'),
  m('s390.legacy.unmapErrors', 'calls', 'pre-6.7 strict unmaps whose RPCIT failed (the address is never freed)'),
];
