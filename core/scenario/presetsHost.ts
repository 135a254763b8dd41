// Presets that reproduce the host layers' behaviour call by call (ops scripts): type1 v1 vs v2
// unmap semantics, the entry limit, locked-memory accounting across containers and iommufd copies,
// iommufd's no-split unmap, sPAPR TCE windows, and QEMU's IOVA tree aliasing (reference 004).
// Every expected errno and value is a claim the run checks; none is written in as a result.
// Must not: hold guest-side presets (presetsS390.ts, presetsX86.ts, presetsPpc.ts, presetsEeh.ts).

import type { Preset } from './presetTypes';

const TYPE1_UNMAP = 'L drivers/vfio/vfio_iommu_type1.c vfio_dma_do_unmap';
const REF002 = 'reference 002 (Alex Williamson, 2021-05-07)';
const MiB = 1024 * 1024;

export const TYPE1_UNMAP_STEPS = [
  { op: 'vfio.map', args: { iova: '0x100000', vaddr: '0x10000000', size: '0x10000' } },
  { op: 'vfio.map', args: { iova: '0x108000', vaddr: '0x20000000', size: '0x1000' } },
  { op: 'vfio.unmap', args: { iova: '0x108000', size: '0x8000' } },
  { op: 'vfio.unmap', args: { iova: '0x100000', size: '0x8000' } },
  { op: 'vfio.unmap', args: { all: true } },
];

const type1Unmap: Preset = {
  id: 'type1-unmap-semantics',
  title: 'VFIO type1: v1 vs v2 unmap semantics',
  summary:
    'One 64 KiB mapping, then unmaps that start inside it or end inside it, on a type1 v2 and a type1 v1 container. ' +
    'v2 refuses to bisect a mapping (EINVAL); v1 succeeds, removing nothing when the range starts inside and the whole mapping when it covers its first byte.',
  thread: REF002,
  scenario: {
    name: 'type1-unmap-semantics',
    workload: {
      kind: 'ops',
      steps: TYPE1_UNMAP_STEPS,
    },
  },
  variants: [
    { name: 'v2', description: 'VFIO_TYPE1v2_IOMMU', set: ['host.vfio.backend=type1v2'] },
    { name: 'v1', description: 'VFIO_TYPE1_IOMMU', set: ['host.vfio.backend=type1v1'] },
  ],
  claims: [
    {
      id: 'overlap-eexist',
      text: 'A map overlapping an existing mapping fails with EEXIST.',
      source: 'L drivers/vfio/vfio_iommu_type1.c vfio_dma_do_map (overlap: -EEXIST)',
      variant: 'v2',
      step: 1,
      errno: 'EEXIST',
    },
    {
      id: 'v2-inside-einval',
      text: 'v2: an unmap starting inside a mapping fails with EINVAL.',
      source: TYPE1_UNMAP,
      variant: 'v2',
      step: 2,
      errno: 'EINVAL',
    },
    {
      id: 'v2-bisect-einval',
      text: 'v2: an unmap that would bisect a mapping fails with EINVAL.',
      source: TYPE1_UNMAP,
      variant: 'v2',
      step: 3,
      errno: 'EINVAL',
    },
    {
      id: 'v2-all',
      text: 'v2: unmap-all then removes the untouched 64 KiB mapping.',
      source: TYPE1_UNMAP,
      variant: 'v2',
      step: 4,
      errno: null,
      ret: 65536,
    },
    {
      id: 'v1-inside-zero',
      text: 'v1: an unmap starting inside a mapping succeeds and removes 0 bytes.',
      source: TYPE1_UNMAP,
      variant: 'v1',
      step: 2,
      errno: null,
      ret: 0,
    },
    {
      id: 'v1-first-byte-whole',
      text: "v1: an unmap covering a mapping's first byte removes the whole mapping, past the range end.",
      source: TYPE1_UNMAP,
      variant: 'v1',
      step: 3,
      errno: null,
      ret: 65536,
    },
  ],
};

