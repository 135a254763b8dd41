// Defaults of the scenario's limits and sizes, each with the kernel parameter or QEMU option it
// mirrors and its source (SPEC section 10). The schema takes its defaults from here, and the app
// and the CLI show them with their source.
// Must not: hold timing costs (see sim/costTable.ts).

export interface ParameterDefault<T> {
  readonly value: T;
  readonly unit: string;
  readonly mirrors: string | null;
  readonly source: string;
}

function param<T>(value: T, unit: string, mirrors: string | null, source: string): ParameterDefault<T> {
  return { value, unit, mirrors, source };
}

const GiB = 1024 ** 3;

export const PARAMETER_DEFAULTS = {
  'host.vfio.dmaEntryLimit': param(65535, 'mappings', 'vfio_iommu_type1.dma_entry_limit', 'L vfio_iommu_type1.c (U16_MAX)'),
  'host.vfio.memlockBytes': param<number | null>(null, 'bytes', 'RLIMIT_MEMLOCK (ulimit -l)', 'no limit unless set'),
  'host.vfio.disableHugepages': param(false, 'flag', 'vfio_iommu_type1.disable_hugepages', 'L vfio_iommu_type1.c'),
  'host.vfio.pinBatchPages': param(512, 'pages', null, 'L vfio_iommu_type1.c VFIO_BATCH_MAX_CAPACITY (PAGE_SIZE/8)'),
  'host.vfio.unmapSyncBatch': param(512, 'regions', null, 'L vfio_iommu_type1.c VFIO_IOMMU_TLB_SYNC_MAX'),
  'vms[].memoryBytes': param(8 * GiB, 'bytes', 'QEMU -m', 'assumption'),
  'vms[].vcpus': param(4, 'vCPUs', 'QEMU -smp', 'assumption'),
  'vms[].guest.flushQueue.perCpuSize': param(256, 'entries', null, 'L dma-iommu.c IOVA_DEFAULT_FQ_SIZE'),
  'vms[].guest.flushQueue.perCpuTimeoutMs': param(10, 'ms', null, 'L dma-iommu.c IOVA_DEFAULT_FQ_TIMEOUT'),
  'vms[].guest.flushQueue.singleSize': param(32768, 'entries', null, 'L dma-iommu.c IOVA_SINGLE_FQ_SIZE'),
  'vms[].guest.flushQueue.singleTimeoutMs': param(1000, 'ms', null, 'L dma-iommu.c IOVA_SINGLE_FQ_TIMEOUT'),
  'workload.fio.blockSizeBytes': param(4096, 'bytes', 'fio --bs', 'fio default'),
  'workload.fio.iodepth': param(32, 'IOs', 'fio --iodepth', 'assumption'),
  'workload.fio.numjobs': param(4, 'jobs', 'fio --numjobs', 'assumption'),
} as const satisfies Record<string, ParameterDefault<unknown>>;

export type ParameterPath = keyof typeof PARAMETER_DEFAULTS;

export function defaultOf<P extends ParameterPath>(path: P): (typeof PARAMETER_DEFAULTS)[P]['value'] {
  return PARAMETER_DEFAULTS[path].value;
}
