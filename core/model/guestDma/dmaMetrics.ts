// Names, units and meanings of the metrics the guest's DMA layers report: dma-iommu with its IOVA
// allocator and flush queues, dma-direct, and the platform DMA layers that report under the same
// names (the s390 pre-6.7 DMA code, pseries' iommu_table), for the run's catalog.
// Must not: compute metrics (the DMA layers do).

import { metric, type MetricInfo } from '../../contract/catalog';

export const DMA_LAYER_METRICS: readonly MetricInfo[] = [
  metric('dma.maps', 'calls', 'guest DMA API map calls'),
  metric('dma.domainsStrict', 'domains', 'dma-iommu domains in strict mode (each unmap flushes the IOTLB before returning)'),
  metric('dma.domainsLazy', 'domains', 'dma-iommu domains with per-CPU flush queues'),
  metric('dma.domainsLazySingle', 'domains', 'dma-iommu domains with the single flush queue'),
  metric(
    'dma.domainsForcedStrict',
    'domains',
    'domains Linux put in strict mode against the lazy default or setting (intel-iommu caching mode, no deferred flush); the reason is on the dma.mode event',
  ),
  metric('dma.unmaps', 'calls', 'guest DMA API unmap calls'),
  metric('dma.mapFailures', 'calls', 'map calls that returned DMA_MAPPING_ERROR'),
  metric('iova.exhaustions', 'calls', 'IOVA allocations that failed even after flushing the rcaches'),
  metric('iova.allocatedPagesPeak', 'pages', 'most guest IOVA pages allocated at once (including cached and queued ones)'),
  metric(
    'iotlb.flushes.global',
    'flushes',
    "global IOTLB flushes: flush_iotlb_all of the flush queues, or the s390 legacy code's global RPCITs",
  ),
  metric('iotlb.flushes.range', 'flushes', 'range IOTLB syncs of strict unmaps (dma-iommu, or the s390 legacy code in strict mode)'),
  metric('fq.fullFlushes', 'flushes', 'flushes forced by a full flush queue'),
  metric('fq.timerFlushes', 'flushes', 'flushes by the flush-queue timer'),
  metric('fq.peakDepth', 'IOVAs', 'most IOVAs waiting in flush queues at once'),
  metric('staleIotlbWindowUsP99', 'us', '99th percentile time a device could still reach a buffer after its unmap (until the IOTLB flush)'),
];