const type1Limit: Preset = {
  id: 'type1-entry-limit',
  title: 'VFIO type1: the 65536th mapping',
  summary:
    'With the default dma_entry_limit, 65535 mappings of 4 KiB succeed and the next one fails with ENOSPC; GET_INFO then reports dma_avail 0.',
  thread: 'reference 000 (the limit QEMU runs into); L drivers/vfio/vfio_iommu_type1.c vfio_dma_do_map',
  scenario: {
    name: 'type1-entry-limit',
    workload: {
      kind: 'ops',
      steps: [
        {
          op: 'vfio.map',
          args: { iova: '0x100000', vaddr: '0x10000000', size: 4096 },
          repeat: { count: 65535, add: { iova: 4096, vaddr: 4096 } },
        },
        { op: 'vfio.map', args: { iova: 0x100000 + 65535 * 4096, vaddr: 0x10000000 + 65535 * 4096, size: 4096 } },
        { op: 'vfio.getInfo', args: {} },
      ],
    },
    claims: [
      {
        id: 'limit-maps-ok',
        text: '65535 mappings succeed (vfio_iommu_type1.dma_entry_limit = U16_MAX).',
        source: 'L drivers/vfio/vfio_iommu_type1.c dma_entry_limit (U16_MAX)',
        metric: 'ops.0.failed',
        op: '==',
        value: 0,
      },
      {
        id: 'next-enospc',
        text: 'The 65536th mapping fails with ENOSPC.',
        source: 'L vfio_dma_do_map (!iommu->dma_avail)',
        step: 1,
        errno: 'ENOSPC',
      },
      {
        id: 'dma-avail-zero',
        text: 'GET_INFO reports dma_avail 0 (VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL).',
        source: 'L vfio_iommu_type1_get_info',
        metric: 'ops.2.dmaAvail',
        op: '==',
        value: 0,
      },
    ],
  },
};

export const MEMLOCK_STEPS = [
  { op: 'vfio.map', args: { container: 'container0', iova: '0x100000', vaddr: '0x10000000', size: 16 * MiB } },
  { op: 'vfio.map', args: { container: 'container1', iova: '0x100000', vaddr: '0x10000000', size: 16 * MiB } },
  { op: 'vfio.getInfo', args: { container: 'container1' } },
  { op: 'vfio.unmap', args: { container: 'container0', all: true } },
  { op: 'iommufd.map', args: { ioas: 'ioas0', iova: '0x100000', uptr: '0x10000000', length: 16 * MiB } },
  { op: 'iommufd.copy', args: { srcIoas: 'ioas0', dstIoas: 'ioas1', srcIova: '0x100000', dstIova: '0x100000', length: 16 * MiB } },
];

const memlock: Preset = {
  id: 'memlock-double-charge',
  title: 'Locked memory: two type1 containers charge twice, an iommufd copy once',
  summary:
    'RLIMIT_MEMLOCK is 24 MiB. 16 MiB mapped through one type1 container fits; the same 16 MiB through a second container fails with ENOMEM ' +
    '(charged again) and leaves nothing behind. Mapped in an iommufd IOAS and copied to a second IOAS, the same memory is charged once.',
  thread: REF002,
  scenario: {
    name: 'memlock-double-charge',
    host: { vfio: { memlockBytes: 24 * MiB } },
    workload: {
      kind: 'ops',
      steps: MEMLOCK_STEPS,
    },
    claims: [
      {
        id: 'second-container-enomem',
        text: 'The same 16 MiB mapped through a second type1 container is charged again and exceeds the 24 MiB limit (ENOMEM).',
        source: REF002,
        step: 1,
        errno: 'ENOMEM',
      },
      {
        id: 'nothing-left-behind',
        text: 'The failed map left no entry behind: dma_avail is still 65535.',
        source: 'L vfio_pin_map_dma (all-or-nothing)',
        metric: 'ops.2.dmaAvail',
        op: '==',
        value: 65535,
      },
      {
        id: 'iommufd-copy-ok',
        text: 'The iommufd copy to a second IOAS succeeds within the limit.',
        source: 'L drivers/iommu/iommufd/ioas.c iommufd_ioas_copy',
        step: 5,
        errno: null,
      },
      {
        id: 'charged-once',
        text: 'At the end 16 MiB are locked: the type1 charges were released, and the iommufd copy shares the pages pinned for the first IOAS.',
        source: 'L drivers/iommu/iommufd/io_pagetable.c (IOAS_COPY shares the iopt_pages)',
        metric: 'vfio.lockedBytesEnd',
        op: '==',
        value: 16 * MiB,
      },
    ],
  },
};

