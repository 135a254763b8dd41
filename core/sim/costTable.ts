// The cost table: how much simulated time each operation takes, one entry per cost with its unit
// and its source (a kernel/QEMU file, a measurement, or "assumption"). A scenario's `costs`
// overrides any entry; nothing else in core hard-codes a duration.
// Must not: hold limits or sizes (those are scenario parameters, see scenario/parameterDefaults.ts).

export interface CostDef {
  readonly valueNs: number;
  readonly label: string;
  readonly source: string;
}

export const COST_DEFAULTS = {
  vmExitNs: {
    valueNs: 1500,
    label: 'VM exit + entry',
    source: 'assumption from ~2000 cycles direct cost (SplitX) plus indirect cost',
  },
  nestedExitFactor: {
    valueNs: 2,
    label: 'nested exit (L2 -> L0 -> L1), as a multiple of a VM exit (dimensionless)',
    source: 'assumption',
  },
  qemuInvalidationNs: { valueNs: 2000, label: 'QEMU handling of one trapped invalidation', source: 'assumption' },
  qemuPteWalkNs: { valueNs: 30, label: 'QEMU walk of one guest PTE', source: 'assumption' },
  vfioMapIoctlNs: {
    valueNs: 1000,
    label: 'VFIO map ioctl (syscall + container lock)',
    source: 'assumption; pinning measured upstream at ~0.27 s/GB, most of it first-touch zeroing',
  },
  vfioPinPerPageNs: { valueNs: 250, label: 'VFIO pinning, per 4 KiB page', source: '~0.27 s/GB measured upstream' },
  vfioUnmapIoctlNs: { valueNs: 1000, label: 'VFIO unmap ioctl', source: 'assumption' },
  vfioUnpinPerPageNs: { valueNs: 50, label: 'VFIO unmap, per 4 KiB page', source: 'assumption' },
  hostIommuMapNs: { valueNs: 200, label: 'host IOMMU map of one contiguous run', source: 'assumption' },
  hostIotlbInvalidationNs: { valueNs: 500, label: 'host IOTLB invalidation', source: 'assumption' },
  hostPteWriteNs: { valueNs: 20, label: 'host IOMMU PTE write', source: 'assumption (same as a guest PTE write)' },

  guestPteWriteNs: { valueNs: 20, label: 'guest IOMMU PTE write', source: 'assumption' },
  guestDmaMapNs: { valueNs: 150, label: 'guest DMA API map/unmap software path (no IOMMU work)', source: 'assumption' },
  guestIovaAllocNs: { valueNs: 60, label: 'guest IOVA allocation from the rbtree (rcache miss)', source: 'assumption' },
  guestIovaRcacheNs: { valueNs: 15, label: 'guest IOVA allocation or free through the per-CPU rcache', source: 'assumption' },
  kvmPutTceNs: { valueNs: 300, label: 'in-kernel (KVM) H_PUT_TCE', source: 'assumption' },
  l1ToL0HcallNs: { valueNs: 1000, label: 'L1 -> L0 hypercall (PowerVM)', source: 'assumption' },
  nvmeReadQd1Ns: {
    valueNs: 80_000,
    label: 'NVMe 4 KiB random read at QD1',
    source: 'assumption (device limit 1,000,000 IOPS, 3.5 GB/s)',
  },
  nvmeJitterNs: {
    valueNs: 4000,
    label: 'NVMe latency jitter: uniform extra latency per IO, 0 up to this',
    source: 'assumption (flash read latency varies by a few us between reads)',
  },
  nvmeMinIoIntervalNs: {
    valueNs: 1000,
    label: 'NVMe minimum interval between completions (1,000,000 IOPS limit)',
    source: 'assumption',
  },
  nvmeNsPerKiB: {
    valueNs: 293,
    label: 'NVMe transfer time per KiB (3.5 GB/s)',
    source: 'assumption (3.5 GB/s => 1024 B / 3.5e9 B/s = 293 ns)',
  },
  s390RpcitHwNs: {
    valueNs: 1000,
    label: 'RPCIT executed by the machine without shadowing (s390 LPAR)',
    source: 'assumption',
  },
  virtioIommuRequestNs: {
    valueNs: 500,
    label: 'QEMU parsing and completing one virtio-iommu request',
    source: 'assumption',
  },
  virtioIommuGuestRequestNs: {
    valueNs: 100,
    label: 'guest building one virtio-iommu request and adding it to the request queue',
    source: 'assumption',
  },
  intelQiDescriptorNs: {
    valueNs: 100,
    label: 'guest writing one intel-iommu invalidation-queue descriptor and waiting for it (without the exit)',
    source: 'assumption',
  },
  qemuS390IotlbLookupNs: {
    valueNs: 15,
    label: 'QEMU s390 RPCIT: one lookup in its IOTLB cache per 4 KiB of the refreshed range (empty frames included)',
    source: 'assumption (a g_hash_table lookup)',
  },
  qemuIovaTreeStepNs: {
    valueNs: 10,
    label: 'QEMU IOVA tree: one comparison or node visited (GTree search step or g_tree_foreach callback)',
    source: 'assumption',
  },
  guestRebootNs: {
    valueNs: 5_000_000_000,
    label: 'guest reboot: firmware and kernel boot until the workload runs again after a guest reset',
    source: 'assumption',
  },
  guestHotplugProbeNs: {
    valueNs: 100_000_000,
    label: "guest side of a PCI hot-plug: the notification, enumeration and the driver's probe",
    source: 'assumption',
  },
  eehHostPeOpNs: {
    valueNs: 5000,
    label: 'host kernel work of one VFIO_EEH_PE_OP (eeh_pe_* plus the OPAL or RTAS call), without reset hold/settle sleeps',
    source: 'assumption',
  },
  eehDriverHandlerNs: {
    valueNs: 100_000,
    label: 'one guest driver EEH callback (error_detected, mmio_enabled, slot_reset or resume)',
    source: 'assumption',
  },
  eehNotifyNs: {
    valueNs: 20_000,
    label: 'a host EEH error notification reaching QEMU (fan-out strategy: eventfd and main-loop dispatch)',
    source: 'assumption (the notification is the reference 001 proposal; nothing like it exists today)',
  },
  mmioAccessNs: {
    valueNs: 1000,
    label: 'one guest MMIO read or write of a passed-through BAR (no exit: the BAR is mapped into the guest)',
    source: 'assumption (a PCIe read round trip is about 1 us)',
  },
  guestIovaSearchStepNs: {
    valueNs: 5,
    label:
      'guest IOVA allocator: one rbtree node visited by the backwards search (__alloc_and_insert_iova_range); an exhausted space visits them all',
    source: 'assumption (a cache-hot rb_prev)',
  },
} as const satisfies Record<string, CostDef>;

export type CostKey = keyof typeof COST_DEFAULTS;
export type CostTable = Readonly<Record<CostKey, number>>;
export const COST_KEYS = Object.keys(COST_DEFAULTS) as CostKey[];

export function resolveCostTable(overrides: Partial<Record<CostKey, number>> = {}): CostTable {
  const table = {} as Record<CostKey, number>;
  for (const key of COST_KEYS) table[key] = overrides[key] ?? COST_DEFAULTS[key].valueNs;
  return table;
}
