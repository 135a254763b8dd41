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

export const FIELD2_PRESETS: readonly Preset[] = [viommuTwoDevices];