const iommufdUnmap: Preset = {
  id: 'iommufd-unmap-no-split',
  title: 'iommufd: IOAS_UNMAP never splits an area',
  summary:
    'A 64 KiB area; unmapping its first half fails with ENOENT; unmapping all of it succeeds with 65536 bytes; unmapping it again finds nothing (ENOENT).',
  thread:
    'L drivers/iommu/iommufd/io_pagetable.c iopt_unmap_iova_range; tools/testing/selftests/iommu/iommufd.c (area: unmap 1 page of 2 -> ENOENT)',
  scenario: {
    name: 'iommufd-unmap-no-split',
    workload: {
      kind: 'ops',
      steps: [
        { op: 'iommufd.map', args: { iova: '0x100000', uptr: '0x10000000', length: '0x10000' } },
        { op: 'iommufd.unmap', args: { iova: '0x100000', length: '0x8000' } },
        { op: 'iommufd.unmap', args: { iova: '0x100000', length: '0x10000' } },
        { op: 'iommufd.unmap', args: { iova: '0x100000', length: '0x10000' } },
      ],
    },
    claims: [
      {
        id: 'cut-enoent',
        text: 'An unmap that cuts an area fails with ENOENT (areas are never split).',
        source: 'L iopt_unmap_iova_range',
        step: 1,
        errno: 'ENOENT',
      },
      {
        id: 'whole-ok',
        text: 'Unmapping the whole area returns its 65536 bytes.',
        source: 'L iommufd_ioas_unmap',
        step: 2,
        errno: null,
        ret: 65536,
      },
      { id: 'empty-enoent', text: 'Nothing left in the range: ENOENT.', source: 'L iommufd_ioas_unmap', step: 3, errno: 'ENOENT' },
    ],
  },
};

const spaprWindows: Preset = {
  id: 'spapr-tce-windows',
  title: 'VFIO SPAPR TCE v2: windows',
  summary:
    'Pre-registered memory; a map outside every window fails with ENXIO; a map in the default 32-bit window works; a second (64-bit) window is created at 2^59 and a third is refused.',
  thread: 'reference 001 (at most two windows per PE); L drivers/vfio/vfio_iommu_spapr_tce.c',
  scenario: {
    name: 'spapr-tce-windows',
    host: { arch: 'ppc64le', hypervisor: 'powernv', vfio: { backend: 'spapr-tce-v2' } },
    vms: [{ devices: [{ name: 'nvme0' }] }],
    workload: {
      kind: 'ops',
      steps: [
        { op: 'spapr.registerMemory', args: { vaddr: '0x10000000', size: 16 * MiB } },
        { op: 'spapr.map', args: { iova: '0x100000000', vaddr: '0x10000000', size: '0x10000' } },
        { op: 'spapr.map', args: { iova: '0x100000', vaddr: '0x10000000', size: '0x10000' } },
        { op: 'spapr.createWindow', args: { pageShift: 16, windowSize: '0x100000000', levels: 1 } },
        { op: 'spapr.createWindow', args: { pageShift: 12, windowSize: '0x40000000', levels: 1 } },
        { op: 'spapr.map', args: { iova: '0x800000000000000', vaddr: '0x10000000', size: '0x10000' } },
      ],
    },
    claims: [
      {
        id: 'outside-enxio',
        text: 'A map at an IOVA in no window fails with ENXIO.',
        source: 'L tce_iommu_ioctl (tce_iommu_find_table)',
        step: 1,
        errno: 'ENXIO',
      },
      {
        id: 'default-window-ok',
        text: 'A map in the default 32-bit window succeeds.',
        source: 'L vfio_iommu_spapr_tce.c tce_iommu_create_default_window',
        step: 2,
        errno: null,
      },
      {
        id: 'ddw-at-2-59',
        text: 'The second window is created at 2^59.',
        source: 'L pnv_pci_ioda2_setup_dma_pe (tce64_start = 1 << 59)',
        step: 3,
        errno: null,
        ret: '0x800000000000000',
      },
      {
        id: 'third-refused',
        text: 'A third window is refused (at most two per container).',
        source: 'L tce_iommu_find_free_table',
        step: 4,
        errno: 'ENOSPC',
      },
      {
        id: 'ddw-map-ok',
        text: 'A map in the new 64-bit window succeeds.',
        source: 'L vfio_iommu_spapr_tce.c tce_iommu_ioctl (VFIO_IOMMU_MAP_DMA, tce_iommu_build_v2)',
        step: 5,
        errno: null,
      },
    ],
  },
};

const ALIAS_HVA = '0x7f0000000000';
const FILL_HVA = 0x7f1000000000;
const FILL_IOVA = 0x200000;

