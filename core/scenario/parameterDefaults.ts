// Defaults of the scenario's limits and sizes, each with the kernel parameter or QEMU option it
// mirrors and its source (docs/model.md#default-parameters). The schema takes its defaults from
// here, and the app and the CLI show them with their source.
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
  'vms[].eeh.guestPeMapping': param<'refuse' | 'naive' | 'fan-out'>(
    'refuse',
    'mode',
    null,
    'Q hw/ppc/spapr_pci_vfio.c vfio_eeh_container_ok / vfio_eeh_as_container: today QEMU refuses EEH on a PHB with more than one group',
  ),
  'vms[].eeh.maxFreezes': param(5, 'freezes', '/sys/kernel/debug/powerpc/eeh_max_freezes', 'L arch/powerpc/kernel/eeh.c eeh_max_freezes'),
  'vms[].eeh.freezeWindowS': param(3600, 's', null, 'L arch/powerpc/kernel/eeh_pe.c eeh_pe_update_time_stamp (hard-coded 3600)'),
  'vms[].eeh.recoveryWaitMaxMs': param(300_000, 'ms', null, 'L arch/powerpc/kernel/eeh_driver.c MAX_WAIT_FOR_RECOVERY (300 s)'),
  'vms[].eeh.resetHoldMs': param(250, 'ms', null, 'L arch/powerpc/include/asm/eeh.h EEH_PE_RST_HOLD_TIME'),
  'vms[].eeh.resetSettleMs': param(1800, 'ms', null, 'L arch/powerpc/include/asm/eeh.h EEH_PE_RST_SETTLE_TIME'),
  'vms[].eeh.unavailableHintMs': param(1000, 'ms', null, 'Q include/hw/ppc/spapr.h RTAS_EEH_PE_UNAVAIL_INFO'),
  'vms[].eeh.hotplugDelayMs': param(5000, 'ms', null, 'L arch/powerpc/kernel/eeh_driver.c eeh_reset_device ssleep(5)'),
  'vms[].eeh.driverResult.nvme': param<'can-recover' | 'need-reset' | 'none'>(
    'need-reset',
    'result',
    null,
    'L drivers/nvme/host/pci.c nvme_error_detected (io_frozen: NEED_RESET)',
  ),
  'vms[].eeh.driverResult.mlx5-vf': param<'can-recover' | 'need-reset' | 'none'>(
    'need-reset',
    'result',
    null,
    'L drivers/net/ethernet/mellanox/mlx5/core/main.c mlx5_pci_err_detected (NEED_RESET unless perm_failure)',
  ),
  'vms[].eeh.driverResult.ism': param<'can-recover' | 'need-reset' | 'none'>('none', 'result', null, 'assumption (s390 device)'),
  'vms[].eeh.driverResult.gpu': param<'can-recover' | 'need-reset' | 'none'>('none', 'result', null, 'assumption (no EEH-aware handler)'),
  'vms[].eeh.driverResult.virtio-net-vdpa': param<'can-recover' | 'need-reset' | 'none'>(
    'none',
    'result',
    null,
    'assumption (no EEH-aware handler)',
  ),
  'vms[].eeh.driverResult.generic': param<'can-recover' | 'need-reset' | 'none'>(
    'can-recover',
    'result',
    null,
    'assumption (a driver that only needs MMIO and DMA thawed)',
  ),
  'vms[].eeh.detectionMs.nvme': param<number | null>(
    30_000,
    'ms',
    'nvme_core.io_timeout',
    'L drivers/nvme/host NVME_IO_TIMEOUT (30 s): with DMA stopped nothing completes; nvme_timeout reads CSTS and gets all ones',
  ),
  'vms[].eeh.detectionMs.mlx5-vf': param<number | null>(
    2000,
    'ms',
    null,
    'L drivers/net/ethernet/mellanox/mlx5/core/health.c MLX5_HEALTH_POLL_INTERVAL (2 s) reads the health counter',
  ),
  'vms[].eeh.detectionMs.ism': param<number | null>(null, 'ms', null, 'assumption (s390 device)'),
  'vms[].eeh.detectionMs.gpu': param<number | null>(1000, 'ms', null, 'assumption'),
  'vms[].eeh.detectionMs.virtio-net-vdpa': param<number | null>(1000, 'ms', null, 'assumption'),
  'vms[].eeh.detectionMs.generic': param<number | null>(1000, 'ms', null, 'assumption'),
  'vms[].viommu.spapr.dmaWinSizeBytes': param(
    GiB,
    'bytes',
    'spapr-pci-host-bridge dma_win_size',
    'Q hw/ppc/spapr_pci.c spapr_phb_properties ("Default DMA window is 0..1GB")',
  ),
  'vms[].viommu.spapr.dma64WinShift': param(
    59,
    'shift (address = 2^shift)',
    'spapr-pci-host-bridge dma64_win_addr',
    'Q hw/ppc/spapr_pci.c spapr_phb_properties (dma64_win_addr 0x800000000000000 = 2^59)',
  ),
} as const satisfies Record<string, ParameterDefault<unknown>>;

export type ParameterPath = keyof typeof PARAMETER_DEFAULTS;

export function defaultOf<P extends ParameterPath>(path: P): (typeof PARAMETER_DEFAULTS)[P]['value'] {
  return PARAMETER_DEFAULTS[path].value;
}
