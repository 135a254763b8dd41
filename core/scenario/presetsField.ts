// Field reports: the failures people file bugs about, each reproduced from the report's
// configuration with the message the real stack prints (on the run's log lanes, in the kernel's
// and QEMU's wording), the cause chain down to the limit, and a variant per fix with its cost.
// Every preset's thread names the report (project and number); `pcilab explain` maps the report's
// message to its preset (core/run/logExplain.ts). Claims are measured by the run, never written in.
// Must not: hold presets that do not come from a field report.

import type { Preset } from './presetTypes';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TYPE1_MAP = 'L drivers/vfio/vfio_iommu_type1.c vfio_dma_do_map';
const PIN = 'L drivers/vfio/vfio_iommu_type1.c vfio_pin_pages_remote';

/** Every preset of this file carries this tag in its title, so lists can group them. */
export const FIELD_REPORT_TAG = 'Field report';

function workload(w: unknown): string {
  return `workload=${JSON.stringify(w)}`;
}

/** Report 2: RLIMIT_MEMLOCK of 64 KiB, far below guest RAM; no vIOMMU, so QEMU maps all of it at start. */
const GUEST_RAM = 4 * GiB;

const memlockTooSmall: Preset = {
  id: 'field-memlock-too-small',
  title: `${FIELD_REPORT_TAG}: RLIMIT_MEMLOCK far too small for passthrough (64 KiB)`,
  summary:
    'A 4 GiB guest without a vIOMMU and one passed-through device, QEMU running with the common default RLIMIT_MEMLOCK of 64 KiB. ' +
    'QEMU maps all guest RAM into the container when it sets it up; type1 pins and charges every page, the first map fails with ENOMEM ' +
    '("vfio_pin_pages_remote: RLIMIT_MEMLOCK (65536) exceeded") and QEMU exits ("memory listener initialization failed"). ' +
    'The estimate the reports ask for: without a vIOMMU the limit must hold all guest RAM (per container); fixes: that limit, or CAP_IPC_LOCK.',
  thread:
    'kubevirt/kubevirt#8472 (vfio_pin_pages_remote: RLIMIT_MEMLOCK (65536) exceeded); cloud-hypervisor/cloud-hypervisor#165 (how to estimate the limit)',
  scenario: {
    name: 'field-memlock-too-small',
    durationMs: 2,
    host: { arch: 'x86_64', hypervisor: 'kvm', vfio: { memlockBytes: 65536 } },
    vms: [{ name: 'vm0', vcpus: 2, memoryBytes: GUEST_RAM, viommu: { model: 'none' }, devices: [{ name: 'nvme0', kind: 'nvme' }] }],
    workload: { kind: 'fio', rw: 'randread', blockSizeBytes: 4096, iodepth: 8, numjobs: 1 },
  },
  variants: [
    { name: 'tooSmall', description: 'RLIMIT_MEMLOCK 65536 bytes (the report)', set: [] },
    {
      name: 'pageShort',
      description: 'RLIMIT_MEMLOCK one 4 KiB page below guest RAM',
      set: [`host.vfio.memlockBytes=${GUEST_RAM - 4096}`],
    },
    { name: 'guestRam', description: 'RLIMIT_MEMLOCK = guest RAM (4 GiB)', set: [`host.vfio.memlockBytes=${GUEST_RAM}`] },
    { name: 'capIpcLock', description: 'RLIMIT_MEMLOCK 65536 bytes, QEMU with CAP_IPC_LOCK', set: ['host.vfio.capIpcLock=true'] },
  ],
  claims: [
    {
      id: 'too-small-exits',
      text: 'With 64 KiB QEMU cannot map guest RAM and exits before the guest runs.',
      source: 'kubevirt/kubevirt#8472; Q hw/vfio/container.c vfio_connect_container ("memory listener initialization failed")',
      metric: 'tooSmall:qemu.startFailures',
      op: '==',
      value: 1,
    },
    {
      id: 'too-small-memlock',
      text: 'The refusal is the RLIMIT_MEMLOCK check of vfio_pin_pages_remote.',
      source: PIN,
      metric: 'tooSmall:vfio.memlockFailures',
      op: '>=',
      value: 1,
    },
    {
      id: 'page-short-exits',
      text: 'One page short of guest RAM still fails: every page of RAM is pinned and charged.',
      source: `${PIN}; L vfio_lock_acct`,
      metric: 'pageShort:qemu.startFailures',
      op: '==',
      value: 1,
    },
    {
      id: 'guest-ram-starts',
      text: 'A limit of exactly guest RAM lets the guest start and run IO.',
      source: 'cloud-hypervisor/cloud-hypervisor#165 (the estimate: guest RAM per container without a vIOMMU)',
      metric: 'guestRam:io.iops',
      op: '>',
      value: 0,
    },
    {
      id: 'guest-ram-charged',
      text: 'What is charged is guest RAM and nothing else (device BARs are not charged by type1): the locked peak is 4 GiB.',
      source: `${PIN} (reserved / PFNMAP pages are not counted)`,
      metric: 'guestRam:vfio.lockedBytesPeak',
      op: '==',
      value: GUEST_RAM,
    },
    {
      id: 'cap-ipc-lock-starts',
      text: 'With CAP_IPC_LOCK the same 64 KiB limit is not checked and the guest runs.',
      source: `${PIN} (dma->lock_cap skips the check)`,
      metric: 'capIpcLock:io.iops',
      op: '>',
      value: 0,
    },
  ],
};

