// Field reports, second file: the memlock sizing of a vIOMMU guest with several passed-through
// devices (each device its own container, each charging all guest RAM), iommufd charging device
// BARs, and the intel-iommu address width. Same rules as presetsField.ts: each is reproduced from
// the report's configuration with the message the real stack prints on the log lanes, the cause
// chain down to the limit, a variant per fix with its cost, and claims measured by the run.
// Must not: hold presets that do not come from a field report.

import type { Preset } from './presetTypes';
import { FIELD_REPORT_TAG } from './presetsField';

const GiB = 1024 * 1024 * 1024;
const PIN = 'L drivers/vfio/vfio_iommu_type1.c vfio_pin_pages_remote';
const LIBVIRT = 'libvirt src/qemu/qemu_domain.c qemuDomainGetMemLockLimitBytes (since 8.7.0: vIOMMU -> factor = VFIO devices)';

/** Report kubevirt#18915: 8 GiB guest, intel-iommu, two GPUs. */
const RAM = 8 * GiB;
/** libvirt's margin over guest RAM ("1 GiB for IO space"), also in the 1x sizing KubeVirt used. */
const MARGIN = 1 * GiB;
const ONE_X = RAM + MARGIN;
const N_X = 2 * RAM + MARGIN;

const viommuTwoDevices: Preset = {
  id: 'field-viommu-memlock-per-device',
  title: `${FIELD_REPORT_TAG}: vIOMMU guest with two passed-through devices exceeds a memlock sized for one`,
  summary:
    'An 8 GiB guest with an emulated intel-iommu and two passed-through GPUs; RLIMIT_MEMLOCK is guest RAM + 1 GiB (9 GiB), what KubeVirt set before ' +
    'kubevirt/kubevirt#17805. With a vIOMMU each device has its own DMA address space, so QEMU gives each its own VFIO container; until the guest ' +
    'enables translation that address space is the no-DMAR alias of guest RAM, so QEMU maps all 8 GiB into every container when it realizes the device. ' +
    "type1 pins and charges each container's mapping to the QEMU process (locked_vm): the first device takes 8 GiB, the second needs 8 GiB more and is " +
    'refused ("vfio_pin_pages_remote: RLIMIT_MEMLOCK (9663676416) exceeded"), and QEMU exits ("memory listener initialization failed: ... = -12 (Cannot allocate memory)"). ' +
    "Fix: libvirt's sizing, devices x guest RAM + 1 GiB (17 GiB), which is what the two containers charge at start. Hugepages and the iommufd " +
    'backend do not help (every page is still charged, per container / per IOAS); without a vIOMMU one container holds guest RAM once.',
  thread:
    'kubevirt/kubevirt#18915 (vIOMMU + 2 VFIO devices: vfio_container_dma_map(...) = -12); kubevirt/kubevirt#17805 (memlock scaled by the number of devices, as libvirt does)',
  scenario: {
    name: 'field-viommu-memlock-per-device',
    durationMs: 2,
    host: { arch: 'x86_64', hypervisor: 'kvm', vfio: { memlockBytes: ONE_X } },
    vms: [
      {
        name: 'vm0',
        vcpus: 4,
        memoryBytes: RAM,
        viommu: { model: 'intel-iommu' },
        devices: [
          { name: 'gpu0', kind: 'gpu' },
          { name: 'gpu1', kind: 'gpu' },
        ],
      },
    ],
    workload: { kind: 'fio', rw: 'randread', blockSizeBytes: 4096, iodepth: 8, numjobs: 1 },
  },
  variants: [
    { name: 'oneX', description: 'RLIMIT_MEMLOCK guest RAM + 1 GiB = 9 GiB (KubeVirt before #17805; the report)', set: [] },
    { name: 'nX', description: "RLIMIT_MEMLOCK 2 x guest RAM + 1 GiB = 17 GiB (libvirt's sizing)", set: [`host.vfio.memlockBytes=${N_X}`] },
    { name: 'hugepages', description: 'RLIMIT_MEMLOCK 9 GiB, guest RAM on 1 GiB hugepages', set: ['host.memoryBacking=hugepages-1g'] },
    { name: 'iommufd', description: 'RLIMIT_MEMLOCK 9 GiB, the iommufd backend', set: ['host.vfio.backend=iommufd'] },
    { name: 'noViommu', description: 'RLIMIT_MEMLOCK 9 GiB, no vIOMMU (one container for both devices)', set: ['vms.0.viommu.model=none'] },
  ],
  claims: [
    {
      id: 'one-x-exits',
      text: 'With memlock sized for one copy of guest RAM, QEMU exits before the guest runs.',
      source: 'kubevirt/kubevirt#18915; Q hw/vfio/container.c vfio_connect_container ("memory listener initialization failed")',
      metric: 'oneX:qemu.startFailures',
      op: '==',
      value: 1,
    },
    {
      id: 'one-x-memlock',
      text: "The refusal is type1's RLIMIT_MEMLOCK check, when the second container maps guest RAM.",
      source: `${PIN}; L vfio_lock_acct`,
      metric: 'oneX:vfio.memlockFailures',
      op: '>=',
      value: 1,
    },
    {
      id: 'n-x-starts',
      text: 'At devices x guest RAM + 1 GiB the guest starts and runs IO.',
      source: `${LIBVIRT}; kubevirt/kubevirt#17805`,
      metric: 'nX:io.iops',
      op: '>',
      value: 0,
    },
    {
      id: 'n-x-charged-twice',
      text: 'What the two containers charge at start: guest RAM twice (16 GiB locked for 8 GiB of memory).',
      source: `${PIN} (accounting per vfio_dma, so per container); Q hw/i386/intel_iommu.c vtd_switch_address_space (no-DMAR alias)`,
      metric: 'nX:vfio.lockedBytesPeak',
      op: '==',
      value: 2 * RAM,
    },
    {
      id: 'hugepages-still-exits',
      text: 'Hugepages do not help: type1 charges every 4 KiB page of a hugepage, so the second container is still refused.',
      source: `${PIN} (lock_acct counts pages, whatever their size)`,
      metric: 'hugepages:qemu.startFailures',
      op: '==',
      value: 1,
    },
    {
      id: 'iommufd-still-exits',
      text: 'The iommufd backend does not help: each container (IOAS) pins and charges its own copy.',
      source:
        'L drivers/iommu/iommufd/pages.c iopt_pages (one per map, accounted on its own: iopt_pages_update_pinned); main.c iommufd_fops_open (/dev/vfio/vfio: IOPT_PAGES_ACCOUNT_MM)',
      metric: 'iommufd:qemu.startFailures',
      op: '==',
      value: 1,
    },
    {
      id: 'no-viommu-starts',
      text: 'Without a vIOMMU both devices share one container and guest RAM is charged once: 9 GiB suffices.',
      source: 'Q hw/vfio/container.c vfio_connect_container (one container per address space)',
      metric: 'noViommu:io.iops',
      op: '>',
      value: 0,
    },
  ],
};