const iovaTreeAlias: Preset = {
  id: 'qemu-iova-tree-alias',
  title: "QEMU's IOVA tree: aliased host ranges and reverse-lookup cost",
  summary:
    'Two guest regions (GPA 0 and 4 GiB) alias one host range. A reverse lookup by host address for the second region returns the first region today ' +
    '(a wrong translation) and the right one when maps carry an id (the GPA). Reverse-lookup cost is measured at 1,024 and 65,536 maps: linear today, ' +
    'logarithmic with a reverse index by host address.',
  thread: 'reference 004 (qemu-devel, "iova_tree: add an id member to DMAMap", May 2024)',
  scenario: {
    name: 'qemu-iova-tree-alias',
    workload: {
      kind: 'ops',
      steps: [
        { op: 'iovaTree.insert', args: { iova: '0x1000', translatedAddr: ALIAS_HVA, size: '0xfff', id: 0 } },
        { op: 'iovaTree.insert', args: { iova: '0x100000', translatedAddr: ALIAS_HVA, size: '0xfff', id: '0x100000000' } },
        { op: 'iovaTree.findIova', args: { translatedAddr: ALIAS_HVA, size: '0xfff', id: '0x100000000' } },
        {
          op: 'iovaTree.insert',
          args: { iova: FILL_IOVA, translatedAddr: FILL_HVA, size: 4095, id: FILL_IOVA },
          repeat: { count: 1022, add: { iova: 4096, translatedAddr: 4096, id: 4096 } },
        },
        { op: 'iovaTree.findIova', args: { translatedAddr: FILL_HVA + 1021 * 4096, size: 4095, id: FILL_IOVA + 1021 * 4096 } },
        {
          op: 'iovaTree.insert',
          args: { iova: FILL_IOVA + 1022 * 4096, translatedAddr: FILL_HVA + 1022 * 4096, size: 4095, id: FILL_IOVA + 1022 * 4096 },
          repeat: { count: 64512, add: { iova: 4096, translatedAddr: 4096, id: 4096 } },
        },
        { op: 'iovaTree.findIova', args: { translatedAddr: FILL_HVA + 65533 * 4096, size: 4095, id: FILL_IOVA + 65533 * 4096 } },
      ],
    },
  },
  variants: [
    { name: 'today', description: 'util/iova-tree.c as it is', set: ['host.qemu.iovaTree.fix=none'] },
    { name: 'id', description: 'proposed: an id (the GPA) on each map', set: ['host.qemu.iovaTree.fix=id'] },
    {
      name: 'rindex',
      description: 'proposed: a reverse index keyed by host address, no ids',
      set: ['host.qemu.iovaTree.fix=reverse-index'],
    },
    { name: 'both', description: 'ids and the reverse index', set: ['host.qemu.iovaTree.fix=id+reverse-index'] },
  ],
  claims: [
    {
      id: 'today-wrong',
      text: 'Today the reverse lookup returns the other region: a wrong translation.',
      source: 'reference 004',
      metric: 'today:iovaTree.wrongTranslations',
      op: '>=',
      value: 1,
    },
    {
      id: 'id-right',
      text: 'With an id per map the lookup returns the right region.',
      source: 'reference 004 (RFC 1/2)',
      metric: 'id:iovaTree.wrongTranslations',
      op: '==',
      value: 0,
    },
    {
      id: 'rindex-alone-wrong',
      text: 'A reverse index alone is faster but still returns the first alias: ids are needed for correctness.',
      source: 'reference 004 (discussion of a reverse IOVATree)',
      metric: 'rindex:iovaTree.wrongTranslations',
      op: '>=',
      value: 1,
    },
    {
      id: 'today-linear',
      text: 'Today reverse-lookup cost grows linearly: 64x the maps, about 64x the comparisons.',
      source: 'reference 004 ("the reverse lookup ... is linear too")',
      metric: 'today:ops.6.comparisons',
      per: 'today:ops.4.comparisons',
      op: 'between',
      value: 40,
      valueMax: 80,
    },
    {
      id: 'rindex-log',
      text: 'With a reverse index the cost grows logarithmically: 64x the maps cost at most 3x the comparisons.',
      source: 'reference 004 (maintaining a reverse IOVATree)',
      metric: 'both:ops.6.comparisons',
      per: 'both:ops.4.comparisons',
      op: '<=',
      value: 3,
    },
  ],
};

export const HOST_PRESETS: readonly Preset[] = [type1Unmap, type1Limit, memlock, iommufdUnmap, spaprWindows, iovaTreeAlias];