/** Report 6: two devices in one container; the VMM maps the same range for the second device. */
const RANGE = 16 * MiB;
const firstMap = { op: 'vfio.map', args: { container: 'container0', iova: '0x100000000', vaddr: '0x7f0100000000', size: RANGE } };
const secondMapStep = (container: string) => ({
  op: 'vfio.map',
  args: { container, iova: '0x100000000', vaddr: '0x7f0100000000', size: RANGE },
});
const infoStep = { op: 'vfio.getInfo', args: { container: 'container0' } };

const secondMapEexist: Preset = {
  id: 'field-second-map-eexist',
  title: `${FIELD_REPORT_TAG}: a second device maps a range already mapped in the same container (EEXIST)`,
  summary:
    'Two passed-through GPUs share one VFIO container (one IOVA space). The VMM maps a 16 MiB range for the first device, then the same range ' +
    'again for the second: type1 refuses the overlapping MAP_DMA with EEXIST (17), which Cloud Hypervisor reports as ' +
    '"VfioMapRegion(DmaMap(IommuDmaMap(Error(17))))". Fixes: map each range once per container (the devices share it), or give the second ' +
    'device its own container, which pins and charges the range a second time.',
  thread: 'kata-containers/kata-containers#10582 (VfioMapRegion(DmaMap(IommuDmaMap(Error(17)))) with two GPUs)',
  scenario: {
    name: 'field-second-map-eexist',
    workload: { kind: 'ops', steps: [firstMap, secondMapStep('container0'), infoStep] },
  },
  variants: [
    { name: 'shared', description: 'both devices in container0: the same range mapped twice (the report)', set: [] },
    {
      name: 'once',
      description: 'both devices in container0, the range mapped once for both',
      set: [workload({ kind: 'ops', steps: [firstMap, infoStep] })],
    },
    {
      name: 'ownContainer',
      description: 'the second device in its own container1',
      set: [workload({ kind: 'ops', steps: [firstMap, secondMapStep('container1'), infoStep] })],
    },
  ],
  claims: [
    {
      id: 'shared-eexist',
      text: 'The second map of the same range in the same container fails with EEXIST (17).',
      source: `${TYPE1_MAP} (vfio_find_dma overlap: -EEXIST); kata-containers/kata-containers#10582`,
      variant: 'shared',
      step: 1,
      errno: 'EEXIST',
    },
    {
      id: 'shared-one-entry',
      text: 'The refused map added nothing: the container holds one mapping (GET_INFO: dma_avail 65534).',
      source: `${TYPE1_MAP}; L vfio_iommu_type1_get_info (DMA_AVAIL)`,
      metric: 'shared:ops.2.dmaAvail',
      op: '==',
      value: 65534,
    },
    {
      id: 'once-charged-once',
      text: 'Mapped once for both devices, the range is pinned and charged once (16 MiB).',
      source: PIN,
      metric: 'once:vfio.lockedBytesPeak',
      op: '==',
      value: RANGE,
    },
    {
      id: 'own-container-ok',
      text: 'In its own container the second device maps the range without error.',
      source: TYPE1_MAP,
      variant: 'ownContainer',
      step: 1,
      errno: null,
    },
    {
      id: 'own-container-charged-twice',
      text: 'Its cost: the second container pins and charges the same range again (32 MiB locked for 16 MiB of memory).',
      source: `${PIN} (per-container accounting); reference 002`,
      metric: 'ownContainer:vfio.lockedBytesPeak',
      op: '==',
      value: 2 * RANGE,
    },
  ],
};

