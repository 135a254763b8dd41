// Names, units and meanings of the metrics the dma.* ops report from their ledger of live mappings,
// for the run's catalog.
// Must not: compute metrics (dmaOps.ts does).

import type { MetricInfo } from '../contract/catalog';

export const DMA_METRICS: readonly MetricInfo[] = [
  {
    name: 'dma.unmapMismatches',
    unit: 'calls',
    description: 'dma.unmap ops refused because they named no live mapping of that size (dma-debug would report them)',
  },
  { name: 'dma.liveMappingsPeak', unit: 'mappings', description: 'most mappings an ops script held on one device at once (dma.* ops)' },
];