/** Report NVIDIA/NV-Kernels#248/#249: a 16 GiB guest, one GPU whose 32 GiB BAR QEMU maps for peer-to-peer DMA. */
const GPU_RAM = 16 * GiB;
const GPU_BAR = 32 * GiB;
/** libvirt's limit without a vIOMMU: guest RAM + 1 GiB (qemuDomainGetMemLockLimitBytes). */
const GPU_MEMLOCK = GPU_RAM + 1 * GiB;
const FOLLOW_PFNMAP =
  'NV-Kernels linux-nvidia-6.14/6.17 iommufd/pages.c pfn_reader_user_pin (VM_PFNMAP: follow_fault_pfn) -> iopt_pages_update_pinned (incr_user_locked_vm: -ENOMEM)';
const TYPE1_PFNMAP =
  'L drivers/vfio/vfio_iommu_type1.c vaddr_get_pfns (VM_PFNMAP: is_invalid_reserved_pfn) / vfio_pin_pages_remote (reserved pfns not in lock_acct)';
const BAR_WARNING = 'Q hw/vfio/listener.c vfio_listener_region_add ("Allow unexpected mappings not to be fatal for RAM devices")';

const iommufdChargesBar: Preset = {
  id: 'field-iommufd-bar-memlock',
  title: `${FIELD_REPORT_TAG}: iommufd charges a GPU's BAR (VM_PFNMAP) to RLIMIT_MEMLOCK where type1 does not`,
  summary:
    'A 16 GiB guest without a vIOMMU and one passed-through GPU whose 32 GiB BAR QEMU mmaps from vfio-pci (a VM_PFNMAP VMA) and maps into the ' +
    "container for peer-to-peer DMA; the QEMU process is unprivileged with libvirt's RLIMIT_MEMLOCK of guest RAM + 1 GiB (17 GiB), host kernel " +
    "linux-nvidia 6.14 with the iommufd backend. That kernel's pfn_reader_user_pin follows a PFNMAP VMA when pin_user_pages refuses it and counts " +
    "the BAR's pfns as pinned, so iopt_pages_update_pinned charges 32 GiB of device memory on top of the 16 GiB of RAM and the BAR map fails with " +
    'ENOMEM. QEMU only warns for a ram_device region ("vfio_container_dma_map(...) = -12 (Cannot allocate memory)", "PCI peer-to-peer transactions ' +
    'on BARs are not supported") and the guest runs without P2P to that BAR. type1 maps the same BAR without a charge (reserved pfns); upstream ' +
    'iommufd cannot pin a PFNMAP VMA at all (-EFAULT, "IOMMU_IOAS_MAP failed: Bad address, PCI BAR?"). Fixes: the change NV-Kernels#248/#249 ' +
    "proposed (device memory not charged; both closed unmerged), CAP_IPC_LOCK (the report's workaround), or a limit that also holds the BAR " +
    '(49 GiB, with 48 GiB counted as locked for 16 GiB of RAM).',
  thread:
    'NVIDIA/NV-Kernels#248 and #249 (iommufd: Avoid including VM_PFNMAP memory from RLIMIT_MEMLOCK; linux-nvidia-6.14-next / 6.17-next, LP: #2131970)',
  scenario: {
    name: 'field-iommufd-bar-memlock',
    durationMs: 2,
    host: {
      arch: 'x86_64',
      hypervisor: 'kvm',
      kernelVersion: '6.14',
      memoryBacking: 'hugepages-1g',
      vfio: { backend: 'iommufd', memlockBytes: GPU_MEMLOCK },
      iommufd: { pfnmap: 'charge' },
    },
    vms: [
      {
        name: 'vm0',
        vcpus: 4,
        memoryBytes: GPU_RAM,
        viommu: { model: 'none' },
        devices: [{ name: 'gpu0', kind: 'gpu', barBytes: GPU_BAR }],
      },
    ],
    workload: { kind: 'fio', rw: 'randread', blockSizeBytes: 4096, iodepth: 8, numjobs: 1 },
  },
  variants: [
    {
      name: 'charged',
      description: 'iommufd, linux-nvidia 6.14 following PFNMAP VMAs and charging them; RLIMIT_MEMLOCK 17 GiB (the report)',
      set: [],
    },
    { name: 'type1', description: 'the type1 backend (VFIO_TYPE1v2_IOMMU), RLIMIT_MEMLOCK 17 GiB', set: ['host.vfio.backend=type1v2'] },
    {
      name: 'upstream',
      description: 'iommufd on an upstream kernel (PFNMAP VMAs cannot be pinned), RLIMIT_MEMLOCK 17 GiB',
      set: ['host.iommufd.pfnmap=refuse'],
    },
    {
      name: 'noCharge',
      description:
        'iommufd, linux-nvidia with the change NV-Kernels#248/#249 proposed (device memory IOPT_PAGES_ACCOUNT_NONE; closed unmerged), RLIMIT_MEMLOCK 17 GiB',
      set: ['host.iommufd.pfnmap=noCharge'],
    },
    { name: 'capIpcLock', description: 'iommufd charging PFNMAP, QEMU with CAP_IPC_LOCK', set: ['host.vfio.capIpcLock=true'] },
    {
      name: 'bigMemlock',
      description: 'iommufd charging PFNMAP, RLIMIT_MEMLOCK guest RAM + BAR + 1 GiB = 49 GiB',
      set: [`host.vfio.memlockBytes=${GPU_RAM + GPU_BAR + GiB}`],
    },
  ],
  claims: [
    {
      id: 'charged-bar-enomem',
      text: 'On the charging kernel the BAR map fails with ENOMEM (12): RAM and BAR together exceed the 17 GiB limit.',
      source: `${FOLLOW_PFNMAP}; NVIDIA/NV-Kernels#248`,
      metric: 'charged:qemu.barMapErrno',
      op: '==',
      value: 12,
    },
    {
      id: 'charged-memlock',
      text: "The refusal is iommufd's RLIMIT_MEMLOCK check on the BAR's pages.",
      source: FOLLOW_PFNMAP,
      metric: 'charged:vfio.memlockFailures',
      op: '>=',
      value: 1,
    },
    {
      id: 'charged-guest-runs',
      text: 'The failure is not fatal: QEMU warns and the guest runs (without peer-to-peer DMA to the BAR).',
      source: BAR_WARNING,
      metric: 'charged:io.iops',
      op: '>',
      value: 0,
    },
    {
      id: 'type1-maps-bar',
      text: 'type1 maps the whole 32 GiB BAR under the same limit.',
      source: TYPE1_PFNMAP,
      metric: 'type1:qemu.barBytesMapped',
      op: '==',
      value: GPU_BAR,
    },
    {
      id: 'type1-charges-ram-only',
      text: 'type1 charges guest RAM only (16 GiB locked): device memory has no struct page and is not counted.',
      source: TYPE1_PFNMAP,
      metric: 'type1:vfio.lockedBytesPeak',
      op: '==',
      value: GPU_RAM,
    },
    {
      id: 'upstream-efault',
      text: 'Upstream iommufd cannot pin a PFNMAP VMA: the BAR map fails with EFAULT (14), whatever the limit.',
      source:
        'L drivers/iommu/iommufd/pages.c pfn_reader_user_pin; mm/gup.c check_vma_flags (VM_IO | VM_PFNMAP -> -EFAULT); Q backends/iommufd.c iommufd_backend_map_dma',
      metric: 'upstream:qemu.barMapErrno',
      op: '==',
      value: 14,
    },
    {
      id: 'upstream-no-memlock',
      text: 'Upstream, RLIMIT_MEMLOCK is never reached: nothing of the BAR is pinned or charged.',
      source: 'L drivers/iommu/iommufd/pages.c pfn_reader_user_pin',
      metric: 'upstream:vfio.memlockFailures',
      op: '==',
      value: 0,
    },
    {
      id: 'no-charge-maps-bar',
      text: 'With the change NV-Kernels#248/#249 proposed the BAR maps under the same 17 GiB limit.',
      source: 'NVIDIA/NV-Kernels#248 / #249 (device memory account_mode = IOPT_PAGES_ACCOUNT_NONE)',
      metric: 'noCharge:qemu.barBytesMapped',
      op: '==',
      value: GPU_BAR,
    },
    {
      id: 'no-charge-ram-only',
      text: 'and, as with type1, only guest RAM is charged (16 GiB).',
      source: 'NVIDIA/NV-Kernels#248 / #249; L drivers/iommu/iommufd/pages.c iopt_pages_update_pinned (IOPT_PAGES_ACCOUNT_NONE)',
      metric: 'noCharge:vfio.lockedBytesPeak',
      op: '==',
      value: GPU_RAM,
    },
    {
      id: 'cap-ipc-lock-maps-bar',
      text: "With CAP_IPC_LOCK the limit is not checked and the BAR maps (the report's workaround).",
      source:
        'NVIDIA/NV-Kernels#248 (CAP_IPC_LOCK on the qemu binary); L drivers/iommu/iommufd/pages.c iopt_alloc_pages (capable(CAP_IPC_LOCK))',
      metric: 'capIpcLock:qemu.barBytesMapped',
      op: '==',
      value: GPU_BAR,
    },
    {
      id: 'big-memlock-maps-bar',
      text: 'A limit of guest RAM + BAR + 1 GiB lets the BAR map on the charging kernel,',
      source: FOLLOW_PFNMAP,
      metric: 'bigMemlock:qemu.barBytesMapped',
      op: '==',
      value: GPU_BAR,
    },
    {
      id: 'big-memlock-cost',
      text: 'at the cost of 48 GiB counted as locked for 16 GiB of RAM.',
      source: FOLLOW_PFNMAP,
      metric: 'bigMemlock:vfio.lockedBytesPeak',
      op: '==',
      value: GPU_RAM + GPU_BAR,
    },
  ],
};

export const FIELD2_PRESETS: readonly Preset[] = [viommuTwoDevices, iommufdChargesBar];