/** Report 3: virtio-mem at 2 MiB blocks against dma_entry_limit; guest RAM 4 GiB (two boot mappings). */
const PLUG = 128 * GiB;

const virtioMemEntries: Preset = {
  id: 'field-virtio-mem-entries',
  title: `${FIELD_REPORT_TAG}: virtio-mem with a passed-through GPU runs out of DMA mappings`,
  summary:
    'A 4 GiB guest without a vIOMMU, a passed-through device, and a virtio-mem device plugging 128 GiB. QEMU maps every plugged block with its own ' +
    'VFIO_IOMMU_MAP_DMA, so at 2 MiB blocks 128 GiB needs 65536 mappings besides the two of boot RAM: QEMU warns when it registers the device ' +
    '("vfio_register_ram_discard_listener: possibly running out of DMA mappings ... Maximum possible DMA mappings: 65535") and the plug fails ' +
    'with ENOSPC when dma_entry_limit is reached. At 2 MiB blocks the limit is reached at 65533 blocks (just under 128 GiB); fixes: a 4 MiB block-size ' +
    '(half the mappings) or a raised vfio_iommu_type1.dma_entry_limit.',
  thread:
    'kata-containers/kata-containers#11721 and NVIDIA/nvtrust#46 (possibly running out of DMA mappings, then VFIO_MAP_DMA -28); reference 002 (one map per block)',
  scenario: {
    name: 'field-virtio-mem-entries',
    durationMs: 20000,
    host: { arch: 'x86_64', hypervisor: 'kvm', memoryBacking: 'hugepages-2m' },
    vms: [{ name: 'vm0', vcpus: 2, memoryBytes: 4 * GiB, viommu: { model: 'none' }, devices: [{ name: 'gpu0', kind: 'nvme' }] }],
    workload: { kind: 'virtio-mem', blockSizeBytes: 2 * MiB, plugBytes: PLUG },
  },
  variants: [
    { name: 'small', description: 'block-size 2 MiB (the report)', set: [] },
    {
      name: 'bigBlock',
      description: 'block-size 4 MiB',
      set: [workload({ kind: 'virtio-mem', blockSizeBytes: 4 * MiB, plugBytes: PLUG })],
    },
    {
      name: 'raisedLimit',
      description: 'block-size 2 MiB, vfio_iommu_type1.dma_entry_limit=131072',
      set: ['host.vfio.dmaEntryLimit=131072'],
    },
  ],
  claims: [
    {
      id: 'small-fails',
      text: 'At 2 MiB blocks plugging 128 GiB fails: a plug request is refused once dma_entry_limit mappings exist.',
      source: `${TYPE1_MAP} (!dma_avail: -ENOSPC); Q hw/vfio/listener.c vfio_ram_discard_notify_populate`,
      metric: 'small:virtioMem.plugFailures',
      op: '==',
      value: 1,
    },
    {
      id: 'small-enospc',
      text: 'The refused map is ENOSPC, not a memory limit.',
      source: TYPE1_MAP,
      metric: 'small:vfio.enospc',
      op: '>=',
      value: 1,
    },
    {
      id: 'small-limit-reached',
      text: 'It stops at the limit: 65535 mappings in the container, the two of boot RAM and 65533 blocks.',
      source: 'L vfio_iommu_type1.c dma_entry_limit (U16_MAX)',
      metric: 'small:vfio.entriesPeak',
      op: '==',
      value: 65535,
    },
    {
      id: 'big-block-ok',
      text: 'At 4 MiB blocks the same 128 GiB plugs with 32768 mappings.',
      source: 'kata-containers/kata-containers#11721 (the warning: "try increasing the block-size")',
      metric: 'bigBlock:virtioMem.blocksPlugged',
      op: '==',
      value: PLUG / (4 * MiB),
    },
    {
      id: 'big-block-no-failure',
      text: 'No plug request fails at 4 MiB.',
      source: TYPE1_MAP,
      metric: 'bigBlock:virtioMem.plugFailures',
      op: '==',
      value: 0,
    },
    {
      id: 'raised-limit-ok',
      text: 'With dma_entry_limit raised to 131072, 2 MiB blocks plug all 128 GiB (65536 blocks).',
      source: 'L vfio_iommu_type1.c (module parameter dma_entry_limit)',
      metric: 'raisedLimit:virtioMem.blocksPlugged',
      op: '==',
      value: PLUG / (2 * MiB),
    },
  ],
};

