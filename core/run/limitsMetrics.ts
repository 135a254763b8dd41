// Names, units and meanings of the limits answer's metrics (limitsProbe.ts): per run (or variant)
// the locked memory and VFIO entries needed at start and at peak against RLIMIT_MEMLOCK and
// dma_entry_limit, and the same per limit account as limits.<kind>/<name>.<field>.
// Must not: compute metrics (limitsProbe.ts does).

import { metric, type MetricInfo } from '../contract/catalog';

const NEEDED = 'measured without the limits when the run hit one (limits.limitHit)';

export const LIMITS_METRICS: readonly MetricInfo[] = [
  metric(
    'limits.limitHit',
    'flag',
    '1 when a charge or map was refused at RLIMIT_MEMLOCK or dma_entry_limit: the needed values below then come from the same run simulated without those limits',
  ),
  metric('limits.memlockBytes', 'bytes', 'RLIMIT_MEMLOCK of the QEMU process at the end of the run (absent: unlimited)'),
  metric('limits.capIpcLock', 'flag', '1 when QEMU has CAP_IPC_LOCK: locked memory is counted but not limited'),
  metric(
    'limits.lockedBytesStart',
    'bytes',
    `locked_vm needed to get through QEMU's setup (the most it held before the workload's first IO) (${NEEDED})`,
  ),
  metric('limits.lockedBytesPeak', 'bytes', `most locked_vm needed at once, all accounts (the RLIMIT_MEMLOCK that suffices; ${NEEDED})`),
  metric('limits.entriesStart', 'entries', `most mappings one container held during QEMU's setup, before the first IO (${NEEDED})`),
  metric(
    'limits.entriesPeak',
    'entries',
    `most mappings one container needed at once (the dma_entry_limit that suffices for type1; ${NEEDED})`,
  ),
  metric('limits.entryLimit', 'entries', 'vfio_iommu_type1.dma_entry_limit (type1 containers only)'),
];

/** Per-account metrics (limits.<kind>/<name>.<field>) are described from their names. */
export { limitsAccountMetricInfo } from '../contract/limitsAnswer';
