// Names, units and meanings of the metrics runs produce (docs/model.md#outputs). The app and the CLI
// show every metric with its unit from here; a metric missing from the catalog is a test failure.
// Must not: compute metrics or list them itself: each list lives beside the code that reports it.

import type { MetricInfo } from '../contract/catalog';
import { VFIO_METRICS } from '../model/vfio/vfioMetrics';
import { IOMMUFD_METRICS } from '../model/iommufd/iommufdMetrics';
import { IOVA_TREE_METRICS } from '../model/qemu/iovaTreeMetrics';
import { DMA_LAYER_METRICS } from '../model/guestDma/dmaMetrics';
import { X86_VIOMMU_METRICS } from '../model/x86/x86ViommuMetrics';
import { S390_METRICS } from '../model/s390/s390Metrics';
import { SPAPR_METRICS } from '../model/ppc/host/spaprTceMetrics';
import { SPAPR_GUEST_METRICS } from '../model/ppc/ppcMetrics';
import { EEH_METRICS } from '../model/ppc/eeh/eehMetrics';
import { STACK_METRICS } from '../stack/stackMetrics';
import { DMA_METRICS } from '../ops/dmaOpsMetrics';
import { FAULT_METRICS } from '../faults/faultMetrics';
import { WORKLOAD_METRICS } from '../workload/workloadMetrics';
import { RUN_METRICS } from './runMetrics';
import { LIMITS_METRICS, limitsAccountMetricInfo } from './limitsMetrics';

/** Every list, each kept beside the code that reports its metrics. */
export const METRIC_CATALOG: readonly MetricInfo[] = [
  ...WORKLOAD_METRICS,
  ...DMA_LAYER_METRICS,
  ...RUN_METRICS,
  ...LIMITS_METRICS,
  ...STACK_METRICS,
  ...FAULT_METRICS,
  ...VFIO_METRICS,
  ...IOMMUFD_METRICS,
  ...X86_VIOMMU_METRICS,
  ...S390_METRICS,
  ...SPAPR_METRICS,
  ...SPAPR_GUEST_METRICS,
  ...IOVA_TREE_METRICS,
  ...DMA_METRICS,
  ...EEH_METRICS,
];

const BY_NAME = new Map(METRIC_CATALOG.map((x) => [x.name, x]));

const OPS_OUTPUT = /^ops\.(\d+)\.(.+)$/;

/**
 * The catalog entry of a metric; a variant prefix ("lazy:vfio.entriesPeak") is looked through, and
 * `ops.<step>.<field>` (an ops step's numeric output) and `limits.<kind>/<name>.<field>` (one limit
 * account's value) are described from their names.
 */
export function metricInfo(name: string): MetricInfo | undefined {
  const colon = name.indexOf(':');
  const local = colon >= 0 ? name.slice(colon + 1) : name;
  const known = BY_NAME.get(local);
  if (known !== undefined) return known;
  const account = limitsAccountMetricInfo(local);
  if (account !== undefined) return account;
  const out = OPS_OUTPUT.exec(local);
  if (out === null) return undefined;
  return { name: local, unit: 'value', description: `output "${out[2]}" of ops step ${out[1]} (bytes, addresses, counts: see the op)` };
}