/** Report 5: a host IOMMU of 39 bits; a map at 0x8800000000 (above 2^39) is outside its IOVA ranges. */
const ABOVE_2_39 = '0x8800000000';
const mapAt = (iova: string) => ({ op: 'vfio.map', args: { iova, vaddr: '0x7f0100000000', size: 16 * MiB } });

const iovaOutsideRanges: Preset = {
  id: 'field-iova-outside-ranges',
  title: `${FIELD_REPORT_TAG}: a map above the host IOMMU's address width (39 bits) is refused`,
  summary:
    "A host IOMMU of 39 address bits (last IOVA 2^39 - 1) and a map at 0x8800000000, where a guest's RAM or a 64-bit BAR above 512 GiB lands. " +
    'type1 checks the IOVA against the ranges the host IOMMU can map (the aperture minus reserved regions, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) ' +
    'before the IOMMU driver sees it, and refuses with EINVAL (-22, "VFIO_MAP_DMA: -22"). Kernels without that list (before 5.4) passed it to ' +
    'intel_iommu_map, which printed "iommu width (39) is not sufficient for the mapped address" and returned -EFAULT (the oldKernel variant, host Linux 4.19). ' +
    "The same 39 bits are what a nested host sees when its IOMMU is QEMU's intel-iommu at the default aw-bits before QEMU 10.0 (and on machine types before pc-q35-9.2): " +
    'a VMM in that guest mapping a BAR it placed above 2^39 gets the EINVAL (cloud-hypervisor/cloud-hypervisor#7030). ' +
    'Fixes: keep guest RAM and BARs below 2^39, or a 48-bit IOMMU (a 48-bit host IOMMU, or intel-iommu aw-bits=48).',
  thread:
    'gnif/LookingGlass#1184 (VFIO_MAP_DMA -22 for an IOVA outside the valid ranges); MicronSSD/unvme#4 ("iommu width (39) is not sufficient for the mapped address"); cloud-hypervisor/cloud-hypervisor#7030 (nested in QEMU: the default 39-bit intel-iommu, fixed by aw-bits=48)',
  scenario: {
    name: 'field-iova-outside-ranges',
    host: { arch: 'x86_64', hypervisor: 'kvm', iommu: { apertureLast: 2 ** 39 - 1 } },
    workload: { kind: 'ops', steps: [mapAt(ABOVE_2_39)] },
  },
  variants: [
    { name: 'outside', description: 'host IOMMU 39 bits, map at 0x8800000000 (the report)', set: [] },
    {
      name: 'below',
      description: 'host IOMMU 39 bits, the same range at 4 GiB',
      set: [workload({ kind: 'ops', steps: [mapAt('0x100000000')] })],
    },
    { name: 'wide', description: 'host IOMMU 48 bits, map at 0x8800000000', set: [`host.iommu.apertureLast=${2 ** 48 - 1}`] },
    {
      name: 'oldKernel',
      description:
        'host IOMMU 39 bits, map at 0x8800000000, host Linux 4.19 (no IOVA list: iovaRangeCheck off, as the version table implies for < 5.4)',
      set: ['host.kernelVersion=4.19'],
    },
  ],
  claims: [
    {
      id: 'outside-einval',
      text: 'Above 2^39 on a 39-bit host IOMMU the map fails with EINVAL (-22).',
      source: `${TYPE1_MAP} (vfio_iommu_iova_dma_valid); gnif/LookingGlass#1184`,
      variant: 'outside',
      step: 0,
      errno: 'EINVAL',
    },
    {
      id: 'below-ok',
      text: 'The same range below 2^39 maps.',
      source: TYPE1_MAP,
      variant: 'below',
      step: 0,
      errno: null,
    },
    {
      id: 'old-kernel-efault',
      text: 'Before Linux 5.4 type1 has no IOVA list: the map reaches intel_iommu_map, which refuses the end beyond 2^39 with EFAULT (-14) and prints the "iommu width (39)" line.',
      source: 'L drivers/iommu/intel/iommu.c intel_iommu_map; MicronSSD/unvme#4',
      variant: 'oldKernel',
      step: 0,
      errno: 'EFAULT',
    },
    {
      id: 'wide-ok',
      text: 'With a 48-bit host IOMMU the map at 0x8800000000 succeeds.',
      source: 'L drivers/vfio/vfio_iommu_type1.c vfio_iommu_aper_expand / vfio_iommu_iova_dma_valid',
      variant: 'wide',
      step: 0,
      errno: null,
    },
  ],
};

export const FIELD_PRESETS: readonly Preset[] = [memlockTooSmall, secondMapEexist, virtioMemEntries, iovaOutsideRanges];
