// core/scenario/presetsHost.ts
var TYPE1_UNMAP = "L drivers/vfio/vfio_iommu_type1.c vfio_dma_do_unmap";
var REF002 = "reference 002 (Alex Williamson, 2021-05-07)";
var MiB = 1024 * 1024;
var TYPE1_UNMAP_STEPS = [
  { op: "vfio.map", args: { iova: "0x100000", vaddr: "0x10000000", size: "0x10000" } },
  { op: "vfio.map", args: { iova: "0x108000", vaddr: "0x20000000", size: "0x1000" } },
  { op: "vfio.unmap", args: { iova: "0x108000", size: "0x8000" } },
  { op: "vfio.unmap", args: { iova: "0x100000", size: "0x8000" } },
  { op: "vfio.unmap", args: { all: true } }
];
var type1Unmap = {
  id: "type1-unmap-semantics",
  title: "VFIO type1: v1 vs v2 unmap semantics",
  summary: "One 64 KiB mapping, then unmaps that start inside it or end inside it, on a type1 v2 and a type1 v1 container. v2 refuses to bisect a mapping (EINVAL); v1 succeeds, removing nothing when the range starts inside and the whole mapping when it covers its first byte.",
  thread: REF002,
  scenario: {
    name: "type1-unmap-semantics",
    workload: {
      kind: "ops",
      steps: TYPE1_UNMAP_STEPS
    }
  },
  variants: [
    { name: "v2", description: "VFIO_TYPE1v2_IOMMU", set: ["host.vfio.backend=type1v2"] },
    { name: "v1", description: "VFIO_TYPE1_IOMMU", set: ["host.vfio.backend=type1v1"] }
  ],
  claims: [
    {
      id: "overlap-eexist",
      text: "A map overlapping an existing mapping fails with EEXIST.",
      source: "L drivers/vfio/vfio_iommu_type1.c vfio_dma_do_map (overlap: -EEXIST)",
      variant: "v2",
      step: 1,
      errno: "EEXIST"
    },
    {
      id: "v2-inside-einval",
      text: "v2: an unmap starting inside a mapping fails with EINVAL.",
      source: TYPE1_UNMAP,
      variant: "v2",
      step: 2,
      errno: "EINVAL"
    },
    {
      id: "v2-bisect-einval",
      text: "v2: an unmap that would bisect a mapping fails with EINVAL.",
      source: TYPE1_UNMAP,
      variant: "v2",
      step: 3,
      errno: "EINVAL"
    },
    {
      id: "v2-all",
      text: "v2: unmap-all then removes the untouched 64 KiB mapping.",
      source: TYPE1_UNMAP,
      variant: "v2",
      step: 4,
      errno: null,
      ret: 65536
    },
    {
      id: "v1-inside-zero",
      text: "v1: an unmap starting inside a mapping succeeds and removes 0 bytes.",
      source: TYPE1_UNMAP,
      variant: "v1",
      step: 2,
      errno: null,
      ret: 0
    },
    {
      id: "v1-first-byte-whole",
      text: "v1: an unmap covering a mapping's first byte removes the whole mapping, past the range end.",
      source: TYPE1_UNMAP,
      variant: "v1",
      step: 3,
      errno: null,
      ret: 65536
    }
  ]
};
var type1Limit = {
  id: "type1-entry-limit",
  title: "VFIO type1: the 65536th mapping",
  summary: "With the default dma_entry_limit, 65535 mappings of 4 KiB succeed and the next one fails with ENOSPC; GET_INFO then reports dma_avail 0.",
  thread: "reference 000 (the limit QEMU runs into); L drivers/vfio/vfio_iommu_type1.c vfio_dma_do_map",
  scenario: {
    name: "type1-entry-limit",
    workload: {
      kind: "ops",
      steps: [
        {
          op: "vfio.map",
          args: { iova: "0x100000", vaddr: "0x10000000", size: 4096 },
          repeat: { count: 65535, add: { iova: 4096, vaddr: 4096 } }
        },
        { op: "vfio.map", args: { iova: 1048576 + 65535 * 4096, vaddr: 268435456 + 65535 * 4096, size: 4096 } },
        { op: "vfio.getInfo", args: {} }
      ]
    },
    claims: [
      {
        id: "limit-maps-ok",
        text: "65535 mappings succeed (vfio_iommu_type1.dma_entry_limit = U16_MAX).",
        source: "L drivers/vfio/vfio_iommu_type1.c dma_entry_limit (U16_MAX)",
        metric: "ops.0.failed",
        op: "==",
        value: 0
      },
      {
        id: "next-enospc",
        text: "The 65536th mapping fails with ENOSPC.",
        source: "L vfio_dma_do_map (!iommu->dma_avail)",
        step: 1,
        errno: "ENOSPC"
      },
      {
        id: "dma-avail-zero",
        text: "GET_INFO reports dma_avail 0 (VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL).",
        source: "L vfio_iommu_type1_get_info",
        metric: "ops.2.dmaAvail",
        op: "==",
        value: 0
      }
    ]
  }
};
var MEMLOCK_STEPS = [
  { op: "vfio.map", args: { container: "container0", iova: "0x100000", vaddr: "0x10000000", size: 16 * MiB } },
  { op: "vfio.map", args: { container: "container1", iova: "0x100000", vaddr: "0x10000000", size: 16 * MiB } },
  { op: "vfio.getInfo", args: { container: "container1" } },
  { op: "vfio.unmap", args: { container: "container0", all: true } },
  { op: "iommufd.map", args: { ioas: "ioas0", iova: "0x100000", uptr: "0x10000000", length: 16 * MiB } },
  { op: "iommufd.copy", args: { srcIoas: "ioas0", dstIoas: "ioas1", srcIova: "0x100000", dstIova: "0x100000", length: 16 * MiB } }
];
var memlock = {
  id: "memlock-double-charge",
  title: "Locked memory: two type1 containers charge twice, an iommufd copy once",
  summary: "RLIMIT_MEMLOCK is 24 MiB. 16 MiB mapped through one type1 container fits; the same 16 MiB through a second container fails with ENOMEM (charged again) and leaves nothing behind. Mapped in an iommufd IOAS and copied to a second IOAS, the same memory is charged once.",
  thread: REF002,
  scenario: {
    name: "memlock-double-charge",
    host: { vfio: { memlockBytes: 24 * MiB } },
    workload: {
      kind: "ops",
      steps: MEMLOCK_STEPS
    },
    claims: [
      {
        id: "second-container-enomem",
        text: "The same 16 MiB mapped through a second type1 container is charged again and exceeds the 24 MiB limit (ENOMEM).",
        source: REF002,
        step: 1,
        errno: "ENOMEM"
      },
      {
        id: "nothing-left-behind",
        text: "The failed map left no entry behind: dma_avail is still 65535.",
        source: "L vfio_pin_map_dma (all-or-nothing)",
        metric: "ops.2.dmaAvail",
        op: "==",
        value: 65535
      },
      {
        id: "iommufd-copy-ok",
        text: "The iommufd copy to a second IOAS succeeds within the limit.",
        source: "L drivers/iommu/iommufd/ioas.c iommufd_ioas_copy",
        step: 5,
        errno: null
      },
      {
        id: "charged-once",
        text: "At the end 16 MiB are locked: the type1 charges were released, and the iommufd copy shares the pages pinned for the first IOAS.",
        source: "L drivers/iommu/iommufd/io_pagetable.c (IOAS_COPY shares the iopt_pages)",
        metric: "vfio.lockedBytesEnd",
        op: "==",
        value: 16 * MiB
      }
    ]
  }
};
var iommufdUnmap = {
  id: "iommufd-unmap-no-split",
  title: "iommufd: IOAS_UNMAP never splits an area",
  summary: "A 64 KiB area; unmapping its first half fails with ENOENT; unmapping all of it succeeds with 65536 bytes; unmapping it again finds nothing (ENOENT).",
  thread: "L drivers/iommu/iommufd/io_pagetable.c iopt_unmap_iova_range; tools/testing/selftests/iommu/iommufd.c (area: unmap 1 page of 2 -> ENOENT)",
  scenario: {
    name: "iommufd-unmap-no-split",
    workload: {
      kind: "ops",
      steps: [
        { op: "iommufd.map", args: { iova: "0x100000", uptr: "0x10000000", length: "0x10000" } },
        { op: "iommufd.unmap", args: { iova: "0x100000", length: "0x8000" } },
        { op: "iommufd.unmap", args: { iova: "0x100000", length: "0x10000" } },
        { op: "iommufd.unmap", args: { iova: "0x100000", length: "0x10000" } }
      ]
    },
    claims: [
      {
        id: "cut-enoent",
        text: "An unmap that cuts an area fails with ENOENT (areas are never split).",
        source: "L iopt_unmap_iova_range",
        step: 1,
        errno: "ENOENT"
      },
      {
        id: "whole-ok",
        text: "Unmapping the whole area returns its 65536 bytes.",
        source: "L iommufd_ioas_unmap",
        step: 2,
        errno: null,
        ret: 65536
      },
      { id: "empty-enoent", text: "Nothing left in the range: ENOENT.", source: "L iommufd_ioas_unmap", step: 3, errno: "ENOENT" }
    ]
  }
};
var spaprWindows = {
  id: "spapr-tce-windows",
  title: "VFIO SPAPR TCE v2: windows",
  summary: "Pre-registered memory; a map outside every window fails with ENXIO; a map in the default 32-bit window works; a second (64-bit) window is created at 2^59 and a third is refused.",
  thread: "reference 001 (at most two windows per PE); L drivers/vfio/vfio_iommu_spapr_tce.c",
  scenario: {
    name: "spapr-tce-windows",
    host: { arch: "ppc64le", hypervisor: "powernv", vfio: { backend: "spapr-tce-v2" } },
    vms: [{ devices: [{ name: "nvme0" }] }],
    workload: {
      kind: "ops",
      steps: [
        { op: "spapr.registerMemory", args: { vaddr: "0x10000000", size: 16 * MiB } },
        { op: "spapr.map", args: { iova: "0x100000000", vaddr: "0x10000000", size: "0x10000" } },
        { op: "spapr.map", args: { iova: "0x100000", vaddr: "0x10000000", size: "0x10000" } },
        { op: "spapr.createWindow", args: { pageShift: 16, windowSize: "0x100000000", levels: 1 } },
        { op: "spapr.createWindow", args: { pageShift: 12, windowSize: "0x40000000", levels: 1 } },
        { op: "spapr.map", args: { iova: "0x800000000000000", vaddr: "0x10000000", size: "0x10000" } }
      ]
    },
    claims: [
      {
        id: "outside-enxio",
        text: "A map at an IOVA in no window fails with ENXIO.",
        source: "L tce_iommu_ioctl (tce_iommu_find_table)",
        step: 1,
        errno: "ENXIO"
      },
      {
        id: "default-window-ok",
        text: "A map in the default 32-bit window succeeds.",
        source: "L vfio_iommu_spapr_tce.c tce_iommu_create_default_window",
        step: 2,
        errno: null
      },
      {
        id: "ddw-at-2-59",
        text: "The second window is created at 2^59.",
        source: "L pnv_pci_ioda2_setup_dma_pe (tce64_start = 1 << 59)",
        step: 3,
        errno: null,
        ret: "0x800000000000000"
      },
      {
        id: "third-refused",
        text: "A third window is refused (at most two per container).",
        source: "L tce_iommu_find_free_table",
        step: 4,
        errno: "ENOSPC"
      },
      {
        id: "ddw-map-ok",
        text: "A map in the new 64-bit window succeeds.",
        source: "L vfio_iommu_spapr_tce.c tce_iommu_ioctl (VFIO_IOMMU_MAP_DMA, tce_iommu_build_v2)",
        step: 5,
        errno: null
      }
    ]
  }
};
var ALIAS_HVA = "0x7f0000000000";
var FILL_HVA = 139706696204288;
var FILL_IOVA = 2097152;
var iovaTreeAlias = {
  id: "qemu-iova-tree-alias",
  title: "QEMU's IOVA tree: aliased host ranges and reverse-lookup cost",
  summary: "Two guest regions (GPA 0 and 4 GiB) alias one host range. A reverse lookup by host address for the second region returns the first region today (a wrong translation) and the right one when maps carry an id (the GPA). Reverse-lookup cost is measured at 1,024 and 65,536 maps: linear today, logarithmic with a reverse index by host address.",
  thread: 'reference 004 (qemu-devel, "iova_tree: add an id member to DMAMap", May 2024)',
  scenario: {
    name: "qemu-iova-tree-alias",
    workload: {
      kind: "ops",
      steps: [
        { op: "iovaTree.insert", args: { iova: "0x1000", translatedAddr: ALIAS_HVA, size: "0xfff", id: 0 } },
        { op: "iovaTree.insert", args: { iova: "0x100000", translatedAddr: ALIAS_HVA, size: "0xfff", id: "0x100000000" } },
        { op: "iovaTree.findIova", args: { translatedAddr: ALIAS_HVA, size: "0xfff", id: "0x100000000" } },
        {
          op: "iovaTree.insert",
          args: { iova: FILL_IOVA, translatedAddr: FILL_HVA, size: 4095, id: FILL_IOVA },
          repeat: { count: 1022, add: { iova: 4096, translatedAddr: 4096, id: 4096 } }
        },
        { op: "iovaTree.findIova", args: { translatedAddr: FILL_HVA + 1021 * 4096, size: 4095, id: FILL_IOVA + 1021 * 4096 } },
        {
          op: "iovaTree.insert",
          args: { iova: FILL_IOVA + 1022 * 4096, translatedAddr: FILL_HVA + 1022 * 4096, size: 4095, id: FILL_IOVA + 1022 * 4096 },
          repeat: { count: 64512, add: { iova: 4096, translatedAddr: 4096, id: 4096 } }
        },
        { op: "iovaTree.findIova", args: { translatedAddr: FILL_HVA + 65533 * 4096, size: 4095, id: FILL_IOVA + 65533 * 4096 } }
      ]
    }
  },
  variants: [
    { name: "today", description: "util/iova-tree.c as it is", set: ["host.qemu.iovaTree.fix=none"] },
    { name: "id", description: "proposed: an id (the GPA) on each map", set: ["host.qemu.iovaTree.fix=id"] },
    {
      name: "rindex",
      description: "proposed: a reverse index keyed by host address, no ids",
      set: ["host.qemu.iovaTree.fix=reverse-index"]
    },
    { name: "both", description: "ids and the reverse index", set: ["host.qemu.iovaTree.fix=id+reverse-index"] }
  ],
  claims: [
    {
      id: "today-wrong",
      text: "Today the reverse lookup returns the other region: a wrong translation.",
      source: "reference 004",
      metric: "today:iovaTree.wrongTranslations",
      op: ">=",
      value: 1
    },
    {
      id: "id-right",
      text: "With an id per map the lookup returns the right region.",
      source: "reference 004 (RFC 1/2)",
      metric: "id:iovaTree.wrongTranslations",
      op: "==",
      value: 0
    },
    {
      id: "rindex-alone-wrong",
      text: "A reverse index alone is faster but still returns the first alias: ids are needed for correctness.",
      source: "reference 004 (discussion of a reverse IOVATree)",
      metric: "rindex:iovaTree.wrongTranslations",
      op: ">=",
      value: 1
    },
    {
      id: "today-linear",
      text: "Today reverse-lookup cost grows linearly: 64x the maps, about 64x the comparisons.",
      source: 'reference 004 ("the reverse lookup ... is linear too")',
      metric: "today:ops.6.comparisons",
      per: "today:ops.4.comparisons",
      op: "between",
      value: 40,
      valueMax: 80
    },
    {
      id: "rindex-log",
      text: "With a reverse index the cost grows logarithmically: 64x the maps cost at most 3x the comparisons.",
      source: "reference 004 (maintaining a reverse IOVATree)",
      metric: "both:ops.6.comparisons",
      per: "both:ops.4.comparisons",
      op: "<=",
      value: 3
    }
  ]
};
var HOST_PRESETS = [type1Unmap, type1Limit, memlock, iommufdUnmap, spaprWindows, iovaTreeAlias];

// core/scenario/presetsX86.ts
var PUBLISHED = "J-P. Brucker, linux-iommu, 2 Aug 2023 (virtio-iommu + NVMe, % of host bandwidth: strict 81.3, lazy + iotlb_sync_map 99.9)";
var x86Viommu = {
  id: "x86-viommu-nvme",
  title: "x86: intel-iommu and virtio-iommu with a passed-through NVMe, strict vs lazy",
  summary: "fio sequential reads of 128 KiB, 4 jobs x QD 16, on an x86 KVM guest with a passed-through NVMe: no vIOMMU (RAM mapped once), intel-iommu in caching mode (strict, which Linux forces there, and lazy through the sysfs DMA-FQ switch, per-CPU and single queue), and virtio-iommu strict and lazy. Every map and every invalidation is an exit that QEMU shadows into VFIO.",
  thread: "published virtio-iommu figures (J-P. Brucker, linux-iommu, 2 Aug 2023); reference 002 (map/unmap per IO is too slow for a vIOMMU)",
  scenario: {
    name: "x86-viommu-nvme",
    durationMs: 40,
    host: { arch: "x86_64", hypervisor: "kvm" },
    vms: [{ name: "vm0", vcpus: 4, devices: [{ name: "nvme0", kind: "nvme" }] }],
    workload: { kind: "fio", rw: "read", blockSizeBytes: 128 * 1024, iodepth: 16, numjobs: 4 }
  },
  variants: [
    { name: "host", description: "no vIOMMU: guest RAM mapped once at boot", set: ["vms.0.viommu.model=none"] },
    {
      name: "intelStrict",
      description: "intel-iommu, caching mode, strict (the default Linux forces)",
      set: ["vms.0.viommu.model=intel-iommu"]
    },
    {
      name: "intelLazy",
      description: "intel-iommu, per-CPU flush queues (DMA-FQ set through sysfs)",
      set: ["vms.0.viommu.model=intel-iommu", "vms.0.guest.dmaMode=lazy"]
    },
    {
      name: "intelSingle",
      description: "intel-iommu, single flush queue",
      set: ["vms.0.viommu.model=intel-iommu", "vms.0.guest.dmaMode=lazy-single"]
    },
    { name: "virtioStrict", description: "virtio-iommu, strict", set: ["vms.0.viommu.model=virtio-iommu", "vms.0.guest.dmaMode=strict"] },
    {
      name: "virtioLazy",
      description: "virtio-iommu, per-CPU flush queues",
      set: ["vms.0.viommu.model=virtio-iommu", "vms.0.guest.dmaMode=lazy"]
    }
  ],
  claims: [
    {
      id: "strict-costs-bandwidth",
      text: "Strict flushing with intel-iommu costs bandwidth: about 81 % of the host bandwidth.",
      source: PUBLISHED,
      metric: "intelStrict:io.bandwidthMBps",
      per: "host:io.bandwidthMBps",
      op: "between",
      value: 0.7,
      valueMax: 0.9,
      whyNot: "QEMU shadows every 4 KiB leaf of a 128 KiB IO as its own VFIO map (vtd_page_walk notifies per leaf: 32 ioctls per IO) under the big QEMU lock; with the default ioctl and invalidation costs (docs/model.md#default-costs) that lock saturates far below the device's bandwidth. The published figure needs cheaper shadowing (fewer, larger VFIO maps) than this path has."
    },
    {
      id: "lazy-recovers",
      text: "Lazy flushing recovers most of it: about 100 % of the host bandwidth.",
      source: PUBLISHED,
      metric: "intelLazy:io.bandwidthMBps",
      per: "host:io.bandwidthMBps",
      op: ">=",
      value: 0.9,
      whyNot: "Lazy mode removes the unmap-side invalidation exit, but every map still costs a page-selective invalidation that QEMU shadows leaf by leaf, so the big QEMU lock stays the bottleneck."
    },
    {
      id: "lazy-recovers-some",
      text: "Lazy flushing recovers bandwidth lost to strict (intel-iommu).",
      source: PUBLISHED,
      metric: "intelLazy:io.bandwidthMBps",
      per: "intelStrict:io.bandwidthMBps",
      op: ">",
      value: 1
    },
    {
      id: "lazy-fewer-exits",
      text: "Lazy flushing needs fewer exits than strict (intel-iommu).",
      source: "L drivers/iommu/dma-iommu.c queue_iova (lazy unmaps wait for a flush instead of invalidating each)",
      metric: "intelLazy:vmexits",
      per: "intelStrict:vmexits",
      op: "<",
      value: 1
    },
    {
      id: "virtio-lazy-host",
      text: "virtio-iommu with lazy flushing reaches about the host bandwidth.",
      source: PUBLISHED,
      metric: "virtioLazy:io.bandwidthMBps",
      per: "host:io.bandwidthMBps",
      op: ">=",
      value: 0.9
    },
    {
      id: "virtio-lazy-fewer-exits",
      text: "virtio-iommu: lazy flushing roughly halves the exits (UNMAP requests are queued without a kick).",
      source: "L drivers/iommu/virtio-iommu.c viommu_unmap_pages (add only), viommu_iotlb_sync",
      metric: "virtioLazy:vmexits",
      per: "virtioStrict:vmexits",
      op: "between",
      value: 0.4,
      valueMax: 0.6
    }
  ]
};
var X86_PRESETS = [x86Viommu];

// core/scenario/presetsRef002.ts
var REF0022 = "reference 002 (Alex Williamson, 2021-05-07)";
var MiB2 = 1024 * 1024;
function workload(w) {
  return `workload=${JSON.stringify(w)}`;
}
var REF002_PRESET = {
  id: "vfio-map-unmap-limits",
  title: "VFIO's map/unmap interface: unmap semantics, virtio-mem, locked memory, per-IO mappings",
  summary: "Four points of reference 002 in one run: type1 v1 lets an unmap bisect a mapping and v2 does not; virtio-mem plugging 1 GiB at 2 MiB granularity costs 512 VFIO maps; the same memory in two type1 containers is charged twice against RLIMIT_MEMLOCK but once through an iommufd copy; and a vIOMMU guest mapping per IO spends most of its CPU in map/unmap where long-lived mappings spend nothing.",
  thread: REF0022,
  scenario: {
    name: "vfio-map-unmap-limits",
    durationMs: 20,
    host: { arch: "x86_64", hypervisor: "kvm" },
    vms: [{ name: "vm0", vcpus: 4, viommu: { model: "intel-iommu" }, devices: [{ name: "nvme0", kind: "nvme" }] }],
    workload: { kind: "fio", rw: "randread", blockSizeBytes: 4096, iodepth: 32, numjobs: 4 }
  },
  variants: [
    {
      name: "v2",
      description: "type1 v2 unmap rules (ops)",
      set: ["vms.0.viommu.model=none", workload({ kind: "ops", steps: TYPE1_UNMAP_STEPS })]
    },
    {
      name: "v1",
      description: "type1 v1 unmap rules (ops)",
      set: ["vms.0.viommu.model=none", "host.vfio.backend=type1v1", workload({ kind: "ops", steps: TYPE1_UNMAP_STEPS })]
    },
    {
      name: "virtioMem",
      description: "virtio-mem plugs 1 GiB at 2 MiB into a vIOMMU-less guest",
      set: ["vms.0.viommu.model=none", "durationMs=200", workload({ kind: "virtio-mem", blockSizeBytes: 2 * MiB2, plugBytes: 1024 * MiB2 })]
    },
    {
      name: "memlock",
      description: "two type1 containers vs an iommufd copy under a 24 MiB RLIMIT_MEMLOCK (ops)",
      set: ["vms.0.viommu.model=none", `host.vfio.memlockBytes=${24 * MiB2}`, workload({ kind: "ops", steps: MEMLOCK_STEPS })]
    },
    { name: "perIo", description: "intel-iommu guest, fio mapping every 4 KiB IO (strict)", set: [] },
    {
      name: "longLived",
      description: "intel-iommu guest, DPDK-style mempool mapped once, then IO without maps",
      set: [workload({ kind: "dpdk", mempoolBytes: 64 * MiB2, chunkBytes: 2 * MiB2, iodepth: 32, numjobs: 4, blockSizeBytes: 4096 })]
    }
  ],
  claims: [
    {
      id: "v2-no-bisect",
      text: "type1 v2 refuses an unmap that would bisect a mapping (EINVAL).",
      source: REF0022,
      variant: "v2",
      step: 3,
      errno: "EINVAL"
    },
    {
      id: "v1-bisect-whole",
      text: "type1 v1 accepts it and removes the whole mapping; the caller learns what was unmapped only from the returned size.",
      source: REF0022,
      variant: "v1",
      step: 3,
      errno: null,
      ret: 65536
    },
    {
      id: "virtio-mem-512",
      text: "virtio-mem: 1 GiB at 2 MiB granularity costs 512 VFIO map calls.",
      source: REF0022,
      metric: "virtioMem:virtioMem.vfioMaps",
      op: "==",
      value: 512
    },
    {
      id: "double-charge",
      text: "The same memory mapped through a second type1 container is charged again (ENOMEM at 24 MiB for 2 x 16 MiB).",
      source: REF0022,
      variant: "memlock",
      step: 1,
      errno: "ENOMEM"
    },
    {
      id: "iommufd-once",
      text: "Through an iommufd copy the same memory is charged once.",
      source: "L iommufd io_pagetable.c (IOAS_COPY shares the iopt_pages); reference 002 (a super-container handling accounting)",
      metric: "memlock:vfio.lockedBytesEnd",
      op: "==",
      value: 16 * MiB2
    },
    {
      id: "per-io-cpu",
      text: "A vIOMMU guest mapping per IO spends most of its vCPU time in map/unmap and their exits.",
      source: REF0022,
      metric: "perIo:guest.vcpuUtilization",
      op: ">=",
      value: 0.5
    },
    {
      id: "long-lived-cheap",
      text: "With long-lived mappings the guest spends almost nothing there once set up, and moves more data.",
      source: REF0022,
      metric: "longLived:io.iops",
      per: "perIo:io.iops",
      op: ">",
      value: 2
    }
  ]
};

// core/scenario/presetsS390.ts
var REF000 = "reference 000 (Niklas Schnelle / Robin Murphy, linux-iommu, Nov 2022)";
var REF003 = "reference 003 ([PATCH v12 0/6] iommu/dma: s390 DMA API conversion, Aug-Sep 2023)";
var GiB = 1024 ** 3;
function nvmeBandwidthScenario(name2, durationMs, globalFlushRetry = false) {
  return {
    name: name2,
    durationMs,
    host: { arch: "s390x", hypervisor: "kvm" },
    vms: [
      {
        name: "vm0",
        vcpus: 4,
        memoryBytes: 8 * GiB,
        viommu: { model: "s390-zpci", s390: { apertureRestriction: false, globalFlushRetry } },
        devices: [{ name: "nvme0", kind: "nvme" }]
      }
    ],
    workload: { kind: "fio", rw: "read", blockSizeBytes: 256 * 1024, iodepth: 16, numjobs: 4 }
  };
}
var exhaustion = {
  id: "s390-rpcit-exhaustion",
  title: "s390 KVM: lazy flushing exhausts the host mappings QEMU can create",
  summary: "fio 256 KiB reads on an s390 KVM guest. QEMU shadows each 4 KiB zPCI translation into its own VFIO mapping and counts them against dma_entry_limit (65535). IOVAs waiting in a flush queue stay mapped in QEMU until a global RPCIT, so lazy modes can use up the limit: RPCIT then answers insufficient resources (status 16) and, without the Linux 6.7 global-flush retry, guest maps fail. Strict mode, the retry, and QEMU 7.2's aperture restriction each avoid the failures.",
  thread: REF000,
  scenario: nvmeBandwidthScenario("s390-rpcit-exhaustion", 200),
  variants: [
    { name: "percpu", description: "lazy, per-CPU queues (256 / 10 ms), no retry, no restriction", set: ["vms.0.guest.dmaMode=lazy"] },
    { name: "single", description: "lazy, single queue (32768 / 1 s), no retry, no restriction", set: ["vms.0.guest.dmaMode=lazy-single"] },
    { name: "strict", description: "strict, no retry, no restriction", set: ["vms.0.guest.dmaMode=strict"] },
    {
      name: "retry",
      description: "lazy (single queue) with the 6.7 global-flush retry",
      set: ["vms.0.guest.dmaMode=lazy-single", "vms.0.viommu.s390.globalFlushRetry=true"]
    },
    {
      name: "restricted",
      description: "lazy (single queue) with QEMU's aperture restriction and the retry",
      set: ["vms.0.guest.dmaMode=lazy-single", "vms.0.viommu.s390.apertureRestriction=true", "vms.0.viommu.s390.globalFlushRetry=true"]
    }
  ],
  claims: [
    {
      id: "percpu-reaches-limit",
      text: "With per-CPU flush queues the host mappings reach the 65535 limit.",
      source: REF000,
      metric: "percpu:vfio.entriesPeak",
      op: ">=",
      value: 65535,
      whyNot: "The per-CPU queues' 10 ms timer flushes every queued IOVA, so at most about 10 ms of unmapped traffic stays shadowed; at the bandwidth this stack reaches that is far below 65535 pages. The single large queue (1 s timer, 32768 entries) does reach the limit: see the next claims."
    },
    {
      id: "single-reaches-limit",
      text: "With the single flush queue the host mappings reach the 65535 limit.",
      source: REF000,
      metric: "single:vfio.entriesPeak",
      op: ">=",
      value: 65535
    },
    {
      id: "single-status-16",
      text: "RPCIT reports insufficient resources (cc 1, status 16).",
      source: REF000,
      metric: "single:rpcit.outOfResource",
      op: ">",
      value: 0
    },
    {
      id: "single-maps-fail",
      text: "Without the global-flush retry, guest maps fail.",
      source: REF000,
      metric: "single:dma.mapFailures",
      op: ">",
      value: 0
    },
    {
      id: "strict-footprint",
      text: "In strict mode the host mappings stay near the in-flight footprint (64 IOs x 64 pages = 4096).",
      source: REF000,
      metric: "strict:vfio.entriesPeak",
      op: "between",
      value: 4096,
      valueMax: 4096 + 64
    },
    { id: "strict-no-failure", text: "In strict mode no map fails.", source: REF000, metric: "strict:dma.mapFailures", op: "==", value: 0 },
    {
      id: "retry-oor-happens",
      text: "With the retry, out-of-resource answers still occur...",
      source: REF000,
      metric: "retry:rpcit.outOfResource",
      op: ">",
      value: 0
    },
    {
      id: "retry-no-failure",
      text: "...but every map succeeds after the global flush.",
      source: REF000,
      metric: "retry:dma.mapFailures",
      op: "==",
      value: 0
    },
    {
      id: "restricted-window",
      text: "QEMU's aperture restriction shrinks the guest IOVA space to about 256 MiB (dma_avail x 4 KiB).",
      source: 'QEMU 7.2 "shrink DMA aperture to be bound by vfio DMA limit" (reference 000)',
      metric: "restricted:s390.window.bytes",
      op: "between",
      value: 255 * 1024 * 1024,
      valueMax: 257 * 1024 * 1024
    },
    {
      id: "restricted-no-oor",
      text: "With the aperture restriction the host never runs out of resources.",
      source: REF000,
      metric: "restricted:rpcit.outOfResource",
      op: "==",
      value: 0,
      whyNot: "QEMU's rpcit_service_call answers status 16 whenever dma_avail ends at 0, even when every entry got mapped; the restricted window holds exactly dma_avail pages, so the map that fills its last page gets status 16. The guest then runs out of its own IOVAs (iova.exhaustions) instead."
    }
  ]
};
var flushCost = {
  id: "s390-flush-queue-throughput",
  title: "s390: flush queues under KVM vs LPAR",
  summary: "fio 256 KiB reads with the DMA API on dma-iommu (per-CPU queues, single queue) and with the pre-6.7 s390 DMA code, under KVM, where every global RPCIT makes QEMU walk and re-shadow the whole DMA window, and on LPAR, where RPCIT needs no shadowing. The DMA window is the size of guest RAM (8 GiB; no aperture restriction, as under z/VM or QEMU before 7.2); with the 6.7 global-flush retry.",
  thread: REF003,
  scenario: nvmeBandwidthScenario("s390-flush-queue-throughput", 200, true),
  variants: [
    { name: "kvmPercpu", description: "KVM, dma-iommu with per-CPU queues", set: ["vms.0.guest.dmaMode=lazy"] },
    { name: "kvmSingle", description: "KVM, dma-iommu with the single queue", set: ["vms.0.guest.dmaMode=lazy-single"] },
    { name: "kvmLegacy", description: "KVM, the s390 DMA code before 6.7", set: ["vms.0.guest.dmaMode=s390-legacy"] },
    { name: "lparPercpu", description: "LPAR, per-CPU queues", set: ["host.hypervisor=lpar", "vms.0.guest.dmaMode=lazy"] },
    { name: "lparSingle", description: "LPAR, single queue", set: ["host.hypervisor=lpar", "vms.0.guest.dmaMode=lazy-single"] },
    {
      name: "lparLegacy",
      description: "LPAR, the s390 DMA code before 6.7",
      set: ["host.hypervisor=lpar", "vms.0.guest.dmaMode=s390-legacy"]
    }
  ],
  claims: [
    {
      id: "percpu-half",
      text: "Under KVM, dma-iommu with per-CPU queues reaches about half the throughput of the old s390 DMA code.",
      source: REF003,
      metric: "kvmPercpu:io.bandwidthMBps",
      per: "kvmLegacy:io.bandwidthMBps",
      op: "between",
      value: 0.35,
      valueMax: 0.65
    },
    {
      id: "single-recovers",
      text: "The single flush queue recovers most of it.",
      source: REF003,
      metric: "kvmSingle:io.bandwidthMBps",
      per: "kvmLegacy:io.bandwidthMBps",
      op: ">=",
      value: 0.8
    },
    {
      id: "lpar-close",
      text: "On LPAR (no hypervisor shadowing) per-CPU queues are close to the old code.",
      source: REF003,
      metric: "lparPercpu:io.bandwidthMBps",
      per: "lparLegacy:io.bandwidthMBps",
      op: ">=",
      value: 0.9
    },
    {
      id: "lpar-single-close",
      text: "On LPAR the single queue is close to the old code too.",
      source: REF003,
      metric: "lparSingle:io.bandwidthMBps",
      per: "lparLegacy:io.bandwidthMBps",
      op: ">=",
      value: 0.9
    }
  ]
};
var mlx5Probe = {
  id: "s390-mlx5-probe",
  title: "s390: an mlx5 VF that allocates coherent memory before raising its mask",
  summary: 'On an s390 KVM guest the DMA window starts at 4 GiB. mlx5_core allocates its command page with dma_alloc_coherent before it calls dma_set_mask_and_coherent(64), so the coherent mask is still 32 bits and no IOVA fits: probe fails with -12. With the call order fixed it probes. Without forcedac, an NVMe tries below 4 GiB first and reports "Using 42-bit DMA addresses".',
  thread: REF003,
  scenario: {
    name: "s390-mlx5-probe",
    durationMs: 1,
    host: { arch: "s390x", hypervisor: "kvm" },
    vms: [
      {
        name: "vm0",
        viommu: { model: "s390-zpci" },
        devices: [
          { name: "mlx5", kind: "mlx5-vf", setsMaskBeforeCoherentAlloc: false },
          { name: "nvme0", kind: "nvme" }
        ]
      }
    ],
    workload: { kind: "probe" }
  },
  variants: [
    { name: "buggy", description: "mlx5_core as in 2023: coherent allocation before set_dma_caps", set: [] },
    { name: "fixed", description: "mlx5_core raising its masks first", set: ["vms.0.devices.0.setsMaskBeforeCoherentAlloc=true"] },
    {
      name: "noForcedac",
      description: "iommu.forcedac=0 (as before s390 forced it early enough)",
      set: ["vms.0.guest.kernelParams.iommu\\.forcedac=0"]
    }
  ],
  claims: [
    {
      id: "mlx5-fails",
      text: "The mlx5 probe fails (error -12, ENOMEM).",
      source: REF003,
      metric: "buggy:probe.failures",
      op: "==",
      value: 1
    },
    {
      id: "fixed-works",
      text: "With the order fixed, every device probes.",
      source: REF003,
      metric: "fixed:probe.failures",
      op: "==",
      value: 0
    },
    {
      id: "nvme-42-bit",
      text: 'Without forcedac the NVMe reports "Using 42-bit DMA addresses" (or wider).',
      source: REF003,
      metric: "noForcedac:dma.addressBits",
      op: ">=",
      value: 42
    }
  ]
};
var S390_PRESETS = [exhaustion, flushCost, mlx5Probe];

// core/scenario/presetsPpc.ts
var REF001 = 'reference 001 (David Gibson / Jason Gunthorpe, "iommufd: vfio container FD ioctl compatibility", May 2022)';
var LIOBN_DEFAULT = "0x80000000";
var LIOBN_DDW = "0x80000001";
var DDW_BASE = "0x800000000000000";
var TCE_64K = 65536;
var MAPPINGS = 1e3;
var papr = {
  id: "ppc-papr-ddw-nested",
  title: "PAPR guest: default window, DDW at 2^59, a third window refused; nested on PowerVM",
  summary: "A pseries guest on one guest PHB (firmware-level calls: the guest kernel leaves the windows alone, disable_ddw). The default window is 1 GiB of 4 KiB TCEs; ibm,create-pe-dma-window puts the second window at 2^59 and refuses a third; bad LIOBNs and indexes get H_PARAMETER. A H_PUT_TCE_INDIRECT running past the window keeps the entries before the bad one when QEMU serves it, but KVM checks the whole range first. Then 1000 TCEs are mapped and cleared in the DDW: nested on PowerVM every guest TCE costs an exit through L0 and an H_GET_TCE + H_PUT_TCE from the L1 kernel to PowerVM per host PE, so two host PEs under one guest PHB double every write, where PowerNV shares one table.",
  thread: REF001,
  scenario: {
    name: "ppc-papr-ddw-nested",
    host: { arch: "ppc64le", hypervisor: "powernv", vfio: { backend: "spapr-tce-v2" } },
    vms: [
      {
        name: "vm0",
        vcpus: 4,
        viommu: { model: "spapr-tce", spapr: { guestDisableDdw: true } },
        devices: [
          { name: "nvme0", hostPe: 0, guestPe: 0 },
          { name: "nvme1", hostPe: 0, guestPe: 0 }
        ]
      }
    ],
    workload: {
      kind: "ops",
      steps: [
        { op: "rtas.ibm,query-pe-dma-window", args: {} },
        { op: "hcall.H_PUT_TCE", args: { liobn: LIOBN_DEFAULT, ioba: "0x3ffff000", tce: "0x10000003" } },
        { op: "hcall.H_PUT_TCE", args: { liobn: LIOBN_DEFAULT, ioba: "0x40000000", tce: "0x10000003" } },
        { op: "hcall.H_PUT_TCE", args: { liobn: "0x12345", ioba: "0x1000", tce: "0x10000003" } },
        { op: "rtas.ibm,create-pe-dma-window", args: { pageShift: 16, windowShift: 33 } },
        { op: "rtas.ibm,create-pe-dma-window", args: { pageShift: 16, windowShift: 30 } },
        { op: "rtas.ibm,create-pe-dma-window", args: { pageShift: 16, windowShift: 12 } },
        {
          op: "hcall.H_PUT_TCE_INDIRECT",
          args: { liobn: LIOBN_DEFAULT, ioba: "0x3fffe000", list: ["0x20000003", "0x20001003", "0x20002003", "0x20003003"] }
        },
        { op: "hcall.H_GET_TCE", args: { liobn: LIOBN_DEFAULT, ioba: "0x3fffe000" } },
        {
          op: "hcall.H_PUT_TCE",
          args: { liobn: LIOBN_DDW, ioba: DDW_BASE, tce: 3 },
          repeat: { count: MAPPINGS, add: { ioba: TCE_64K, tce: TCE_64K } }
        },
        {
          op: "hcall.H_STUFF_TCE",
          args: { liobn: LIOBN_DDW, ioba: DDW_BASE, value: 0, count: 1 },
          repeat: { count: MAPPINGS, add: { ioba: TCE_64K } }
        },
        { op: "rtas.ibm,remove-pe-dma-window", args: { liobn: LIOBN_DDW } },
        { op: "rtas.ibm,remove-pe-dma-window", args: { liobn: LIOBN_DDW } },
        { op: "rtas.ibm,reset-pe-dma-window", args: {} },
        { op: "rtas.ibm,query-pe-dma-window", args: {} }
      ]
    }
  },
  variants: [
    { name: "powernv", description: "KVM on PowerNV, in-kernel TCE handling, one host PE", set: [] },
    {
      name: "qemu",
      description: "KVM on PowerNV, TCE hypercalls served by QEMU (no KVM_CAP_SPAPR_TCE_VFIO)",
      set: ["vms.0.viommu.spapr.inKernelTce=false"]
    },
    { name: "nested", description: "the same guest as L2 of KVM in a PowerVM LPAR, one host PE", set: ["host.hypervisor=powervm-nested"] },
    { name: "powernv2pe", description: "PowerNV, the two devices in two host PEs under one guest PHB", set: ["vms.0.devices.1.hostPe=1"] },
    {
      name: "nested2pe",
      description: "nested PowerVM, the two devices in two host PEs under one guest PHB",
      set: ["host.hypervisor=powervm-nested", "vms.0.devices.1.hostPe=1"]
    }
  ],
  claims: [
    {
      id: "query-one-free",
      text: "ibm,query-pe-dma-window: one window free (2 - the default), largest block 0x80000000 TCEs, page sizes 4K|64K.",
      source: "Q spapr_rtas_ddw.c rtas_ibm_query_pe_dma_window",
      step: 0,
      variant: "powernv",
      errno: null,
      ret: { avail: 1, largestBlock: 2147483648, pageMask: 3 }
    },
    {
      id: "default-window-1g",
      text: "The default window ends at 1 GiB: its last TCE can be written...",
      source: "Q spapr_pci.c (dma_win_size 0x40000000)",
      step: 1,
      variant: "powernv",
      errno: null
    },
    {
      id: "past-window-h-parameter",
      text: "...and an index past the table is H_PARAMETER.",
      source: "Q spapr_iommu.c put_tce_emu; L kvmppc_ioba_validate",
      step: 2,
      variant: "powernv",
      errno: "H_PARAMETER"
    },
    {
      id: "unknown-liobn",
      text: "An unknown LIOBN is H_PARAMETER.",
      source: "Q spapr_iommu.c h_put_tce",
      step: 3,
      variant: "powernv",
      errno: "H_PARAMETER"
    },
    {
      id: "ddw-at-2-59",
      text: "The DDW is created at 2^59 with the second LIOBN of the PHB.",
      source: REF001 + "; Q spapr_pci.c dma64_win_addr",
      step: 4,
      variant: "powernv",
      errno: null,
      ret: { liobn: 2147483649, base: "0x800000000000000" }
    },
    {
      id: "third-window-refused",
      text: "A third window is refused with RTAS HW_ERROR (at most two windows per PE).",
      source: REF001 + "; Q spapr_rtas_ddw.c rtas_ibm_create_pe_dma_window",
      step: 5,
      variant: "powernv",
      errno: "RTAS_HW_ERROR"
    },
    {
      id: "window-shift-below-page",
      text: "window_shift < page_shift is RTAS PARAM_ERROR (checked before the window count).",
      source: "Q spapr_rtas_ddw.c rtas_ibm_create_pe_dma_window",
      step: 6,
      variant: "powernv",
      errno: "RTAS_PARAM_ERROR"
    },
    {
      id: "indirect-partial-qemu",
      text: "QEMU: H_PUT_TCE_INDIRECT running past the window fails H_PARAMETER after writing the 2 entries before the bad one...",
      source: "Q spapr_iommu.c h_put_tce_indirect",
      step: 7,
      variant: "qemu",
      errno: "H_PARAMETER",
      ret: 2
    },
    {
      id: "indirect-kept-qemu",
      text: "...and the first entry stays in the table.",
      source: "Q spapr_iommu.c h_put_tce_indirect",
      step: 8,
      variant: "qemu",
      errno: null,
      ret: 536870915
    },
    {
      id: "indirect-all-or-nothing-kvm",
      text: "KVM (in-kernel): the whole range is checked first, nothing is written.",
      source: "L book3s_64_vio.c kvmppc_h_put_tce_indirect (kvmppc_ioba_validate for npages)",
      step: 7,
      variant: "powernv",
      errno: "H_PARAMETER",
      ret: 0
    },
    {
      id: "remove-twice",
      text: "Removing a window that is gone is RTAS PARAM_ERROR.",
      source: "Q spapr_rtas_ddw.c rtas_ibm_remove_pe_dma_window",
      step: 12,
      variant: "powernv",
      errno: "RTAS_PARAM_ERROR"
    },
    {
      id: "reset-restores-default",
      text: "After ibm,reset-pe-dma-window only the default window is left (one free).",
      source: "Q spapr_pci.c spapr_phb_dma_reset",
      step: 14,
      variant: "powernv",
      errno: null,
      ret: { avail: 1, largestBlock: 2147483648, pageMask: 3 }
    },
    {
      id: "nested-hop-per-tce",
      text: "Nested on PowerVM, every guest TCE becomes an H_PUT_TCE from the L1 kernel to PowerVM (one host PE)...",
      source: REF001 + "; L pseries/iommu.c tce_exchange_pseries",
      metric: "nested:nested.l0.H_PUT_TCE",
      per: "nested:tce.guestWrites",
      op: "between",
      value: 0.99,
      valueMax: 1.01
    },
    {
      id: "powernv-no-hop",
      text: "...which KVM on PowerNV never makes (it writes the host table itself).",
      source: REF001,
      metric: "powernv:nested.l0.H_PUT_TCE",
      op: "==",
      value: 0
    },
    {
      id: "nested-reflects-every-hcall",
      text: "Nested, every L2 hypercall comes back to L1 through H_GUEST_RUN_VCPU (exit reason 0xC00).",
      source: "L Documentation/arch/powerpc/kvm-nested.rst",
      metric: "nested:hcall.H_GUEST_RUN_VCPU",
      per: "nested:nested.hcallExits",
      op: "==",
      value: 1
    },
    {
      id: "nested-mapping-cost",
      text: "The same mappings take several times longer nested on PowerVM than on PowerNV.",
      source: "reference 001; docs/model.md, default costs (assumptions: nested exit 2x, L1 -> L0 hypercall 1 us, in-kernel H_PUT_TCE 0.3 us)",
      metric: "nested:hcall.busyMs",
      per: "powernv:hcall.busyMs",
      op: ">=",
      value: 4
    },
    {
      id: "nested-duplicates-per-pe",
      text: "Nested, devices sharing one guest PHB but sitting in two host PEs need every mapping written once per PE.",
      source: REF001 + ' ("duplicating mappings across the PEs")',
      metric: "nested2pe:tce.hostWrites",
      per: "nested2pe:tce.guestWrites",
      op: "between",
      value: 1.99,
      valueMax: 2.01
    },
    {
      id: "nested-duplicates-l0-calls",
      text: "Each duplicate is its own hypercall to PowerVM.",
      source: REF001,
      metric: "nested2pe:nested.l0.H_PUT_TCE",
      per: "nested2pe:tce.guestWrites",
      op: "between",
      value: 1.99,
      valueMax: 2.01
    },
    {
      id: "powernv-shares-table",
      text: "On PowerNV the two PEs share one TCE table: one host write per guest TCE.",
      source: "L vfio_iommu_spapr_tce.c tce_iommu_attach_group (set_window links the table to every PE)",
      metric: "powernv2pe:tce.hostWrites",
      per: "powernv2pe:tce.guestWrites",
      op: "between",
      value: 0.99,
      valueMax: 1.01
    }
  ]
};
var windowChange = {
  id: "ppc-window-change-nested",
  title: "DMA window change at run time: in place vs switch-and-copy, PowerNV vs nested PowerVM",
  summary: "Two NVMe on one guest PHB in two host PEs: nvme0 (32-bit DMA mask) maps per IO in the default window under fio 4 KiB random reads; nvme1 (64-bit) had a DDW with all 8 GiB of RAM mapped at probe. At 50 ms the guest replaces the 64-bit window (remove + create 2^33 of 64 KiB TCEs). Served in place the host just removes and creates the window; served by switching to a new address space the still-valid mappings (the default window's in-flight TCEs) are copied first. The guest then maps RAM into the new window again. DMA calls on the PHB wait: the stall. Nested on PowerVM every copied or remapped TCE is an exchange through PowerVM per host PE.",
  thread: REF001,
  scenario: {
    name: "ppc-window-change-nested",
    durationMs: 100,
    host: { arch: "ppc64le", hypervisor: "powernv", vfio: { backend: "spapr-tce-v2" } },
    vms: [
      {
        name: "vm0",
        vcpus: 4,
        viommu: { model: "spapr-tce" },
        devices: [
          { name: "nvme0", kind: "nvme", dmaMaskBits: 32, hostPe: 0, guestPe: 0 },
          { name: "nvme1", kind: "nvme", hostPe: 1, guestPe: 0 }
        ]
      }
    ],
    workload: { kind: "fio", rw: "randread", blockSizeBytes: 4096, iodepth: 32, numjobs: 4, device: "nvme0" },
    faults: [{ kind: "window-change", atMs: 50, pe: 1, pageShift: 16, windowShift: 33 }]
  },
  variants: [
    {
      name: "powernvInPlace",
      description: "PowerNV, window changed in place in the container",
      set: ["vms.0.viommu.spapr.windowChange=in-place"]
    },
    { name: "powernvCopy", description: "PowerNV, switch to a new address space and copy", set: [] },
    {
      name: "nestedInPlace",
      description: "nested PowerVM, window changed in place",
      set: ["host.hypervisor=powervm-nested", "vms.0.viommu.spapr.windowChange=in-place"]
    },
    { name: "nestedCopy", description: "nested PowerVM, switch and copy", set: ["host.hypervisor=powervm-nested"] }
  ],
  claims: [
    {
      id: "copy-copies-valid-tces",
      text: "Switch-and-copy copies the mappings that stay valid (the default window's live TCEs).",
      source: REF001 + ' ("maps in the lower range would have to be copied over")',
      metric: "powernvCopy:window.copiedTces",
      op: ">",
      value: 0
    },
    {
      id: "in-place-copies-nothing",
      text: "In place, nothing is copied.",
      source: "L vfio_iommu_spapr_tce.c (TCE_REMOVE / TCE_CREATE)",
      metric: "powernvInPlace:window.copiedTces",
      op: "==",
      value: 0
    },
    {
      id: "copy-costs-more-nested",
      text: "Nested on PowerVM the window change takes many times longer than on PowerNV.",
      source: REF001 + " (nothing can be built in a domain and then moved atomically)",
      metric: "nestedCopy:window.changeMs",
      per: "powernvCopy:window.changeMs",
      op: ">=",
      value: 5
    },
    {
      id: "copy-adds-little",
      text: "The copy itself adds little (under 5 %): the default window holds only the mappings in flight; mapping RAM again dominates.",
      source: REF001 + ' ("It is a bit more CPU work since maps in the lower range would have to be copied over")',
      metric: "nestedCopy:window.changeMs",
      per: "nestedInPlace:window.changeMs",
      op: "between",
      value: 1,
      valueMax: 1.05
    },
    {
      id: "guest-remaps-ram",
      text: "The guest maps all 8 GiB of RAM into the new window again (131072 TCEs of 64 KiB).",
      source: "L pseries/iommu.c enable_ddw (walk_system_ram_range)",
      metric: "nestedCopy:window.guestRemapTces",
      op: "==",
      value: 131072
    },
    {
      id: "io-stalls",
      text: "DMA calls on the PHB wait for the change: the IO stall.",
      source: REF001,
      metric: "nestedCopy:window.blockedCalls",
      op: ">",
      value: 0
    },
    {
      id: "ddw-setup-nested",
      text: "Setting up the DDW at probe (mapping all RAM) costs several times more nested on PowerVM.",
      source: "L pseries/iommu.c enable_ddw; docs/model.md, default costs (assumptions)",
      metric: "nestedCopy:ddw.setupMs",
      per: "powernvCopy:ddw.setupMs",
      op: ">=",
      value: 3
    }
  ]
};
var PPC_PRESETS = [papr, windowChange];

// core/scenario/presetsEeh.ts
var REF0012 = 'reference 001 (David Gibson / Jason Gunthorpe, "iommufd: vfio container FD ioctl compatibility", May 2022)';
var LINUX = "Linux arch/powerpc/kernel/eeh_driver.c eeh_handle_normal_event, eeh_pe.c eeh_pe_update_time_stamp";
var QEMU = 'QEMU hw/ppc/spapr_pci_vfio.c vfio_eeh_container_ok: "broken if there are multiple groups in a container"';
var MIN = 6e4;
var freeze = (atMs2, pe2 = 1) => ({ kind: "eeh-freeze", atMs: atMs2, pe: pe2 });
function freezes(everyMs) {
  const faults = [0, 1, 2, 3, 4, 5].map((i) => freeze(i * everyMs));
  const endMs = 5 * everyMs + 2 * MIN;
  const workload2 = {
    kind: "ops",
    steps: [
      { op: "eeh.state", args: { pe: 1 }, atMs: endMs },
      { op: "eeh.state", args: { pe: 2 } }
    ]
  };
  return [`faults=${JSON.stringify(faults)}`, `workload=${JSON.stringify(workload2)}`, `durationMs=${endMs + 1e3}`];
}
var eehGuestPe = {
  id: "ppc-eeh-guest-pe",
  title: "EEH: a guest PE over two host PEs, without and with fan-out",
  summary: "Two NVMe in two host PEs (two IOMMU groups) sit behind one guest PHB, so the guest sees one PE. Host PE 1 freezes. QEMU today refuses EEH for a PHB with more than one group: every EEH RTAS call answers RTAS_PARAM_ERROR, the guest cannot recover the frozen NVMe and sees one device answer all ones while its sibling on the same PE works. Without QEMU's guard the kernel's container-wide VFIO_EEH_PE_OP runs on each group and returns the first non-normal state: recovery works but the guest reads states that are false for one host PE. With fan-out QEMU freezes every host PE of the guest PE (merging the notifications by serial), replays each guest step on all of them and, when a step fails on one, brings both back to Stopped so the guest retries: one state throughout. More than eeh_max_freezes (5) freezes within an hour fail the PE permanently.",
  thread: REF0012,
  scenario: {
    name: "ppc-eeh-guest-pe",
    durationMs: 61e3,
    host: { arch: "ppc64le", hypervisor: "kvm", vfio: { backend: "spapr-tce-v2" } },
    vms: [
      {
        name: "vm0",
        viommu: { model: "spapr-tce" },
        eeh: { guestPeMapping: "refuse" },
        devices: [
          { name: "nvme0", kind: "nvme", hostPe: 1, guestPe: 1 },
          { name: "nvme1", kind: "nvme", hostPe: 2, guestPe: 1 }
        ]
      }
    ],
    faults: [freeze(0)],
    workload: {
      kind: "ops",
      steps: [
        { op: "mmio.read", args: { device: "nvme0" }, atMs: 1 },
        { op: "mmio.read", args: { device: "nvme1" } },
        { op: "rtas.ibm,read-slot-reset-state2", args: { pe: 1 } },
        { op: "eeh.state", args: { pe: 1 }, atMs: MIN },
        { op: "eeh.state", args: { pe: 2 } }
      ]
    }
  },
  variants: [
    { name: "today", description: "QEMU today: EEH refused on a PHB with two groups (vfio_eeh_container_ok)", set: [] },
    {
      name: "naive",
      description: "the kernel's container-wide VFIO_EEH_PE_OP without QEMU's guard",
      set: ["vms.0.eeh.guestPeMapping=naive"]
    },
    { name: "fanOut", description: "fan-out: freeze all, replay each step on every host PE", set: ["vms.0.eeh.guestPeMapping=fan-out"] },
    {
      name: "fanOutStepFails",
      description: "fan-out, the reset fails once on host PE 2",
      set: [
        "vms.0.eeh.guestPeMapping=fan-out",
        `faults=${JSON.stringify([{ kind: "eeh-recovery-step-fails", atMs: 0, pe: 2, step: "reset" }, freeze(0)])}`
      ]
    },
    {
      name: "sixFreezes",
      description: "fan-out, six freezes ten minutes apart",
      set: ["vms.0.eeh.guestPeMapping=fan-out", ...freezes(10 * MIN)]
    },
    {
      name: "spread",
      description: "fan-out, six freezes 13 minutes apart: the sixth comes 65 minutes after the first",
      set: ["vms.0.eeh.guestPeMapping=fan-out", ...freezes(13 * MIN)]
    }
  ],
  claims: [
    {
      id: "all-ones",
      text: "A frozen PE answers MMIO reads with all ones (EEH_IO_ERROR_VALUE): how a driver notices.",
      source: "Linux arch/powerpc/include/asm/eeh.h EEH_IO_ERROR_VALUE",
      step: 0,
      variant: "today",
      errno: null,
      ret: "0xffffffff"
    },
    {
      id: "today-refused",
      text: "QEMU today refuses EEH on a guest PHB holding two host PEs: the guest gets RTAS_PARAM_ERROR.",
      source: QEMU,
      step: 2,
      variant: "today",
      errno: "RTAS_PARAM_ERROR"
    },
    {
      id: "today-unrecovered",
      text: "So the frozen device is never recovered.",
      source: QEMU,
      metric: "today:eeh.recoveries",
      op: "==",
      value: 0
    },
    {
      id: "today-inconsistent",
      text: "Without fan-out, freezing one host PE exposes an inconsistent guest PE: one device reads all ones, its sibling answers.",
      source: REF0012,
      metric: "today:eeh.inconsistentStates",
      op: ">",
      value: 0
    },
    {
      id: "naive-inconsistent",
      text: "The kernel's naive container op recovers, but the guest reads a PE state that is false for one host PE.",
      source: REF0012,
      metric: "naive:eeh.inconsistentStates",
      op: ">",
      value: 0
    },
    {
      id: "fanout-freeze-together",
      text: "With fan-out the other host PE is frozen too...",
      source: REF0012,
      metric: "fanOut:eeh.fanOutFreezes",
      op: ">=",
      value: 1
    },
    {
      id: "fanout-consistent",
      text: "...the guest never observes the host PEs of its PE in different states...",
      source: REF0012,
      metric: "fanOut:eeh.inconsistentStates",
      op: "==",
      value: 0
    },
    {
      id: "fanout-recover-together",
      text: "...and both recover together: both host PEs are Normal afterwards.",
      source: REF0012,
      metric: "fanOut:eeh.hostPesNormal",
      op: "==",
      value: 2
    },
    {
      id: "serial-merge",
      text: "Duplicate error notifications (one per device) are merged by their serial number.",
      source: REF0012,
      metric: "fanOut:eeh.duplicateNotificationsMerged",
      op: ">=",
      value: 1
    },
    {
      id: "stepfail-resolved",
      text: "A recovery step failing on one host PE is reported once and the host PEs are brought back into one state...",
      source: REF0012,
      metric: "fanOutStepFails:eeh.resolvedPartialFailures",
      op: ">=",
      value: 1
    },
    {
      id: "stepfail-one-state",
      text: "...from which the guest retries the reset (eeh_pe_reset_full) and both host PEs end Normal.",
      source: LINUX,
      metric: "fanOutStepFails:eeh.hostPesNormal",
      op: "==",
      value: 2
    },
    {
      id: "stepfail-consistent",
      text: "Throughout, the guest never sees the host PEs disagree.",
      source: REF0012,
      metric: "fanOutStepFails:eeh.inconsistentStates",
      op: "==",
      value: 0
    },
    {
      id: "sixth-freeze-permanent",
      text: "The sixth freeze within an hour fails the PE permanently...",
      source: LINUX,
      metric: "sixFreezes:eeh.permanentFailures",
      op: "==",
      value: 1
    },
    {
      id: "five-recovered",
      text: "...after five successful recoveries.",
      source: LINUX,
      metric: "sixFreezes:eeh.recoveries",
      op: "==",
      value: 5
    },
    {
      id: "spread-not-permanent",
      text: "Six freezes spread over more than an hour restart the count: no permanent failure.",
      source: LINUX,
      metric: "spread:eeh.permanentFailures",
      op: "==",
      value: 0
    }
  ]
};
var EEH_PRESETS = [eehGuestPe];

// core/scenario/presets.ts
var quickstart = {
  id: "quickstart-nvme-fio",
  title: "Quickstart: NVMe fio without a vIOMMU",
  summary: "One x86 KVM guest, no vIOMMU (guest RAM mapped once), one passed-through NVMe, fio 4 KiB random reads at QD 32 x 4 jobs. Checks that the device model saturates at its bandwidth limit when the mapping path is cheap.",
  thread: "none (sanity check of the device model; NVMe defaults in docs/model.md, default costs)",
  scenario: {
    name: "quickstart-nvme-fio",
    seed: 1,
    durationMs: 50,
    host: { arch: "x86_64", hypervisor: "kvm" },
    vms: [{ name: "vm0", vcpus: 4, viommu: { model: "none" }, devices: [{ name: "nvme0", kind: "nvme" }] }],
    workload: { kind: "fio", rw: "randread", blockSizeBytes: 4096, iodepth: 32, numjobs: 4 },
    claims: [
      {
        id: "saturates-bandwidth",
        text: "With cheap mappings, 128 IOs in flight saturate the NVMe at its 3.5 GB/s limit (within 5 %).",
        source: "docs/model.md, default costs (assumption): NVMe device limit 1,000,000 IOPS, 3.5 GB/s",
        metric: "io.bandwidthMBps",
        op: "between",
        value: 3325,
        valueMax: 3500
      },
      {
        id: "latency-littles-law",
        text: "Queueing at the device sets latency: P50 is about in-flight IOs / IOPS (Little's law), far above the 80 us QD1 latency.",
        source: "docs/model.md, default costs (assumption): NVMe QD1 80 us; Little's law",
        metric: "io.latencyP50Us",
        op: "between",
        value: 130,
        valueMax: 170
      }
    ]
  }
};
var PRESETS = [
  quickstart,
  ...S390_PRESETS,
  ...HOST_PRESETS,
  REF002_PRESET,
  ...X86_PRESETS,
  ...PPC_PRESETS,
  ...EEH_PRESETS
];
function findPreset(id2) {
  return PRESETS.find((p) => p.id === id2);
}

// core/scenario/claimSpec.ts
import { z } from "zod";
var common = {
  id: z.string().min(1).max(64),
  text: z.string().min(1).max(500),
  source: z.string().min(1).max(200).meta({ description: "Reference thread the claim comes from." }),
  whyNot: z.string().max(1e3).optional().meta({
    description: "When the faithful model does not reproduce the claim: the mechanism that explains the difference (shown only then)."
  })
};
var MetricClaimSchema = z.strictObject({
  ...common,
  metric: z.string().min(1).meta({ description: "Metric measured (numerator of a ratio)." }),
  per: z.string().min(1).optional().meta({ description: "Denominator metric: the claim is about metric / per." }),
  op: z.enum([">", ">=", "<", "<=", "==", "between"]),
  value: z.number(),
  valueMax: z.number().optional().meta({ description: 'Upper bound for op "between".' }),
  tolerance: z.number().nonnegative().default(0).meta({ description: "Absolute slack allowed on the comparison." })
});
var StepClaimSchema = z.strictObject({
  ...common,
  step: z.number().int().nonnegative().meta({ description: "Index of the ops-script step the claim is about." }),
  variant: z.string().min(1).optional().meta({ description: "The variant whose script the step belongs to (run plans with variants)." }),
  errno: z.string().nullable().meta({ description: "Expected symbolic error of the step, or null for success." }),
  ret: z.unknown().optional().meta({ description: "Expected output of the step (compared as JSON), when given." })
});
var ClaimSpecSchema = z.union([MetricClaimSchema, StepClaimSchema]);

// core/scenario/loadScenario.ts
import { parse as parseYaml } from "yaml";

// core/scenario/schema.ts
import { z as z12 } from "zod";

// core/sim/costTable.ts
var COST_DEFAULTS = {
  vmExitNs: {
    valueNs: 1500,
    label: "VM exit + entry",
    source: "assumption from ~2000 cycles direct cost (SplitX) plus indirect cost"
  },
  nestedExitFactor: {
    valueNs: 2,
    label: "nested exit (L2 -> L0 -> L1), as a multiple of a VM exit (dimensionless)",
    source: "assumption"
  },
  qemuInvalidationNs: { valueNs: 2e3, label: "QEMU handling of one trapped invalidation", source: "assumption" },
  qemuPteWalkNs: { valueNs: 30, label: "QEMU walk of one guest PTE", source: "assumption" },
  vfioMapIoctlNs: {
    valueNs: 1e3,
    label: "VFIO map ioctl (syscall + container lock)",
    source: "assumption; pinning measured upstream at ~0.27 s/GB, most of it first-touch zeroing"
  },
  vfioPinPerPageNs: { valueNs: 250, label: "VFIO pinning, per 4 KiB page", source: "~0.27 s/GB measured upstream" },
  vfioUnmapIoctlNs: { valueNs: 1e3, label: "VFIO unmap ioctl", source: "assumption" },
  vfioUnpinPerPageNs: { valueNs: 50, label: "VFIO unmap, per 4 KiB page", source: "assumption" },
  hostIommuMapNs: { valueNs: 200, label: "host IOMMU map of one contiguous run", source: "assumption" },
  hostIotlbInvalidationNs: { valueNs: 500, label: "host IOTLB invalidation", source: "assumption" },
  hostPteWriteNs: { valueNs: 20, label: "host IOMMU PTE write", source: "assumption (same as a guest PTE write)" },
  guestPteWriteNs: { valueNs: 20, label: "guest IOMMU PTE write", source: "assumption" },
  guestDmaMapNs: { valueNs: 150, label: "guest DMA API map/unmap software path (no IOMMU work)", source: "assumption" },
  guestIovaAllocNs: { valueNs: 60, label: "guest IOVA allocation from the rbtree (rcache miss)", source: "assumption" },
  guestIovaRcacheNs: { valueNs: 15, label: "guest IOVA allocation or free through the per-CPU rcache", source: "assumption" },
  kvmPutTceNs: { valueNs: 300, label: "in-kernel (KVM) H_PUT_TCE", source: "assumption" },
  l1ToL0HcallNs: { valueNs: 1e3, label: "L1 -> L0 hypercall (PowerVM)", source: "assumption" },
  nvmeReadQd1Ns: {
    valueNs: 8e4,
    label: "NVMe 4 KiB random read at QD1",
    source: "assumption (device limit 1,000,000 IOPS, 3.5 GB/s)"
  },
  nvmeJitterNs: {
    valueNs: 4e3,
    label: "NVMe latency jitter: uniform extra latency per IO, 0 up to this",
    source: "assumption (flash read latency varies by a few us between reads)"
  },
  nvmeMinIoIntervalNs: {
    valueNs: 1e3,
    label: "NVMe minimum interval between completions (1,000,000 IOPS limit)",
    source: "assumption"
  },
  nvmeNsPerKiB: {
    valueNs: 293,
    label: "NVMe transfer time per KiB (3.5 GB/s)",
    source: "assumption (3.5 GB/s => 1024 B / 3.5e9 B/s = 293 ns)"
  },
  s390RpcitHwNs: {
    valueNs: 1e3,
    label: "RPCIT executed by the machine without shadowing (s390 LPAR)",
    source: "assumption"
  },
  virtioIommuRequestNs: {
    valueNs: 500,
    label: "QEMU parsing and completing one virtio-iommu request",
    source: "assumption"
  },
  virtioIommuGuestRequestNs: {
    valueNs: 100,
    label: "guest building one virtio-iommu request and adding it to the request queue",
    source: "assumption"
  },
  intelQiDescriptorNs: {
    valueNs: 100,
    label: "guest writing one intel-iommu invalidation-queue descriptor and waiting for it (without the exit)",
    source: "assumption"
  },
  qemuS390IotlbLookupNs: {
    valueNs: 15,
    label: "QEMU s390 RPCIT: one lookup in its IOTLB cache per 4 KiB of the refreshed range (empty frames included)",
    source: "assumption (a g_hash_table lookup)"
  },
  qemuIovaTreeStepNs: {
    valueNs: 10,
    label: "QEMU IOVA tree: one comparison or node visited (GTree search step or g_tree_foreach callback)",
    source: "assumption"
  },
  guestRebootNs: {
    valueNs: 5e9,
    label: "guest reboot: firmware and kernel boot until the workload runs again after a guest reset",
    source: "assumption"
  },
  guestHotplugProbeNs: {
    valueNs: 1e8,
    label: "guest side of a PCI hot-plug: the notification, enumeration and the driver's probe",
    source: "assumption"
  },
  eehHostPeOpNs: {
    valueNs: 5e3,
    label: "host kernel work of one VFIO_EEH_PE_OP (eeh_pe_* plus the OPAL or RTAS call), without reset hold/settle sleeps",
    source: "assumption"
  },
  eehDriverHandlerNs: {
    valueNs: 1e5,
    label: "one guest driver EEH callback (error_detected, mmio_enabled, slot_reset or resume)",
    source: "assumption"
  },
  eehNotifyNs: {
    valueNs: 2e4,
    label: "a host EEH error notification reaching QEMU (fan-out strategy: eventfd and main-loop dispatch)",
    source: "assumption (the notification is the reference 001 proposal; nothing like it exists today)"
  },
  mmioAccessNs: {
    valueNs: 1e3,
    label: "one guest MMIO read or write of a passed-through BAR (no exit: the BAR is mapped into the guest)",
    source: "assumption (a PCIe read round trip is about 1 us)"
  },
  guestIovaSearchStepNs: {
    valueNs: 5,
    label: "guest IOVA allocator: one rbtree node visited by the backwards search (__alloc_and_insert_iova_range); an exhausted space visits them all",
    source: "assumption (a cache-hot rb_prev)"
  }
};
var COST_KEYS = Object.keys(COST_DEFAULTS);
function resolveCostTable(overrides = {}) {
  const table = {};
  for (const key of COST_KEYS) table[key] = overrides[key] ?? COST_DEFAULTS[key].valueNs;
  return table;
}

// core/scenario/numbers.ts
import { z as z2 } from "zod";
var HEX = /^0x[0-9a-fA-F]{1,16}$/;
var ALL_ONES = 2n ** 64n - 1n;
function exactAsNumber(hex2) {
  const big = BigInt(hex2);
  return big === ALL_ONES || BigInt(Number(big)) === big;
}
var u64 = z2.union([z2.number().int().nonnegative(), z2.string().regex(HEX, 'expected a hex string like "0x10000"')]).refine((v) => typeof v === "number" || !HEX.test(v) || exactAsNumber(v), {
  message: "not exactly representable: above 2^53 use values aligned to their magnitude (any 4 KiB-aligned address is fine)"
}).transform((v) => typeof v === "number" ? v : Number(BigInt(v))).refine((v) => v <= 2 ** 64, "must be below 2^64");
function isPowerOfTwo(n) {
  return Number.isInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}
function toHexOrNumber(v) {
  return Number.isSafeInteger(v) ? v : "0x" + BigInt(v).toString(16);
}

// core/scenario/parameterDefaults.ts
function param(value, unit, mirrors, source) {
  return { value, unit, mirrors, source };
}
var GiB2 = 1024 ** 3;
var PARAMETER_DEFAULTS = {
  "host.vfio.dmaEntryLimit": param(65535, "mappings", "vfio_iommu_type1.dma_entry_limit", "L vfio_iommu_type1.c (U16_MAX)"),
  "host.vfio.memlockBytes": param(null, "bytes", "RLIMIT_MEMLOCK (ulimit -l)", "no limit unless set"),
  "host.vfio.disableHugepages": param(false, "flag", "vfio_iommu_type1.disable_hugepages", "L vfio_iommu_type1.c"),
  "host.vfio.pinBatchPages": param(512, "pages", null, "L vfio_iommu_type1.c VFIO_BATCH_MAX_CAPACITY (PAGE_SIZE/8)"),
  "host.vfio.unmapSyncBatch": param(512, "regions", null, "L vfio_iommu_type1.c VFIO_IOMMU_TLB_SYNC_MAX"),
  "vms[].memoryBytes": param(8 * GiB2, "bytes", "QEMU -m", "assumption"),
  "vms[].vcpus": param(4, "vCPUs", "QEMU -smp", "assumption"),
  "vms[].guest.flushQueue.perCpuSize": param(256, "entries", null, "L dma-iommu.c IOVA_DEFAULT_FQ_SIZE"),
  "vms[].guest.flushQueue.perCpuTimeoutMs": param(10, "ms", null, "L dma-iommu.c IOVA_DEFAULT_FQ_TIMEOUT"),
  "vms[].guest.flushQueue.singleSize": param(32768, "entries", null, "L dma-iommu.c IOVA_SINGLE_FQ_SIZE"),
  "vms[].guest.flushQueue.singleTimeoutMs": param(1e3, "ms", null, "L dma-iommu.c IOVA_SINGLE_FQ_TIMEOUT"),
  "workload.fio.blockSizeBytes": param(4096, "bytes", "fio --bs", "fio default"),
  "workload.fio.iodepth": param(32, "IOs", "fio --iodepth", "assumption"),
  "workload.fio.numjobs": param(4, "jobs", "fio --numjobs", "assumption"),
  "vms[].eeh.guestPeMapping": param(
    "refuse",
    "mode",
    null,
    "Q hw/ppc/spapr_pci_vfio.c vfio_eeh_container_ok / vfio_eeh_as_container: today QEMU refuses EEH on a PHB with more than one group"
  ),
  "vms[].eeh.maxFreezes": param(5, "freezes", "/sys/kernel/debug/powerpc/eeh_max_freezes", "L arch/powerpc/kernel/eeh.c eeh_max_freezes"),
  "vms[].eeh.freezeWindowS": param(3600, "s", null, "L arch/powerpc/kernel/eeh_pe.c eeh_pe_update_time_stamp (hard-coded 3600)"),
  "vms[].eeh.recoveryWaitMaxMs": param(3e5, "ms", null, "L arch/powerpc/kernel/eeh_driver.c MAX_WAIT_FOR_RECOVERY (300 s)"),
  "vms[].eeh.resetHoldMs": param(250, "ms", null, "L arch/powerpc/include/asm/eeh.h EEH_PE_RST_HOLD_TIME"),
  "vms[].eeh.resetSettleMs": param(1800, "ms", null, "L arch/powerpc/include/asm/eeh.h EEH_PE_RST_SETTLE_TIME"),
  "vms[].eeh.unavailableHintMs": param(1e3, "ms", null, "Q include/hw/ppc/spapr.h RTAS_EEH_PE_UNAVAIL_INFO"),
  "vms[].eeh.hotplugDelayMs": param(5e3, "ms", null, "L arch/powerpc/kernel/eeh_driver.c eeh_reset_device ssleep(5)"),
  "vms[].eeh.driverResult.nvme": param(
    "need-reset",
    "result",
    null,
    "L drivers/nvme/host/pci.c nvme_error_detected (io_frozen: NEED_RESET)"
  ),
  "vms[].eeh.driverResult.mlx5-vf": param(
    "need-reset",
    "result",
    null,
    "L drivers/net/ethernet/mellanox/mlx5/core/main.c mlx5_pci_err_detected (NEED_RESET unless perm_failure)"
  ),
  "vms[].eeh.driverResult.ism": param("none", "result", null, "assumption (s390 device)"),
  "vms[].eeh.driverResult.gpu": param("none", "result", null, "assumption (no EEH-aware handler)"),
  "vms[].eeh.driverResult.virtio-net-vdpa": param(
    "none",
    "result",
    null,
    "assumption (no EEH-aware handler)"
  ),
  "vms[].eeh.driverResult.generic": param(
    "can-recover",
    "result",
    null,
    "assumption (a driver that only needs MMIO and DMA thawed)"
  ),
  "vms[].eeh.detectionMs.nvme": param(
    3e4,
    "ms",
    "nvme_core.io_timeout",
    "L drivers/nvme/host NVME_IO_TIMEOUT (30 s): with DMA stopped nothing completes; nvme_timeout reads CSTS and gets all ones"
  ),
  "vms[].eeh.detectionMs.mlx5-vf": param(
    2e3,
    "ms",
    null,
    "L drivers/net/ethernet/mellanox/mlx5/core/health.c MLX5_HEALTH_POLL_INTERVAL (2 s) reads the health counter"
  ),
  "vms[].eeh.detectionMs.ism": param(null, "ms", null, "assumption (s390 device)"),
  "vms[].eeh.detectionMs.gpu": param(1e3, "ms", null, "assumption"),
  "vms[].eeh.detectionMs.virtio-net-vdpa": param(1e3, "ms", null, "assumption"),
  "vms[].eeh.detectionMs.generic": param(1e3, "ms", null, "assumption"),
  "vms[].viommu.spapr.dmaWinSizeBytes": param(
    GiB2,
    "bytes",
    "spapr-pci-host-bridge dma_win_size",
    'Q hw/ppc/spapr_pci.c spapr_phb_properties ("Default DMA window is 0..1GB")'
  ),
  "vms[].viommu.spapr.dma64WinShift": param(
    59,
    "shift (address = 2^shift)",
    "spapr-pci-host-bridge dma64_win_addr",
    "Q hw/ppc/spapr_pci.c spapr_phb_properties (dma64_win_addr 0x800000000000000 = 2^59)"
  )
};

// core/scenario/iommufdSchema.ts
import { z as z3 } from "zod";
var IommufdHostSchema = z3.strictObject({
  dmaWindows: z3.boolean().default(false).meta({ description: "Enable the DMA-window extension proposed in reference 001 (IOAS windows; off in Linux today)." })
});

// core/scenario/spaprSchema.ts
import { z as z4 } from "zod";
var SpaprHostSchema = z4.strictObject({
  maxWindows: z4.number().int().min(1).max(2).default(2).meta({
    description: "DMA windows per container (max_dynamic_windows_supported: IOMMU_TABLE_GROUP_MAX_TABLES = 2 on PowerNV IODA2; 1 = a platform that only lends its default table, where a second window is refused -EPERM as in spapr_tce_create_table)."
  }),
  dma32WindowStart: u64.default(0).meta({
    description: "Start of the default 32-bit window (table_group.tce32_start; 0 in pnv_pci_ioda2_setup_dma_pe)."
  }),
  dma32WindowSizeBytes: u64.refine((v) => v >= 4096 && v % 4096 === 0, "must be a multiple of 4 KiB").default(2147483648).meta({
    description: "Size of the default 32-bit window (table_group.tce32_size = phb->ioda.m32_pci_base in pnv_pci_ioda2_setup_dma_pe; skiboot puts the 32-bit MMIO window at M32_PCI_START = 0x80000000, so 2 GiB). v1 charges all of it at ENABLE."
  }),
  ddwStartShift: z4.number().int().min(32).max(63).default(59).meta({
    description: "The second (64-bit) window starts at 2^ddwStartShift (table_group.tce64_start, formerly tce_bypass_base = 1 << 59: TVE #1 is selected by PCI address bit 59, pnv_pci_ioda2_setup_dma_pe). TCE_CREATE returns it as start_addr (it_offset << it_page_shift)."
  }),
  pageShifts: z4.array(z4.number().int().min(12).max(40)).min(1).default([12, 16, 21, 30]).meta({
    description: 'Supported TCE page shifts (table_group.pgsizes from "ibm,supported-tce-sizes", pnv_ioda_parse_tce_sizes; skiboot PHB4 / POWER9 advertises 4K, 64K, 2M, 1G). TCE_CREATE with another page size fails -EINVAL.'
  }),
  hostPageShift: z4.union([z4.literal(12), z4.literal(16)]).default(16).meta({
    description: "PAGE_SHIFT of the host kernel: 16 with CONFIG_PPC_64K_PAGES (what ppc64 distributions ship), 12 with 4K pages. REGISTER_MEMORY must be aligned to it, and TCEs up to this size need no hugetlbfs backing (mm_iommu_do_alloc)."
  }),
  maxLevels: z4.number().int().min(1).max(5).default(5).meta({ description: "TCE table levels allowed (POWERNV_IOMMU_MAX_LEVELS = 5); more, or 0, is -EINVAL." })
});

// core/scenario/qemuSchema.ts
import { z as z5 } from "zod";
var QemuHostSchema = z5.strictObject({
  iovaTree: z5.strictObject({
    fix: z5.enum(["none", "id", "reverse-index", "id+reverse-index"]).default("none").meta({ description: "QEMU's util/iova-tree.c as today (none) or with the proposed fixes of reference 004." })
  }).prefault({})
});

// core/scenario/s390ViommuSchema.ts
import { z as z6 } from "zod";
var ZPCI_TABLE_SPAN = 2 ** 42;
var S390ViommuSchema = z6.strictObject({
  startDma: u64.refine(
    (v) => v <= ZPCI_TABLE_SPAN - 4096,
    "must be below 2^42 - 4 KiB: s390_iommu_probe_device refuses a function whose window starts past the table span"
  ).default(4294967296).meta({
    description: "Start of the guest DMA window (sdma) QEMU reports in CLP Query PCI Function: the host function's start_dma from the VFIO zPCI base capability, else QEMU's default 4 GiB. Linux page-aligns it.",
    mirrors: "QEMU ZPCI_SDMA_ADDR (include/hw/s390x/s390-pci-bus.h), s390_pci_read_base"
  }),
  apertureRestriction: z6.boolean().default(true).meta({
    description: "QEMU bounds the guest DMA window by the container's DMA limit: edma = sdma + dma_avail * 4 KiB - 1 (QEMU >= 7.2). Newer QEMU skips it for functions that may use relaxed translation (property relaxed-translation); ISM functions always get it.",
    mirrors: 'QEMU s390_pci_read_base ("shrink DMA aperture to be bound by vfio DMA limit")'
  }),
  apertureFactor: z6.number().int().min(0).default(1).meta({
    description: "Guest IOVA space as a multiple of guest RAM (aperture = min(RAM * factor, 2^42 - start, end - start + 1)); 0 = unlimited.",
    mirrors: "s390_iommu_aperture= (drivers/iommu/s390-iommu.c zpci_init_iommu; arch/s390/pci/pci_dma.c before 6.7)"
  }),
  globalFlushRetry: z6.boolean().default(true).meta({
    description: "When RPCIT after a map reports insufficient resources (-ENOMEM), the guest issues one global RPCIT over its window, which also establishes the new mapping (Linux >= 6.7); off shows the failure.",
    mirrors: "drivers/iommu/s390-iommu.c s390_iommu_iotlb_sync_map"
  }),
  legacyStrict: z6.boolean().default(false).meta({
    description: "Strict mode of the pre-6.7 s390 DMA code (dmaMode s390-legacy): every unmap issues RPCIT and frees its addresses at once; off = lazy unmap, one global RPCIT per allocator wrap.",
    mirrors: "s390_iommu=strict (arch/s390/pci/pci_dma.c s390_iommu_strict, before 6.7)"
  })
});

// core/scenario/x86ViommuSchema.ts
import { z as z7 } from "zod";
var IntelIommuSchema = z7.strictObject({
  cachingMode: z7.boolean().default(true).meta({
    description: "Caching mode: the guest invalidates every new mapping, so QEMU can shadow it. Without it QEMU refuses device assignment (hw/i386/intel_iommu.c vtd_panic_require_caching_mode).",
    mirrors: "-device intel-iommu,caching-mode=on"
  }),
  awBits: z7.union([z7.literal(39), z7.literal(48)]).default(48).meta({
    description: "Guest address width: 48 = 4-level second-level tables (QEMU >= 9.2 default, include/hw/i386/intel_iommu.h VTD_HOST_ADDRESS_WIDTH), 39 = 3-level (older machine types, pc_compat_9_1).",
    mirrors: "-device intel-iommu,aw-bits=48"
  }),
  superpages: z7.enum(["none", "2m", "2m+1g"]).default("2m+1g").meta({
    description: "Second-level large pages the guest driver may use. QEMU advertises 2 MiB and 1 GiB (VTD_CAP_SLLPS); Linux uses one where IOVA and guest-physical address are both aligned (hardware_largepage_caps). none = intel_iommu=sp_off.",
    mirrors: "intel_iommu=sp_off"
  })
});
var VirtioIommuSchema = z7.strictObject({
  awBits: z7.number().int().min(32).max(64).default(39).meta({
    description: 'Input address width QEMU reports (input_range = [0, 2^aw - 1]). 39 on q35 since QEMU 9.0 ("hw/i386/q35: Set virtio-iommu aw-bits default value to 39"); 64 on older machine types.',
    mirrors: "-device virtio-iommu-pci,aw-bits=39"
  }),
  deferredFlush: z7.boolean().default(true).meta({
    description: 'The guest driver reports IOMMU_CAP_DEFERRED_FLUSH and has flush_iotlb_all, so lazy (flush-queue) mode is possible (Linux >= 6.7, "iommu/virtio: Add ops->flush_iotlb_all and enable deferred flush"). Off = older guest, always strict.',
    mirrors: "drivers/iommu/virtio-iommu.c viommu_capable"
  }),
  shadowOnFlush: z7.boolean().default(false).meta({
    description: "The guest driver sets dev_iommu.shadow_on_flush, so dma-iommu picks the single large flush queue. Upstream Linux does not set it for virtio-iommu (only an RFC of the s390 dma-iommu series did); on shows what it would change.",
    mirrors: "drivers/iommu/virtio-iommu.c viommu_probe_device"
  }),
  requestQueueSize: z7.number().int().min(2).max(32768).default(256).meta({
    description: "Entries of the request virtqueue; when it is full the guest kicks and waits for QEMU before adding (__viommu_add_req). QEMU VIOMMU_DEFAULT_QUEUE_SIZE.",
    mirrors: "hw/virtio/virtio-iommu.c VIOMMU_DEFAULT_QUEUE_SIZE"
  })
});

// core/scenario/ppcSchema.ts
import { z as z8 } from "zod";
var SPAPR_DDW_PAGE_SHIFTS = [12, 16, 21, 24, 25, 26, 27, 28, 34];
var SpaprViommuSchema = z8.strictObject({
  ddw: z8.boolean().default(true).meta({
    description: "The guest PHB offers dynamic DMA windows (the ibm,ddw-applicable RTAS calls); off = only the default window.",
    mirrors: 'QEMU spapr-pci-host-bridge property "ddw" (ddw_enabled)'
  }),
  dmaWinSizeBytes: u64.refine((v) => v >= 4096 && isPowerOfTwo(v), "must be a power of two of at least 4 KiB").refine((v) => v <= 2 ** 43, "must be at most 2^43 (2^31 TCEs of 4 KiB: nb_table is 32-bit)").default(PARAMETER_DEFAULTS["vms[].viommu.spapr.dmaWinSizeBytes"].value).meta({
    description: "Size of the default 32-bit DMA window (base dma_win_addr 0, 4 KiB TCEs), restored by ibm,reset-pe-dma-window.",
    mirrors: PARAMETER_DEFAULTS["vms[].viommu.spapr.dmaWinSizeBytes"].mirrors
  }),
  dma64WinShift: z8.number().int().min(32).max(63).default(PARAMETER_DEFAULTS["vms[].viommu.spapr.dma64WinShift"].value).meta({
    description: "The 64-bit window (a window created while another is active) starts at 2^dma64WinShift; the host must offer the same base (host.spapr.ddwStartShift). A shift rather than an address because 2^59 is past the exact integers of a JSON number.",
    mirrors: PARAMETER_DEFAULTS["vms[].viommu.spapr.dma64WinShift"].mirrors
  }),
  pageShifts: z8.array(
    z8.number().int().refine((s2) => SPAPR_DDW_PAGE_SHIFTS.includes(s2), `must be one of ${SPAPR_DDW_PAGE_SHIFTS.join(", ")}`)
  ).min(1).default([12, 16]).meta({
    description: "TCE page sizes (as shifts) the PHB offers for DDW, reported by ibm,query-pe-dma-window as a LoPAPR mask (4K 0x01, 64K 0x02, 16M 0x04 ... 2M 0x100).",
    mirrors: 'QEMU spapr-pci-host-bridge property "pgsz" (page_size_mask, default 4K|64K)'
  }),
  inKernelTce: z8.boolean().default(true).meta({
    description: "KVM handles H_PUT_TCE, H_PUT_TCE_INDIRECT, H_STUFF_TCE and H_GET_TCE in the kernel and writes the host TCE tables directly (needs the v2 backend); off = every TCE hypercall exits to QEMU, which maps through VFIO. Under powervm-nested this needs an L1 kernel that offers the capability to pSeries hosts (2025); older L1 kernels behave as off.",
    mirrors: "KVM_CAP_SPAPR_TCE_VFIO (arch/powerpc/kvm/book3s_64_vio.c, QEMU kvmppc_has_cap_spapr_vfio)"
  }),
  multiTce: z8.boolean().default(true).meta({
    description: "The guest batches TCEs: H_PUT_TCE_INDIRECT (<= 512 per call) to map and H_STUFF_TCE to unmap; off = one H_PUT_TCE per TCE.",
    mirrors: 'ibm,hypertas-functions "hcall-multi-tce"; Linux boot parameter multitce=off'
  }),
  guestDisableDdw: z8.boolean().default(false).meta({
    description: "The guest never asks for a DDW: every device maps through the default window.",
    mirrors: "Linux boot parameter disable_ddw (arch/powerpc/platforms/pseries/iommu.c)"
  }),
  guestDirectMapping: z8.boolean().default(true).meta({
    description: 'When the DDW can hold all guest RAM the guest maps all of it once and DMA maps become a fixed offset (no hypercall); off = the guest allocates TCEs in the DDW per mapping, as Linux does when the window is too small ("linux,dma64-ddr-window-info").',
    mirrors: "Linux enable_ddw: direct_mapping (DIRECT64_PROPNAME) vs dynamic_mapping"
  }),
  guestPageShift: z8.union([z8.literal(12), z8.literal(16)]).default(16).meta({
    description: "PAGE_SHIFT of the guest kernel: 16 with CONFIG_PPC_64K_PAGES (distribution kernels), 12 with 4K pages.",
    mirrors: "guest CONFIG_PPC_64K_PAGES"
  }),
  windowChange: z8.enum(["switch-and-copy", "in-place"]).default("switch-and-copy").meta({
    description: `How the hypervisor serves a DMA window change: "in-place" = remove and create the window in the VFIO container (today's SPAPR TCE backend); "switch-and-copy" = a new address space with the new windows into which the still-valid mappings are copied, then the devices switch (the emulation for fixed-window backends, reference 001).`,
    mirrors: "reference 001 (Gibson / Gunthorpe, iommufd windows)"
  })
});

// core/scenario/eehSchema.ts
import { z as z9 } from "zod";
function doc(description, mirrors) {
  return mirrors === void 0 || mirrors === null ? { description } : { description, mirrors };
}
var ms = (max) => z9.number().int().nonnegative().max(max);
var driverResult = z9.enum(["can-recover", "need-reset", "none"]);
var DriverResultSchema = z9.strictObject({
  nvme: driverResult.default(PARAMETER_DEFAULTS["vms[].eeh.driverResult.nvme"].value),
  "mlx5-vf": driverResult.default(PARAMETER_DEFAULTS["vms[].eeh.driverResult.mlx5-vf"].value),
  ism: driverResult.default(PARAMETER_DEFAULTS["vms[].eeh.driverResult.ism"].value),
  gpu: driverResult.default(PARAMETER_DEFAULTS["vms[].eeh.driverResult.gpu"].value),
  "virtio-net-vdpa": driverResult.default(PARAMETER_DEFAULTS["vms[].eeh.driverResult.virtio-net-vdpa"].value),
  generic: driverResult.default(PARAMETER_DEFAULTS["vms[].eeh.driverResult.generic"].value)
}).meta(
  doc(
    'Per device kind, what the guest driver answers in error_detected(io_frozen): "can-recover" (thaw MMIO, mmio_enabled, thaw DMA), "need-reset" (PE reset, slot_reset; nvme_error_detected, mlx5_pci_err_detected) or "none" (no EEH-aware handler: the device is hot-removed around the reset).',
    "struct pci_error_handlers"
  )
);
var detection = z9.number().int().nonnegative().max(36e5).nullable();
var DetectionSchema = z9.strictObject({
  nvme: detection.default(PARAMETER_DEFAULTS["vms[].eeh.detectionMs.nvme"].value),
  "mlx5-vf": detection.default(PARAMETER_DEFAULTS["vms[].eeh.detectionMs.mlx5-vf"].value),
  ism: detection.default(PARAMETER_DEFAULTS["vms[].eeh.detectionMs.ism"].value),
  gpu: detection.default(PARAMETER_DEFAULTS["vms[].eeh.detectionMs.gpu"].value),
  "virtio-net-vdpa": detection.default(PARAMETER_DEFAULTS["vms[].eeh.detectionMs.virtio-net-vdpa"].value),
  generic: detection.default(PARAMETER_DEFAULTS["vms[].eeh.detectionMs.generic"].value)
}).meta(
  doc(
    "Per device kind, ms from a freeze until the driver reads a register of the device, sees all ones and calls eeh_check_failure (null: only an explicit mmio.read detects it).",
    "nvme_core.io_timeout, MLX5_HEALTH_POLL_INTERVAL"
  )
);
var EehSchema = z9.strictObject({
  guestPeMapping: z9.enum(["refuse", "naive", "fan-out"]).default(PARAMETER_DEFAULTS["vms[].eeh.guestPeMapping"].value).meta(
    doc(
      `How QEMU serves EEH for a guest PE made of several host PEs (reference 001). "refuse": what QEMU does today (vfio_eeh_container_ok wants exactly one group per container, vfio_eeh_as_container one container per address space): every EEH RTAS call on that PHB answers RTAS_PARAM_ERROR, the guest runs without EEH there. "naive": QEMU forwards to the container and the kernel's VFIO_EEH_PE_OP iterates over its groups, stopping at the first non-zero return (tce_iommu_ioctl), with no synchronisation of their states. "fan-out" (the proposal of reference 001): freeze every host PE of the guest PE when one freezes, replay each step on all, resolve a partial failure to one state, merge notifications by serial.`,
      "QEMU hw/ppc/spapr_pci_vfio.c, hw/vfio (vfio_eeh_as_op)"
    )
  ),
  maxFreezes: z9.number().int().nonnegative().max(1e6).default(PARAMETER_DEFAULTS["vms[].eeh.maxFreezes"].value).meta(doc("Freezes of one (guest) PE within the window before it is failed permanently.", PARAMETER_DEFAULTS["vms[].eeh.maxFreezes"].mirrors)),
  freezeWindowS: z9.number().int().min(1).max(86400).default(PARAMETER_DEFAULTS["vms[].eeh.freezeWindowS"].value).meta(doc("The freeze count restarts when more than this many seconds passed since the first freeze it counts (3600 in Linux).")),
  recoveryWaitMaxMs: ms(36e5).default(PARAMETER_DEFAULTS["vms[].eeh.recoveryWaitMaxMs"].value).meta(doc("How long the guest waits for an unavailable PE before declaring a permanent failure (MAX_WAIT_FOR_RECOVERY).")),
  resetHoldMs: ms(6e4).default(PARAMETER_DEFAULTS["vms[].eeh.resetHoldMs"].value).meta(doc("Reset assert hold time (EEH_PE_RST_HOLD_TIME).")),
  resetSettleMs: ms(6e4).default(PARAMETER_DEFAULTS["vms[].eeh.resetSettleMs"].value).meta(doc("Settle time after deasserting reset (EEH_PE_RST_SETTLE_TIME).")),
  resetType: z9.enum(["hot", "fundamental"]).default("hot").meta(doc("Reset the guest asks for: hot unless a device needs a fundamental one (eeh_pe_reset_full, pci_dev->needs_freset).")),
  unavailableHintMs: ms(3e5).default(PARAMETER_DEFAULTS["vms[].eeh.unavailableHintMs"].value).meta(doc("The wait hint QEMU returns in ibm,read-slot-reset-state2 (RTAS_EEH_PE_UNAVAIL_INFO).")),
  hotplugDelayMs: ms(6e4).default(PARAMETER_DEFAULTS["vms[].eeh.hotplugDelayMs"].value).meta(doc("Sleep before re-adding devices whose driver has no EEH handler (eeh_reset_device: ssleep(5)).")),
  guestRecovery: z9.enum(["auto", "off"]).default("auto").meta(
    doc(
      '"auto": the guest kernel detects freezes and runs eeh_handle_normal_event by itself; "off": nothing happens unless an ops script issues the RTAS calls (it then plays the guest EEH core).'
    )
  ),
  driverResult: DriverResultSchema.prefault({}),
  detectionMs: DetectionSchema.prefault({})
});

// core/scenario/faultSchema.ts
import { z as z10 } from "zod";
var atMs = z10.number().nonnegative().max(864e5).meta({ description: "When the fault happens, ms of simulated time." });
var pe = z10.number().int().nonnegative().meta({ description: "Host PE (PowerPC), as vms[].devices[].hostPe numbers them." });
var device = z10.string().min(1).max(64).meta({ description: "Device name." });
var EEH_RECOVERY_STEPS = [
  "error_detected",
  "wait",
  "read_log",
  "thaw_mmio",
  "mmio_enabled",
  "thaw_dma",
  "reset",
  "slot_reset",
  "resume"
];
var FaultSchema = z10.discriminatedUnion("kind", [
  z10.strictObject({ kind: z10.literal("eeh-freeze"), atMs, pe }).meta({ description: "The host PE freezes (EEH): MMIO reads all ones, DMA stops." }),
  z10.strictObject({ kind: z10.literal("eeh-recovery-step-fails"), atMs, pe, step: z10.enum(EEH_RECOVERY_STEPS) }).meta({ description: "A step of the next EEH recovery of the PE fails on that host PE." }),
  z10.strictObject({ kind: z10.literal("dma-to-unmapped"), atMs, device }).meta({
    description: "The device DMAs to the IOVA it was last unmapped from: reaches the freed buffer while a lazy flush is pending, else an IOMMU fault (EEH freeze on PowerPC)."
  }),
  z10.strictObject({
    kind: z10.literal("rpcit-out-of-resource"),
    atMs,
    device: device.optional().meta({ description: "The zPCI function; default every function of the scenario." }),
    count: z10.number().int().min(1).max(1e6).default(1).meta({ description: "How many of each function's next RPCITs answer status 16." })
  }).meta({ description: "s390: the next RPCITs answer cc 1 status 16 (insufficient resources) whatever dma_avail is." }),
  z10.strictObject({ kind: z10.literal("memlock-shrink"), atMs, bytes: u64 }).meta({ description: "QEMU's RLIMIT_MEMLOCK is lowered to `bytes` (prlimit)." }),
  z10.strictObject({ kind: z10.literal("device-hotplug"), atMs, device }).meta({ description: "The (unplugged) device is plugged back in." }),
  z10.strictObject({ kind: z10.literal("device-unplug"), atMs, device }).meta({ description: "The device is hot-unplugged: in-flight IOs complete, no new ones start, QEMU drops its mappings." }),
  z10.strictObject({ kind: z10.literal("guest-reset"), atMs, vm: z10.string().min(1).max(64).optional() }).meta({
    description: "The guest reboots: its DMA mappings and flush queues are dropped, QEMU unmaps everything, windows return to defaults."
  }),
  z10.strictObject({
    kind: z10.literal("window-change"),
    atMs,
    pe,
    pageShift: z10.number().int().min(12).max(34),
    windowShift: z10.number().int().min(12).max(62)
  }).meta({ description: "PowerPC: the guest replaces the PE's 64-bit DMA window (DDW remove + create)." })
]);

// core/scenario/workloadSchemas.ts
import { z as z11 } from "zod";
var KiB = 1024;
var MiB3 = 1024 * KiB;
var GiB3 = 1024 * MiB3;
function doc2(description, mirrors) {
  return mirrors === void 0 ? { description } : { description, mirrors };
}
var name = z11.string().min(1).max(64).regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'must start with a letter and use only letters, digits, "_", "." or "-"');
var targetDevice = name.optional().meta(doc2("Device the workload drives; default the first device of the first VM."));
var pageBytes = u64.refine((v) => v > 0 && v % (4 * KiB) === 0, "must be a positive multiple of 4096");
var NetWorkloadSchema = z11.strictObject({
  kind: z11.literal("net"),
  device: targetDevice,
  packetRate: z11.number().positive().max(1e9).default(1e6).meta(doc2("Packets per second arriving at the guest, TX and RX together.", 'pktgen "rate"/"ratep"')),
  packetBytes: z11.number().int().min(64).max(65536).default(1500).meta(doc2("Packet size in bytes.", 'pktgen "pkt_size"')),
  txShare: z11.number().min(0).max(1).default(0.5).meta(doc2("Share of the packets the guest transmits (the rest it receives).")),
  rxRingEntries: z11.number().int().min(1).max(65536).default(1024).meta(doc2("RX descriptors, each with one buffer.", "ethtool -G <if> rx")),
  rxBufferBytes: z11.number().int().min(64).max(65536).default(2048).meta(doc2("Bytes of one RX buffer; page_pool packs 4096 / rxBufferBytes of them into each mapped page.", "ethtool -G <if> rx-buf-len")),
  arrival: z11.enum(["fixed", "poisson"]).default("fixed").meta(doc2("Packet arrivals: evenly spaced, or a Poisson process with the same mean rate (seeded)."))
});
var DpdkWorkloadSchema = z11.strictObject({
  kind: z11.literal("dpdk"),
  device: targetDevice,
  mempoolBytes: pageBytes.default(GiB3).meta(doc2("Memory the application maps for DMA at start (its mempools).", "EAL -m / --socket-mem")),
  chunkBytes: u64.refine((v) => isPowerOfTwo(v) && v >= 4 * KiB && v <= GiB3, "must be a power of two from 4096 to 1 GiB").default(2 * MiB3).meta(doc2("Bytes per DMA mapping: one per hugepage-backed memory segment.", "hugepage size (hugepagesz=2M / 1G)")),
  iodepth: z11.number().int().min(1).max(4096).default(32).meta(doc2("IOs each polling core keeps in flight.", "spdk_nvme_perf -q")),
  blockSizeBytes: z11.number().int().min(64).max(64 * MiB3).default(2048).meta(doc2("Bytes per IO (an mbuf or an IO buffer).", "testpmd --mbuf-size / spdk_nvme_perf -o")),
  numjobs: z11.number().int().min(1).max(256).default(1).meta(doc2("Polling cores (lcores).", "EAL -l / spdk_nvme_perf -c"))
}).superRefine((w, ctx) => {
  if (Math.ceil(w.mempoolBytes / w.chunkBytes) > 1e7) {
    ctx.addIssue({ code: "custom", path: ["chunkBytes"], message: "more than 10,000,000 chunks: use larger chunks" });
  }
});
var GpuWorkloadSchema = z11.strictObject({
  kind: z11.literal("gpu"),
  device: targetDevice,
  buffers: z11.number().int().min(1).max(1024).default(4).meta(doc2("Pinned buffers the application registers for DMA.")),
  bufferBytes: pageBytes.default(GiB3).meta(doc2("Bytes per buffer.", "cudaHostAlloc / cudaHostRegister size")),
  transferBytes: u64.refine((v) => v > 0, "must be positive").default(64 * MiB3).meta(doc2("Bytes the device copies by DMA after each kernel.", "cudaMemcpyAsync size")),
  kernelUs: z11.number().nonnegative().max(1e7).default(500).meta(doc2("Compute time of one kernel on the device, us (no DMA)."))
}).superRefine((w, ctx) => {
  if (w.transferBytes > w.bufferBytes) {
    ctx.addIssue({
      code: "custom",
      path: ["transferBytes"],
      message: "a transfer must fit in one buffer (transferBytes <= bufferBytes)"
    });
  }
});
var VIRTIO_MEM_MIN_BLOCK_BYTES = MiB3;
var VirtioMemWorkloadSchema = z11.strictObject({
  kind: z11.literal("virtio-mem"),
  vm: name.optional().meta(doc2("VM whose virtio-mem device plugs the memory; default the first VM.")),
  blockSizeBytes: u64.refine(
    (v) => isPowerOfTwo(v) && v >= VIRTIO_MEM_MIN_BLOCK_BYTES,
    "must be a power of two of at least 1 MiB (VIRTIO_MEM_MIN_BLOCK_SIZE)"
  ).default(2 * MiB3).meta(doc2("Plug granularity: QEMU maps each plugged block into VFIO separately.", "virtio-mem-pci,block-size=")),
  plugBytes: u64.refine((v) => v > 0, "must be positive").default(GiB3).meta(doc2("Memory the device is asked to provide (a multiple of blockSizeBytes).", "virtio-mem-pci,requested-size=")),
  atMs: z11.number().nonnegative().max(36e5).default(0).meta(doc2("When the plug request is made, ms of simulated time.")),
  unplugAtMs: z11.number().nonnegative().max(36e5).nullable().default(null).meta(doc2("When everything is unplugged again, ms; null = never.", "qom-set <dev> requested-size 0")),
  regionGpa: u64.optional().meta(doc2("Guest-physical start of the device memory; default just above guest RAM, aligned to 1 GiB.", "virtio-mem-pci,memaddr="))
}).superRefine((w, ctx) => {
  if (w.unplugAtMs !== null && w.unplugAtMs <= w.atMs) {
    ctx.addIssue({ code: "custom", path: ["unplugAtMs"], message: "must be after atMs" });
  }
  if (!isPowerOfTwo(w.blockSizeBytes) || w.blockSizeBytes < VIRTIO_MEM_MIN_BLOCK_BYTES) return;
  if (w.plugBytes % w.blockSizeBytes !== 0) {
    ctx.addIssue({ code: "custom", path: ["plugBytes"], message: "must be a multiple of blockSizeBytes" });
  }
  if (w.regionGpa !== void 0 && w.regionGpa % w.blockSizeBytes !== 0) {
    ctx.addIssue({ code: "custom", path: ["regionGpa"], message: "must be aligned to blockSizeBytes (virtio_mem_valid_range)" });
  }
});
var ProbeWorkloadSchema = z11.strictObject({
  kind: z11.literal("probe")
});
function workloadReferenceProblems(s2) {
  const problems = [];
  const vmOfDevice = (device3) => device3 === void 0 ? s2.vms[0] : s2.vms.find((vm) => vm.devices.some((d) => d.name === device3));
  const checkDevice = (device3) => {
    if (device3 !== void 0 && vmOfDevice(device3) === void 0) {
      problems.push({ path: ["workload", "device"], message: `no device named "${device3}"` });
    }
    return vmOfDevice(device3);
  };
  const fitRam = (bytes, vm, field, what) => {
    if (vm !== void 0 && bytes > vm.memoryBytes) {
      problems.push({ path: ["workload", field], message: `${what} must fit in the guest RAM of ${vm.name} (${vm.memoryBytes} bytes)` });
    }
  };
  const kind = s2.workload.kind;
  if (kind === "net") checkDevice(s2.workload.device);
  else if (kind === "dpdk") {
    const w = s2.workload;
    fitRam(w.mempoolBytes, checkDevice(w.device), "mempoolBytes", "the mempool");
  } else if (kind === "gpu") {
    const w = s2.workload;
    fitRam(w.buffers * w.bufferBytes, checkDevice(w.device), "bufferBytes", "buffers x bufferBytes");
  } else if (kind === "virtio-mem") {
    const w = s2.workload;
    if (w.vm !== void 0 && !s2.vms.some((vm) => vm.name === w.vm))
      problems.push({ path: ["workload", "vm"], message: `no VM named "${w.vm}"` });
    if (s2.host.hypervisor === "lpar" || s2.host.hypervisor === "zvm") {
      problems.push({
        path: ["workload", "kind"],
        message: `virtio-mem needs QEMU; hypervisor "${s2.host.hypervisor}" runs the guest without it`
      });
    }
  }
  return problems;
}

// core/scenario/schema.ts
var identifier = z12.string().min(1).max(64).regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'must start with a letter and use only letters, digits, "_", "." or "-"');
function doc3(description, mirrors) {
  return mirrors === void 0 || mirrors === null ? { description } : { description, mirrors };
}
var VfioSchema = z12.strictObject({
  backend: z12.enum(["type1v2", "type1v1", "iommufd", "spapr-tce-v1", "spapr-tce-v2"]).default("type1v2").meta(doc3("Host DMA backend QEMU uses for the container.", "VFIO_SET_IOMMU (VFIO_TYPE1v2_IOMMU, ...) or iommufd")),
  dmaEntryLimit: z12.number().int().min(1).max(2 ** 31).default(PARAMETER_DEFAULTS["host.vfio.dmaEntryLimit"].value).meta(doc3("Mappings a type1 container may hold at once.", PARAMETER_DEFAULTS["host.vfio.dmaEntryLimit"].mirrors)),
  memlockBytes: u64.nullable().default(null).meta(doc3("Locked-memory limit of the QEMU process in bytes; null = unlimited.", "RLIMIT_MEMLOCK")),
  disableHugepages: z12.boolean().default(false).meta(doc3("Map every 4 KiB page separately instead of contiguous runs.", "vfio_iommu_type1.disable_hugepages")),
  capIpcLock: z12.boolean().default(false).meta(doc3("QEMU runs with CAP_IPC_LOCK: locked memory is counted but not limited.", "CAP_IPC_LOCK")),
  allowUnsafeInterrupts: z12.boolean().default(false).meta(doc3("Allow attaching devices without interrupt remapping.", "vfio_iommu_type1.allow_unsafe_interrupts"))
});
var ReservedRegionSchema = z12.strictObject({
  start: u64,
  last: u64.meta(doc3("Inclusive last address.")),
  kind: z12.enum(["msi", "rmrr", "reserved"]).default("reserved")
});
var HostIommuSchema = z12.strictObject({
  apertureLast: u64.optional().meta(doc3("Last IOVA of the host IOMMU aperture; default per arch (x86 2^48-1, s390 2^42-1).")),
  pageSizes: z12.array(z12.number().int().positive().refine(isPowerOfTwo, "a page size is a power of two")).min(1).optional().meta(doc3("Supported IOMMU page sizes in bytes (pgsize_bitmap); default per arch.")),
  reservedRegions: z12.array(ReservedRegionSchema).optional().meta(doc3("Reserved IOVA regions; default per arch (x86: MSI window).")),
  irqRemapping: z12.boolean().default(true).meta(doc3("The host IOMMU remaps interrupts (IOMMU_CAP_INTR_REMAP)."))
});
var HostSchema = z12.strictObject({
  arch: z12.enum(["x86_64", "s390x", "ppc64le"]).default("x86_64").meta(doc3("Host and guest architecture.")),
  hypervisor: z12.enum(["kvm", "zvm", "lpar", "powernv", "powervm-nested"]).default("kvm").meta(doc3("Hypervisor stack the guest runs on.")),
  memoryBacking: z12.enum(["4k", "thp", "hugepages-2m", "hugepages-1g"]).default("thp").meta(doc3("How guest RAM is backed on the host; decides physically contiguous runs and IOMMU superpages.", "-object memory-backend-*")),
  vfio: VfioSchema.prefault({}),
  iommu: HostIommuSchema.prefault({}),
  iommufd: IommufdHostSchema.prefault({}),
  spapr: SpaprHostSchema.prefault({}),
  qemu: QemuHostSchema.prefault({})
});
var DeviceSchema = z12.strictObject({
  name: identifier.meta(doc3("Device name, unique in the scenario.")),
  kind: z12.enum(["nvme", "mlx5-vf", "ism", "gpu", "virtio-net-vdpa", "generic"]).default("nvme").meta(doc3("Device model.")),
  dmaMaskBits: z12.number().int().min(24).max(64).default(64).meta(doc3("Streaming DMA mask width the driver sets.", "dma_set_mask()")),
  coherentDmaMaskBits: z12.number().int().min(24).max(64).optional().meta(doc3("Coherent DMA mask width; defaults to dmaMaskBits.", "dma_set_coherent_mask()")),
  setsMaskBeforeCoherentAlloc: z12.boolean().default(true).meta(doc3("The driver raises its DMA masks before its first coherent allocation (mlx5_core did not: reference 003).")),
  latencyUs: z12.number().positive().max(1e6).optional().meta(doc3("Request latency at QD1 for 4 KiB, us; default per kind.")),
  bandwidthMBps: z12.number().positive().max(1e6).optional().meta(doc3("Bandwidth limit, MB/s (10^6 B/s); default per kind.")),
  maxIops: z12.number().positive().max(1e9).optional().meta(doc3("Request-rate limit, requests/s; default per kind.")),
  iommuGroup: z12.number().int().nonnegative().optional().meta(
    doc3("Host IOMMU group; devices sharing a group are assigned together (default: one group per device).", "/sys/kernel/iommu_groups")
  ),
  hostPe: z12.number().int().nonnegative().optional().meta(doc3("PowerPC: host partitionable endpoint the device sits in (default: one PE per device).")),
  guestPe: z12.number().int().nonnegative().optional().meta(
    doc3(
      "PowerPC: guest PE (guest-visible PHB) the device appears in; default 0, the default PHB QEMU puts every device on, so several host PEs form one guest PE unless spapr-pci-host-bridge devices separate them (reference 001).",
      "-device spapr-pci-host-bridge,index=N"
    )
  )
});
var FlushQueueSchema = z12.strictObject({
  perCpuSize: z12.number().int().min(2).max(2 ** 20).refine(isPowerOfTwo, "must be a power of two").default(PARAMETER_DEFAULTS["vms[].guest.flushQueue.perCpuSize"].value).meta(doc3("Entries of each per-CPU flush queue (full at size - 1).", "IOVA_DEFAULT_FQ_SIZE")),
  perCpuTimeoutMs: z12.number().positive().max(6e4).default(PARAMETER_DEFAULTS["vms[].guest.flushQueue.perCpuTimeoutMs"].value).meta(doc3("Flush timer of the per-CPU queues, ms.", "IOVA_DEFAULT_FQ_TIMEOUT")),
  singleSize: z12.number().int().min(2).max(2 ** 24).refine(isPowerOfTwo, "must be a power of two").default(PARAMETER_DEFAULTS["vms[].guest.flushQueue.singleSize"].value).meta(doc3("Entries of the single flush queue (shadow_on_flush).", "IOVA_SINGLE_FQ_SIZE")),
  singleTimeoutMs: z12.number().positive().max(6e4).default(PARAMETER_DEFAULTS["vms[].guest.flushQueue.singleTimeoutMs"].value).meta(doc3("Flush timer of the single queue, ms.", "IOVA_SINGLE_FQ_TIMEOUT"))
});
var GuestSchema = z12.strictObject({
  dmaMode: z12.enum(["strict", "lazy", "lazy-single", "s390-legacy"]).optional().meta(
    doc3(
      'Guest DMA API mode. Default as Linux: lazy on x86_64 and s390x (the single queue when the IOMMU shadows on flush), strict elsewhere; "lazy" set explicitly means per-CPU queues; "s390-legacy" is the pre-6.7 s390 DMA code.',
      "iommu.strict"
    )
  ),
  flushQueue: FlushQueueSchema.prefault({}),
  kernelParams: z12.strictObject({
    "iommu.strict": z12.union([z12.literal(0), z12.literal(1)]).optional().meta(doc3("1 = strict, 0 = lazy.", "iommu.strict")),
    "iommu.forcedac": z12.union([z12.literal(0), z12.literal(1)]).optional().meta(doc3("1 = skip the first try below 4 GiB.", "iommu.forcedac"))
  }).prefault({})
});
var VmSchema = z12.strictObject({
  name: identifier.default("vm0"),
  memoryBytes: u64.default(PARAMETER_DEFAULTS["vms[].memoryBytes"].value).meta(doc3("Guest RAM in bytes.", "-m")),
  vcpus: z12.number().int().min(1).max(256).default(PARAMETER_DEFAULTS["vms[].vcpus"].value).meta(doc3("vCPUs.", "-smp")),
  viommu: z12.strictObject({
    model: z12.enum(["none", "intel-iommu", "virtio-iommu", "s390-zpci", "spapr-tce"]).default("none").meta(doc3("The vIOMMU the guest sees; none = guest RAM mapped once at boot.", "-device intel-iommu,...")),
    s390: S390ViommuSchema.prefault({}),
    intel: IntelIommuSchema.prefault({}),
    virtio: VirtioIommuSchema.prefault({}),
    spapr: SpaprViommuSchema.prefault({})
  }).prefault({}),
  guest: GuestSchema.prefault({}),
  eeh: EehSchema.prefault({}).meta(doc3("PowerPC EEH: error handling of the VM's PEs.")),
  devices: z12.array(DeviceSchema).min(1).max(64).prefault([{ name: "nvme0" }])
});
var FioWorkloadSchema = z12.strictObject({
  kind: z12.literal("fio"),
  rw: z12.enum(["randread", "randwrite", "read", "write"]).default("randread").meta(doc3("IO pattern.", "fio --rw")),
  blockSizeBytes: z12.number().int().min(512).max(64 * 1024 * 1024).default(PARAMETER_DEFAULTS["workload.fio.blockSizeBytes"].value).meta(doc3("Block size in bytes.", "fio --bs")),
  iodepth: z12.number().int().min(1).max(4096).default(PARAMETER_DEFAULTS["workload.fio.iodepth"].value).meta(doc3("IOs in flight per job.", "fio --iodepth")),
  numjobs: z12.number().int().min(1).max(256).default(PARAMETER_DEFAULTS["workload.fio.numjobs"].value).meta(doc3("Jobs; one per vCPU.", "fio --numjobs")),
  device: identifier.optional().meta(doc3("Device the jobs target; default the first device of the first VM."))
});
var OpsStepSchema = z12.strictObject({
  op: z12.string().min(1).max(100).meta(doc3('Op name, e.g. "vfio.map" (docs/model.md#ops-scripts).')),
  args: z12.record(z12.string(), z12.unknown()).default({}).meta(doc3("Arguments of the op; numbers or hex strings for addresses and sizes.")),
  repeat: z12.strictObject({
    count: z12.number().int().min(1).max(1e7).meta(doc3("How many times the call runs.")),
    add: z12.record(z12.string(), z12.number()).default({}).meta(doc3('Added to these numeric arguments after each call (e.g. {"iova": 4096, "vaddr": 4096}).'))
  }).optional().meta(doc3("Run the call `count` times; the step reports {count, failed, firstErrno, firstFailedAt, lastRet}.")),
  atMs: z12.number().nonnegative().max(864e5).optional().meta(doc3("Wait until this simulated time (ms) before the call, e.g. to call after a scheduled fault."))
});
var OpsWorkloadSchema = z12.strictObject({
  kind: z12.literal("ops"),
  steps: z12.array(OpsStepSchema).min(1).max(1e6).meta(
    doc3(
      "Calls run in order; each takes its modelled time. The run ends after the last call, or at durationMs when the scenario has faults."
    )
  ),
  stopOnError: z12.boolean().default(false).meta(doc3("Stop at the first step that fails."))
});
var WORKLOAD_KINDS_BUILT = ["fio", "net", "dpdk", "gpu", "virtio-mem", "probe", "ops"];
var WorkloadSchema = z12.discriminatedUnion(
  "kind",
  [
    FioWorkloadSchema,
    NetWorkloadSchema,
    DpdkWorkloadSchema,
    GpuWorkloadSchema,
    VirtioMemWorkloadSchema,
    ProbeWorkloadSchema,
    OpsWorkloadSchema
  ],
  {
    error: (issue) => issue.code === "invalid_union" ? `workload.kind must be one of: ${WORKLOAD_KINDS_BUILT.join(", ")}` : void 0
  }
);
var CostsSchema = z12.partialRecord(z12.enum(COST_KEYS), z12.number().nonnegative()).meta(doc3("Overrides of the cost table, in nanoseconds (docs/model.md#default-costs lists every entry)."));
var ScenarioObject = z12.strictObject({
  name: z12.string().min(1).max(200).meta(doc3("Scenario name, shown in the run list.")),
  seed: z12.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).default(1).meta(doc3("PRNG seed.")),
  durationMs: z12.number().positive().max(864e5).default(1e3).meta(doc3("Simulated duration in ms (at most a day: EEH scenarios span hours, eeh_max_freezes counts over 3600 s).")),
  host: HostSchema.prefault({}),
  vms: z12.array(VmSchema).min(1).max(16).prefault([{}]),
  workload: WorkloadSchema.prefault({ kind: "fio" }),
  faults: z12.array(FaultSchema).max(1e4).default([]).meta(doc3("Faults at simulated times (docs/model.md#faults).")),
  costs: CostsSchema.default({}),
  claims: z12.array(ClaimSpecSchema).max(64).default([])
});
var ScenarioSchema = ScenarioObject.superRefine(checkReferences);
function checkReferences(s2, ctx) {
  const vmNames = /* @__PURE__ */ new Set();
  s2.vms.forEach((vm, i) => {
    if (vmNames.has(vm.name)) ctx.addIssue({ code: "custom", path: ["vms", i, "name"], message: `duplicate VM name "${vm.name}"` });
    vmNames.add(vm.name);
  });
  const deviceNames = /* @__PURE__ */ new Set();
  s2.vms.forEach(
    (vm, i) => vm.devices.forEach((d, j) => {
      if (deviceNames.has(d.name)) {
        ctx.addIssue({ code: "custom", path: ["vms", i, "devices", j, "name"], message: `duplicate device name "${d.name}"` });
      }
      deviceNames.add(d.name);
    })
  );
  if (s2.workload.kind === "fio" && s2.workload.device !== void 0 && !deviceNames.has(s2.workload.device)) {
    ctx.addIssue({ code: "custom", path: ["workload", "device"], message: `no device named "${s2.workload.device}"` });
  }
  for (const p of workloadReferenceProblems(s2)) ctx.addIssue({ code: "custom", path: p.path, message: p.message });
}

// core/scenario/platforms.ts
var HYPERVISORS_BY_ARCH = {
  x86_64: ["kvm"],
  s390x: ["kvm", "zvm", "lpar"],
  ppc64le: ["kvm", "powernv", "powervm-nested"]
};
var SCHEMA_BACKEND = { value: "type1v2", source: "schema default: VFIO type1 v2, what QEMU picks on x86 and s390 hosts" };
var SCHEMA_VIOMMU = { value: "none", source: "schema default: no vIOMMU, guest RAM is mapped once at boot" };
var ARCH_DEFAULTS = {
  x86_64: { backend: SCHEMA_BACKEND, viommu: SCHEMA_VIOMMU },
  s390x: { backend: SCHEMA_BACKEND, viommu: SCHEMA_VIOMMU },
  ppc64le: {
    backend: {
      value: "spapr-tce-v2",
      source: "ppc64le default: QEMU picks VFIO_SPAPR_TCE_v2_IOMMU when the host offers it (POWER8 and later)"
    },
    viommu: { value: "spapr-tce", source: "ppc64le default: a pseries guest always translates DMA through sPAPR TCE windows" }
  }
};
var ARCHES = Object.keys(HYPERVISORS_BY_ARCH);

// core/scenario/loadScenario.ts
function parseScenarioText(text, origin = "scenario") {
  const trimmed = text.trimStart();
  try {
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) return { ok: true, value: JSON.parse(text) };
    return { ok: true, value: parseYaml(text) };
  } catch (err) {
    const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    return { ok: false, problems: [`(${origin}): not valid JSON or YAML: ${message}`] };
  }
}
function parseOverrideValue(raw) {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
var INDEX = /^(0|[1-9][0-9]*)$/;
var FORBIDDEN_KEYS = /* @__PURE__ */ new Set(["__proto__", "prototype", "constructor"]);
function applyOverrides(input, overrides) {
  const root = JSON.parse(JSON.stringify(input ?? {}));
  const problems = [];
  for (const entry of overrides) {
    const eq = entry.indexOf("=");
    if (eq <= 0) {
      problems.push(`--set ${entry}: expected path=value, e.g. host.vfio.dmaEntryLimit=1024`);
      continue;
    }
    const path = entry.slice(0, eq).split(/(?<!\\)\./).map((p) => p.replace(/\\\./g, "."));
    const problem = setPath(root, path, parseOverrideValue(entry.slice(eq + 1)));
    if (problem !== null) problems.push(`--set ${entry.slice(0, eq)}: ${problem}`);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: root };
}
function setPath(root, path, value) {
  if (path.some((p) => p === "" || FORBIDDEN_KEYS.has(p))) return "empty or forbidden path segment";
  if (typeof root !== "object" || root === null || Array.isArray(root)) return "the scenario is not an object";
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    const last = i === path.length - 1;
    if (Array.isArray(node)) {
      if (!INDEX.test(key)) return `"${path.slice(0, i).join(".")}" is a list; "${key}" is not an index`;
      const idx = Number(key);
      if (idx > node.length) return `index ${idx} is past the end of "${path.slice(0, i).join(".")}" (length ${node.length})`;
      if (last) {
        node[idx] = value;
        return null;
      }
      node[idx] ??= INDEX.test(path[i + 1]) ? [] : {};
      const next = node[idx];
      if (typeof next !== "object" || next === null) return `"${path.slice(0, i + 1).join(".")}" is not an object or list`;
      node = next;
    } else {
      if (last) {
        node[key] = value;
        return null;
      }
      node[key] ??= INDEX.test(path[i + 1]) ? [] : {};
      const next = node[key];
      if (typeof next !== "object" || next === null) return `"${path.slice(0, i + 1).join(".")}" is not an object or list`;
      node = next;
    }
  }
  return null;
}
function formatIssues(issues) {
  return issues.map((i) => `${i.path.length > 0 ? i.path.map(String).join(".") : "(root)"}: ${i.message}`);
}
function isObject(x) {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
function withArchDefaults(input) {
  if (!isObject(input) || !isObject(input["host"]) || input["host"]["arch"] !== "ppc64le") return input;
  const defaults = ARCH_DEFAULTS.ppc64le;
  const host = input["host"];
  const vfio = isObject(host["vfio"]) ? host["vfio"] : {};
  const out = { ...input, host: { ...host, vfio: { backend: defaults.backend.value, ...vfio } } };
  if (Array.isArray(input["vms"])) {
    out["vms"] = input["vms"].map((vm) => {
      if (!isObject(vm)) return vm;
      const viommu = isObject(vm["viommu"]) ? vm["viommu"] : {};
      return { ...vm, viommu: { model: defaults.viommu.value, ...viommu } };
    });
  } else if (input["vms"] === void 0) {
    out["vms"] = [{ viommu: { model: defaults.viommu.value } }];
  }
  return out;
}
function validateScenario(input, check) {
  const parsed = ScenarioSchema.safeParse(withArchDefaults(input));
  if (!parsed.success) return { ok: false, problems: formatIssues(parsed.error.issues) };
  const problems = [...platformProblems(parsed.data), ...check?.(parsed.data) ?? []];
  return problems.length === 0 ? { ok: true, scenario: parsed.data } : { ok: false, problems };
}
function loadScenario(source, overrides = [], seed, check) {
  let value = source.value;
  if (source.text !== void 0) {
    const parsed = parseScenarioText(source.text, source.origin);
    if (!parsed.ok) return parsed;
    value = parsed.value;
  }
  const all = seed === void 0 ? overrides : [...overrides, `seed=${seed}`];
  const overridden = applyOverrides(value, all);
  if (!overridden.ok) return overridden;
  return validateScenario(overridden.value, check);
}
function platformProblems(scenario) {
  const problems = [];
  const { arch, hypervisor } = scenario.host;
  if (!HYPERVISORS_BY_ARCH[arch].includes(hypervisor)) {
    problems.push(`host.hypervisor: "${hypervisor}" does not run on ${arch} (${arch}: ${HYPERVISORS_BY_ARCH[arch].join(", ")})`);
  }
  const spaprBackend = scenario.host.vfio.backend.startsWith("spapr");
  if (arch === "ppc64le" && !spaprBackend) {
    problems.push(
      `host.vfio.backend: a pseries guest's DMA windows need the SPAPR TCE backend (spapr-tce-v2 or spapr-tce-v1), not ${scenario.host.vfio.backend}`
    );
  }
  if (arch !== "ppc64le" && spaprBackend) problems.push(`host.vfio.backend: ${scenario.host.vfio.backend} exists only on ppc64le hosts`);
  scenario.vms.forEach((vm, i) => {
    const spaprModel = vm.viommu.model === "spapr-tce";
    if (arch === "ppc64le" && !spaprModel) {
      problems.push(
        `vms.${i}.viommu.model: a pseries guest always translates DMA through sPAPR TCE windows: use "spapr-tce", not "${vm.viommu.model}"`
      );
    }
    if (arch !== "ppc64le" && spaprModel) problems.push(`vms.${i}.viommu.model: "spapr-tce" is the pseries (ppc64le) IOMMU`);
  });
  return problems;
}

// core/ops/vfioOps.ts
import { z as z13 } from "zod";

// core/model/base/errno.ts
var LINUX_ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOTTY: 25,
  ENOSPC: 28,
  EDEADLK: 35,
  EOVERFLOW: 75,
  EMSGSIZE: 90,
  EOPNOTSUPP: 95,
  EADDRINUSE: 98
};
var OK = 0;
var { EPERM, ENOENT, ESRCH, EIO, ENXIO, E2BIG, ENOMEM, EFAULT, EBUSY, EEXIST, ENODEV, EINVAL, ENOTTY, ENOSPC, EDEADLK } = LINUX_ERRNO;
var { EOVERFLOW, EMSGSIZE, EOPNOTSUPP, EADDRINUSE } = LINUX_ERRNO;
var LINUX_NAMES = new Map(Object.entries(LINUX_ERRNO).map(([k, v]) => [v, k]));
function linuxErrnoName(code) {
  if (code === 0) return null;
  const name2 = LINUX_NAMES.get(Math.abs(code));
  if (name2 === void 0) throw new Error(`unknown errno ${code}`);
  return name2;
}

// core/model/vfio/vfioContainerApi.ts
var VFIO_DMA_MAP_FLAG_READ = 1 << 0;
var VFIO_DMA_MAP_FLAG_WRITE = 1 << 1;
var VFIO_DMA_MAP_FLAG_VADDR = 1 << 2;
var VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP = 1 << 0;
var VFIO_DMA_UNMAP_FLAG_ALL = 1 << 1;
var VFIO_DMA_UNMAP_FLAG_VADDR = 1 << 2;
var VFIO_IOMMU_INFO_PGSIZES = 1 << 0;
var VFIO_IOMMU_INFO_CAPS = 1 << 1;

// core/model/base/pages.ts
var PAGE_SHIFT = 12;
var PAGE_SIZE = 2 ** PAGE_SHIFT;
function alignUp(x, align) {
  return Math.ceil(x / align) * align;
}
function alignDown(x, align) {
  return Math.floor(x / align) * align;
}
function isAligned(x, align) {
  return align <= 1 || x % align === 0;
}
function pagesSpanned(addr, bytes, pageSize = PAGE_SIZE) {
  return Math.ceil((addr % pageSize + bytes) / pageSize);
}

// core/model/base/bits.ts
var TWO_32 = 4294967296;
var U64_END = 2 ** 64;
function lowestSetBit(x) {
  if (x <= 2147483647) return x & -x;
  const lo2 = x % TWO_32;
  if (lo2 !== 0) return (lo2 & -lo2) >>> 0;
  return lowestSetBit(Math.floor(x / TWO_32)) * TWO_32;
}
function isPowerOfTwo2(n) {
  return n > 0 && Number.isInteger(n) && lowestSetBit(n) === n;
}
function roundUpPowerOfTwo(n) {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
function roundDownPowerOfTwo(x) {
  let p = 2 ** Math.floor(Math.log2(x));
  if (p > x) p /= 2;
  else if (p * 2 <= x) p *= 2;
  return p;
}
function bitsPer(x) {
  let b = 0;
  while (b < 64 && 2 ** b <= x) b++;
  return b;
}
function popcount32(x) {
  let v = x >>> 0;
  v = v - (v >>> 1 & 1431655765);
  v = (v & 858993459) + (v >>> 2 & 858993459);
  return (v + (v >>> 4) & 252645135) * 16843009 >>> 24;
}
function popcount(x) {
  if (x < TWO_32) return popcount32(x);
  return popcount32(x % TWO_32) + popcount32(Math.floor(x / TWO_32));
}

// core/model/vfio/vfioDma.ts
var VFIO_PIN_BATCH_PAGES = 512;
var VFIO_IOMMU_TLB_SYNC_MAX = 512;
var VfioDma = class {
  constructor(start, sizeBytes, pinVaddr, prot, mapSeq) {
    this.start = start;
    this.sizeBytes = sizeBytes;
    this.pinVaddr = pinVaddr;
    this.prot = prot;
    this.mapSeq = mapSeq;
    this.last = start + sizeBytes - PAGE_SIZE;
    this.pages = sizeBytes / PAGE_SIZE;
    this.vaddr = pinVaddr;
  }
  /**
   * Start of the last 4 KiB page (the IntervalMap key range). Mapping bounds are page aligned, so
   * page-granular intervals overlap exactly when the byte ranges do, and unlike the inclusive last
   * byte (k*4096-1) they stay exact in a double up to 2^64.
   */
  last;
  /** Pages covered, pinned and charged once pinAndMap succeeded. */
  pages;
  /** Host PTEs in all domains together. */
  ptes = 0;
  /** Current user address (VFIO_DMA_MAP_FLAG_VADDR may replace it). */
  vaddr;
  /** Set by VFIO_DMA_UNMAP_FLAG_VADDR until a MAP_DMA with FLAG_VADDR supplies a new vaddr. */
  vaddrInvalid = false;
  /** Exclusive end of the IOVA range. */
  get endExcl() {
    return this.start + this.sizeBytes;
  }
  /**
   * vfio_pin_map_dma: pin, charge and map the whole range, all or nothing. Returns 0, EFAULT (a page
   * that is not mapped in the process) or ENOMEM (RLIMIT_MEMLOCK exceeded, or an injected failure
   * of a pin batch or an iommu_map); on error every pin, charge and PTE made here is undone.
   */
  pinAndMap(env, domains, tally) {
    const { process: process2, faults, costs } = env;
    const capacity = env.disableHugepages ? 1 : VFIO_PIN_BATCH_PAGES;
    let mapped = 0;
    let batchLeft = 0;
    let pinnedTotal = 0;
    let ptes = 0;
    let err = 0;
    while (mapped < this.pages) {
      const vaddr = this.pinVaddr + mapped * PAGE_SIZE;
      const runPages = env.disableHugepages ? 1 : process2.contiguousBytes(vaddr, (this.pages - mapped) * PAGE_SIZE) / PAGE_SIZE;
      let charged = 0;
      while (charged < runPages) {
        if (batchLeft === 0) {
          const want = Math.min(this.pages - mapped - charged, capacity);
          const got = mappedPrefixPages(process2, vaddr + charged * PAGE_SIZE, want);
          if (got === 0) {
            err = EFAULT;
            break;
          }
          if (faults.fail("pin")) {
            err = ENOMEM;
            break;
          }
          tally.pinBatches++;
          tally.costNs += got * costs.vfioPinPerPageNs;
          pinnedTotal += got;
          batchLeft = got;
        }
        const take = Math.min(runPages - charged, batchLeft);
        if (charged + take > process2.lockablePages()) {
          process2.tryLock(charged + take);
          err = ENOMEM;
          break;
        }
        charged += take;
        batchLeft -= take;
      }
      if (err !== 0) break;
      if (!process2.tryLock(charged)) throw new Error("locked-memory budget changed while pinning");
      const runPtes = this.mapRunOnAll(env, domains, mapped, charged, tally);
      if (runPtes < 0) {
        process2.unlock(charged);
        err = ENOMEM;
        break;
      }
      ptes += runPtes;
      mapped += charged;
    }
    if (err === 0) {
      this.ptes = ptes;
      return 0;
    }
    tally.costNs += pinnedTotal * costs.vfioUnpinPerPageNs;
    if (mapped > 0) {
      process2.unlock(mapped);
      tally.costNs += this.unmapFromDomains(env, domains, mapped, ptes);
    }
    return err;
  }
  /** vfio_remove_dma's vfio_unmap_unpin: every PTE removed, every page unpinned and uncharged. */
  unmapUnpin(env, domains, tally) {
    tally.costNs += this.unmapFromDomains(env, domains, this.pages, this.ptes) + this.pages * env.costs.vfioUnpinPerPageNs;
    env.process.unlock(this.pages);
    this.ptes = 0;
  }
  /**
   * vfio_iommu_replay for this mapping onto a new domain: one iommu_map per physically contiguous
   * run, without pinning again (the pages are pinned and charged already). Returns 0 or ENOMEM
   * (injected iommu_map failure); `tally.ptesMapped` gets the PTEs mapped, which the caller unmaps
   * (by discarding the domain) on failure.
   */
  replayOnto(env, slot, tally) {
    const { process: process2 } = env;
    let page = 0;
    while (page < this.pages) {
      const vaddr = this.pinVaddr + page * PAGE_SIZE;
      const runBytes = process2.contiguousBytes(vaddr, (this.pages - page) * PAGE_SIZE);
      if (env.faults.fail("iommu-map")) return ENOMEM;
      const r = slot.iommu.mapRun(this.start + page * PAGE_SIZE, process2.physOffsetInChunk(vaddr), process2.chunkBytes, runBytes);
      tally.costNs += r.costNs;
      tally.hostIommuMaps++;
      tally.ptesMapped += r.ptes;
      page += runBytes / PAGE_SIZE;
    }
    return 0;
  }
  /** PTEs this mapping holds in `slot` over its first `toPage` pages (a run boundary). */
  ptesIn(env, slot, toPage = this.pages) {
    if (env.disableHugepages && slot.seq <= this.mapSeq) return toPage;
    const { process: process2 } = env;
    let ptes = 0;
    let page = 0;
    while (page < toPage) {
      const vaddr = this.pinVaddr + page * PAGE_SIZE;
      const runBytes = process2.contiguousBytes(vaddr, (toPage - page) * PAGE_SIZE);
      ptes += slot.iommu.ptesFor(this.start + page * PAGE_SIZE, process2.physOffsetInChunk(vaddr), process2.chunkBytes, runBytes);
      page += runBytes / PAGE_SIZE;
    }
    return ptes;
  }
  /**
   * vfio_iommu_map for one pinned run: iommu_map on every domain in list order, unwinding the
   * domains already mapped if one fails. Returns the PTEs added, or -1 after an injected failure.
   */
  mapRunOnAll(env, domains, fromPage, pages, tally) {
    const { process: process2 } = env;
    const iova = this.start + fromPage * PAGE_SIZE;
    const vaddr = this.pinVaddr + fromPage * PAGE_SIZE;
    const physOffset = process2.physOffsetInChunk(vaddr);
    const bytes = pages * PAGE_SIZE;
    let ptes = 0;
    for (let i = 0; i < domains.length; i++) {
      if (env.faults.fail("iommu-map")) {
        for (let j = 0; j < i; j++) {
          const d = domains[j].iommu;
          tally.costNs += d.unmapPtes(d.ptesFor(iova, physOffset, process2.chunkBytes, bytes)) + d.iotlbSync();
        }
        return -1;
      }
      const r = domains[i].iommu.mapRun(iova, physOffset, process2.chunkBytes, bytes);
      tally.costNs += r.costNs;
      tally.hostIommuMaps++;
      ptes += r.ptes;
    }
    return ptes;
  }
  /**
   * vfio_unmap_unpin's IOMMU side over the first `toPage` pages: the other domains get one
   * iommu_unmap (which syncs) each; the first domain is walked by physically contiguous chunks
   * (iommu_iova_to_phys), one iommu_unmap_fast per chunk, one IOTLB sync per 512 chunks and one for
   * the rest. Fine-grained-superpage domains (AMD-Vi) are not modelled. Returns the cost in ns.
   */
  unmapFromDomains(env, domains, toPage, expectPtes) {
    const { process: process2 } = env;
    let costNs = 0;
    let removed = 0;
    for (let i = 1; i < domains.length; i++) {
      const slot = domains[i];
      const n = this.ptesIn(env, slot, toPage);
      costNs += slot.iommu.unmapPtes(n) + slot.iommu.iotlbSync();
      removed += n;
    }
    const first = domains[0];
    const perPage = env.disableHugepages && first.seq <= this.mapSeq;
    let regions = 0;
    let page = 0;
    while (page < toPage) {
      const vaddr = this.pinVaddr + page * PAGE_SIZE;
      const runBytes = process2.contiguousBytes(vaddr, (toPage - page) * PAGE_SIZE);
      const runPages = runBytes / PAGE_SIZE;
      const n = perPage ? runPages : first.iommu.ptesFor(this.start + page * PAGE_SIZE, process2.physOffsetInChunk(vaddr), process2.chunkBytes, runBytes);
      costNs += first.iommu.unmapPtes(n);
      removed += n;
      if (++regions >= VFIO_IOMMU_TLB_SYNC_MAX) {
        costNs += first.iommu.iotlbSync();
        regions = 0;
      }
      page += runPages;
    }
    if (regions > 0) costNs += first.iommu.iotlbSync();
    if (removed !== expectPtes) throw new Error(`vfio_dma at ${this.start}: unmapped ${removed} PTEs, expected ${expectPtes}`);
    return costNs;
  }
};
function unmapSinglePages(domains, times) {
  let costNs = 0;
  for (let i = 1; i < domains.length; i++) {
    const iommu = domains[i].iommu;
    costNs += iommu.unmapSinglePages(times) + iommu.syncRepeated(times);
  }
  const first = domains[0].iommu;
  costNs += first.unmapSinglePages(times);
  costNs += first.syncRepeated(times);
  return costNs;
}
function mapSinglePages(env, domains, times) {
  let costNs = 0;
  costNs += env.costs.vfioPinPerPageNs;
  for (let i = 0; i < domains.length; i++) costNs += domains[i].iommu.mapSinglePages(times);
  return costNs;
}
function mappedPrefixPages(process2, vaddr, want) {
  if (process2.isMapped(vaddr, want * PAGE_SIZE)) return want;
  let ok = 0;
  let bad = want;
  while (bad - ok > 1) {
    const mid = Math.floor((ok + bad) / 2);
    if (process2.isMapped(vaddr, mid * PAGE_SIZE)) ok = mid;
    else bad = mid;
  }
  return ok;
}

// core/model/vfio/vfioDmaRun.ts
var VfioDmaRun = class _VfioDmaRun {
  constructor(start, entries, pinVaddr, prot, mapSeq, ptesPerEntry) {
    this.prot = prot;
    this.mapSeq = mapSeq;
    this.ptesPerEntry = ptesPerEntry;
    this.start = start;
    this.entries = entries;
    this.last = start + (entries - 1) * PAGE_SIZE;
    this.pinVaddr = pinVaddr;
  }
  /** Start of the first entry (the tree key: change it only while the run is out of the tree). */
  start;
  /** Start of the last entry's (only) page, like VfioDma.last. */
  last;
  /** Entries in the run; each one PAGE_SIZE long. */
  entries;
  /** User address pinned for the first entry; entry j pinned pinVaddr + j * PAGE_SIZE. */
  pinVaddr;
  get endExcl() {
    return this.start + this.entries * PAGE_SIZE;
  }
  get sizeBytes() {
    return this.entries * PAGE_SIZE;
  }
  /** Host PTEs of the whole run. */
  get ptes() {
    return this.entries * this.ptesPerEntry;
  }
  /** Index of the entry containing `addr` (which must lie in the run). */
  entryAt(addr) {
    return Math.floor((addr - this.start) / PAGE_SIZE);
  }
  /** Keeps entries [0, n): the tail goes (the key stays). */
  truncate(n) {
    this.entries = n;
    this.last = this.start + (n - 1) * PAGE_SIZE;
  }
  /** Drops entries [0, n): the head goes (the key moves: only while out of the tree). */
  dropHead(n) {
    this.start += n * PAGE_SIZE;
    this.pinVaddr += n * PAGE_SIZE;
    this.entries -= n;
  }
  /** Entries [from, entries) as a run of their own. */
  tailFrom(from) {
    return new _VfioDmaRun(
      this.start + from * PAGE_SIZE,
      this.entries - from,
      this.pinVaddr + from * PAGE_SIZE,
      this.prot,
      this.mapSeq,
      this.ptesPerEntry
    );
  }
  /** A group attach replays each vfio_dma on its own: the container splits runs before one. */
  replayOnto() {
    throw new Error(`vfio_dma run at ${this.start}: split runs before a replay`);
  }
  /** The entries as the VfioDma objects the kernel would hold. */
  toEntries() {
    const out = [];
    for (let j = 0; j < this.entries; j++) {
      const dma = new VfioDma(this.start + j * PAGE_SIZE, PAGE_SIZE, this.pinVaddr + j * PAGE_SIZE, this.prot, this.mapSeq);
      dma.ptes = this.ptesPerEntry;
      out.push(dma);
    }
    return out;
  }
};

// core/model/base/intervalMap.ts
import SortedBTree from "sorted-btree";
var BTree = SortedBTree.default ?? SortedBTree;
var IntervalMap = class {
  // Keys are plain numbers: a subtraction beats the library's default comparator (which handles mixed types).
  tree = new BTree(void 0, numericCompare);
  /** Reused result pair of the tree's lookups (no allocation per lookup on the hot paths). */
  pair = [0, void 0];
  get size() {
    return this.tree.size;
  }
  /** The lowest interval that overlaps [start, last], if any. */
  firstOverlap(start, last) {
    const below = this.tree.getPairOrNextLower(start, this.pair);
    if (below !== void 0 && below[1].last >= start) return below[1];
    const above = this.tree.nextHigherPair(start, this.pair);
    return above !== void 0 && above[0] <= last ? above[1] : void 0;
  }
  /**
   * Whether the intervals leave no gap in [start, last]; `granule` is the unit of the keys (an
   * interval ending at `last` is followed by one starting at `last + granule`).
   */
  covers(start, last, granule = 1) {
    let addr = start;
    while (addr <= last) {
      const hit = this.containing(addr);
      if (hit === void 0) return false;
      if (hit.last >= last) return true;
      let step = granule;
      while (hit.last + step <= hit.last) step *= 2;
      addr = hit.last + step;
    }
    return true;
  }
  /** The interval containing `addr`, if any. */
  containing(addr) {
    const below = this.tree.getPairOrNextLower(addr, this.pair);
    return below !== void 0 && below[1].last >= addr ? below[1] : void 0;
  }
  /** Intervals overlapping [start, last], in address order (a snapshot: safe to delete while iterating). */
  overlapping(start, last) {
    const out = [];
    let cur = this.firstOverlap(start, last);
    while (cur !== void 0 && cur.start <= last) {
      out.push(cur);
      const next = this.tree.nextHigherPair(cur.start, this.pair);
      cur = next?.[1];
    }
    return out;
  }
  /** The interval following `v` in address order. */
  next(v) {
    return this.tree.nextHigherPair(v.start, this.pair)?.[1];
  }
  /** The interval preceding `v` in address order (rb_prev). */
  prev(v) {
    return this.tree.nextLowerPair(v.start, this.pair)?.[1];
  }
  /** The interval with the highest start. */
  last() {
    const k = this.tree.maxKey();
    return k === void 0 ? void 0 : this.tree.get(k);
  }
  /**
   * Intervals in descending order of start, beginning with the last one that starts below `start`
   * (with the highest, when `start` is undefined): a backwards walk at O(1) per step.
   */
  *descendingBelow(start) {
    const pair = [];
    const it = start === void 0 ? this.tree.entriesReversed(void 0, pair) : this.tree.entriesReversed(start, pair, true);
    for (let r = it.next(); r.done !== true; r = it.next()) yield r.value[1];
  }
  /** The first interval whose start is >= `addr`. */
  firstStartingAtOrAfter(addr) {
    return this.tree.getPairOrNextHigher(addr, this.pair)?.[1];
  }
  first() {
    const k = this.tree.minKey();
    return k === void 0 ? void 0 : this.tree.get(k);
  }
  insert(v) {
    if (v.last < v.start) throw new RangeError(`interval [${v.start}, ${v.last}] is empty`);
    if (this.firstOverlap(v.start, v.last) !== void 0) throw new Error(`interval [${v.start}, ${v.last}] overlaps an existing one`);
    this.tree.set(v.start, v);
  }
  /**
   * insert() for a caller that has just checked [start, last] against the map (the models' own
   * EEXIST checks): skips the second overlap search on the hot paths.
   */
  insertChecked(v) {
    this.tree.set(v.start, v);
  }
  delete(v) {
    return this.tree.delete(v.start);
  }
  clear() {
    this.tree.clear();
  }
  values() {
    return this.tree.values();
  }
};
function numericCompare(a, b) {
  return a - b;
}

// core/model/vfio/vfioDmaTree.ts
var VfioDmaTree = class {
  constructor(dmaEntryLimit) {
    this.dmaEntryLimit = dmaEntryLimit;
    this.dmaAvail = dmaEntryLimit;
  }
  /** Keyed by IOVA; intervals are [start, start of the last 4 KiB page] (see VfioDma.last). */
  map = new IntervalMap();
  /** vfio_dma entries (a run counts each of its entries). */
  entryCount = 0;
  dmaAvail;
  /** Pages this container has charged to the process (its share of locked_vm). */
  lockedPages = 0;
  vaddrInvalidCount = 0;
  get size() {
    return this.entryCount;
  }
  /** vfio_link_dma of a fully pinned and mapped vfio_dma (its range checked free by the caller); takes one entry. */
  insert(dma) {
    this.map.insertChecked(dma);
    this.dmaAvail--;
    this.entryCount++;
    this.lockedPages += dma.pages;
  }
  /** vfio_link_dma of each entry of a pinned and mapped run (its range checked free by the caller). */
  insertRun(run) {
    this.map.insertChecked(run);
    this.dmaAvail -= run.entries;
    this.entryCount += run.entries;
    this.lockedPages += run.entries;
  }
  /** Turns every run overlapping [start, last] back into single entries (before per-entry operations). */
  splitRuns(start, last) {
    for (const node of this.map.overlapping(start, last)) {
      if (!(node instanceof VfioDmaRun)) continue;
      this.map.delete(node);
      for (const dma of node.toEntries()) this.map.insertChecked(dma);
    }
  }
  /** vfio_remove_dma: unmap and unpin, unlink, give the entry back. */
  remove(dma, env, domains, tally) {
    dma.unmapUnpin(env, domains, tally);
    this.map.delete(dma);
    this.dmaAvail++;
    this.entryCount--;
    this.lockedPages -= dma.pages;
    if (dma.vaddrInvalid) this.vaddrInvalidCount--;
  }
  /**
   * The removal loop of vfio_dma_do_unmap from `first` (the lowest mapping overlapping the range):
   * every mapping starting before `endExcl` goes whole, even past the range end; v1 stops at a
   * mapping that starts before `iova` (a range starting inside a mapping removes nothing of it).
   * Returns the bytes removed.
   */
  removeRange(version, first, iova, endExcl, env, domains, tally) {
    let removed = 0;
    let node = first;
    while (node !== void 0 && node.start < endExcl) {
      const next = this.map.next(node);
      if (node instanceof VfioDmaRun) {
        const from = iova > node.start ? Math.ceil((iova - node.start) / PAGE_SIZE) : 0;
        if (version === 1 && from < node.entries && iova > node.start + from * PAGE_SIZE) break;
        const to = Math.min(node.entries, Math.ceil((endExcl - node.start) / PAGE_SIZE));
        if (from < to) {
          removed += (to - from) * PAGE_SIZE;
          this.removeRunEntries(node, from, to, env, domains, tally);
        }
      } else {
        if (version === 1 && iova > node.start) break;
        removed += node.sizeBytes;
        this.remove(node, env, domains, tally);
      }
      node = next;
    }
    return removed;
  }
  /**
   * vfio_remove_dma of entries [from, to) of a run, in address order: each entry's unmap and unpin
   * costs what a single-page vfio_dma's does (added one entry at a time, as the kernel's loop
   * would); the run keeps its other entries, split in two when the removed ones lie inside it.
   */
  removeRunEntries(run, from, to, env, domains, tally) {
    const n = to - from;
    const perEntry = unmapSinglePages(domains, n) + env.costs.vfioUnpinPerPageNs;
    for (let j = 0; j < n; j++) tally.costNs += perEntry;
    env.process.unlock(n);
    this.dmaAvail += n;
    this.entryCount -= n;
    this.lockedPages -= n;
    if (from === 0 && to === run.entries) {
      this.map.delete(run);
    } else if (from === 0) {
      this.map.delete(run);
      run.dropHead(to);
      this.map.insertChecked(run);
    } else {
      const tail = to < run.entries ? run.tailFrom(to) : null;
      run.truncate(from);
      if (tail !== null) this.map.insertChecked(tail);
    }
  }
  /**
   * vfio_dma_do_unmap with FLAG_VADDR: the same walk marks vaddrs invalid (mappings stay); meeting
   * a mapping already invalid undoes this call's marks and fails. Returns the bytes marked, or -1
   * for -EINVAL.
   */
  invalidateVaddrs(version, first, iova, endExcl) {
    let marked = 0;
    let dma = first;
    while (dma !== void 0 && dma.start < endExcl) {
      if (dma instanceof VfioDmaRun) throw new Error("invalidateVaddrs over a run: split runs first");
      if (version === 1 && iova > dma.start) break;
      if (dma.vaddrInvalid) {
        for (let d = first; d !== void 0 && d !== dma; d = this.map.next(d)) {
          if (d instanceof VfioDmaRun) throw new Error("invalidateVaddrs over a run: split runs first");
          d.vaddrInvalid = false;
          this.vaddrInvalidCount--;
        }
        return -1;
      }
      dma.vaddrInvalid = true;
      this.vaddrInvalidCount++;
      marked += dma.sizeBytes;
      dma = this.map.next(dma);
    }
    return marked;
  }
  /** vfio_dma_do_map with FLAG_VADDR: only an invalidated mapping matched exactly gets a new vaddr. */
  updateVaddr(hit, iova, sizeBytes, vaddr) {
    if (hit === void 0) return ENOENT;
    if (hit instanceof VfioDmaRun) throw new Error("updateVaddr on a run: split runs first");
    if (!hit.vaddrInvalid || hit.start !== iova || hit.sizeBytes !== sizeBytes) return EINVAL;
    hit.vaddr = vaddr;
    hit.vaddrInvalid = false;
    this.vaddrInvalidCount--;
    return 0;
  }
  /** Every vfio_dma in address order (a run's entries one by one). */
  *dmas() {
    for (const node of this.map.values()) {
      if (node instanceof VfioDmaRun) yield* node.toEntries();
      else yield node;
    }
  }
  snapshot() {
    return [...this.dmas()].map((m) => ({
      iova: m.start,
      sizeBytes: m.sizeBytes,
      vaddr: m.vaddr,
      pinVaddr: m.pinVaddr,
      prot: m.prot,
      mapSeq: m.mapSeq,
      pages: m.pages,
      ptes: m.ptes,
      vaddrInvalid: m.vaddrInvalid
    }));
  }
  /**
   * dma_avail + entries = limit; no two mappings overlap and each fits the valid IOVA list; the
   * charged pages are the mappings' pages; each domain's live PTEs are its mappings' layout; the
   * live PTEs of all domains are the sum of the mappings' PTEs.
   */
  checkInvariants(iovaList, domains, env) {
    const broken = [];
    let entries = 0;
    let pages = 0;
    let ptes = 0;
    let invalid = 0;
    let prevEnd = -1;
    for (const m of this.dmas()) {
      if (m.start < prevEnd) broken.push(`mapping at ${m.start} overlaps the previous one (ending at ${prevEnd})`);
      if (!iovaList.containsRange(m.start, m.endExcl)) broken.push(`mapping at ${m.start} is outside the valid IOVA list`);
      prevEnd = m.endExcl;
      entries++;
      pages += m.pages;
      ptes += m.ptes;
      if (m.vaddrInvalid) invalid++;
    }
    if (entries !== this.entryCount) broken.push(`entry count ${this.entryCount} != entries in the tree ${entries}`);
    if (this.dmaAvail + entries !== this.dmaEntryLimit) {
      broken.push(`dma_avail ${this.dmaAvail} + entries ${entries} != dma_entry_limit ${this.dmaEntryLimit}`);
    }
    if (pages !== this.lockedPages) broken.push(`locked pages charged ${this.lockedPages} != pages pinned by mappings ${pages}`);
    if (invalid !== this.vaddrInvalidCount) broken.push(`vaddr_invalid_count ${this.vaddrInvalidCount} != invalid mappings ${invalid}`);
    let live = 0;
    for (const d of domains) {
      live += d.iommu.livePtes;
      let expect = 0;
      for (const m of this.dmas()) expect += m.ptesIn(env, d);
      if (expect !== d.iommu.livePtes) broken.push(`domain ${d.seq} holds ${d.iommu.livePtes} PTEs, its mappings need ${expect}`);
    }
    if (live !== ptes) broken.push(`live host PTEs ${live} != sum of the mappings' PTEs ${ptes}`);
    return broken;
  }
};

// core/model/host/hostIommu.ts
var KiB2 = 1024;
var MiB4 = 1024 * KiB2;
var GiB4 = 1024 * MiB4;
function defaultIommuGeometry(arch) {
  switch (arch) {
    case "x86_64":
      return {
        apertureStart: 0,
        apertureLast: 2 ** 48 - 1,
        pageSizes: [4 * KiB2, 2 * MiB4, GiB4],
        reserved: [{ start: 4276092928, last: 4277141503, kind: "msi" }]
      };
    case "s390x":
      return {
        apertureStart: 0,
        apertureLast: 2 ** 42 - 1,
        pageSizes: [4 * KiB2],
        reserved: [{ start: 0, last: 4294967295, kind: "reserved" }]
      };
    case "ppc64le":
      return { apertureStart: 0, apertureLast: 2 ** 48 - 1, pageSizes: [4 * KiB2, 64 * KiB2, 2 * MiB4, GiB4], reserved: [] };
    default: {
      const never = arch;
      throw new Error(`unknown arch ${String(never)}`);
    }
  }
}
var HostIommuDomain = class {
  constructor(geometry, costs) {
    this.geometry = geometry;
    this.costs = costs;
  }
  ptes = 0;
  ptesPeak = 0;
  mapCalls = 0;
  unmapCalls = 0;
  iotlbSyncs = 0;
  get minPageSize() {
    return this.geometry.pageSizes[0];
  }
  get livePtes() {
    return this.ptes;
  }
  get peakPtes() {
    return this.ptesPeak;
  }
  /**
   * PTEs needed to map `bytes` at `iova` from one physically contiguous run that starts `physOffset`
   * bytes into a naturally aligned backing chunk of `chunkBytes`: at each step the largest supported
   * page that both addresses are aligned to and that fits (iommu_pgsize in drivers/iommu/iommu.c).
   */
  ptesFor(iova, physOffset, chunkBytes, bytes) {
    const sizes = this.geometry.pageSizes;
    let count = 0;
    let offset = 0;
    while (offset < bytes) {
      const cur = iova + offset;
      const iovaAlign = cur === 0 ? Infinity : lowestSetBit(cur);
      const inChunk = (physOffset + offset) % chunkBytes;
      const physAlign = inChunk === 0 ? chunkBytes : lowestSetBit(inChunk);
      const align = Math.min(iovaAlign, physAlign);
      let pg = sizes[0];
      for (let i = sizes.length - 1; i >= 0; i--) {
        const s2 = sizes[i];
        if (s2 <= align && s2 <= bytes - offset) {
          pg = s2;
          break;
        }
      }
      offset += pg;
      count++;
    }
    return count;
  }
  /** iommu_map of one physically contiguous run; returns the simulated cost in ns. */
  mapRun(iova, physOffset, chunkBytes, bytes) {
    const ptes = this.ptesFor(iova, physOffset, chunkBytes, bytes);
    this.ptes += ptes;
    if (this.ptes > this.ptesPeak) this.ptesPeak = this.ptes;
    this.mapCalls++;
    return { ptes, costNs: this.costs.hostIommuMapNs + ptes * this.costs.hostPteWriteNs };
  }
  /**
   * `times` iommu_map calls of one PTE each (a run of single-page mappings, each its own call);
   * returns the cost of one call, as mapRun would.
   */
  mapSinglePages(times) {
    this.ptes += times;
    if (this.ptes > this.ptesPeak) this.ptesPeak = this.ptes;
    this.mapCalls += times;
    return this.costs.hostIommuMapNs + this.costs.hostPteWriteNs;
  }
  /** `times` iommu_unmap calls of one PTE each; returns the cost of one call, as unmapPtes(1) would. */
  unmapSinglePages(times) {
    if (times > this.ptes) throw new Error(`unmapping ${times} PTEs but only ${this.ptes} are mapped`);
    this.ptes -= times;
    this.unmapCalls += times;
    return this.costs.hostIommuMapNs + this.costs.hostPteWriteNs;
  }
  /** `times` IOTLB syncs; returns the cost of one. */
  syncRepeated(times) {
    this.iotlbSyncs += times;
    return this.costs.hostIotlbInvalidationNs;
  }
  /** iommu_unmap of PTEs previously mapped (the caller remembers how many); returns the cost in ns. */
  unmapPtes(ptes) {
    if (ptes > this.ptes) throw new Error(`unmapping ${ptes} PTEs but only ${this.ptes} are mapped`);
    this.ptes -= ptes;
    this.unmapCalls++;
    return this.costs.hostIommuMapNs + ptes * this.costs.hostPteWriteNs;
  }
  /** One IOTLB sync (iommu_iotlb_sync) covering a gathered batch of unmapped regions. */
  iotlbSync() {
    this.iotlbSyncs++;
    return this.costs.hostIotlbInvalidationNs;
  }
};

// core/model/vfio/vfioIovaList.ts
function exclusiveEnd(last) {
  return last + 1;
}
var VfioIovaList = class _VfioIovaList {
  constructor(spans) {
    this.spans = spans;
  }
  /** A container before its first group: no restriction yet (vfio_iommu_type1_open). */
  static empty() {
    return new _VfioIovaList([]);
  }
  get isEmpty() {
    return this.spans.length === 0;
  }
  get ranges() {
    return this.spans;
  }
  /** First address of the lowest range (the list must not be empty). */
  get lowest() {
    return this.spans[0].start;
  }
  /** Exclusive end of the highest range (the list must not be empty). */
  get highestEndExcl() {
    return this.spans[this.spans.length - 1].endExcl;
  }
  /**
   * vfio_iommu_iova_dma_valid: [start, endExcl) lies inside one range. The kernel also accepts
   * anything when the list is empty (an mdev-only container); a container here always has a
   * domain, and an attach that would empty the list fails, so the list is never empty.
   */
  containsRange(start, endExcl) {
    for (const s2 of this.spans) {
      if (start >= s2.start && endExcl <= s2.endExcl) return true;
    }
    return this.spans.length === 0;
  }
  /**
   * vfio_iommu_aper_resize on a copy: the ranges clipped to a new aperture [start, endExcl); an
   * empty list (no group yet) becomes the aperture itself.
   */
  resized(start, endExcl) {
    if (this.spans.length === 0) return new _VfioIovaList([{ start, endExcl }]);
    const out = [];
    for (const s2 of this.spans) {
      const lo2 = Math.max(s2.start, start);
      const hi2 = Math.min(s2.endExcl, endExcl);
      if (lo2 < hi2) out.push({ start: lo2, endExcl: hi2 });
    }
    return new _VfioIovaList(out);
  }
  /**
   * vfio_iommu_resv_exclude on a copy: every reserved region cut out of the ranges. None of our
   * region kinds is IOMMU_RESV_DIRECT_RELAXABLE, so all are excluded.
   */
  excluding(reserved) {
    let spans = this.spans;
    for (const r of reserved) {
      const rStart = r.start;
      const rEnd = exclusiveEnd(r.last);
      const next = [];
      for (const s2 of spans) {
        if (rEnd <= s2.start || rStart >= s2.endExcl) {
          next.push(s2);
          continue;
        }
        if (rStart > s2.start) next.push({ start: s2.start, endExcl: rStart });
        if (rEnd < s2.endExcl) next.push({ start: rEnd, endExcl: s2.endExcl });
      }
      spans = next;
    }
    return new _VfioIovaList(spans === this.spans ? [...spans] : spans);
  }
};

// core/model/vfio/vfioDomainAttach.ts
function planVfioAttach(state, req, env, tally) {
  if (state.vaddrInvalidCount > 0) return { errno: EBUSY };
  if (state.hasDevice(req.device)) return { errno: EINVAL };
  if (env.faults.fail("alloc")) return { errno: ENOMEM };
  const geo = req.geometry;
  const apertureEndExcl = exclusiveEnd(geo.apertureLast);
  if (aperConflict(state, geo.apertureStart, apertureEndExcl)) return { errno: EINVAL };
  for (const r of geo.reserved) {
    if (overlapsMapping(state.dmas, r.start, exclusiveEnd(r.last))) return { errno: EINVAL };
  }
  const iovaList = state.iovaList.resized(geo.apertureStart, apertureEndExcl).excluding(geo.reserved);
  if (iovaList.isEmpty) return { errno: EINVAL };
  if (!req.irqRemapping && !req.allowUnsafeInterrupts) return { errno: EPERM };
  const join = state.domains.find((d) => samePageSizes(d.geometry.pageSizes, geo.pageSizes));
  if (join !== void 0) return { errno: 0, iovaList, join, created: null, replayPtes: [] };
  if (commonPageSizes([...state.domains.map((d) => d.geometry.pageSizes), geo.pageSizes]).length === 0) {
    return { errno: EINVAL };
  }
  const created = {
    iommu: new HostIommuDomain(geo, env.costs),
    seq: state.nextDomainSeq,
    geometry: geo,
    devices: []
  };
  const replayPtes = [];
  for (const dma of state.dmas.values()) {
    tally.ptesMapped = 0;
    const err = dma.replayOnto(env, created, tally);
    replayPtes.push(tally.ptesMapped);
    if (err !== 0) {
      let total = 0;
      for (const n of replayPtes) total += n;
      tally.costNs += created.iommu.unmapPtes(total) + created.iommu.iotlbSync();
      return { errno: err };
    }
  }
  return { errno: 0, iovaList, join: null, created, replayPtes };
}
function commonPageSizes(perDomain) {
  if (perDomain.length === 0) return [PAGE_SIZE];
  let common2 = perDomain[0].filter((s2) => perDomain.every((sizes) => sizes.includes(s2)));
  if (common2.some((s2) => s2 < PAGE_SIZE)) common2 = [PAGE_SIZE, ...common2.filter((s2) => s2 > PAGE_SIZE)];
  return [...new Set(common2)].sort((a, b) => a - b);
}
function aperConflict(state, start, endExcl) {
  const list = state.iovaList;
  if (list.isEmpty) return false;
  const lo2 = list.lowest;
  const hiExcl = list.highestEndExcl;
  if (start >= hiExcl || endExcl <= lo2) return true;
  if (start > lo2 && overlapsMapping(state.dmas, lo2, start)) return true;
  return endExcl < hiExcl && overlapsMapping(state.dmas, endExcl, hiExcl);
}
function overlapsMapping(dmas, start, endExcl) {
  if (endExcl <= start) return false;
  const first = dmas.firstOverlap(alignDown(start, PAGE_SIZE), alignUp(endExcl, PAGE_SIZE) - PAGE_SIZE);
  return first !== void 0 && first.start < endExcl && first.endExcl > start;
}
function samePageSizes(a, b) {
  return a.length === b.length && a.every((s2) => b.includes(s2));
}

// core/sim/faultInjector.ts
var FaultInjector = class {
  constructor(failAt = 0) {
    this.failAt = failAt;
  }
  reached = 0;
  /** Counts one fault-injectable site; true when this is the one to fail. */
  fail(_site) {
    this.reached++;
    return this.failAt > 0 && this.reached === this.failAt;
  }
  /**
   * Sites that can be reached before the one that fails (Infinity when none will fail): a caller
   * that does the work of many sites at once (a run of identical VFIO maps) passes at most this
   * many with pass(), and goes site by site through fail() when the failure is near.
   */
  sitesBeforeFailure() {
    return this.failAt > this.reached ? this.failAt - this.reached - 1 : Infinity;
  }
  /** Counts `sites` sites none of which fails (at most sitesBeforeFailure()). */
  pass(sites) {
    if (sites > this.sitesBeforeFailure()) throw new Error(`pass(${sites}) would skip the failing site`);
    this.reached += sites;
  }
  /** How many sites were reached so far (the sweep stops once failAt exceeds this). */
  get sitesReached() {
    return this.reached;
  }
  get injected() {
    return this.failAt > 0 && this.reached >= this.failAt;
  }
};

// core/sim/metricSink.ts
function addMetric(into, name2, value) {
  into[name2] = (into[name2] ?? 0) + value;
}
function maxMetric(into, name2, value) {
  const prev = into[name2];
  into[name2] = prev === void 0 || value > prev ? value : prev;
}

// core/model/vfio/vfioType1.ts
var MAP_FLAGS = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE | VFIO_DMA_MAP_FLAG_VADDR;
var UNMAP_FLAGS = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR;
var U64_LIMIT = 2 ** 64;
var VfioType1Container = class {
  constructor(name2, version, deps) {
    this.name = name2;
    this.version = version;
    this.deps = deps;
    this.laneName = `vfio.${name2}`;
    this.dmas = new VfioDmaTree(deps.dmaEntryLimit);
    this.dmaEnv = { process: deps.process, faults: deps.faults, costs: deps.costs, disableHugepages: deps.disableHugepages };
    const setupEnv = { ...this.dmaEnv, faults: new FaultInjector() };
    this.setupErrno = this.attach(deps.initialDevice ?? "device0", deps.geometry, deps.irqRemapping, setupEnv);
    this.lastCostNs = 0;
  }
  laneName;
  lastUnmappedBytes = 0;
  lastCostNs = 0;
  /**
   * Result of attaching the first group at VFIO_SET_IOMMU. Nonzero (EPERM without interrupt
   * remapping, EINVAL for an empty IOVA list) leaves the container without an IOMMU driver, and
   * vfio_fops_unl_ioctl then answers every other ioctl with -EINVAL.
   */
  setupErrno;
  dmas;
  iovaList = VfioIovaList.empty();
  domains = [];
  /** Ascending page sizes of iommu->pgsize_bitmap (PAGE_MASK until a domain exists). */
  pgsizes = [PAGE_SIZE];
  nextDomainSeq = 1;
  dmaEnv;
  tally = { costNs: 0, pinBatches: 0, hostIommuMaps: 0, ptesMapped: 0 };
  // Statistics: reported as metrics, not part of the state a failed call must preserve.
  mapIoctls = 0;
  unmapIoctls = 0;
  enospc = 0;
  mapFailures = 0;
  pinBatches = 0;
  hostIommuMaps = 0;
  entriesPeak = 0;
  hostPtesPeak = 0;
  get entries() {
    return this.dmas.size;
  }
  translates(iova, size) {
    const first = alignDown(iova, PAGE_SIZE);
    const lastPage = alignDown(iova + size - 1, PAGE_SIZE);
    return size > 0 && this.dmas.map.covers(first, lastPage, PAGE_SIZE);
  }
  /** Whether a device's group is attached to this container (a group joins one container only). */
  hasDevice(device3) {
    return this.domains.some((d) => d.devices.includes(device3));
  }
  /** VFIO_IOMMU_MAP_DMA (vfio_iommu_type1_map_dma + vfio_dma_do_map). */
  mapDma(iova, vaddr, size, flags) {
    this.mapIoctls++;
    this.lastCostNs = this.deps.costs.vfioMapIoctlNs;
    const err = this.doMap(iova, vaddr, size, flags);
    if (err !== 0) {
      this.mapFailures++;
      if (err === ENOSPC) this.enospc++;
    }
    return err;
  }
  /**
   * `count` MAP_DMA calls of one page each, back to back: call j maps iova + j * PAGE_SIZE from
   * vaddr + j * PAGE_SIZE (what QEMU's shadowing issues for consecutive 4 KiB translations). Maps
   * the longest leading stretch that the checks let through as one would one by one, and returns
   * how many it mapped; `lastCostNs` is then the cost of each of those calls (all equal). The caller
   * issues call `mapped` through mapDma() (it fails, or the stretch could not be taken whole) and
   * continues after it. Returns 0 whenever a one-by-one answer could differ (a FLAG_VADDR call, an
   * IOVA list or user address hole in the stretch, a domain with pages below 4 KiB, an armed fault
   * site in reach): the caller then maps call by call.
   */
  mapDmaRun(iova, vaddr, count, flags) {
    if (this.setupErrno !== 0 || count <= 0) return 0;
    if (flags >>> 0 !== flags || (flags & ~MAP_FLAGS) !== 0 || (flags & VFIO_DMA_MAP_FLAG_VADDR) !== 0) return 0;
    const prot = flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
    if (prot === 0 || this.pgsizes[0] !== PAGE_SIZE || !this.aligned(iova) || !this.aligned(vaddr)) return 0;
    const bytes = count * PAGE_SIZE;
    if (iova + bytes > U64_LIMIT || vaddr + bytes > U64_LIMIT) return 0;
    for (const d of this.domains) if (d.iommu.minPageSize < PAGE_SIZE) return 0;
    if (!this.iovaList.containsRange(iova, iova + bytes) || !this.deps.process.isMapped(vaddr, bytes)) return 0;
    let n = Math.min(count, this.dmas.dmaAvail, this.deps.process.lockablePages());
    const hit = this.dmas.map.firstOverlap(iova, iova + bytes - PAGE_SIZE);
    if (hit !== void 0) n = Math.min(n, Math.max(0, Math.ceil((hit.start - iova) / PAGE_SIZE)));
    const sites = 2 + this.domains.length;
    n = Math.min(n, Math.floor(this.deps.faults.sitesBeforeFailure() / sites));
    if (n <= 0) return 0;
    this.deps.faults.pass(n * sites);
    this.mapIoctls += n;
    this.pinBatches += n;
    this.hostIommuMaps += n * this.domains.length;
    if (!this.deps.process.tryLock(n)) throw new Error("locked-memory budget changed while mapping a run");
    const perCall = mapSinglePages(this.dmaEnv, this.domains, n);
    this.dmas.insertRun(new VfioDmaRun(iova, n, vaddr, prot, this.domains[0].seq, this.domains.length));
    if (this.dmas.size > this.entriesPeak) this.entriesPeak = this.dmas.size;
    this.notePtesPeak();
    this.lastCostNs = this.deps.costs.vfioMapIoctlNs;
    this.lastCostNs += perCall;
    return n;
  }
  /** VFIO_IOMMU_UNMAP_DMA (vfio_iommu_type1_unmap_dma + vfio_dma_do_unmap). */
  unmapDma(iova, size, flags) {
    this.unmapIoctls++;
    this.lastCostNs = this.deps.costs.vfioUnmapIoctlNs;
    this.lastUnmappedBytes = 0;
    if (this.setupErrno !== 0) return EINVAL;
    if (flags >>> 0 !== flags || (flags & ~UNMAP_FLAGS) !== 0) return EINVAL;
    const dirty = (flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) !== 0;
    const all = (flags & VFIO_DMA_UNMAP_FLAG_ALL) !== 0;
    const invalidateVaddr = (flags & VFIO_DMA_UNMAP_FLAG_VADDR) !== 0;
    if (dirty && (all || invalidateVaddr)) return EINVAL;
    if (!this.aligned(iova)) return EINVAL;
    let endExcl;
    if (all) {
      if (iova !== 0 || size !== 0) return EINVAL;
      endExcl = U64_LIMIT;
    } else {
      if (size === 0 || !this.aligned(size) || iova + size > U64_LIMIT) return EINVAL;
      endExcl = iova + size;
    }
    if (dirty) return EINVAL;
    const lastPage = endExcl - PAGE_SIZE;
    if (this.version === 2 && !all) {
      const head = this.dmas.map.containing(iova);
      if (head !== void 0 && entryStart(head, iova) !== iova) return EINVAL;
      const tail = this.dmas.map.containing(lastPage);
      if (tail !== void 0 && entryEnd(tail, lastPage) !== endExcl) return EINVAL;
    }
    if (invalidateVaddr) this.dmas.splitRuns(iova, lastPage);
    const first = this.dmas.map.firstOverlap(iova, lastPage);
    if (invalidateVaddr) {
      const marked = this.dmas.invalidateVaddrs(this.version, first, iova, endExcl);
      if (marked < 0) return EINVAL;
      this.lastUnmappedBytes = marked;
      return 0;
    }
    this.resetTally();
    const removed = this.dmas.removeRange(this.version, first, iova, endExcl, this.dmaEnv, this.domains, this.tally);
    this.lastCostNs += this.tally.costNs;
    this.lastUnmappedBytes = removed;
    return 0;
  }
  /** VFIO_IOMMU_GET_INFO with its capability chain (vfio_iommu_type1_get_info). */
  getInfo() {
    this.lastCostNs = this.deps.costs.vfioMapIoctlNs;
    let pgsizeBitmap = 0;
    for (const s2 of this.pgsizes) pgsizeBitmap += s2;
    return {
      // CAP_MIGRATION and DMA_AVAIL are always added, so CAPS is always set.
      flags: VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS,
      iovaPgsizes: pgsizeBitmap,
      dmaAvail: this.dmas.dmaAvail,
      // vfio_iommu_iova_build_caps: inclusive ends; above 2^53 `end` rounds to the exclusive end.
      iovaRanges: this.iovaList.ranges.map((r) => ({ start: r.start, end: r.endExcl - 1 }))
    };
  }
  /** VFIO_GROUP_SET_CONTAINER of one more device with the container's default geometry. */
  attachDevice(device3) {
    return this.attachDeviceWithGeometry(device3, this.deps.geometry);
  }
  /** Attach with an explicit geometry (a device behind another IOMMU, or a test's conflict). */
  attachDeviceWithGeometry(device3, geometry, irqRemapping = this.deps.irqRemapping) {
    if (this.setupErrno !== 0) {
      this.lastCostNs = this.deps.costs.vfioMapIoctlNs;
      return EINVAL;
    }
    return this.attach(device3, geometry, irqRemapping, this.dmaEnv);
  }
  collectMetrics(into) {
    addMetric(into, "vfio.mapIoctls", this.mapIoctls);
    addMetric(into, "vfio.unmapIoctls", this.unmapIoctls);
    addMetric(into, "vfio.enospc", this.enospc);
    addMetric(into, "vfio.mapFailures", this.mapFailures);
    addMetric(into, "vfio.pinBatches", this.pinBatches);
    addMetric(into, "vfio.hostIommuMaps", this.hostIommuMaps);
    maxMetric(into, "vfio.entriesPeak", this.entriesPeak);
    maxMetric(into, "vfio.hostPtesPeak", this.hostPtesPeak);
  }
  snapshot() {
    return {
      version: this.version,
      setupErrno: this.setupErrno,
      dmaEntryLimit: this.deps.dmaEntryLimit,
      dmaAvail: this.dmas.dmaAvail,
      lockedPages: this.dmas.lockedPages,
      vaddrInvalidCount: this.dmas.vaddrInvalidCount,
      processLockedPages: this.deps.process.lockedPages,
      pgsizes: [...this.pgsizes],
      iovaList: this.iovaList.ranges.map((r) => ({ start: r.start, endExcl: r.endExcl })),
      domains: this.domains.map((d) => ({
        seq: d.seq,
        devices: [...d.devices],
        pageSizes: [...d.geometry.pageSizes],
        livePtes: d.iommu.livePtes
      })),
      mappings: this.dmas.snapshot()
    };
  }
  checkInvariants() {
    return this.dmas.checkInvariants(this.iovaList, this.domains, this.dmaEnv);
  }
  doMap(iova, vaddr, size, flags) {
    if (this.setupErrno !== 0) return EINVAL;
    if (flags >>> 0 !== flags || (flags & ~MAP_FLAGS) !== 0) return EINVAL;
    const prot = flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
    const setVaddr = (flags & VFIO_DMA_MAP_FLAG_VADDR) !== 0;
    if (prot !== 0 === setVaddr) return EINVAL;
    if (size === 0 || !this.aligned(size) || !this.aligned(iova) || !this.aligned(vaddr)) return EINVAL;
    if (iova + size > U64_LIMIT || vaddr + size > U64_LIMIT) return EINVAL;
    const endExcl = iova + size;
    if (setVaddr) this.dmas.splitRuns(iova, endExcl - PAGE_SIZE);
    const hit = this.dmas.map.firstOverlap(iova, endExcl - PAGE_SIZE);
    if (setVaddr) return this.dmas.updateVaddr(hit, iova, size, vaddr);
    if (hit !== void 0) return EEXIST;
    if (this.dmas.dmaAvail === 0) return ENOSPC;
    if (!this.iovaList.containsRange(iova, endExcl)) return EINVAL;
    if (this.deps.faults.fail("alloc")) return ENOMEM;
    const dma = new VfioDma(iova, size, vaddr, prot, this.domains[0].seq);
    this.resetTally();
    const err = dma.pinAndMap(this.dmaEnv, this.domains, this.tally);
    this.absorbTally();
    if (err !== 0) return err;
    this.dmas.insert(dma);
    if (this.dmas.size > this.entriesPeak) this.entriesPeak = this.dmas.size;
    this.notePtesPeak();
    return 0;
  }
  attach(device3, geometry, irqRemapping, env) {
    assertGeometry(geometry);
    this.dmas.splitRuns(0, U64_LIMIT);
    this.lastCostNs = this.deps.costs.vfioMapIoctlNs;
    this.resetTally();
    const plan = planVfioAttach(
      {
        dmas: this.dmas.map,
        iovaList: this.iovaList,
        domains: this.domains,
        vaddrInvalidCount: this.dmas.vaddrInvalidCount,
        nextDomainSeq: this.nextDomainSeq,
        hasDevice: (d) => this.hasDevice(d)
      },
      { device: device3, geometry, irqRemapping, allowUnsafeInterrupts: this.deps.allowUnsafeInterrupts },
      env,
      this.tally
    );
    this.absorbTally();
    if (!("iovaList" in plan)) return plan.errno;
    this.iovaList = plan.iovaList;
    if (plan.join !== null) {
      plan.join.devices.push(device3);
      return 0;
    }
    const created = plan.created;
    created.devices.push(device3);
    let i = 0;
    for (const dma of this.dmas.map.values()) dma.ptes += plan.replayPtes[i++];
    this.domains = [created, ...this.domains];
    this.nextDomainSeq++;
    this.pgsizes = commonPageSizes(this.domains.map((d) => d.geometry.pageSizes));
    this.notePtesPeak();
    return 0;
  }
  /** Aligned to the smallest supported page; 2^64 is never aligned (it is a rounded u64). */
  aligned(x) {
    return x % this.pgsizes[0] === 0 && x < U64_LIMIT;
  }
  resetTally() {
    this.tally.costNs = 0;
    this.tally.pinBatches = 0;
    this.tally.hostIommuMaps = 0;
    this.tally.ptesMapped = 0;
  }
  absorbTally() {
    this.lastCostNs += this.tally.costNs;
    this.pinBatches += this.tally.pinBatches;
    this.hostIommuMaps += this.tally.hostIommuMaps;
  }
  notePtesPeak() {
    let live = 0;
    for (const d of this.domains) live += d.iommu.livePtes;
    if (live > this.hostPtesPeak) this.hostPtesPeak = live;
  }
};
function entryStart(node, addr) {
  return node instanceof VfioDmaRun ? node.start + node.entryAt(addr) * PAGE_SIZE : node.start;
}
function entryEnd(node, addr) {
  return node instanceof VfioDmaRun ? node.start + (node.entryAt(addr) + 1) * PAGE_SIZE : node.endExcl;
}
function assertGeometry(g) {
  for (const s2 of g.pageSizes) {
    if (!isPowerOfTwo2(s2)) {
      throw new RangeError(`IOMMU page size ${s2} is not a power of two`);
    }
  }
  if (g.apertureLast < g.apertureStart) throw new RangeError(`IOMMU aperture [${g.apertureStart}, ${g.apertureLast}] is empty`);
}

// core/model/iommufd/iommufdPages.ts
var NO_HOLDERS = [];
var IommufdPages = class {
  constructor(uptrBase, npages, writable) {
    this.uptrBase = uptrBase;
    this.npages = npages;
    this.writable = writable;
  }
  /** Snapshot id, given when the map that created it succeeds (0 until then). */
  id = 0;
  /** Areas referencing this object (its kref without the transient list references). */
  users = 0;
  /** Pages pinned now: the union of the page ranges of holder areas. */
  pinnedPages = 0;
  /** Areas whose IOAS has a domain, so their pages stay pinned (a fresh exact-size array per change of emptiness, to keep 1M objects small). */
  holders = NO_HOLDERS;
};
function areaFirstPage(a) {
  return Math.floor(a.startByte / PAGE_SIZE);
}
function areaLastPage(a) {
  return Math.floor((a.startByte + (a.end - a.start) - 1) / PAGE_SIZE);
}
function areaUptr(a) {
  return a.pages.uptrBase + a.startByte;
}
function pinnedUnion(holders) {
  if (holders.length === 0) return 0;
  if (holders.length === 1) return areaLastPage(holders[0]) - areaFirstPage(holders[0]) + 1;
  const ranges = holders.map((h) => [areaFirstPage(h), areaLastPage(h)]).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let curFirst = ranges[0][0];
  let curLast = ranges[0][1];
  for (let i = 1; i < ranges.length; i++) {
    const [f, l] = ranges[i];
    if (f > curLast + 1) {
      total += curLast - curFirst + 1;
      curFirst = f;
      curLast = l;
    } else if (l > curLast) {
      curLast = l;
    }
  }
  return total + curLast - curFirst + 1;
}
var IommufdPinAccount = class {
  constructor(process2, faults) {
    this.process = process2;
    this.faults = faults;
  }
  total = 0;
  peak = 0;
  live = /* @__PURE__ */ new Set();
  nextId = 1;
  /** Pages newly pinned by the last hold() / unpinned by the last release(). */
  lastPagesChanged = 0;
  get pinnedPages() {
    return this.total;
  }
  get pinnedPagesPeak() {
    return this.peak;
  }
  /** Live pages objects (referenced by at least one area). */
  pagesObjects() {
    return this.live.values();
  }
  /** An area now references its pages object (kref_get); gives the object its id on first use. */
  addUser(area) {
    const p = area.pages;
    if (p.users === 0) {
      if (p.id === 0) p.id = this.nextId++;
      this.live.add(p);
    }
    p.users++;
  }
  /** An area no longer references its pages object (iopt_put_pages); it must not hold pins. */
  removeUser(area) {
    if (area.holdsPins) throw new Error("release the pins of an area before dropping it");
    const p = area.pages;
    if (p.users <= 0) throw new Error(`pages ${p.id} has no users`);
    p.users--;
    if (p.users === 0) this.live.delete(p);
  }
  /**
   * The area starts holding pins (pfn_reader pinning for iopt_area_fill_domain): pins and charges
   * the pages of its range that no other holder pins yet. All or nothing: on -EFAULT (pages not
   * mapped in the process) or -ENOMEM (a failed pin allocation or RLIMIT_MEMLOCK exceeded) nothing
   * is pinned or charged. `lastPagesChanged` = pages newly pinned.
   */
  hold(area) {
    if (area.holdsPins) throw new Error("area already holds pins");
    const p = area.pages;
    if (p.holders.length === 0) p.holders = [area];
    else p.holders.push(area);
    const after = pinnedUnion(p.holders);
    const delta = after - p.pinnedPages;
    if (delta > 0) {
      let rc = OK;
      if (this.faults.fail("pin")) rc = ENOMEM;
      else if (!this.process.isMapped(areaUptr(area), area.end - area.start)) rc = EFAULT;
      else if (!this.process.tryLock(delta)) rc = ENOMEM;
      if (rc !== OK) {
        if (p.holders.length === 1) p.holders = NO_HOLDERS;
        else p.holders.pop();
        this.lastPagesChanged = 0;
        return rc;
      }
    }
    p.pinnedPages = after;
    area.holdsPins = true;
    this.total += delta;
    if (this.total > this.peak) this.peak = this.total;
    this.lastPagesChanged = delta;
    return OK;
  }
  /** The area stops holding pins: unpins and uncharges pages no other holder covers. */
  release(area) {
    if (!area.holdsPins) throw new Error("area holds no pins");
    const p = area.pages;
    const i = p.holders.indexOf(area);
    if (i < 0) throw new Error("area missing from its holders");
    if (p.holders.length === 1) p.holders = NO_HOLDERS;
    else p.holders.splice(i, 1);
    const after = pinnedUnion(p.holders);
    const delta = p.pinnedPages - after;
    p.pinnedPages = after;
    area.holdsPins = false;
    this.process.unlock(delta);
    this.total -= delta;
    this.lastPagesChanged = delta;
  }
  /** Broken invariants of the account, one sentence each. */
  checkInvariants() {
    const out = [];
    let sum = 0;
    for (const p of this.live) {
      const union = pinnedUnion(p.holders);
      if (union !== p.pinnedPages) out.push(`pages ${p.id} records ${p.pinnedPages} pinned pages but its holders cover ${union}`);
      if (p.users < p.holders.length) out.push(`pages ${p.id} has ${p.holders.length} pin holders but only ${p.users} users`);
      sum += p.pinnedPages;
    }
    if (sum !== this.total) out.push(`the account records ${this.total} pinned pages but its pages objects pin ${sum}`);
    return out;
  }
};

// core/model/iommufd/iommufdDomains.ts
var NO_PTES = [];
function sameGeometry(a, b) {
  return a.apertureStart === b.apertureStart && a.apertureLast === b.apertureLast && a.pageSizes.length === b.pageSizes.length && a.pageSizes.every((s2, i) => s2 === b.pageSizes[i]) && a.reserved.length === b.reserved.length && a.reserved.every((r, i) => r.start === b.reserved[i].start && r.last === b.reserved[i].last && r.kind === b.reserved[i].kind);
}
var IommufdDomains = class {
  constructor(process2, faults, costs) {
    this.process = process2;
    this.faults = faults;
    this.costs = costs;
  }
  list = [];
  /** Simulated time spent by fill/unfill since the caller last reset it, ns. */
  costNs = 0;
  get count() {
    return this.list.length;
  }
  /** Index of an attached domain with this geometry, or -1. */
  findCompatible(geometry) {
    return this.list.findIndex((d) => sameGeometry(d.domain.geometry, geometry));
  }
  /** The domain a device is attached through, or -1. */
  indexOfDevice(device3) {
    return this.list.findIndex((d) => d.devices.includes(device3));
  }
  /** Adds a (filled) domain; returns its index. */
  push(domain, device3) {
    this.list.push({ domain, devices: [device3] });
    return this.list.length - 1;
  }
  newDomain(geometry) {
    return new HostIommuDomain(geometry, this.costs);
  }
  /** PTEs written by the last successful mapArea. */
  lastPtes = 0;
  /**
   * Writes the area into `domain`: one mapRun per contiguous run; the PTE count goes to
   * lastPtes. A failed iommu_map (fault site 'iommu-map') leaves the domain unchanged.
   */
  mapArea(domain, area, smallPages) {
    if (this.faults.fail("iommu-map")) return ENOMEM;
    const chunkBytes = smallPages ? PAGE_SIZE : this.process.chunkBytes;
    const length = area.end - area.start;
    const uptr = areaUptr(area);
    let ptes = 0;
    let done = 0;
    while (done < length) {
      const vaddr = uptr + done;
      const run = smallPages ? Math.min(PAGE_SIZE - vaddr % PAGE_SIZE, length - done) : this.process.contiguousBytes(vaddr, length - done);
      const r = domain.mapRun(area.start + done, vaddr % chunkBytes, chunkBytes, run);
      ptes += r.ptes;
      this.costNs += r.costNs;
      done += run;
    }
    this.lastPtes = ptes;
    return OK;
  }
  /** PTEs a range would take in domain `index` with PAGE_SIZE runs (used to split an area's count). */
  smallPagePtes(index, iova, uptr, length) {
    const domain = this.list[index].domain;
    let ptes = 0;
    for (let done = 0; done < length; ) {
      const vaddr = uptr + done;
      const run = Math.min(PAGE_SIZE - vaddr % PAGE_SIZE, length - done);
      ptes += domain.ptesFor(iova + done, vaddr % PAGE_SIZE, PAGE_SIZE, run);
      done += run;
    }
    return ptes;
  }
  /** Unmaps the area from `domain` and syncs its IOTLB (iopt_area_unmap_domain_range). */
  unmapArea(domain, index, area) {
    this.costNs += domain.unmapPtes(area.ptes[index]) + domain.iotlbSync();
  }
  /** iopt_area_fill_domains: maps the area into every domain, undoing all of it on failure. */
  fill(area, smallPages) {
    const ptes = this.list.length === 1 ? [0] : new Array(this.list.length).fill(0);
    for (let i = 0; i < this.list.length; i++) {
      const rc = this.mapArea(this.list[i].domain, area, smallPages);
      if (rc !== OK) {
        for (let j = 0; j < i; j++) this.costNs += this.list[j].domain.unmapPtes(ptes[j]) + this.list[j].domain.iotlbSync();
        return rc;
      }
      ptes[i] = this.lastPtes;
    }
    area.ptes = ptes;
    return OK;
  }
  /** iopt_area_unfill_domains: removes the area from every domain. */
  unfill(area) {
    for (let i = 0; i < this.list.length; i++) this.unmapArea(this.list[i].domain, i, area);
    area.ptes = NO_PTES;
  }
  /** Smallest page of the domains' common use: max over domains of their smallest page (1 without domains). */
  minPageAlignment() {
    let a = 1;
    for (const d of this.list) if (d.domain.minPageSize > a) a = d.domain.minPageSize;
    return a;
  }
};

// core/model/iommufd/iommufdIovaSpan.ts
var TWO_53 = 2 ** 53;
function lastBefore(end) {
  if (end <= TWO_53) return end - 1;
  let e = Math.floor(Math.log2(end));
  if (2 ** e > end) e--;
  else if (2 ** (e + 1) <= end) e++;
  return end === 2 ** e ? end - 2 ** (e - 53) : end - 2 ** (e - 52);
}
function orPageOffset(x, offset) {
  if (offset === 0) return x;
  const low = x % PAGE_SIZE;
  return x - low + (low | offset);
}
function wrapsU64(start, length) {
  return start + length > U64_END;
}
function lastAddress(end) {
  return BigInt(end) - 1n;
}

// core/model/iommufd/iommufdHoleIndex.ts
var IommufdHoleIndex = class {
  root = null;
  seed = 625341585;
  count = 0;
  /** Outputs of split(): the part below and the part at or above the key. */
  splitLow = null;
  splitHigh = null;
  constructor() {
    this.reset([{ start: 0, end: U64_END }]);
  }
  get size() {
    return this.count;
  }
  /** Replaces every hole (the spans must be sorted, disjoint and non-empty). */
  reset(holes) {
    this.root = null;
    this.count = 0;
    for (const h of holes) this.insert(h.start, h.end);
  }
  /** Marks [start, end) used; it must lie inside one hole (callers check overlaps first). */
  occupy(start, end) {
    const h = this.containing(start);
    if (h === null || h.end < end) throw new Error(`[${start}, ${end}) is not free`);
    const holeStart = h.start;
    const holeEnd = h.end;
    this.remove(holeStart);
    if (holeStart < start) this.insert(holeStart, start);
    if (end < holeEnd) this.insert(end, holeEnd);
  }
  /** Frees [start, end) (it must be used), merging with the holes on either side. */
  release(start, end) {
    let newStart = start;
    let newEnd = end;
    const below = this.floor(start);
    if (below !== null && below.end > start) throw new Error(`[${start}, ${end}) is already free`);
    if (below !== null && below.end === start) {
      newStart = below.start;
      this.remove(below.start);
    }
    const above = this.floor(end);
    if (above !== null && above.start === end) {
      newEnd = above.end;
      this.remove(above.start);
    }
    this.insert(newStart, newEnd);
  }
  /** The hole containing `addr`, or null when `addr` is used. */
  containing(addr) {
    const h = this.floor(addr);
    return h !== null && h.end > addr ? h : null;
  }
  /** The lowest hole that starts after `x` and is at least `minLen` bytes long, or null. */
  firstAfter(x, minLen) {
    return this.searchAfter(this.root, x, minLen);
  }
  /** Every hole in address order (for invariant checks and tests; O(n)). */
  spans() {
    const out = [];
    const stack = [];
    let t = this.root;
    while (t !== null || stack.length > 0) {
      while (t !== null) {
        stack.push(t);
        t = t.left;
      }
      const n = stack.pop();
      out.push({ start: n.start, end: n.end });
      t = n.right;
    }
    return out;
  }
  floor(addr) {
    let best = null;
    let t = this.root;
    while (t !== null) {
      if (t.start <= addr) {
        best = t;
        t = t.right;
      } else {
        t = t.left;
      }
    }
    return best;
  }
  searchAfter(t, x, minLen) {
    if (t === null || t.maxLen < minLen) return null;
    if (t.start <= x) return this.searchAfter(t.right, x, minLen);
    const inLeft = this.searchAfter(t.left, x, minLen);
    if (inLeft !== null) return inLeft;
    if (t.end - t.start >= minLen) return t;
    return this.searchAfter(t.right, x, minLen);
  }
  insert(start, end) {
    const node = { start, end, prio: this.nextPriority(), maxLen: end - start, left: null, right: null };
    this.root = this.add(this.root, node);
    this.count++;
  }
  remove(start) {
    this.root = this.removeFrom(this.root, start);
    this.count--;
  }
  add(t, n) {
    if (t === null) return n;
    if (n.prio > t.prio) {
      this.split(t, n.start);
      n.left = this.splitLow;
      n.right = this.splitHigh;
      this.pull(n);
      return n;
    }
    if (n.start < t.start) t.left = this.add(t.left, n);
    else t.right = this.add(t.right, n);
    this.pull(t);
    return t;
  }
  removeFrom(t, start) {
    if (t === null) throw new Error(`no hole starts at ${start}`);
    if (t.start === start) return this.merge(t.left, t.right);
    if (start < t.start) t.left = this.removeFrom(t.left, start);
    else t.right = this.removeFrom(t.right, start);
    this.pull(t);
    return t;
  }
  /** Splits `t` into splitLow (starts below key) and splitHigh (starts at or above key). */
  split(t, key) {
    if (t === null) {
      this.splitLow = null;
      this.splitHigh = null;
      return;
    }
    if (t.start < key) {
      this.split(t.right, key);
      t.right = this.splitLow;
      this.pull(t);
      this.splitLow = t;
    } else {
      this.split(t.left, key);
      t.left = this.splitHigh;
      this.pull(t);
      this.splitHigh = t;
    }
  }
  /** Joins two treaps where every start in `a` is below every start in `b`. */
  merge(a, b) {
    if (a === null) return b;
    if (b === null) return a;
    if (a.prio > b.prio) {
      a.right = this.merge(a.right, b);
      this.pull(a);
      return a;
    }
    b.left = this.merge(a, b.left);
    this.pull(b);
    return b;
  }
  pull(t) {
    let m = t.end - t.start;
    if (t.left !== null && t.left.maxLen > m) m = t.left.maxLen;
    if (t.right !== null && t.right.maxLen > m) m = t.right.maxLen;
    t.maxLen = m;
  }
  /** xorshift32: a fixed pseudo-random sequence, so runs are reproducible. */
  nextPriority() {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }
};

// core/model/iommufd/iommufdIovaSpace.ts
var AUTO_FLOOR = PAGE_SIZE;
var AUTO_END = U64_END - PAGE_SIZE;
var DEFAULT_AUTO_SPANS = [{ start: AUTO_FLOOR, end: AUTO_END }];
var IommufdIovaSpace = class {
  areas = new IntervalMap();
  reservedList = [];
  mergedReserved = [];
  allowedList = [];
  autoSpansCache = DEFAULT_AUTO_SPANS;
  holes = new IommufdHoleIndex();
  get reserved() {
    return this.reservedList;
  }
  get allowed() {
    return this.allowedList;
  }
  /** The union of the reserved ranges, sorted and merged. */
  get reservedUnion() {
    return this.mergedReserved;
  }
  /** Whether [start, end) intersects a reserved range (iopt_reserved_iter_first). */
  hitsReserved(start, end) {
    for (const r of this.mergedReserved) {
      if (r.start >= end) return false;
      if (r.end > start) return true;
    }
    return false;
  }
  /** The lowest area overlapping [start, end) (iopt_area_iter_first), if any. */
  firstArea(start, end) {
    return this.areas.firstOverlap(start, lastBefore(end));
  }
  /** iopt_check_iova: a fixed IOVA for `length` bytes under the IOAS alignment. */
  checkFixed(iova, length, alignment) {
    if (!isAligned(iova, alignment)) return EINVAL;
    if (wrapsU64(iova, length)) return EOVERFLOW;
    const end = iova + length;
    if (this.hitsReserved(iova, end)) return EINVAL;
    if (this.firstArea(iova, end) !== void 0) return EEXIST;
    return OK;
  }
  /** The spans automatic IOVA may use: the allowed ranges (adjacent ones merged) or the default. */
  autoSpans() {
    return this.autoSpansCache;
  }
  /**
   * First fit of iopt_alloc_iova over `spans` in order: for each span the aligned start must fit
   * (__alloc_iova_check_used), then the lowest hole of (reserved ∪ areas) from there whose
   * aligned start fits (__alloc_iova_check_hole). Aligned = ALIGN(start, align) | pageOffset.
   * A candidate fits when last - aligned >= length - 1 and aligned < last (the newer
   * __alloc_iova_check_range), i.e. end - aligned >= max(length, 2). Returns the IOVA or -1.
   */
  findFit(spans, length, align, pageOffset) {
    const need = Math.max(length, 2);
    for (const span of spans) {
      const a = this.alignedStart(span.start, span.end, need, align, pageOffset);
      if (a < 0) continue;
      const h = this.holes.containing(a);
      if (h !== null) {
        const r = this.alignedStart(a, Math.min(h.end, span.end), need, align, pageOffset);
        if (r >= 0) return r;
      }
      let x = a;
      for (; ; ) {
        const next = this.holes.firstAfter(x, need);
        if (next === null || next.start >= span.end) break;
        const r = this.alignedStart(next.start, Math.min(next.end, span.end), need, align, pageOffset);
        if (r >= 0) return r;
        x = next.start;
      }
    }
    return -1;
  }
  alignedStart(start, end, need, align, pageOffset) {
    if (start + align > U64_END) return -1;
    const a = orPageOffset(alignUp(start, align), pageOffset);
    return end - a >= need ? a : -1;
  }
  insertArea(area) {
    this.areas.insert(area);
    this.holes.occupy(area.start, area.end);
  }
  removeArea(area) {
    if (!this.areas.delete(area)) throw new Error(`no area at ${area.start}`);
    this.holes.release(area.start, area.end);
  }
  /**
   * iopt_reserve_iova: refused with -EADDRINUSE when an area or an allowed range intersects.
   * Adds the range without rebuilding the hole index (call commitReserved() after a batch).
   */
  reserve(start, end, owner) {
    if (this.firstArea(start, end) !== void 0) return EADDRINUSE;
    for (const a of this.allowedList) if (a.start < end && a.end > start) return EADDRINUSE;
    this.reservedList.push({ start, end, owner });
    return OK;
  }
  /** __iopt_remove_reserved_iova: drops every range of `owner` (call commitReserved() after). */
  unreserve(owner) {
    this.reservedList = this.reservedList.filter((r) => r.owner !== owner);
  }
  /** Re-sorts and merges the reserved ranges and rebuilds the hole index (O(areas + reserved)). */
  commitReserved() {
    this.reservedList.sort((a, b) => a.start - b.start || a.end - b.end);
    const merged = [];
    for (const r of this.reservedList) {
      const top = merged[merged.length - 1];
      if (top !== void 0 && r.start <= top.end) {
        if (r.end > top.end) merged[merged.length - 1] = { start: top.start, end: r.end };
      } else {
        merged.push({ start: r.start, end: r.end });
      }
    }
    this.mergedReserved = merged;
    this.holes.reset(this.freeSpans());
  }
  /** The holes of the reserved tree alone (IOMMU_IOAS_IOVA_RANGES, VFIO CAP_IOVA_RANGE). */
  reservedHoles() {
    return complement(this.mergedReserved);
  }
  /**
   * iopt_set_allow_iova with ranges already validated (no empty or overlapping range): refused
   * atomically with -EADDRINUSE if any intersects a reserved range.
   */
  setAllowed(ranges) {
    for (const r of ranges) if (this.hitsReserved(r.start, r.end)) return EADDRINUSE;
    this.allowedList = [...ranges].sort((a, b) => a.start - b.start);
    this.autoSpansCache = this.allowedList.length === 0 ? DEFAULT_AUTO_SPANS : clippedSpans(this.allowedList);
    return OK;
  }
  /** Complement of reserved ∪ areas, in order (what the hole index must hold). */
  freeSpans() {
    const used = [];
    const areas = this.areas.values();
    let nextArea = areas.next();
    let ri = 0;
    while (!nextArea.done || ri < this.mergedReserved.length) {
      const r = this.mergedReserved[ri];
      if (nextArea.done || r !== void 0 && r.start < nextArea.value.start) {
        used.push(r);
        ri++;
      } else {
        used.push(nextArea.value);
        nextArea = areas.next();
      }
    }
    return complement(used);
  }
};
function complement(used) {
  const out = [];
  let cur = 0;
  for (const u of used) {
    if (u.start > cur) out.push({ start: cur, end: u.start });
    if (u.end > cur) cur = u.end;
  }
  if (cur < U64_END) out.push({ start: cur, end: U64_END });
  return out;
}
function clippedSpans(sorted) {
  const out = [];
  for (const r of sorted) {
    const start = Math.max(r.start, AUTO_FLOOR);
    const end = Math.min(r.end, AUTO_END);
    if (start >= end) continue;
    const top = out[out.length - 1];
    if (top !== void 0 && start <= top.end) out[out.length - 1] = { start: top.start, end: Math.max(top.end, end) };
    else out.push({ start, end });
  }
  return out;
}

// core/model/iommufd/iommufdWindows.ts
var NO_WINDOW_FITS = -2;
var IommufdWindows = class {
  list = [];
  /** The window planned by the last successful plan(). */
  lastWindow = null;
  get windows() {
    return this.list;
  }
  /** The window holding all of [start, end), if any. */
  containing(start, end) {
    for (const w of this.list) if (w.base <= start && end <= w.end) return w;
    return void 0;
  }
  /** A window that holds [start, end) with both ends aligned to its page size, if any. */
  fitting(start, end) {
    const w = this.containing(start, end);
    return w !== void 0 && isAligned(start, w.pageSize) && isAligned(end, w.pageSize) ? w : void 0;
  }
  byBase(base) {
    return this.list.find((w) => w.base === base);
  }
  /**
   * CREATE_WINDOW's checks and allocation. `base`/`pageSize` null = let the kernel choose:
   * the page size becomes the largest smallest-page of the attached domains (at least
   * PAGE_SIZE), the base the lowest `pageSize`-aligned IOVA where the window avoids reserved
   * ranges and other windows. Puts the window in `lastWindow`; does not add it.
   */
  plan(base, sizeBytes, pageSize, domainPages, reserved) {
    this.lastWindow = null;
    if (sizeBytes === 0 || sizeBytes >= U64_END) return EINVAL;
    const page = pageSize ?? Math.max(PAGE_SIZE, ...domainPages);
    if (!isPowerOfTwo2(page) || domainPages.some((d) => page % d !== 0)) return EINVAL;
    if (!isAligned(sizeBytes, page)) return EINVAL;
    let start;
    if (base !== null) {
      if (!isAligned(base, page) || wrapsU64(base, sizeBytes)) return EINVAL;
      const end = base + sizeBytes;
      if (reserved.some((r) => r.start < end && r.end > base) || this.list.some((w) => w.base < end && w.end > base)) return EINVAL;
      start = base;
    } else {
      const found = this.lowestFree(sizeBytes, page, reserved);
      if (found < 0) return ENOSPC;
      start = found;
    }
    this.lastWindow = { base: start, end: start + sizeBytes, pageSize: page };
    return OK;
  }
  /**
   * Automatic IOVA under the extension: the windows in base order whose page size divides the
   * length (and equals the source window's for a COPY), each intersected with the IOAS's
   * automatic-IOVA spans, searched first fit at max(alignment, page size). Returns the IOVA, -1
   * when nothing fits, or NO_WINDOW_FITS when no window can take this length at all.
   */
  findFit(space, length, align, pageOffset, copyPageSize) {
    let usable = false;
    for (const w of this.list) {
      if (!isAligned(length, w.pageSize) || copyPageSize !== null && w.pageSize !== copyPageSize) continue;
      usable = true;
      const spans = [];
      for (const s2 of space.autoSpans()) {
        const start = Math.max(s2.start, w.base);
        const end = Math.min(s2.end, w.end);
        if (start < end) spans.push({ start, end });
      }
      const iova = space.findFit(spans, length, Math.max(align, w.pageSize), pageOffset);
      if (iova >= 0) return iova;
    }
    return usable ? -1 : NO_WINDOW_FITS;
  }
  add(w) {
    this.list.push(w);
    this.list.sort((a, b) => a.base - b.base);
  }
  remove(w) {
    this.list = this.list.filter((x) => x !== w);
  }
  /** ATTACH re-check: -EINVAL if a window cannot be kept with a domain of this geometry. */
  checkDomain(geometry) {
    const minPage = geometry.pageSizes[0];
    const apertureEnd = geometry.apertureLast + 1;
    for (const w of this.list) {
      if (w.pageSize % minPage !== 0) return EINVAL;
      if (w.base < geometry.apertureStart || w.end > apertureEnd) return EINVAL;
      for (const r of geometry.reserved) if (r.start < w.end && r.last + 1 > w.base) return EINVAL;
    }
    return OK;
  }
  lowestFree(sizeBytes, page, reserved) {
    const used = [...reserved, ...this.list.map((w) => ({ start: w.base, end: w.end }))].sort((a, b) => a.start - b.start);
    let cur = 0;
    for (const u of used) {
      const cand2 = alignUp(cur, page);
      if (cand2 + sizeBytes <= u.start) return cand2;
      if (u.end > cur) cur = u.end;
    }
    const cand = alignUp(cur, page);
    return cand + sizeBytes <= U64_END ? cand : -1;
  }
};

// core/model/iommufd/ioPagetable.ts
var IoPagetable = class {
  constructor(deps) {
    this.deps = deps;
    this.domains = new IommufdDomains(deps.process, deps.faults, deps.costs);
    this.windows = deps.dmaWindows ? new IommufdWindows() : null;
  }
  space = new IommufdIovaSpace();
  domains;
  windows;
  /** iopt->iova_alignment: 1 until a domain (or disabling huge pages) raises it. */
  iovaAlignment = 1;
  /** iopt->disable_large_pages (IOMMU_OPTION_HUGE_PAGES = 0, or VFIO type1 v1 compat). */
  largePagesDisabled = false;
  areasPeak = 0;
  /** IOVA chosen or used by the last successful map. */
  lastIova = 0;
  /** Bytes removed by the last unmap (also set when it failed part way). */
  lastUnmappedBytes = 0;
  /** Cost accumulator of the call in progress (the IOAS starts it with the ioctl's fixed cost); the domains keep their own. */
  costNs = 0;
  get areaCount() {
    return this.space.areas.size;
  }
  areas() {
    return this.space.areas.values();
  }
  /**
   * iopt_map_user_pages: a new pages object for [uptr, uptr + length) mapped at `iova` (null =
   * automatic). No ioctl-level checks; used by IOAS_MAP and by the VFIO compat MAP_DMA.
   */
  mapUserPages(iova, uptr, length, read, write) {
    if (uptr + length >= U64_END) return EOVERFLOW;
    if (length === 0 || length >= U64_END - PAGE_SIZE) return EINVAL;
    if (this.deps.faults.fail("alloc")) return ENOMEM;
    const pageOffset = uptr % PAGE_SIZE;
    const pages = new IommufdPages(uptr - pageOffset, pagesSpanned(uptr, length), write);
    return this.mapPages([{ pages, startByte: pageOffset, length }], length, iova, read, write, null);
  }
  /**
   * iopt_unmap_iova: removes the areas inside [iova, iova + length) in IOVA order; -ENOENT at the
   * first area only partly inside (areas are never split), keeping the removals before it, as the
   * kernel does. An empty range succeeds with 0 bytes. Bytes -> lastUnmappedBytes.
   */
  unmapIova(iova, length) {
    this.lastUnmappedBytes = 0;
    if (length === 0) return EINVAL;
    if (wrapsU64(iova, length)) return EOVERFLOW;
    const end = iova + length;
    if (this.windows !== null && this.windows.fitting(iova, end) === void 0) return EINVAL;
    let bytes = 0;
    for (let a = this.space.firstArea(iova, end); a !== void 0; a = this.space.firstArea(iova, end)) {
      if (a.start < iova || a.end > end) {
        this.lastUnmappedBytes = bytes;
        return ENOENT;
      }
      bytes += a.end - a.start;
      this.removeArea(a);
    }
    this.lastUnmappedBytes = bytes;
    return OK;
  }
  /** iopt_unmap_all: removes every area; bytes -> lastUnmappedBytes. */
  unmapAll() {
    let bytes = 0;
    for (let a = this.space.areas.first(); a !== void 0; a = this.space.areas.first()) {
      bytes += a.end - a.start;
      this.removeArea(a);
    }
    this.lastUnmappedBytes = bytes;
  }
  /** Removes the areas inside [start, end) (they must be whole), returning their bytes. */
  removeAreasIn(start, end) {
    let bytes = 0;
    for (let a = this.space.firstArea(start, end); a !== void 0; a = this.space.firstArea(start, end)) {
      bytes += a.end - a.start;
      this.removeArea(a);
    }
    return bytes;
  }
  /**
   * iopt_get_pages: the slices of the areas that exactly tile [iova, iova + length) from the area
   * containing iova onwards (iopt_for_each_contig_area); -ENOENT on any gap.
   */
  getPages(iova, length, out) {
    if (length === 0) return EINVAL;
    if (wrapsU64(iova, length)) return EOVERFLOW;
    const end = iova + length;
    if (this.windows !== null && this.windows.containing(iova, end) === void 0) return EINVAL;
    let cur = iova;
    let area = this.space.areas.containing(iova);
    while (area !== void 0 && area.start <= cur) {
      if (this.deps.faults.fail("alloc")) return ENOMEM;
      const sliceEnd = Math.min(end, area.end);
      out.push({ pages: area.pages, startByte: area.startByte + (cur - area.start), length: sliceEnd - cur });
      if (sliceEnd >= end) return OK;
      cur = sliceEnd;
      area = this.space.areas.next(area);
    }
    return ENOENT;
  }
  /**
   * iopt_map_pages: one new area per slice, placed contiguously at `iova` (null = automatic).
   * `copyPageSize` (window extension) = the page size of the source window of a COPY.
   */
  mapPages(slices, length, iova, read, write, copyPageSize) {
    for (let i = 0; i < slices.length; i++) if (this.deps.faults.fail("alloc")) return ENOMEM;
    if (length === 0 || !isAligned(length, this.iovaAlignment)) return EINVAL;
    let rc;
    if (iova === null) {
      const first = slices[0];
      rc = this.allocIova(first.pages.uptrBase + first.startByte, length, copyPageSize);
    } else {
      rc = this.space.checkFixed(iova, length, this.iovaAlignment);
      if (rc === OK && this.windows !== null) {
        const w = this.windows.fitting(iova, iova + length);
        if (w === void 0 || copyPageSize !== null && w.pageSize !== copyPageSize) rc = EINVAL;
      }
      this.lastIova = iova;
    }
    if (rc !== OK) return rc;
    const areas = [];
    let at = this.lastIova;
    for (const s2 of slices) {
      if (write && !s2.pages.writable) return EPERM;
      if (!isAligned(s2.startByte % PAGE_SIZE, this.iovaAlignment)) return EINVAL;
      const end = at + s2.length;
      areas.push({
        start: at,
        last: lastBefore(end),
        end,
        pages: s2.pages,
        startByte: s2.startByte,
        read,
        write,
        ptes: NO_PTES,
        holdsPins: false
      });
      at = end;
    }
    for (let i = 0; i < areas.length; i++) {
      rc = this.fillArea(areas[i]);
      if (rc !== OK) {
        for (let j = 0; j < i; j++) this.unfillArea(areas[j]);
        return rc;
      }
    }
    for (const a of areas) {
      this.space.insertArea(a);
      this.deps.account.addUser(a);
    }
    if (this.space.areas.size > this.areasPeak) this.areasPeak = this.space.areas.size;
    return OK;
  }
  /**
   * iopt_alloc_iova: alignment min(roundup_pow_of_two(length), lowest set bit of the user
   * address) capped at the huge page size; -EINVAL below the IOAS alignment; first fit -> lastIova.
   */
  allocIova(uptr, length, copyPageSize) {
    if (length === 0 || length >= U64_END / 2) return EOVERFLOW;
    let align = uptr === 0 ? roundUpPowerOfTwo(length) : Math.min(roundUpPowerOfTwo(length), lowestSetBit(uptr));
    if (align >= this.deps.maxAutoAlignBytes) align = this.deps.maxAutoAlignBytes;
    if (align < this.iovaAlignment) return EINVAL;
    const pageOffset = uptr % PAGE_SIZE;
    let iova;
    if (this.windows === null) {
      iova = this.space.findFit(this.space.autoSpans(), length, align, pageOffset);
    } else {
      iova = this.windows.findFit(this.space, length, align, pageOffset, copyPageSize);
      if (iova === NO_WINDOW_FITS) return EINVAL;
    }
    if (iova < 0) return ENOSPC;
    this.lastIova = iova;
    return OK;
  }
  /** iopt_enable_large_pages: the alignment falls back to the domains' smallest page. */
  enableLargePages() {
    this.largePagesDisabled = false;
    this.iovaAlignment = this.requiredAlignment();
    return OK;
  }
  /** iopt_disable_large_pages: -EINVAL once a domain has areas; alignment at least PAGE_SIZE, -EADDRINUSE if an area is misaligned. */
  disableLargePages() {
    if (this.largePagesDisabled) return OK;
    if (this.domains.count > 0 && this.areaCount > 0) return EINVAL;
    this.largePagesDisabled = true;
    const next = this.requiredAlignment();
    if (next > this.iovaAlignment && !this.areasAlignedTo(next)) {
      this.largePagesDisabled = false;
      return EADDRINUSE;
    }
    this.iovaAlignment = next;
    return OK;
  }
  /** iopt_calculate_iova_alignment: PAGE_SIZE with huge pages off, else 1; raised to every domain's smallest page. */
  requiredAlignment() {
    return Math.max(this.largePagesDisabled ? PAGE_SIZE : 1, this.domains.minPageAlignment());
  }
  /** Whether every area conforms to `alignment` (iopt_check_iova_alignment). */
  areasAlignedTo(alignment) {
    for (const a of this.space.areas.values()) {
      if (!isAligned(a.start, alignment) || !isAligned(a.end - a.start, alignment) || !isAligned(a.startByte % PAGE_SIZE, alignment))
        return false;
    }
    return true;
  }
  /** Pins (when the IOAS has a domain) and writes a new area into every domain; undone on failure. */
  fillArea(area) {
    if (this.domains.count === 0) return OK;
    const rc = this.holdPins(area);
    if (rc !== OK) return rc;
    const mapped = this.domains.fill(area, this.largePagesDisabled);
    if (mapped !== OK) this.releasePins(area);
    return mapped;
  }
  unfillArea(area) {
    if (this.domains.count === 0) return;
    this.domains.unfill(area);
    this.releasePins(area);
  }
  holdPins(area) {
    const rc = this.deps.account.hold(area);
    this.costNs += this.deps.account.lastPagesChanged * this.deps.costs.vfioPinPerPageNs;
    return rc;
  }
  releasePins(area) {
    this.deps.account.release(area);
    this.costNs += this.deps.account.lastPagesChanged * this.deps.costs.vfioUnpinPerPageNs;
  }
  /** Takes a committed area out: domains, pins, pages reference, IOVA. */
  removeArea(area) {
    this.unfillArea(area);
    this.deps.account.removeUser(area);
    this.space.removeArea(area);
  }
};

// core/model/iommufd/iommufdDomainAttach.ts
function ioptAttachDevice(iopt, geometry, device3) {
  if (iopt.domains.indexOfDevice(device3) >= 0) return EINVAL;
  if (iopt.windows !== null && iopt.windows.checkDomain(geometry) !== OK) return EINVAL;
  const reuse = iopt.domains.findCompatible(geometry);
  if (reuse < 0 && iopt.deps.faults.fail("alloc")) return ENOMEM;
  const deviceOwner = `device:${device3}`;
  for (const r of geometry.reserved) {
    if (iopt.space.reserve(r.start, r.last + 1, deviceOwner) !== OK) {
      iopt.space.unreserve(deviceOwner);
      return EADDRINUSE;
    }
  }
  if (reuse >= 0) {
    iopt.domains.list[reuse].devices.push(device3);
    iopt.space.commitReserved();
    return OK;
  }
  const rc = ioptAddDomain(iopt, geometry, device3);
  if (rc !== OK) iopt.space.unreserve(deviceOwner);
  else iopt.space.commitReserved();
  return rc;
}
function ioptAddDomain(iopt, geometry, device3) {
  const domain = iopt.domains.newDomain(geometry);
  const index = iopt.domains.count;
  const newAlignment = Math.max(domain.minPageSize, iopt.iovaAlignment);
  if (newAlignment > PAGE_SIZE) return EINVAL;
  if (newAlignment !== iopt.iovaAlignment && !iopt.areasAlignedTo(newAlignment)) return EADDRINUSE;
  const owner = `domain:${index}`;
  const apertureEnd = geometry.apertureLast + 1;
  if (geometry.apertureStart !== 0 && iopt.space.reserve(0, geometry.apertureStart, owner) !== OK || apertureEnd < U64_END && iopt.space.reserve(apertureEnd, U64_END, owner) !== OK) {
    iopt.space.unreserve(owner);
    return EADDRINUSE;
  }
  const pinning = index === 0;
  const done = [];
  const ptes = [];
  for (const area of iopt.space.areas.values()) {
    let rc = pinning ? iopt.holdPins(area) : OK;
    if (rc === OK) {
      rc = iopt.domains.mapArea(domain, area, iopt.largePagesDisabled);
      if (rc !== OK && pinning) iopt.releasePins(area);
    }
    if (rc !== OK) {
      for (let i = 0; i < done.length; i++) {
        iopt.domains.costNs += domain.unmapPtes(ptes[i]) + domain.iotlbSync();
        if (pinning) iopt.releasePins(done[i]);
      }
      iopt.space.unreserve(owner);
      return rc;
    }
    done.push(area);
    ptes.push(iopt.domains.lastPtes);
  }
  for (let i = 0; i < done.length; i++) done[i].ptes = [...done[i].ptes, ptes[i]];
  iopt.domains.push(domain, device3);
  iopt.iovaAlignment = newAlignment;
  return OK;
}

// core/model/iommufd/ioPagetableInvariants.ts
function ioptSnapshot(iopt) {
  return {
    iovaAlignment: iopt.iovaAlignment,
    largePagesDisabled: iopt.largePagesDisabled,
    areas: [...iopt.areas()].map((a) => [a.start, a.end, a.pages.id, a.startByte, a.read, a.write, a.holdsPins, [...a.ptes]]),
    reserved: iopt.space.reserved.map((r) => [r.start, r.end, r.owner]),
    allowed: iopt.space.allowed.map((r) => [r.start, r.end]),
    domains: iopt.domains.list.map((d) => ({ devices: [...d.devices], livePtes: d.domain.livePtes, geometry: d.domain.geometry })),
    windows: iopt.windows?.windows.map((w) => [w.base, w.end, w.pageSize]) ?? null
  };
}
function ioptInvariants(iopt, where) {
  const out = [];
  let prevEnd = -1;
  const ptes = iopt.domains.list.map(() => 0);
  for (const a of iopt.areas()) {
    const at = `${where}: area [${a.start}, ${a.end})`;
    if (a.start < prevEnd) out.push(`${at} overlaps the area before it`);
    prevEnd = a.end;
    if (iopt.space.hitsReserved(a.start, a.end)) out.push(`${at} lies on a reserved range`);
    if (!isAligned(a.start, iopt.iovaAlignment) || !isAligned(a.end - a.start, iopt.iovaAlignment))
      out.push(`${at} is not aligned to ${iopt.iovaAlignment}`);
    if (a.ptes.length !== iopt.domains.count) out.push(`${at} is mapped in ${a.ptes.length} of ${iopt.domains.count} domains`);
    if (a.holdsPins !== iopt.domains.count > 0)
      out.push(`${at} ${a.holdsPins ? "holds pins without a domain" : "holds no pins under a domain"}`);
    a.ptes.forEach((n, i) => ptes[i] = (ptes[i] ?? 0) + n);
    if (iopt.windows !== null && iopt.windows.fitting(a.start, a.end) === void 0)
      out.push(`${at} is not inside one window at its page size`);
  }
  iopt.domains.list.forEach((d, i) => {
    if (d.domain.livePtes !== ptes[i])
      out.push(`${where}: domain ${i} holds ${d.domain.livePtes} PTEs but its areas account for ${ptes[i]}`);
  });
  if (iopt.iovaAlignment !== iopt.requiredAlignment())
    out.push(`${where}: alignment ${iopt.iovaAlignment} should be ${iopt.requiredAlignment()}`);
  const free = iopt.space.freeSpans();
  const holes = iopt.space.holes.spans();
  if (free.length !== holes.length || free.some((f, i) => f.start !== holes[i].start || f.end !== holes[i].end)) {
    out.push(`${where}: the hole index differs from the free IOVA space`);
  }
  if (iopt.windows !== null) {
    const ws = iopt.windows.windows;
    ws.forEach((w, i) => {
      if (i > 0 && ws[i - 1].end > w.base) out.push(`${where}: windows at ${ws[i - 1].base} and ${w.base} overlap`);
      if (iopt.space.hitsReserved(w.base, w.end)) out.push(`${where}: window at ${w.base} lies on a reserved range`);
    });
  }
  return out;
}

// core/model/iommufd/iommufdIoas.ts
var IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0;
var IOMMU_IOAS_MAP_WRITEABLE = 1 << 1;
var IOMMU_IOAS_MAP_READABLE = 1 << 2;
var MAP_FLAGS2 = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE;
function protFlags(read, write) {
  return (read ? IOMMU_IOAS_MAP_READABLE : 0) | (write ? IOMMU_IOAS_MAP_WRITEABLE : 0);
}
var IommufdIoas = class {
  constructor(id2, name2, laneName, deps) {
    this.id = id2;
    this.name = name2;
    this.laneName = laneName;
    this.deps = deps;
    this.iopt = new IoPagetable(deps);
  }
  /** ioas->iopt. */
  iopt;
  mapIoctls = 0;
  unmapIoctls = 0;
  copyIoctls = 0;
  mapFailures = 0;
  /** IOAS_IOVA_RANGES output: the first `capacity` ranges (half-open) and the real count. */
  lastIovaRanges = [];
  lastIovaRangeCount = 0;
  lastIovaAlignment = 1;
  /** The window created by the last createWindow. */
  lastWindow = null;
  /** Simulated cost of the last call, ns (also on failure). */
  lastCostNs = 0;
  get space() {
    return this.iopt.space;
  }
  get domains() {
    return this.iopt.domains;
  }
  get iovaAlignment() {
    return this.iopt.iovaAlignment;
  }
  get areaCount() {
    return this.iopt.areaCount;
  }
  areas() {
    return this.iopt.areas();
  }
  /** IOVA chosen or used by the last successful map/copy. */
  get lastIova() {
    return this.iopt.lastIova;
  }
  /** Bytes removed by the last unmap (also set when it failed part way). */
  get lastUnmappedBytes() {
    return this.iopt.lastUnmappedBytes;
  }
  /** IOMMU_IOAS_MAP with its flags (FIXED_IOVA, WRITEABLE, READABLE); the chosen IOVA goes to lastIova. */
  map(flags, iova, uptr, length) {
    this.begin(this.deps.costs.vfioMapIoctlNs);
    this.mapIoctls++;
    let rc;
    if ((flags & ~MAP_FLAGS2) !== 0) rc = EOPNOTSUPP;
    else if (iova >= U64_END || length >= U64_END) rc = EOVERFLOW;
    else if ((flags & (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)) === 0) rc = EINVAL;
    else
      rc = this.iopt.mapUserPages(
        (flags & IOMMU_IOAS_MAP_FIXED_IOVA) !== 0 ? iova : null,
        uptr,
        length,
        (flags & IOMMU_IOAS_MAP_READABLE) !== 0,
        (flags & IOMMU_IOAS_MAP_WRITEABLE) !== 0
      );
    if (rc !== OK) this.mapFailures++;
    return this.end(rc);
  }
  mapFixed(iova, uptr, length, read = true, write = true) {
    return this.map(IOMMU_IOAS_MAP_FIXED_IOVA | protFlags(read, write), iova, uptr, length);
  }
  mapAuto(uptr, length, read = true, write = true) {
    return this.map(protFlags(read, write), 0, uptr, length);
  }
  /**
   * IOMMU_IOAS_COPY into this IOAS from `src` (which may be this IOAS): new areas over the
   * source's pages objects, so nothing is pinned or charged again. The destination IOVA goes to
   * lastIova.
   */
  copyFrom(src, flags, srcIova, length, dstIova) {
    this.begin(this.deps.costs.vfioMapIoctlNs);
    this.copyIoctls++;
    let rc;
    if ((flags & ~MAP_FLAGS2) !== 0) rc = EOPNOTSUPP;
    else if (length >= U64_END || srcIova >= U64_END || dstIova >= U64_END) rc = EOVERFLOW;
    else if ((flags & (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)) === 0) rc = EINVAL;
    else {
      const slices = [];
      rc = src.iopt.getPages(srcIova, length, slices);
      if (rc === OK) {
        const srcWindow = src.iopt.windows?.containing(srcIova, srcIova + length);
        rc = this.iopt.mapPages(
          slices,
          length,
          (flags & IOMMU_IOAS_MAP_FIXED_IOVA) !== 0 ? dstIova : null,
          (flags & IOMMU_IOAS_MAP_READABLE) !== 0,
          (flags & IOMMU_IOAS_MAP_WRITEABLE) !== 0,
          srcWindow?.pageSize ?? null
        );
      }
    }
    if (rc !== OK) this.mapFailures++;
    return this.end(rc);
  }
  /**
   * IOMMU_IOAS_UNMAP: (0, U64_MAX) unmaps everything and succeeds even when empty; otherwise the
   * range must cover whole areas and remove at least one (else -ENOENT). Bytes -> lastUnmappedBytes.
   */
  unmap(iova, length) {
    this.begin(this.deps.costs.vfioUnmapIoctlNs);
    this.unmapIoctls++;
    let rc;
    if (iova === 0 && length === U64_END) {
      this.iopt.unmapAll();
      rc = OK;
    } else if (iova >= U64_END || length >= U64_END) {
      this.iopt.lastUnmappedBytes = 0;
      rc = EOVERFLOW;
    } else {
      rc = this.iopt.unmapIova(iova, length);
      if (rc === OK && this.iopt.lastUnmappedBytes === 0) rc = ENOENT;
    }
    return this.end(rc);
  }
  unmapAll() {
    return this.unmap(0, U64_END);
  }
  /** Attaches a device whose IOMMU has `geometry` (see ioptAttachDevice for the order of errors). */
  attachDomain(geometry, device3) {
    this.begin(0);
    return this.end(ioptAttachDevice(this.iopt, geometry, device3));
  }
  /** IOMMU_IOAS_IOVA_RANGES: the holes of the reserved ranges; -EMSGSIZE when more than `capacity`. */
  iovaRanges(capacity = Infinity) {
    const holes = this.iopt.space.reservedHoles();
    this.lastIovaRangeCount = holes.length;
    this.lastIovaRanges = holes.length > capacity ? holes.slice(0, capacity) : holes;
    this.lastIovaAlignment = this.iopt.iovaAlignment;
    return holes.length > capacity ? EMSGSIZE : OK;
  }
  /**
   * IOMMU_IOAS_ALLOW_IOVAS (iommufd_ioas_load_iovas then iopt_set_allow_iova): start >= last or
   * a range overlapping an earlier one -EINVAL; any range on a reserved range -EADDRINUSE;
   * atomic. An empty list allows everything again.
   */
  allowIovas(ranges) {
    this.begin(0);
    const spans = [];
    for (const r of ranges) {
      if (r.start >= r.last) return this.end(EINVAL);
      const end = Math.min(r.last + 1, U64_END);
      if (spans.some((s2) => s2.start < end && s2.end > r.start)) return this.end(EINVAL);
      if (this.deps.faults.fail("alloc")) return this.end(ENOMEM);
      spans.push({ start: r.start, end });
    }
    return this.end(this.iopt.space.setAllowed(spans));
  }
  /** IOMMU_TEST_OP_ADD_RESERVED (selftest): iopt_reserve_iova of [start, start + length). */
  reserveIova(start, length) {
    if (length === 0 || start + length > U64_END) return EINVAL;
    if (this.deps.faults.fail("alloc")) return ENOMEM;
    const rc = this.iopt.space.reserve(start, start + length, "user");
    if (rc === OK) this.iopt.space.commitReserved();
    return rc;
  }
  /**
   * IOMMU_OPTION_HUGE_PAGES set: 0 = iopt_disable_large_pages (-EINVAL once a domain has areas;
   * alignment becomes at least PAGE_SIZE, -EADDRINUSE if an area is misaligned), 1 =
   * iopt_enable_large_pages (alignment falls back to the domains' smallest page).
   */
  setHugePages(enabled) {
    return enabled ? this.iopt.enableLargePages() : this.iopt.disableLargePages();
  }
  /** IOMMU_OPTION_OP_SET of IOMMU_OPTION_HUGE_PAGES: val64 0 or 1, anything else -EINVAL. */
  setHugePagesOption(val64) {
    if (val64 === 0) return this.setHugePages(false);
    if (val64 === 1) return this.setHugePages(true);
    return EINVAL;
  }
  get hugePages() {
    return !this.iopt.largePagesDisabled;
  }
  /** Window extension CREATE_WINDOW; null base/pageSize = chosen here. -EOPNOTSUPP when the extension is off. */
  createWindow(base, sizeBytes, pageSize) {
    this.begin(this.deps.costs.vfioMapIoctlNs);
    this.lastWindow = null;
    const windows = this.iopt.windows;
    if (windows === null) return this.end(EOPNOTSUPP);
    const domainPages = this.iopt.domains.list.map((d) => d.domain.minPageSize);
    const rc = windows.plan(base, sizeBytes, pageSize, domainPages, this.iopt.space.reservedUnion);
    if (rc !== OK) return this.end(rc);
    if (this.deps.faults.fail("alloc")) return this.end(ENOMEM);
    windows.add(windows.lastWindow);
    this.lastWindow = windows.lastWindow;
    return this.end(OK);
  }
  /** Window extension REMOVE_WINDOW: unmaps (and unpins) the window's areas; -EINVAL if no window starts at `base`. */
  removeWindow(base) {
    this.begin(this.deps.costs.vfioUnmapIoctlNs);
    this.iopt.lastUnmappedBytes = 0;
    const windows = this.iopt.windows;
    if (windows === null) return this.end(EOPNOTSUPP);
    const w = windows.byBase(base);
    if (w === void 0) return this.end(EINVAL);
    this.iopt.lastUnmappedBytes = this.iopt.removeAreasIn(w.base, w.end);
    windows.remove(w);
    return this.end(OK);
  }
  /** Starts a call: resets the cost accumulators with the call's fixed cost. */
  begin(fixedCostNs) {
    this.iopt.costNs = fixedCostNs;
    this.iopt.domains.costNs = 0;
  }
  /** Ends a call: publishes its cost and returns `rc`. */
  end(rc) {
    this.lastCostNs = this.iopt.costNs + this.iopt.domains.costNs;
    return rc;
  }
  collectMetrics(into) {
    addMetric(into, "iommufd.mapIoctls", this.mapIoctls);
    addMetric(into, "iommufd.unmapIoctls", this.unmapIoctls);
    addMetric(into, "iommufd.copyIoctls", this.copyIoctls);
    addMetric(into, "iommufd.mapFailures", this.mapFailures);
    maxMetric(into, "iommufd.areasPeak", this.iopt.areasPeak);
  }
  /** Model state (not metric counters or last* outputs), deterministic. */
  snapshot() {
    return { id: this.id, name: this.name, ...ioptSnapshot(this.iopt) };
  }
  checkInvariants() {
    return ioptInvariants(this.iopt, `IOAS ${this.name}`);
  }
};

// core/model/iommufd/iommufdContext.ts
function hugePageBytes(arch) {
  return arch === "s390x" ? 1024 * 1024 : 2 * 1024 * 1024;
}
var IommufdContext = class {
  constructor(config, laneName = "iommufd") {
    this.config = config;
    this.laneName = laneName;
    this.account = new IommufdPinAccount(config.process, config.faults);
  }
  account;
  byId = /* @__PURE__ */ new Map();
  byName = /* @__PURE__ */ new Map();
  /** Device name -> id of the IOAS it is attached to. */
  deviceIoas = /* @__PURE__ */ new Map();
  /** Id of the IOAS made by the last successful ioasAlloc. */
  lastIoasId = 0;
  /**
   * IOMMU_IOAS_ALLOC: a new IOAS with the lowest free object id (xa_alloc over ictx->objects,
   * from 1). `name` is the lab's handle for it (-EEXIST if taken); lane iommufd.<name>, or
   * iommufd.#<id> without a name.
   */
  ioasAlloc(name2) {
    if (name2 !== void 0 && this.byName.has(name2)) return EEXIST;
    if (this.config.faults.fail("alloc")) return ENOMEM;
    this.lastIoasId = this.ioasInstall(name2).id;
    return OK;
  }
  /** Creates an IOAS without a fault site (one the kernel makes implicitly, like the VFIO compat IOAS). */
  ioasInstall(name2) {
    if (name2 !== void 0 && this.byName.has(name2)) throw new Error(`IOAS ${name2} exists`);
    let id2 = 1;
    while (this.byId.has(id2)) id2++;
    const label = name2 ?? `#${id2}`;
    const ioas = new IommufdIoas(id2, label, `${this.laneName}.${label}`, {
      process: this.config.process,
      costs: this.config.costs,
      faults: this.config.faults,
      account: this.account,
      dmaWindows: this.config.dmaWindows,
      maxAutoAlignBytes: this.config.maxAutoAlignBytes
    });
    this.byId.set(id2, ioas);
    if (name2 !== void 0) this.byName.set(name2, ioas);
    return ioas;
  }
  /** IOMMU_DESTROY of an IOAS: -EBUSY while a device is attached; its areas are unmapped. */
  ioasDestroy(id2) {
    const ioas = this.byId.get(id2);
    if (ioas === void 0) return EINVAL;
    if (ioas.domains.count > 0) return EBUSY;
    ioas.iopt.unmapAll();
    this.byId.delete(id2);
    if (this.byName.get(ioas.name) === ioas) this.byName.delete(ioas.name);
    return OK;
  }
  ioas(id2) {
    return this.byId.get(id2);
  }
  ioasByName(name2) {
    return this.byName.get(name2);
  }
  allIoas() {
    return [...this.byId.values()];
  }
  /** Attaches a device to an IOAS; -EINVAL if it is attached to another page table already. */
  attach(ioas, device3, geometry) {
    if (this.deviceIoas.has(device3)) {
      ioas.begin(0);
      return ioas.end(EINVAL);
    }
    const rc = ioas.attachDomain(geometry, device3);
    if (rc === OK) this.deviceIoas.set(device3, ioas.id);
    return rc;
  }
  collectMetrics(into) {
    for (const ioas of this.byId.values()) ioas.collectMetrics(into);
    maxMetric(into, "iommufd.pinnedPagesPeak", this.account.pinnedPagesPeak);
  }
  snapshot() {
    return {
      ioas: [...this.byId.values()].sort((a, b) => a.id - b.id).map((i) => i.snapshot()),
      pages: [...this.account.pagesObjects()].sort((a, b) => a.id - b.id).map((p) => [p.id, p.uptrBase, p.npages, p.writable, p.users, p.pinnedPages]),
      pinnedPages: this.account.pinnedPages,
      devices: [...this.deviceIoas.entries()].sort()
    };
  }
  checkInvariants() {
    const out = [];
    const users = /* @__PURE__ */ new Map();
    for (const ioas of this.byId.values()) {
      out.push(...ioas.checkInvariants());
      for (const a of ioas.areas()) users.set(a.pages.id, (users.get(a.pages.id) ?? 0) + 1);
    }
    out.push(...this.account.checkInvariants());
    for (const p of this.account.pagesObjects()) {
      const n = users.get(p.id) ?? 0;
      if (n !== p.users) out.push(`pages ${p.id} counts ${p.users} users but ${n} areas use it`);
      users.delete(p.id);
    }
    for (const id2 of users.keys()) out.push(`areas use pages ${id2}, which the account does not track`);
    return out;
  }
};

// core/model/iommufd/iommufdVfioCompat.ts
var IOMMUFD_COMPAT_DMA_AVAIL = 4294967295;
var IommufdVfioCompat = class {
  constructor(name2, options) {
    this.name = name2;
    this.options = options;
    this.laneName = `vfio.${name2}`;
    this.context = new IommufdContext(
      {
        process: options.process,
        costs: options.costs,
        faults: options.faults,
        dmaWindows: false,
        maxAutoAlignBytes: options.maxAutoAlignBytes
      },
      this.laneName
    );
    this.ioas = this.context.ioasInstall("compat");
    if (options.version === "type1v1" && this.ioas.setHugePages(false) !== OK) throw new Error("cannot disable large pages");
  }
  laneName;
  context;
  ioas;
  mapIoctls = 0;
  unmapIoctls = 0;
  lastUnmappedBytes = 0;
  get lastCostNs() {
    return this.ioas.lastCostNs;
  }
  get entries() {
    return this.ioas.areaCount;
  }
  translates(iova, size) {
    return size > 0 && this.ioas.space.areas.covers(iova, lastBefore(iova + size));
  }
  /** VFIO_IOMMU_MAP_DMA (iommufd_vfio_map_dma): iopt_map_user_pages at the fixed `iova`. */
  /** No run fast path: QEMU maps call by call (iommufd areas are not modelled as runs). */
  mapDmaRun() {
    return 0;
  }
  mapDma(iova, vaddr, size, flags) {
    this.ioas.begin(this.options.costs.vfioMapIoctlNs);
    this.mapIoctls++;
    let rc;
    if ((flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)) !== 0) rc = EINVAL;
    else
      rc = this.ioas.iopt.mapUserPages(iova, vaddr, size, (flags & VFIO_DMA_MAP_FLAG_READ) !== 0, (flags & VFIO_DMA_MAP_FLAG_WRITE) !== 0);
    return this.ioas.end(rc);
  }
  /** VFIO_IOMMU_UNMAP_DMA (iommufd_vfio_unmap_dma); bytes removed -> lastUnmappedBytes, also on failure. */
  unmapDma(iova, size, flags) {
    this.ioas.begin(this.options.costs.vfioUnmapIoctlNs);
    this.unmapIoctls++;
    this.ioas.iopt.lastUnmappedBytes = 0;
    let rc;
    if ((flags & ~VFIO_DMA_UNMAP_FLAG_ALL) !== 0) {
      rc = EINVAL;
    } else if ((flags & VFIO_DMA_UNMAP_FLAG_ALL) !== 0) {
      if (iova !== 0 || size !== 0) rc = EINVAL;
      else {
        this.ioas.iopt.unmapAll();
        rc = OK;
      }
    } else {
      rc = OK;
      if (this.ioas.iopt.largePagesDisabled && size !== 0 && iova + size <= U64_END) {
        rc = cutIova(this.ioas.iopt, iova === 0 ? [iova + size - 1] : [iova + size - 1, iova - 1]);
      }
      if (rc === OK) rc = this.ioas.iopt.unmapIova(iova, size);
    }
    this.lastUnmappedBytes = this.ioas.lastUnmappedBytes;
    return this.ioas.end(rc);
  }
  /** VFIO_IOMMU_GET_INFO (iommufd_vfio_iommu_get_info). */
  getInfo() {
    this.ioas.begin(0);
    this.ioas.end(OK);
    return {
      flags: VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS,
      iovaPgsizes: this.pageSizeBitmap(),
      dmaAvail: IOMMUFD_COMPAT_DMA_AVAIL,
      iovaRanges: this.ioas.space.reservedHoles().map((h) => ({ start: h.start, end: h.end - 1 }))
    };
  }
  /** VFIO_GROUP_SET_CONTAINER of one more device: attaches it to the compat IOAS. */
  attachDevice(name2) {
    return this.context.attach(this.ioas, name2, this.options.geometry);
  }
  /**
   * iommufd_get_pagesizes: AND of the domains' pgsize_bitmap (all ones without a domain); any bit
   * below PAGE_SIZE is replaced by PAGE_SIZE; at least the IOAS alignment. As a number: the sum of
   * the page sizes in the bitmap (2^64 - 4096 for "every size from PAGE_SIZE up").
   */
  pageSizeBitmap() {
    const domains = this.ioas.domains.list;
    let bitmap;
    if (domains.length === 0) {
      bitmap = U64_END - PAGE_SIZE;
    } else {
      const common2 = domains[0].domain.geometry.pageSizes.filter((s2) => domains.every((d) => d.domain.geometry.pageSizes.includes(s2)));
      const sub = common2.some((s2) => s2 < PAGE_SIZE);
      const kept = common2.filter((s2) => s2 >= PAGE_SIZE);
      if (sub && !kept.includes(PAGE_SIZE)) kept.push(PAGE_SIZE);
      bitmap = kept.reduce((sum, s2) => sum + s2, 0);
    }
    return Math.max(bitmap, this.ioas.iovaAlignment);
  }
  collectMetrics(into) {
    addMetric(into, "vfio.mapIoctls", this.mapIoctls);
    addMetric(into, "vfio.unmapIoctls", this.unmapIoctls);
    maxMetric(into, "vfio.entriesPeak", this.ioas.iopt.areasPeak);
    maxMetric(into, "iommufd.pinnedPagesPeak", this.context.account.pinnedPagesPeak);
  }
  snapshot() {
    return this.context.snapshot();
  }
  checkInvariants() {
    return this.context.checkInvariants();
  }
};
function cutIova(iopt, iovas) {
  for (const iova of iovas) {
    const area = iopt.space.areas.containing(iova);
    if (area === void 0 || iova === area.start || iova === area.end - 1) continue;
    const newStart = iova + 1;
    if (!isAligned(newStart, iopt.iovaAlignment) || !isAligned(area.startByte + (newStart - area.start), iopt.iovaAlignment)) return EINVAL;
    if (iopt.deps.faults.fail("alloc") || iopt.deps.faults.fail("alloc")) return ENOMEM;
    if (area.ptes.length > 0 && !iopt.largePagesDisabled) return EINVAL;
  }
  for (const iova of iovas) {
    const area = iopt.space.areas.containing(iova);
    if (area !== void 0 && iova !== area.start && iova !== area.end - 1) splitArea(iopt, area, iova + 1);
  }
  return OK;
}
function splitArea(iopt, area, at) {
  const lhs = { ...area, last: lastBefore(at), end: at, holdsPins: false };
  const rhs = { ...area, start: at, startByte: area.startByte + (at - area.start), holdsPins: false };
  lhs.ptes = area.ptes.map((_, i) => iopt.domains.smallPagePtes(i, lhs.start, areaUptr(lhs), lhs.end - lhs.start));
  rhs.ptes = area.ptes.map((n, i) => n - lhs.ptes[i]);
  iopt.space.areas.delete(area);
  iopt.space.areas.insert(lhs);
  iopt.space.areas.insert(rhs);
  const holders = area.pages.holders;
  const h = holders.indexOf(area);
  if (h >= 0) {
    holders.splice(h, 1, lhs, rhs);
    lhs.holdsPins = true;
    rhs.holdsPins = true;
  }
  area.pages.users++;
  if (iopt.areaCount > iopt.areasPeak) iopt.areasPeak = iopt.areaCount;
}

// core/stack/hostContainers.ts
function createVfioContainer(env, name2, initialDevice) {
  const host = env.scenario.host;
  const backend = host.vfio.backend;
  let version;
  switch (backend) {
    case "type1v1":
      version = 1;
      break;
    case "type1v2":
      version = 2;
      break;
    case "iommufd":
      return new IommufdVfioCompat(name2, {
        process: env.process,
        costs: env.costs,
        faults: env.faults,
        geometry: env.geometry,
        version: "type1v2",
        maxAutoAlignBytes: hugePageBytes(env.scenario.host.arch)
      });
    case "spapr-tce-v1":
    case "spapr-tce-v2":
      throw new Error(`backend ${backend}: a SPAPR TCE container does not serve type1 calls (use the spapr.* ops)`);
    default: {
      const never = backend;
      throw new Error(`unknown VFIO backend ${String(never)}`);
    }
  }
  return new VfioType1Container(name2, version, {
    process: env.process,
    costs: env.costs,
    faults: env.faults,
    dmaEntryLimit: host.vfio.dmaEntryLimit,
    disableHugepages: host.vfio.disableHugepages,
    geometry: env.geometry,
    irqRemapping: host.iommu.irqRemapping,
    allowUnsafeInterrupts: host.vfio.allowUnsafeInterrupts,
    initialDevice: initialDevice ?? env.scenario.vms[0]?.devices[0]?.name
  });
}

// core/ops/opTypes.ts
function defineOp(def) {
  return def;
}

// core/ops/vfioOps.ts
var DEFAULT_CONTAINER = "container0";
var containerName = z13.string().min(1).max(64).regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'must start with a letter and use only letters, digits, "_", "." or "-"').default(DEFAULT_CONTAINER).meta({ description: "Container the call goes to; created on first use with the scenario host settings." });
var rawFlags = z13.number().int().min(0).max(2 ** 32 - 1).default(0);
function containerOf(env, name2) {
  return env.instance(`vfio:${name2}`, () => createVfioContainer(env, name2));
}
function setupErrnoOf(c) {
  return c instanceof VfioType1Container ? c.setupErrno : 0;
}
function outcome(c, errno, ret) {
  const setup = setupErrnoOf(c);
  const e = setup !== 0 ? setup : errno;
  return { ok: e === 0, errno: linuxErrnoName(e), ret: e === 0 ? ret : null, costNs: c.lastCostNs, lane: c.laneName };
}
function inclusiveEndHex(end) {
  return Number.isSafeInteger(end) ? end : "0x" + (BigInt(end) - 1n).toString(16);
}
var mapOp = defineOp({
  name: "vfio.map",
  layer: "vfio",
  summary: "VFIO_IOMMU_MAP_DMA: pin [vaddr, vaddr+size) and map it at iova",
  args: z13.strictObject({
    iova: u64,
    vaddr: u64,
    size: u64,
    read: z13.boolean().default(true),
    write: z13.boolean().default(true),
    flags: rawFlags,
    container: containerName
  }),
  run: (env, a) => {
    const c = containerOf(env, a.container);
    const flags = ((a.read ? VFIO_DMA_MAP_FLAG_READ : 0) | (a.write ? VFIO_DMA_MAP_FLAG_WRITE : 0) | a.flags) >>> 0;
    return outcome(c, c.mapDma(a.iova, a.vaddr, a.size, flags), null);
  }
});
var unmapOp = defineOp({
  name: "vfio.unmap",
  layer: "vfio",
  summary: "VFIO_IOMMU_UNMAP_DMA: remove mappings in [iova, iova+size), or all with `all`; ret = bytes unmapped",
  args: z13.strictObject({
    iova: u64.default(0),
    size: u64.default(0),
    all: z13.boolean().default(false),
    flags: rawFlags,
    container: containerName
  }),
  run: (env, a) => {
    const c = containerOf(env, a.container);
    const flags = ((a.all ? VFIO_DMA_UNMAP_FLAG_ALL : 0) | a.flags) >>> 0;
    const errno = c.unmapDma(a.iova, a.size, flags);
    return outcome(c, errno, toHexOrNumber(c.lastUnmappedBytes));
  }
});
var getInfoOp = defineOp({
  name: "vfio.getInfo",
  layer: "vfio",
  summary: "VFIO_IOMMU_GET_INFO: page sizes, DMA_AVAIL and the valid IOVA ranges",
  args: z13.strictObject({ container: containerName }),
  run: (env, a) => {
    const c = containerOf(env, a.container);
    const info = c.getInfo();
    const ret = {
      flags: info.flags,
      iovaPgsizes: toHexOrNumber(info.iovaPgsizes),
      dmaAvail: info.dmaAvail,
      iovaRanges: info.iovaRanges.map((r) => ({ start: toHexOrNumber(r.start), end: inclusiveEndHex(r.end) }))
    };
    return outcome(c, 0, ret);
  }
});
var attachOp = defineOp({
  name: "vfio.attach",
  layer: "vfio",
  summary: "VFIO_GROUP_SET_CONTAINER: attach one more scenario device's group to the container",
  args: z13.strictObject({ device: z13.string().min(1).max(64), container: containerName }),
  run: (env, a) => {
    const c = containerOf(env, a.container);
    const known = env.scenario.vms.some((vm) => vm.devices.some((d) => d.name === a.device));
    if (!known) return { ok: false, errno: linuxErrnoName(ENOENT), ret: null, costNs: 0, lane: c.laneName };
    const elsewhere = env.instances().some((i) => i !== c && i instanceof VfioType1Container && i.hasDevice(a.device));
    if (elsewhere) return { ok: false, errno: linuxErrnoName(EINVAL), ret: null, costNs: 0, lane: c.laneName };
    return outcome(c, c.attachDevice(a.device), null);
  }
});
var VFIO_OPS = [mapOp, unmapOp, getInfoOp, attachOp];

// core/ops/spaprOps.ts
import { z as z14 } from "zod";

// core/model/ppc/host/mmIommuMemList.ts
var regionLast = (r) => r.ua + r.sizeBytes - 1;
var MmIommuMemList = class {
  constructor(process2, faults, hostPageShift) {
    this.process = process2;
    this.faults = faults;
    this.hostPageShift = hostPageShift;
  }
  laneName = "spapr.mm";
  regions = new IntervalMap();
  bytesPeak = 0;
  lockedPages = 0;
  /** mm_iommu_get: the region registered with exactly this start and size, with one more reference. */
  get(ua, sizeBytes) {
    const hit = this.regions.containing(ua);
    if (hit === void 0 || hit.region.ua !== ua || hit.region.sizeBytes !== sizeBytes) return null;
    hit.region.used++;
    return hit.region;
  }
  /** mm_iommu_lookup: the region holding [ua, ua + size). */
  lookup(ua, size) {
    const hit = this.regions.containing(ua);
    return hit !== void 0 && ua + size - 1 <= hit.last ? hit.region : null;
  }
  has(region) {
    return this.regions.containing(region.ua)?.region === region;
  }
  /**
   * mm_iommu_new (mm_iommu_do_alloc): charge locked_vm (-ENOMEM), allocate (-ENOMEM), pin every page
   * (-EFAULT when unmapped), then refuse an overlap with any registered region (-EINVAL), undoing all.
   */
  create(ua, sizeBytes, backingChunkBytes, hugetlb) {
    const pages = sizeBytes / PAGE_SIZE;
    if (!this.process.tryLock(pages)) return ENOMEM;
    if (this.faults.fail("alloc")) return this.undoCharge(pages, ENOMEM);
    if (!this.process.isMapped(ua, sizeBytes)) return this.undoCharge(pages, EFAULT);
    if (this.faults.fail("pin")) return this.undoCharge(pages, ENOMEM);
    const last = ua + sizeBytes - 1;
    if (this.regions.firstOverlap(ua, last) !== void 0) return this.undoCharge(pages, EINVAL);
    const alignShift = Math.log2(Math.min(lowestSetBit(ua), lowestSetBit(sizeBytes)));
    const pageShift = Math.min(alignShift, hugetlb ? Math.log2(backingChunkBytes) : this.hostPageShift);
    const region = { ua, sizeBytes, pageShift, used: 1, mappedTces: 0 };
    this.regions.insert({ start: ua, last, region });
    this.lockedPages += pages;
    this.bytesPeak = Math.max(this.bytesPeak, this.lockedPages * PAGE_SIZE);
    return region;
  }
  /** mm_iommu_put: drop a reference; the last one frees the region unless TCEs still use it (-EBUSY). */
  put(region) {
    if (region.used === 0) return ENOENT;
    region.used--;
    if (region.used > 0) return OK;
    if (region.mappedTces > 0) {
      region.used++;
      return EBUSY;
    }
    this.regions.delete({ start: region.ua, last: regionLast(region), region });
    this.process.unlock(region.sizeBytes / PAGE_SIZE);
    this.lockedPages -= region.sizeBytes / PAGE_SIZE;
    return OK;
  }
  collectMetrics(into) {
    maxMetric(into, "spapr.registeredBytesPeak", this.bytesPeak);
  }
  snapshot() {
    return [...this.regions.values()].map(({ region: r }) => ({ ...r }));
  }
  checkInvariants() {
    const problems = [];
    let pages = 0;
    let prevLast = -1;
    for (const { start, last, region: r } of this.regions.values()) {
      if (start <= prevLast) problems.push(`registered regions overlap at ${start}`);
      if (start !== r.ua || last !== regionLast(r)) problems.push(`region at ${r.ua} is indexed at the wrong range`);
      if (r.used < 1) problems.push(`region at ${r.ua} is listed with no reference`);
      if (r.mappedTces < 0) problems.push(`region at ${r.ua} has a negative mapped count`);
      pages += r.sizeBytes / PAGE_SIZE;
      prevLast = last;
    }
    if (pages !== this.lockedPages) problems.push(`registered pages ${pages} differ from the ${this.lockedPages} charged`);
    return problems;
  }
  undoCharge(pages, rc) {
    this.process.unlock(pages);
    return rc;
  }
};

// core/model/ppc/host/spaprTceWindows.ts
function spaprPlatformOf(scenario) {
  const s2 = scenario.host.spapr;
  return {
    tce32Start: s2.dma32WindowStart,
    tce32SizeBytes: s2.dma32WindowSizeBytes,
    ddwStart: 2 ** s2.ddwStartShift,
    pageShifts: s2.pageShifts,
    maxLevels: s2.maxLevels,
    maxWindows: s2.maxWindows,
    hostPageShift: s2.hostPageShift,
    // The table v1 borrows is a 4K-TCE table (IODA1, pSeries default window).
    tce32PageShift: 12
  };
}
function spaprHostPagesAsLabPages(platform, bytes) {
  return alignDown(bytes, 2 ** platform.hostPageShift) / PAGE_SIZE;
}
var SPAPR_INFO_DDW = 1;
function spaprTableGroupInfo(p, ddw) {
  return {
    dma32WindowStart: p.tce32Start,
    dma32WindowSize: p.tce32SizeBytes,
    flags: ddw ? SPAPR_INFO_DDW : 0,
    ddw: ddw ? { pgsizes: p.pageShifts.reduce((m, s2) => m + 2 ** s2, 0), maxDynamicWindowsSupported: p.maxWindows, levels: p.maxLevels } : null
  };
}
function spaprTableBytes(pageShift, windowSize, levels, maxLevels, hostPageShift) {
  if (levels < 1 || levels > maxLevels || windowSize < 2 ** pageShift || !Number.isInteger(Math.log2(windowSize))) return 0;
  const entriesShift = Math.log2(windowSize) - pageShift;
  let tceTableSize = Math.max(4096, 2 ** (entriesShift + 3));
  const direct = 2 ** Math.max(Math.ceil(entriesShift / levels) + 3, hostPageShift);
  let bytes = 0;
  for (let l = levels; l > 0; l--) {
    bytes += Math.ceil(tceTableSize / direct) * direct;
    tceTableSize = Math.max(Math.floor(tceTableSize / direct) * 8, direct);
  }
  return bytes * 2;
}
function spaprPlatformCreateTable(platform, faults, slot, pageShift, windowSize, levels) {
  if (slot >= platform.maxWindows) return EPERM;
  const levelShift = Math.max(Math.ceil((Math.log2(windowSize) - pageShift) / levels) + 3, platform.hostPageShift);
  if ((levelShift - 3) * levels + pageShift >= 55) return EINVAL;
  if (faults.fail("alloc")) return ENOMEM;
  return OK;
}
function tceWindowNew(platform, slot, pageShift, sizeBytes, levels, tablePages) {
  const pageSize = 2 ** pageShift;
  const base = slot === 0 ? platform.tce32Start : platform.ddwStart;
  const start = Math.floor(base / pageSize) * pageSize;
  return { slot, start, pageShift, pageSize, sizeBytes, levels, tablePages, runs: new IntervalMap() };
}
function tceWindowFind(windows, ioba) {
  for (const w of windows) if (w !== null && ioba >= w.start && ioba < w.start + w.sizeBytes) return w;
  return null;
}
function tceWindowCheckPreregistered(win, mm, faults, vaddr, n) {
  const pg = win.pageSize;
  for (let i = 0; i < n; ) {
    const ua = vaddr + i * pg;
    const reg = mm.lookup(ua, pg);
    if (reg === null || win.pageShift > reg.pageShift) return EINVAL;
    i += Math.min(n - i, Math.floor((regionLast(reg) + 1 - ua) / pg));
  }
  if (n > 0 && win.levels > 1 && faults.fail("alloc")) return ENOMEM;
  return OK;
}
function tceWindowInsert(win, mm, iova, vaddr, n, perm2) {
  const pg = win.pageSize;
  for (let i = 0; i < n; ) {
    const ua = vaddr + i * pg;
    const reg = mm !== null ? mm.lookup(ua, pg) : null;
    const k = reg === null ? n - i : Math.min(n - i, Math.floor((regionLast(reg) + 1 - ua) / pg));
    win.runs.insert({ start: iova + i * pg, last: iova + (i + k - 1) * pg, vaddr: ua, perm: perm2, region: reg });
    if (reg !== null) reg.mappedTces += k;
    i += k;
  }
}
function tceWindowClear(win, first, last) {
  const pg = win.pageSize;
  let cleared = 0;
  let run = win.runs.firstOverlap(first, last);
  while (run !== void 0 && run.start <= last) {
    const next = win.runs.next(run);
    win.runs.delete(run);
    if (run.start < first) win.runs.insert({ ...run, last: first - pg });
    if (run.last > last) win.runs.insert({ ...run, start: last + pg, vaddr: run.vaddr + (last + pg - run.start) });
    const k = (Math.min(run.last, last) - Math.max(run.start, first)) / pg + 1;
    if (run.region !== null) run.region.mappedTces -= k;
    cleared += k;
    run = next;
  }
  return cleared;
}
function tceWindowSnapshot(w) {
  return {
    slot: w.slot,
    start: w.start,
    pageShift: w.pageShift,
    sizeBytes: w.sizeBytes,
    levels: w.levels,
    tablePages: w.tablePages,
    runs: [...w.runs.values()].map((r) => ({
      start: r.start,
      last: r.last,
      vaddr: r.vaddr,
      perm: r.perm,
      region: r.region?.ua ?? null
    }))
  };
}
function tceWindowCheck(w, version, maxWindows, mm, problems) {
  let tces = 0;
  if (w.slot >= maxWindows) problems.push(`window in slot ${w.slot} exceeds maxWindows`);
  for (const r of w.runs.values()) {
    tces += (r.last - r.start) / w.pageSize + 1;
    if (r.start < w.start || r.last + w.pageSize > w.start + w.sizeBytes) problems.push(`TCEs at ${r.start} lie outside window ${w.slot}`);
    if (r.start % w.pageSize !== 0 || r.last % w.pageSize !== 0) problems.push(`TCE run at ${r.start} is not page aligned`);
    if (version === 1 && r.region !== null) problems.push(`v1 TCEs at ${r.start} reference a registered region`);
    if (version === 2) problems.push(...tceRunBackingProblems(mm, w, r));
  }
  return tces;
}
function tceRunBackingProblems(mm, w, r) {
  const reg = r.region;
  if (reg === null) return [`v2 TCEs at ${r.start} have no registered region`];
  const problems = [];
  if (!mm.has(reg)) problems.push(`v2 TCEs at ${r.start} point into an unregistered region`);
  if (r.vaddr < reg.ua || r.vaddr + (r.last - r.start) + w.pageSize > reg.ua + reg.sizeBytes)
    problems.push(`v2 TCEs at ${r.start} run past their region`);
  if (w.pageShift > reg.pageShift) problems.push(`v2 TCEs at ${r.start} use pages larger than their region backs`);
  return problems;
}

// core/model/ppc/host/spaprTceContainer.ts
var SPAPR_MAP_READ = 1;
var SPAPR_MAP_WRITE = 2;
var MAX_TABLES = 2;
var SpaprTceContainer = class {
  constructor(laneName, version, platform, process2, mm, faults, costs) {
    this.laneName = laneName;
    this.version = version;
    this.platform = platform;
    this.process = process2;
    this.mm = mm;
    this.faults = faults;
    this.costs = costs;
    this.defaultWindowPending = version === 2;
    if (version === 1) this.windows[0] = tceWindowNew(platform, 0, platform.tce32PageShift, platform.tce32SizeBytes, 1, 0);
  }
  windows = [null, null];
  prereg = /* @__PURE__ */ new Set();
  enabled = false;
  /** tce_iommu_mm_set has run (needed by v2 UNREGISTER). */
  mmSet = false;
  defaultWindowPending;
  enablePages = 0;
  pinnedPages = 0;
  tces = 0;
  mapIoctls = 0;
  unmapIoctls = 0;
  mapFailures = 0;
  windowsCreated = 0;
  tcesPeak = 0;
  lastCostNs = 0;
  lastStartAddr = 0;
  lastUnmappedBytes = 0;
  get liveTces() {
    return this.tces;
  }
  /** VFIO_IOMMU_ENABLE (v1 only): charge the whole default window to locked memory (tce_iommu_enable). */
  enable() {
    this.lastCostNs = this.costs.vfioMapIoctlNs;
    if (this.version === 2) return ENOTTY;
    if (this.enabled) return EBUSY;
    const pages = spaprHostPagesAsLabPages(this.platform, this.platform.tce32SizeBytes);
    if (!this.process.tryLock(pages)) return ENOMEM;
    this.mmSet = true;
    this.enablePages = pages;
    this.enabled = true;
    return OK;
  }
  /** VFIO_IOMMU_SPAPR_REGISTER_MEMORY (v2): tce_iommu_register_pages. */
  registerMemory(vaddr, size, flags = 0) {
    this.lastCostNs = this.costs.vfioMapIoctlNs;
    if (this.version === 1) return ENOTTY;
    if (flags !== 0) return EINVAL;
    const sys = 2 ** this.platform.hostPageShift;
    if (vaddr % sys !== 0 || size % sys !== 0 || vaddr + size >= U64_END) return EINVAL;
    if (size === 0) return ENOMEM;
    let region = this.mm.get(vaddr, size);
    if (region !== null && this.prereg.has(region)) {
      this.mm.put(region);
      return EBUSY;
    }
    if (region === null) {
      const chunk = this.process.chunkBytes;
      const created = this.mm.create(vaddr, size, chunk, this.process.config.backing.startsWith("hugepages"));
      if (typeof created === "number") return created;
      region = created;
      this.lastCostNs += size / PAGE_SIZE * this.costs.vfioPinPerPageNs;
    }
    if (this.faults.fail("alloc")) {
      this.mm.put(region);
      return ENOMEM;
    }
    this.prereg.add(region);
    this.enabled = true;
    this.mmSet = true;
    return OK;
  }
  /**
   * VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY (v2): tce_iommu_unregister_pages. Since mm_iommu_get takes a
   * reference ("powerpc/mm/iommu/vfio_spapr_tce: Change mm_iommu_get to reference a region", ~v5.1),
   * the container's reference is dropped first and the -EBUSY of the final mm_iommu_put is ignored:
   * unregistering a region TCEs still use answers 0 and leaves it pinned and charged with one orphaned
   * reference (older kernels, with mm_iommu_find, answered -EBUSY).
   */
  unregisterMemory(vaddr, size, flags = 0) {
    this.lastCostNs = this.costs.vfioUnmapIoctlNs;
    if (this.version === 1) return ENOTTY;
    if (!this.mmSet) return EPERM;
    const sys = 2 ** this.platform.hostPageShift;
    if (flags !== 0 || vaddr % sys !== 0 || size % sys !== 0) return EINVAL;
    const region = this.mm.get(vaddr, size);
    if (region === null) return ENOENT;
    let rc = ENOENT;
    if (this.prereg.has(region)) {
      rc = this.mm.put(region);
      if (rc === OK) this.prereg.delete(region);
    }
    const lockedBefore = this.mm.lockedPages;
    this.mm.put(region);
    this.lastCostNs += (lockedBefore - this.mm.lockedPages) * this.costs.vfioUnpinPerPageNs;
    return rc;
  }
  /** VFIO_IOMMU_SPAPR_TCE_CREATE (v2): the default window first if pending, then tce_iommu_create_window. */
  createWindow(pageShift, windowSize, levels, flags = 0) {
    this.lastCostNs = this.costs.vfioMapIoctlNs;
    if (this.version === 1) return ENOTTY;
    if (flags !== 0) return EINVAL;
    const pending = this.defaultWindowPending;
    let rc = this.createDefaultWindow();
    if (rc === OK) rc = this.addWindow(pageShift, windowSize, levels);
    if (rc !== OK) this.undoDefaultWindow(pending);
    else this.mmSet = true;
    return rc;
  }
  /** VFIO_IOMMU_SPAPR_TCE_REMOVE (v2): the window holding startAddr goes, with all its TCEs. */
  removeWindow(startAddr, flags = 0) {
    this.lastCostNs = this.costs.vfioUnmapIoctlNs;
    if (this.version === 1) return ENOTTY;
    if (flags !== 0) return EINVAL;
    if (this.defaultWindowPending && startAddr === 0) {
      this.defaultWindowPending = false;
      this.mmSet = true;
      return OK;
    }
    const win = tceWindowFind(this.windows, startAddr);
    if (win === null) return EINVAL;
    this.mmSet = true;
    this.lastCostNs += this.clear(win, win.start, win.start + win.sizeBytes - win.pageSize) * this.costs.hostPteWriteNs;
    this.lastCostNs += this.costs.hostIotlbInvalidationNs;
    this.process.unlock(win.tablePages);
    this.windows[win.slot] = null;
    return OK;
  }
  /** VFIO_IOMMU_MAP_DMA: checks in tce_iommu_ioctl order, then tce_iommu_build (v1) / tce_iommu_build_v2. */
  mapDma(iova, vaddr, size, flags) {
    this.mapIoctls++;
    this.lastCostNs = this.costs.vfioMapIoctlNs;
    const pending = this.defaultWindowPending;
    const rc = this.mapChecked(iova, vaddr, size, flags);
    if (rc !== OK) {
      this.mapFailures++;
      this.undoDefaultWindow(pending);
    }
    return rc;
  }
  /** VFIO_IOMMU_UNMAP_DMA: any TCE-aligned sub-range of one window; lastUnmappedBytes = bytes of live TCEs cleared. */
  unmapDma(iova, size, flags) {
    this.unmapIoctls++;
    this.lastCostNs = this.costs.vfioUnmapIoctlNs;
    this.lastUnmappedBytes = 0;
    const pending = this.defaultWindowPending;
    const rc = this.unmapChecked(iova, size, flags);
    if (rc !== OK) this.undoDefaultWindow(pending);
    return rc;
  }
  unmapChecked(iova, size, flags) {
    if (!this.enabled) return EPERM;
    if (flags !== 0) return EINVAL;
    const rc = this.createDefaultWindow();
    if (rc !== OK) return rc;
    const win = tceWindowFind(this.windows, iova);
    if (win === null) return ENXIO;
    if (size % win.pageSize !== 0 || iova % win.pageSize !== 0) return EINVAL;
    if (iova + size > win.start + win.sizeBytes) return EINVAL;
    if (size === 0) return OK;
    const cleared = this.clear(win, iova, iova + size - win.pageSize);
    this.lastUnmappedBytes = cleared * win.pageSize;
    this.lastCostNs += size / win.pageSize * this.costs.hostPteWriteNs + this.costs.hostIotlbInvalidationNs;
    if (this.version === 1) this.lastCostNs += cleared * this.costs.vfioUnpinPerPageNs;
    return OK;
  }
  /** VFIO_IOMMU_SPAPR_TCE_GET_INFO: the platform's dma32 window, plus DDW capabilities for v2. */
  getInfo() {
    this.lastCostNs = this.costs.vfioMapIoctlNs;
    return spaprTableGroupInfo(this.platform, this.version === 2 && this.platform.maxWindows > 0);
  }
  collectMetrics(into) {
    addMetric(into, "spapr.mapIoctls", this.mapIoctls);
    addMetric(into, "spapr.unmapIoctls", this.unmapIoctls);
    addMetric(into, "spapr.mapFailures", this.mapFailures);
    addMetric(into, "spapr.windowsCreated", this.windowsCreated);
    maxMetric(into, "spapr.tcesPeak", this.tcesPeak);
  }
  /** Pages this container has charged to locked memory (ENABLE plus created tables; not pre-registration). */
  get chargedPages() {
    return this.enablePages + this.windows.reduce((n, w) => n + (w?.tablePages ?? 0), 0);
  }
  /** Pages pinned by v1 TCEs (one per TCE; v1 does not charge them, ENABLE already did). */
  get pinnedV1Pages() {
    return this.pinnedPages;
  }
  snapshot() {
    return {
      version: this.version,
      enabled: this.enabled,
      mmSet: this.mmSet,
      defaultWindowPending: this.defaultWindowPending,
      enablePages: this.enablePages,
      pinnedPages: this.pinnedPages,
      tces: this.tces,
      prereg: [...this.prereg].map((r) => r.ua).sort((a, b) => a - b),
      windows: this.windows.map((w) => w === null ? null : tceWindowSnapshot(w))
    };
  }
  checkInvariants() {
    const problems = [];
    let tces = 0;
    for (const w of this.windows) if (w !== null) tces += tceWindowCheck(w, this.version, this.platform.maxWindows, this.mm, problems);
    if (tces !== this.tces) problems.push(`counted ${this.tces} live TCEs but the windows hold ${tces}`);
    if (this.pinnedPages !== (this.version === 1 ? tces : 0))
      problems.push(`pinned pages ${this.pinnedPages} do not match the live v1 TCEs`);
    if (this.enablePages !== (this.enabled && this.version === 1 ? spaprHostPagesAsLabPages(this.platform, this.platform.tce32SizeBytes) : 0)) {
      problems.push("the ENABLE charge does not match the default window");
    }
    for (const r of this.prereg)
      if (!this.mm.has(r) || r.used < 1) problems.push(`pre-registered region at ${r.ua} is gone from the mm list`);
    if (this.defaultWindowPending && this.windows[0] !== null) problems.push("the default window is pending but slot 0 is taken");
    return problems;
  }
  mapChecked(iova, vaddr, size, flags) {
    if (!this.enabled) return EPERM;
    if ((flags & ~(SPAPR_MAP_READ | SPAPR_MAP_WRITE)) !== 0) return EINVAL;
    const rc = this.createDefaultWindow();
    if (rc !== OK) return rc;
    const win = tceWindowFind(this.windows, iova);
    if (win === null) return ENXIO;
    const pg = win.pageSize;
    if (size % pg !== 0 || vaddr % pg !== 0) return EINVAL;
    if ((flags & (SPAPR_MAP_READ | SPAPR_MAP_WRITE)) === 0) return EINVAL;
    if (iova % pg !== 0) return EINVAL;
    if (iova + size > win.start + win.sizeBytes) return EINVAL;
    const n = size / pg;
    const built = this.version === 1 ? this.pinForBuild(vaddr, n, pg) : tceWindowCheckPreregistered(win, this.mm, this.faults, vaddr, n);
    if (built !== OK) return built;
    if (n === 0) return OK;
    this.lastCostNs += this.clear(win, iova, iova + size - pg) * (this.version === 1 ? this.costs.vfioUnpinPerPageNs : 0);
    this.insertRuns(win, iova, vaddr, n, flags);
    this.lastCostNs += n * this.costs.hostPteWriteNs + this.costs.hostIotlbInvalidationNs;
    return OK;
  }
  /**
   * tce_iommu_build: pin one page per TCE (-EFAULT) and check the backing page is at least the IOMMU
   * page (tce_page_is_contained, -EPERM; a THP counts as its compound page). The kernel keeps the
   * page pinned when the check fails; the lab unpins it. Pins are taken here and kept on success.
   */
  pinForBuild(vaddr, n, pg) {
    for (let i = 0; i < n; i++) {
      this.lastCostNs += this.costs.vfioPinPerPageNs;
      const va = vaddr + i * pg;
      let rc = OK;
      if (!this.process.isMapped(va, PAGE_SIZE) || this.faults.fail("pin")) rc = EFAULT;
      else if (Math.max(this.process.chunkBytes, 2 ** this.platform.hostPageShift) < pg) rc = EPERM;
      if (rc !== OK) {
        this.pinnedPages -= i;
        return rc;
      }
      this.pinnedPages++;
    }
    return OK;
  }
  insertRuns(win, iova, vaddr, n, perm2) {
    tceWindowInsert(win, this.version === 2 ? this.mm : null, iova, vaddr, n, perm2);
    this.tces += n;
    if (this.tces > this.tcesPeak) this.tcesPeak = this.tces;
  }
  /**
   * tce_iommu_clear of the TCEs at bus addresses first..last (both TCE starts): live TCEs go (v1
   * unpins, v2 drops the region's mapped count); returns the TCEs cleared.
   */
  clear(win, first, last) {
    const cleared = tceWindowClear(win, first, last);
    this.tces -= cleared;
    if (this.version === 1) this.pinnedPages -= cleared;
    return cleared;
  }
  /** Removes the default window this call created before failing (the kernel keeps it; see the header). */
  undoDefaultWindow(wasPending) {
    const win = this.windows[0];
    if (!wasPending || this.defaultWindowPending || win == null) return;
    this.process.unlock(win.tablePages);
    this.windows[0] = null;
    this.windowsCreated--;
    this.defaultWindowPending = true;
  }
  /** tce_iommu_create_default_window: a 4K window of tce32 size in slot 0, once, on the first use. */
  createDefaultWindow() {
    if (!this.defaultWindowPending) return OK;
    const rc = this.addWindow(12, this.platform.tce32SizeBytes, 1);
    if (rc === OK) this.defaultWindowPending = false;
    return rc;
  }
  /**
   * tce_iommu_create_window: first free slot (-ENOSPC), page size supported (-EINVAL), table size
   * (pnv_pci_ioda2_get_table_size; 0 = -EINVAL) charged to locked_vm (-ENOMEM), then the platform's
   * create_table. The kernel keeps the charge when create_table fails; the lab gives it back.
   */
  addWindow(pageShift, windowSize, levels) {
    const slot = this.windows.indexOf(null);
    if (slot < 0 || slot >= MAX_TABLES) return ENOSPC;
    if (!this.platform.pageShifts.includes(pageShift)) return EINVAL;
    const tableBytes2 = spaprTableBytes(pageShift, windowSize, levels, this.platform.maxLevels, this.platform.hostPageShift);
    if (tableBytes2 === 0) return EINVAL;
    const pages = spaprHostPagesAsLabPages(this.platform, tableBytes2);
    if (!this.process.tryLock(pages)) return ENOMEM;
    const rc = spaprPlatformCreateTable(this.platform, this.faults, slot, pageShift, windowSize, levels);
    if (rc !== OK) {
      this.process.unlock(pages);
      return rc;
    }
    const win = tceWindowNew(this.platform, slot, pageShift, windowSize, levels, pages);
    this.windows[slot] = win;
    this.windowsCreated++;
    this.lastStartAddr = win.start;
    this.lastCostNs += this.costs.hostIotlbInvalidationNs;
    return OK;
  }
};

// core/ops/spaprOps.ts
var containerName2 = z14.string().regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'must start with a letter and use only letters, digits, "_", "." or "-"').max(64).default("container0");
function mmOf(env) {
  return env.instance("spaprMm", () => new MmIommuMemList(env.process, env.faults, env.scenario.host.spapr.hostPageShift));
}
function containerOf2(env, name2) {
  return env.instance(`spapr:${name2}`, () => {
    const version = env.scenario.host.vfio.backend === "spapr-tce-v1" ? 1 : 2;
    return new SpaprTceContainer(`spapr.${name2}`, version, spaprPlatformOf(env.scenario), env.process, mmOf(env), env.faults, env.costs);
  });
}
function outcome2(c, rc, ret) {
  const errno = linuxErrnoName(rc);
  return { ok: errno === null, errno, ret: errno === null ? ret : null, costNs: c.lastCostNs, lane: c.laneName };
}
var only = z14.strictObject({ container: containerName2 });
var memArgs = z14.strictObject({ container: containerName2, vaddr: u64, size: u64 });
var createArgs = z14.strictObject({
  container: containerName2,
  pageShift: z14.number().int().min(0).max(63),
  windowSize: u64,
  levels: z14.number().int().min(0).max(64).default(1)
});
var removeArgs = z14.strictObject({ container: containerName2, start: u64 });
var mapArgs = z14.strictObject({
  container: containerName2,
  iova: u64,
  vaddr: u64,
  size: u64,
  read: z14.boolean().default(true),
  write: z14.boolean().default(true),
  extraFlags: z14.number().int().nonnegative().max(4294967295).default(0).meta({ description: "Other MAP_DMA flag bits (any -> EINVAL)." })
});
var unmapArgs = z14.strictObject({
  container: containerName2,
  iova: u64,
  size: u64,
  flags: z14.number().int().nonnegative().max(4294967295).default(0).meta({ description: "UNMAP_DMA flags (none supported: any -> EINVAL)." })
});
var SPAPR_OPS = [
  defineOp({
    name: "spapr.enable",
    layer: "spapr",
    summary: "VFIO_IOMMU_ENABLE (v1): charge the whole default window to locked memory; v2 answers ENOTTY",
    args: only,
    run: (env, a) => {
      const c = containerOf2(env, a.container);
      return outcome2(c, c.enable(), null);
    }
  }),
  defineOp({
    name: "spapr.registerMemory",
    layer: "spapr",
    summary: "VFIO_IOMMU_SPAPR_REGISTER_MEMORY (v2): pin and charge a range once per process",
    args: memArgs,
    run: (env, a) => {
      const c = containerOf2(env, a.container);
      return outcome2(c, c.registerMemory(a.vaddr, a.size), null);
    }
  }),
  defineOp({
    name: "spapr.unregisterMemory",
    layer: "spapr",
    summary: "VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY (v2): drop this container\u2019s reference to an exactly registered range",
    args: memArgs,
    run: (env, a) => {
      const c = containerOf2(env, a.container);
      return outcome2(c, c.unregisterMemory(a.vaddr, a.size), null);
    }
  }),
  defineOp({
    name: "spapr.createWindow",
    layer: "spapr",
    summary: "VFIO_IOMMU_SPAPR_TCE_CREATE (v2): a DMA window of 2^pageShift TCEs; ret = start address",
    args: createArgs,
    run: (env, a) => {
      const c = containerOf2(env, a.container);
      return outcome2(c, c.createWindow(a.pageShift, a.windowSize, a.levels), toHexOrNumber(c.lastStartAddr));
    }
  }),
  defineOp({
    name: "spapr.removeWindow",
    layer: "spapr",
    summary: "VFIO_IOMMU_SPAPR_TCE_REMOVE (v2): remove the window holding `start`, clearing its TCEs",
    args: removeArgs,
    run: (env, a) => {
      const c = containerOf2(env, a.container);
      return outcome2(c, c.removeWindow(a.start), null);
    }
  }),
  defineOp({
    name: "spapr.map",
    layer: "spapr",
    summary: "VFIO_IOMMU_MAP_DMA: write TCEs for [iova, iova + size) in one window (v1 pins per TCE, v2 uses registered memory)",
    args: mapArgs,
    run: (env, a) => {
      const c = containerOf2(env, a.container);
      const flags = (a.read ? SPAPR_MAP_READ : 0) | (a.write ? SPAPR_MAP_WRITE : 0) | a.extraFlags;
      return outcome2(c, c.mapDma(a.iova, a.vaddr, a.size, flags), null);
    }
  }),
  defineOp({
    name: "spapr.unmap",
    layer: "spapr",
    summary: "VFIO_IOMMU_UNMAP_DMA: clear any TCE-aligned sub-range of one window; ret = bytes of live TCEs cleared",
    args: unmapArgs,
    run: (env, a) => {
      const c = containerOf2(env, a.container);
      return outcome2(c, c.unmapDma(a.iova, a.size, a.flags), toHexOrNumber(c.lastUnmappedBytes));
    }
  }),
  defineOp({
    name: "spapr.getInfo",
    layer: "spapr",
    summary: "VFIO_IOMMU_SPAPR_TCE_GET_INFO: dma32 window start/size, and DDW page sizes, windows and levels for v2",
    args: only,
    run: (env, a) => {
      const c = containerOf2(env, a.container);
      const info = c.getInfo();
      const ret = {
        dma32WindowStart: toHexOrNumber(info.dma32WindowStart),
        dma32WindowSize: toHexOrNumber(info.dma32WindowSize),
        flags: info.flags,
        ddw: info.ddw === null ? null : { ...info.ddw, pgsizes: toHexOrNumber(info.ddw.pgsizes) }
      };
      return outcome2(c, 0, ret);
    }
  })
];

// core/ops/iovaTreeOps.ts
import { z as z15 } from "zod";

// core/model/qemu/gTreeShape.ts
var GTreeShape = class {
  constructor(compare2, lastOf = null) {
    this.compare = compare2;
    this.lastOf = lastOf;
  }
  root = null;
  size = 0;
  steps = 0;
  stack = [];
  /** g_tree_find_node: walk from the root and return the first node the comparator calls equal. */
  lookup(key) {
    let node = this.root;
    while (node !== null) {
      this.steps++;
      const c = this.compare(key, node.value);
      if (c === 0) return node.value;
      node = c < 0 ? node.left : node.right;
    }
    return null;
  }
  insert(v) {
    this.root = this.insertAt(this.root, v);
    this.size++;
  }
  /** g_tree_remove of the node equal to `key`; true when one was removed. */
  remove(key) {
    const before = this.size;
    this.root = this.removeAt(this.root, key);
    return this.size < before;
  }
  /** g_tree_foreach: in-order until `visit` returns true; every visited node is one step. */
  forEachInOrder(visit) {
    const stack = this.stack;
    stack.length = 0;
    let node = this.root;
    while (node !== null || stack.length > 0) {
      while (node !== null) {
        stack.push(node);
        node = node.left;
      }
      const top = stack.pop();
      this.steps++;
      if (visit(top.value)) {
        stack.length = 0;
        return;
      }
      node = top.right;
    }
  }
  /** Interval-tree search: the lowest-ordered value whose [startOf, lastOf] overlaps [start, last]. */
  lowestOverlap(start, last, startOf) {
    const lastOf = this.lastOf;
    let node = this.root;
    while (node !== null) {
      this.steps++;
      if (node.left !== null && node.left.maxLast >= start) {
        node = node.left;
        continue;
      }
      const s2 = startOf(node.value);
      if (s2 > last) return null;
      if (lastOf(node.value) >= start) return node.value;
      node = node.right;
    }
    return null;
  }
  /** Pre-order values (the shape, for snapshots). */
  preOrder(out = [], node = this.root) {
    if (node === null) return out;
    out.push(node.value);
    this.preOrder(out, node.left);
    return this.preOrder(out, node.right);
  }
  /** Broken AVL properties (height, balance, order, augmentation), as sentences. */
  check(name2) {
    const problems = [];
    let prev = null;
    const walk = (n) => {
      if (n === null) return 0;
      const hl = walk(n.left);
      if (prev !== null && this.compare(prev, n.value) >= 0) problems.push(`${name2}: in-order values are not strictly increasing`);
      prev = n.value;
      const hr = walk(n.right);
      if (n.height !== 1 + Math.max(hl, hr)) problems.push(`${name2}: a node height is stale`);
      if (Math.abs(hr - hl) > 1) problems.push(`${name2}: a node is out of AVL balance`);
      if (this.lastOf !== null && n.maxLast !== this.augment(n)) problems.push(`${name2}: a subtree maxLast is stale`);
      return 1 + Math.max(hl, hr);
    };
    walk(this.root);
    let count = 0;
    this.forEachCount(this.root, () => count++);
    if (count !== this.size) problems.push(`${name2}: holds ${count} nodes but counts ${this.size}`);
    return problems;
  }
  forEachCount(n, f) {
    if (n === null) return;
    this.forEachCount(n.left, f);
    f();
    this.forEachCount(n.right, f);
  }
  insertAt(node, v) {
    if (node === null) {
      const leaf = { value: v, left: null, right: null, height: 1, maxLast: 0 };
      leaf.maxLast = this.augment(leaf);
      return leaf;
    }
    this.steps++;
    if (this.compare(v, node.value) < 0) node.left = this.insertAt(node.left, v);
    else node.right = this.insertAt(node.right, v);
    return this.rebalance(node);
  }
  removeAt(node, key) {
    if (node === null) return null;
    this.steps++;
    const c = this.compare(key, node.value);
    if (c < 0) node.left = this.removeAt(node.left, key);
    else if (c > 0) node.right = this.removeAt(node.right, key);
    else {
      this.size--;
      if (node.left === null) return node.right;
      if (node.right === null) return node.left;
      let succ = node.right;
      while (succ.left !== null) succ = succ.left;
      succ.right = this.removeMin(node.right);
      succ.left = node.left;
      return this.rebalance(succ);
    }
    return this.rebalance(node);
  }
  removeMin(node) {
    if (node.left === null) return node.right;
    node.left = this.removeMin(node.left);
    return this.rebalance(node);
  }
  height(n) {
    return n === null ? 0 : n.height;
  }
  augment(n) {
    if (this.lastOf === null) return 0;
    let m = this.lastOf(n.value);
    if (n.left !== null && n.left.maxLast > m) m = n.left.maxLast;
    if (n.right !== null && n.right.maxLast > m) m = n.right.maxLast;
    return m;
  }
  fix(n) {
    n.height = 1 + Math.max(this.height(n.left), this.height(n.right));
    n.maxLast = this.augment(n);
  }
  /** g_tree_node_balance: single rotation unless the heavy child leans the other way. */
  rebalance(n) {
    this.fix(n);
    const balance = this.height(n.right) - this.height(n.left);
    if (balance < -1) {
      const l = n.left;
      if (this.height(l.right) > this.height(l.left)) n.left = this.rotateLeft(l);
      return this.rotateRight(n);
    }
    if (balance > 1) {
      const r = n.right;
      if (this.height(r.left) > this.height(r.right)) n.right = this.rotateRight(r);
      return this.rotateLeft(n);
    }
    return n;
  }
  rotateLeft(n) {
    const r = n.right;
    n.right = r.left;
    r.left = n;
    this.fix(n);
    this.fix(r);
    return r;
  }
  rotateRight(n) {
    const l = n.left;
    n.left = l.right;
    l.right = n;
    this.fix(n);
    this.fix(l);
    return l;
  }
};

// core/model/qemu/iovaTree.ts
var IOVA_OK = 0;
var IOVA_ERR_INVALID = -1;
var IOVA_ERR_OVERLAP = -2;
var IOVA_ERR_NOMEM = -3;
var IOVA_ERR_NAMES = {
  [IOVA_ERR_INVALID]: "IOVA_ERR_INVALID",
  [IOVA_ERR_OVERLAP]: "IOVA_ERR_OVERLAP",
  [IOVA_ERR_NOMEM]: "IOVA_ERR_NOMEM"
};
function iovaErrName(code) {
  if (code === IOVA_OK) return null;
  const name2 = IOVA_ERR_NAMES[code];
  if (name2 === void 0) throw new Error(`unknown iova-tree code ${code}`);
  return name2;
}
function wrapsU642(start, size) {
  if (start + size < U64_END) return false;
  return BigInt(start) + BigInt(size) >= 1n << 64n;
}
function u642(x) {
  return x >= U64_END ? x - U64_END : x;
}
function compareIova(a, b) {
  if (a.iova > b.iova + b.size) return 1;
  if (a.iova + a.size < b.iova) return -1;
  return 0;
}
function compareHost(a, b) {
  if (a.translatedAddr !== b.translatedAddr) return a.translatedAddr < b.translatedAddr ? -1 : 1;
  if (a.iova !== b.iova) return a.iova < b.iova ? -1 : 1;
  return 0;
}
var hostLast = (m) => m.translatedAddr + m.size;
var hostStart = (m) => m.translatedAddr;
var IovaTree = class {
  constructor(laneName, fix, costs) {
    this.laneName = laneName;
    this.fix = fix;
    this.costs = costs;
    this.useIds = fix === "id" || fix === "id+reverse-index";
    this.useReverse = fix === "reverse-index" || fix === "id+reverse-index";
  }
  tree = new GTreeShape(compareIova);
  /** Reverse indexes keyed by host address: one for 'reverse-index', one per id for 'id+reverse-index'. */
  reverse = /* @__PURE__ */ new Map();
  useIds;
  useReverse;
  lookups = 0;
  lookupComparisons = 0;
  wrongTranslations = 0;
  partialMatches = 0;
  mapsPeak = 0;
  /** Outputs of the last call. */
  lastCostNs = 0;
  lastSteps = 0;
  lastMap = null;
  lastIova = 0;
  lastRemoved = 0;
  lastWrong = false;
  lastRemainder = [];
  get mapCount() {
    return this.tree.size;
  }
  /** iova_tree_insert: wrap or IOMMU_NONE -> INVALID; any overlap -> OVERLAP; never merged with neighbours. */
  insert(iova, translatedAddr, size, perm2, id2 = null) {
    this.begin();
    const rc = this.insertMap({ iova, translatedAddr, size, perm: perm2, id: id2 });
    return this.end(rc);
  }
  /** iova_tree_find: the overlapping map met first on the GTree search path (the one nearest the root), or null. */
  find(iova, size) {
    this.begin();
    this.lastMap = this.tree.lookup({ iova, translatedAddr: 0, size, perm: "rw", id: null });
    this.countLookup();
    this.end(IOVA_OK);
    return this.lastMap;
  }
  /**
   * iova_tree_find_iova: the first map whose host range overlaps [translatedAddr, translatedAddr + size].
   * Today a g_tree_foreach in IOVA order (O(n)); with 'id' the map's id must equal the needle's; with a
   * reverse index the lowest host address wins in O(log n). `intendedId` is the guest region the caller
   * means (ground truth); undefined = unknown. Sets lastWrong and lastRemainder (non-empty = partial).
   */
  findIova(translatedAddr, size, intendedId) {
    this.begin();
    const needleId = intendedId ?? null;
    const last = translatedAddr + size;
    let found = null;
    if (this.useReverse) {
      const index = this.reverse.get(this.useIds ? needleId : null);
      found = index === void 0 ? null : index.lowestOverlap(translatedAddr, last, hostStart);
      if (index !== void 0) this.tree.steps += index.steps;
      if (index !== void 0) index.steps = 0;
    } else {
      this.tree.forEachInOrder((m) => {
        if (m.translatedAddr + m.size < translatedAddr || last < m.translatedAddr) return false;
        if (this.useIds && m.id !== needleId) return false;
        found = m;
        return true;
      });
    }
    this.lastMap = found;
    this.countLookup();
    this.judgeReverse(found, translatedAddr, size, intendedId);
    this.end(IOVA_OK);
    return found;
  }
  /** iova_tree_remove: deletes every map overlapping the range, one lookup at a time; never splits. */
  remove(iova, size) {
    this.begin();
    const needle = { iova, translatedAddr: 0, size, perm: "rw", id: null };
    let removed = 0;
    for (let m = this.tree.lookup(needle); m !== null; m = this.tree.lookup(needle)) {
      this.tree.remove(m);
      const index = this.reverseIndexOf(m);
      if (index !== void 0) {
        index.remove(m);
        this.tree.steps += index.steps;
        index.steps = 0;
      }
      removed++;
    }
    this.lastRemoved = removed;
    return this.end(IOVA_OK);
  }
  /**
   * iova_tree_alloc_map: the lowest hole at or above `begin` (a linear g_tree_foreach), then insert.
   * iova_tree_alloc_map_in_hole accepts a hole when `hole_last - hole_start > size` in uint64, where
   * hole_last is the next map's first byte (an exact fit works) or HWADDR_MAX past the last map (the
   * top hole needs one spare byte). A map that straddles `begin` makes that difference wrap, so the
   * hole "found" is `begin` itself and the insert fails with OVERLAP: QEMU's behaviour, kept.
   */
  allocMap(translatedAddr, size, perm2, begin, last, id2 = null) {
    this.begin();
    if (last < begin) return this.end(IOVA_ERR_INVALID);
    let prev = null;
    let result = -1;
    const inHole = (next) => {
      if (next !== null && next.iova + next.size < begin) return false;
      const holeStart = Math.max(prev === null ? 0 : u642(prev.iova + prev.size + 1), begin);
      if (holeDiffExceeds(next === null ? null : next.iova, holeStart, size)) {
        result = holeStart;
        return true;
      }
      return false;
    };
    this.tree.forEachInOrder((m) => {
      const found = inHole(m);
      prev = m;
      return found;
    });
    if (result < 0) inHole(null);
    if (result < 0 || u642(result + size) > last) return this.end(IOVA_ERR_NOMEM);
    this.lastIova = result;
    return this.end(this.insertMap({ iova: result, translatedAddr, size, perm: perm2, id: id2 }));
  }
  /** All maps in IOVA order. */
  maps() {
    const out = [];
    const steps = this.tree.steps;
    this.tree.forEachInOrder((m) => {
      out.push(m);
      return false;
    });
    this.tree.steps = steps;
    return out;
  }
  collectMetrics(into) {
    addMetric(into, "iovaTree.lookups", this.lookups);
    addMetric(into, "iovaTree.lookupComparisons", this.lookupComparisons);
    addMetric(into, "iovaTree.wrongTranslations", this.wrongTranslations);
    addMetric(into, "iovaTree.partialMatches", this.partialMatches);
    maxMetric(into, "iovaTree.mapsPeak", this.mapsPeak);
  }
  snapshot() {
    return {
      fix: this.fix,
      maps: this.maps().map((m) => ({ ...m })),
      shape: this.tree.preOrder().map((m) => m.iova),
      reverse: [...this.reverse.entries()].map(([id2, t]) => ({ id: id2, shape: t.preOrder().map((m) => m.iova) }))
    };
  }
  checkInvariants() {
    const problems = this.tree.check("IOVA tree");
    const maps = this.maps();
    for (let i = 0; i < maps.length; i++) {
      const m = maps[i];
      if (m.perm === "none") problems.push(`map at IOVA ${m.iova} has no permission`);
      if (wrapsU642(m.iova, m.size) || wrapsU642(m.translatedAddr, m.size)) problems.push(`map at IOVA ${m.iova} wraps past 2^64`);
      const next = maps[i + 1];
      if (next !== void 0 && m.iova + m.size >= next.iova) problems.push(`maps at IOVA ${m.iova} and ${next.iova} overlap`);
    }
    if (this.mapsPeak < maps.length) problems.push("mapsPeak is below the live map count");
    if (this.useReverse) problems.push(...this.checkReverse(maps));
    else if (this.reverse.size > 0) problems.push("a reverse index exists without the reverse-index fix");
    return problems;
  }
  checkReverse(maps) {
    const problems = [];
    let total = 0;
    for (const [id2, index] of this.reverse) {
      problems.push(...index.check(`reverse index ${String(id2)}`));
      total += index.size;
    }
    if (total !== maps.length) problems.push(`reverse index holds ${total} maps, the tree ${maps.length}`);
    for (const m of maps) {
      const index = this.reverseIndexOf(m);
      const steps = index?.steps ?? 0;
      if (index?.lookup(m) !== m) problems.push(`map at IOVA ${m.iova} is missing from the reverse index`);
      if (index !== void 0) index.steps = steps;
    }
    return problems;
  }
  insertMap(map) {
    if (wrapsU642(map.iova, map.size) || map.perm === "none") return IOVA_ERR_INVALID;
    if (this.tree.lookup(map) !== null) return IOVA_ERR_OVERLAP;
    this.tree.insert(map);
    if (this.useReverse) {
      const key = this.useIds ? map.id : null;
      let index = this.reverse.get(key);
      if (index === void 0) {
        index = new GTreeShape(compareHost, hostLast);
        this.reverse.set(key, index);
      }
      index.insert(map);
      this.tree.steps += index.steps;
      index.steps = 0;
    }
    if (this.tree.size > this.mapsPeak) this.mapsPeak = this.tree.size;
    return IOVA_OK;
  }
  reverseIndexOf(m) {
    if (!this.useReverse) return void 0;
    return this.reverse.get(this.useIds ? m.id : null);
  }
  judgeReverse(found, translatedAddr, size, intendedId) {
    this.lastWrong = found !== null && intendedId !== void 0 && found.id !== intendedId;
    if (this.lastWrong) this.wrongTranslations++;
    const remainder = [];
    if (found !== null) {
      const last = translatedAddr + size;
      const foundLast = found.translatedAddr + found.size;
      if (found.translatedAddr > translatedAddr) remainder.push({ translatedAddr, size: found.translatedAddr - 1 - translatedAddr });
      if (foundLast < last) remainder.push({ translatedAddr: foundLast + 1, size: last - foundLast - 1 });
    }
    if (remainder.length > 0) this.partialMatches++;
    this.lastRemainder = remainder;
  }
  countLookup() {
    this.lookups++;
    this.lookupComparisons += this.tree.steps;
  }
  begin() {
    this.tree.steps = 0;
    this.lastMap = null;
    this.lastRemoved = 0;
    this.lastWrong = false;
    this.lastRemainder = [];
  }
  end(rc) {
    this.lastSteps = this.tree.steps;
    this.lastCostNs = this.tree.steps * this.costs.qemuIovaTreeStepNs;
    return rc;
  }
};
var HWADDR_MAX = (1n << 64n) - 1n;
function holeDiffExceeds(holeLast, holeStart, size) {
  if (holeLast === null) return HWADDR_MAX - BigInt(holeStart) > BigInt(size);
  if (holeLast < holeStart) return U64_END - (holeStart - holeLast) > size;
  if (holeLast >= 2 ** 53) return BigInt(holeLast) - BigInt(holeStart) > BigInt(size);
  return holeLast - holeStart > size;
}

// core/ops/iovaTreeOps.ts
var treeName = z15.string().regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'must start with a letter and use only letters, digits, "_", "." or "-"').max(64).default("tree0");
var perm = z15.enum(["none", "ro", "wo", "rw"]).default("rw");
var regionId = u64.optional();
function treeOf(env, name2) {
  return env.instance(`iovaTree:${name2}`, () => new IovaTree(`iovaTree.${name2}`, env.scenario.host.qemu.iovaTree.fix, env.costs));
}
function outcome3(tree, rc, ret) {
  const errno = iovaErrName(rc);
  return { ok: errno === null, errno, ret: errno === null ? ret : null, costNs: tree.lastCostNs, lane: tree.laneName };
}
function dmaMapView(m) {
  if (m === null) return null;
  return {
    iova: toHexOrNumber(m.iova),
    translatedAddr: toHexOrNumber(m.translatedAddr),
    size: toHexOrNumber(m.size),
    perm: m.perm,
    id: m.id === null ? null : toHexOrNumber(m.id)
  };
}
var insertArgs = z15.strictObject({ tree: treeName, iova: u64, translatedAddr: u64, size: u64, perm, id: regionId });
var rangeArgs = z15.strictObject({ tree: treeName, iova: u64, size: u64 });
var findIovaArgs = z15.strictObject({ tree: treeName, translatedAddr: u64, size: u64, id: regionId });
var allocArgs = z15.strictObject({ tree: treeName, translatedAddr: u64, size: u64, perm, begin: u64, last: u64, id: regionId });
var IOVA_TREE_OPS = [
  defineOp({
    name: "iovaTree.insert",
    layer: "iovaTree",
    summary: "iova_tree_insert: add a map {iova, translatedAddr, size (inclusive), perm, id = GPA}; never merged",
    args: insertArgs,
    run: (env, a) => {
      const t = treeOf(env, a.tree);
      return outcome3(t, t.insert(a.iova, a.translatedAddr, a.size, a.perm, a.id ?? null), null);
    }
  }),
  defineOp({
    name: "iovaTree.find",
    layer: "iovaTree",
    summary: "iova_tree_find: the overlapping map nearest the GTree root, or null",
    args: rangeArgs,
    run: (env, a) => {
      const t = treeOf(env, a.tree);
      return outcome3(t, 0, dmaMapView(t.find(a.iova, a.size)));
    }
  }),
  defineOp({
    name: "iovaTree.findIova",
    layer: "iovaTree",
    summary: "iova_tree_find_iova: reverse lookup by host address; reports wrong (other region) and partial matches",
    args: findIovaArgs,
    run: (env, a) => {
      const t = treeOf(env, a.tree);
      const map = t.findIova(a.translatedAddr, a.size, a.id);
      return outcome3(t, 0, {
        map: dmaMapView(map),
        wrong: t.lastWrong,
        partial: t.lastRemainder.length > 0,
        remainder: t.lastRemainder.map((r) => ({ translatedAddr: toHexOrNumber(r.translatedAddr), size: toHexOrNumber(r.size) })),
        comparisons: t.lastSteps
      });
    }
  }),
  defineOp({
    name: "iovaTree.remove",
    layer: "iovaTree",
    summary: "iova_tree_remove: delete every map overlapping the range (never split); ret = maps removed",
    args: rangeArgs,
    run: (env, a) => {
      const t = treeOf(env, a.tree);
      return outcome3(t, t.remove(a.iova, a.size), t.lastRemoved);
    }
  }),
  defineOp({
    name: "iovaTree.allocMap",
    layer: "iovaTree",
    summary: "iova_tree_alloc_map: first hole in [begin, last] from the bottom, then insert; ret = IOVA",
    args: allocArgs,
    run: (env, a) => {
      const t = treeOf(env, a.tree);
      const rc = t.allocMap(a.translatedAddr, a.size, a.perm, a.begin, a.last, a.id ?? null);
      return outcome3(t, rc, toHexOrNumber(t.lastIova));
    }
  })
];

// core/ops/iommufdOps.ts
import { z as z16 } from "zod";
var DEFAULT_IOAS = "ioas0";
var ioasRef = z16.union([z16.string().min(1).max(64), z16.number().int().positive()]).optional().meta({ description: 'IOAS name (created on first use and attached) or id from iommufd.ioasAlloc; default "ioas0".' });
var rangeSchema = z16.strictObject({ start: u64, last: u64.meta({ description: "Inclusive last IOVA." }) });
function context(env) {
  return env.instance(
    "iommufd",
    () => new IommufdContext({
      process: env.process,
      costs: env.costs,
      faults: env.faults,
      dmaWindows: env.scenario.host.iommufd.dmaWindows,
      maxAutoAlignBytes: hugePageBytes(env.scenario.host.arch)
    })
  );
}
function resolveIoas(env, ctx, ref) {
  if (typeof ref === "number") {
    const ioas2 = ctx.ioas(ref);
    return ioas2 === void 0 ? { rc: ENOENT, costNs: 0 } : { ioas: ioas2, costNs: 0 };
  }
  const name2 = ref ?? DEFAULT_IOAS;
  const existing = ctx.ioasByName(name2);
  if (existing !== void 0) return { ioas: existing, costNs: 0 };
  const rc = ctx.ioasAlloc(name2);
  if (rc !== OK) return { rc, costNs: 0 };
  const ioas = ctx.ioasByName(name2);
  const attached = ctx.attach(ioas, `${name2}.device`, env.geometry);
  if (attached !== OK) {
    ctx.ioasDestroy(ioas.id);
    return { rc: attached, costNs: ioas.lastCostNs };
  }
  return { ioas, costNs: ioas.lastCostNs };
}
function outcome4(rc, ret, costNs, lane) {
  return { ok: rc === OK, errno: linuxErrnoName(rc), ret: rc === OK ? ret : null, costNs, lane };
}
function onIoas(env, ref, call) {
  const ctx = context(env);
  const r = resolveIoas(env, ctx, ref);
  if ("rc" in r) return outcome4(r.rc, null, r.costNs, ctx.laneName);
  const { rc, ret } = call(r.ioas);
  return outcome4(rc, ret, r.costNs + r.ioas.lastCostNs, r.ioas.laneName);
}
var IOMMUFD_OPS = [
  defineOp({
    name: "iommufd.ioasAlloc",
    layer: "iommufd",
    summary: "IOMMU_IOAS_ALLOC: a new, unattached IOAS; ret = its id. `name` makes it addressable by name.",
    args: z16.strictObject({ name: z16.string().min(1).max(64).optional() }),
    run: (env, args) => {
      const ctx = context(env);
      const rc = ctx.ioasAlloc(args.name);
      const ioas = rc === OK ? ctx.ioas(ctx.lastIoasId) : void 0;
      return outcome4(rc, ctx.lastIoasId, 0, ioas?.laneName ?? ctx.laneName);
    }
  }),
  defineOp({
    name: "iommufd.attach",
    layer: "iommufd",
    summary: "Attach a device (with the host IOMMU geometry) to an IOAS: joins a domain of the same geometry or adds one.",
    args: z16.strictObject({ ioas: ioasRef, device: z16.string().min(1).max(64) }),
    run: (env, args) => onIoas(env, args.ioas, (ioas) => ({ rc: context(env).attach(ioas, args.device, env.geometry), ret: null }))
  }),
  defineOp({
    name: "iommufd.map",
    layer: "iommufd",
    summary: "IOMMU_IOAS_MAP of [uptr, uptr + length) at iova (absent = automatic IOVA); ret = the IOVA.",
    args: z16.strictObject({
      ioas: ioasRef,
      iova: u64.optional(),
      uptr: u64,
      length: u64,
      read: z16.boolean().default(true),
      write: z16.boolean().default(true)
    }),
    run: (env, args) => onIoas(env, args.ioas, (ioas) => {
      const flags = protFlags(args.read, args.write) | (args.iova !== void 0 ? IOMMU_IOAS_MAP_FIXED_IOVA : 0);
      const rc = ioas.map(flags, args.iova ?? 0, args.uptr, args.length);
      return { rc, ret: toHexOrNumber(ioas.lastIova) };
    })
  }),
  defineOp({
    name: "iommufd.unmap",
    layer: "iommufd",
    summary: "IOMMU_IOAS_UNMAP of whole areas in [iova, iova + length); iova 0 with length 2^64-1 unmaps all. ret = bytes unmapped.",
    args: z16.strictObject({ ioas: ioasRef, iova: u64, length: u64 }),
    run: (env, args) => onIoas(env, args.ioas, (ioas) => {
      const rc = ioas.unmap(args.iova, args.length);
      return { rc, ret: toHexOrNumber(ioas.lastUnmappedBytes) };
    })
  }),
  defineOp({
    name: "iommufd.copy",
    layer: "iommufd",
    summary: "IOMMU_IOAS_COPY of [srcIova, srcIova + length) of srcIoas to dstIova of dstIoas (absent = automatic), sharing the pinned pages. ret = the destination IOVA.",
    args: z16.strictObject({
      dstIoas: ioasRef,
      srcIoas: ioasRef,
      dstIova: u64.optional(),
      srcIova: u64,
      length: u64,
      read: z16.boolean().default(true),
      write: z16.boolean().default(true)
    }),
    run: (env, args) => {
      const ctx = context(env);
      const src = resolveIoas(env, ctx, args.srcIoas);
      if ("rc" in src) return outcome4(src.rc, null, src.costNs, ctx.laneName);
      const out = onIoas(env, args.dstIoas, (dst) => {
        const flags = protFlags(args.read, args.write) | (args.dstIova !== void 0 ? IOMMU_IOAS_MAP_FIXED_IOVA : 0);
        const rc = dst.copyFrom(src.ioas, flags, args.srcIova, args.length, args.dstIova ?? 0);
        return { rc, ret: toHexOrNumber(dst.lastIova) };
      });
      return { ...out, costNs: out.costNs + src.costNs };
    }
  }),
  defineOp({
    name: "iommufd.iovaRanges",
    layer: "iommufd",
    summary: "IOMMU_IOAS_IOVA_RANGES: usable IOVA ranges (holes between reserved ranges) and the IOVA alignment; EMSGSIZE with ret {count} when more than `capacity`.",
    args: z16.strictObject({ ioas: ioasRef, capacity: z16.number().int().nonnegative().optional() }),
    run: (env, args) => {
      const ctx = context(env);
      const r = resolveIoas(env, ctx, args.ioas);
      if ("rc" in r) return outcome4(r.rc, null, r.costNs, ctx.laneName);
      const ioas = r.ioas;
      const rc = ioas.iovaRanges(args.capacity ?? Infinity);
      const ranges = ioas.lastIovaRanges.map((s2) => ({ start: toHexOrNumber(s2.start), last: formatLast(s2.end) }));
      const ret = rc === OK ? { ranges, alignment: ioas.lastIovaAlignment } : { count: ioas.lastIovaRangeCount };
      return { ok: rc === OK, errno: linuxErrnoName(rc), ret, costNs: r.costNs, lane: ioas.laneName };
    }
  }),
  defineOp({
    name: "iommufd.allowIovas",
    layer: "iommufd",
    summary: "IOMMU_IOAS_ALLOW_IOVAS: restrict automatic IOVA to these inclusive ranges (an empty list lifts the restriction).",
    args: z16.strictObject({ ioas: ioasRef, ranges: z16.array(rangeSchema).max(4096) }),
    run: (env, args) => onIoas(env, args.ioas, (ioas) => ({ rc: ioas.allowIovas(args.ranges), ret: null }))
  }),
  defineOp({
    name: "iommufd.createWindow",
    layer: "iommufd",
    summary: "Window extension (reference 001, host.iommufd.dmaWindows): create an IOVA window; absent base/pageSize are chosen. ret = {base, size, pageSize}.",
    args: z16.strictObject({ ioas: ioasRef, base: u64.optional(), size: u64, pageSize: z16.number().int().positive().optional() }),
    run: (env, args) => {
      if (!env.scenario.host.iommufd.dmaWindows) return outcome4(EOPNOTSUPP, null, 0, context(env).laneName);
      return onIoas(env, args.ioas, (ioas) => {
        const rc = ioas.createWindow(args.base ?? null, args.size, args.pageSize ?? null);
        const w = ioas.lastWindow;
        return { rc, ret: w === null ? null : { base: toHexOrNumber(w.base), size: toHexOrNumber(w.end - w.base), pageSize: w.pageSize } };
      });
    }
  }),
  defineOp({
    name: "iommufd.removeWindow",
    layer: "iommufd",
    summary: "Window extension: remove the window starting at base and every mapping in it. ret = bytes unmapped.",
    args: z16.strictObject({ ioas: ioasRef, base: u64 }),
    run: (env, args) => {
      if (!env.scenario.host.iommufd.dmaWindows) return outcome4(EOPNOTSUPP, null, 0, context(env).laneName);
      return onIoas(env, args.ioas, (ioas) => {
        const rc = ioas.removeWindow(args.base);
        return { rc, ret: toHexOrNumber(ioas.lastUnmappedBytes) };
      });
    }
  })
];
function formatLast(end) {
  const last = lastAddress(end);
  return last <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(last) : "0x" + last.toString(16);
}

// core/ops/dmaOps.ts
import { z as z17 } from "zod";

// core/sim/timelineHash.ts
var f64 = new Float64Array(1);
var u32 = new Uint32Array(f64.buffer);
var TimelineHash = class {
  h1 = 2166136261;
  h2 = 16777619 ^ 2654435769;
  addNumber(x) {
    f64[0] = x;
    this.mix(u32[0]);
    this.mix(u32[1]);
  }
  addString(s2) {
    this.addNumber(s2.length);
    for (let i = 0; i < s2.length; i++) this.mix(s2.charCodeAt(i));
  }
  /** 16 hex digits. */
  digest() {
    return (this.h1 >>> 0).toString(16).padStart(8, "0") + (this.h2 >>> 0).toString(16).padStart(8, "0");
  }
  mix(word) {
    this.h1 = Math.imul(this.h1 ^ word, 16777619);
    this.h2 = Math.imul(this.h2 ^ word + 2135587861, 1540483477);
    this.h2 ^= this.h2 >>> 13;
  }
};

// core/sim/timelineRecorder.ts
var NO_CAUSE = -1;
var MAX_ARGS = 3;
var TimelineRecorder = class {
  /** @param maxEvents events past this many are counted as dropped instead of stored. */
  constructor(maxEvents = 5e7, initialCapacity = 4096) {
    this.maxEvents = maxEvents;
    this.cap = Math.max(16, Math.min(initialCapacity, maxEvents));
    this.t = new Float64Array(this.cap);
    this.dur = new Float64Array(this.cap);
    this.lane = new Uint16Array(this.cap);
    this.kind = new Uint16Array(this.cap);
    this.a0 = new Float64Array(this.cap);
    this.a1 = new Float64Array(this.cap);
    this.a2 = new Float64Array(this.cap);
    this.cause = new Int32Array(this.cap);
  }
  cap;
  length = 0;
  droppedCount = 0;
  t;
  dur;
  lane;
  kind;
  a0;
  a1;
  a2;
  cause;
  lanes = [];
  laneIndex = /* @__PURE__ */ new Map();
  kinds = [];
  kindIndex = /* @__PURE__ */ new Map();
  strings = [];
  stringIndex = /* @__PURE__ */ new Map();
  get size() {
    return this.length;
  }
  get dropped() {
    return this.droppedCount;
  }
  /** Prepended to lane names defined from now on (one run plan simulates its variants one after the other). */
  lanePrefix = "";
  defineLane(localName, group) {
    const name2 = this.lanePrefix + localName;
    const known = this.laneIndex.get(name2);
    if (known !== void 0) return known;
    const id2 = this.lanes.length;
    if (id2 > 65535) throw new RangeError("too many timeline lanes");
    this.lanes.push({ id: id2, name: name2, group });
    this.laneIndex.set(name2, id2);
    return id2;
  }
  defineKind(def) {
    const known = this.kindIndex.get(def.name);
    if (known !== void 0) return known;
    if ((def.args?.length ?? 0) > MAX_ARGS) throw new RangeError(`kind ${def.name}: at most ${MAX_ARGS} args`);
    const id2 = this.kinds.length;
    this.kinds.push({ id: id2, name: def.name, args: def.args ?? [], failure: def.failure ?? false });
    this.kindIndex.set(def.name, id2);
    return id2;
  }
  /** Interns a string so it can be passed as a numeric argument of format 'str'. */
  internString(s2) {
    const known = this.stringIndex.get(s2);
    if (known !== void 0) return known;
    const id2 = this.strings.length;
    this.strings.push(s2);
    this.stringIndex.set(s2, id2);
    return id2;
  }
  /** Records one event and returns its index (usable as a cause), or NO_CAUSE when dropped. */
  record(t, duration, lane, kind, a0 = 0, a1 = 0, a2 = 0, cause = NO_CAUSE) {
    const i = this.length;
    if (i >= this.maxEvents) {
      this.droppedCount++;
      return NO_CAUSE;
    }
    if (i === this.cap) this.grow();
    this.t[i] = t;
    this.dur[i] = duration;
    this.lane[i] = lane;
    this.kind[i] = kind;
    this.a0[i] = a0;
    this.a1[i] = a1;
    this.a2[i] = a2;
    this.cause[i] = cause;
    this.length = i + 1;
    return i;
  }
  /** Sets the duration of an event recorded earlier (a span whose end was not known yet). */
  setDuration(index, duration) {
    if (index >= 0 && index < this.length) this.dur[index] = duration;
  }
  /**
   * The hash of the lanes, kinds and strings defined so far and of the events from `from` on (a
   * variant of a run plan hashes its own events; 0 hashes the whole timeline).
   */
  hash(from = 0) {
    const h = new TimelineHash();
    for (const l of this.lanes) h.addString(l.name);
    for (const k of this.kinds) h.addString(k.name);
    for (const s2 of this.strings) h.addString(s2);
    h.addNumber(this.length - from);
    for (let i = from; i < this.length; i++) {
      h.addNumber(this.t[i]);
      h.addNumber(this.dur[i]);
      h.addNumber(this.lane[i] * 65536 + this.kind[i]);
      h.addNumber(this.a0[i]);
      h.addNumber(this.a1[i]);
      h.addNumber(this.a2[i]);
      h.addNumber(this.cause[i]);
    }
    return h.digest();
  }
  /** A read-only view of the columns, trimmed to the recorded length (no copy). */
  columns() {
    const n = this.length;
    return {
      count: n,
      t: this.t.subarray(0, n),
      dur: this.dur.subarray(0, n),
      lane: this.lane.subarray(0, n),
      kind: this.kind.subarray(0, n),
      a0: this.a0.subarray(0, n),
      a1: this.a1.subarray(0, n),
      a2: this.a2.subarray(0, n),
      cause: this.cause.subarray(0, n),
      lanes: this.lanes,
      kinds: this.kinds,
      strings: this.strings
    };
  }
  grow() {
    const next = Math.min(this.cap * 2, this.maxEvents);
    this.t = grow(this.t, next, Float64Array);
    this.dur = grow(this.dur, next, Float64Array);
    this.lane = grow(this.lane, next, Uint16Array);
    this.kind = grow(this.kind, next, Uint16Array);
    this.a0 = grow(this.a0, next, Float64Array);
    this.a1 = grow(this.a1, next, Float64Array);
    this.a2 = grow(this.a2, next, Float64Array);
    this.cause = grow(this.cause, next, Int32Array);
    this.cap = next;
  }
};
function grow(a, size, Ctor) {
  const b = new Ctor(size);
  b.set(a);
  return b;
}

// core/model/base/dmaCall.ts
var DmaCall = class {
  constructor(cpu) {
    this.cpu = cpu;
  }
  /** Simulated time this call has reached, ns. */
  t = 0;
  /** 0 or a positive Linux errno. */
  errno = 0;
  /** Timeline event that most recently explains this call (a cause for what follows). */
  cause = NO_CAUSE;
  /** Bus address the map produced (valid when errno is 0). */
  dmaAddr = 0;
  begin(now) {
    this.t = now;
    this.errno = 0;
    this.cause = NO_CAUSE;
    this.dmaAddr = 0;
    return this;
  }
};

// core/model/guestDma/dmaDirect.ts
var DmaDirect = class {
  constructor(costs) {
    this.costs = costs;
  }
  label = "dma-direct";
  maps = 0;
  unmaps = 0;
  map(call, _dev, gpa) {
    call.t += this.costs.guestDmaMapNs;
    call.dmaAddr = gpa;
    this.maps++;
  }
  allocCoherent(call, dev, gpa) {
    this.map(call, dev, gpa);
  }
  lastAddr = 0;
  lastBytes = 0;
  lastAtNs = 0;
  lastCause = -1;
  unmap(call, dmaAddr, bytes) {
    call.t += this.costs.guestDmaMapNs;
    this.unmaps++;
    this.lastAddr = dmaAddr;
    this.lastBytes = bytes;
    this.lastAtNs = call.t;
    this.lastCause = call.cause;
  }
  /** Without a vIOMMU the bus address is the guest-physical one: a device reaches it forever. */
  probeLastUnmap() {
    if (this.unmaps === 0) return null;
    return { dmaAddr: this.lastAddr, bytes: this.lastBytes, unmappedAtNs: this.lastAtNs, cause: this.lastCause, outcome: "unprotected" };
  }
  fqDepth() {
    return 0;
  }
  collectMetrics(into) {
    addMetric(into, "dma.maps", this.maps);
    addMetric(into, "dma.unmaps", this.unmaps);
    addMetric(into, "dma.mapFailures", 0);
  }
};

// core/model/guestDma/guestDmaSlot.ts
var GuestDmaSlot = class {
  constructor(current) {
    this.current = current;
  }
  retired = [];
  get label() {
    return this.current.label;
  }
  /** The layer serving calls now. */
  get layer() {
    return this.current;
  }
  /** How many times the layers were replaced. */
  get generations() {
    return this.retired.length;
  }
  map(call, dev, gpa, bytes, write) {
    this.current.map(call, dev, gpa, bytes, write);
  }
  unmap(call, dmaAddr, bytes) {
    this.current.unmap(call, dmaAddr, bytes);
  }
  allocCoherent(call, dev, gpa, bytes) {
    this.current.allocCoherent(call, dev, gpa, bytes);
  }
  fqDepth() {
    return this.current.fqDepth();
  }
  probeLastUnmap() {
    return this.current.probeLastUnmap?.() ?? null;
  }
  /** The old layer is retired (its timers stop) and `next` serves every later call. */
  replace(next) {
    this.current.retire?.();
    this.retired.push(this.current);
    this.current = next;
  }
  retire() {
    this.current.retire?.();
  }
  collectMetrics(into) {
    for (const old of this.retired) old.collectMetrics(into);
    this.current.collectMetrics(into);
  }
};

// core/model/guestDma/dmaDevice.ts
function dmaBitMask(bits) {
  return bits >= 64 ? 2 ** 64 - 1 : 2 ** bits - 1;
}
var DmaDevice = class {
  constructor(name2, dmaMaskBits, coherentMaskBits, forcedac2) {
    this.name = name2;
    this.dmaMaskBits = dmaMaskBits;
    this.coherentMaskBits = coherentMaskBits;
    this.pci32bitWorkaround = !forcedac2;
  }
  /** dev->iommu->pci_32bit_workaround: try below 4 GiB first; cleared for good on the first failure. */
  pci32bitWorkaround;
  /** Kernel log lines this device produced ("Using 42-bit DMA addresses"). */
  log = [];
  /** Widest address the device's limit allowed when it gave up the 32-bit window (bits_per(dma_limit)). */
  dacBits = 0;
};

// core/model/host/hostProcess.ts
var BACKING_CHUNK_BYTES = {
  "4k": PAGE_SIZE,
  thp: 2 * 1024 * 1024,
  "hugepages-2m": 2 * 1024 * 1024,
  "hugepages-1g": 1024 * 1024 * 1024
};
var HostProcess = class {
  constructor(config) {
    this.config = config;
    this.chunkBytes = BACKING_CHUNK_BYTES[config.backing];
    this.memlockBytes = config.memlockBytes;
  }
  locked = 0;
  lockedPeak = 0;
  failures = 0;
  memlockBytes;
  chunkBytes;
  /** RLIMIT_MEMLOCK now, bytes (null: unlimited). */
  get memlockLimitBytes() {
    return this.memlockBytes;
  }
  /**
   * prlimit(RLIMIT_MEMLOCK) on the running process: only later charges are checked against the new
   * limit; what is already locked stays locked (the kernel never unpins to meet a lower limit).
   */
  setMemlockLimit(bytes) {
    this.memlockBytes = bytes;
  }
  get lockedPages() {
    return this.locked;
  }
  get lockedPeakBytes() {
    return this.lockedPeak * PAGE_SIZE;
  }
  get memlockFailures() {
    return this.failures;
  }
  /** Pages that may still be locked before RLIMIT_MEMLOCK is hit (Infinity without a limit or with CAP_IPC_LOCK). */
  lockablePages() {
    if (this.config.capIpcLock || this.memlockBytes === null) return Infinity;
    return Math.max(0, Math.floor(this.memlockBytes / PAGE_SIZE) - this.locked);
  }
  /**
   * Charges `pages` to locked_vm, as vfio_lock_acct / account_locked_vm do: refused (and counted as
   * a memlock failure) when locked_vm + pages would exceed the limit and the process lacks CAP_IPC_LOCK.
   */
  tryLock(pages) {
    if (pages > this.lockablePages()) {
      this.failures++;
      return false;
    }
    this.locked += pages;
    if (this.locked > this.lockedPeak) this.lockedPeak = this.locked;
    return true;
  }
  unlock(pages) {
    if (pages > this.locked) throw new Error(`unlocking ${pages} pages but only ${this.locked} are locked`);
    this.locked -= pages;
  }
  /** Whether [vaddr, vaddr + size) lies in the mapped user address space (else pinning faults, -EFAULT). */
  isMapped(vaddr, size) {
    return vaddr >= PAGE_SIZE && vaddr + size <= this.config.userAddressEnd;
  }
  /**
   * Bytes of physically contiguous memory starting at `vaddr`, at most `maxBytes`. Each backing
   * chunk (a 4 KiB page, a 2 MiB or a 1 GiB huge page) is contiguous; separate chunks are modelled
   * as never adjacent in physical memory, which is what hugepage-backed guests give on a busy host.
   */
  contiguousBytes(vaddr, maxBytes) {
    const toChunkEnd = this.chunkBytes - vaddr % this.chunkBytes;
    return Math.min(toChunkEnd, maxBytes);
  }
  /** Offset of the physical address behind `vaddr` within its naturally aligned backing chunk. */
  physOffsetInChunk(vaddr) {
    return vaddr % this.chunkBytes;
  }
};

// core/model/host/hostEnvironment.ts
function hostIommuGeometry(scenario) {
  const base = defaultIommuGeometry(scenario.host.arch);
  const o = scenario.host.iommu;
  return {
    apertureStart: base.apertureStart,
    apertureLast: o.apertureLast ?? base.apertureLast,
    pageSizes: o.pageSizes ?? base.pageSizes,
    reserved: o.reservedRegions ?? base.reserved
  };
}
function createHostEnvironment(scenario, costs, faults = new FaultInjector()) {
  const process2 = new HostProcess({
    memlockBytes: scenario.host.vfio.memlockBytes,
    capIpcLock: scenario.host.vfio.capIpcLock,
    backing: scenario.host.memoryBacking,
    userAddressEnd: 2 ** 47
  });
  const geometry = hostIommuGeometry(scenario);
  const registry = /* @__PURE__ */ new Map();
  return {
    scenario,
    costs,
    process: process2,
    faults,
    geometry,
    instance(key, create) {
      let inst = registry.get(key);
      if (inst === void 0) {
        inst = create();
        registry.set(key, inst);
      }
      return inst;
    },
    instances: () => [...registry.values()]
  };
}

// core/model/guestDma/iommuDma.ts
import * as hdr from "hdr-histogram-js";

// core/sim/scheduler.ts
var PRIORITY_NORMAL = 100;
var PRIORITY_EARLY = 10;
var PRIORITY_LATE = 200;

// core/model/guestDma/flushQueue.ts
var Ring = class {
  constructor(size) {
    this.size = size;
    this.pfn = new Float64Array(size);
    this.pages = new Float64Array(size);
    this.counter = new Float64Array(size);
    this.queuedAt = new Float64Array(size);
  }
  pfn;
  pages;
  counter;
  queuedAt;
  head = 0;
  tail = 0;
  get depth() {
    return this.tail - this.head + this.size & this.size - 1;
  }
  /** fq_full: one slot is always left empty. */
  get full() {
    return (this.tail + 1 & this.size - 1) === this.head;
  }
};
var TIMER = 0;
var FlushQueue = class {
  /**
   * @param single one shared ring (IOMMU_DMA_OPTS_SINGLE_QUEUE) instead of one per CPU
   * @param size ring size, a power of two (256 per CPU / 32768 single by default)
   */
  constructor(sim, single, size, timeoutNs, cpus, hooks) {
    this.sim = sim;
    this.single = single;
    this.size = size;
    this.timeoutNs = timeoutNs;
    this.hooks = hooks;
    if (size < 2 || (size & size - 1) !== 0) throw new RangeError(`flush queue size must be a power of two >= 2, got ${size}`);
    this.rings = Array.from({ length: single ? 1 : cpus }, () => new Ring(size));
    this.handler = sim.register(this);
    this.timerCall = new DmaCall(0);
  }
  rings;
  handler;
  timerCall;
  startCnt = 0;
  finishCnt = 0;
  timerOn = false;
  timerCpu = 0;
  retired = false;
  flushes = 0;
  fullFlushes = 0;
  timerFlushes = 0;
  peakDepth = 0;
  /** Entries waiting in all rings. */
  depth() {
    let d = 0;
    for (const r of this.rings) d += r.depth;
    return d;
  }
  /**
   * queue_iova: `call` is the unmapping CPU's call (a forced flush runs on its clock). Returns the
   * entry's flush ticket: the entry is unreachable once covered(ticket) holds.
   */
  queue(call, pfn, pages) {
    const ring = this.rings[this.single ? 0 : call.cpu];
    this.freeFinished(ring, call.cpu, call.t);
    if (ring.full) {
      this.fullFlushes++;
      this.flush(call);
      this.freeFinished(ring, call.cpu, call.t);
    }
    const idx = ring.tail;
    ring.tail = idx + 1 & ring.size - 1;
    ring.pfn[idx] = pfn;
    ring.pages[idx] = pages;
    ring.counter[idx] = this.startCnt;
    ring.queuedAt[idx] = call.t;
    const d = this.depth();
    if (d > this.peakDepth) this.peakDepth = d;
    if (!this.timerOn) {
      this.timerOn = true;
      this.timerCpu = call.cpu;
      this.sim.scheduleAt(Math.max(this.sim.now, call.t + this.timeoutNs), this.handler, TIMER, 0, 0, PRIORITY_EARLY);
    }
    return ring.counter[idx];
  }
  /** An entry queued with `ticket` has been flushed from every IOTLB (a flush that started after it finished). */
  covered(ticket) {
    return this.finishCnt > ticket;
  }
  /**
   * The domain is gone (guest reset, device removed): the pending timer does nothing, and what is
   * still queued is never flushed by this queue (the hypervisor dropped every mapping anyway).
   */
  retire() {
    this.retired = true;
  }
  /** fq_flush_timeout: flush, then free every ring. */
  handleEvent() {
    this.timerOn = false;
    if (this.retired) return;
    this.timerFlushes++;
    const call = this.timerCall;
    call.cpu = this.timerCpu;
    call.begin(this.sim.now);
    this.flush(call);
    this.hooks.occupyCpu(this.timerCpu, this.sim.now, call.t);
    for (let i = 0; i < this.rings.length; i++) this.freeFinished(this.rings[i], this.single ? this.timerCpu : i, call.t);
  }
  /** End time of flush number k (1-based: the value of start_cnt while it ran). */
  flushEndNs = [0];
  /** fq_flush_iotlb */
  flush(call) {
    this.startCnt++;
    this.hooks.flushIotlbAll(call);
    this.finishCnt++;
    this.flushes++;
    this.flushEndNs.push(call.t);
  }
  /** fq_ring_free_locked: frees entries queued before a finished flush started. */
  freeFinished(ring, cpu, nowNs) {
    const mask = ring.size - 1;
    while (ring.head !== ring.tail) {
      const i = ring.head;
      if (ring.counter[i] >= this.finishCnt) break;
      this.hooks.staleWindow(Math.max(0, this.flushEndNs[ring.counter[i] + 1] - ring.queuedAt[i]));
      this.hooks.freeIova(cpu, ring.pfn[i], ring.pages[i], nowNs);
      ring.head = i + 1 & mask;
    }
  }
  /** Timeout as a duration, for reports. */
  get timeout() {
    return this.timeoutNs;
  }
};

// core/model/guestDma/iovaGapTree.ts
var IovaNode = class {
  constructor(start, last, reserved) {
    this.start = start;
    this.last = last;
    this.reserved = reserved;
  }
  left = null;
  right = null;
  prio = 0;
  /** Nodes in this subtree. */
  count = 1;
  /** Free pfns between the predecessor's last pfn and this start; -Infinity for the lowest node. */
  gap = -Infinity;
  /** Largest `gap` in this subtree. */
  maxGap = -Infinity;
};
function countOf(n) {
  return n === null ? 0 : n.count;
}
function pull(n) {
  const l = n.left;
  const r = n.right;
  n.count = 1 + (l === null ? 0 : l.count) + (r === null ? 0 : r.count);
  let g = n.gap;
  if (l !== null && l.maxGap > g) g = l.maxGap;
  if (r !== null && r.maxGap > g) g = r.maxGap;
  n.maxGap = g;
}
var IovaGapTree = class {
  root = null;
  seed = 625341585;
  // Out-parameters of split(), so splitting allocates nothing.
  splitLeft = null;
  splitRight = null;
  get size() {
    return countOf(this.root);
  }
  /** The node with the largest start <= pfn, if any. */
  floor(pfn) {
    let t = this.root;
    let best = null;
    while (t !== null) {
      if (t.start <= pfn) {
        best = t;
        t = t.right;
      } else t = t.left;
    }
    return best;
  }
  /** The node with the largest start < pfn, if any. */
  below(pfn) {
    let t = this.root;
    let best = null;
    while (t !== null) {
      if (t.start < pfn) {
        best = t;
        t = t.right;
      } else t = t.left;
    }
    return best;
  }
  /** The node with the smallest start >= pfn, if any. */
  ceil(pfn) {
    let t = this.root;
    let best = null;
    while (t !== null) {
      if (t.start >= pfn) {
        best = t;
        t = t.left;
      } else t = t.right;
    }
    return best;
  }
  /** The node containing pfn, if any. */
  containing(pfn) {
    const n = this.floor(pfn);
    return n !== null && n.last >= pfn ? n : null;
  }
  /** The node after `n` in address order (rb_next). */
  next(n) {
    let t = this.root;
    let best = null;
    while (t !== null) {
      if (t.start > n.start) {
        best = t;
        t = t.left;
      } else t = t.right;
    }
    return best;
  }
  /** The node before `n` in address order (rb_prev). */
  prev(n) {
    return this.below(n.start);
  }
  first() {
    let t = this.root;
    if (t === null) return null;
    while (t.left !== null) t = t.left;
    return t;
  }
  /** How many nodes start below `start` (the in-order index of a node starting there). */
  rankOf(start) {
    let t = this.root;
    let rank = 0;
    while (t !== null) {
      if (start <= t.start) t = t.left;
      else {
        rank += countOf(t.left) + 1;
        t = t.right;
      }
    }
    return rank;
  }
  /** Inserts a node whose range the caller checked free. */
  insert(node) {
    const pred = this.below(node.start);
    const succ = this.ceil(node.start);
    node.left = node.right = null;
    node.gap = pred === null ? -Infinity : node.start - pred.last - 1;
    node.prio = this.nextPrio();
    pull(node);
    this.split(this.root, node.start);
    const right = this.splitRight;
    this.root = this.merge(this.merge(this.splitLeft, node), right);
    if (succ !== null) this.setGap(this.root, succ.start, succ.start - node.last - 1);
  }
  delete(node) {
    const pred = this.below(node.start);
    const succ = this.next(node);
    this.root = this.remove(this.root, node.start);
    if (succ !== null) this.setGap(this.root, succ.start, pred === null ? -Infinity : succ.start - pred.last - 1);
  }
  clear() {
    this.root = null;
  }
  /** Nodes overlapping [start, last], in address order (a snapshot: safe to delete while iterating). */
  overlapping(start, last) {
    const out = [];
    let n = this.containing(start) ?? this.ceil(start);
    while (n !== null && n.start <= last) {
      out.push(n);
      n = this.next(n);
    }
    return out;
  }
  /** Every node in address order. */
  *values() {
    const stack = [];
    let t = this.root;
    while (t !== null || stack.length > 0) {
      while (t !== null) {
        stack.push(t);
        t = t.left;
      }
      const n = stack.pop();
      yield n;
      t = n.right;
    }
  }
  /**
   * The highest node starting at or below `maxStart` whose gap below holds `size` pages aligned to
   * `align`: (start - size) rounded down to `align` lies above the predecessor's last pfn.
   */
  highestFit(maxStart, size, align) {
    return this.fitIn(this.root, maxStart, size, align);
  }
  fitIn(t, maxStart, size, align) {
    if (t === null || t.maxGap < size) return null;
    if (t.start > maxStart) return this.fitIn(t.left, maxStart, size, align);
    const r = this.fitIn(t.right, maxStart, size, align);
    if (r !== null) return r;
    if (t.gap >= size && Math.floor((t.start - size) / align) * align > t.start - t.gap - 1) return t;
    return this.fitIn(t.left, maxStart, size, align);
  }
  /** Checks the annotations against a recount (for tests and invariant checks). */
  checkAnnotations() {
    const problems = [];
    let prev = null;
    for (const n of this.values()) {
      const gap = prev === null ? -Infinity : n.start - prev.last - 1;
      if (n.gap !== gap) problems.push(`node at pfn ${n.start}: gap ${n.gap}, expected ${gap}`);
      prev = n;
    }
    const walk = (t) => {
      if (t === null) return;
      walk(t.left);
      walk(t.right);
      const count = 1 + countOf(t.left) + countOf(t.right);
      const maxGap = Math.max(t.gap, t.left?.maxGap ?? -Infinity, t.right?.maxGap ?? -Infinity);
      if (t.count !== count || t.maxGap !== maxGap) problems.push(`node at pfn ${t.start}: stale subtree annotations`);
      if (t.left !== null && t.left.prio > t.prio || t.right !== null && t.right.prio > t.prio)
        problems.push(`node at pfn ${t.start}: heap order broken`);
    };
    walk(this.root);
    return problems;
  }
  /** xorshift32: a fixed sequence of priorities. */
  nextPrio() {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }
  /** Splits t into splitLeft (start < key) and splitRight (start >= key). */
  split(t, key) {
    if (t === null) {
      this.splitLeft = this.splitRight = null;
      return;
    }
    if (t.start < key) {
      this.split(t.right, key);
      t.right = this.splitLeft;
      pull(t);
      this.splitLeft = t;
    } else {
      this.split(t.left, key);
      t.left = this.splitRight;
      pull(t);
      this.splitRight = t;
    }
  }
  merge(a, b) {
    if (a === null) return b;
    if (b === null) return a;
    if (a.prio > b.prio) {
      a.right = this.merge(a.right, b);
      pull(a);
      return a;
    }
    b.left = this.merge(a, b.left);
    pull(b);
    return b;
  }
  remove(t, key) {
    if (t === null) throw new Error(`no IOVA range starts at pfn ${key}`);
    if (key < t.start) t.left = this.remove(t.left, key);
    else if (key > t.start) t.right = this.remove(t.right, key);
    else {
      const merged = this.merge(t.left, t.right);
      t.left = t.right = null;
      return merged;
    }
    pull(t);
    return t;
  }
  setGap(t, key, gap) {
    if (t === null) throw new Error(`no IOVA range starts at pfn ${key}`);
    if (key < t.start) this.setGap(t.left, key, gap);
    else if (key > t.start) this.setGap(t.right, key, gap);
    else t.gap = gap;
    pull(t);
  }
};

// core/model/guestDma/iovaDomain.ts
var ANCHOR = "anchor";
function lo(n) {
  return n === ANCHOR ? Infinity : n.start;
}
function hi(n) {
  return n === ANCHOR ? Infinity : n.last;
}
function sizeAlignment(size) {
  return roundUpPowerOfTwo(size);
}
var IovaDomain = class {
  /**
   * @param granule the IOVA page size in bytes (the smallest IOMMU page, 4 KiB here)
   * @param startPfn lowest allocatable pfn; dma-iommu uses max(1, base >> shift), so IOVA 0 is never handed out
   */
  constructor(granule, startPfn) {
    this.granule = granule;
    this.startPfn = startPfn;
    if (startPfn < 1) throw new RangeError("startPfn must be >= 1 (IOVA 0 is never allocated)");
    this.dma32bitPfn = 2 ** 32 / granule;
    this.max32AllocSize = this.dma32bitPfn;
  }
  tree = new IovaGapTree();
  // Results of walk() besides the steps it returns.
  walkHigh = 0;
  walkPfn = 0;
  cachedNode = ANCHOR;
  cached32Node = ANCHOR;
  max32AllocSize;
  /** pfn of 4 GiB in granule units. */
  dma32bitPfn;
  allocations = 0;
  failures = 0;
  pages = 0;
  /** Most pages allocated at once (including rcache- and flush-queue-held ranges). */
  allocatedPagesPeak = 0;
  /** Nodes visited by the searches (a cost measure). */
  searchSteps = 0;
  get rangeCount() {
    return this.tree.size;
  }
  /** Pages currently allocated (including ranges held by rcaches and flush queues, which stay in the tree). */
  allocatedPages() {
    return this.pages;
  }
  find(pfn) {
    return this.tree.containing(pfn) ?? void 0;
  }
  ranges() {
    return this.tree.values();
  }
  cachedFor(limitPfnExclusive) {
    return limitPfnExclusive <= this.dma32bitPfn ? this.cached32Node : this.cachedNode;
  }
  /**
   * alloc_iova(size, limit_pfn, size_aligned=true): returns the new range's pfn_lo, or 0 when the
   * space below `limitPfn` (inclusive) has no room (__alloc_and_insert_iova_range returns -ENOMEM).
   */
  alloc(size, limitPfn) {
    const limit = limitPfn + 1;
    if (limit <= this.dma32bitPfn && size >= this.max32AllocSize) {
      this.failures++;
      return 0;
    }
    const align = sizeAlignment(size);
    let start = this.cachedFor(limit);
    const retryPfn = hi(start);
    let high = limit;
    let low = this.startPfn;
    for (; ; ) {
      this.searchSteps += this.walk(start, high, low, size, align);
      high = this.walkHigh;
      const newPfn = this.walkPfn;
      if (high < size || newPfn < low) {
        if (low === this.startPfn && retryPfn < limit) {
          high = limit;
          low = retryPfn + 1;
          start = this.tree.ceil(limit) ?? ANCHOR;
          continue;
        }
        this.max32AllocSize = size;
        this.failures++;
        return 0;
      }
      const node = new IovaNode(newPfn, newPfn + size - 1);
      this.tree.insert(node);
      this.pages += size;
      if (this.pages > this.allocatedPagesPeak) this.allocatedPagesPeak = this.pages;
      if (node.last < this.dma32bitPfn) this.cached32Node = node;
      else this.cachedNode = node;
      this.allocations++;
      return newPfn;
    }
  }
  /** reserve_iova for a range the allocator must never hand out (a reserved region); merges overlaps. */
  reserve(startPfn, lastPfn) {
    let s2 = startPfn;
    let l = lastPfn;
    for (const r of this.tree.overlapping(s2, l)) {
      s2 = Math.min(s2, r.start);
      l = Math.max(l, r.last);
      this.removeNode(r);
    }
    if (this.tree.overlapping(s2, l).length > 0) throw new Error("reserve: overlap left after merging");
    this.tree.insert(new IovaNode(s2, l, true));
  }
  /** free_iova: frees the range containing `pfn`; returns false when there is none. */
  free(pfn) {
    const node = this.tree.containing(pfn);
    if (node === null) return false;
    this.removeNode(node);
    return true;
  }
  /** private_free_iova with __cached_rbnode_delete_update. */
  removeNode(node) {
    const next = this.tree.next(node) ?? ANCHOR;
    const c32 = this.cached32Node;
    if (node === c32 || node.last < this.dma32bitPfn && node.start >= lo(c32)) this.cached32Node = next;
    if (node.start < this.dma32bitPfn) this.max32AllocSize = this.dma32bitPfn;
    if (node.start >= lo(this.cachedNode)) this.cachedNode = next;
    this.tree.delete(node);
    if (node.reserved !== true) this.pages -= node.last - node.start + 1;
  }
  /**
   * The walk of __alloc_and_insert_iova_range from `n0` down: at node n_i, high = min(high, pfn_lo),
   * candidate = (high - size) rounded down to `align`; it stops at the lowest node, or when the
   * candidate lies above the next node down (a fit), or below `low`. Returns the nodes visited
   * and leaves the last high and candidate in walkHigh / walkPfn. Each of the three stops is found
   * by a tree query; the walk stops at whichever comes first (the highest node).
   */
  walk(n0, high0, low, size, align) {
    const tree = this.tree;
    const r0 = n0 === ANCHOR ? tree.size : tree.rankOf(n0.start);
    let stop = tree.first() ?? ANCHOR;
    let stopRank = 0;
    const lowBound = Math.ceil(low / align) * align + size;
    if (Math.min(high0, lo(n0)) < lowBound) {
      stop = n0;
      stopRank = r0;
    } else {
      const below = tree.below(lowBound);
      if (below !== null) {
        stop = below;
        stopRank = tree.rankOf(below.start);
      }
      let suffixTop = n0 === ANCHOR ? null : n0;
      if (lo(n0) >= high0) {
        suffixTop = tree.below(high0);
        if (suffixTop !== null && suffixTop.last < Math.floor((high0 - size) / align) * align) {
          const r = tree.rankOf(suffixTop.start) + 1;
          if (r > stopRank) {
            stop = tree.next(suffixTop) ?? ANCHOR;
            stopRank = r;
          }
        }
      }
      const fit = suffixTop === null ? null : tree.highestFit(suffixTop.start, size, align);
      if (fit !== null) {
        const r = tree.rankOf(fit.start);
        if (r > stopRank) {
          stop = fit;
          stopRank = r;
        }
      }
    }
    this.walkHigh = Math.min(high0, lo(stop));
    this.walkPfn = Math.floor((this.walkHigh - size) / align) * align;
    return r0 - stopRank + 1;
  }
  /** Broken invariants (no overlap, nothing below startPfn, tree annotations up to date). */
  checkInvariants() {
    const problems = this.tree.checkAnnotations();
    let prev;
    for (const r of this.tree.values()) {
      if (r.start < this.startPfn) problems.push(`range at pfn ${r.start} is below startPfn ${this.startPfn}`);
      if (prev !== void 0 && r.start <= prev.last) problems.push(`ranges at pfn ${prev.start} and ${r.start} overlap`);
      prev = r;
    }
    return problems;
  }
};

// core/model/guestDma/iovaRcache.ts
var RCACHE_CLASSES = 6;
var IOVA_MAG_SIZE = 127;
var IOVA_DEPOT_DELAY_NS = 1e8;
function rcacheClass(size) {
  if (size > 2 ** (RCACHE_CLASSES - 1)) return -1;
  return size <= 1 ? 0 : 32 - Math.clz32(size - 1);
}
var Magazine = class {
  pfns = new Float64Array(IOVA_MAG_SIZE);
  size = 0;
  get full() {
    return this.size === IOVA_MAG_SIZE;
  }
  get empty() {
    return this.size === 0;
  }
  /** iova_magazine_pop: the topmost pfn that fits below limitPfn (swapped out), or 0. */
  pop(limitPfn) {
    let i = this.size - 1;
    while (this.pfns[i] > limitPfn) {
      if (i === 0) return 0;
      i--;
    }
    const pfn = this.pfns[i];
    this.pfns[i] = this.pfns[--this.size];
    return pfn;
  }
  push(pfn) {
    this.pfns[this.size++] = pfn;
  }
};
var SizeClassCache = class {
  cpus;
  depot = [];
  trimAt = -1;
  constructor(cpuCount) {
    this.cpus = Array.from({ length: cpuCount }, () => ({ loaded: new Magazine(), prev: new Magazine() }));
  }
};
var IovaRcache = class {
  constructor(domain, cpuCount) {
    this.domain = domain;
    this.cpuCount = cpuCount;
    this.classes = Array.from({ length: RCACHE_CLASSES }, () => new SizeClassCache(cpuCount));
  }
  classes;
  hits = 0;
  misses = 0;
  inserts = 0;
  /** Ranges given back to the tree (magazine full with depot trim, or cache flush). */
  returnedToTree = 0;
  /** iova_rcache_get: a cached pfn of `size` pages ending below limitPfn (exclusive), or 0. */
  get(cpu, size, limitPfnExclusive, nowNs) {
    const cls = rcacheClass(size);
    if (cls < 0) return 0;
    const cache = this.classes[cls];
    this.trim(cache, nowNs);
    const c = cache.cpus[cpu];
    let has = false;
    if (!c.loaded.empty) has = true;
    else if (!c.prev.empty) {
      [c.loaded, c.prev] = [c.prev, c.loaded];
      has = true;
    } else if (cache.depot.length > 0) {
      c.loaded = cache.depot.pop();
      has = true;
    }
    const pfn = has ? c.loaded.pop(limitPfnExclusive - size) : 0;
    if (pfn !== 0) this.hits++;
    else this.misses++;
    return pfn;
  }
  /** iova_rcache_insert: caches a freed range; false when it is too large to cache. */
  insert(cpu, pfn, size, nowNs) {
    const cls = rcacheClass(size);
    if (cls < 0) return false;
    const cache = this.classes[cls];
    this.trim(cache, nowNs);
    const c = cache.cpus[cpu];
    if (c.loaded.full) {
      if (!c.prev.full) [c.loaded, c.prev] = [c.prev, c.loaded];
      else {
        cache.depot.push(c.loaded);
        c.loaded = new Magazine();
        if (cache.trimAt < 0) cache.trimAt = nowNs + IOVA_DEPOT_DELAY_NS;
      }
    }
    c.loaded.push(pfn);
    this.inserts++;
    return true;
  }
  /** free_cpu_cached_iovas for every CPU + free_global_cached_iovas: everything back to the tree. */
  flushAll() {
    for (const cache of this.classes) {
      for (const c of cache.cpus) {
        this.freeMagazine(c.loaded);
        this.freeMagazine(c.prev);
      }
      for (const m of cache.depot) this.freeMagazine(m);
      cache.depot.length = 0;
      cache.trimAt = -1;
    }
  }
  /** Pages held in caches (still allocated in the tree but reusable only through the cache). */
  cachedPages() {
    let n = 0;
    this.classes.forEach((cache, cls) => {
      let ranges = cache.depot.reduce((a, m) => a + m.size, 0);
      for (const c of cache.cpus) ranges += c.loaded.size + c.prev.size;
      n += ranges * 2 ** cls;
    });
    return n;
  }
  /** iova_depot_work_func, run for every IOVA_DEPOT_DELAY that elapsed: one magazine per run back to the tree. */
  trim(cache, nowNs) {
    while (cache.trimAt >= 0 && nowNs >= cache.trimAt) {
      if (cache.depot.length > this.cpuCount) {
        this.freeMagazine(cache.depot.pop());
        cache.trimAt += IOVA_DEPOT_DELAY_NS;
      } else cache.trimAt = -1;
    }
  }
  freeMagazine(m) {
    for (let i = 0; i < m.size; i++) {
      if (this.domain.free(m.pfns[i])) this.returnedToTree++;
    }
    m.size = 0;
  }
};

// core/model/guestDma/iommuDma.ts
var GRANULE = PAGE_SIZE;
function cacheRound(pages) {
  return pages >= 2 ** (RCACHE_CLASSES - 1) ? pages : roundUpPowerOfTwo(pages);
}
var IommuDmaDomain = class {
  constructor(sim, driver, options, costs, vcpus) {
    this.sim = sim;
    this.driver = driver;
    this.costs = costs;
    this.iovad = new IovaDomain(GRANULE, Math.max(1, Math.floor(driver.apertureStart / GRANULE)));
    for (const r of driver.reservedRanges) {
      const lo2 = Math.max(this.iovad.startPfn, Math.floor(r.start / GRANULE));
      const hi2 = Math.floor(r.last / GRANULE);
      if (hi2 >= lo2) this.iovad.reserve(lo2, hi2);
    }
    this.rcache = new IovaRcache(this.iovad, options.cpus);
    this.mode = options.mode !== "strict" && !driver.deferredFlush ? "strict" : options.mode;
    if (this.mode === "strict") this.fq = null;
    else {
      const single = this.mode === "lazy-single";
      this.fq = new FlushQueue(
        sim,
        single,
        single ? options.singleSize : options.perCpuSize,
        single ? options.singleTimeoutNs : options.perCpuTimeoutNs,
        options.cpus,
        {
          flushIotlbAll: (call) => driver.flushIotlbAll(call),
          freeIova: (cpu, pfn, pages, now) => this.freeIovaFast(cpu, pfn, pages, now),
          occupyCpu: (cpu, from, to) => vcpus.occupy(cpu, from, to),
          staleWindow: (ns) => this.staleWindowNs.recordValue(Math.max(1, ns))
        }
      );
    }
  }
  iovad;
  rcache;
  fq;
  mode;
  maps = 0;
  unmaps = 0;
  mapFailures = 0;
  /** IOVA allocations that failed even after flushing the rcaches. */
  iovaExhaustions = 0;
  strictSyncs = 0;
  lastUnmapIova = 0;
  lastUnmapBytes = 0;
  lastUnmapAtNs = 0;
  lastUnmapCause = -1;
  lastUnmapTicket = -1;
  lastUnmapReused = false;
  /** Stale-IOTLB windows, ns (one sample per unmapped IOVA). */
  staleWindowNs = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 36e11,
    numberOfSignificantValueDigits: 3
  });
  /** alloc_iova_fast: rcache, else the tree, else (if allowed) flush every rcache and retry once. */
  allocIovaFast(cpu, pages, limitPfn, flushRcache, nowNs, call) {
    const cached = this.rcache.get(cpu, pages, limitPfn + 1, nowNs);
    if (cached !== 0) {
      call.t += this.costs.guestIovaRcacheNs;
      return cached;
    }
    const steps = this.iovad.searchSteps;
    call.t += this.costs.guestIovaAllocNs;
    let pfn = this.iovad.alloc(pages, limitPfn);
    if (pfn === 0 && flushRcache) {
      this.rcache.flushAll();
      call.t += this.costs.guestIovaAllocNs;
      pfn = this.iovad.alloc(pages, limitPfn);
    }
    call.t += Math.max(0, this.iovad.searchSteps - steps - 1) * this.costs.guestIovaSearchStepNs;
    return pfn;
  }
  /** iommu_dma_alloc_iova: returns the IOVA (bytes) or 0. */
  allocIova(call, dev, bytes, maskBits) {
    const pages = cacheRound(Math.ceil(bytes / GRANULE));
    const dmaLimit = Math.min(dmaBitMask(maskBits), this.driver.apertureLast);
    const dma32 = 2 ** 32 - 1;
    if (dmaLimit > dma32 && dev.pci32bitWorkaround) {
      const pfn2 = this.allocIovaFast(call.cpu, pages, Math.floor(dma32 / GRANULE), false, call.t, call);
      if (pfn2 !== 0) return pfn2 * GRANULE;
      dev.pci32bitWorkaround = false;
      dev.dacBits = bitsPer(dmaLimit);
      dev.log.push(`${dev.name}: Using ${dev.dacBits}-bit DMA addresses`);
    }
    const pfn = this.allocIovaFast(call.cpu, pages, Math.floor(dmaLimit / GRANULE), true, call.t, call);
    if (pfn === 0) this.iovaExhaustions++;
    return pfn * GRANULE;
  }
  /** free_iova_fast: to the rcache, else back to the tree. */
  freeIovaFast(cpu, pfn, pages, nowNs) {
    if (!this.rcache.insert(cpu, pfn, pages, nowNs)) this.iovad.free(pfn);
  }
  mapWith(call, dev, gpa, bytes, write, maskBits) {
    call.t += this.costs.guestDmaMapNs;
    const offset = gpa % GRANULE;
    const span = Math.ceil((bytes + offset) / GRANULE) * GRANULE;
    const iova = this.allocIova(call, dev, span, maskBits);
    if (iova === 0) {
      call.errno = ENOMEM;
      this.mapFailures++;
      return;
    }
    this.driver.map(call, iova, gpa - offset, span, write);
    if (call.errno !== 0) {
      this.freeIovaFast(call.cpu, iova / GRANULE, span / GRANULE, call.t);
      this.mapFailures++;
      return;
    }
    call.dmaAddr = iova + offset;
    this.maps++;
    if (iova < this.lastUnmapIova + this.lastUnmapBytes && this.lastUnmapIova < iova + span) this.lastUnmapReused = true;
  }
  /** dma_map_page / dma_map_single for a physically contiguous buffer of `bytes` (page multiple). */
  map(call, dev, gpa, bytes, write) {
    this.mapWith(call, dev, gpa, bytes, write, dev.dmaMaskBits);
  }
  /** dma_alloc_coherent: the same path with the coherent DMA mask. */
  allocCoherent(call, dev, gpa, bytes) {
    this.mapWith(call, dev, gpa, bytes, true, dev.coherentMaskBits);
  }
  /** dma_unmap_page (__iommu_dma_unmap). */
  unmap(call, dmaAddrWithOffset, bytes) {
    call.t += this.costs.guestDmaMapNs;
    const offset = dmaAddrWithOffset % GRANULE;
    const dmaAddr = dmaAddrWithOffset - offset;
    const pages = Math.ceil((bytes + offset) / GRANULE);
    bytes = pages * GRANULE;
    this.driver.unmap(call, dmaAddr, bytes);
    this.unmaps++;
    this.lastUnmapIova = dmaAddr;
    this.lastUnmapBytes = bytes;
    this.lastUnmapCause = call.cause;
    this.lastUnmapReused = false;
    if (this.fq === null) {
      const clearedAt = call.t;
      this.driver.iotlbSync(call, dmaAddr, bytes);
      this.strictSyncs++;
      this.staleWindowNs.recordValue(Math.max(1, call.t - clearedAt));
      this.lastUnmapTicket = -1;
      this.freeIovaFast(call.cpu, dmaAddr / GRANULE, pages, call.t);
    } else {
      this.lastUnmapTicket = this.fq.queue(call, dmaAddr / GRANULE, pages);
    }
    this.lastUnmapAtNs = call.t;
  }
  /** Strict: the IOTLB sync ran inside the unmap, so only a reuse can make the address reachable again. */
  probeLastUnmap() {
    if (this.unmaps === 0) return null;
    let outcome5;
    if (this.lastUnmapReused) outcome5 = "remapped";
    else if (this.fq !== null && this.lastUnmapTicket >= 0 && !this.fq.covered(this.lastUnmapTicket)) outcome5 = "stale";
    else outcome5 = "fault";
    return {
      dmaAddr: this.lastUnmapIova,
      bytes: this.lastUnmapBytes,
      unmappedAtNs: this.lastUnmapAtNs,
      cause: this.lastUnmapCause,
      outcome: outcome5
    };
  }
  retire() {
    this.fq?.retire();
  }
  /** The mode's flush-queue depth now (0 in strict mode). */
  fqDepth() {
    return this.fq?.depth() ?? 0;
  }
  get label() {
    return `iommu-dma (${this.mode})`;
  }
  collectMetrics(into) {
    addMetric(into, "dma.maps", this.maps);
    addMetric(into, "dma.unmaps", this.unmaps);
    addMetric(into, "dma.mapFailures", this.mapFailures);
    addMetric(into, "iova.exhaustions", this.iovaExhaustions);
    addMetric(into, "iotlb.flushes.global", this.fq?.flushes ?? 0);
    addMetric(into, "fq.fullFlushes", this.fq?.fullFlushes ?? 0);
    addMetric(into, "fq.timerFlushes", this.fq?.timerFlushes ?? 0);
    maxMetric(into, "fq.peakDepth", this.fq?.peakDepth ?? 0);
    addMetric(into, "iotlb.flushes.range", this.strictSyncs);
    maxMetric(into, "iova.allocatedPagesPeak", this.iovad.allocatedPagesPeak);
    if (this.staleWindowNs.totalCount > 0) maxMetric(into, "staleIotlbWindowUsP99", this.staleWindowNs.getValueAtPercentile(99) / 1e3);
  }
  get now() {
    return this.sim.now;
  }
};

// core/model/device/deviceLifecycle.ts
var DeviceLifecycle = class {
  constructor(sim, name2) {
    this.sim = sim;
    this.name = name2;
    this.handler = sim.register(this);
  }
  state = "online";
  /** Offline because it was unplugged (not merely rebooting with its guest). */
  removed = false;
  epoch = 0;
  /**
   * Grows each time the guest side below the driver is rebuilt (reset, re-plug): what a workload
   * mapped once at setup (a DPDK mempool, an RX ring, GPU buffers) must be mapped again.
   */
  generation = 0;
  /**
   * Grows when the device stops doing DMA with IOs left on it (its PE froze, or it failed for good):
   * an IO that reaches the device or completes under an older value was caught by it.
   */
  pauseEpoch = 0;
  /** IOs the device holds for the current epoch. */
  inFlight = 0;
  /** IOs the guest lost (in flight at a reset). */
  aborted = 0;
  /** Simulated time the device spent not online, ns (closed intervals only, plus the open one at `offlineNsAt`). */
  offlineNs = 0;
  offlineSince = -1;
  parkedHandler = [];
  parkedKind = [];
  parkedArg = [];
  drained = null;
  handler;
  /** Identifies the pending bring-online; a later state change makes an older one void. */
  onlineToken = 0;
  get accepting() {
    return this.state === "online";
  }
  /** Slots waiting for the device to come back. */
  get parked() {
    return this.parkedHandler.length;
  }
  /** The workload's step (handler, kind, arg) runs again when the device is back online. */
  park(handler, kind, arg) {
    this.parkedHandler.push(handler);
    this.parkedKind.push(kind);
    this.parkedArg.push(arg);
  }
  ioStarted() {
    this.inFlight++;
  }
  /** An IO of `epoch` finished (the workload passes the epoch it started in). */
  ioEnded(epoch) {
    if (epoch !== this.epoch) return;
    this.inFlight--;
    if (this.inFlight === 0 && this.state === "draining") this.fireDrained();
  }
  /** Stops new IOs; `then` runs once the IOs in flight have ended (now, if there are none). */
  drain(then) {
    if (this.state !== "online") throw new Error(`device ${this.name} cannot drain while ${this.state}`);
    this.state = "draining";
    this.drained = then;
    this.markOffline();
    if (this.inFlight === 0) this.fireDrained();
  }
  /** The guest forgets every IO in flight (reset): their completions will be dropped. */
  abortInFlight() {
    this.aborted += this.inFlight;
    this.inFlight = 0;
    this.epoch++;
    this.drained = null;
  }
  /** @param removed unplugged (a hot-plug brings it back), rather than rebooting with its guest */
  setOffline(removed) {
    this.state = "offline";
    this.removed = removed;
    this.onlineToken++;
    this.markOffline();
  }
  /**
   * DMA stops (an EEH freeze): no IO starts, IOs on the device do not complete; they are issued again
   * when the device is back (blk-mq requeues what the driver's error handler cancelled).
   */
  pause() {
    if (this.state === "offline") return;
    this.pauseEpoch++;
    this.setOffline(false);
  }
  /** The device failed for good (EEH permanent failure): its driver is unbound, IOs on it fail. */
  fail() {
    this.pauseEpoch++;
    this.setOffline(true);
    this.wakeParked();
  }
  /** Online again at `atNs` (unless it goes offline again before): every parked step runs then. */
  bringOnlineAt(atNs) {
    if (this.state !== "offline") throw new Error(`device ${this.name} is ${this.state}, not offline`);
    this.sim.scheduleAt(atNs, this.handler, 0, ++this.onlineToken);
  }
  handleEvent(_kind, token) {
    if (token !== this.onlineToken || this.state !== "offline") return;
    this.state = "online";
    this.removed = false;
    if (this.offlineSince >= 0) this.offlineNs += Math.max(0, this.sim.now - this.offlineSince);
    this.offlineSince = -1;
    this.wakeParked();
  }
  wakeParked() {
    const handlers = this.parkedHandler.splice(0);
    const kinds = this.parkedKind.splice(0);
    const args = this.parkedArg.splice(0);
    for (let i = 0; i < handlers.length; i++) this.sim.scheduleAt(this.sim.now, handlers[i], kinds[i], args[i]);
  }
  /** Time not online up to `nowNs`, ns. */
  offlineTotalNs(nowNs) {
    return this.offlineNs + (this.offlineSince >= 0 ? Math.max(0, nowNs - this.offlineSince) : 0);
  }
  markOffline() {
    if (this.offlineSince < 0) this.offlineSince = this.sim.now;
  }
  fireDrained() {
    const then = this.drained;
    this.drained = null;
    then?.();
  }
};

// core/sim/serialResource.ts
var SerialResource = class {
  constructor(name2, servers = 1) {
    this.name = name2;
    if (!Number.isInteger(servers) || servers < 1) throw new RangeError(`${name2}: servers must be >= 1`);
    this.freeAt = new Float64Array(servers);
  }
  freeAt;
  busyNs = 0;
  waitNs = 0;
  served = 0;
  maxWaitNs = 0;
  /** Enqueues one job arriving at `now` needing `serviceNs`; returns when it completes. */
  acquire(now, serviceNs) {
    const f = this.freeAt;
    let best = 0;
    for (let i = 1; i < f.length; i++) if (f[i] < f[best]) best = i;
    const start = f[best] > now ? f[best] : now;
    const end = start + serviceNs;
    f[best] = end;
    const wait = start - now;
    this.waitNs += wait;
    if (wait > this.maxWaitNs) this.maxWaitNs = wait;
    this.busyNs += serviceNs;
    this.served++;
    return end;
  }
  /**
   * Marks the (single) server busy from `from` to `to` for work whose length was not known when it
   * started (a vCPU blocked in a trap). Waiting is counted from `arrive`.
   */
  occupy(arrive, from, to) {
    const f = this.freeAt;
    let best = 0;
    for (let i = 1; i < f.length; i++) if (f[i] < f[best]) best = i;
    if (to > f[best]) f[best] = to;
    const wait = Math.max(0, from - arrive);
    this.waitNs += wait;
    if (wait > this.maxWaitNs) this.maxWaitNs = wait;
    this.busyNs += to - from;
    this.served++;
  }
  /** Earliest time any server is free. */
  nextFreeAt() {
    let m = this.freeAt[0];
    for (let i = 1; i < this.freeAt.length; i++) if (this.freeAt[i] < m) m = this.freeAt[i];
    return m;
  }
  get stats() {
    return { served: this.served, busyNs: this.busyNs, totalWaitNs: this.waitNs, maxWaitNs: this.maxWaitNs };
  }
};

// core/sim/gapFillingLock.ts
var GapFillingLock = class {
  constructor(clock) {
    this.clock = clock;
  }
  /** Busy intervals [start, end), sorted and disjoint (adjacent ones merged). */
  starts = [];
  ends = [];
  /** First interval not yet over. */
  head = 0;
  waitNs = 0;
  /** Holds the lock for `holdNs` from the first moment at or after `t` it is free; returns the release time. */
  acquire(t, holdNs) {
    const s2 = this.starts;
    const e = this.ends;
    while (this.head < e.length && e[this.head] <= this.clock.now) this.head++;
    if (this.head > 64 && this.head * 2 > e.length) {
      s2.splice(0, this.head);
      e.splice(0, this.head);
      this.head = 0;
    }
    let at = t;
    let i = this.head;
    while (i < s2.length && e[i] <= at) i++;
    while (i < s2.length && s2[i] < at + holdNs) {
      at = Math.max(at, e[i]);
      i++;
    }
    const end = at + holdNs;
    this.waitNs += at - t;
    if (i > this.head && e[i - 1] === at) {
      e[i - 1] = end;
      if (i < s2.length && s2[i] === end) {
        e[i - 1] = e[i];
        s2.splice(i, 1);
        e.splice(i, 1);
      }
    } else if (i < s2.length && s2[i] === end) s2[i] = at;
    else {
      s2.splice(i, 0, at);
      e.splice(i, 0, end);
    }
    return end;
  }
  /** Busy intervals kept (for tests). */
  get intervals() {
    return this.starts.length - this.head;
  }
};

// core/model/qemu/qemuVm.ts
var GUEST_RAM_HVA_BASE = 139637976727552;
var QemuVm = class {
  constructor(costs, timeline, options) {
    this.costs = costs;
    this.timeline = timeline;
    this.bql = options.clock === void 0 ? new SerialResource(`${options.name}.bql`) : new GapFillingLock(options.clock);
    this.exitNs = options.nested ? costs.vmExitNs * costs.nestedExitFactor : costs.vmExitNs;
    this.lane = timeline.defineLane(`qemu.${options.name}`, "qemu");
    this.trapKind = timeline.defineKind({
      name: "qemu.trap",
      args: [
        { name: "what", format: "str" },
        { name: "vfioMaps", format: "int" },
        { name: "vfioUnmaps", format: "int" }
      ]
    });
    this.vfioFailKind = timeline.defineKind({
      name: "vfio.map failed",
      args: [
        { name: "errno", format: "errno" },
        { name: "iova", format: "hex" },
        { name: "entries", format: "int" }
      ],
      failure: true
    });
  }
  bql;
  lane;
  trapKind;
  vfioFailKind;
  exitNs;
  exits = 0;
  trapBusyNs = 0;
  vfioMapCalls = 0;
  vfioUnmapCalls = 0;
  vfioMapFailures = 0;
  /** errno name -> failures, from the VFIO listener (logged, not reported to the guest). */
  vfioErrors = /* @__PURE__ */ new Map();
  /** Timeline event of the last VFIO failure, for cause chains. */
  lastVfioFailure = -1;
  /**
   * A trap from the vCPU running `call`: exit, wait for and hold the big QEMU lock while
   * `handler.serve(a, b)` runs, re-enter. Advances call.t and records the trap (its cause is the
   * call's current cause; the call's cause becomes the trap).
   */
  trap(call, what, handler, a, b) {
    const mapsBefore = this.vfioMapCalls;
    const unmapsBefore = this.vfioUnmapCalls;
    const arrive = call.t + this.exitNs / 2;
    const workNs = this.costs.qemuInvalidationNs + handler.serve(a, b);
    const done = this.bql.acquire(arrive, workNs);
    this.exits++;
    this.trapBusyNs += workNs;
    const start = done - workNs;
    call.cause = this.timeline.record(
      start,
      workNs,
      this.lane,
      this.trapKind,
      what,
      this.vfioMapCalls - mapsBefore,
      this.vfioUnmapCalls - unmapsBefore,
      call.cause
    );
    call.t = done + this.exitNs / 2;
  }
  /** Interns a trap description once (e.g. "rpcit", "iotlb-psi"); pass the number to trap(). */
  trapName(name2) {
    return this.timeline.internString(name2);
  }
  /** vfio_container_dma_map for guest RAM at `gpa`; returns the ioctl's cost in ns (errors are logged). */
  vfioMap(container, iova, gpa, size, readonly, tNs, cause) {
    this.vfioMapCalls++;
    const flags = VFIO_DMA_MAP_FLAG_READ | (readonly ? 0 : VFIO_DMA_MAP_FLAG_WRITE);
    const err = container.mapDma(iova, GUEST_RAM_HVA_BASE + gpa, size, flags);
    if (err !== 0) {
      this.vfioMapFailures++;
      const name2 = linuxErrnoName(err) ?? "E?";
      this.vfioErrors.set(name2, (this.vfioErrors.get(name2) ?? 0) + 1);
      this.lastVfioFailure = this.timeline.record(
        tNs,
        0,
        this.lane,
        this.vfioFailKind,
        this.timeline.internString(name2),
        iova,
        container.entries,
        cause
      );
    }
    return container.lastCostNs;
  }
  /**
   * `count` vfio_container_dma_map calls of one page each, back to back: page j maps IOVA
   * iova + j * 4 KiB to guest RAM at gpa + j * 4 KiB (QEMU's shadowing of consecutive translations).
   * Each call's cost is added to `workNs` in call order and the total returned; the container maps
   * leading stretches that cannot fail in one go (mapDmaRun), and every call that may fail goes
   * through vfioMap, which logs a failure and tells `listener`.
   */
  vfioMapRun(container, iova, gpa, count, readonly, tNs, cause, workNs, listener) {
    const flags = VFIO_DMA_MAP_FLAG_READ | (readonly ? 0 : VFIO_DMA_MAP_FLAG_WRITE);
    let total = workNs;
    let j = 0;
    while (j < count) {
      const n = container.mapDmaRun(iova + j * PAGE_SIZE, GUEST_RAM_HVA_BASE + gpa + j * PAGE_SIZE, count - j, flags);
      if (n > 0) {
        const perCall = container.lastCostNs;
        for (let k = 0; k < n; k++) total += perCall;
        this.vfioMapCalls += n;
        j += n;
        if (j === count) break;
      }
      const failuresBefore = this.vfioMapFailures;
      total += this.vfioMap(container, iova + j * PAGE_SIZE, gpa + j * PAGE_SIZE, PAGE_SIZE, readonly, tNs, cause);
      if (this.vfioMapFailures !== failuresBefore) listener.vfioMapFailed(j);
      j++;
    }
    return total;
  }
  /** vfio_container_dma_unmap; returns the ioctl's cost in ns. */
  vfioUnmap(container, iova, size) {
    this.vfioUnmapCalls++;
    container.unmapDma(iova, size, 0);
    return container.lastCostNs;
  }
  /**
   * Everything in the container goes (an address space dropped at reset or device removal): the
   * listener's region_del of a whole address space asks the container backend's dma_unmap with
   * unmap_all, one VFIO_IOMMU_UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_ALL (VFIO_UNMAP_ALL extension).
   * Returns the ioctl's cost.
   */
  vfioUnmapAll(container) {
    this.vfioUnmapCalls++;
    container.unmapDma(0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
    return container.lastCostNs;
  }
};

// core/model/guestDma/vcpuSet.ts
var VcpuSet = class {
  constructor(vmName2, count) {
    this.vmName = vmName2;
    this.cpus = Array.from({ length: count }, (_, i) => new SerialResource(`${vmName2}.vcpu${i}`));
  }
  cpus;
  get count() {
    return this.cpus.length;
  }
  /** When work arriving at `now` can start on `cpu`. */
  startAt(cpu, now) {
    return Math.max(now, this.cpus[cpu].nextFreeAt());
  }
  occupy(cpu, fromNs, toNs) {
    this.cpus[cpu].occupy(fromNs, fromNs, toNs);
  }
  /** Busy fraction of all vCPUs over [0, durationNs] (work still running at the end counts up to the end). */
  utilization(durationNs2) {
    if (durationNs2 <= 0) return 0;
    const busy = this.cpus.reduce((a, c) => a + c.stats.busyNs - Math.max(0, c.nextFreeAt() - durationNs2), 0);
    return Math.min(1, busy / (durationNs2 * this.cpus.length));
  }
};

// core/model/device/deviceModel.ts
var DeviceModel = class {
  constructor(name2, performance2, rng) {
    this.name = name2;
    this.performance = performance2;
    this.rng = rng;
    this.engine = new SerialResource(`${name2}.engine`);
    this.minIntervalNs = 1e9 / performance2.maxIops;
    this.nsPerByte = 1e9 / performance2.bandwidthBytesPerSec;
    this.fixedNs = Math.max(0, performance2.latencyNs - this.serviceNs(4096));
  }
  engine;
  fixedNs;
  minIntervalNs;
  nsPerByte;
  /** Engine occupancy of one request: bounded below by the request-rate limit, else the transfer time. */
  serviceNs(bytes) {
    return Math.ceil(Math.max(this.minIntervalNs, bytes * this.nsPerByte));
  }
  /** Submits a request at `now`; returns when it completes. */
  submitIo(now, bytes) {
    const j = this.performance.jitterNs;
    const jitter = j > 0 ? this.rng.int(0, j) : 0;
    return this.engine.acquire(now, this.serviceNs(bytes)) + this.fixedNs + jitter;
  }
  get busyNs() {
    return this.engine.stats.busyNs;
  }
};

// core/model/device/deviceDefaults.ts
var ASSUMED = {
  "mlx5-vf": { latencyNs: 3e3, bandwidthBytesPerSec: 125e8, maxIops: 3e7, source: "assumption: 100 Gb/s VF, ~3 us request latency" },
  ism: { latencyNs: 1e3, bandwidthBytesPerSec: 16e9, maxIops: 1e7, source: "assumption: s390 ISM (shared-memory device), ~1 us" },
  gpu: { latencyNs: 2e3, bandwidthBytesPerSec: 25e9, maxIops: 5e6, source: "assumption: PCIe 4.0 x16 GPU DMA engine" },
  "virtio-net-vdpa": { latencyNs: 5e3, bandwidthBytesPerSec: 3125e6, maxIops: 5e6, source: "assumption: 25 Gb/s vDPA NIC" },
  generic: { latencyNs: 1e4, bandwidthBytesPerSec: 1e9, maxIops: 1e5, source: "assumption: generic DMA device" }
};
function devicePerformance(device3, costs) {
  const base = device3.kind === "nvme" ? {
    latencyNs: costs.nvmeReadQd1Ns,
    bandwidthBytesPerSec: 1024 / costs.nvmeNsPerKiB * 1e9,
    maxIops: 1e9 / costs.nvmeMinIoIntervalNs,
    jitterNs: costs.nvmeJitterNs,
    source: "cost table nvme* entries (docs/model.md, default costs: assumptions)"
  } : { ...ASSUMED[device3.kind], jitterNs: 0 };
  return {
    ...base,
    ...device3.latencyUs === void 0 ? {} : { latencyNs: Math.round(device3.latencyUs * 1e3) },
    ...device3.bandwidthMBps === void 0 ? {} : { bandwidthBytesPerSec: device3.bandwidthMBps * 1e6 },
    ...device3.maxIops === void 0 ? {} : { maxIops: device3.maxIops }
  };
}

// core/model/x86/qemuIntelIommuShadow.ts
function sameLeaf(a, b) {
  return a.start === b.start && a.last === b.last && a.gpa === b.gpa && a.write === b.write;
}
var QemuIntelIommuShadow = class {
  constructor(qemu, container, table, costs) {
    this.qemu = qemu;
    this.container = container;
    this.table = table;
    this.costs = costs;
  }
  /** vtd_as->iova_tree: leaves notified to VFIO (shared, immutable leaf objects). */
  tree = new IntervalMap();
  trapTimeNs = 0;
  trapCause = -1;
  /** Tree entries whose guest leaf is gone or changed: still mapped in VFIO, reachable by the device. */
  stale = 0;
  stalePeak = 0;
  walks = 0;
  fullWalks = 0;
  ptesWalked = 0;
  vfioMaps = 0;
  vfioUnmaps = 0;
  dedupedMaps = 0;
  skippedUnmaps = 0;
  entriesPeak = 0;
  get entries() {
    return this.tree.size;
  }
  get staleLeaves() {
    return this.stale;
  }
  /** Clock and cause of the call about to trap (for VFIO failure events recorded during the walk). */
  beginTrap(tNs, cause) {
    this.trapTimeNs = tNs;
    this.trapCause = cause;
  }
  /** The guest cleared `leaf`: if QEMU had shadowed this very leaf it is now stale. */
  noteGuestLeafCleared(leaf) {
    if (this.tree.containing(leaf.start) === leaf) {
      this.stale++;
      if (this.stale > this.stalePeak) this.stalePeak = this.stale;
    }
  }
  /** vtd_sync_shadow_page_table_range over [start, endExclusive); returns QEMU's work in ns. */
  serve(start, endExclusive) {
    const t = this.table;
    const end = Math.min(endExclusive, t.limit);
    if (start >= end) return 0;
    this.walks++;
    if (start === 0 && end === t.limit) this.fullWalks++;
    const ptes = t.ptesVisited(start, end);
    this.ptesWalked += ptes;
    let costNs = ptes * this.costs.qemuPteWalkNs;
    const mapsBefore = this.vfioMaps;
    let leavesMet = 0;
    let coveredTo = start;
    let q = start;
    while (q >= 0) {
      const leaf = t.leafAt(q);
      let regionStart;
      let regionLast2;
      if (leaf !== void 0) {
        costNs += this.walkLeaf(leaf);
        leavesMet++;
        regionStart = leaf.start;
        regionLast2 = leaf.last;
      } else {
        t.findHole(q);
        regionStart = t.holeStart;
        regionLast2 = t.holeLast;
        costNs += this.walkHole(regionStart, regionLast2);
      }
      t.forgetChanged(regionStart, regionLast2);
      coveredTo = coveredTo >= 0 && q <= coveredTo ? regionLast2 + 1 : -1;
      if (regionLast2 + 1 >= end) break;
      q = t.nextChanged(regionLast2 + 1, end - 1);
    }
    const leaves = coveredTo >= end ? leavesMet : t.leavesIn(start, end - 1);
    this.dedupedMaps += leaves - (this.vfioMaps - mapsBefore);
    if (this.tree.size > this.entriesPeak) this.entriesPeak = this.tree.size;
    return costNs;
  }
  /** vtd_page_walk_one for a present leaf (IOMMU_NOTIFIER_MAP). */
  walkLeaf(leaf) {
    const mapped = this.tree.firstOverlap(leaf.start, leaf.last);
    let costNs = 0;
    if (mapped !== void 0) {
      if (sameLeaf(mapped, leaf)) {
        if (mapped !== leaf) {
          this.tree.delete(mapped);
          this.tree.insert(leaf);
          this.stale--;
        }
        return 0;
      }
      costNs += this.notifyUnmap(leaf.start, leaf.last);
      this.removeOverlapping(leaf.start, leaf.last);
    }
    this.tree.insert(leaf);
    this.vfioMaps++;
    costNs += this.qemu.vfioMap(
      this.container,
      leaf.start,
      leaf.gpa,
      leaf.last - leaf.start + 1,
      !leaf.write,
      this.trapTimeNs,
      this.trapCause
    );
    return costNs;
  }
  /** vtd_page_walk_one for a non-present entry spanning [start, last] (IOMMU_NOTIFIER_UNMAP). */
  walkHole(start, last) {
    const hit = this.tree.firstOverlap(start, last);
    if (hit !== void 0 && hit.start === start && hit.last === last) {
      this.tree.delete(hit);
      this.stale--;
      return this.notifyUnmap(start, last);
    }
    if (hit === void 0) {
      this.skippedUnmaps++;
      return 0;
    }
    this.removeOverlapping(start, last);
    return this.notifyUnmap(start, last);
  }
  notifyUnmap(start, last) {
    this.vfioUnmaps++;
    return this.qemu.vfioUnmap(this.container, start, last - start + 1);
  }
  /** iova_tree_remove: every entry overlapping [start, last], never split. */
  removeOverlapping(start, last) {
    for (const e of this.tree.overlapping(start, last)) {
      this.tree.delete(e);
      if (this.table.leafAt(e.start) !== e) this.stale--;
    }
  }
  collectMetrics(into) {
    addMetric(into, "qemu.pteWalked", this.ptesWalked);
    addMetric(into, "viommu.vfioMaps", this.vfioMaps);
    addMetric(into, "viommu.vfioUnmaps", this.vfioUnmaps);
    addMetric(into, "viommu.dedupedMaps", this.dedupedMaps);
    maxMetric(into, "viommu.staleMappingsPeak", this.stalePeak);
    maxMetric(into, "viommu.shadowEntriesPeak", this.entriesPeak);
  }
  /** The tree in address order as [start, last, gpa, write] tuples. */
  snapshot() {
    const out = [];
    for (const e of this.tree.values()) out.push([e.start, e.last, e.gpa, e.write]);
    return { tree: out, stale: this.stale };
  }
  /** Tree entries in address order (tests and invariants). */
  leaves() {
    return [...this.tree.values()];
  }
  /** Shadowed leaf containing `addr` (tests and invariants). */
  entryAt(addr) {
    return this.tree.containing(addr);
  }
  checkInvariants() {
    const problems = [];
    let stale = 0;
    for (const e of this.tree.values()) {
      if (this.table.leafAt(e.start) !== e) {
        stale++;
        if (this.table.nextChanged(e.start, e.last) < 0) {
          problems.push(`shadow leaf [${e.start}, ${e.last}] differs from the guest table but no walk is pending for it`);
        }
      }
    }
    if (stale !== this.stale) problems.push(`stale shadow leaves counted ${this.stale}, actually ${stale}`);
    return problems;
  }
};

// core/model/x86/vtdPageTable.ts
import SortedBTree2 from "sorted-btree";
var BTree2 = SortedBTree2.default ?? SortedBTree2;
var SZ_2M = 2 ** 21;
var SZ_1G = 2 ** 30;
var ENTRY_BYTES = [0, 2 ** 12, 2 ** 21, 2 ** 30, 2 ** 39, 2 ** 48];
function entryBytes(level) {
  return ENTRY_BYTES[level];
}
function tableBytes(level) {
  return ENTRY_BYTES[level + 1];
}
function tableEntriesIn(base, cover, esz, start, end) {
  return Math.floor(Math.min(end - 1, base + cover - 1) / esz) - Math.floor(Math.max(start, base) / esz) + 1;
}
var VtdPageTable = class {
  constructor(awBits, superpages, onLeafCleared) {
    this.onLeafCleared = onLeafCleared;
    this.levels = awBits === 48 ? 4 : 3;
    this.limit = 2 ** awBits;
    for (let l = 0; l < this.levels; l++) this.tables.push(/* @__PURE__ */ new Set());
    this.planLast = new Float64Array(this.levels);
    this.leafSizes = superpages === "2m+1g" ? [SZ_1G, SZ_2M, PAGE_SIZE] : superpages === "2m" ? [SZ_2M, PAGE_SIZE] : [PAGE_SIZE];
  }
  levels;
  limit;
  holeStart = 0;
  holeLast = 0;
  leaves = new IntervalMap();
  /** tables[L]: indices (addr / tableBytes(L)) of existing tables at level L, 1 <= L < levels. */
  tables = [];
  changed = new BTree2();
  pair = [0, 0];
  planLast;
  tableCount = 0;
  /** Largest leaf first. */
  leafSizes;
  get leafCount() {
    return this.leaves.size;
  }
  /** Present leaves in address order (tests and invariants). */
  leafList() {
    return [...this.leaves.values()];
  }
  leafBytesAt(iova, gpa, remaining) {
    for (const s2 of this.leafSizes) if (remaining >= s2 && iova % s2 === 0 && gpa % s2 === 0) return s2;
    return PAGE_SIZE;
  }
  /** Page-table pages a map of [iova, iova+size) must allocate (pfn_to_dma_pte). Changes nothing. */
  planMap(iova, gpa, size) {
    if (size <= 0 || iova % PAGE_SIZE !== 0 || gpa % PAGE_SIZE !== 0 || size % PAGE_SIZE !== 0 || iova + size > this.limit) {
      throw new RangeError(`intel-iommu map [${iova}, +${size}) -> ${gpa}: not page aligned or beyond the ${this.limit} aperture`);
    }
    if (this.leaves.firstOverlap(iova, iova + size - 1) !== void 0) {
      throw new RangeError(`intel-iommu map at ${iova}: already mapped (dma-iommu maps only free IOVAs)`);
    }
    this.planLast.fill(-1);
    let count = 0;
    for (let p = iova, g = gpa, rem = size; rem > 0; ) {
      const s2 = this.leafBytesAt(p, g, rem);
      for (let l = Math.log2(s2 / PAGE_SIZE) / 9 + 1; l < this.levels; l++) {
        const idx = Math.floor(p / tableBytes(l));
        if (!this.tables[l].has(idx) && this.planLast[l] !== idx) {
          count++;
          this.planLast[l] = idx;
        }
      }
      p += s2;
      g += s2;
      rem -= s2;
    }
    return count;
  }
  /** __domain_mapping after planMap: returns the PTEs written (leaves and new directory entries). */
  writeRun(iova, gpa, size, write) {
    let writes = 0;
    for (let p = iova, g = gpa, rem = size; rem > 0; ) {
      const s2 = this.leafBytesAt(p, g, rem);
      const level = Math.log2(s2 / PAGE_SIZE) / 9 + 1;
      for (let l = level; l < this.levels; l++) {
        const idx = Math.floor(p / tableBytes(l));
        if (!this.tables[l].has(idx)) {
          this.tables[l].add(idx);
          this.tableCount++;
          writes++;
        }
      }
      for (let l = level - 1; l >= 1; l--) this.deleteTablesIn(l, p, p + s2 - 1);
      this.leaves.insert({ start: p, last: p + s2 - 1, gpa: g, write });
      this.changed.set(p, 1);
      writes++;
      p += s2;
      g += s2;
      rem -= s2;
    }
    return writes;
  }
  /** domain_unmap: clears the leaves in range and frees tables whose whole span it covers. Returns leaves cleared. */
  clearRange(iova, size) {
    const first = this.leaves.containing(iova);
    const last = first !== void 0 && first.start === iova ? Math.max(iova + size - 1, first.last) : iova + size - 1;
    const hit = this.leaves.overlapping(iova, last);
    for (const leaf of hit) {
      if (leaf.start < iova || leaf.last > last)
        throw new RangeError(`intel-iommu unmap [${iova}, ${last}] cuts the leaf at ${leaf.start}`);
    }
    for (const leaf of hit) {
      this.leaves.delete(leaf);
      this.changed.set(leaf.start, 1);
      this.onLeafCleared(leaf);
    }
    for (let l = 1; l < this.levels; l++) this.deleteTablesIn(l, iova, last);
    return hit.length;
  }
  /** Frees the level-`l` tables whose span lies inside [start, last]. */
  deleteTablesIn(l, start, last) {
    const cover = tableBytes(l);
    const set = this.tables[l];
    const lo2 = Math.ceil(start / cover);
    const hi2 = Math.floor((last + 1) / cover) - 1;
    if (hi2 < lo2 || set.size === 0) return;
    if (hi2 - lo2 + 1 <= set.size) {
      for (let i = lo2; i <= hi2; i++) if (set.delete(i)) this.tableCount--;
    } else {
      for (const i of [...set]) if (i >= lo2 && i <= hi2 && set.delete(i)) this.tableCount--;
    }
  }
  leafAt(addr) {
    return this.leaves.containing(addr);
  }
  leavesIn(start, last) {
    if (start === 0 && last >= this.limit - 1) return this.leaves.size;
    let n = 0;
    for (let l = this.leaves.firstOverlap(start, last); l !== void 0 && l.start <= last; l = this.leaves.next(l)) n++;
    return n;
  }
  findHole(addr) {
    for (let l = this.levels - 1; l >= 1; l--) {
      const cover = tableBytes(l);
      const idx = Math.floor(addr / cover);
      if (!this.tables[l].has(idx)) {
        this.holeStart = idx * cover;
        this.holeLast = this.holeStart + cover - 1;
        return;
      }
    }
    this.holeStart = alignDown(addr, PAGE_SIZE);
    this.holeLast = this.holeStart + PAGE_SIZE - 1;
  }
  ptesVisited(start, endExclusive) {
    const end = Math.min(endExclusive, this.limit);
    if (start === 0 && end === this.limit) return 512 * (1 + this.tableCount);
    const rootEntry = entryBytes(this.levels);
    let n = Math.floor((end - 1) / rootEntry) - Math.floor(start / rootEntry) + 1;
    for (let l = this.levels - 1; l >= 1; l--) n += this.entriesVisited(l, start, end);
    return n;
  }
  /** Entries of existing level-`l` tables inside [start, end). */
  entriesVisited(l, start, end) {
    const cover = tableBytes(l);
    const esz = entryBytes(l);
    const set = this.tables[l];
    const lo2 = Math.floor(start / cover);
    const hi2 = Math.floor((end - 1) / cover);
    let n = 0;
    if (hi2 - lo2 + 1 <= set.size) {
      for (let t = lo2; t <= hi2; t++) if (set.has(t)) n += tableEntriesIn(t * cover, cover, esz, start, end);
    } else {
      for (const t of set) if (t >= lo2 && t <= hi2) n += tableEntriesIn(t * cover, cover, esz, start, end);
    }
    return n;
  }
  nextChanged(from, last) {
    const p = this.changed.getPairOrNextHigher(from, this.pair);
    return p !== void 0 && p[0] <= last ? p[0] : -1;
  }
  forgetChanged(start, last) {
    if (last - start < PAGE_SIZE) this.changed.delete(start);
    else this.changed.deleteRange(start, last, true);
  }
  snapshot() {
    const leaves = [];
    for (const l of this.leaves.values()) leaves.push([l.start, l.last, l.gpa, l.write]);
    return {
      leaves,
      tables: this.tables.map((s2) => [...s2].sort((a, b) => a - b)),
      changed: this.changed.keysArray()
    };
  }
  checkInvariants() {
    const problems = [];
    let tables = 0;
    for (let l = 1; l < this.levels; l++) tables += this.tables[l].size;
    if (tables !== this.tableCount) problems.push(`page-table count ${this.tableCount} but ${tables} tables exist`);
    for (const leaf of this.leaves.values()) {
      const s2 = leaf.last - leaf.start + 1;
      if (!this.leafSizes.includes(s2) || leaf.start % s2 !== 0 || leaf.gpa % s2 !== 0 || leaf.last >= this.limit) {
        problems.push(`leaf [${leaf.start}, ${leaf.last}] -> ${leaf.gpa} is not an aligned page of a supported size`);
        continue;
      }
      const level = Math.log2(s2 / PAGE_SIZE) / 9 + 1;
      for (let l = level; l < this.levels; l++) {
        if (!this.tables[l].has(Math.floor(leaf.start / tableBytes(l))))
          problems.push(`leaf at ${leaf.start} has no level-${l} table above it`);
      }
      if (level > 1 && this.tables[level - 1].has(Math.floor(leaf.start / tableBytes(level - 1)))) {
        problems.push(`large leaf at ${leaf.start} still has a level-${level - 1} table below it`);
      }
    }
    return problems;
  }
};

// core/model/x86/intelIommuGuest.ts
var VTD_MAMV = 18;
var VTD_MSI_RANGE = { start: 4276092928, last: 4277141503 };
function psiAlignedRange(start, last) {
  const pfn = Math.floor(start / PAGE_SIZE);
  const endPfn = Math.floor(last / PAGE_SIZE);
  const pages = endPfn - pfn + 1;
  let mask = Math.ceil(Math.log2(pages));
  if (2 ** mask < pages) mask++;
  if (pfn % 2 ** mask !== 0) {
    let b = mask;
    while (b < 64 && Math.floor(pfn / 2 ** b) % 2 !== Math.floor(endPfn / 2 ** b) % 2) b++;
    mask = b;
  }
  const align = PAGE_SIZE * 2 ** mask;
  return { addr: mask >= 64 ? 0 : Math.floor(start / align) * align, mask };
}
var IntelIommuGuestDriver = class {
  constructor(deps) {
    this.deps = deps;
    const o = deps.options;
    this.laneName = deps.laneName;
    this.forcesStrict = o.cachingMode;
    this.faults = deps.faults ?? new FaultInjector();
    this.table = new VtdPageTable(o.awBits, o.superpages, (leaf) => this.shadow.noteGuestLeafCleared(leaf));
    this.shadow = new QemuIntelIommuShadow(deps.qemu, deps.container, this.table, deps.costs);
    this.apertureLast = this.table.limit - 1;
    const tl = deps.timeline;
    this.lane = tl.defineLane(deps.laneName, "viommu");
    this.dsiKind = tl.defineKind({
      name: "vtd.domain invalidation",
      args: [
        { name: "staleLeaves", format: "int" },
        { name: "leaves", format: "int" }
      ]
    });
    this.psiKind = tl.defineKind({
      name: "vtd.iotlb invalidation",
      args: [
        { name: "addr", format: "hex" },
        { name: "bytes", format: "bytes" }
      ]
    });
    this.mapFailKind = tl.defineKind({
      name: "vtd.map failed",
      args: [
        { name: "errno", format: "errno" },
        { name: "iova", format: "hex" }
      ],
      failure: true
    });
    this.enomemName = tl.internString("ENOMEM");
    this.psiWhat = deps.qemu.trapName("vtd-iotlb-psi");
    this.dsiWhat = deps.qemu.trapName("vtd-iotlb-dsi");
  }
  name = "intel-iommu";
  /** intel_iommu_capable(IOMMU_CAP_DEFERRED_FLUSH) */
  deferredFlush = true;
  shadowOnFlush = false;
  apertureStart = 0;
  apertureLast;
  reservedRanges = [VTD_MSI_RANGE];
  /**
   * intel_iommu_init: caching mode with second-stage tables (QEMU's default legacy mode) calls
   * iommu_set_dma_strict(), "IOMMU batching disallowed due to virtualization": strict by default,
   * even with iommu.strict=0. Lazy only after writing DMA-FQ to the group's sysfs type.
   */
  forcesStrict;
  laneName;
  table;
  shadow;
  traps = 0;
  psiInvalidations = 0;
  dsiInvalidations = 0;
  mapFailures = 0;
  faults;
  lane;
  dsiKind;
  psiKind;
  mapFailKind;
  enomemName;
  psiWhat;
  dsiWhat;
  map(call, iova, gpa, size, write) {
    const newTables = this.table.planMap(iova, gpa, size);
    for (let i = 0; i < newTables; i++) {
      if (this.faults.fail("alloc")) {
        this.mapFailures++;
        call.errno = ENOMEM;
        call.cause = this.deps.timeline.record(call.t, 0, this.lane, this.mapFailKind, this.enomemName, iova, 0, call.cause);
        return;
      }
    }
    call.t += this.table.writeRun(iova, gpa, size, write) * this.deps.costs.guestPteWriteNs;
    if (this.deps.options.cachingMode) this.invalidateRange(call, iova, size);
  }
  unmap(call, iova, size) {
    call.t += this.table.clearRange(iova, size) * this.deps.costs.guestPteWriteNs;
  }
  iotlbSync(call, iova, size) {
    this.invalidateRange(call, iova, size);
  }
  flushIotlbAll(call) {
    this.invalidateDomain(call);
  }
  /** cache_tag_flush_iotlb: PSI, or DSI when the mask exceeds cap_max_amask_val. */
  invalidateRange(call, iova, size) {
    const { addr, mask } = psiAlignedRange(iova, iova + size - 1);
    if (mask > VTD_MAMV) {
      this.invalidateDomain(call);
      return;
    }
    this.psiInvalidations++;
    const bytes = PAGE_SIZE * 2 ** mask;
    const startNs = call.t;
    const event = this.deps.timeline.record(startNs, 0, this.lane, this.psiKind, addr, bytes, 0, call.cause);
    call.cause = event;
    this.trap(call, this.psiWhat, addr, addr + bytes);
    this.deps.timeline.setDuration(event, call.t - startNs);
  }
  invalidateDomain(call) {
    this.dsiInvalidations++;
    const startNs = call.t;
    const event = this.deps.timeline.record(
      startNs,
      0,
      this.lane,
      this.dsiKind,
      this.shadow.staleLeaves,
      this.table.leafCount,
      0,
      call.cause
    );
    call.cause = event;
    this.trap(call, this.dsiWhat, 0, this.table.limit);
    this.deps.timeline.setDuration(event, call.t - startNs);
  }
  /** qi_submit_sync: descriptor + wait descriptor, one tail write = one exit into QEMU. */
  trap(call, what, start, endExclusive) {
    this.traps++;
    call.t += this.deps.costs.intelQiDescriptorNs;
    this.shadow.beginTrap(call.t, call.cause);
    this.deps.qemu.trap(call, what, this.shadow, start, endExclusive);
  }
  collectMetrics(into) {
    addMetric(into, "viommu.invalidations.psi", this.psiInvalidations);
    addMetric(into, "viommu.invalidations.dsi", this.dsiInvalidations);
    addMetric(into, "viommu.mapFailures", this.mapFailures);
    this.shadow.collectMetrics(into);
  }
  snapshot() {
    return { table: this.table.snapshot(), shadow: this.shadow.snapshot() };
  }
  checkInvariants() {
    const problems = [...this.table.checkInvariants(), ...this.shadow.checkInvariants()];
    for (const leaf of this.table.leafList()) {
      if (this.shadow.entryAt(leaf.start) !== leaf && this.table.nextChanged(leaf.start, leaf.last) < 0) {
        problems.push(`guest leaf at ${leaf.start} is not shadowed and no walk is pending for it`);
      }
    }
    return problems;
  }
};
function intelIommuAssignmentProblem(vm, devices) {
  if (vm.viommu.model !== "intel-iommu" || vm.viommu.intel.cachingMode || devices.length === 0) return null;
  return "We need to set caching-mode=on for intel-iommu to enable device assignment with IOMMU protection.";
}
function intelIommuForcesStrict(vm) {
  return vm.viommu.model === "intel-iommu" && vm.viommu.intel.cachingMode;
}

// core/stack/dmaModeChoice.ts
function chooseDmaMode(scenario, vm, shadowOnFlush) {
  const explicit = vm.guest.dmaMode;
  if (explicit !== void 0) return explicit;
  if (intelIommuForcesStrict(vm)) return "strict";
  const strictParam = vm.guest.kernelParams["iommu.strict"];
  const lazyDefault = scenario.host.arch === "x86_64" || scenario.host.arch === "s390x";
  const strict = strictParam === void 0 ? !lazyDefault : strictParam === 1;
  if (strict) return "strict";
  return shadowOnFlush ? "lazy-single" : "lazy";
}
function forcedac(scenario, vm) {
  const param2 = vm.guest.kernelParams["iommu.forcedac"];
  if (param2 !== void 0) return param2 === 1;
  return scenario.host.arch === "s390x";
}

// core/sim/simTime.ts
var SIM_TIME_ZERO = 0;
var MAX_SIM_TIME_NS = Number.MAX_SAFE_INTEGER;
function checkIntegerNs(value, what) {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative safe integer of nanoseconds, got ${value}`);
  }
}
function durationNs(value) {
  checkIntegerNs(value, "duration");
  return value;
}
function usToNs(us) {
  return durationNs(Math.round(us * 1e3));
}
function msToNs(ms2) {
  return durationNs(Math.round(ms2 * 1e6));
}

// core/stack/deviceLayers.ts
function buildDeviceLayers(ctx, config, container) {
  const { sim, scenario, vm, vcpus } = ctx;
  const model = vm.viommu.model;
  if (model === "none") return { dma: new DmaDirect(sim.costs), frontEnd: null };
  const factory = ctx.viommus[model];
  if (factory === void 0) throw new Error(`vIOMMU model ${model} has no front-end in this registry`);
  const frontEnd = factory({
    sim,
    costs: sim.costs,
    timeline: sim.timeline,
    scenario,
    vm,
    device: config,
    vcpus,
    qemu: ctx.qemu,
    container,
    env: ctx.env
  });
  if (frontEnd.dmaOps !== null) return { dma: frontEnd.dmaOps, frontEnd };
  if (frontEnd.driver === null) throw new Error(`vIOMMU ${model} gave neither a driver nor a DMA layer`);
  const mode = chooseDmaMode(scenario, vm, frontEnd.driver.shadowOnFlush);
  if (mode === "s390-legacy") throw new Error("s390-legacy is served by the s390 front-end, not dma-iommu");
  const fq = vm.guest.flushQueue;
  const dma = new IommuDmaDomain(
    sim,
    frontEnd.driver,
    {
      mode,
      cpus: vm.vcpus,
      perCpuSize: fq.perCpuSize,
      perCpuTimeoutNs: msToNs(fq.perCpuTimeoutMs),
      singleSize: fq.singleSize,
      singleTimeoutNs: msToNs(fq.singleTimeoutMs),
      forcedac: forcedac(scenario, vm)
    },
    sim.costs,
    vcpus
  );
  return { dma, frontEnd };
}

// core/model/ppc/eeh/eehClock.ts
var WAKE = 0;
var EehClock = class {
  constructor(sim) {
    this.sim = sim;
    if (sim !== null) this.handler = sim.register(this);
  }
  queue = [];
  seq = 0;
  current = 0;
  running = false;
  handler = -1;
  /**
   * Hands the clock to the run's scheduler (a layer first used by an ops script without one, later
   * reached by a fault): pending actions are scheduled there; the clock never goes back in time.
   */
  attach(sim) {
    if (this.sim !== null) return;
    this.sim = sim;
    this.handler = sim.register(this);
    for (const a of this.queue) sim.scheduleAt(Math.max(a.t, sim.now), this.handler, WAKE);
  }
  /** Whether the run's scheduler drives this clock. */
  get attached() {
    return this.sim !== null;
  }
  /** The current time, ns: the scheduler's when attached (never behind the last action run). */
  now() {
    return this.sim === null ? this.current : Math.max(this.sim.now, this.current);
  }
  /** Runs `run` at `tNs` (not before the current time). */
  at(tNs, run) {
    const t = Math.max(tNs, this.now());
    const action = { t, seq: this.seq++, run };
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1].t > t) i--;
    this.queue.splice(i, 0, action);
    if (this.sim !== null) this.sim.scheduleAt(t, this.handler, WAKE);
  }
  /** Runs every action due at or before `tNs`, in order; the clock then reads at least `tNs`. */
  advanceTo(tNs) {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && this.queue[0].t <= tNs) {
        const action = this.queue.shift();
        this.current = Math.max(this.current, action.t);
        action.run();
      }
    } finally {
      this.running = false;
    }
    this.current = Math.max(this.current, tNs);
  }
  handleEvent() {
    this.advanceTo(this.sim.now);
  }
  /** Actions not run yet. */
  get pending() {
    return this.queue.length;
  }
  /** Time of the next action, or null. */
  nextAt() {
    return this.queue.length === 0 ? null : this.queue[0].t;
  }
};

// core/model/ppc/eeh/eehFreezeWindow.ts
var NS_PER_S = 1e9;
var EehFreezeWindow = class {
  constructor(maxFreezes, windowS) {
    this.maxFreezes = maxFreezes;
    this.windowS = windowS;
  }
  freezeCount = 0;
  /** Second of the freeze that opened the current window. */
  tstampS = 0;
  /**
   * eeh_handle_normal_event: eeh_pe_update_time_stamp, then freeze_count++. The window restarts only
   * when strictly more than windowS seconds passed since its first freeze (tstamp - pe->tstamp > 3600),
   * so a freeze exactly windowS seconds later still counts. Returns true when the count now exceeds
   * maxFreezes (the caller fails the PE permanently).
   */
  recordFreeze(tNs) {
    const nowS = Math.floor(tNs / NS_PER_S);
    if (this.freezeCount <= 0) {
      this.freezeCount = 0;
      this.tstampS = nowS;
    } else if (nowS - this.tstampS > this.windowS) {
      this.tstampS = nowS;
      this.freezeCount = 0;
    }
    this.freezeCount++;
    return this.freezeCount > this.maxFreezes;
  }
  /** A guest reboot starts a fresh kernel with fresh counters. */
  clear() {
    this.freezeCount = 0;
    this.tstampS = 0;
  }
  snapshot() {
    return { freezeCount: this.freezeCount, tstampS: this.tstampS };
  }
};

// core/model/ppc/eeh/eehPeState.ts
var EEH_PE_STATES = ["normal", "stopped", "stopped-dma", "stopped-mmio", "reset", "unavailable", "permanently-failed"];
var EEH_PE_STATE_NORMAL = 0;
var EEH_PE_STATE_RESET = 1;
var EEH_PE_STATE_STOPPED_IO_DMA = 2;
var EEH_PE_STATE_STOPPED_DMA = 4;
var EEH_PE_STATE_UNAVAIL = 5;
var TRANSITIONS = {
  // An error or EEH_OPT_FREEZE_PE freezes; a hot/fundamental reset asserts reset; the host's PHB
  // recovery makes it unavailable; the guest may give up on a PE that is still fine (its guest PE failed).
  normal: ["stopped", "reset", "unavailable", "permanently-failed"],
  // eeh_pci_enable(THAW_MMIO | THAW_DMA) thaw one side; eeh_unfreeze_pe (ENABLE, RESET_DEACTIVATE) both.
  stopped: ["stopped-dma", "stopped-mmio", "normal", "reset", "unavailable", "permanently-failed"],
  "stopped-dma": ["normal", "stopped", "reset", "unavailable", "permanently-failed"],
  "stopped-mmio": ["normal", "stopped", "reset", "unavailable", "permanently-failed"],
  // RESET_DEACTIVATE ends a reset with the PE thawed (eeh_pe_reenable_devices); an error during it freezes.
  reset: ["normal", "stopped", "unavailable", "permanently-failed"],
  // eeh_pe_refreeze_passed: after the host recovered the PHB, a passed-through PE is frozen again.
  unavailable: ["stopped", "permanently-failed"],
  "permanently-failed": []
};
function eehPeTransitionAllowed(from, to) {
  return TRANSITIONS[from].includes(to);
}
function eehPeStateCode(state) {
  switch (state) {
    case "normal":
      return EEH_PE_STATE_NORMAL;
    case "reset":
      return EEH_PE_STATE_RESET;
    case "stopped":
      return EEH_PE_STATE_STOPPED_IO_DMA;
    case "stopped-dma":
      return EEH_PE_STATE_STOPPED_DMA;
    case "stopped-mmio":
    case "unavailable":
    case "permanently-failed":
      return EEH_PE_STATE_UNAVAIL;
    default: {
      const never = state;
      throw new Error(`unknown EEH PE state ${String(never)}`);
    }
  }
}
function eehPeMmioEnabled(state) {
  return state === "normal" || state === "stopped-dma";
}
function eehPeDmaEnabled(state) {
  return state === "normal" || state === "stopped-mmio";
}
function eehPeStateIndex(state) {
  return EEH_PE_STATES.indexOf(state);
}

// core/model/ppc/eeh/eehGuestPe.ts
var GuestPe = class {
  constructor(vm, number, hostPes, devices, window, lane) {
    this.vm = vm;
    this.number = number;
    this.hostPes = hostPes;
    this.devices = devices;
    this.window = new EehFreezeWindow(window.maxFreezes, window.windowS);
    this.lane = lane;
  }
  lane;
  window;
  /** EEH_PE_ISOLATED in the guest: an event is queued or being handled; further detections are ignored. */
  isolated = false;
  /** EEH_PE_REMOVED: recovery failed permanently, the devices are gone from the guest. */
  removed = false;
  /** EEH_PE_RECOVERING: eeh_handle_normal_event runs for it (events for it wait until it ends). */
  recovering = false;
  /** When the error being handled first froze one of its host PEs (-1: none). */
  errorStartNs = -1;
  errorCause = NO_CAUSE;
  /** Since when its host PEs disagree (-1: they agree). */
  divergentSinceNs = -1;
  divergentNs = 0;
  /** The host PE a device of this guest PE sits in. */
  hostPeOf(device3) {
    const pe2 = this.hostPes.find((p) => p.devices.includes(device3));
    if (pe2 === void 0) throw new Error(`device ${device3} is not in guest PE ${this.number}`);
    return pe2;
  }
  /** More than one host PE behind this guest PE (the case reference 001 is about). */
  get multi() {
    return this.hostPes.length > 1;
  }
  /** Every host PE is in the same state. */
  statesAgree() {
    const first = this.hostPes[0].state;
    return this.hostPes.every((p) => p.state === first);
  }
  /** All host PEs are in `state`. */
  allIn(state) {
    return this.hostPes.every((p) => p.state === state);
  }
  /**
   * Whether a state code reported for the whole guest PE is true of it: every host PE is in a state
   * with that code, or the code is "unavailable" and some host PE is unavailable (PAPR: retry later,
   * which holds for the guest PE as a whole).
   */
  codeHoldsForAll(code) {
    if (code === EEH_PE_STATE_UNAVAIL && this.hostPes.some((p) => p.state === "unavailable")) return true;
    return this.hostPes.every((p) => eehPeStateCode(p.state) === code);
  }
  /** Its host PEs disagree on whether MMIO is frozen: one device reads all ones, a sibling answers. */
  mmioDivergent() {
    const first = this.hostPes[0].mmioEnabled;
    return this.hostPes.some((p) => p.mmioEnabled !== first);
  }
  /** Called after any host PE of this guest PE changed state, to account the time they disagree. */
  noteStates(tNs) {
    const agree = this.statesAgree();
    if (!agree && this.divergentSinceNs < 0) this.divergentSinceNs = tNs;
    else if (agree && this.divergentSinceNs >= 0) {
      this.divergentNs += tNs - this.divergentSinceNs;
      this.divergentSinceNs = -1;
    }
  }
  /** Time its host PEs disagreed, up to `tNs` (an open divergence counts until then). */
  divergentUpTo(tNs) {
    return this.divergentNs + (this.divergentSinceNs >= 0 ? Math.max(0, tNs - this.divergentSinceNs) : 0);
  }
  snapshot() {
    return {
      pe: this.number,
      isolated: this.isolated,
      removed: this.removed,
      recovering: this.recovering,
      errorStartNs: this.errorStartNs,
      window: this.window.snapshot(),
      hostPes: this.hostPes.map((p) => p.number)
    };
  }
};

// core/model/ppc/papr.ts
var H_SUCCESS = 0;
var H_HARDWARE = -1;
var H_FUNCTION = -2;
var H_PRIVILEGE = -3;
var H_PARAMETER = -4;
var H_NO_MEM = -9;
var H_RESOURCE = -16;
var HCALL_NAMES = /* @__PURE__ */ new Map([
  [H_SUCCESS, "H_SUCCESS"],
  [H_HARDWARE, "H_HARDWARE"],
  [H_FUNCTION, "H_FUNCTION"],
  [H_PRIVILEGE, "H_PRIVILEGE"],
  [H_PARAMETER, "H_PARAMETER"],
  [H_NO_MEM, "H_NO_MEM"],
  [H_RESOURCE, "H_RESOURCE"],
  [9900, "H_LONG_BUSY_ORDER_1_MSEC"],
  [9901, "H_LONG_BUSY_ORDER_10_MSEC"],
  [9902, "H_LONG_BUSY_ORDER_100_MSEC"],
  [9903, "H_LONG_BUSY_ORDER_1_SEC"],
  [9904, "H_LONG_BUSY_ORDER_10_SEC"],
  [9905, "H_LONG_BUSY_ORDER_100_SEC"]
]);
function hcallErrorName(code) {
  if (code === H_SUCCESS) return null;
  return HCALL_NAMES.get(code) ?? `H_UNKNOWN(${code})`;
}
var RTAS_OUT_SUCCESS = 0;
var RTAS_OUT_NO_ERRORS_FOUND = 1;
var RTAS_OUT_HW_ERROR = -1;
var RTAS_OUT_BUSY = -2;
var RTAS_OUT_PARAM_ERROR = -3;
var RTAS_ERROR_NAMES = /* @__PURE__ */ new Map([
  [RTAS_OUT_HW_ERROR, "RTAS_HW_ERROR"],
  [RTAS_OUT_BUSY, "RTAS_BUSY"],
  [RTAS_OUT_PARAM_ERROR, "RTAS_PARAM_ERROR"]
]);
function rtasErrorName(status) {
  if (status === RTAS_OUT_SUCCESS || status === RTAS_OUT_NO_ERRORS_FOUND) return null;
  return RTAS_ERROR_NAMES.get(status) ?? `RTAS_UNKNOWN(${status})`;
}

// core/model/ppc/eeh/vfioEehPeOp.ts
var VFIO_EEH_PE_DISABLE = 0;
var VFIO_EEH_PE_ENABLE = 1;
var VFIO_EEH_PE_UNFREEZE_IO = 2;
var VFIO_EEH_PE_UNFREEZE_DMA = 3;
var VFIO_EEH_PE_GET_STATE = 4;
var VFIO_EEH_PE_RESET_DEACTIVATE = 5;
var VFIO_EEH_PE_RESET_HOT = 6;
var VFIO_EEH_PE_RESET_FUNDAMENTAL = 7;
var VFIO_EEH_PE_CONFIGURE = 8;
var VFIO_EEH_PE_INJECT_ERR = 9;
var EEH_ERR_TYPE_32 = 0;
var EEH_ERR_TYPE_64 = 1;
var EEH_ERR_FUNC_MIN = 0;
var EEH_ERR_FUNC_MAX = 19;
var NO_ARGS = {};
var VfioEehPeOp = class {
  constructor(costs, timing, nested) {
    this.timing = timing;
    this.opNs = costs.eehHostPeOpNs + (nested ? costs.l1ToL0HcallNs : 0);
  }
  lastCostNs = 0;
  /** GET_STATE result of the last successful call (EEH_PE_STATE_*). */
  lastState = 0;
  /** Serial of the freeze the last INJECT_ERR caused (0: it froze nothing). */
  lastSerial = 0;
  calls = 0;
  failures = 0;
  nextSerial = 1;
  opNs;
  /** A serial number for a new error event (shared with freezes that do not come through INJECT_ERR). */
  newSerial() {
    return this.nextSerial++;
  }
  /**
   * One VFIO_EEH_PE_OP. Order of checks as vfio_spapr_iommu_eeh_ioctl: no PE behind the group -> ENODEV,
   * flags -> EINVAL, then the op; an unknown op -> EINVAL.
   */
  run(pe2, op, tNs, args = NO_ARGS) {
    this.calls++;
    this.lastCostNs = 0;
    this.lastSerial = 0;
    if (pe2 === void 0) return this.fail(ENODEV);
    if ((args.flags ?? 0) !== 0) return this.fail(EINVAL);
    pe2.endUnavailable(tNs, () => this.newSerial());
    this.lastCostNs = this.opNs;
    const cause = args.cause ?? NO_CAUSE;
    const s2 = pe2.state;
    const inert = s2 === "permanently-failed" || s2 === "unavailable";
    switch (op) {
      case VFIO_EEH_PE_DISABLE:
        return OK;
      case VFIO_EEH_PE_ENABLE:
        if (inert) return this.fail(EIO);
        if (s2 === "stopped" || s2 === "stopped-dma" || s2 === "stopped-mmio") pe2.setState("normal", tNs, cause);
        return OK;
      case VFIO_EEH_PE_UNFREEZE_IO:
        return this.thaw(pe2, "mmio", tNs, cause);
      case VFIO_EEH_PE_UNFREEZE_DMA:
        return this.thaw(pe2, "dma", tNs, cause);
      case VFIO_EEH_PE_GET_STATE:
        this.lastState = eehPeStateCode(s2);
        return OK;
      case VFIO_EEH_PE_RESET_DEACTIVATE:
        if (inert) return this.fail(EIO);
        this.lastCostNs += this.timing.resetSettleMs * 1e6;
        pe2.setState("normal", tNs, cause);
        return OK;
      case VFIO_EEH_PE_RESET_HOT:
      case VFIO_EEH_PE_RESET_FUNDAMENTAL:
        if (inert) return this.fail(EIO);
        this.lastCostNs += this.timing.resetHoldMs * 1e6;
        if (pe2.consume("reset")) {
          if (s2 !== "stopped") pe2.setState("stopped", tNs, cause);
          return this.fail(EIO);
        }
        pe2.setState("reset", tNs, cause);
        return OK;
      case VFIO_EEH_PE_CONFIGURE:
        return OK;
      case VFIO_EEH_PE_INJECT_ERR:
        return this.inject(pe2, tNs, args, inert, cause);
      default:
        return this.fail(EINVAL);
    }
  }
  /** eeh_pci_enable(THAW_MMIO | THAW_DMA): nothing to do when already active (no platform call). */
  thaw(pe2, side, tNs, cause) {
    const s2 = pe2.state;
    if (s2 === "permanently-failed" || s2 === "unavailable") return this.fail(EIO);
    const active = s2 === "reset" || (side === "mmio" ? pe2.mmioEnabled : pe2.dmaEnabled);
    if (active) return OK;
    if (pe2.consume(side === "mmio" ? "thaw_mmio" : "thaw_dma")) return this.fail(EIO);
    if (side === "mmio") pe2.setState(s2 === "stopped" ? "stopped-dma" : "normal", tNs, cause);
    else pe2.setState(s2 === "stopped" ? "stopped-mmio" : "normal", tNs, cause);
    return OK;
  }
  /** eeh_pe_inject_err: type 32/64 and function 0..19 else EINVAL; the platform's injection freezes the PE. */
  inject(pe2, tNs, args, inert, cause) {
    const type = args.errType ?? EEH_ERR_TYPE_32;
    const func = args.errFunc ?? EEH_ERR_FUNC_MIN;
    if (type !== EEH_ERR_TYPE_32 && type !== EEH_ERR_TYPE_64) return this.fail(EINVAL);
    if (!Number.isInteger(func) || func < EEH_ERR_FUNC_MIN || func > EEH_ERR_FUNC_MAX) return this.fail(EINVAL);
    if (inert) return this.fail(EIO);
    const serial = args.serial !== void 0 && args.serial > 0 ? args.serial : this.newSerial();
    if (pe2.freeze(serial, tNs, args.origin ?? "error", cause)) this.lastSerial = serial;
    return OK;
  }
  fail(errno) {
    this.failures++;
    return errno;
  }
};

// core/model/ppc/eeh/qemuSpaprEeh.ts
var RTAS_EEH_DISABLE = 0;
var RTAS_EEH_ENABLE = 1;
var RTAS_EEH_THAW_IO = 2;
var RTAS_EEH_THAW_DMA = 3;
var RTAS_SLOT_RESET_DEACTIVATE = 0;
var RTAS_SLOT_RESET_HOT = 1;
var RTAS_SLOT_RESET_FUNDAMENTAL = 3;
var RTAS_GET_PE_ADDR = 0;
var RTAS_GET_PE_MODE = 1;
var RTAS_PE_MODE_SHARED = 2;
var RTAS_SLOT_TEMP_ERR_LOG = 1;
var RTAS_SLOT_PERM_ERR_LOG = 2;
var RTAS_EEH_SUPPORT = 1;
var EEH_RTAS_CALLS = [
  "ibm,set-eeh-option",
  "ibm,read-slot-reset-state2",
  "ibm,set-slot-reset",
  "ibm,configure-pe",
  "ibm,slot-error-detail",
  "ibm,get-config-addr-info2"
];
var SET_OPTION_OPS = {
  [RTAS_EEH_DISABLE]: VFIO_EEH_PE_DISABLE,
  [RTAS_EEH_ENABLE]: VFIO_EEH_PE_ENABLE,
  [RTAS_EEH_THAW_IO]: VFIO_EEH_PE_UNFREEZE_IO,
  [RTAS_EEH_THAW_DMA]: VFIO_EEH_PE_UNFREEZE_DMA
};
var RESET_OPS = {
  [RTAS_SLOT_RESET_DEACTIVATE]: VFIO_EEH_PE_RESET_DEACTIVATE,
  [RTAS_SLOT_RESET_HOT]: VFIO_EEH_PE_RESET_HOT,
  [RTAS_SLOT_RESET_FUNDAMENTAL]: VFIO_EEH_PE_RESET_FUNDAMENTAL
};
var QemuSpaprEeh = class {
  constructor(vfio, mapping, qemu, tl, clock, options) {
    this.vfio = vfio;
    this.mapping = mapping;
    this.qemu = qemu;
    this.tl = tl;
    this.clock = clock;
    this.options = options;
    this.trapNames = Object.fromEntries(EEH_RTAS_CALLS.map((c) => [c, qemu.trapName(`rtas.${c}`)]));
  }
  lastCostNs = 0;
  /** read-slot-reset-state2 outputs of the last successful call. */
  lastState = 0;
  lastSupport = 0;
  lastUnavailableMs = 0;
  /** get-config-addr-info2 output of the last successful call. */
  lastValue = 0;
  /** Timeline event of the last call's trap (a cause for what follows). */
  lastEvent = NO_CAUSE;
  rtasCalls = {
    "ibm,set-eeh-option": 0,
    "ibm,read-slot-reset-state2": 0,
    "ibm,set-slot-reset": 0,
    "ibm,configure-pe": 0,
    "ibm,slot-error-detail": 0,
    "ibm,get-config-addr-info2": 0
  };
  /** Guest state reads answered with a state that does not hold for every host PE of the guest PE. */
  inconsistentStates = 0;
  /** Calls refused because QEMU keeps EEH off for the PHB (refuse strategy). */
  refusedCalls = 0;
  duplicateNotificationsMerged = 0;
  resolvedPartialFailures = 0;
  seenSerials = /* @__PURE__ */ new Set();
  call = new DmaCall(0);
  trapNames;
  // The call being served inside the trap (no closure per call).
  pKind = "ibm,configure-pe";
  pGpe = void 0;
  pOption = 0;
  pDevice = void 0;
  pT = 0;
  pStatus = 0;
  hostNs = 0;
  /** A serial for a new error event (the host's numbering). */
  newSerial() {
    return this.vfio.newSerial();
  }
  /**
   * spapr_phb_eeh_available -> vfio_eeh_as_ok: one legacy container (not iommufd: "IBM EEH is only
   * supported by legacy backend") holding exactly one group, unless a strategy lifts the guard.
   */
  eehAvailable(gpe) {
    if (this.options.iommufd) return false;
    return !gpe.multi || this.mapping !== "refuse";
  }
  /** ibm,set-eeh-option: 0 disable, 1 enable, 2 thaw MMIO, 3 thaw DMA; an ioctl failure -> HW_ERROR. */
  setEehOption(gpe, option, tNs, cause = NO_CAUSE) {
    return this.rtas("ibm,set-eeh-option", gpe, option, void 0, tNs, cause);
  }
  /** ibm,read-slot-reset-state2: state, support 1 and the unavailable hint; a VFIO failure -> PARAM_ERROR. */
  readSlotResetState2(gpe, tNs, cause = NO_CAUSE) {
    return this.rtas("ibm,read-slot-reset-state2", gpe, 0, void 0, tNs, cause);
  }
  /** ibm,set-slot-reset: 0 deactivate, 1 hot, 3 fundamental; an ioctl failure -> HW_ERROR. */
  setSlotReset(gpe, option, tNs, cause = NO_CAUSE) {
    return this.rtas("ibm,set-slot-reset", gpe, option, void 0, tNs, cause);
  }
  /** ibm,configure-pe: VFIO_EEH_PE_CONFIGURE; a failure -> PARAM_ERROR. */
  configurePe(gpe, tNs, cause = NO_CAUSE) {
    return this.rtas("ibm,configure-pe", gpe, 0, void 0, tNs, cause);
  }
  /** ibm,slot-error-detail: option 1 (temporary) or 2 (permanent) -> NO_ERRORS_FOUND: QEMU keeps no log. */
  slotErrorDetail(gpe, option, tNs, cause = NO_CAUSE) {
    return this.rtas("ibm,slot-error-detail", gpe, option, void 0, tNs, cause);
  }
  /** ibm,get-config-addr-info2: option 0 the PE address of `device`, option 1 the PE mode (shared). */
  getConfigAddrInfo2(gpe, device3, option, tNs, cause = NO_CAUSE) {
    return this.rtas("ibm,get-config-addr-info2", gpe, option, device3, tNs, cause);
  }
  rtas(kind, gpe, option, device3, tNs, cause) {
    this.rtasCalls[kind]++;
    this.pKind = kind;
    this.pGpe = gpe;
    this.pOption = option;
    this.pDevice = device3;
    this.pT = tNs;
    this.pStatus = RTAS_OUT_SUCCESS;
    const c = this.call.begin(tNs);
    c.cause = cause;
    this.qemu.trap(c, this.trapNames[kind], this, 0, 0);
    this.lastEvent = c.cause;
    this.lastCostNs = c.t - tNs;
    return this.pStatus;
  }
  /** TrapHandler: serves the pending call under the BQL; returns the host's time for it. */
  serve() {
    this.hostNs = 0;
    const gpe = this.pGpe;
    if (gpe === void 0) this.pStatus = RTAS_OUT_PARAM_ERROR;
    else if (!this.eehAvailable(gpe)) {
      this.refusedCalls++;
      this.pStatus = RTAS_OUT_PARAM_ERROR;
    } else this.pStatus = this.serveOn(gpe);
    return this.hostNs;
  }
  serveOn(gpe) {
    switch (this.pKind) {
      case "ibm,set-eeh-option": {
        const op = SET_OPTION_OPS[this.pOption];
        if (op === void 0) return RTAS_OUT_PARAM_ERROR;
        return this.forward(gpe, op) < 0 ? RTAS_OUT_HW_ERROR : RTAS_OUT_SUCCESS;
      }
      case "ibm,read-slot-reset-state2": {
        const ret = this.forward(gpe, VFIO_EEH_PE_GET_STATE);
        if (ret < 0) return RTAS_OUT_PARAM_ERROR;
        this.lastState = ret;
        this.lastSupport = RTAS_EEH_SUPPORT;
        this.lastUnavailableMs = this.options.unavailableHintMs;
        if (gpe.multi && !gpe.codeHoldsForAll(ret)) this.inconsistentStates++;
        return RTAS_OUT_SUCCESS;
      }
      case "ibm,set-slot-reset": {
        const op = RESET_OPS[this.pOption];
        if (op === void 0) return RTAS_OUT_PARAM_ERROR;
        return this.forward(gpe, op) < 0 ? RTAS_OUT_HW_ERROR : RTAS_OUT_SUCCESS;
      }
      case "ibm,configure-pe":
        return this.forward(gpe, VFIO_EEH_PE_CONFIGURE) < 0 ? RTAS_OUT_PARAM_ERROR : RTAS_OUT_SUCCESS;
      case "ibm,slot-error-detail": {
        if (this.pOption !== RTAS_SLOT_TEMP_ERR_LOG && this.pOption !== RTAS_SLOT_PERM_ERR_LOG) return RTAS_OUT_PARAM_ERROR;
        let failed = false;
        for (const pe2 of gpe.hostPes) if (pe2.consume("read_log")) failed = true;
        return failed ? RTAS_OUT_HW_ERROR : RTAS_OUT_NO_ERRORS_FOUND;
      }
      case "ibm,get-config-addr-info2":
        if (this.pOption === RTAS_GET_PE_MODE) {
          this.lastValue = RTAS_PE_MODE_SHARED;
          return RTAS_OUT_SUCCESS;
        }
        if (this.pOption !== RTAS_GET_PE_ADDR) return RTAS_OUT_PARAM_ERROR;
        if (this.pDevice !== void 0 && !gpe.devices.some((d) => d.name === this.pDevice)) return RTAS_OUT_PARAM_ERROR;
        this.lastValue = (0 << 16) + 1;
        return RTAS_OUT_SUCCESS;
      default: {
        const never = this.pKind;
        throw new Error(`unknown RTAS call ${String(never)}`);
      }
    }
  }
  /** The ioctl's return as vfio_eeh_as_op sees it: >= 0 (GET_STATE: the state), < 0: -errno. */
  forward(gpe, op) {
    if (!gpe.multi) return this.one(gpe.hostPes[0], op);
    switch (this.mapping) {
      case "naive":
        for (const pe2 of gpe.hostPes) {
          const ret = this.one(pe2, op);
          if (ret !== 0) return ret;
        }
        return 0;
      case "fan-out":
        return this.replay(gpe, op);
      case "refuse":
        throw new Error("refuse strategy: QEMU never forwards for a multi-host-PE guest PE");
      default: {
        const never = this.mapping;
        throw new Error(`unknown strategy ${String(never)}`);
      }
    }
  }
  one(pe2, op) {
    const errno = this.vfio.run(pe2, op, this.pT, { cause: this.call.cause });
    this.hostNs += this.vfio.lastCostNs;
    if (errno !== 0) return -errno;
    return op === VFIO_EEH_PE_GET_STATE ? this.vfio.lastState : 0;
  }
  /** Fan-out: one consistent state first, then the op on every host PE, one result for the guest. */
  replay(gpe, op) {
    if (!gpe.statesAgree()) this.bringToStopped(gpe, this.pT, this.call.cause);
    if (op === VFIO_EEH_PE_GET_STATE) {
      let code = -1;
      for (const pe2 of gpe.hostPes) {
        const ret = this.one(pe2, op);
        if (ret === EEH_PE_STATE_UNAVAIL || code === -1) code = ret;
      }
      return code;
    }
    let failed = 0;
    let firstError = 0;
    for (const pe2 of gpe.hostPes) {
      const ret = this.one(pe2, op);
      if (ret < 0) {
        failed++;
        if (firstError === 0) firstError = ret;
      }
    }
    if (failed === 0) return 0;
    if (failed < gpe.hostPes.length) this.resolvedPartialFailures++;
    this.bringToStopped(gpe, this.pT, this.call.cause);
    return firstError;
  }
  /**
   * Fan-out: every host PE of the guest PE to Stopped: a PE in reset is deasserted then frozen, a thawed
   * or normal one frozen (VFIO INJECT_ERR with the event's serial); unavailable and failed ones are left.
   */
  bringToStopped(gpe, tNs, cause) {
    const serial = Math.max(0, ...gpe.hostPes.map((p) => p.lastSerial)) || this.vfio.newSerial();
    for (const pe2 of gpe.hostPes) {
      if (pe2.state === "reset") {
        this.vfio.run(pe2, VFIO_EEH_PE_RESET_DEACTIVATE, tNs, { cause });
        this.hostNs += this.vfio.lastCostNs;
      }
      const s2 = pe2.state;
      if (s2 === "normal" || s2 === "stopped-dma" || s2 === "stopped-mmio") {
        this.vfio.run(pe2, VFIO_EEH_PE_INJECT_ERR, tNs, { serial, origin: "fan-out", cause });
        this.hostNs += this.vfio.lastCostNs;
      }
    }
  }
  /** Fan-out: the host tells QEMU a device's PE froze (one notification per device, each with the serial). */
  notifyFrozen(gpe, pe2, serial, tNs, cause) {
    for (const device3 of pe2.devices) {
      this.clock.at(tNs + this.options.notifyNs, () => this.onNotification(gpe, device3, serial, cause));
    }
  }
  onNotification(gpe, device3, serial, cause) {
    const t = this.clock.now();
    const merged = this.seenSerials.has(serial);
    if (merged) this.duplicateNotificationsMerged++;
    else {
      this.seenSerials.add(serial);
      this.hostNs = 0;
      this.bringToStopped(gpe, t, cause);
    }
    this.tl.notification(gpe.lane, t, serial, device3, merged, cause);
  }
};

// core/model/ppc/eeh/pseriesEehOps.ts
var EEH_STATE_UNAVAILABLE = 1 << 0;
var EEH_STATE_NOT_SUPPORT = 1 << 1;
var EEH_STATE_RESET_ACTIVE = 1 << 2;
var EEH_STATE_MMIO_ACTIVE = 1 << 3;
var EEH_STATE_DMA_ACTIVE = 1 << 4;
var EEH_STATE_MMIO_ENABLED = 1 << 5;
function stateActive(flags) {
  return (flags & (EEH_STATE_MMIO_ACTIVE | EEH_STATE_DMA_ACTIVE)) === (EEH_STATE_MMIO_ACTIVE | EEH_STATE_DMA_ACTIVE);
}
var PseriesEehOps = class {
  constructor(qemu) {
    this.qemu = qemu;
  }
  /** pseries_eeh_get_state through ibm,read-slot-reset-state2: the RTAS state as EEH_STATE_* flags. */
  getState(gpe, tNs, cause) {
    const status = this.qemu.readSlotResetState2(gpe, tNs, cause);
    const t = tNs + this.qemu.lastCostNs;
    if (status !== 0) return { flags: status, t };
    if (this.qemu.lastSupport === 0) return { flags: EEH_STATE_NOT_SUPPORT, t };
    switch (this.qemu.lastState) {
      case 0:
        return { flags: EEH_STATE_MMIO_ACTIVE | EEH_STATE_DMA_ACTIVE, t };
      case 1:
        return { flags: EEH_STATE_RESET_ACTIVE | EEH_STATE_MMIO_ACTIVE | EEH_STATE_DMA_ACTIVE, t };
      case 2:
        return { flags: 0, t };
      case 4:
        return { flags: EEH_STATE_MMIO_ENABLED, t };
      case 5:
        return { flags: this.qemu.lastUnavailableMs > 0 ? EEH_STATE_UNAVAILABLE : EEH_STATE_NOT_SUPPORT, t };
      default:
        return { flags: EEH_STATE_NOT_SUPPORT, t };
    }
  }
  /**
   * eeh_pci_enable(THAW_MMIO | THAW_DMA): nothing if already active; else ibm,set-eeh-option, then
   * check the state again: -EIO unless the side is active now.
   */
  pciEnable(gpe, t02, side, cause) {
    const active = side === "mmio" ? EEH_STATE_MMIO_ACTIVE | EEH_STATE_MMIO_ENABLED : EEH_STATE_DMA_ACTIVE;
    const before = this.getState(gpe, t02, cause);
    if (before.flags < 0) return { rc: before.flags, t: before.t };
    if (before.flags === EEH_STATE_NOT_SUPPORT || (before.flags & active) !== 0) return { rc: 0, t: before.t };
    this.qemu.setEehOption(gpe, side === "mmio" ? RTAS_EEH_THAW_IO : RTAS_EEH_THAW_DMA, before.t, cause);
    const after = this.getState(gpe, before.t + this.qemu.lastCostNs, cause);
    if (after.flags < 0) return { rc: after.flags, t: after.t };
    return { rc: (after.flags & active) !== 0 ? 0 : -EIO, t: after.t };
  }
  /** eeh_unfreeze_pe: thaw MMIO then DMA. */
  unfreeze(gpe, t02, cause) {
    const mmio = this.pciEnable(gpe, t02, "mmio", cause);
    if (mmio.rc < 0) return mmio;
    return this.pciEnable(gpe, mmio.t, "dma", cause);
  }
};

// core/model/ppc/eeh/eehGuestRecovery.ts
var RESET_ATTEMPTS = 3;
var UNFREEZE_TRIES = 3;
var MS = 1e6;
var PRIORITY = { none: 1, recovered: 3, "can-recover": 4, disconnect: 5, "need-reset": 6 };
function merge(old, next) {
  return PRIORITY[next] > PRIORITY[old] ? next : old;
}
var EehGuestRecovery = class {
  constructor(qemu, clock, tl, options, costs) {
    this.qemu = qemu;
    this.clock = clock;
    this.tl = tl;
    this.options = options;
    this.costs = costs;
    this.pseries = new PseriesEehOps(qemu);
  }
  detections = 0;
  falsePositives = 0;
  recoveries = 0;
  permanentFailures = 0;
  recoveryTimeMaxMs = 0;
  recoveryTimeTotalMs = 0;
  outcomes = [];
  pseries;
  get auto() {
    return this.options.guestRecovery === "auto";
  }
  /**
   * eeh_dev_check_failure after a driver read all ones from a device of `gpe` at `tNs`: ask the PE
   * state; a frozen PE is marked isolated and its event handled (eeh_handle_normal_event). Returns the
   * time the check took (the read returns only after it).
   */
  detect(gpe, tNs, cause) {
    if (!this.auto || gpe.removed || gpe.isolated || gpe.recovering || !this.qemu.eehAvailable(gpe)) return 0;
    const { flags, t } = this.pseries.getState(gpe, tNs, cause);
    if (flags < 0 || flags === EEH_STATE_NOT_SUPPORT || stateActive(flags)) {
      this.falsePositives++;
      return t - tNs;
    }
    gpe.isolated = true;
    gpe.recovering = true;
    this.detections++;
    const event = this.tl.step(gpe.lane, tNs, t - tNs, "detect", "frozen", 0, gpe.errorCause >= 0 ? gpe.errorCause : cause);
    const run = {
      gpe,
      cause: event,
      result: "none",
      attempt: 0,
      resetRet: 0,
      status: 0,
      waitLeftMs: 0,
      removed: 0,
      slotReset: true,
      why: ""
    };
    this.go(run, t, this.start);
    return t - tNs;
  }
  /** Abandons recoveries in flight (guest reboot): their pending steps see the guest PE no longer recovering. */
  abandon(gpe) {
    gpe.recovering = false;
    gpe.isolated = false;
  }
  /**
   * Continues the recovery with `phase` at `tNs`: every phase runs as its own timed action, so what
   * a later phase changes is not visible before its time; a recovery abandoned meanwhile stops.
   */
  go(run, tNs, phase) {
    this.clock.at(tNs, () => {
      if (run.gpe.recovering) phase.call(this, run, this.clock.now());
    });
  }
  fail(run, tNs, why) {
    run.why = why;
    this.go(run, tNs, this.permanent);
  }
  start(run, t) {
    const { gpe } = run;
    const over = gpe.window.recordFreeze(t);
    this.tl.step(gpe.lane, t, 0, "freeze_count", `${gpe.window.freezeCount}`, 0, run.cause);
    if (over) {
      run.result = "disconnect";
      this.fail(run, t, `failed ${gpe.window.freezeCount} times in the last hour`);
    } else this.go(run, t, this.errorDetected);
  }
  errorDetected(run, t02) {
    const t = t02 + this.driverCallbacks(run, "error_detected", (kind) => this.options.driverResult[kind]);
    this.tl.step(run.gpe.lane, t02, t - t02, "error_detected", run.result, 0, run.cause);
    if (run.result === "disconnect") this.fail(run, t, "a driver asked to disconnect");
    else {
      run.waitLeftMs = this.options.recoveryWaitMaxMs;
      for (const pe2 of run.gpe.hostPes) if (pe2.consume("wait")) this.holdUnavailable(pe2, t);
      this.go(run, t, this.wait);
    }
  }
  /** The lab's wait fault: the host keeps the PE unavailable past the guest's patience. */
  holdUnavailable(pe2, t) {
    const until = t + (this.options.recoveryWaitMaxMs + this.options.unavailableHintMs) * MS + 1;
    pe2.makeUnavailable(until, t);
    this.clock.at(until, () => pe2.endUnavailable(this.clock.now(), () => this.qemu.newSerial()));
  }
  /** eeh_wait_state(pe, MAX_WAIT_FOR_RECOVERY): poll while unavailable, sleeping the firmware's hint. */
  wait(run, t02) {
    const { flags, t } = this.pseries.getState(run.gpe, t02, run.cause);
    if (flags === EEH_STATE_UNAVAILABLE) {
      if (run.waitLeftMs <= 0) {
        this.tl.step(run.gpe.lane, t02, t - t02, "wait", "timeout", 0, run.cause);
        this.fail(run, t, "the PE stayed unavailable");
        return;
      }
      const mwait = Math.min(Math.max(this.qemu.lastUnavailableMs, 1e3), 3e5);
      const sleepMs = Math.min(mwait, run.waitLeftMs);
      run.waitLeftMs -= mwait;
      this.go(run, t + sleepMs * MS, this.wait);
      return;
    }
    this.tl.step(run.gpe.lane, t02, t - t02, "wait", flags < 0 ? `rtas ${flags}` : "available", 0, run.cause);
    if (flags < 0 || flags === EEH_STATE_NOT_SUPPORT) this.fail(run, t, "the PE state could not be read");
    else this.go(run, t, this.readLog);
  }
  /** eeh_slot_error_detail(EEH_LOG_TEMP): thaw MMIO for the log (pseries), configure the bridge, get the log. */
  readLog(run, t02) {
    const t = this.errorDetail(run, t02, RTAS_SLOT_TEMP_ERR_LOG);
    this.tl.step(run.gpe.lane, t02, t - t02, "read_log", "done", 0, run.cause);
    if (run.result === "none") run.slotReset = false;
    this.go(run, t, run.result === "can-recover" ? this.thawMmio : this.resetDevice);
  }
  errorDetail(run, t02, severity) {
    let t = this.pseries.pciEnable(run.gpe, t02, "mmio", run.cause).t;
    this.qemu.configurePe(run.gpe, t, run.cause);
    t += this.qemu.lastCostNs;
    this.qemu.slotErrorDetail(run.gpe, severity, t, run.cause);
    return t + this.qemu.lastCostNs;
  }
  /** CAN_RECOVER: thaw MMIO, then mmio_enabled. */
  thawMmio(run, t02) {
    const { rc, t } = this.pseries.pciEnable(run.gpe, t02, "mmio", run.cause);
    this.tl.step(run.gpe.lane, t02, t - t02, "thaw_mmio", rc < 0 ? "failed" : "ok", 0, run.cause);
    if (rc < 0) this.fail(run, t, "MMIO could not be thawed");
    else this.go(run, t, this.mmioEnabled);
  }
  mmioEnabled(run, t02) {
    const t = t02 + this.driverCallbacks(run, "mmio_enabled", () => "recovered");
    this.tl.step(run.gpe.lane, t02, t - t02, "mmio_enabled", run.result, 0, run.cause);
    if (run.result === "can-recover") this.go(run, t, this.thawDma);
    else this.afterThaw(run, t);
  }
  /** Still CAN_RECOVER: thaw DMA; the PE is no longer isolated: RECOVERED. */
  thawDma(run, t02) {
    const { rc, t } = this.pseries.pciEnable(run.gpe, t02, "dma", run.cause);
    this.tl.step(run.gpe.lane, t02, t - t02, "thaw_dma", rc < 0 ? "failed" : "ok", 0, run.cause);
    if (rc < 0) run.result = "disconnect";
    else {
      run.gpe.isolated = false;
      run.result = "recovered";
    }
    this.afterThaw(run, t);
  }
  afterThaw(run, t) {
    if (run.result === "recovered") this.go(run, t, this.resume);
    else if (run.result === "need-reset") this.go(run, t, this.resetDevice);
    else this.fail(run, t, "recovery without reset failed");
  }
  /** eeh_reset_device: remove handler-less devices, eeh_pe_reset_full, configure, unfreeze, re-add. */
  resetDevice(run, t) {
    run.removed = run.gpe.devices.filter((d) => this.options.driverResult[d.kind] === "none").length;
    run.attempt = 0;
    run.resetRet = 0;
    this.resetAssert(run, t);
  }
  resetAssert(run, t02) {
    run.attempt++;
    const option = this.options.resetType === "fundamental" ? RTAS_SLOT_RESET_FUNDAMENTAL : RTAS_SLOT_RESET_HOT;
    run.status = this.qemu.setSlotReset(run.gpe, option, t02, run.cause);
    const t = t02 + this.qemu.lastCostNs;
    this.tl.step(run.gpe.lane, t02, t - t02, "reset", run.status === 0 ? "asserted" : `rtas ${run.status}`, run.attempt, run.cause);
    this.go(run, t + this.options.resetHoldMs * MS, this.resetDeassert);
  }
  resetDeassert(run, t02) {
    if (run.status !== 0) {
      run.resetRet = -EIO;
      this.nextResetAttempt(run, t02);
      return;
    }
    run.status = this.qemu.setSlotReset(run.gpe, RTAS_SLOT_RESET_DEACTIVATE, t02, run.cause);
    const t = t02 + this.qemu.lastCostNs;
    this.tl.step(run.gpe.lane, t02, t - t02, "reset", run.status === 0 ? "deasserted" : `rtas ${run.status}`, run.attempt, run.cause);
    this.go(run, t + this.options.resetSettleMs * MS, this.afterSettle);
  }
  /** eeh_pe_reset(DEACTIVATE): re-enable devices (unfreeze the PE), then eeh_wait_state. */
  afterSettle(run, t02) {
    if (run.status !== 0) {
      run.resetRet = -EIO;
      this.nextResetAttempt(run, t02);
      return;
    }
    const unfreeze = this.pseries.unfreeze(run.gpe, t02, run.cause);
    if (unfreeze.rc < 0) {
      run.resetRet = -EIO;
      this.nextResetAttempt(run, unfreeze.t);
      return;
    }
    run.resetRet = 0;
    const { flags, t } = this.pseries.getState(run.gpe, unfreeze.t, run.cause);
    if (flags >= 0 && flags !== EEH_STATE_UNAVAILABLE && stateActive(flags)) this.go(run, t, this.resetDone);
    else this.nextResetAttempt(run, t);
  }
  nextResetAttempt(run, t) {
    this.go(run, t, run.attempt < RESET_ATTEMPTS ? this.resetAssert : this.resetDone);
  }
  resetDone(run, t02) {
    if (run.resetRet !== 0) {
      this.fail(run, t02, "the PE could not be reset");
      return;
    }
    this.qemu.configurePe(run.gpe, t02, run.cause);
    let t = t02 + this.qemu.lastCostNs;
    let rc = -EIO;
    for (let i = 0; i < UNFREEZE_TRIES && rc < 0; i++) ({ rc, t } = this.pseries.unfreeze(run.gpe, t, run.cause));
    this.tl.step(run.gpe.lane, t02, t - t02, "configure", rc < 0 ? "still frozen" : "ok", run.attempt, run.cause);
    if (rc < 0) {
      this.fail(run, t, "the PE stayed frozen after reset");
      return;
    }
    run.gpe.isolated = false;
    const delayNs = run.removed > 0 || !run.slotReset ? this.options.hotplugDelayMs * MS : 0;
    this.go(run, t + delayNs, run.slotReset ? this.slotReset : this.resume);
  }
  slotReset(run, t02) {
    run.result = "none";
    const t = t02 + this.driverCallbacks(run, "slot_reset", () => "recovered");
    this.tl.step(run.gpe.lane, t02, t - t02, "slot_reset", run.result, 0, run.cause);
    if (run.result === "recovered" || run.result === "none") this.go(run, t, this.resume);
    else this.fail(run, t, "slot_reset failed");
  }
  /** resume: its result is ignored (eeh_pe_report(..., NULL)); "EEH: Recovery successful." */
  resume(run, t02) {
    const { gpe } = run;
    let t = t02;
    for (const d of gpe.devices) {
      if (this.options.driverResult[d.kind] === "none") continue;
      gpe.hostPeOf(d.name).consume("resume");
      t += this.costs.eehDriverHandlerNs;
    }
    this.tl.step(gpe.lane, t02, t - t02, "resume", "done", 0, run.cause);
    const recoveryNs = gpe.errorStartNs >= 0 ? t - gpe.errorStartNs : 0;
    this.recoveries++;
    this.recoveryTimeMaxMs = Math.max(this.recoveryTimeMaxMs, recoveryNs / MS);
    this.recoveryTimeTotalMs += recoveryNs / MS;
    this.tl.recovered(gpe.lane, t, recoveryNs, run.cause);
    this.finish(run, "recovered", t);
  }
  /** The permanent-failure path: permanent log, error_detected(perm_failure), devices removed. */
  permanent(run, t02) {
    const { gpe } = run;
    let t = this.errorDetail(run, t02, RTAS_SLOT_PERM_ERR_LOG);
    t += gpe.devices.filter((d) => this.options.driverResult[d.kind] !== "none").length * this.costs.eehDriverHandlerNs;
    gpe.removed = true;
    for (const pe2 of gpe.hostPes) pe2.setState("permanently-failed", t, run.cause);
    this.permanentFailures++;
    this.tl.permanentFailure(gpe.lane, t, gpe.window.freezeCount, run.why, run.cause);
    this.finish(run, "permanent", t);
  }
  finish(run, outcome5, t) {
    const { gpe } = run;
    gpe.recovering = false;
    gpe.isolated = outcome5 === "permanent";
    gpe.errorStartNs = -1;
    this.outcomes.push({ guestPe: gpe.number, outcome: outcome5, tNs: t, states: gpe.hostPes.map((p) => p.state) });
    for (const listener of this.finishListeners) listener(gpe, outcome5, t);
  }
  finishListeners = [];
  /** `listener` hears the end of every recovery (the drivers resumed, or the PE failed for good). */
  onFinished(listener) {
    this.finishListeners.push(listener);
  }
  /**
   * Calls `step` on every EEH-aware driver of the guest PE, merging results into run.result; a driver
   * whose host PE has that step armed to fail answers DISCONNECT. Returns the time the callbacks took.
   */
  driverCallbacks(run, step, answer) {
    let ns = 0;
    for (const d of run.gpe.devices) {
      const own = this.options.driverResult[d.kind];
      if (own === "none") continue;
      const failed = run.gpe.hostPeOf(d.name).consume(step);
      run.result = merge(run.result, failed ? "disconnect" : answer(d.kind));
      ns += this.costs.eehDriverHandlerNs;
    }
    return ns;
  }
};

// core/model/ppc/eeh/eehPlacement.ts
var DEFAULT_GUEST_PE = 0;
function eehHostPeNumbers(scenario) {
  const devices = scenario.vms.flatMap((vm) => vm.devices);
  let next = Math.max(-1, ...devices.map((d) => d.hostPe ?? -1)) + 1;
  const numbers = /* @__PURE__ */ new Map();
  for (const d of devices) numbers.set(d.name, d.hostPe ?? next++);
  return numbers;
}
function eehPlacement(scenario, vm) {
  const numbers = eehHostPeNumbers(scenario);
  const hostDevices = /* @__PURE__ */ new Map();
  const guestOf3 = /* @__PURE__ */ new Map();
  for (const d of vm.devices) {
    const pe2 = numbers.get(d.name);
    const list = hostDevices.get(pe2);
    if (list === void 0) hostDevices.set(pe2, [d]);
    else list.push(d);
    if (!guestOf3.has(pe2)) guestOf3.set(pe2, d.guestPe ?? DEFAULT_GUEST_PE);
  }
  const guestHosts = /* @__PURE__ */ new Map();
  for (const [hostPe2, guestPe] of guestOf3) {
    const list = guestHosts.get(guestPe);
    if (list === void 0) guestHosts.set(guestPe, [hostPe2]);
    else list.push(hostPe2);
  }
  const byNumber = (a, b) => a - b;
  return {
    hostPes: [...hostDevices.keys()].sort(byNumber).map((pe2) => ({ pe: pe2, devices: hostDevices.get(pe2) })),
    guestPes: [...guestHosts.keys()].sort(byNumber).map((pe2) => ({ pe: pe2, hostPes: guestHosts.get(pe2).sort(byNumber) }))
  };
}
function eehVmOfHostPe(scenario, pe2) {
  const numbers = eehHostPeNumbers(scenario);
  return scenario.vms.find((vm) => vm.devices.some((d) => numbers.get(d.name) === pe2));
}
function eehPlacementProblems(scenario) {
  const numbers = eehHostPeNumbers(scenario);
  const owner = /* @__PURE__ */ new Map();
  const problems = [];
  scenario.vms.forEach(
    (vm, i) => vm.devices.forEach((d, j) => {
      const pe2 = numbers.get(d.name);
      const guestPe = d.guestPe ?? DEFAULT_GUEST_PE;
      const first = owner.get(pe2);
      if (first === void 0) {
        owner.set(pe2, { vm: i, guestPe, device: d.name });
        return;
      }
      if (first.vm !== i) {
        problems.push({ path: `vms.${i}.devices.${j}.hostPe`, message: `host PE ${pe2} already belongs to ${first.device} in another VM` });
      } else if (first.guestPe !== guestPe) {
        problems.push({
          path: `vms.${i}.devices.${j}.guestPe`,
          message: `host PE ${pe2} is one IOMMU group: ${d.name} must be in guest PE ${first.guestPe} like ${first.device}`
        });
      }
    })
  );
  return problems;
}

// core/model/ppc/eeh/eehTimeline.ts
var EEH_LANE_GROUP = "PE/EEH";
var EehTimeline = class {
  constructor(timeline) {
    this.timeline = timeline;
    this.stateKind = timeline.defineKind({
      name: "eeh.state",
      args: [
        { name: "from", format: "str" },
        { name: "to", format: "str" }
      ]
    });
    this.freezeKind = timeline.defineKind({
      name: "eeh.freeze",
      args: [
        { name: "serial", format: "int" },
        { name: "origin", format: "str" }
      ],
      failure: true
    });
    this.stepKind = timeline.defineKind({
      name: "eeh.step",
      args: [
        { name: "step", format: "str" },
        { name: "result", format: "str" },
        { name: "attempt", format: "int" }
      ]
    });
    this.recoveredKind = timeline.defineKind({ name: "eeh.recovered", args: [{ name: "recoveryNs", format: "ns" }] });
    this.failedKind = timeline.defineKind({
      name: "eeh.permanent failure",
      args: [
        { name: "freezeCount", format: "int" },
        { name: "why", format: "str" }
      ],
      failure: true
    });
    this.notifyKind = timeline.defineKind({
      name: "eeh.notification",
      args: [
        { name: "serial", format: "int" },
        { name: "device", format: "str" },
        { name: "merged", format: "int" }
      ]
    });
  }
  stateKind;
  freezeKind;
  stepKind;
  recoveredKind;
  failedKind;
  notifyKind;
  hostPeLane(pe2) {
    return this.timeline.defineLane(`pe.${pe2}`, EEH_LANE_GROUP);
  }
  guestPeLane(vm, guestPe) {
    return this.timeline.defineLane(`${vm}.guestPe.${guestPe}`, EEH_LANE_GROUP);
  }
  state(lane, tNs, from, to, cause) {
    const tl = this.timeline;
    return tl.record(tNs, 0, lane, this.stateKind, tl.internString(from), tl.internString(to), 0, cause);
  }
  freeze(lane, tNs, serial, origin, cause) {
    return this.timeline.record(tNs, 0, lane, this.freezeKind, serial, this.timeline.internString(origin), 0, cause);
  }
  step(lane, tNs, durationNs2, step, result, attempt, cause) {
    const tl = this.timeline;
    return tl.record(
      tNs,
      Math.max(0, durationNs2),
      lane,
      this.stepKind,
      tl.internString(step),
      tl.internString(result),
      attempt,
      cause
    );
  }
  recovered(lane, tNs, recoveryNs, cause) {
    return this.timeline.record(tNs, 0, lane, this.recoveredKind, recoveryNs, 0, 0, cause);
  }
  permanentFailure(lane, tNs, freezeCount, why, cause) {
    return this.timeline.record(tNs, 0, lane, this.failedKind, freezeCount, this.timeline.internString(why), 0, cause);
  }
  notification(lane, tNs, serial, device3, merged, cause) {
    const tl = this.timeline;
    return tl.record(tNs, 0, lane, this.notifyKind, serial, tl.internString(device3), merged ? 1 : 0, cause);
  }
};

// core/model/ppc/eeh/hostPe.ts
var ALL_ONES_64 = 0xffffffffffffffffn;
function eehIoErrorValue(widthBytes) {
  return widthBytes === 8 ? ALL_ONES_64 : 4294967295 >>> (4 - widthBytes) * 8;
}
var HostPe = class {
  constructor(number, devices, tl, listener = null) {
    this.number = number;
    this.devices = devices;
    this.tl = tl;
    this.listener = listener;
    this.lane = tl.hostPeLane(number);
  }
  lane;
  current = "normal";
  armed = /* @__PURE__ */ new Set();
  /** Serial of the error event that last froze this PE (0: none yet). */
  lastSerial = 0;
  /** Timeline event of that freeze (a cause for what follows). */
  lastFreezeEvent = NO_CAUSE;
  /** When the current unavailability ends, ns (meaningful in state unavailable). */
  unavailableUntilNs = 0;
  errorFreezes = 0;
  fanOutFreezes = 0;
  allOnesReads = 0;
  writesDropped = 0;
  dmaBlocked = 0;
  transitions = 0;
  get state() {
    return this.current;
  }
  /** Takes a transition of the state table (a no-op to the same state); refusing one is a programmer error. */
  setState(to, tNs, cause = NO_CAUSE) {
    const from = this.current;
    if (from === to) return;
    if (!eehPeTransitionAllowed(from, to)) throw new Error(`host PE ${this.number}: illegal EEH transition ${from} -> ${to}`);
    this.current = to;
    this.transitions++;
    this.tl.state(this.lane, tNs, from, to, cause);
    this.listener?.(this, from, to, tNs);
  }
  /**
   * An error (or an injected one) freezes the PE: MMIO and DMA stop. Returns false when nothing changes:
   * the PE is already fully stopped, unavailable, or permanently failed.
   */
  freeze(serial, tNs, origin, cause = NO_CAUSE) {
    const s2 = this.current;
    if (s2 === "stopped" || s2 === "unavailable" || s2 === "permanently-failed") return false;
    this.lastSerial = serial;
    this.lastFreezeEvent = this.tl.freeze(this.lane, tNs, serial, origin, cause);
    if (origin === "error") this.errorFreezes++;
    else this.fanOutFreezes++;
    this.setState("stopped", tNs, this.lastFreezeEvent);
    this.onFreeze?.(this, serial, origin, tNs);
    return true;
  }
  /** The host recovers the PHB above this PE until `untilNs`: the state is unavailable meanwhile. */
  makeUnavailable(untilNs, tNs, cause = NO_CAUSE) {
    if (this.current === "permanently-failed") return false;
    this.unavailableUntilNs = Math.max(untilNs, this.current === "unavailable" ? this.unavailableUntilNs : 0);
    this.setState("unavailable", tNs, cause);
    return true;
  }
  /**
   * eeh_pe_refreeze_passed: the host finished recovering the PHB and the passed-through PE comes back
   * frozen. For its owner that is an error like any other: a new error event with `serial`.
   */
  endUnavailable(tNs, serial) {
    if (this.current !== "unavailable" || tNs < this.unavailableUntilNs) return;
    const n = serial();
    this.lastSerial = n;
    this.lastFreezeEvent = this.tl.freeze(this.lane, tNs, n, "error", NO_CAUSE);
    this.errorFreezes++;
    this.setState("stopped", tNs, this.lastFreezeEvent);
    this.onFreeze?.(this, n, "error", tNs);
  }
  get mmioEnabled() {
    return eehPeMmioEnabled(this.current);
  }
  get dmaEnabled() {
    return eehPeDmaEnabled(this.current);
  }
  /** A driver's MMIO read: all ones of the width while MMIO is frozen, else 0 (device registers are not modelled). */
  mmioRead(widthBytes) {
    if (this.mmioEnabled) return widthBytes === 8 ? 0n : 0;
    this.allOnesReads++;
    return eehIoErrorValue(widthBytes);
  }
  /** A driver's MMIO write; false when the frozen PE drops it. */
  mmioWrite() {
    if (this.mmioEnabled) return true;
    this.writesDropped++;
    return false;
  }
  /** A DMA by a device of this PE; false (and counted) when the PE is frozen: it never completes. */
  dmaAttempt() {
    if (this.dmaEnabled) return true;
    this.dmaBlocked++;
    return false;
  }
  /** Arms a one-shot failure of `step` on this PE (fault eeh-recovery-step-fails). */
  arm(step) {
    this.armed.add(step);
  }
  /**
   * Called wherever `step` reaches this PE (a driver callback of one of its devices, a platform call on
   * it); consumes an armed failure and returns true when the step must fail now. Every consultation is
   * appended to `consultLog` when one is set (fail-nth sweeps list the steps of a clean recovery).
   */
  consume(step) {
    this.consultLog?.push({ step, pe: this.number });
    return this.armed.delete(step);
  }
  /** Where consultations are logged (null: not logged). */
  consultLog = null;
  /** Called when an error (or a fan-out injection) froze this PE. */
  onFreeze = null;
  armedSteps() {
    return [...this.armed].sort();
  }
  snapshot() {
    return {
      pe: this.number,
      state: this.current,
      lastSerial: this.lastSerial,
      unavailableUntilNs: this.current === "unavailable" ? this.unavailableUntilNs : null,
      armed: this.armedSteps()
    };
  }
  checkInvariants() {
    const problems = [];
    if (this.devices.length === 0) problems.push(`host PE ${this.number} has no device`);
    if (this.current !== "normal" && this.current !== "reset" && this.lastSerial === 0 && this.errorFreezes + this.fanOutFreezes > 0) {
      problems.push(`host PE ${this.number} froze without a serial`);
    }
    return problems;
  }
};

// core/model/ppc/eeh/eehSystem.ts
var MS2 = 1e6;
function createEehSystem(ctx) {
  return new EehSystem(ctx);
}
function eehSystemFor(env, vm, sim = null, qemu = null) {
  const eeh = env.instance(`eeh:${vm.name}`, () => {
    const run = sim ?? env.sim ?? null;
    return createEehSystem({
      sim: run,
      costs: env.costs,
      timeline: run?.timeline ?? new TimelineRecorder(1e6),
      scenario: env.scenario,
      vm,
      qemu,
      env
    });
  });
  if (sim !== null && !eeh.clock.attached) eeh.clock.attach(sim);
  return eeh;
}
var EehSystem = class {
  constructor(ctx) {
    this.ctx = ctx;
    const { vm, scenario, costs } = ctx;
    const o = vm.eeh;
    this.laneName = `eeh.${vm.name}`;
    this.clock = new EehClock(ctx.sim);
    this.tl = new EehTimeline(ctx.timeline);
    const nested = scenario.host.hypervisor === "powervm-nested";
    this.ownQemu = ctx.qemu === null ? new QemuVm(costs, ctx.timeline, { name: vm.name, nested }) : null;
    const qemuVm = ctx.qemu ?? this.ownQemu;
    this.vfio = new VfioEehPeOp(costs, o, nested);
    this.qemu = new QemuSpaprEeh(this.vfio, o.guestPeMapping, qemuVm, this.tl, this.clock, {
      unavailableHintMs: o.unavailableHintMs,
      notifyNs: costs.eehNotifyNs,
      iommufd: scenario.host.vfio.backend === "iommufd"
    });
    this.recovery = new EehGuestRecovery(this.qemu, this.clock, this.tl, o, costs);
    const placement = eehPlacement(scenario, vm);
    this.hostPes = placement.hostPes.map((p) => {
      const pe2 = new HostPe(
        p.pe,
        p.devices.map((d) => d.name),
        this.tl,
        (host, _from, _to, t) => {
          this.guestOfHost.get(host)?.noteStates(t);
          for (const listener of this.stateListeners) listener(host, t);
        }
      );
      pe2.onFreeze = (host, serial, origin, t) => this.onFreeze(host, serial, origin, t);
      this.byHostPe.set(p.pe, pe2);
      for (const d of p.devices) this.deviceHost.set(d.name, pe2);
      return pe2;
    });
    const devices = new Map(vm.devices.map((d) => [d.name, d]));
    this.guestPes = placement.guestPes.map((g) => {
      const hosts = g.hostPes.map((n) => this.byHostPe.get(n));
      const gpe = new GuestPe(
        vm.name,
        g.pe,
        hosts,
        hosts.flatMap((h) => h.devices.map((name2) => devices.get(name2))),
        { maxFreezes: o.maxFreezes, windowS: o.freezeWindowS },
        this.tl.guestPeLane(vm.name, g.pe)
      );
      for (const h of hosts) this.guestOfHost.set(h, gpe);
      this.byGuestPe.set(g.pe, gpe);
      return gpe;
    });
    if (ctx.sim !== null) {
      for (const pe2 of this.hostPes) ctx.sim.counters.define(`eeh.pe${pe2.number}.state`, "state", () => eehPeStateIndex(pe2.state));
    }
  }
  laneName;
  clock;
  vfio;
  qemu;
  recovery;
  hostPes;
  guestPes;
  /** Cost of the last device access (mmioRead / mmioWrite), ns. */
  lastCostNs = 0;
  byHostPe = /* @__PURE__ */ new Map();
  byGuestPe = /* @__PURE__ */ new Map();
  guestOfHost = /* @__PURE__ */ new Map();
  deviceHost = /* @__PURE__ */ new Map();
  ownQemu;
  tl;
  mmioInconsistent = 0;
  stateListeners = [];
  unhandledFreezes = 0;
  /** `listener` hears every host PE state change (the stack pauses and resumes the PE's devices). */
  onHostPeState(listener) {
    this.stateListeners.push(listener);
  }
  hostPe(n) {
    return this.byHostPe.get(n);
  }
  guestPe(n) {
    return this.byGuestPe.get(n);
  }
  guestPeOfHostPe(pe2) {
    return this.guestOfHost.get(pe2);
  }
  hostPeOfDevice(name2) {
    return this.deviceHost.get(name2);
  }
  guestPeOfDevice(name2) {
    const pe2 = this.deviceHost.get(name2);
    return pe2 === void 0 ? void 0 : this.guestOfHost.get(pe2);
  }
  /** The EEH clock's time, ns (the run's when a simulation drives it). */
  nowNs() {
    return this.clock.now();
  }
  /** Runs every EEH action due by `tNs` (recovery steps, notifications); returns the time to act at. */
  advanceTo(tNs) {
    this.clock.advanceTo(tNs);
    return Math.max(tNs, this.clock.now());
  }
  /** Whether a DMA of the device goes through now (false while its PE is frozen). */
  dmaAllowed(deviceName) {
    return this.deviceHost.get(deviceName)?.dmaEnabled ?? true;
  }
  /** A DMA attempt by the device at `tNs`: counted as blocked when its PE is frozen. */
  dmaAttempt(deviceName, tNs) {
    this.advanceTo(tNs);
    return this.deviceHost.get(deviceName)?.dmaAttempt() ?? true;
  }
  /**
   * A driver's MMIO read of `widthBytes` at `offset` (registers are not modelled: 0 when the PE's MMIO
   * works). A frozen PE answers EEH_IO_ERROR_VALUE and the guest runs eeh_check_failure, whose state
   * check lengthens the read. Cost in lastCostNs.
   */
  mmioRead(deviceName, _offset, widthBytes, tNs) {
    const t = this.advanceTo(tNs);
    const pe2 = this.device(deviceName);
    const gpe = this.guestOfHost.get(pe2);
    if (gpe.multi && gpe.mmioDivergent()) this.mmioInconsistent++;
    const value = pe2.mmioRead(widthBytes);
    this.lastCostNs = this.ctx.costs.mmioAccessNs;
    if (!pe2.mmioEnabled) this.lastCostNs += this.recovery.detect(gpe, t + this.lastCostNs, pe2.lastFreezeEvent);
    return value;
  }
  /** A driver's MMIO write; false when the frozen PE drops it. Cost in lastCostNs. */
  mmioWrite(deviceName, _offset, _widthBytes, _value, tNs) {
    this.advanceTo(tNs);
    this.lastCostNs = this.ctx.costs.mmioAccessNs;
    return this.device(deviceName).mmioWrite();
  }
  /** An EEH error on host PE `pe` at `tNs` (fault, DMA to an unmapped IOVA): its serial, or 0 if nothing froze. */
  freeze(pe2, tNs, cause = NO_CAUSE) {
    const t = this.advanceTo(tNs);
    const host = this.byHostPe.get(pe2);
    if (host === void 0) return 0;
    const serial = this.vfio.newSerial();
    return host.freeze(serial, t, "error", cause) ? serial : 0;
  }
  /** VFIO_EEH_PE_OP INJECT_ERR on host PE `pe`: 0 or a Linux errno (cost in vfio.lastCostNs). */
  inject(pe2, errType, errFunc, tNs, cause = NO_CAUSE) {
    return this.peOp(pe2, VFIO_EEH_PE_INJECT_ERR, tNs, { errType, errFunc, cause });
  }
  /** Any VFIO_EEH_PE_OP on host PE `pe` (ENODEV for a PE the VM does not own). */
  peOp(pe2, op, tNs, args = {}) {
    const t = this.advanceTo(tNs);
    return this.vfio.run(this.byHostPe.get(pe2), op, t, args);
  }
  /** Arms a one-shot failure of `step` on host PE `pe` (fault eeh-recovery-step-fails); false for an unknown PE. */
  armStepFailure(pe2, step) {
    const host = this.byHostPe.get(pe2);
    host?.arm(step);
    return host !== void 0;
  }
  /** The host recovers the PHB above `pe` for `ms`: the PE reads unavailable meanwhile, then frozen. */
  makeUnavailable(pe2, ms2, tNs) {
    const t = this.advanceTo(tNs);
    const host = this.byHostPe.get(pe2);
    if (host === void 0 || !host.makeUnavailable(t + ms2 * MS2, t)) return false;
    this.clock.at(t + ms2 * MS2, () => host.endUnavailable(this.clock.now(), () => this.vfio.newSerial()));
    return true;
  }
  /** The guest reboots: recoveries are abandoned, counters restart, QEMU re-enables EEH (spapr_phb_vfio_reset). */
  resetGuest(tNs) {
    const t = this.advanceTo(tNs);
    for (const gpe of this.guestPes) {
      if (gpe.removed) continue;
      this.recovery.abandon(gpe);
      gpe.window.clear();
      gpe.errorStartNs = -1;
      if (this.qemu.eehAvailable(gpe)) this.qemu.setEehOption(gpe, 1, t);
    }
  }
  device(name2) {
    const pe2 = this.deviceHost.get(name2);
    if (pe2 === void 0) throw new Error(`device ${name2} is not in VM ${this.ctx.vm.name}`);
    return pe2;
  }
  onFreeze(pe2, serial, origin, t) {
    const gpe = this.guestOfHost.get(pe2);
    if (gpe.removed) return;
    if (origin === "error" && gpe.errorStartNs < 0) {
      gpe.errorStartNs = t;
      gpe.errorCause = pe2.lastFreezeEvent;
    }
    const available = this.qemu.eehAvailable(gpe);
    if (origin === "error" && !available && this.recovery.auto) this.unhandledFreezes++;
    if (gpe.multi && this.qemu.mapping === "fan-out") this.qemu.notifyFrozen(gpe, pe2, serial, t, pe2.lastFreezeEvent);
    if (!available || !this.recovery.auto) return;
    const delays = pe2.devices.map((d) => this.ctx.vm.eeh.detectionMs[this.kindOf(d)]).filter((ms2) => ms2 !== null);
    if (delays.length === 0) return;
    const at = t + Math.min(...delays) * MS2;
    this.clock.at(at, () => this.recovery.detect(gpe, this.clock.now(), pe2.lastFreezeEvent));
  }
  kindOf(device3) {
    return this.ctx.vm.devices.find((d) => d.name === device3).kind;
  }
  /** How many host PEs are in `state` now. */
  countIn(state) {
    return this.hostPes.filter((p) => p.state === state).length;
  }
  collectMetrics(into) {
    const now = this.clock.now();
    for (const call of EEH_RTAS_CALLS) addMetric(into, `rtas.${call}`, this.qemu.rtasCalls[call]);
    addMetric(
      into,
      "eeh.freezes",
      this.sum((p) => p.errorFreezes)
    );
    addMetric(
      into,
      "eeh.fanOutFreezes",
      this.sum((p) => p.fanOutFreezes)
    );
    addMetric(into, "eeh.recoveries", this.recovery.recoveries);
    addMetric(into, "eeh.permanentFailures", this.recovery.permanentFailures);
    addMetric(into, "eeh.inconsistentStates", this.qemu.inconsistentStates + this.mmioInconsistent);
    addMetric(into, "eeh.inconsistentMs", this.guestPes.reduce((s2, g) => s2 + g.divergentUpTo(now), 0) / MS2);
    maxMetric(into, "eeh.recoveryTimeMs", this.recovery.recoveryTimeMaxMs);
    addMetric(into, "eeh.duplicateNotificationsMerged", this.qemu.duplicateNotificationsMerged);
    addMetric(into, "eeh.resolvedPartialFailures", this.qemu.resolvedPartialFailures);
    addMetric(into, "eeh.unhandledFreezes", this.unhandledFreezes);
    addMetric(into, "eeh.rtasRefused", this.qemu.refusedCalls);
    addMetric(into, "eeh.detections", this.recovery.detections);
    addMetric(into, "eeh.falsePositives", this.recovery.falsePositives);
    addMetric(
      into,
      "eeh.mmioAllOnesReads",
      this.sum((p) => p.allOnesReads)
    );
    addMetric(
      into,
      "eeh.mmioWritesDropped",
      this.sum((p) => p.writesDropped)
    );
    addMetric(
      into,
      "eeh.dmaBlocked",
      this.sum((p) => p.dmaBlocked)
    );
    addMetric(into, "eeh.vfioPeOps", this.vfio.calls);
    addMetric(into, "eeh.hostPesNormal", this.countIn("normal"));
    addMetric(into, "eeh.hostPesPermanentlyFailed", this.countIn("permanently-failed"));
    addMetric(into, "eeh.divergentGuestPes", this.guestPes.filter((g) => !g.statesAgree()).length);
    if (this.ownQemu !== null) addMetric(into, "vmexits", this.ownQemu.exits);
  }
  sum(f) {
    return this.hostPes.reduce((s2, p) => s2 + f(p), 0);
  }
  snapshot() {
    return {
      hostPes: this.hostPes.map((p) => p.snapshot()),
      guestPes: this.guestPes.map((g) => g.snapshot()),
      pendingActions: this.clock.pending
    };
  }
  checkInvariants() {
    const problems = this.hostPes.flatMap((p) => p.checkInvariants());
    for (const gpe of this.guestPes) {
      const failed = gpe.hostPes.filter((p) => p.state === "permanently-failed").length;
      if (gpe.removed && failed !== gpe.hostPes.length) {
        problems.push(`guest PE ${gpe.number} was removed but ${gpe.hostPes.length - failed} of its host PEs are not permanently failed`);
      }
      if (!gpe.removed && failed > 0) problems.push(`guest PE ${gpe.number} has a permanently failed host PE but was not removed`);
      if (gpe.recovering && this.clock.pending === 0) problems.push(`guest PE ${gpe.number} is recovering with no step pending`);
    }
    for (const pe2 of this.hostPes) {
      if (pe2.dmaEnabled && (pe2.state === "stopped" || pe2.state === "stopped-dma" || pe2.state === "reset")) {
        problems.push(`host PE ${pe2.number} lets DMA through in state ${pe2.state}`);
      }
    }
    return problems;
  }
};

// core/stack/eehWiring.ts
function followPe(vm, eeh, pe2, tNs, sim) {
  const recovering = eeh.guestPeOfHostPe(pe2).recovering;
  for (const name2 of pe2.devices) {
    const life = vm.devices.find((d) => d.config.name === name2)?.lifecycle;
    if (life === void 0) continue;
    if (pe2.state === "permanently-failed") {
      if (!life.removed) life.fail();
    } else if (!pe2.dmaEnabled) {
      life.pause();
    } else if (!recovering && life.state === "offline" && !life.removed) {
      life.bringOnlineAt(Math.max(tNs, sim.now));
    }
  }
}
function wireEeh(sim, stack, vm, eeh) {
  eeh.onHostPeState((pe2, t) => followPe(vm, eeh, pe2, t, sim));
  eeh.recovery.onFinished((gpe, _outcome, t) => {
    for (const pe2 of gpe.hostPes) followPe(vm, eeh, pe2, t, sim);
  });
  const previous = stack.dmaFaultListener;
  stack.dmaFaultListener = (device3, cause) => {
    const pe2 = eeh.hostPeOfDevice(device3.config.name);
    if (pe2 === void 0) {
      previous?.(device3, cause);
      return;
    }
    eeh.freeze(pe2.number, sim.now, cause);
  };
}

// core/stack/stackBuilder.ts
var GiB5 = 2 ** 30;
var DeviceStack = class {
  constructor(config, dev, model, container, lifecycle, layers) {
    this.config = config;
    this.dev = dev;
    this.model = model;
    this.container = container;
    this.lifecycle = lifecycle;
    this.dma = new GuestDmaSlot(layers.dma);
    this.current = layers.frontEnd;
  }
  /** The guest DMA API the driver calls; its layers are replaced when the guest resets or re-plugs the device. */
  dma;
  current;
  retiredFrontEnds = [];
  get frontEnd() {
    return this.current;
  }
  /** A fresh guest-side state: the old layers stop (timers, queued flushes) and keep their metrics. */
  replaceLayers(layers) {
    if (this.current !== null) this.retiredFrontEnds.push(this.current);
    this.current = layers.frontEnd;
    this.dma.replace(layers.dma);
  }
  collectMetrics(into) {
    this.dma.collectMetrics(into);
    for (const old of this.retiredFrontEnds) old.collectMetrics(into);
    this.current?.collectMetrics(into);
  }
};
function guestRamRegions(scenario, vm) {
  if (scenario.host.arch !== "x86_64" || vm.memoryBytes <= 3 * GiB5) return [{ gpa: 0, bytes: vm.memoryBytes }];
  return [
    { gpa: 0, bytes: 3 * GiB5 },
    { gpa: 4 * GiB5, bytes: vm.memoryBytes - 3 * GiB5 }
  ];
}
var Stack = class {
  constructor(env) {
    this.env = env;
  }
  vms = [];
  /** VFIO map/unmap work done at boot (mapping RAM for vIOMMU-less guests), ns; not in the workload's time. */
  bootVfioNs = 0;
  /** Counts of what faults caused (stale DMA, IOMMU faults, resets...), reported as metrics. */
  incidents = /* @__PURE__ */ new Map();
  /** Told when an IOMMU blocks a device's DMA (PowerPC: the device's PE freezes). */
  dmaFaultListener = null;
  /** PowerPC: each VM's EEH layer, by VM name. */
  eehByVm = /* @__PURE__ */ new Map();
  device(name2) {
    for (const vm of this.vms) {
      const device3 = vm.devices.find((d) => d.config.name === name2);
      if (device3 !== void 0) return { vm, device: device3 };
    }
    return void 0;
  }
  /** The VM's EEH layer (PowerPC guests only). */
  eeh(vmName2) {
    return this.eehByVm.get(vmName2);
  }
  addEeh(vmName2, eeh) {
    this.eehByVm.set(vmName2, eeh);
  }
  countIncident(name2, by = 1) {
    this.incidents.set(name2, (this.incidents.get(name2) ?? 0) + by);
  }
  /** A fresh guest-side DMA path for the device (after a reset or a re-plug) over its host container. */
  rebuildDevice(vm, device3) {
    device3.replaceLayers(buildDeviceLayers(vm.layerContext, device3.config, vm.config.viommu.model === "none" ? null : device3.container));
    device3.lifecycle.generation++;
  }
  /** @param containers false when the caller reports the environment's instances (containers) itself */
  collectMetrics(into, durationNs2, containers = true) {
    const seen = /* @__PURE__ */ new Set();
    for (const vm of this.vms) {
      for (const d of vm.devices) {
        d.collectMetrics(into);
        if (containers && d.container !== null && !seen.has(d.container)) {
          seen.add(d.container);
          d.container.collectMetrics(into);
        }
        const offline = d.lifecycle.offlineTotalNs(durationNs2);
        if (offline > 0) addMetric(into, "device.offlineMs", offline / 1e6);
        if (d.lifecycle.aborted > 0) addMetric(into, "io.aborted", d.lifecycle.aborted);
      }
      if (vm.qemu !== null) {
        addMetric(into, "vmexits", vm.qemu.exits);
        addMetric(into, "qemu.busyMs", vm.qemu.trapBusyNs / 1e6);
        addMetric(into, "qemu.vfioMapFailures", vm.qemu.vfioMapFailures);
      }
      into[`guest.vcpuUtilization`] = Math.max(into["guest.vcpuUtilization"] ?? 0, vm.vcpus.utilization(durationNs2));
    }
    if (containers) for (const eeh of this.eehByVm.values()) eeh.collectMetrics(into);
    for (const [name2, n] of this.incidents) addMetric(into, name2, n);
    if (seen.size > 0) {
      let entries = 0;
      for (const c of seen) entries += c.entries;
      into["vfio.entriesEnd"] = entries;
    }
    into["vfio.lockedBytesEnd"] = this.env.process.lockedPages * PAGE_SIZE;
    into["vfio.lockedBytesPeak"] = this.env.process.lockedPeakBytes;
    into["vfio.memlockFailures"] = this.env.process.memlockFailures;
    into["vfio.bootMs"] = this.bootVfioNs / 1e6;
  }
  checkInvariants() {
    const problems = [];
    for (const vm of this.vms)
      for (const d of vm.devices) problems.push(...d.frontEnd?.checkInvariants() ?? [], ...d.container?.checkInvariants() ?? []);
    return problems;
  }
};
function hasQemu(scenario) {
  return scenario.host.hypervisor !== "lpar" && scenario.host.hypervisor !== "zvm";
}
function buildStack(sim, scenario, viommus, env = { ...createHostEnvironment(scenario, sim.costs), sim }) {
  const stack = new Stack(env);
  for (const vm of scenario.vms) {
    const vcpus = new VcpuSet(vm.name, vm.vcpus);
    const qemu = hasQemu(scenario) ? new QemuVm(sim.costs, sim.timeline, { name: vm.name, nested: scenario.host.hypervisor === "powervm-nested", clock: sim }) : null;
    const layerContext = { sim, scenario, vm, vcpus, qemu, env, viommus };
    const devices = [];
    const model = vm.viommu.model;
    let ramContainer = null;
    if (model === "none" && qemu !== null) {
      ramContainer = env.instance(`vfio:${vm.name}`, () => createVfioContainer(env, vm.name, vm.devices[0].name));
      for (const r of guestRamRegions(scenario, vm)) stack.bootVfioNs += qemu.vfioMap(ramContainer, r.gpa, r.gpa, r.bytes, false, 0, -1);
    }
    const spapr = scenario.host.vfio.backend.startsWith("spapr");
    for (const config of vm.devices) {
      const dev = new DmaDevice(config.name, config.dmaMaskBits, config.coherentDmaMaskBits ?? config.dmaMaskBits, forcedac(scenario, vm));
      const deviceModel = new DeviceModel(config.name, devicePerformance(config, sim.costs), sim.rng.fork());
      let container = ramContainer;
      if (model !== "none") {
        container = qemu === null || spapr ? null : env.instance(`vfio:${vm.name}.${config.name}`, () => createVfioContainer(env, `${vm.name}.${config.name}`, config.name));
      }
      const layers = buildDeviceLayers(layerContext, config, model === "none" ? null : container);
      devices.push(new DeviceStack(config, dev, deviceModel, container, new DeviceLifecycle(sim, config.name), layers));
    }
    const vmStack = { config: vm, vcpus, qemu, devices, ramContainer, layerContext };
    stack.vms.push(vmStack);
    if (ramContainer !== null && qemu !== null && qemu.vfioMapFailures > 0) qemuDidNotStart(sim, stack, vmStack, qemu);
    if (scenario.host.arch === "ppc64le") {
      const eeh = eehSystemFor(env, vm, sim, qemu);
      stack.addEeh(vm.name, eeh);
      wireEeh(sim, stack, vmStack, eeh);
    }
  }
  return stack;
}
function qemuDidNotStart(sim, stack, vm, qemu) {
  const tl = sim.timeline;
  const kind = tl.defineKind({
    name: "QEMU exits: vfio memory listener initialization failed (guest RAM could not be mapped)",
    args: [{ name: "failedMaps", format: "int" }],
    failure: true
  });
  tl.record(
    0,
    0,
    tl.defineLane(`qemu.${vm.config.name}`, "qemu"),
    kind,
    qemu.vfioMapFailures,
    0,
    0,
    qemu.lastVfioFailure
  );
  for (const device3 of vm.devices) device3.lifecycle.setOffline(true);
  stack.countIncident("qemu.startFailures");
}

// core/ops/dmaOps.ts
var BUFFER_AREA_START = 16 * 1024 * 1024;
var ZONE_DMA_BITS = { x86_64: 24, s390x: 31, ppc64le: 31 };
function isDmaDirect(dma) {
  return (dma instanceof GuestDmaSlot ? dma.layer : dma) instanceof DmaDirect;
}
function dmaMaskSupported(dma, bits, scenario, vm) {
  if (!isDmaDirect(dma) || bits >= 32) return true;
  const regions = guestRamRegions(scenario, vm);
  const last = regions[regions.length - 1];
  const lastRamPage = last.gpa + last.bytes - PAGE_SIZE;
  return dmaBitMask(bits) >= Math.min(dmaBitMask(ZONE_DMA_BITS[scenario.host.arch]), lastRamPage);
}
function dmaSetMask(dev, dma, bits, coherent, scenario, vm) {
  if (!dmaMaskSupported(dma, bits, scenario, vm)) return EIO;
  dev.dmaMaskBits = bits;
  if (coherent) dev.coherentMaskBits = bits;
  return 0;
}
var DmaMappingLedger = class {
  /** @param direct the device sits behind dma-direct: equal bus addresses may then be live twice. */
  constructor(device3, direct, ram) {
    this.device = device3;
    this.direct = direct;
    this.laneName = `dma.${device3}`;
    this.areaStart = ram.gpa + BUFFER_AREA_START;
    this.areaEnd = ram.gpa + ram.bytes;
    this.nextGpa = this.areaStart;
  }
  laneName;
  entries = /* @__PURE__ */ new Map();
  nextGpa;
  areaStart;
  areaEnd;
  live = 0;
  livePeak = 0;
  mismatches = 0;
  /**
   * A page-aligned buffer of `bytes` for a map without `gpa`, after the previous one; back at the
   * area start when RAM runs out (mapping the same memory twice is legal in the DMA API).
   */
  peekGpa(bytes) {
    return this.nextGpa + bytes <= this.areaEnd ? this.nextGpa : this.areaStart;
  }
  commitGpa(gpa, bytes) {
    this.nextGpa = gpa + bytes;
  }
  add(entry) {
    const list = this.entries.get(entry.dmaAddr);
    if (list === void 0) this.entries.set(entry.dmaAddr, [entry]);
    else list.push(entry);
    this.live++;
    if (this.live > this.livePeak) this.livePeak = this.live;
  }
  /** The live entry at `dmaAddr` of `sizeBytes`, if the driver holds one. */
  find(dmaAddr, sizeBytes) {
    return this.entries.get(dmaAddr)?.find((e) => e.sizeBytes === sizeBytes);
  }
  remove(entry) {
    const list = this.entries.get(entry.dmaAddr);
    list.splice(list.indexOf(entry), 1);
    if (list.length === 0) this.entries.delete(entry.dmaAddr);
    this.live--;
  }
  get liveMappings() {
    return this.live;
  }
  collectMetrics(into) {
    addMetric(into, "dma.unmapMismatches", this.mismatches);
    maxMetric(into, "dma.liveMappingsPeak", this.livePeak);
  }
  /** Live entries in address order and the next buffer address (counters are metrics, not state). */
  snapshot() {
    const list = [...this.entries.values()].flat().map((e) => [e.dmaAddr, e.sizeBytes, e.spanBytes, e.coherent]);
    list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    return { nextGpa: this.nextGpa, entries: list };
  }
  checkInvariants() {
    const problems = [];
    const all = [...this.entries.values()].flat();
    if (all.length !== this.live) problems.push(`${this.device}: ${all.length} entries recorded but ${this.live} counted live`);
    if (this.direct) return problems;
    const spans = all.map((e) => [alignDown(e.dmaAddr, PAGE_SIZE), e.spanBytes]).sort((a, b) => a[0] - b[0]);
    spans.forEach(([start, bytes], i) => {
      if (start === 0) problems.push(`${this.device}: a mapping starts at IOVA 0`);
      const next = spans[i + 1];
      if (next !== void 0 && start + bytes > next[0]) problems.push(`${this.device}: IOVA ranges at ${start} and ${next[0]} overlap`);
    });
    return problems;
  }
};
var deviceArg = z17.string().min(1).max(64).meta({ description: "Scenario device whose driver makes the call." });
var sizeArg = u64.refine((v) => v > 0 && v <= 2 ** 40, "must be between 1 byte and 1 TiB");
function guestOf(env) {
  if (env.guest === void 0)
    throw new Error("dma.* ops need the guest stack: this OpsEnvironment has no guest() (use OpsWorkloadRunner)");
  return env.guest();
}
function ledgerOf(env, name2, found) {
  const ram = guestRamRegions(env.scenario, found.vm.config)[0];
  return env.instance(`dma:${name2}`, () => new DmaMappingLedger(name2, isDmaDirect(found.device.dma), ram));
}
function refused(name2, errno) {
  return { ok: false, errno: linuxErrnoName(errno), ret: null, costNs: 0, lane: `dma.${name2}` };
}
function onVcpu0(guest, found, body) {
  const vcpus = found.vm.vcpus;
  const call = new DmaCall(0).begin(vcpus.startAt(0, guest.nowNs));
  const start = call.t;
  body(call);
  vcpus.occupy(0, start, call.t);
  return { call, costNs: call.t - start };
}
function mapLike(env, name2, sizeBytes, gpa, write, coherent) {
  const guest = guestOf(env);
  const found = guest.device(name2);
  if (found === void 0) return refused(name2, ENODEV);
  const ledger = ledgerOf(env, name2, found);
  const offset = gpa === void 0 ? 0 : gpa % PAGE_SIZE;
  const spanBytes = alignUp(offset + sizeBytes, PAGE_SIZE);
  const pageGpa = gpa === void 0 ? ledger.peekGpa(spanBytes) : gpa - offset;
  const { dev, dma } = found.device;
  const { call, costNs } = onVcpu0(
    guest,
    found,
    (c) => coherent ? dma.allocCoherent(c, dev, pageGpa, spanBytes) : dma.map(c, dev, pageGpa, spanBytes, write)
  );
  if (call.errno !== 0) return { ok: false, errno: linuxErrnoName(call.errno), ret: null, costNs, lane: ledger.laneName };
  if (gpa === void 0) ledger.commitGpa(pageGpa, spanBytes);
  const dmaAddr = call.dmaAddr + offset;
  ledger.add({ dmaAddr, sizeBytes, spanBytes, coherent });
  return { ok: true, errno: null, ret: toHexOrNumber(dmaAddr), costNs, lane: ledger.laneName };
}
var mapOp2 = defineOp({
  name: "dma.map",
  layer: "dma",
  summary: "dma_map_single: map `size` bytes at `gpa` (default: a buffer the op picks) for the device; ret = DMA address",
  args: z17.strictObject({
    device: deviceArg,
    size: sizeArg,
    dir: z17.enum(["to-device", "from-device", "bidirectional"]).default("bidirectional"),
    gpa: u64.optional()
  }),
  // DMA_TO_DEVICE: the device only reads the buffer, so the mapping need not be writable.
  run: (env, a) => mapLike(env, a.device, a.size, a.gpa, a.dir !== "to-device", false)
});
var allocCoherentOp = defineOp({
  name: "dma.allocCoherent",
  layer: "dma",
  summary: "dma_alloc_coherent: a buffer of `size` bytes mapped with the coherent DMA mask; ret = DMA address",
  args: z17.strictObject({ device: deviceArg, size: sizeArg }),
  run: (env, a) => mapLike(env, a.device, a.size, void 0, true, true)
});
var unmapOp2 = defineOp({
  name: "dma.unmap",
  layer: "dma",
  summary: "dma_unmap_single / dma_free_coherent of a live mapping (same DMA address and size)",
  args: z17.strictObject({ device: deviceArg, dmaAddr: u64, size: sizeArg }),
  run: (env, a) => {
    const guest = guestOf(env);
    const found = guest.device(a.device);
    if (found === void 0) return refused(a.device, ENODEV);
    const ledger = ledgerOf(env, a.device, found);
    const entry = ledger.find(a.dmaAddr, a.size);
    if (entry === void 0) {
      ledger.mismatches++;
      return refused(a.device, EINVAL);
    }
    const pageAddr = alignDown(a.dmaAddr, PAGE_SIZE);
    const { costNs } = onVcpu0(guest, found, (c) => found.device.dma.unmap(c, pageAddr, entry.spanBytes));
    ledger.remove(entry);
    return { ok: true, errno: null, ret: null, costNs, lane: ledger.laneName };
  }
});
var setMaskOp = defineOp({
  name: "dma.setMask",
  layer: "dma",
  summary: "dma_set_mask_and_coherent (or dma_set_mask alone with coherent=false); ret = bits",
  args: z17.strictObject({
    device: deviceArg,
    bits: z17.number().int().min(1).max(64),
    coherent: z17.boolean().default(true)
  }),
  run: (env, a) => {
    const found = guestOf(env).device(a.device);
    if (found === void 0) return refused(a.device, ENODEV);
    const errno = dmaSetMask(found.device.dev, found.device.dma, a.bits, a.coherent, env.scenario, found.vm.config);
    if (errno !== 0) return refused(a.device, errno);
    return { ok: true, errno: null, ret: a.bits, costNs: 0, lane: `dma.${a.device}` };
  }
});
var DMA_OPS = [mapOp2, unmapOp2, allocCoherentOp, setMaskOp];

// core/ops/eehOps.ts
import { z as z18 } from "zod";
function eehSystemOf(env, vm) {
  return eehSystemFor(env, vm);
}
function timed(sys, body) {
  const t = sys.advanceTo(sys.nowNs());
  const r = body(t);
  if (!sys.clock.attached) sys.advanceTo(t + r.costNs);
  return { ok: r.errno === null, errno: r.errno, ret: r.errno === null ? r.ret : null, costNs: r.costNs, lane: sys.laneName };
}
var vmName = z18.string().min(1).max(64).optional().meta({ description: "VM the guest PE belongs to (default: the first VM that has it)." });
var device2 = z18.string().min(1).max(64);
var guestTarget = {
  vm: vmName,
  pe: z18.number().int().nonnegative().optional().meta({ description: "Guest PE (guest PHB), as devices[].guestPe numbers them." }),
  device: device2.optional().meta({ description: "A device of the guest PE (instead of pe)." })
};
var rtasOption = z18.number().int().nonnegative().max(4294967295);
var hostPe = z18.number().int().nonnegative().meta({ description: "Host PE, as devices[].hostPe numbers them." });
function onePe(a) {
  return a.pe === void 0 !== (a.device === void 0);
}
var ONE_PE = { message: "give exactly one of pe (guest PE) and device" };
function guestOf2(env, a) {
  const vms = env.scenario.vms;
  let vm;
  if (a.device !== void 0) vm = vms.find((v) => v.devices.some((d) => d.name === a.device));
  else if (a.vm !== void 0) vm = vms.find((v) => v.name === a.vm);
  else vm = vms.find((v) => eehPlacement(env.scenario, v).guestPes.some((g) => g.pe === a.pe));
  const sys = eehSystemOf(env, vm ?? vms[0]);
  const gpe = vm === void 0 ? void 0 : a.device !== void 0 ? sys.guestPeOfDevice(a.device) : sys.guestPe(a.pe);
  return { sys, gpe };
}
function hostOf(env, pe2) {
  return eehSystemOf(env, eehVmOfHostPe(env.scenario, pe2) ?? env.scenario.vms[0]);
}
function rtasOutcome(sys, status, ret) {
  return { errno: rtasErrorName(status), ret, costNs: sys.qemu.lastCostNs };
}
function hex(v) {
  return "0x" + v.toString(16);
}
var rtasOps = [
  defineOp({
    name: "rtas.ibm,set-eeh-option",
    layer: "rtas",
    summary: "ibm,set-eeh-option(option: 0 disable, 1 enable, 2 thaw MMIO, 3 thaw DMA) on a guest PE",
    args: z18.strictObject({ ...guestTarget, option: rtasOption }).refine(onePe, ONE_PE),
    run: (env, a) => {
      const { sys, gpe } = guestOf2(env, a);
      return timed(sys, (t) => rtasOutcome(sys, sys.qemu.setEehOption(gpe, a.option, t), null));
    }
  }),
  defineOp({
    name: "rtas.ibm,read-slot-reset-state2",
    layer: "rtas",
    summary: "ibm,read-slot-reset-state2: ret {state (0 normal, 1 reset, 2 stopped, 4 stopped DMA, 5 unavailable), support, unavailableMs}",
    args: z18.strictObject(guestTarget).refine(onePe, ONE_PE),
    run: (env, a) => {
      const { sys, gpe } = guestOf2(env, a);
      return timed(sys, (t) => {
        const status = sys.qemu.readSlotResetState2(gpe, t);
        const q = sys.qemu;
        return rtasOutcome(sys, status, { state: q.lastState, support: q.lastSupport, unavailableMs: q.lastUnavailableMs });
      });
    }
  }),
  defineOp({
    name: "rtas.ibm,set-slot-reset",
    layer: "rtas",
    summary: "ibm,set-slot-reset(option: 0 deactivate, 1 hot, 3 fundamental) on a guest PE",
    args: z18.strictObject({ ...guestTarget, option: rtasOption }).refine(onePe, ONE_PE),
    run: (env, a) => {
      const { sys, gpe } = guestOf2(env, a);
      return timed(sys, (t) => rtasOutcome(sys, sys.qemu.setSlotReset(gpe, a.option, t), null));
    }
  }),
  defineOp({
    name: "rtas.ibm,configure-pe",
    layer: "rtas",
    summary: "ibm,configure-pe on a guest PE (VFIO_EEH_PE_CONFIGURE)",
    args: z18.strictObject(guestTarget).refine(onePe, ONE_PE),
    run: (env, a) => {
      const { sys, gpe } = guestOf2(env, a);
      return timed(sys, (t) => rtasOutcome(sys, sys.qemu.configurePe(gpe, t), null));
    }
  }),
  defineOp({
    name: "rtas.ibm,slot-error-detail",
    layer: "rtas",
    summary: "ibm,slot-error-detail(option: 1 temporary, 2 permanent); ret 1 = no errors found (QEMU keeps no log)",
    args: z18.strictObject({ ...guestTarget, option: rtasOption.default(1) }).refine(onePe, ONE_PE),
    run: (env, a) => {
      const { sys, gpe } = guestOf2(env, a);
      return timed(sys, (t) => {
        const status = sys.qemu.slotErrorDetail(gpe, a.option, t);
        return rtasOutcome(sys, status, status);
      });
    }
  }),
  defineOp({
    name: "rtas.ibm,get-config-addr-info2",
    layer: "rtas",
    summary: "ibm,get-config-addr-info2(option: 0 PE address of the device, 1 PE mode); ret the value",
    args: z18.strictObject({ ...guestTarget, option: rtasOption.default(0) }).refine(onePe, ONE_PE),
    run: (env, a) => {
      const { sys, gpe } = guestOf2(env, a);
      return timed(sys, (t) => {
        const status = sys.qemu.getConfigAddrInfo2(gpe, a.device, a.option, t);
        return rtasOutcome(sys, status, sys.qemu.lastValue);
      });
    }
  })
];
function hostOutcome(sys, errno, ret) {
  return { errno: linuxErrnoName(errno), ret, costNs: sys.vfio.lastCostNs };
}
var eehOps = [
  defineOp({
    name: "eeh.inject",
    layer: "eeh",
    summary: "VFIO_EEH_PE_OP INJECT_ERR on a host PE (type 0 32-bit / 1 64-bit, func 0..19): the PE freezes; ret {serial}",
    args: z18.strictObject({
      pe: hostPe,
      type: z18.number().int().default(0),
      func: z18.number().int().default(0)
    }),
    run: (env, a) => {
      const sys = hostOf(env, a.pe);
      return timed(
        sys,
        (t) => hostOutcome(sys, sys.peOp(a.pe, VFIO_EEH_PE_INJECT_ERR, t, { errType: a.type, errFunc: a.func }), { serial: sys.vfio.lastSerial })
      );
    }
  }),
  defineOp({
    name: "eeh.peOp",
    layer: "eeh",
    summary: "any VFIO_EEH_PE_OP (op 0..9) on a host PE; ret the state for GET_STATE",
    args: z18.strictObject({
      pe: hostPe,
      op: z18.number().int().nonnegative().max(4294967295),
      flags: z18.number().int().nonnegative().max(4294967295).default(0),
      type: z18.number().int().default(0),
      func: z18.number().int().default(0)
    }),
    run: (env, a) => {
      const sys = hostOf(env, a.pe);
      return timed(sys, (t) => {
        const errno = sys.peOp(a.pe, a.op, t, { flags: a.flags, errType: a.type, errFunc: a.func });
        return hostOutcome(sys, errno, a.op === VFIO_EEH_PE_GET_STATE ? sys.vfio.lastState : null);
      });
    }
  }),
  defineOp({
    name: "eeh.state",
    layer: "eeh",
    summary: "a host PE's EEH state as the host sees it: ret {state, code}",
    args: z18.strictObject({ pe: hostPe }),
    run: (env, a) => {
      const sys = hostOf(env, a.pe);
      return timed(sys, () => {
        const pe2 = sys.hostPe(a.pe);
        if (pe2 === void 0) return { errno: linuxErrnoName(ENODEV), ret: null, costNs: 0 };
        return { errno: null, ret: { state: pe2.state, code: eehPeStateCode(pe2.state) }, costNs: 0 };
      });
    }
  }),
  defineOp({
    name: "eeh.failStep",
    layer: "eeh",
    summary: "the next time this recovery step reaches the host PE it fails (as the eeh-recovery-step-fails fault)",
    args: z18.strictObject({ pe: hostPe, step: z18.enum(EEH_RECOVERY_STEPS) }),
    run: (env, a) => {
      const sys = hostOf(env, a.pe);
      return timed(sys, () => ({ errno: sys.armStepFailure(a.pe, a.step) ? null : linuxErrnoName(ENODEV), ret: null, costNs: 0 }));
    }
  }),
  defineOp({
    name: "eeh.unavailable",
    layer: "eeh",
    summary: "the host recovers the PHB above a host PE for `ms`: the PE reads unavailable (state 5), then frozen",
    args: z18.strictObject({ pe: hostPe, ms: z18.number().int().nonnegative().max(864e5) }),
    run: (env, a) => {
      const sys = hostOf(env, a.pe);
      return timed(sys, (t) => ({ errno: sys.makeUnavailable(a.pe, a.ms, t) ? null : linuxErrnoName(ENODEV), ret: null, costNs: 0 }));
    }
  }),
  defineOp({
    name: "eeh.wait",
    layer: "eeh",
    summary: "the script waits `ms` while the guests detect and recover; ret the number of guest PEs recovering",
    args: z18.strictObject({ ms: z18.number().nonnegative().max(864e5) }),
    run: (env, a) => {
      const costNs = Math.round(a.ms * 1e6);
      const systems = env.scenario.vms.map((vm) => eehSystemOf(env, vm));
      let recovering = 0;
      for (const sys of systems) {
        const t = sys.advanceTo(sys.nowNs());
        if (!sys.clock.attached) sys.advanceTo(t + costNs);
        recovering += sys.guestPes.filter((g) => g.recovering).length;
      }
      return { ok: true, errno: null, ret: recovering, costNs, lane: systems[0].laneName };
    }
  })
];
var width = z18.union([z18.literal(1), z18.literal(2), z18.literal(4), z18.literal(8)]).default(4);
function deviceSystem(env, name2) {
  const vm = env.scenario.vms.find((v) => v.devices.some((d) => d.name === name2));
  return vm === void 0 ? void 0 : eehSystemOf(env, vm);
}
var mmioOps = [
  defineOp({
    name: "mmio.read",
    layer: "mmio",
    summary: 'a driver reads `width` bytes of a BAR: ret the value in hex ("0xffffffff" when the PE is frozen)',
    args: z18.strictObject({ device: device2, offset: u64.default(0), width }),
    run: (env, a) => {
      const sys = deviceSystem(env, a.device);
      if (sys === void 0) return { ok: false, errno: linuxErrnoName(ENODEV), ret: null, costNs: 0, lane: `mmio.${a.device}` };
      return timed(sys, (t) => ({
        errno: null,
        ret: hex(sys.mmioRead(a.device, a.offset, a.width, t)),
        costNs: sys.lastCostNs
      }));
    }
  }),
  defineOp({
    name: "mmio.write",
    layer: "mmio",
    summary: "a driver writes `width` bytes to a BAR; ret {dropped} (a frozen PE drops writes)",
    args: z18.strictObject({ device: device2, offset: u64.default(0), width, value: u64.default(0) }),
    run: (env, a) => {
      const sys = deviceSystem(env, a.device);
      if (sys === void 0) return { ok: false, errno: linuxErrnoName(ENODEV), ret: null, costNs: 0, lane: `mmio.${a.device}` };
      return timed(sys, (t) => {
        const delivered = sys.mmioWrite(a.device, a.offset, a.width, a.value, t);
        return { errno: null, ret: { dropped: !delivered }, costNs: sys.lastCostNs };
      });
    }
  })
];
var EEH_OPS = [...rtasOps, ...eehOps, ...mmioOps];

// core/ops/hcallOps.ts
import { z as z19 } from "zod";

// core/model/ppc/host/nestedPowerVm.ts
var PowerVmL0 = class {
  constructor(costs, clock) {
    this.costs = costs;
    this.clock = clock;
  }
  tableLocks = /* @__PURE__ */ new Map();
  guestGetCapabilities = 0;
  guestSetCapabilities = 0;
  guestCreate = 0;
  guestCreateVcpu = 0;
  guestSetState = 0;
  runVcpu = 0;
  /** H_GUEST_RUN_VCPU returns with exit reason 0xC00 (an L2 hypercall for L1 to serve). */
  hcallExits = 0;
  putTce = 0;
  getTce = 0;
  stuffTce = 0;
  rtas = 0;
  /** Time spent in L1 -> L0 calls, ns. */
  l0Ns = 0;
  /** Time L1 CPUs waited for a host PE's table lock, ns. */
  lockWaitNs = 0;
  /**
   * The L1 creates and starts the L2 (kvmhv_nestedv2 flow in kvm-nested.rst): capabilities are
   * negotiated (GET then SET), the guest is created, and each vCPU is created and gets its state
   * set, including the registration of its H_GUEST_RUN_VCPU input/output buffers (ids 0x0C00/0x0C01);
   * one more H_GUEST_SET_STATE sets guest-wide state. The lab counts these once per L2 at VM start.
   */
  startGuest(vcpus) {
    this.guestGetCapabilities++;
    this.guestSetCapabilities++;
    this.guestCreate++;
    this.guestCreateVcpu += vcpus;
    this.guestSetState += vcpus + 1;
  }
  /** One L2 hypercall served by L1: the exit to L1 (reason 0xC00) and the H_GUEST_RUN_VCPU that resumes the L2. */
  reflectHcall() {
    this.hcallExits++;
    this.runVcpu++;
  }
  /**
   * tce_exchange_pseries on host PE `pe`: H_GET_TCE then H_PUT_TCE under the table's lock, starting
   * at `t`; returns when it is done. `serialize` false (boot-time work) adds the cost without queueing.
   */
  exchangeTce(t, pe2, serialize) {
    const costNs = 2 * this.costs.l1ToL0HcallNs;
    this.getTce++;
    this.putTce++;
    this.l0Ns += costNs;
    if (!serialize) return t + costNs;
    const done = this.lockOf(pe2).acquire(t, costNs);
    this.lockWaitNs += done - costNs - t;
    return done;
  }
  /** `n` exchanges done back to back by one L1 CPU outside the hot path (window clean-up, copies); returns their cost. */
  exchangeTcesUnqueued(n) {
    this.getTce += n;
    this.putTce += n;
    const ns = n * 2 * this.costs.l1ToL0HcallNs;
    this.l0Ns += ns;
    return ns;
  }
  /** H_STUFF_TCE calls of the L1 (clearing a window), their cost. */
  stuffTces(calls) {
    this.stuffTce += calls;
    const ns = calls * this.costs.l1ToL0HcallNs;
    this.l0Ns += ns;
    return ns;
  }
  /** RTAS calls of the L1 to PowerVM (DDW query/create/remove/reset for a host PE), their cost. */
  rtasCalls(calls) {
    this.rtas += calls;
    const ns = calls * this.costs.l1ToL0HcallNs;
    this.l0Ns += ns;
    return ns;
  }
  lockOf(pe2) {
    let lock = this.tableLocks.get(pe2);
    if (lock === void 0) {
      lock = new GapFillingLock(this.clock);
      this.tableLocks.set(pe2, lock);
    }
    return lock;
  }
  collectMetrics(into) {
    addMetric(into, "hcall.H_GUEST_GET_CAPABILITIES", this.guestGetCapabilities);
    addMetric(into, "hcall.H_GUEST_SET_CAPABILITIES", this.guestSetCapabilities);
    addMetric(into, "hcall.H_GUEST_CREATE", this.guestCreate);
    addMetric(into, "hcall.H_GUEST_CREATE_VCPU", this.guestCreateVcpu);
    addMetric(into, "hcall.H_GUEST_SET_STATE", this.guestSetState);
    addMetric(into, "hcall.H_GUEST_RUN_VCPU", this.runVcpu);
    addMetric(into, "nested.hcallExits", this.hcallExits);
    addMetric(into, "nested.l0.H_PUT_TCE", this.putTce);
    addMetric(into, "nested.l0.H_GET_TCE", this.getTce);
    addMetric(into, "nested.l0.H_STUFF_TCE", this.stuffTce);
    addMetric(into, "nested.l0.rtas", this.rtas);
    addMetric(into, "nested.l0Ms", this.l0Ns / 1e6);
    maxMetric(into, "nested.l0LockWaitMs", this.lockWaitNs / 1e6);
  }
};

// core/model/ppc/guest/iommuPoolTable.ts
var NR_POOLS = 4;
var BLOCK_SIZE = 16;
var LARGE_ALLOC = 15;
var GOLDEN_RATIO_32 = 1640531527;
var POOL_HASH_BITS = 2;
function iommuPoolHash(cpu) {
  return Math.imul(cpu, GOLDEN_RATIO_32) >>> 0 >>> 32 - POOL_HASH_BITS;
}
var IommuPoolTable = class {
  /**
   * @param liobn the window's LIOBN (it_index)
   * @param offset it_offset: the window's first TCE number (bus address >> pageShift)
   * @param size it_size in TCEs
   * @param boundaryTces dma_get_seg_boundary_nr_pages: TCEs per device DMA segment (PCI: 4 GiB)
   */
  constructor(liobn, offset, size, pageShift, boundaryTces) {
    this.liobn = liobn;
    this.offset = offset;
    this.size = size;
    this.pageShift = pageShift;
    this.boundaryTces = boundaryTces;
    this.pageSize = 2 ** pageShift;
    const nrPools = size * this.pageSize >= 2 ** 30 ? NR_POOLS : 1;
    this.poolSize = Math.floor(Math.floor(size * 3 / 4) / nrPools);
    this.pools = Array.from({ length: nrPools }, (_, i) => ({
      start: i * this.poolSize,
      end: (i + 1) * this.poolSize,
      hint: i * this.poolSize
    }));
    this.largePool = { start: nrPools * this.poolSize, end: size, hint: nrPools * this.poolSize };
    if (offset === 0) this.allocated.insert({ start: 0, last: 0 });
  }
  pools;
  largePool;
  poolSize;
  allocated = new IntervalMap();
  /** TCEs allocated (entry 0's reservation not counted). */
  allocatedTces = 0;
  allocatedPeak = 0;
  /** Allocations that had to leave their first pool (pass > 1). */
  poolFallbacks = 0;
  pageSize;
  get nrPools() {
    return this.pools.length;
  }
  /** First bus address of the window. */
  get baseAddr() {
    return this.offset * this.pageSize;
  }
  /** Whether a bus address lies in this table's window. */
  holds(dmaAddr) {
    return dmaAddr >= this.baseAddr && dmaAddr < this.baseAddr + this.size * this.pageSize;
  }
  /**
   * iommu_range_alloc (handle NULL): an entry (relative to it_offset) for `npages` TCEs, aligned to
   * 2^alignOrder, below `maskTces` (the DMA mask >> page shift), or -1 (DMA_MAPPING_ERROR).
   */
  alloc(cpu, npages, maskTces2, alignOrder) {
    if (npages === 0) return -1;
    const alignMask = 2 ** alignOrder - 1;
    const large = npages > LARGE_ALLOC;
    let poolNr = iommuPoolHash(cpu) & this.nrPools - 1;
    let pool = large ? this.largePool : this.pools[poolNr];
    for (let pass = 0; ; pass++) {
      let start = pool.hint;
      let limit = pool.end;
      if (start >= limit) start = pool.start;
      if (limit + this.offset > maskTces2) {
        limit = maskTces2 - this.offset + 1;
        if (start >= limit || pass > 0) {
          pool = this.pools[0];
          start = pool.start;
        }
      }
      const n = this.areaAlloc(start, limit, npages, alignMask);
      if (n >= 0) {
        if (pass > 1) this.poolFallbacks++;
        const end = n + npages;
        pool.hint = large ? end : Math.ceil(end / BLOCK_SIZE) * BLOCK_SIZE;
        this.allocated.insert({ start: n, last: end - 1 });
        this.allocatedTces += npages;
        if (this.allocatedTces > this.allocatedPeak) this.allocatedPeak = this.allocatedTces;
        return n;
      }
      if (pass === 0) pool.hint = pool.start;
      else if (pass <= this.nrPools) {
        poolNr = poolNr + 1 & this.nrPools - 1;
        pool = this.pools[poolNr];
        pool.hint = pool.start;
      } else if (pass === this.nrPools + 1) {
        pool = this.largePool;
        pool.hint = pool.start;
      } else return -1;
    }
  }
  /**
   * iommu_area_alloc(map, limit, start, nr, shift = it_offset, boundary, align_mask): the lowest
   * aligned free run at or after `start` ending before limit - 1 that does not cross a segment boundary.
   */
  areaAlloc(start, limit, nr, alignMask) {
    const size = limit - 1;
    let pos = start;
    for (; ; ) {
      pos = Math.ceil(pos / (alignMask + 1)) * (alignMask + 1);
      if (pos + nr > size) return -1;
      const into = (this.offset + pos) % this.boundaryTces;
      if (into + nr > this.boundaryTces) {
        pos += this.boundaryTces - into;
        continue;
      }
      const hit = this.allocated.firstOverlap(pos, pos + nr - 1);
      if (hit === void 0) return pos;
      pos = hit.last + 1;
    }
  }
  /** Whether [entry, entry + npages) is exactly one live allocation. */
  isAllocated(entry, npages) {
    const e = this.allocated.containing(entry);
    return e !== void 0 && e.start === entry && e.last === entry + npages - 1 && !(entry === 0 && this.offset === 0);
  }
  /** Whether any of [entry, entry + npages) is allocated. */
  anyAllocated(entry, npages) {
    return this.allocated.firstOverlap(entry, entry + npages - 1) !== void 0;
  }
  /** The bitmap_clear of __iommu_free for a live allocation. */
  free(entry, npages) {
    const e = this.allocated.containing(entry);
    if (e === void 0 || e.start !== entry || e.last !== entry + npages - 1)
      throw new Error(`no allocation of ${npages} TCEs at ${entry}`);
    this.allocated.delete(e);
    this.allocatedTces -= npages;
  }
  /** iommu_table_in_use: anything allocated besides the reserved entry 0. */
  inUse() {
    return this.allocatedTces > 0;
  }
  snapshot() {
    return {
      liobn: this.liobn,
      hints: [...this.pools.map((p) => p.hint), this.largePool.hint],
      allocated: [...this.allocated.values()].map((e) => [e.start, e.last])
    };
  }
  checkInvariants() {
    const problems = [];
    let n = 0;
    let prev = -1;
    for (const e of this.allocated.values()) {
      if (e.start <= prev) problems.push(`table 0x${this.liobn.toString(16)}: allocations overlap at ${e.start}`);
      if (e.last >= this.size) problems.push(`table 0x${this.liobn.toString(16)}: allocation past the window at ${e.start}`);
      if (!(e.start === 0 && e.last === 0 && this.offset === 0)) n += e.last - e.start + 1;
      prev = e.last;
    }
    if (n !== this.allocatedTces)
      problems.push(`table 0x${this.liobn.toString(16)}: ${n} TCEs allocated but ${this.allocatedTces} counted`);
    return problems;
  }
};

// core/model/ppc/qemu/spaprTceTable.ts
var TCE_FAULT = 0;
var TCE_READ = 1;
var TCE_WRITE = 2;
var TCE_RW = 3;
var DENSE_MAX = 2 ** 21;
function tcePerm(tce) {
  return tce % 4;
}
var SpaprTceTable = class {
  /** @param ramBytes guest RAM size: a TCE is backed when its page lies in [0, ramBytes) */
  constructor(liobn, windowNum, ramBytes) {
    this.liobn = liobn;
    this.windowNum = windowNum;
    this.ramBytes = ramBytes;
  }
  busOffset = 0;
  pageShift = 0;
  /** Entries of the window; 0 = disabled (spapr_tce_table_disable). */
  nbTable = 0;
  /** 2^pageShift, kept rather than computed on every TCE. */
  pageSize = 1;
  /** Dense storage of a window of at most DENSE_MAX entries, else null. */
  dense = null;
  /** Sparse storage of a larger window: index -> TCE, non-zero values only. */
  sparse = /* @__PURE__ */ new Map();
  /** Entries with permission bits set. */
  live = 0;
  /** Live entries whose page lies in guest RAM. */
  liveBacked = 0;
  livePeak = 0;
  get enabled() {
    return this.nbTable > 0;
  }
  /** First bus address past the window. */
  get windowEnd() {
    return this.busOffset + this.nbTable * this.pageSize;
  }
  get windowBytes() {
    return this.nbTable * this.pageSize;
  }
  /** spapr_tce_table_enable: an empty window (the caller checked it was disabled). */
  enable(pageShift, busOffset, nbTable) {
    if (this.enabled) throw new Error(`LIOBN 0x${this.liobn.toString(16)} is already enabled`);
    this.pageShift = pageShift;
    this.pageSize = 2 ** pageShift;
    this.busOffset = busOffset;
    this.nbTable = nbTable;
    this.dense = nbTable <= DENSE_MAX ? new Float64Array(nbTable) : null;
  }
  /** spapr_tce_table_disable: the table and every TCE in it go. */
  disable() {
    this.clearAll();
    this.busOffset = 0;
    this.pageShift = 0;
    this.pageSize = 1;
    this.nbTable = 0;
    this.dense = null;
  }
  /** spapr_tce_reset: all entries zeroed, the window stays. */
  clearAll() {
    this.dense?.fill(0);
    this.sparse.clear();
    this.live = 0;
    this.liveBacked = 0;
  }
  /**
   * put_tce_emu's index: (ioba - bus_offset) >> page_shift after masking ioba to the page, or -1 when
   * the unsigned subtraction would wrap (ioba below the window: an index >= nb_table in QEMU).
   */
  indexOf(ioba) {
    if (ioba < this.busOffset || this.nbTable === 0) return -1;
    return Math.floor((ioba - this.busOffset) / this.pageSize);
  }
  /** Bus address of entry `index`. */
  iobaOf(index) {
    return this.busOffset + index * this.pageSize;
  }
  inRange(index) {
    return index >= 0 && index < this.nbTable;
  }
  get(index) {
    return this.dense !== null ? this.dense[index] : this.sparse.get(index) ?? 0;
  }
  /** Guest-physical page a TCE points at (tce & page_mask). */
  gpaOf(tce) {
    return tce - tce % this.pageSize;
  }
  /** Whether the TCE's page lies in guest RAM (kvmppc_tce_to_ua finds a memslot; QEMU's listener can translate it). */
  isBacked(tce) {
    return this.gpaOf(tce) + this.pageSize <= this.ramBytes;
  }
  /** tcet->table[index] = tce; returns the previous value. */
  put(index, tce) {
    const old = this.get(index);
    this.account(old, -1);
    if (this.dense !== null) this.dense[index] = tce;
    else if (tce === 0) this.sparse.delete(index);
    else this.sparse.set(index, tce);
    this.account(tce, 1);
    if (this.live > this.livePeak) this.livePeak = this.live;
    return old;
  }
  account(tce, sign) {
    if (tcePerm(tce) === TCE_FAULT) return;
    this.live += sign;
    if (this.isBacked(tce)) this.liveBacked += sign;
  }
  /** Non-zero entries as [index, tce] (whole-table walks: snapshots, checks, window copies). */
  nonZero() {
    const out = [];
    const d = this.dense;
    if (d !== null) {
      for (let i = 0; i < d.length; i++) if (d[i] !== 0) out.push([i, d[i]]);
    } else for (const e of this.sparse) out.push(e);
    return out;
  }
  snapshot() {
    return {
      liobn: this.liobn,
      busOffset: this.busOffset,
      pageShift: this.pageShift,
      nbTable: this.nbTable,
      entries: this.nonZero().sort((a, b) => a[0] - b[0])
    };
  }
  checkInvariants() {
    const problems = [];
    const name2 = `LIOBN 0x${this.liobn.toString(16)}`;
    let live = 0;
    let backed = 0;
    const entries = this.nonZero();
    for (const [i, tce] of entries) {
      if (!this.inRange(i)) problems.push(`${name2}: entry ${i} lies outside its ${this.nbTable}-entry window`);
      if (tcePerm(tce) !== TCE_FAULT) {
        live++;
        if (this.isBacked(tce)) backed++;
      }
    }
    if (live !== this.live) problems.push(`${name2}: ${live} live entries but ${this.live} counted`);
    if (backed !== this.liveBacked) problems.push(`${name2}: ${backed} backed entries but ${this.liveBacked} counted`);
    if (!this.enabled && entries.length > 0) problems.push(`${name2}: a disabled window holds TCEs`);
    if (this.dense !== null && this.sparse.size > 0) problems.push(`${name2}: dense and sparse storage both hold TCEs`);
    return problems;
  }
};

// core/model/ppc/qemu/spaprPhb.ts
var SPAPR_PCI_DMA_MAX_WINDOWS = 2;
var SPAPR_TCE_PAGE_SHIFT = 12;
function spaprPciLiobn(phbIndex, windowNum) {
  return 2147483648 + phbIndex * 256 + windowNum;
}
var SpaprPhb = class {
  constructor(config, hostPes, devices, host) {
    this.config = config;
    this.hostPes = hostPes;
    this.devices = devices;
    this.host = host;
    const windows = config.ddwEnabled ? SPAPR_PCI_DMA_MAX_WINDOWS : 1;
    this.tables = Array.from({ length: windows }, (_, n) => new SpaprTceTable(spaprPciLiobn(config.index, n), n, config.ramBytes));
  }
  tables;
  /** While a window change is being served, calls on this PHB wait until then (ns). */
  busyUntilNs = 0;
  /** Host work of the last enable/disable/reset, ns. */
  lastCostNs = 0;
  get index() {
    return this.config.index;
  }
  /** spapr_phb_get_active_win_num. */
  activeWindows() {
    let n = 0;
    for (const t of this.tables) if (t.enabled) n++;
    return n;
  }
  /**
   * spapr_phb_get_free_liobn: a disabled table. QOM iterates children in hash order; the lab takes
   * the lowest window number, which is what a guest observes with two windows.
   */
  freeTable() {
    for (const t of this.tables) if (!t.enabled) return t;
    return null;
  }
  /** LoPAPR page-size mask of pgsz (spapr_page_mask_to_query_mask, with 2M at 0x100 as newer QEMU reports). */
  queryPageMask() {
    const bits = { 12: 1, 16: 2, 24: 4, 25: 8, 26: 16, 27: 32, 28: 64, 34: 128, 21: 256 };
    let mask = 0;
    for (const s2 of this.config.pageShifts) mask |= bits[s2] ?? 0;
    return mask;
  }
  /**
   * spapr_tce_table_enable, then the VFIO listener mirrors the window on the host. When the host
   * refuses (QEMU would hw_error at run time), the lab disables the window again and returns the
   * host's errno, so a guest call that asked for it fails with nothing changed. Cost in lastCostNs.
   */
  enableWindow(table, pageShift, busOffset, nbTable) {
    table.enable(pageShift, busOffset, nbTable);
    const rc = this.host.addWindow(table);
    this.lastCostNs = this.host.lastCostNs;
    if (rc !== OK) table.disable();
    return rc;
  }
  /** spapr_tce_table_disable: its TCEs go, on the host too (region_del). Cost in lastCostNs. */
  disableWindow(table) {
    this.host.removeWindow(table);
    this.lastCostNs = this.host.lastCostNs;
    table.disable();
  }
  /**
   * spapr_phb_dma_reset: every window goes, then the default one comes back empty. Returns 0, or the
   * host's errno when it could not mirror the default window (the guest window exists anyway, as at
   * machine start; its TCEs then only fail in QEMU's log). Cost in lastCostNs.
   */
  dmaReset() {
    let ns = 0;
    for (const t of this.tables) {
      if (!t.enabled) continue;
      this.disableWindow(t);
      ns += this.lastCostNs;
    }
    const def = this.tables[0];
    def.enable(SPAPR_TCE_PAGE_SHIFT, this.config.dmaWinAddr, this.config.dmaWinSizeBytes / 2 ** SPAPR_TCE_PAGE_SHIFT);
    const rc = this.host.addWindow(def);
    this.lastCostNs = ns + this.host.lastCostNs;
    return rc;
  }
  snapshot() {
    return { index: this.index, hostPes: this.hostPes, busyUntilNs: this.busyUntilNs, tables: this.tables.map((t) => t.snapshot()) };
  }
  checkInvariants() {
    const problems = this.tables.flatMap((t) => t.checkInvariants());
    const active = this.tables.filter((t) => t.enabled);
    if (active.length > SPAPR_PCI_DMA_MAX_WINDOWS) problems.push(`PHB ${this.index}: ${active.length} windows are active`);
    for (let i = 0; i < active.length; i++)
      for (let j = i + 1; j < active.length; j++) {
        const a = active[i];
        const b = active[j];
        if (a.busOffset < b.windowEnd && b.busOffset < a.windowEnd)
          problems.push(`PHB ${this.index}: windows ${a.windowNum} and ${b.windowNum} overlap`);
      }
    return problems;
  }
};

// core/model/ppc/qemu/spaprHcalls.ts
var H_TOO_HARD = 9999;
var TCE_LIST_PAGE = 2 ** SPAPR_TCE_PAGE_SHIFT;
var TCES_PER_INDIRECT = 512;
var HCALL_NAMES2 = ["H_PUT_TCE", "H_PUT_TCE_INDIRECT", "H_STUFF_TCE", "H_GET_TCE"];
var PUT = 0;
var INDIRECT = 1;
var STUFF = 2;
var GET = 3;
var SpaprHcalls = class {
  constructor(deps) {
    this.deps = deps;
    this.trapWhat = HCALL_NAMES2.map((n) => deps.qemu.trapName(n));
    this.failKind = deps.timeline.defineKind({
      name: "hcall failed",
      args: [
        { name: "hcall", format: "str" },
        { name: "rc", format: "str" },
        { name: "liobn", format: "hex" }
      ],
      failure: true
    });
  }
  /** Boot-time work (probe): costs add to the call, nothing queues on the BQL or table locks, no trap events. */
  bootMode = false;
  calls = new Float64Array(HCALL_NAMES2.length);
  failures = 0;
  inKernel = 0;
  toQemu = 0;
  tooHard = 0;
  /** Guest TCE entries written (PUT, each INDIRECT entry, each STUFF entry). */
  guestWrites = 0;
  /** Simulated time the TCE hypercalls took, issue to return, ns. */
  busyNs = 0;
  /** Calls that waited for a window change of their PHB. */
  blockedCalls = 0;
  lastWritten = 0;
  lastTce = 0;
  // The call being served (one at a time; fields, so the hot path allocates nothing).
  op = PUT;
  liobn = 0;
  ioba = 0;
  value = 0;
  npages = 0;
  listGpa = 0;
  list = new Float64Array(0);
  listLength = 0;
  rc = H_SUCCESS;
  trapWhat;
  failKind;
  putTce(call, liobn, ioba, tce) {
    this.set(PUT, liobn, ioba, tce, 1);
    return this.run(call);
  }
  /** `list` holds the TCEs the guest wrote at `listGpa` (entries past listLength read as 0). */
  putTceIndirect(call, liobn, ioba, listGpa, list, listLength, npages) {
    this.set(INDIRECT, liobn, ioba, 0, npages);
    this.listGpa = listGpa;
    this.list = list;
    this.listLength = listLength;
    return this.run(call);
  }
  stuffTce(call, liobn, ioba, value, npages) {
    this.set(STUFF, liobn, ioba, value, npages);
    return this.run(call);
  }
  /** H_GET_TCE: the TCE in lastTce. */
  getTce(call, liobn, ioba) {
    this.set(GET, liobn, ioba, 0, 1);
    return this.run(call);
  }
  set(op, liobn, ioba, value, npages) {
    this.op = op;
    this.liobn = liobn;
    this.ioba = ioba;
    this.value = value;
    this.npages = npages;
    this.lastWritten = 0;
    this.lastTce = 0;
  }
  run(call) {
    const d = this.deps;
    const slot = d.find(this.liobn);
    if (slot !== void 0 && call.t < slot.phb.busyUntilNs) {
      call.t = slot.phb.busyUntilNs;
      this.blockedCalls++;
    }
    const start = call.t;
    this.calls[this.op]++;
    d.l0?.reflectHcall();
    let rc = H_TOO_HARD;
    if (slot !== void 0 && slot.phb.host.knowsLiobn(this.liobn)) {
      const halfExitNs = d.l0 === null ? 0 : d.costs.vmExitNs * d.costs.nestedExitFactor / 2;
      const before = call.t;
      call.t += halfExitNs + d.costs.kvmPutTceNs;
      rc = this.kvmExecute(call, slot);
      if (rc !== H_TOO_HARD) {
        this.inKernel++;
        call.t += halfExitNs;
      } else {
        this.tooHard++;
        call.t = before + d.costs.kvmPutTceNs;
      }
    }
    if (rc === H_TOO_HARD) {
      this.toQemu++;
      this.viaQemu(call);
      rc = this.rc;
    }
    this.busyNs += call.t - start;
    if (rc !== H_SUCCESS) this.fail(call, rc);
    return rc;
  }
  viaQemu(call) {
    const d = this.deps;
    if (!this.bootMode) {
      d.qemu.trap(call, this.trapWhat[this.op], this, 0, 0);
      return;
    }
    const exitNs = d.costs.vmExitNs * (d.l0 !== null ? d.costs.nestedExitFactor : 1);
    call.t += exitNs + d.costs.qemuInvalidationNs + this.serve();
  }
  // ---- KVM (book3s_64_vio.c) ----
  /** kvmppc_ioba_validate: aligned, inside the table for all n entries. */
  kvmIobaValid(t, npages) {
    const ps = t.pageSize;
    if (this.ioba % ps !== 0) return false;
    const idx = this.ioba / ps - t.busOffset / ps;
    return idx >= 0 && idx + npages <= t.nbTable;
  }
  /** kvmppc_tce_validate: a non-poison TCE must be page aligned (iommu_tce_check_gpa) and guest RAM. */
  kvmTceValid(t, tce) {
    if (tcePerm(tce) === TCE_FAULT) return true;
    const gpa = tce - tcePerm(tce);
    return gpa % t.pageSize === 0 && t.isBacked(tce);
  }
  kvmExecute(call, slot) {
    const t = slot.table;
    const n = this.npages;
    switch (this.op) {
      case PUT:
        if (!this.kvmIobaValid(t, 1)) return H_PARAMETER;
        if (!this.kvmTceValid(t, this.value)) return H_TOO_HARD;
        this.kvmWrite(call, slot, t.indexOf(this.ioba), this.value);
        return H_SUCCESS;
      case INDIRECT: {
        if (n > TCES_PER_INDIRECT || this.listGpa % TCE_LIST_PAGE !== 0) return H_PARAMETER;
        if (!this.kvmIobaValid(t, n)) return H_PARAMETER;
        if (this.listGpa + TCE_LIST_PAGE > this.deps.ramBytes) return H_TOO_HARD;
        for (let i = 0; i < n; i++) if (!this.kvmTceValid(t, this.listEntry(i))) return H_TOO_HARD;
        const first = t.indexOf(this.ioba);
        for (let i = 0; i < n; i++) this.kvmWrite(call, slot, first + i, this.listEntry(i));
        return H_SUCCESS;
      }
      case STUFF: {
        if (!this.kvmIobaValid(t, n)) return H_PARAMETER;
        if (tcePerm(this.value) !== TCE_FAULT) return H_PARAMETER;
        const first = t.indexOf(this.ioba);
        for (let i = 0; i < n; i++) this.kvmWrite(call, slot, first + i, this.value);
        return H_SUCCESS;
      }
      default:
        if (!this.kvmIobaValid(t, 1)) return H_PARAMETER;
        this.lastTce = t.get(t.indexOf(this.ioba));
        return H_SUCCESS;
    }
  }
  kvmWrite(call, slot, index, tce) {
    call.t = slot.phb.host.kvmWriteEntry(call.t, slot.table, this.bootMode);
    slot.table.put(index, tce);
    this.guestWrites++;
    this.lastWritten++;
  }
  // ---- QEMU (spapr_iommu.c), run under the BQL by QemuVm.trap ----
  /** TrapHandler: QEMU serves the pending hypercall; returns its work in ns (the result goes to `rc`). */
  serve() {
    const slot = this.liobn > 4294967295 ? void 0 : this.deps.find(this.liobn);
    if (slot === void 0) {
      this.rc = H_PARAMETER;
      return 0;
    }
    const t = slot.table;
    let ns = 0;
    const base = this.ioba - this.ioba % (t.nbTable > 0 ? t.pageSize : 1);
    switch (this.op) {
      case PUT:
        ns = this.putTceEmu(slot, base, this.value);
        break;
      case INDIRECT:
        this.rc = H_PARAMETER;
        if (this.npages > TCES_PER_INDIRECT || this.listGpa % TCE_LIST_PAGE !== 0) break;
        for (let i = 0; i < this.npages; i++) {
          ns += this.putTceEmu(slot, base + i * t.pageSize, this.qemuListEntry(i));
          if (this.rc !== H_SUCCESS) break;
        }
        break;
      case STUFF:
        this.rc = H_PARAMETER;
        if (this.npages > t.nbTable) break;
        for (let i = 0; i < this.npages; i++) {
          ns += this.putTceEmu(slot, base + i * t.pageSize, this.value);
          if (this.rc !== H_SUCCESS) break;
        }
        break;
      default: {
        const idx = t.indexOf(base);
        this.rc = t.inRange(idx) ? H_SUCCESS : H_PARAMETER;
        if (this.rc === H_SUCCESS) this.lastTce = t.get(idx);
      }
    }
    return ns;
  }
  /** put_tce_emu: index check, store, notify the IOMMU region (VFIO listener). Sets rc; returns the work. */
  putTceEmu(slot, ioba, tce) {
    const t = slot.table;
    const idx = t.indexOf(ioba);
    if (!t.inRange(idx)) {
      this.rc = H_PARAMETER;
      return 0;
    }
    t.put(idx, tce);
    this.guestWrites++;
    this.lastWritten++;
    this.rc = H_SUCCESS;
    return this.deps.costs.qemuPteWalkNs + slot.phb.host.qemuNotify(t, idx, tce);
  }
  listEntry(i) {
    return i < this.listLength ? this.list[i] : 0;
  }
  /** ldq_be_phys of the list: outside guest RAM QEMU reads unassigned memory, which reads as 0. */
  qemuListEntry(i) {
    return this.listGpa + TCE_LIST_PAGE <= this.deps.ramBytes ? this.listEntry(i) : 0;
  }
  fail(call, rc) {
    this.failures++;
    const tl = this.deps.timeline;
    call.cause = tl.record(
      call.t,
      0,
      this.deps.lane,
      this.failKind,
      tl.internString(HCALL_NAMES2[this.op]),
      tl.internString(hcallErrorName(rc) ?? "H_SUCCESS"),
      this.liobn,
      call.cause
    );
  }
  collectMetrics(into) {
    HCALL_NAMES2.forEach((name2, i) => addMetric(into, `hcall.${name2}`, this.calls[i]));
    addMetric(into, "hcall.failed", this.failures);
    addMetric(into, "hcall.inKernel", this.inKernel);
    addMetric(into, "hcall.toQemu", this.toQemu);
    addMetric(into, "hcall.tooHard", this.tooHard);
    addMetric(into, "hcall.busyMs", this.busyNs / 1e6);
    addMetric(into, "tce.guestWrites", this.guestWrites);
    addMetric(into, "window.blockedCalls", this.blockedCalls);
  }
};

// core/model/ppc/guest/pseriesKernel.ts
var PCI_SEG_BOUNDARY_BYTES = 2 ** 32;
var QUERY_MASK_SHIFTS = [12, 16, 24, 25, 26, 27, 28, 34, 21];
var PseriesTableGroup = class {
  constructor(guestPe, defaultTable) {
    this.guestPe = guestPe;
    this.defaultTable = defaultTable;
  }
  ddw = null;
  /** On failed_ddw_pdn_list. */
  ddwFailed = false;
  /** Dynamic DDW tables whose window was replaced under them: their mappings can only be freed. */
  orphanTables = [];
  /** The table whose window holds a bus address. */
  tableHolding(dmaAddr) {
    if (this.defaultTable.holds(dmaAddr)) return this.defaultTable;
    const dyn = this.ddw?.table ?? null;
    if (dyn !== null && dyn.holds(dmaAddr)) return dyn;
    for (const t of this.orphanTables) if (t.holds(dmaAddr)) return t;
    return null;
  }
};
var PseriesKernel = class {
  constructor(deps) {
    this.deps = deps;
    this.tcePages = Array.from({ length: deps.vcpus }, () => new Float64Array(TCES_PER_INDIRECT));
    const top = alignDown(deps.ramBytes - deps.vcpus * TCE_LIST_PAGE, TCE_LIST_PAGE);
    this.tcePageGpa = Math.max(0, Math.min(16 * 1024 * 1024, top));
  }
  groups = /* @__PURE__ */ new Map();
  /** DEFINE_PER_CPU(__be64 *, tce_page). */
  tcePages;
  tcePageGpa;
  ddwSetups = 0;
  ddwSetupNs = 0;
  ddwSetupHcalls = 0;
  ddwFallbacks = 0;
  directMappedBytes = 0;
  get guestPageShift() {
    return this.deps.options.guestPageShift;
  }
  /** The PE node's table group, set up from ibm,dma-window on first use (pci_dma_dev_setup_pSeriesLP). */
  group(guestPe) {
    let g = this.groups.get(guestPe);
    if (g === void 0) {
      const w = this.deps.defaultWindow(guestPe);
      const ps = 12;
      const table = new IommuPoolTable(w.liobn, w.base / 2 ** ps, w.sizeBytes / 2 ** ps, ps, PCI_SEG_BOUNDARY_BYTES / 2 ** ps);
      g = new PseriesTableGroup(guestPe, table);
      this.groups.set(guestPe, g);
    }
    return g;
  }
  /** The guest rebooted (its PHB was reset): the next device setup starts from ibm,dma-window again. */
  forgetGroup(guestPe) {
    this.groups.delete(guestPe);
  }
  allGroups() {
    return [...this.groups.values()];
  }
  /**
   * tce_buildmulti_pSeriesLP: `npages` TCEs from TCE number `tcenum` for guest pages from `gpa`.
   * Returns the last hypercall's status (the caller ignores all but H_NOT_ENOUGH_RESOURCES, as Linux).
   */
  buildTces(call, liobn, pageShift, tcenum, npages, gpa, write) {
    const ps = 2 ** pageShift;
    const proto = TCE_READ | (write ? TCE_WRITE : 0);
    const h = this.deps.hcalls;
    const perTce = this.deps.costs.guestPteWriteNs;
    let rc = H_SUCCESS;
    if (npages === 1 || !this.deps.options.multiTce) {
      for (let i = 0; i < npages; i++) {
        call.t += perTce;
        rc = h.putTce(call, liobn, (tcenum + i) * ps, gpa + i * ps + proto);
      }
      return rc;
    }
    const page = this.tcePages[call.cpu];
    const listGpa = this.tcePageGpa + call.cpu * TCE_LIST_PAGE;
    let done = 0;
    do {
      const limit = Math.min(npages - done, TCES_PER_INDIRECT);
      for (let l = 0; l < limit; l++) page[l] = gpa + (done + l) * ps + proto;
      call.t += limit * perTce;
      rc = h.putTceIndirect(call, liobn, (tcenum + done) * ps, listGpa, page, limit, limit);
      done += limit;
    } while (done < npages && rc === H_SUCCESS);
    return rc;
  }
  /** tce_freemulti_pSeriesLP: H_STUFF_TCE(0) in batches of 512, or H_PUT_TCE(0) per TCE without multi-TCE. */
  freeTces(call, liobn, pageShift, tcenum, npages) {
    const ps = 2 ** pageShift;
    const h = this.deps.hcalls;
    if (!this.deps.options.multiTce) {
      for (let i = 0; i < npages; i++) h.putTce(call, liobn, (tcenum + i) * ps, 0);
      return;
    }
    let done = 0;
    let rc = H_SUCCESS;
    do {
      const limit = Math.min(npages - done, TCES_PER_INDIRECT);
      rc = h.stuffTce(call, liobn, (tcenum + done) * ps, 0, limit);
      done += limit;
    } while (done < npages && rc === H_SUCCESS);
  }
  /**
   * enable_ddw for a device of `group` whose DMA mask has `maskBits` bits: returns the window when the
   * device can use it (direct or dynamic), null when it keeps the default window.
   */
  enableDdw(call, group, maskBits) {
    if (group.ddw !== null) return group.ddw;
    if (group.ddwFailed) return null;
    const start = call.t;
    const hcallsBefore = this.totalHcalls();
    this.ddwSetups++;
    const ddw = this.createDdw(call, group, maskBits);
    if (ddw === null) {
      group.ddwFailed = true;
      this.ddwFallbacks++;
    }
    group.ddw = ddw;
    this.ddwSetupNs += call.t - start;
    this.ddwSetupHcalls += this.totalHcalls() - hcallsBefore;
    return ddw;
  }
  createDdw(call, group, maskBits) {
    const { rtas, options, ramBytes } = this.deps;
    const pe2 = group.guestPe;
    if (rtas.query(call, pe2) !== RTAS_OUT_SUCCESS) return null;
    if (rtas.lastAvail === 0) return null;
    const pageShift = QUERY_MASK_SHIFTS.reduce((best, s2, i) => rtas.lastPageMask >> i & 1 ? Math.max(best, s2) : best, 0);
    if (pageShift === 0) return null;
    if (maskBits < 64) return null;
    const maxRamLen = Math.ceil(Math.log2(ramBytes));
    const ddwSz = Math.min(Math.log2(rtas.lastLargestBlock) + pageShift, 64);
    const direct = ddwSz >= maxRamLen && options.guestDirectMapping;
    const len = ddwSz >= maxRamLen ? maxRamLen : ddwSz;
    if (rtas.create(call, pe2, pageShift, len) !== RTAS_OUT_SUCCESS) return null;
    const liobn = rtas.lastLiobn;
    const base = rtas.lastBase;
    if (direct) {
      if (this.mapRam(call, liobn, base, pageShift) !== H_SUCCESS) {
        this.freeTces(call, liobn, pageShift, base / 2 ** pageShift, 2 ** (len - pageShift));
        rtas.remove(call, liobn);
        return null;
      }
      this.directMappedBytes = Math.max(this.directMappedBytes, ramBytes);
      return { liobn, base, pageShift, windowShift: len, direct: true, table: null };
    }
    const table = new IommuPoolTable(
      liobn,
      base / 2 ** pageShift,
      2 ** (len - pageShift),
      pageShift,
      PCI_SEG_BOUNDARY_BYTES / 2 ** pageShift
    );
    return { liobn, base, pageShift, windowShift: len, direct: false, table };
  }
  /**
   * tce_setrange_multi_pSeriesLP over guest RAM: read-write TCEs GPA -> base + GPA, 512 per
   * H_PUT_TCE_INDIRECT (one H_PUT_TCE each without multi-TCE, which ignores errors); stops at the
   * first failing call and returns its status.
   */
  mapRam(call, liobn, base, pageShift) {
    const ps = 2 ** pageShift;
    const numTce = Math.floor(this.deps.ramBytes / ps);
    const h = this.deps.hcalls;
    if (!this.deps.options.multiTce) {
      for (let i = 0; i < numTce; i++) {
        call.t += this.deps.costs.guestPteWriteNs;
        h.putTce(call, liobn, base + i * ps, i * ps + TCE_RW);
      }
      return H_SUCCESS;
    }
    const page = this.tcePages[call.cpu];
    const listGpa = this.tcePageGpa + call.cpu * TCE_LIST_PAGE;
    let rc = H_SUCCESS;
    for (let done = 0; done < numTce && rc === H_SUCCESS; ) {
      const limit = Math.min(numTce - done, TCES_PER_INDIRECT);
      for (let l = 0; l < limit; l++) page[l] = (done + l) * ps + TCE_RW;
      call.t += limit * this.deps.costs.guestPteWriteNs;
      rc = h.putTceIndirect(call, liobn, base + done * ps, listGpa, page, limit, limit);
      done += limit;
    }
    return rc;
  }
  totalHcalls() {
    let n = 0;
    for (const c of this.deps.hcalls.calls) n += c;
    for (const c of this.deps.rtas.calls) n += c;
    return n;
  }
  snapshot() {
    return [...this.groups.values()].sort((a, b) => a.guestPe - b.guestPe).map((g) => ({
      pe: g.guestPe,
      failed: g.ddwFailed,
      ddw: g.ddw === null ? null : { ...g.ddw, table: g.ddw.table?.snapshot() ?? null },
      table: g.defaultTable.snapshot()
    }));
  }
  checkInvariants() {
    const problems = [];
    for (const g of this.groups.values()) {
      problems.push(...g.defaultTable.checkInvariants(), ...g.ddw?.table?.checkInvariants() ?? []);
      if (g.ddw !== null && g.ddwFailed) problems.push(`PE ${g.guestPe}: a DDW is in use although its setup failed`);
    }
    return problems;
  }
};

// core/model/ppc/host/spaprHostTce.ts
function firstLevelsGuess(windowBytes, pageShift, hostPageShift) {
  const bitsTotal = Math.log2(windowBytes) - pageShift + 3;
  const perLevel = hostPageShift + 8;
  return { first: Math.ceil(bitsTotal / perLevel), max: Math.floor((64 - pageShift) / hostPageShift) };
}
var SpaprHostTce = class {
  constructor(config, env, qemu, l0) {
    this.config = config;
    this.env = env;
    this.qemu = qemu;
    this.l0 = l0;
    const make = (lane) => new SpaprTceContainer(lane, config.version, config.platform, env.process, env.mm, env.faults, env.costs);
    this.containers = config.topology === "powernv" ? [make(config.laneName)] : config.hostPes.map((pe2) => make(`${config.laneName}.pe${pe2}`));
  }
  containers;
  /** Why QEMU's container setup failed (REGISTER_MEMORY or ENABLE), 0 when it worked. */
  setupErrno = OK;
  /** Host TCE entries written (in host pages, summed over every host table written). */
  hostWrites = 0;
  /** Guest TCEs QEMU could not translate (page outside guest RAM): logged, never mapped. */
  unbackedMaps = 0;
  /** Host window creations QEMU failed (the guest window stays unmirrored; QEMU would hw_error). */
  windowFailures = 0;
  lastCostNs = 0;
  /** LIOBNs with a KVM table attached to the containers' groups (enabled windows, in-kernel mode). */
  kvmLiobns = /* @__PURE__ */ new Set();
  get nested() {
    return this.config.topology === "powervm-nested";
  }
  /** In-kernel TCE handling is in effect (v2 only: kvmppc_tce_iommu_do_map needs pre-registered memory). */
  get inKernel() {
    return this.config.inKernel && this.config.version === 2 && this.setupErrno === OK;
  }
  /** KVM has a table for this LIOBN (kvmppc_find_table); otherwise the hypercall goes to QEMU (H_TOO_HARD). */
  knowsLiobn(liobn) {
    return this.kvmLiobns.has(liobn);
  }
  /**
   * vfio_spapr_container_setup for each container: v2 registers all guest RAM (the prereg listener),
   * then removes the platform's default window; v1 enables (charging its 32-bit window). All or nothing.
   */
  setup() {
    const ramHva = GUEST_RAM_HVA_BASE;
    const done = [];
    for (const c of this.containers) {
      const rc = this.config.version === 2 ? c.registerMemory(ramHva, this.config.ramBytes) : c.enable();
      if (rc !== OK) {
        for (const d of done) d.unregisterMemory(ramHva, this.config.ramBytes);
        this.setupErrno = rc;
        return rc;
      }
      if (this.config.version === 2) c.removeWindow(this.config.platform.tce32Start);
      done.push(c);
    }
    return OK;
  }
  /** Host IOMMU page shift for a guest window: min(guest page, RAM page size) within the host's page sizes, 0 if none. */
  hostPageShift(guestPageShift) {
    const want = Math.min(guestPageShift, this.config.ramPageShift);
    let best = 0;
    for (const s2 of this.config.platform.pageShifts) if (s2 <= want && s2 > best) best = s2;
    return best;
  }
  /**
   * The listener's region_add for a guest window that was just enabled (vfio_spapr_container_add_section_window
   * -> vfio_spapr_create_window on each container, raising the levels until TCE_CREATE succeeds, and the
   * start address must be the guest's), then, in-kernel, the KVM table and KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE
   * per group. Nested: creating a DDW is an RTAS query + create to PowerVM per host PE. All or nothing;
   * returns 0 or a Linux errno, cost in lastCostNs.
   */
  addWindow(table) {
    const costs = this.env.costs;
    this.lastCostNs = 0;
    if (this.setupErrno !== OK) return this.refuse(this.setupErrno);
    const hps = this.hostPageShift(table.pageShift);
    if (hps === 0) return this.refuse(EINVAL);
    if (this.config.version === 1) {
      const p = this.config.platform;
      if (hps < p.tce32PageShift || table.busOffset < p.tce32Start || table.windowEnd > p.tce32Start + p.tce32SizeBytes)
        return this.refuse(EINVAL);
    } else {
      const created = [];
      for (const c of this.containers) {
        const rc = this.createHostWindow(c, table, hps);
        if (rc !== OK) {
          for (const d of created) d.removeWindow(table.busOffset);
          return this.refuse(rc);
        }
        created.push(c);
      }
      if (this.nested && !this.isDefaultWindowRequest(table, hps)) this.lastCostNs += this.l0.rtasCalls(2 * this.containers.length);
    }
    if (this.inKernel) {
      this.kvmLiobns.add(table.liobn);
      this.lastCostNs += costs.vfioMapIoctlNs * (1 + this.config.hostPes.length);
    }
    return OK;
  }
  createHostWindow(c, table, hps) {
    const { first, max } = firstLevelsGuess(table.windowBytes, hps, this.config.platform.hostPageShift);
    let rc = EINVAL;
    for (let levels = Math.max(1, first); levels <= max; levels++) {
      rc = c.createWindow(hps, table.windowBytes, levels);
      this.lastCostNs += c.lastCostNs;
      if (rc === OK) break;
    }
    if (rc !== OK) return rc;
    if (c.lastStartAddr !== table.busOffset) {
      c.removeWindow(c.lastStartAddr);
      this.lastCostNs += c.lastCostNs;
      return EINVAL;
    }
    return OK;
  }
  /** pSeries spapr_tce_create_table reuses the L0 default window for a 4K request no larger than it (is_default_window_request). */
  isDefaultWindowRequest(table, hps) {
    return hps === 12 && table.windowBytes <= this.config.platform.tce32SizeBytes && table.busOffset === this.config.platform.tce32Start;
  }
  refuse(rc) {
    this.windowFailures++;
    return rc;
  }
  /**
   * region_del of a guest window (vfio_listener_region_del): one UNMAP_DMA of the whole window, then
   * (v2) TCE_REMOVE on each container (errors only logged); nested: every live host TCE is exchanged
   * to 0 through L0, the window is cleaned with H_STUFF_TCE batches of 512 and removed with an RTAS
   * call. The KVM table goes too. The cost of clearing comes from the guest's live TCEs (in-kernel
   * writes never went through the containers).
   */
  removeWindow(table) {
    const costs = this.env.costs;
    this.lastCostNs = 0;
    this.kvmLiobns.delete(table.liobn);
    if (this.setupErrno !== OK || table.nbTable === 0) return;
    const hps = this.hostPageShift(table.pageShift);
    const sub = hps === 0 ? 1 : 2 ** (table.pageShift - hps);
    const hostTces = table.liveBacked * sub;
    for (const c of this.containers) {
      if (this.config.version === 2) c.removeWindow(table.busOffset);
      else c.unmapDma(table.busOffset, table.windowBytes, 0);
      this.lastCostNs += costs.vfioUnmapIoctlNs;
      this.hostWrites += hostTces;
      if (this.nested) {
        this.lastCostNs += this.l0.exchangeTcesUnqueued(hostTces);
        this.lastCostNs += this.l0.stuffTces(Math.ceil(table.windowBytes / 2 ** (hps || 12) / 512));
        if (!this.isDefaultWindowRequest(table, hps)) this.lastCostNs += this.l0.rtasCalls(1);
      } else {
        this.lastCostNs += hostTces * costs.hostPteWriteNs + this.config.hostPes.length * costs.hostIotlbInvalidationNs;
      }
    }
  }
  /**
   * KVM writes one guest TCE entry into every host table attached to the LIOBN (map or clear), starting
   * at `t`; returns when done. PowerNV: one shared table, one TCE kill per PE. Nested: one exchange
   * through L0 per host page per PE, queued on the PE's table lock unless `boot`.
   */
  kvmWriteEntry(t, table, boot) {
    const costs = this.env.costs;
    const hps = this.hostPageShift(table.pageShift);
    const sub = 2 ** (table.pageShift - hps);
    const pes = this.config.hostPes;
    if (!this.nested) {
      this.hostWrites += sub;
      return t + sub * costs.hostPteWriteNs + pes.length * costs.hostIotlbInvalidationNs;
    }
    let at = t;
    for (const pe2 of pes) for (let i = 0; i < sub; i++) at = this.l0.exchangeTce(at, pe2, !boot);
    this.hostWrites += sub * pes.length;
    return at;
  }
  /**
   * QEMU's VFIO listener for one put_tce_emu notification: MAP_DMA of the TCE's page (permission !=
   * 0) or UNMAP_DMA, on every container. Returns the cost. Failures are counted and logged like QEMU.
   */
  qemuNotify(table, index, tce) {
    if (this.setupErrno !== OK) return 0;
    const costs = this.env.costs;
    const perm2 = tcePerm(tce);
    if (perm2 !== 0 && !table.isBacked(tce)) {
      this.unbackedMaps++;
      return 0;
    }
    const ioba = table.iobaOf(index);
    const size = table.pageSize;
    const hps = this.hostPageShift(table.pageShift);
    const sub = hps === 0 ? 1 : 2 ** (table.pageShift - hps);
    let ns = 0;
    for (const c of this.containers) {
      ns += perm2 === 0 ? this.unmapOne(c, ioba, size) : this.mapOne(c, ioba, GUEST_RAM_HVA_BASE + table.gpaOf(tce), size, perm2);
      this.hostWrites += sub;
      if (this.nested) ns += this.l0.exchangeTcesUnqueued(sub);
      else ns += (this.config.hostPes.length - 1) * costs.hostIotlbInvalidationNs;
    }
    return ns;
  }
  mapOne(c, ioba, hva, size, perm2) {
    const q = this.qemu;
    q.vfioMapCalls++;
    const flags = (perm2 & 1 ? SPAPR_MAP_READ : 0) | (perm2 & 2 ? SPAPR_MAP_WRITE : 0);
    const rc = c.mapDma(ioba, hva, size, flags);
    if (rc !== OK) {
      q.vfioMapFailures++;
      const name2 = linuxErrnoName(rc) ?? "E?";
      q.vfioErrors.set(name2, (q.vfioErrors.get(name2) ?? 0) + 1);
    }
    return c.lastCostNs;
  }
  unmapOne(c, ioba, size) {
    this.qemu.vfioUnmapCalls++;
    c.unmapDma(ioba, size, 0);
    return c.lastCostNs;
  }
  /**
   * Cost of writing `tces` guest TCEs of `table` into a fresh host address space (a window change served
   * by switch-and-copy): PowerNV builds the new table and links it to every PE (one kill per PE);
   * nested has nothing to build in: each TCE is exchanged through L0 on every PE.
   */
  copyCostNs(table, tces) {
    const costs = this.env.costs;
    const hps = this.hostPageShift(table.pageShift);
    const sub = hps === 0 ? 1 : 2 ** (table.pageShift - hps);
    const pes = this.config.hostPes.length;
    this.hostWrites += tces * sub * (this.nested ? pes : 1);
    if (!this.nested) return tces * sub * costs.hostPteWriteNs + pes * costs.hostIotlbInvalidationNs;
    return this.l0.exchangeTcesUnqueued(tces * sub * pes);
  }
  /**
   * Setting up the new address space of a switch-and-copy besides the copy: PowerNV creates its windows
   * in a new container (one TCE_CREATE each); nested resets each host PE's windows through PowerVM.
   */
  switchCostNs() {
    if (this.nested) return this.l0.rtasCalls(this.containers.length);
    return this.containers.length * this.env.costs.vfioMapIoctlNs;
  }
  collectMetrics(into) {
    for (const c of this.containers) c.collectMetrics(into);
    addMetric(into, "tce.hostWrites", this.hostWrites);
    addMetric(into, "tce.unbackedMaps", this.unbackedMaps);
    addMetric(into, "spapr.hostWindowFailures", this.windowFailures);
  }
  snapshot() {
    return {
      setupErrno: this.setupErrno,
      kvm: [...this.kvmLiobns].sort((a, b) => a - b),
      containers: this.containers.map((c) => c.snapshot())
    };
  }
  checkInvariants() {
    const problems = this.containers.flatMap((c) => c.checkInvariants());
    if (this.kvmLiobns.size > 0 && !this.inKernel)
      problems.push(`${this.config.laneName}: KVM tables attached without in-kernel TCE handling`);
    return problems;
  }
};

// core/model/ppc/qemu/spaprRtasDdw.ts
var RTAS_DDW_NAMES = [
  "ibm,query-pe-dma-window",
  "ibm,create-pe-dma-window",
  "ibm,remove-pe-dma-window",
  "ibm,reset-pe-dma-window"
];
var DDW_LARGEST_BLOCK_TCES = 2147483648;
var QUERY = 0;
var CREATE = 1;
var REMOVE = 2;
var RESET = 3;
var SpaprRtasDdw = class {
  constructor(deps) {
    this.deps = deps;
    this.trapWhat = RTAS_DDW_NAMES.map((n) => deps.qemu.trapName(n));
    const args = [
      { name: "call", format: "str" },
      { name: "status", format: "str" },
      { name: "liobn", format: "hex" }
    ];
    this.kind = deps.timeline.defineKind({ name: "rtas", args });
    this.failKind = deps.timeline.defineKind({ name: "rtas failed", args, failure: true });
  }
  /** Boot-time work (the guest's probe): no BQL queueing, no trap events. */
  bootMode = false;
  calls = new Float64Array(RTAS_DDW_NAMES.length);
  failures = 0;
  windowsCreated = 0;
  lastAvail = 0;
  lastLargestBlock = 0;
  lastPageMask = 0;
  lastLiobn = 0;
  lastBase = 0;
  op = QUERY;
  pe = 0;
  pageShift = 0;
  windowShift = 0;
  liobn = 0;
  status = RTAS_OUT_SUCCESS;
  trapWhat;
  kind;
  failKind;
  query(call, guestPe) {
    this.op = QUERY;
    this.pe = guestPe;
    return this.run(call);
  }
  /** Outputs in lastLiobn and lastBase. */
  create(call, guestPe, pageShift, windowShift) {
    this.op = CREATE;
    this.pe = guestPe;
    this.pageShift = pageShift;
    this.windowShift = windowShift;
    return this.run(call);
  }
  remove(call, liobn) {
    this.op = REMOVE;
    this.liobn = liobn;
    return this.run(call);
  }
  reset(call, guestPe) {
    this.op = RESET;
    this.pe = guestPe;
    return this.run(call);
  }
  run(call) {
    const d = this.deps;
    this.calls[this.op]++;
    d.l0?.reflectHcall();
    if (this.bootMode) {
      const exitNs = d.costs.vmExitNs * (d.l0 !== null ? d.costs.nestedExitFactor : 1);
      call.t += exitNs + d.costs.qemuInvalidationNs + this.serve();
    } else d.qemu.trap(call, this.trapWhat[this.op], this, 0, 0);
    const failed = this.status !== RTAS_OUT_SUCCESS;
    if (failed) this.failures++;
    const tl = d.timeline;
    call.cause = tl.record(
      call.t,
      0,
      d.lane,
      failed ? this.failKind : this.kind,
      tl.internString(RTAS_DDW_NAMES[this.op]),
      tl.internString(rtasErrorName(this.status) ?? "RTAS_SUCCESS"),
      this.op === CREATE || this.op === REMOVE ? this.op === CREATE ? this.lastLiobn : this.liobn : 0,
      call.cause
    );
    return this.status;
  }
  /** TrapHandler: QEMU runs the RTAS call; returns its work (the host side of window changes), ns. */
  serve() {
    switch (this.op) {
      case QUERY:
        return this.serveQuery();
      case CREATE:
        return this.serveCreate();
      case REMOVE:
        return this.serveRemove();
      default:
        return this.serveReset();
    }
  }
  ddwPhb() {
    const phb = this.deps.findPhb(this.pe);
    return phb !== void 0 && phb.config.ddwEnabled ? phb : void 0;
  }
  serveQuery() {
    const phb = this.ddwPhb();
    if (phb === void 0) return this.done(RTAS_OUT_PARAM_ERROR);
    this.lastAvail = SPAPR_PCI_DMA_MAX_WINDOWS - phb.activeWindows();
    this.lastLargestBlock = DDW_LARGEST_BLOCK_TCES;
    this.lastPageMask = phb.queryPageMask();
    return this.done(RTAS_OUT_SUCCESS);
  }
  serveCreate() {
    this.lastLiobn = 0;
    this.lastBase = 0;
    const phb = this.ddwPhb();
    if (phb === void 0) return this.done(RTAS_OUT_PARAM_ERROR);
    const table = phb.freeTable();
    const windows = phb.activeWindows();
    if (!phb.config.pageShifts.includes(this.pageShift) || this.windowShift < this.pageShift) return this.done(RTAS_OUT_PARAM_ERROR);
    if (table === null || windows === SPAPR_PCI_DMA_MAX_WINDOWS) return this.done(RTAS_OUT_HW_ERROR);
    const base = windows === 0 ? phb.config.dmaWinAddr : phb.config.dma64WinAddr;
    const shift2 = this.windowShift - this.pageShift;
    const nbTable = shift2 >= 32 ? 0 : 2 ** shift2;
    if (nbTable === 0) return this.done(RTAS_OUT_HW_ERROR);
    if (phb.enableWindow(table, this.pageShift, base, nbTable) !== OK) {
      this.status = RTAS_OUT_HW_ERROR;
      return phb.lastCostNs;
    }
    this.windowsCreated++;
    this.lastLiobn = table.liobn;
    this.lastBase = table.busOffset;
    this.status = RTAS_OUT_SUCCESS;
    return phb.lastCostNs;
  }
  serveRemove() {
    const slot = this.liobn > 4294967295 ? void 0 : this.deps.find(this.liobn);
    if (slot === void 0 || !slot.phb.config.ddwEnabled || !slot.table.enabled) return this.done(RTAS_OUT_PARAM_ERROR);
    slot.phb.disableWindow(slot.table);
    this.status = RTAS_OUT_SUCCESS;
    return slot.phb.lastCostNs;
  }
  serveReset() {
    const phb = this.ddwPhb();
    if (phb === void 0) return this.done(RTAS_OUT_PARAM_ERROR);
    phb.dmaReset();
    this.status = RTAS_OUT_SUCCESS;
    return phb.lastCostNs;
  }
  done(status) {
    this.status = status;
    return 0;
  }
  collectMetrics(into) {
    RTAS_DDW_NAMES.forEach((name2, i) => addMetric(into, `rtas.${name2}`, this.calls[i]));
    addMetric(into, "ddw.rtasFailures", this.failures);
    addMetric(into, "ddw.created", this.windowsCreated);
  }
};

// core/model/ppc/qemu/spaprWindowChange.ts
var SpaprWindowChange = class {
  constructor(deps) {
    this.deps = deps;
    const tl = deps.timeline;
    this.kind = tl.defineKind({
      name: "DMA window change",
      args: [
        { name: "copiedTces", format: "int" },
        { name: "guestRemapTces", format: "int" },
        { name: "newLiobn", format: "hex" }
      ]
    });
    this.failKind = tl.defineKind({ name: "DMA window change refused", args: [{ name: "status", format: "str" }], failure: true });
  }
  changes = 0;
  failures = 0;
  copiedTces = 0;
  guestRemapTces = 0;
  totalNs = 0;
  maxNs = 0;
  /** Devices that lost their direct DDW because the new window cannot hold RAM. */
  directLost = 0;
  call = new DmaCall(0);
  kind;
  failKind;
  /** Serves a window change on `phb` starting at `nowNs` (or when a previous one ends); returns its duration. */
  change(phb, pageShift, windowShift, nowNs, cause) {
    const { hcalls, rtas, timeline } = this.deps;
    const t02 = Math.max(nowNs, phb.busyUntilNs);
    const call = this.call.begin(t02);
    call.cause = cause;
    hcalls.bootMode = true;
    rtas.bootMode = true;
    try {
      const old = phb.tables.find((t) => t.enabled && t.windowNum !== 0) ?? null;
      if (old !== null) rtas.remove(call, old.liobn);
      const status = rtas.create(call, phb.index, pageShift, windowShift);
      if (status !== RTAS_OUT_SUCCESS) {
        this.failures++;
        timeline.record(
          call.t,
          0,
          this.deps.lane,
          this.failKind,
          timeline.internString(rtasErrorName(status) ?? "?"),
          0,
          0,
          call.cause
        );
        phb.busyUntilNs = call.t;
        return call.t - t02;
      }
      const liobn = rtas.lastLiobn;
      let copied = 0;
      if (this.deps.strategy === "switch-and-copy") {
        call.t += phb.host.switchCostNs();
        for (const t of phb.tables) {
          if (!t.enabled || t.liobn === liobn) continue;
          copied += t.liveBacked;
          call.t += phb.host.copyCostNs(t, t.liveBacked);
        }
      }
      const remapped = this.remapGuest(call, phb, liobn, pageShift, windowShift);
      const durationNs2 = call.t - t02;
      this.changes++;
      this.copiedTces += copied;
      this.guestRemapTces += remapped;
      this.totalNs += durationNs2;
      this.maxNs = Math.max(this.maxNs, durationNs2);
      phb.busyUntilNs = call.t;
      timeline.record(t02, durationNs2, this.deps.lane, this.kind, copied, remapped, liobn, cause);
      return durationNs2;
    } finally {
      hcalls.bootMode = false;
      rtas.bootMode = false;
    }
  }
  /** The guest's side: a direct DDW is filled again when the new window holds RAM; otherwise it is given up. */
  remapGuest(call, phb, liobn, pageShift, windowShift) {
    const { kernel, rtas, ramBytes } = this.deps;
    const group = kernel.allGroups().find((g) => g.guestPe === phb.index);
    const old = group?.ddw ?? null;
    if (group === void 0 || old === null) return 0;
    if (old.table !== null) group.orphanTables.push(old.table);
    if (old.direct && 2 ** windowShift >= ramBytes && kernel.mapRam(call, liobn, rtas.lastBase, pageShift) === 0) {
      group.ddw = { liobn, base: rtas.lastBase, pageShift, windowShift, direct: true, table: null };
      return Math.floor(ramBytes / 2 ** pageShift);
    }
    if (old.direct) this.directLost++;
    group.ddw = null;
    group.ddwFailed = true;
    return 0;
  }
  collectMetrics(into) {
    addMetric(into, "window.changes", this.changes);
    addMetric(into, "window.changeFailures", this.failures);
    addMetric(into, "window.copiedTces", this.copiedTces);
    addMetric(into, "window.guestRemapTces", this.guestRemapTces);
    addMetric(into, "window.changeMs", this.totalNs / 1e6);
    maxMetric(into, "window.stallMsMax", this.maxNs / 1e6);
    addMetric(into, "window.directLost", this.directLost);
  }
};

// core/model/ppc/spaprMachine.ts
function topologyOf(hypervisor) {
  if (hypervisor === "kvm" || hypervisor === "powernv") return "powernv";
  if (hypervisor === "powervm-nested") return "powervm-nested";
  throw new Error(`the sPAPR vIOMMU models KVM guests (kvm, powernv, powervm-nested), not ${hypervisor}`);
}
function spaprPlacementOf(scenario, device3) {
  const hostPe2 = eehHostPeNumbers(scenario).get(device3.name);
  if (hostPe2 === void 0) throw new Error(`no device ${device3.name}`);
  return { hostPe: hostPe2, guestPe: device3.guestPe ?? DEFAULT_GUEST_PE };
}
var SpaprMachine = class {
  constructor(deps) {
    this.deps = deps;
    const { scenario, vm, costs, timeline, env } = deps;
    this.options = vm.viommu.spapr;
    this.topology = topologyOf(scenario.host.hypervisor);
    this.ramBytes = vm.memoryBytes;
    this.laneName = `spapr.${vm.name}`;
    this.lane = timeline.defineLane(this.laneName, "spapr");
    this.l0 = new PowerVmL0(costs, deps.clock);
    const nested = this.topology === "powervm-nested";
    if (nested) this.l0.startGuest(vm.vcpus);
    const mm = env.instance("spaprMm", () => new MmIommuMemList(env.process, env.faults, scenario.host.spapr.hostPageShift));
    const platform = spaprPlatformOf(scenario);
    const hugetlb = scenario.host.memoryBacking.startsWith("hugepages");
    const ramPageShift = hugetlb ? Math.log2(env.process.chunkBytes) : scenario.host.spapr.hostPageShift;
    const version = scenario.host.vfio.backend === "spapr-tce-v1" ? 1 : 2;
    const byPe = /* @__PURE__ */ new Map();
    for (const d of vm.devices) {
      const { hostPe: hostPe2, guestPe } = spaprPlacementOf(scenario, d);
      const entry = byPe.get(guestPe) ?? { devices: [], hostPes: /* @__PURE__ */ new Set() };
      entry.devices.push(d.name);
      entry.hostPes.add(hostPe2);
      byPe.set(guestPe, entry);
    }
    this.phbs = [...byPe.keys()].sort((a, b) => a - b).map((pe2) => {
      const devices = byPe.get(pe2).devices;
      const hostPes = [...byPe.get(pe2).hostPes].sort((a, b) => a - b);
      const host = new SpaprHostTce(
        {
          laneName: `spapr.${vm.name}.phb${pe2}`,
          topology: this.topology,
          hostPes,
          version,
          inKernel: this.options.inKernelTce,
          platform,
          ramBytes: this.ramBytes,
          ramPageShift
        },
        { process: env.process, mm, faults: env.faults, costs },
        deps.qemu,
        nested ? this.l0 : null
      );
      const phb = new SpaprPhb(
        {
          index: pe2,
          ddwEnabled: this.options.ddw,
          dmaWinAddr: 0,
          dmaWinSizeBytes: this.options.dmaWinSizeBytes,
          dma64WinAddr: 2 ** this.options.dma64WinShift,
          pageShifts: this.options.pageShifts,
          ramBytes: this.ramBytes
        },
        hostPes,
        devices,
        host
      );
      const rc = host.setup();
      phb.dmaReset();
      if (rc !== OK) this.setupFailures.push({ pe: pe2, errno: rc });
      for (const t of phb.tables) this.slots.set(t.liobn, { table: t, phb });
      return phb;
    });
    if (this.setupFailures.length > 0) {
      const kind = timeline.defineKind({
        name: "VFIO SPAPR container setup failed",
        args: [
          { name: "guestPe", format: "int" },
          { name: "errno", format: "str" }
        ],
        failure: true
      });
      for (const f of this.setupFailures)
        timeline.record(deps.clock.now, 0, this.lane, kind, f.pe, timeline.internString(linuxErrnoName(f.errno) ?? "E?"));
    }
    const l0 = nested ? this.l0 : null;
    const find = (liobn) => this.slots.get(liobn);
    this.hcalls = new SpaprHcalls({ costs, timeline, lane: this.lane, qemu: deps.qemu, l0, ramBytes: this.ramBytes, find });
    this.rtas = new SpaprRtasDdw({ costs, timeline, lane: this.lane, qemu: deps.qemu, l0, findPhb: (pe2) => this.phb(pe2), find });
    this.kernel = new PseriesKernel({
      costs,
      hcalls: this.hcalls,
      rtas: this.rtas,
      options: this.options,
      ramBytes: this.ramBytes,
      vcpus: vm.vcpus,
      defaultWindow: (pe2) => {
        const cfg = this.phb(pe2).config;
        return { liobn: this.phb(pe2).tables[0].liobn, base: cfg.dmaWinAddr, sizeBytes: cfg.dmaWinSizeBytes };
      }
    });
    this.windowChange = new SpaprWindowChange({
      timeline,
      lane: this.lane,
      hcalls: this.hcalls,
      rtas: this.rtas,
      kernel: this.kernel,
      strategy: this.options.windowChange,
      ramBytes: this.ramBytes
    });
  }
  laneName;
  lane;
  options;
  topology;
  phbs;
  l0;
  hcalls;
  rtas;
  kernel;
  windowChange;
  ramBytes;
  /** The front-end that reports this machine's metrics (the latest one built for the VM's first device). */
  reporter = null;
  slots = /* @__PURE__ */ new Map();
  /** Device -> when its guest-side DMA layer was last retired (ns), for telling a guest reset from a re-plug. */
  retiredAt = /* @__PURE__ */ new Map();
  layerDevices = /* @__PURE__ */ new Set();
  /** Guest reboots seen (every device of a PHB retired at once). */
  resets = 0;
  /** PHBs whose host containers could not be set up (QEMU would not start the VM; the lab runs on unmirrored). */
  setupFailures = [];
  get nested() {
    return this.topology === "powervm-nested";
  }
  /** The guest PHB of guest PE `pe`. */
  phb(pe2) {
    return this.phbs.find((p) => p.index === pe2);
  }
  /** The guest PHB a host PE sits under. */
  phbOfHostPe(hostPe2) {
    return this.phbs.find((p) => p.hostPes.includes(hostPe2));
  }
  findLiobn(liobn) {
    return this.slots.get(liobn);
  }
  /** Whether a guest-side DMA layer was built for the device before (a rebuild after reset or re-plug). */
  hasLayer(device3) {
    return this.layerDevices.has(device3);
  }
  addLayer(device3) {
    this.layerDevices.add(device3);
  }
  /** A device's guest-side DMA layer was retired (guest reset or unplug) at `nowNs`. */
  layerRetired(device3, nowNs) {
    this.retiredAt.set(device3, nowNs);
  }
  /**
   * A device gets a fresh guest-side DMA layer at `nowNs`. When every device of its PHB had its layer
   * retired at this very instant, the guest rebooted: QEMU's machine reset restores the PHB's default
   * window (spapr_phb_dma_reset) and the guest kernel sets its DMA up from scratch.
   */
  layerRebuilt(guestPe, nowNs) {
    const phb = this.phb(guestPe);
    if (phb === void 0) return;
    if (!phb.devices.every((d) => this.retiredAt.get(d) === nowNs)) return;
    for (const d of phb.devices) this.retiredAt.delete(d);
    phb.dmaReset();
    phb.busyUntilNs = 0;
    this.kernel.forgetGroup(guestPe);
    this.resets++;
  }
  /** LayerInstance: nothing here; the reporting front-end calls reportMetrics (see the header). */
  collectMetrics() {
  }
  reportMetrics(into) {
    this.hcalls.collectMetrics(into);
    this.rtas.collectMetrics(into);
    this.l0.collectMetrics(into);
    this.windowChange.collectMetrics(into);
    const k = this.kernel;
    addMetric(into, "ddw.setups", k.ddwSetups);
    addMetric(into, "ddw.setupMs", k.ddwSetupNs / 1e6);
    addMetric(into, "ddw.setupHcalls", k.ddwSetupHcalls);
    addMetric(into, "ddw.fallbacks", k.ddwFallbacks);
    maxMetric(into, "ddw.directMappedBytes", k.directMappedBytes);
    let livePeak = 0;
    for (const phb of this.phbs) {
      phb.host.collectMetrics(into);
      for (const t of phb.tables) livePeak = Math.max(livePeak, t.livePeak);
    }
    maxMetric(into, "tce.liveGuestPeak", livePeak);
    addMetric(into, "spapr.hostSetupFailures", this.setupFailures.length);
    addMetric(into, "guest.spaprResets", this.resets);
  }
  snapshot() {
    return {
      phbs: this.phbs.map((p) => ({ phb: p.snapshot(), host: p.host.snapshot() })),
      kernel: this.kernel.snapshot()
    };
  }
  checkInvariants() {
    const problems = [];
    for (const phb of this.phbs) {
      problems.push(...phb.checkInvariants(), ...phb.host.checkInvariants());
      for (const t of phb.tables)
        if (this.slots.get(t.liobn)?.table !== t) problems.push(`LIOBN 0x${t.liobn.toString(16)} is not in the directory`);
    }
    if (this.slots.size !== this.phbs.reduce((n, p) => n + p.tables.length, 0)) problems.push("the LIOBN directory holds tables of no PHB");
    problems.push(...this.kernel.checkInvariants());
    return problems;
  }
};

// core/ops/hcallOps.ts
var vmArg = z19.string().min(1).max(64).optional().meta({ description: "VM making the call; default the first VM with the spapr-tce vIOMMU." });
function spaprGuestOf(env, vmName2) {
  if (env.guest === void 0) throw new Error("hcall.* and rtas.* ops need the guest stack: this OpsEnvironment has no guest()");
  const guest = env.guest();
  const vm = vmName2 === void 0 ? env.scenario.vms.find((v) => v.viommu.model === "spapr-tce") : env.scenario.vms.find((v) => v.name === vmName2);
  if (vm === void 0) return null;
  const found = guest.device(vm.devices[0].name);
  const machine = env.instances().find((i) => i instanceof SpaprMachine && i.deps.vm.name === vm.name);
  if (found === void 0 || machine === void 0) return null;
  return { machine, vcpus: found.vm.vcpus, nowNs: guest.nowNs };
}
function onSpaprVcpu0(g, body) {
  const call = new DmaCall(0).begin(g.vcpus.startAt(0, g.nowNs));
  const start = call.t;
  body(call);
  g.vcpus.occupy(0, start, call.t);
  return { call, costNs: call.t - start };
}
function noSpapr(vm) {
  return { ok: false, errno: hcallErrorName(H_FUNCTION), ret: null, costNs: 0, lane: `spapr.${vm ?? "vm"}` };
}
function hcallOutcome(g, rc, costNs, ret) {
  const errno = hcallErrorName(rc);
  return { ok: errno === null, errno, ret, costNs, lane: g.machine.laneName };
}
function defaultListGpa(g) {
  return Math.min(32 * 1024 * 1024, alignDown(g.machine.ramBytes - TCE_LIST_PAGE, TCE_LIST_PAGE));
}
var putArgs = z19.strictObject({ vm: vmArg, liobn: u64, ioba: u64, tce: u64 });
var indirectArgs = z19.strictObject({
  vm: vmArg,
  liobn: u64,
  ioba: u64,
  list: z19.array(u64).max(512).meta({ description: "The TCEs in the guest page, in order (at most one 4 KiB page: 512)." }),
  listGpa: u64.optional().meta({ description: "Guest-physical address of the list page (must be 4 KiB aligned)." }),
  count: z19.number().int().min(0).max(2 ** 32 - 1).optional().meta({ description: "The npages argument; default the list length (more than 512 -> H_PARAMETER)." })
});
var stuffArgs = z19.strictObject({
  vm: vmArg,
  liobn: u64,
  ioba: u64,
  value: u64.default(0),
  count: z19.number().int().min(0).max(2 ** 32 - 1)
});
var getArgs = z19.strictObject({ vm: vmArg, liobn: u64, ioba: u64 });
var HCALL_OPS = [
  defineOp({
    name: "hcall.H_PUT_TCE",
    layer: "hcall",
    summary: "H_PUT_TCE(liobn, ioba, tce): write one TCE (permission bits 0 fault, 1 RO, 2 WO, 3 RW)",
    args: putArgs,
    run: (env, a) => {
      const g = spaprGuestOf(env, a.vm);
      if (g === null) return noSpapr(a.vm);
      let rc = 0;
      const { costNs } = onSpaprVcpu0(g, (c) => rc = g.machine.hcalls.putTce(c, a.liobn, a.ioba, a.tce));
      return hcallOutcome(g, rc, costNs, null);
    }
  }),
  defineOp({
    name: "hcall.H_PUT_TCE_INDIRECT",
    layer: "hcall",
    summary: "H_PUT_TCE_INDIRECT(liobn, ioba, list, n): up to 512 TCEs from a 4 KiB guest page; ret = TCEs written (also when it fails part way)",
    args: indirectArgs,
    run: (env, a) => {
      const g = spaprGuestOf(env, a.vm);
      if (g === null) return noSpapr(a.vm);
      const list = Float64Array.from(a.list);
      const listGpa = a.listGpa ?? defaultListGpa(g);
      let rc = 0;
      const h = g.machine.hcalls;
      const { costNs } = onSpaprVcpu0(
        g,
        (c) => rc = h.putTceIndirect(c, a.liobn, a.ioba, listGpa, list, list.length, a.count ?? list.length)
      );
      return hcallOutcome(g, rc, costNs, h.lastWritten);
    }
  }),
  defineOp({
    name: "hcall.H_STUFF_TCE",
    layer: "hcall",
    summary: "H_STUFF_TCE(liobn, ioba, value, count): write `value` into `count` TCEs (Linux frees with 0); ret = TCEs written",
    args: stuffArgs,
    run: (env, a) => {
      const g = spaprGuestOf(env, a.vm);
      if (g === null) return noSpapr(a.vm);
      let rc = 0;
      const h = g.machine.hcalls;
      const { costNs } = onSpaprVcpu0(g, (c) => rc = h.stuffTce(c, a.liobn, a.ioba, a.value, a.count));
      return hcallOutcome(g, rc, costNs, h.lastWritten);
    }
  }),
  defineOp({
    name: "hcall.H_GET_TCE",
    layer: "hcall",
    summary: "H_GET_TCE(liobn, ioba): ret = the TCE (R4)",
    args: getArgs,
    run: (env, a) => {
      const g = spaprGuestOf(env, a.vm);
      if (g === null) return noSpapr(a.vm);
      let rc = 0;
      const h = g.machine.hcalls;
      const { costNs } = onSpaprVcpu0(g, (c) => rc = h.getTce(c, a.liobn, a.ioba));
      return hcallOutcome(g, rc, costNs, rc === 0 ? toHexOrNumber(h.lastTce) : null);
    }
  })
];

// core/ops/rtasDdwOps.ts
import { z as z20 } from "zod";
var vmArg2 = z20.string().min(1).max(64).optional().meta({ description: "VM making the call; default the first VM with the spapr-tce vIOMMU." });
var peArg = z20.number().int().nonnegative().optional().meta({ description: "Guest PE (devices[].guestPe); default the lowest of the VM." });
var shift = z20.number().int().min(0).max(63);
function refused2(vm) {
  return { ok: false, errno: rtasErrorName(RTAS_OUT_PARAM_ERROR), ret: null, costNs: 0, lane: `spapr.${vm ?? "vm"}` };
}
function rtasOutcome2(g, status, costNs, ret) {
  const errno = rtasErrorName(status);
  return { ok: errno === null, errno, ret: errno === null ? ret : null, costNs, lane: g.machine.laneName };
}
function peOf(g, pe2) {
  return pe2 ?? g.machine.phbs[0].index;
}
var RTAS_DDW_OPS = [
  defineOp({
    name: "rtas.ibm,query-pe-dma-window",
    layer: "rtas",
    summary: "ibm,query-pe-dma-window: ret = {avail: 2 - active windows, largestBlock (TCEs), pageMask (4K 0x1, 64K 0x2, 16M 0x4 ... 2M 0x100)}",
    args: z20.strictObject({ vm: vmArg2, pe: peArg }),
    run: (env, a) => {
      const g = spaprGuestOf(env, a.vm);
      if (g === null) return refused2(a.vm);
      const r = g.machine.rtas;
      let st = 0;
      const { costNs } = onSpaprVcpu0(g, (c) => st = r.query(c, peOf(g, a.pe)));
      return rtasOutcome2(g, st, costNs, { avail: r.lastAvail, largestBlock: r.lastLargestBlock, pageMask: r.lastPageMask });
    }
  }),
  defineOp({
    name: "rtas.ibm,create-pe-dma-window",
    layer: "rtas",
    summary: "ibm,create-pe-dma-window(pageShift, windowShift): ret = {liobn, base} (first window at the default base, else at 2^59)",
    args: z20.strictObject({ vm: vmArg2, pe: peArg, pageShift: shift, windowShift: shift }),
    run: (env, a) => {
      const g = spaprGuestOf(env, a.vm);
      if (g === null) return refused2(a.vm);
      const r = g.machine.rtas;
      let st = 0;
      const { costNs } = onSpaprVcpu0(g, (c) => st = r.create(c, peOf(g, a.pe), a.pageShift, a.windowShift));
      return rtasOutcome2(g, st, costNs, { liobn: r.lastLiobn, base: toHexOrNumber(r.lastBase) });
    }
  }),
  defineOp({
    name: "rtas.ibm,remove-pe-dma-window",
    layer: "rtas",
    summary: "ibm,remove-pe-dma-window(liobn): the window and its TCEs go",
    args: z20.strictObject({ vm: vmArg2, liobn: u64 }),
    run: (env, a) => {
      const g = spaprGuestOf(env, a.vm);
      if (g === null) return refused2(a.vm);
      let st = 0;
      const { costNs } = onSpaprVcpu0(g, (c) => st = g.machine.rtas.remove(c, a.liobn));
      return rtasOutcome2(g, st, costNs, null);
    }
  }),
  defineOp({
    name: "rtas.ibm,reset-pe-dma-window",
    layer: "rtas",
    summary: "ibm,reset-pe-dma-window: every window goes, the default one comes back empty",
    args: z20.strictObject({ vm: vmArg2, pe: peArg }),
    run: (env, a) => {
      const g = spaprGuestOf(env, a.vm);
      if (g === null) return refused2(a.vm);
      let st = 0;
      const { costNs } = onSpaprVcpu0(g, (c) => st = g.machine.rtas.reset(c, peOf(g, a.pe)));
      return rtasOutcome2(g, st, costNs, null);
    }
  })
];

// core/ops/opRegistry.ts
var BUILT = [
  VFIO_OPS,
  IOMMUFD_OPS,
  SPAPR_OPS,
  IOVA_TREE_OPS,
  DMA_OPS,
  EEH_OPS,
  HCALL_OPS,
  RTAS_DDW_OPS
];
var OPS = new Map(BUILT.flat().map((op) => [op.name, op]));
function opProblem(name2) {
  if (OPS.has(name2)) return null;
  const known = [...OPS.keys()].sort();
  return `unknown op "${name2}"${known.length > 0 ? `; ops: ${known.join(", ")}` : ""}`;
}

// core/faults/deviceFaults.ts
function deviceLane(timeline, name2) {
  return timeline.defineLane(`device.${name2}`, "device");
}
function lifecycleKind(timeline, name2, failure = false) {
  return timeline.defineKind({ name: name2, args: [{ name: "qemuWorkNs", format: "ns" }], failure });
}
function findDevice(ctx, name2) {
  const found = ctx.stack().device(name2);
  if (found === void 0) throw new Error(`no device ${name2} (the scenario should have been rejected)`);
  return found;
}
function dropAddressSpace(vm, device3) {
  const qemu = vm.qemu;
  if (qemu === null || device3.container === null) return 0;
  if (vm.config.viommu.model !== "none") return qemu.vfioUnmapAll(device3.container);
  const othersPresent = vm.devices.some((d) => d !== device3 && d.lifecycle.state !== "offline");
  return othersPresent ? 0 : qemu.vfioUnmapAll(device3.container);
}
function removeDevice(ctx, vm, device3, cause) {
  const { sim } = ctx;
  device3.dma.retire();
  const workNs = dropAddressSpace(vm, device3);
  device3.lifecycle.setOffline(true);
  ctx.stack().countIncident("device.unplugs");
  sim.timeline.record(
    sim.now,
    workNs,
    deviceLane(sim.timeline, device3.config.name),
    lifecycleKind(sim.timeline, "device removed"),
    workNs,
    0,
    0,
    cause
  );
}
function unplug(ctx, name2, cause) {
  const { sim } = ctx;
  const { vm, device: device3 } = findDevice(ctx, name2);
  const lane = deviceLane(sim.timeline, name2);
  if (device3.lifecycle.state !== "online") {
    sim.timeline.record(sim.now, 0, lane, lifecycleKind(sim.timeline, "unplug ignored: device not present"), 0, 0, 0, cause);
    return;
  }
  const requested = sim.timeline.record(sim.now, 0, lane, lifecycleKind(sim.timeline, "device unplug requested"), 0, 0, 0, cause);
  device3.lifecycle.drain(() => removeDevice(ctx, vm, device3, requested));
}
function restoreRamContainer(ctx, vm, device3) {
  const qemu = vm.qemu;
  if (vm.config.viommu.model !== "none" || qemu === null || device3.container === null || device3.container.entries > 0) return 0;
  let ns = 0;
  for (const r of guestRamRegions(ctx.scenario, vm.config))
    ns += qemu.vfioMap(device3.container, r.gpa, r.gpa, r.bytes, false, ctx.sim.now, -1);
  return ns;
}
function hotplug(ctx, name2, cause) {
  const { sim } = ctx;
  const stack = ctx.stack();
  const { vm, device: device3 } = findDevice(ctx, name2);
  const lane = deviceLane(sim.timeline, name2);
  if (!device3.lifecycle.removed) {
    sim.timeline.record(sim.now, 0, lane, lifecycleKind(sim.timeline, "hotplug ignored: device present"), 0, 0, 0, cause);
    return;
  }
  const qemuNs = restoreRamContainer(ctx, vm, device3);
  stack.rebuildDevice(vm, device3);
  const totalNs = qemuNs + sim.costs.guestHotplugProbeNs;
  stack.countIncident("device.hotplugs");
  stack.countIncident("device.hotplugMs", totalNs / 1e6);
  sim.timeline.record(sim.now, totalNs, lane, lifecycleKind(sim.timeline, "device hot-plugged"), qemuNs, 0, 0, cause);
  device3.lifecycle.bringOnlineAt(sim.now + totalNs);
}
function resetVm(ctx, stack, vm, cause) {
  const { sim } = ctx;
  let qemuNs = 0;
  for (const d of vm.devices) {
    const life = d.lifecycle;
    const wasDraining = life.state === "draining";
    life.abortInFlight();
    if (life.removed) continue;
    if (wasDraining) {
      removeDevice(ctx, vm, d, cause);
      continue;
    }
    life.setOffline(false);
    d.dma.retire();
    if (vm.config.viommu.model !== "none" && vm.qemu !== null && d.container !== null) qemuNs += vm.qemu.vfioUnmapAll(d.container);
    stack.rebuildDevice(vm, d);
  }
  stack.eeh(vm.config.name)?.resetGuest(sim.now);
  const backNs = sim.now + qemuNs + sim.costs.guestRebootNs;
  stack.countIncident("guest.resets");
  const lane = sim.timeline.defineLane(`guest.${vm.config.name}`, "guest");
  sim.timeline.record(
    sim.now,
    backNs - sim.now,
    lane,
    lifecycleKind(sim.timeline, "guest reset", true),
    qemuNs,
    0,
    0,
    cause
  );
  for (const d of vm.devices) if (!d.lifecycle.removed) d.lifecycle.bringOnlineAt(backNs);
}
var DEVICE_FAULT_HANDLERS = {
  "device-unplug": (ctx, fault, cause) => unplug(ctx, fault.device, cause),
  "device-hotplug": (ctx, fault, cause) => hotplug(ctx, fault.device, cause),
  "guest-reset": (ctx, fault, cause) => {
    const stack = ctx.stack();
    for (const vm of stack.vms) if (fault.vm === void 0 || vm.config.name === fault.vm) resetVm(ctx, stack, vm, cause);
  }
};

// core/faults/dmaFaults.ts
var OUTCOME = {
  stale: { metric: "dma.staleAccesses", event: "DMA reached a freed buffer (unmap not flushed yet)" },
  remapped: { metric: "dma.remappedAccesses", event: "DMA reached another buffer (IOVA handed out again)" },
  fault: { metric: "iommu.faults", event: "IOMMU fault: DMA to an unmapped IOVA" },
  unprotected: { metric: "dma.unprotectedAccesses", event: "DMA reached guest memory (no vIOMMU translates)" }
};
var DMA_FAULT_HANDLERS = {
  "dma-to-unmapped": (ctx, fault, cause) => {
    const { sim } = ctx;
    const stack = ctx.stack();
    const found = stack.device(fault.device);
    if (found === void 0) throw new Error(`no device ${fault.device} (the scenario should have been rejected)`);
    const { device: device3 } = found;
    const lane = sim.timeline.defineLane(`device.${fault.device}`, "device");
    const probe = device3.lifecycle.state === "offline" && device3.lifecycle.removed ? null : device3.dma.probeLastUnmap();
    if (probe === null) {
      const kind2 = sim.timeline.defineKind({ name: "dma-to-unmapped: nothing unmapped yet", args: [] });
      sim.timeline.record(sim.now, 0, lane, kind2, 0, 0, 0, cause);
      stack.countIncident("dma.toUnmappedWithoutTarget");
      return;
    }
    const effect = OUTCOME[probe.outcome];
    const kind = sim.timeline.defineKind({
      name: effect.event,
      args: [
        { name: "dmaAddr", format: "hex" },
        { name: "sinceUnmapNs", format: "ns" },
        { name: "bufferOfEvent", format: "int" }
      ],
      failure: true
    });
    sim.timeline.record(sim.now, 0, lane, kind, probe.dmaAddr, Math.max(0, sim.now - probe.unmappedAtNs), probe.cause, cause);
    stack.countIncident(effect.metric);
    if (probe.outcome === "fault") stack.dmaFaultListener?.(device3, cause);
  }
};

// core/model/s390/s390DmaWindow.ts
var ZPCI_TABLE_SPAN2 = 2 ** 42;
var ZPCI_EDMA_ADDR = 2 ** 57 - 1;
var ZPCI_PAGE_SIZE = PAGE_SIZE;
var S390DmaWindow = class {
  /** CLP values the guest reads. */
  sdma;
  edma;
  /** Whether QEMU shrank edma to the DMA limit. */
  restricted;
  /** zdev->start_dma / end_dma after zpci_init_iommu (inclusive end). */
  startDma;
  endDma;
  constructor(input) {
    const edmaHost = input.edma ?? ZPCI_EDMA_ADDR;
    this.sdma = input.sdma;
    const vfioBytes = input.maxDmaLimit * ZPCI_PAGE_SIZE;
    this.restricted = input.restrictToDmaLimit && vfioBytes > 0 && vfioBytes < edmaHost - input.sdma + 1;
    this.edma = this.restricted ? input.sdma + vfioBytes - 1 : edmaHost;
    this.startDma = alignUp(this.sdma, ZPCI_PAGE_SIZE);
    if (this.startDma > ZPCI_TABLE_SPAN2 - ZPCI_PAGE_SIZE || this.edma < this.startDma) {
      throw new RangeError(`zPCI window [${this.sdma}, ${this.edma}] is unusable (s390_iommu_probe_device would fail)`);
    }
    const apertureLimit = input.apertureFactor === 0 ? Infinity : input.ramBytes * input.apertureFactor;
    const sizeBytes = Math.min(apertureLimit, ZPCI_TABLE_SPAN2 - this.startDma, this.edma - this.startDma + 1);
    const pages = Math.floor(sizeBytes / ZPCI_PAGE_SIZE);
    if (pages < 1) throw new RangeError("zPCI window holds no page");
    this.endDma = this.startDma + pages * ZPCI_PAGE_SIZE - 1;
  }
  get sizeBytes() {
    return this.endDma - this.startDma + 1;
  }
  get pages() {
    return this.sizeBytes / ZPCI_PAGE_SIZE;
  }
  /** s390_iommu_get_resv_regions: everything of the table span outside [start_dma, end_dma]. */
  reservedRanges() {
    const out = [];
    if (this.startDma > 0) out.push({ start: 0, last: this.startDma - 1 });
    if (this.endDma < ZPCI_TABLE_SPAN2 - 1) out.push({ start: this.endDma + 1, last: ZPCI_TABLE_SPAN2 - 1 });
    return out;
  }
  contains(iova, size) {
    return iova >= this.startDma && size > 0 && iova + size - 1 <= this.endDma;
  }
};

// core/model/s390/s390Zpci.ts
var ZPCI_PCI_LS_OK = 0;
var ZPCI_PCI_LS_ERR = 1;
var ZPCI_RPCIT_ST_INSUFF_RES = 16;
var ZpciFunction = class {
  table;
  window;
  hypervisor;
  /** zdev->tlb_refresh: the hypervisor shadows, so new entries need RPCIT too (not on LPAR). */
  tlbRefresh;
  lane;
  lastCc = ZPCI_PCI_LS_OK;
  lastStatus = 0;
  rpcitCalls = 0;
  rpcitOutOfResource = 0;
  globalRpcits = 0;
  /** z/VM intercepts of RPCIT (KVM exits are counted by QemuVm). */
  zvmExits = 0;
  /** RPCITs still to answer cc 1 status 16 whatever the resources (fault rpcit-out-of-resource). */
  forcedOutOfResource = 0;
  costs;
  timeline;
  qemu;
  interceptor;
  rpcitWhat;
  insuffKind;
  globalKind;
  constructor(deps) {
    this.window = deps.window;
    this.table = deps.table;
    this.hypervisor = deps.hypervisor;
    this.tlbRefresh = deps.hypervisor !== "lpar";
    this.costs = deps.costs;
    this.timeline = deps.timeline;
    this.qemu = deps.qemu;
    this.interceptor = deps.interceptor;
    if (deps.hypervisor === "kvm" && (deps.qemu === null || deps.interceptor === null)) {
      throw new Error("zPCI under KVM needs QEMU and its RPCIT shadow");
    }
    this.rpcitWhat = deps.qemu?.trapName("rpcit") ?? 0;
    this.lane = deps.timeline.defineLane(deps.laneName, "viommu");
    this.insuffKind = deps.timeline.defineKind({
      name: "rpcit insufficient resources",
      args: [
        { name: "iova", format: "hex" },
        { name: "size", format: "bytes" },
        { name: "entriesInUse", format: "int" }
      ],
      failure: true
    });
    this.globalKind = deps.timeline.defineKind({
      name: "rpcit global",
      args: [
        { name: "reason", format: "str" },
        { name: "windowBytes", format: "bytes" }
      ]
    });
  }
  /** zpci_refresh_trans: 0, -ENOMEM for cc 1 with status 4 or 16, -EIO for any other cc (as a positive errno). */
  refreshTrans(call, iova, size) {
    this.rpcitCalls++;
    let cc = ZPCI_PCI_LS_OK;
    let status = 0;
    switch (this.hypervisor) {
      case "lpar":
        call.t += this.costs.s390RpcitHwNs;
        break;
      case "zvm": {
        const first = Math.floor(iova / ZPCI_PAGE_SIZE);
        const visits = this.table.walkVisits(first, Math.ceil((iova + size) / ZPCI_PAGE_SIZE));
        this.zvmExits++;
        call.t += this.costs.vmExitNs + this.costs.qemuInvalidationNs + visits * this.costs.qemuPteWalkNs;
        break;
      }
      case "kvm": {
        const shadow = this.interceptor;
        shadow.prepare(call);
        this.qemu.trap(call, this.rpcitWhat, shadow, iova, size);
        cc = shadow.lastCc;
        status = shadow.lastStatus;
        break;
      }
      default: {
        const never = this.hypervisor;
        throw new Error(`unknown hypervisor ${String(never)}`);
      }
    }
    if (this.forcedOutOfResource > 0) {
      this.forcedOutOfResource--;
      cc = ZPCI_PCI_LS_ERR;
      status = ZPCI_RPCIT_ST_INSUFF_RES;
    }
    this.lastCc = cc;
    this.lastStatus = status;
    if (cc === ZPCI_PCI_LS_OK) return 0;
    if (status === ZPCI_RPCIT_ST_INSUFF_RES) {
      this.rpcitOutOfResource++;
      call.cause = this.timeline.record(
        call.t,
        0,
        this.lane,
        this.insuffKind,
        iova,
        size,
        this.interceptor?.entriesInUse ?? 0,
        call.cause
      );
    }
    return cc === ZPCI_PCI_LS_ERR && (status === 4 || status === ZPCI_RPCIT_ST_INSUFF_RES) ? ENOMEM : EIO;
  }
  /** zpci_refresh_all (zpci_refresh_global before 6.7): RPCIT over the whole window. */
  refreshAll(call, reason) {
    this.globalRpcits++;
    const t02 = call.t;
    const ev = this.timeline.record(
      t02,
      0,
      this.lane,
      this.globalKind,
      this.timeline.internString(reason),
      this.window.sizeBytes,
      0,
      call.cause
    );
    if (ev >= 0) call.cause = ev;
    const rc = this.refreshTrans(call, this.window.startDma, this.window.sizeBytes);
    this.timeline.setDuration(ev, call.t - t02);
    return rc;
  }
  collectMetrics(into) {
    addMetric(into, "rpcit.calls", this.rpcitCalls);
    addMetric(into, "rpcit.outOfResource", this.rpcitOutOfResource);
    addMetric(into, "rpcit.global", this.globalRpcits);
    if (this.hypervisor === "zvm") addMetric(into, "vmexits", this.zvmExits);
    maxMetric(into, "s390.table.entriesPeak", this.table.validPeak);
    maxMetric(into, "s390.window.bytes", this.window.sizeBytes);
  }
};

// core/model/s390/s390ZpciDmaTable.ts
var PTES_PER_SEGMENT = 256;
var SEGMENTS_PER_REGION = 2048;
var WORDS_PER_TABLE = PTES_PER_SEGMENT / 32;
function bitRange(lo2, hi2) {
  const upper = hi2 === 32 ? -1 : (1 << hi2) - 1;
  return upper & ~((1 << lo2) - 1);
}
var ZpciPageTable = class {
  /** Frame address of each entry (meaningful where valid; kept when invalidated, as the PTE is). */
  gpa = new Float64Array(PTES_PER_SEGMENT);
  valid = new Uint32Array(WORDS_PER_TABLE);
  /** ZPCI_TABLE_PROTECTED: the device may only read. */
  prot = new Uint32Array(WORDS_PER_TABLE);
  validCount = 0;
};
function lowerBound(sorted, key) {
  let lo2 = 0;
  let hi2 = sorted.length;
  while (lo2 < hi2) {
    const mid = lo2 + hi2 >>> 1;
    if (sorted[mid] < key) lo2 = mid + 1;
    else hi2 = mid;
  }
  return lo2;
}
function insertSorted(sorted, key) {
  const i = lowerBound(sorted, key);
  if (sorted[i] !== key) sorted.splice(i, 0, key);
}
var ZpciDmaTable = class {
  tables = /* @__PURE__ */ new Map();
  /** Segments with a page table, ascending. */
  populatedSegments = [];
  /** Regions with a segment table, ascending. */
  populatedRegions = [];
  validEntries = 0;
  validPeak = 0;
  pageTable(segment) {
    return this.tables.get(segment);
  }
  /** Index of the first populated segment >= `segment` in populatedSegments. */
  firstPopulatedIndex(segment) {
    return lowerBound(this.populatedSegments, segment);
  }
  isValid(page) {
    const t = this.tables.get(Math.floor(page / PTES_PER_SEGMENT));
    if (t === void 0) return false;
    const off = page % PTES_PER_SEGMENT;
    return (t.valid[off >>> 5] & 1 << (off & 31)) !== 0;
  }
  gpaOf(page) {
    return this.tables.get(Math.floor(page / PTES_PER_SEGMENT))?.gpa[page % PTES_PER_SEGMENT] ?? 0;
  }
  /** dma_walk_cpu_trans + dma_update_cpu_trans(VALID) for `pages` entries from `page`. */
  validate(page, gpa, pages, readonly) {
    let i = 0;
    while (i < pages) {
      const p = page + i;
      const seg = Math.floor(p / PTES_PER_SEGMENT);
      const t = this.tableFor(seg);
      const first = p - seg * PTES_PER_SEGMENT;
      const last = Math.min(PTES_PER_SEGMENT, first + pages - i);
      for (let off = first; off < last; off++) t.gpa[off] = gpa + (i + off - first) * ZPCI_PAGE_SIZE;
      for (let w = first >>> 5; w <= last - 1 >>> 5; w++) {
        const mask = bitRange(Math.max(first, w * 32) - w * 32, Math.min(last, w * 32 + 32) - w * 32);
        const fresh = popcount(mask & ~t.valid[w]);
        t.valid[w] = t.valid[w] | mask;
        t.validCount += fresh;
        this.validEntries += fresh;
        t.prot[w] = readonly ? t.prot[w] | mask : t.prot[w] & ~mask;
      }
      i += last - first;
    }
    if (this.validEntries > this.validPeak) this.validPeak = this.validEntries;
  }
  /** dma_update_cpu_trans(INVALID); page tables stay allocated. Returns entries that were valid. */
  invalidate(page, pages) {
    let cleared = 0;
    let i = 0;
    while (i < pages) {
      const p = page + i;
      const seg = Math.floor(p / PTES_PER_SEGMENT);
      const first = p - seg * PTES_PER_SEGMENT;
      const last = Math.min(PTES_PER_SEGMENT, first + pages - i);
      i += last - first;
      const t = this.tables.get(seg);
      if (t === void 0) continue;
      for (let w = first >>> 5; w <= last - 1 >>> 5; w++) {
        const hit = t.valid[w] & bitRange(Math.max(first, w * 32) - w * 32, Math.min(last, w * 32 + 32) - w * 32);
        if (hit === 0) continue;
        const n = popcount(hit);
        t.valid[w] = t.valid[w] & ~hit;
        t.validCount -= n;
        cleared += n;
      }
    }
    this.validEntries -= cleared;
    return cleared;
  }
  /**
   * Table entries a walker reads over [startPage, endPage) (s390_guest_io_table_walk per step): one
   * per page in a populated segment, one per empty segment of a populated region, one per empty
   * region. Frames are taken as aligned (see s390RpcitShadow.ts for QEMU's unaligned case).
   */
  walkVisits(startPage, endPage) {
    if (endPage <= startPage) return 0;
    const s0 = Math.floor(startPage / PTES_PER_SEGMENT);
    const s1 = Math.floor((endPage - 1) / PTES_PER_SEGMENT);
    let visits = 0;
    let popSegs = 0;
    const segs = this.populatedSegments;
    for (let i = lowerBound(segs, s0); i < segs.length && segs[i] <= s1; i++) {
      const base = segs[i] * PTES_PER_SEGMENT;
      visits += Math.min(endPage, base + PTES_PER_SEGMENT) - Math.max(startPage, base);
      popSegs++;
    }
    const r0 = Math.floor(s0 / SEGMENTS_PER_REGION);
    const r1 = Math.floor(s1 / SEGMENTS_PER_REGION);
    let popRegions = 0;
    let segsInPopRegions = 0;
    const regions = this.populatedRegions;
    for (let j = lowerBound(regions, r0); j < regions.length && regions[j] <= r1; j++) {
      const first = regions[j] * SEGMENTS_PER_REGION;
      segsInPopRegions += Math.min(s1, first + SEGMENTS_PER_REGION - 1) - Math.max(s0, first) + 1;
      popRegions++;
    }
    return visits + (segsInPopRegions - popSegs) + (r1 - r0 + 1 - popRegions);
  }
  snapshot() {
    return {
      validEntries: this.validEntries,
      populatedSegments: [...this.populatedSegments],
      entries: this.populatedSegments.map((s2) => {
        const t = this.tables.get(s2);
        return [s2, t.validCount, Array.from(t.valid), Array.from(t.prot), Array.from(t.gpa)];
      })
    };
  }
  checkInvariants() {
    const out = [];
    let total = 0;
    for (const s2 of this.populatedSegments) {
      const t = this.tables.get(s2);
      if (t === void 0) {
        out.push(`populated segment ${s2} has no page table`);
        continue;
      }
      let bits = 0;
      for (let w = 0; w < WORDS_PER_TABLE; w++) bits += popcount(t.valid[w]);
      if (bits !== t.validCount) out.push(`segment ${s2}: validCount ${t.validCount} but ${bits} valid bits`);
      total += bits;
      if (!this.populatedRegions.includes(Math.floor(s2 / SEGMENTS_PER_REGION))) out.push(`segment ${s2} lies in an unpopulated region`);
    }
    if (this.tables.size !== this.populatedSegments.length) out.push("page tables and the populated-segment list disagree");
    if (total !== this.validEntries) out.push(`validEntries ${this.validEntries} but ${total} valid bits`);
    return out;
  }
  tableFor(segment) {
    let t = this.tables.get(segment);
    if (t === void 0) {
      t = new ZpciPageTable();
      this.tables.set(segment, t);
      insertSorted(this.populatedSegments, segment);
      insertSorted(this.populatedRegions, Math.floor(segment / SEGMENTS_PER_REGION));
    }
    return t;
  }
};

// core/model/s390/s390RpcitShadow.ts
var WORDS = PTES_PER_SEGMENT / 32;
var ShadowPageTable = class {
  gpa = new Float64Array(PTES_PER_SEGMENT);
  cached = new Uint32Array(WORDS);
  prot = new Uint32Array(WORDS);
  /** Cached entries whose VFIO map failed (QEMU logged it and kept the entry). */
  unbacked = new Uint32Array(WORDS);
  count = 0;
};
var QemuS390PciShadow = class {
  lastCc = ZPCI_PCI_LS_OK;
  lastStatus = 0;
  /** This function's cache entries. */
  entries = 0;
  entriesPeak = 0;
  unbackedEntries = 0;
  served = 0;
  outOfResource = 0;
  retryPasses = 0;
  pteWalks = 0;
  iotlbLookups = 0;
  unmapNotifies = 0;
  remaps = 0;
  tables = /* @__PURE__ */ new Map();
  costs;
  qemu;
  container;
  table;
  count;
  // State of the walk in progress (rpcit_service_call's locals).
  localAvail = 1;
  again = false;
  runStart = 0;
  runPages = 0;
  workNs = 0;
  callT = 0;
  callCause = -1;
  // Maps of the walk not issued yet: consecutive pages to consecutive guest frames, same
  // permission. They go to VFIO as one vfioMapRun before any other VFIO call and at the end of a
  // pass, so VFIO sees the same calls in the same order as one map per entry.
  pendingPage = 0;
  pendingGpa = 0;
  pendingCount = 0;
  pendingReadonly = false;
  constructor(deps) {
    this.costs = deps.costs;
    this.qemu = deps.qemu;
    this.container = deps.container;
    this.table = deps.table;
    this.count = deps.count;
  }
  get entriesInUse() {
    return this.count.limited ? this.count.initial - this.count.avail : this.count.entries;
  }
  get dmaCount() {
    return this.count;
  }
  prepare(call) {
    this.callT = call.t;
    this.callCause = call.cause;
  }
  /**
   * rpcit_service_call for [iova, iova + size); returns QEMU's work in ns (the trap adds its base
   * cost). The guest layers only refresh inside the registered window, so QEMU's out-of-range and
   * function-error answers (cc 3, cc 1 with an error event) are not modelled.
   */
  serve(iova, size) {
    this.served++;
    const startPage = Math.floor(iova / ZPCI_PAGE_SIZE);
    const endPage = Math.ceil((iova + size) / ZPCI_PAGE_SIZE);
    this.workNs = 0;
    this.localAvail = this.count.limited ? this.count.avail : 1;
    let passes = 0;
    do {
      if (++passes > 2) throw new Error("rpcit_service_call: a repeated pass cannot free slots");
      this.again = false;
      this.walkPass(startPage, endPage);
    } while (this.again && this.localAvail > 0);
    this.retryPasses += passes - 1;
    const visits = this.table.walkVisits(startPage, endPage) * passes;
    const lookups = (endPage - startPage) * passes;
    this.pteWalks += visits;
    this.iotlbLookups += lookups;
    if (this.localAvail > 0) {
      this.lastCc = ZPCI_PCI_LS_OK;
      this.lastStatus = 0;
    } else {
      this.lastCc = ZPCI_PCI_LS_ERR;
      this.lastStatus = ZPCI_RPCIT_ST_INSUFF_RES;
      this.outOfResource++;
    }
    return this.workNs + visits * this.costs.qemuPteWalkNs + lookups * this.costs.qemuS390IotlbLookupNs;
  }
  walkPass(startPage, endPage) {
    const segs = this.table.populatedSegments;
    const s0 = Math.floor(startPage / PTES_PER_SEGMENT);
    const s1 = Math.floor((endPage - 1) / PTES_PER_SEGMENT);
    let prev = -2;
    for (let i = this.table.firstPopulatedIndex(s0); i < segs.length && segs[i] <= s1; i++) {
      const seg = segs[i];
      if (seg !== prev + 1) this.flushRun();
      prev = seg;
      const base = seg * PTES_PER_SEGMENT;
      const from = Math.max(startPage, base) - base;
      const to = Math.min(endPage, base + PTES_PER_SEGMENT) - base;
      this.walkSegment(seg, this.table.pageTable(seg), from, to);
    }
    this.flushRun();
    this.flushMaps();
  }
  /** Entries [from, to) of one populated segment, in ascending order. */
  walkSegment(seg, pt, from, to) {
    let sh = this.tables.get(seg);
    for (let w = from >>> 5; w <= to - 1 >>> 5; w++) {
      const lo2 = Math.max(from, w * 32) - w * 32;
      const hi2 = Math.min(to, w * 32 + 32) - w * 32;
      let valid = pt.valid[w] & bitRange(lo2, hi2);
      let pos = lo2;
      while (valid !== 0) {
        const bit = valid & -valid;
        const idx = 31 - Math.clz32(bit);
        if (idx > pos) this.invalidStretch(seg, sh, w, pos, idx);
        sh = this.validEntry(seg, pt, sh, w * 32 + idx);
        pos = idx + 1;
        valid ^= bit;
      }
      if (pos < hi2) this.invalidStretch(seg, sh, w, pos, hi2);
    }
  }
  /** Invalid PTEs [lo, hi) of word w: extend the coalesced unmap; cached ones leave the cache. */
  invalidStretch(seg, sh, w, lo2, hi2) {
    const first = seg * PTES_PER_SEGMENT + w * 32 + lo2;
    if (this.runPages === 0) this.runStart = first;
    this.runPages += hi2 - lo2;
    if (sh === void 0) return;
    let hit = sh.cached[w] & bitRange(lo2, hi2);
    while (hit !== 0) {
      const bit = hit & -hit;
      hit ^= bit;
      sh.cached[w] = sh.cached[w] & ~bit;
      if ((sh.unbacked[w] & bit) !== 0) {
        sh.unbacked[w] = sh.unbacked[w] & ~bit;
        this.unbackedEntries--;
      }
      sh.count--;
      this.entries--;
      this.count.entries--;
      if (this.count.limited) this.count.avail++;
    }
    this.localAvail = this.count.limited ? this.count.avail : 1;
  }
  /** One valid guest entry; returns the segment's shadow table (created on its first entry). */
  validEntry(seg, pt, table, off) {
    this.flushRun();
    if (this.localAvail <= 0) {
      this.again = true;
      return table;
    }
    const w = off >>> 5;
    const bit = 1 << (off & 31);
    const gpa = pt.gpa[off];
    const readonly = (pt.prot[w] & bit) !== 0;
    const sh = table ?? this.shadowTable(seg);
    const iova = (seg * PTES_PER_SEGMENT + off) * ZPCI_PAGE_SIZE;
    if ((sh.cached[w] & bit) !== 0) {
      if (sh.gpa[off] === gpa && (sh.prot[w] & bit) !== 0 === readonly) return sh;
      this.remaps++;
      this.flushMaps();
      this.workNs += this.qemu.vfioUnmap(this.container, iova, ZPCI_PAGE_SIZE);
      if ((sh.unbacked[w] & bit) !== 0) {
        sh.unbacked[w] = sh.unbacked[w] & ~bit;
        this.unbackedEntries--;
      }
      if (this.count.limited) this.count.leaked++;
    } else {
      sh.cached[w] = sh.cached[w] | bit;
      sh.count++;
      this.entries++;
      this.count.entries++;
      if (this.entries > this.entriesPeak) this.entriesPeak = this.entries;
    }
    sh.gpa[off] = gpa;
    sh.prot[w] = readonly ? sh.prot[w] | bit : sh.prot[w] & ~bit;
    if (this.count.limited) {
      this.count.avail--;
      if (this.count.avail < this.count.minAvail) this.count.minAvail = this.count.avail;
    }
    this.queueMap(seg * PTES_PER_SEGMENT + off, gpa, readonly);
    this.localAvail = this.count.limited ? this.count.avail : 1;
    return sh;
  }
  /** s390_pci_update_iotlb's VFIO map of `page`, issued with the pages queued next to it. */
  queueMap(page, gpa, readonly) {
    const n = this.pendingCount;
    if (n > 0 && page === this.pendingPage + n && gpa === this.pendingGpa + n * ZPCI_PAGE_SIZE && readonly === this.pendingReadonly) {
      this.pendingCount = n + 1;
      return;
    }
    this.flushMaps();
    this.pendingPage = page;
    this.pendingGpa = gpa;
    this.pendingCount = 1;
    this.pendingReadonly = readonly;
  }
  flushMaps() {
    if (this.pendingCount === 0) return;
    const count = this.pendingCount;
    this.pendingCount = 0;
    this.workNs = this.qemu.vfioMapRun(
      this.container,
      this.pendingPage * ZPCI_PAGE_SIZE,
      this.pendingGpa,
      count,
      this.pendingReadonly,
      this.callT,
      this.callCause,
      this.workNs,
      this
    );
  }
  /** A queued map failed: QEMU logged it and keeps the entry in its cache, unbacked. */
  vfioMapFailed(index) {
    const page = this.pendingPage + index;
    const sh = this.shadowTable(Math.floor(page / PTES_PER_SEGMENT));
    const off = page % PTES_PER_SEGMENT;
    const bit = 1 << (off & 31);
    sh.unbacked[off >>> 5] = sh.unbacked[off >>> 5] | bit;
    this.unbackedEntries++;
  }
  /** s390_pci_batch_unmap: power-of-two aligned chunks (dma_aligned_pow2_mask), one notify each. */
  flushRun() {
    if (this.runPages === 0) return;
    this.flushMaps();
    let page = this.runStart;
    let remain = this.runPages;
    while (remain > 0) {
      const align = page === 0 ? Infinity : lowestSetBit(page);
      const chunk = Math.min(align, roundDownPowerOfTwo(remain));
      this.unmapNotifies++;
      this.workNs += this.qemu.vfioUnmap(this.container, page * ZPCI_PAGE_SIZE, chunk * ZPCI_PAGE_SIZE);
      page += chunk;
      remain -= chunk;
    }
    this.runPages = 0;
  }
  shadowTable(seg) {
    let sh = this.tables.get(seg);
    if (sh === void 0) {
      sh = new ShadowPageTable();
      this.tables.set(seg, sh);
    }
    return sh;
  }
  /** Whether QEMU holds `page` and, if so, the guest frame it mapped (for tests and invariants). */
  cachedGpa(page) {
    const sh = this.tables.get(Math.floor(page / PTES_PER_SEGMENT));
    const off = page % PTES_PER_SEGMENT;
    if (sh === void 0 || (sh.cached[off >>> 5] & 1 << (off & 31)) === 0) return null;
    return sh.gpa[off];
  }
  collectMetrics(into) {
    addMetric(into, "s390.shadow.retryPasses", this.retryPasses);
    addMetric(into, "s390.shadow.pteWalks", this.pteWalks);
    addMetric(into, "s390.shadow.iotlbLookups", this.iotlbLookups);
    addMetric(into, "s390.shadow.unmapNotifies", this.unmapNotifies);
    addMetric(into, "s390.shadow.remaps", this.remaps);
    addMetric(into, "s390.shadow.unbackedEntries", this.unbackedEntries);
    maxMetric(into, "s390.shadow.entriesPeak", this.entriesPeak);
    if (this.count.limited) {
      const prev = into["s390.shadow.dmaAvailMin"];
      into["s390.shadow.dmaAvailMin"] = prev === void 0 ? this.count.minAvail : Math.min(prev, this.count.minAvail);
    }
  }
  snapshot() {
    const segs = [...this.tables.keys()].sort((a, b) => a - b);
    return {
      entries: this.entries,
      unbacked: this.unbackedEntries,
      avail: this.count.avail,
      countEntries: this.count.entries,
      leaked: this.count.leaked,
      cache: segs.map((s2) => {
        const sh = this.tables.get(s2);
        const gpas = [];
        for (let off = 0; off < PTES_PER_SEGMENT; off++)
          if ((sh.cached[off >>> 5] & 1 << (off & 31)) !== 0) gpas.push(off, sh.gpa[off]);
        return [s2, Array.from(sh.cached), Array.from(sh.prot), Array.from(sh.unbacked), gpas];
      })
    };
  }
  checkInvariants() {
    const out = [];
    let total = 0;
    let unbacked = 0;
    for (const [seg, sh] of this.tables) {
      let bits = 0;
      for (let w = 0; w < WORDS; w++) {
        bits += popcount(sh.cached[w]);
        unbacked += popcount(sh.unbacked[w]);
        if ((sh.unbacked[w] & ~sh.cached[w]) !== 0) out.push(`shadow segment ${seg}: unbacked entries outside the cache`);
      }
      if (bits !== sh.count) out.push(`shadow segment ${seg}: count ${sh.count} but ${bits} cached bits`);
      if (bits > 0 && this.table.pageTable(seg) === void 0)
        out.push(`shadow segment ${seg} caches entries of a segment the guest never populated`);
      total += bits;
    }
    if (total !== this.entries) out.push(`shadow entries ${this.entries} but ${total} cached bits`);
    if (unbacked !== this.unbackedEntries) out.push(`unbacked entries ${this.unbackedEntries} but ${unbacked} bits`);
    const c = this.count;
    if (c.limited && c.avail !== c.initial - c.entries - c.leaked) {
      out.push(`dma_avail ${c.avail} != DMA_AVAIL at plug ${c.initial} - cached ${c.entries} - remap leaks ${c.leaked}`);
    }
    if (c.limited && c.avail < 0) out.push(`dma_avail went negative (${c.avail})`);
    return out;
  }
};

// core/model/s390/s390PciDmaCount.ts
var S390PciDmaCount = class {
  constructor(initial) {
    this.initial = initial;
    this.avail = initial ?? 0;
    this.minAvail = this.avail;
  }
  avail;
  /** QEMU cache entries of all functions using this container. */
  entries = 0;
  /** Slots lost to remaps (dma_avail-- without ++ in s390_pci_update_iotlb). */
  leaked = 0;
  users = 1;
  minAvail;
  get limited() {
    return this.initial !== null;
  }
};
var S390PciDmaCounts = class {
  byContainer = /* @__PURE__ */ new Map();
  /**
   * Joins (or creates) the container's counter. QEMU sets the function's max_dma_limit only when
   * it creates the counter, so a second function on the same container gets 0 (no aperture shrink).
   */
  start(container) {
    const known = this.byContainer.get(container);
    if (known !== void 0) {
      known.users++;
      return { count: known, maxDmaLimit: 0 };
    }
    const avail = container.getInfo().dmaAvail;
    const count = new S390PciDmaCount(Number.isFinite(avail) && avail >= 0 ? avail : null);
    this.byContainer.set(container, count);
    return { count, maxDmaLimit: count.initial ?? 0 };
  }
};

// core/model/s390/s390IommuDriver.ts
var S390IommuDriver = class {
  constructor(zpci, costs, timeline, options) {
    this.zpci = zpci;
    this.costs = costs;
    this.timeline = timeline;
    this.options = options;
    this.name = options.name;
    this.deferredFlush = !options.ism;
    this.shadowOnFlush = zpci.tlbRefresh;
    this.reservedRanges = zpci.window.reservedRanges();
    this.failKind = timeline.defineKind({
      name: "dma map failed",
      args: [
        { name: "iova", format: "hex" },
        { name: "size", format: "bytes" },
        { name: "errno", format: "errno" }
      ],
      failure: true
    });
  }
  name;
  deferredFlush;
  shadowOnFlush;
  apertureStart = 0;
  apertureLast = ZPCI_TABLE_SPAN2 - 1;
  reservedRanges;
  maps = 0;
  unmaps = 0;
  /** Maps refused by s390_iommu_map_pages (-EINVAL). */
  invalidMaps = 0;
  /** Maps whose iotlb_sync_map failed for good. */
  syncMapFailures = 0;
  rangeRpcits = 0;
  globalRpcits = 0;
  globalFlushRetries = 0;
  failKind;
  /** iommu_map: s390_iommu_map_pages, then iotlb_sync_map; undone with iommu_unmap on failure. */
  map(call, iova, gpa, size, write) {
    if (size <= 0 || iova % ZPCI_PAGE_SIZE !== 0 || gpa % ZPCI_PAGE_SIZE !== 0 || size % ZPCI_PAGE_SIZE !== 0) {
      this.invalidMaps++;
      call.errno = EINVAL;
      return;
    }
    if (iova < this.apertureStart || iova + size - 1 > this.apertureLast) {
      this.invalidMaps++;
      call.errno = EINVAL;
      return;
    }
    const page = iova / ZPCI_PAGE_SIZE;
    const pages = size / ZPCI_PAGE_SIZE;
    this.zpci.table.validate(page, gpa, pages, !write);
    call.t += pages * this.costs.guestPteWriteNs;
    const rc = this.iotlbSyncMap(call, iova, size);
    if (rc === 0) {
      this.maps++;
      return;
    }
    this.syncMapFailures++;
    call.cause = this.timeline.record(
      call.t,
      0,
      this.zpci.lane,
      this.failKind,
      iova,
      size,
      this.timeline.internString(linuxErrnoName(rc) ?? "E?"),
      call.cause
    );
    this.zpci.table.invalidate(page, pages);
    call.t += pages * this.costs.guestPteWriteNs;
    this.rangeRpcits++;
    this.zpci.refreshTrans(call, iova, size);
    call.errno = rc;
  }
  /** s390_iommu_iotlb_sync_map: nothing to do without tlb_refresh. Returns 0 or a positive errno. */
  iotlbSyncMap(call, iova, size) {
    if (!this.zpci.tlbRefresh) return 0;
    this.rangeRpcits++;
    const rc = this.zpci.refreshTrans(call, iova, size);
    if (rc !== ENOMEM || !this.options.globalFlushRetry) return rc;
    this.globalFlushRetries++;
    this.globalRpcits++;
    return this.zpci.refreshAll(call, "enomem-retry");
  }
  /** s390_iommu_unmap_pages: entries invalid, range gathered; no RPCIT. */
  unmap(call, iova, size) {
    const pages = Math.ceil(size / ZPCI_PAGE_SIZE);
    this.zpci.table.invalidate(Math.floor(iova / ZPCI_PAGE_SIZE), pages);
    call.t += pages * this.costs.guestPteWriteNs;
    this.unmaps++;
  }
  /** s390_iommu_iotlb_sync: RPCIT over the gathered range; the result is ignored. */
  iotlbSync(call, iova, size) {
    this.rangeRpcits++;
    this.zpci.refreshTrans(call, iova, size);
  }
  /** s390_iommu_flush_iotlb_all: zpci_refresh_all; the result is ignored. */
  flushIotlbAll(call) {
    this.globalRpcits++;
    this.zpci.refreshAll(call, "flush-queue");
  }
  collectMetrics(into) {
    addMetric(into, "rpcit.globalFlushRetries", this.globalFlushRetries);
    addMetric(into, "s390.syncMapFailures", this.syncMapFailures);
    addMetric(into, "s390.invalidMaps", this.invalidMaps);
  }
  checkInvariants() {
    return this.zpci.table.checkInvariants();
  }
};

// core/model/s390/s390LegacyDma.ts
import * as hdr2 from "hdr-histogram-js";
var SEG_BOUNDARY_PAGES = 2 ** 32 / ZPCI_PAGE_SIZE;
var S390LegacyDma = class {
  constructor(zpci, costs, timeline, options) {
    this.zpci = zpci;
    this.costs = costs;
    this.timeline = timeline;
    this.options = options;
    this.usablePages = zpci.window.pages - 1;
    this.shiftPages = zpci.window.startDma / ZPCI_PAGE_SIZE;
    this.failKind = timeline.defineKind({
      name: "dma map failed",
      args: [
        { name: "iova", format: "hex" },
        { name: "size", format: "bytes" },
        { name: "errno", format: "errno" }
      ],
      failure: true
    });
  }
  label = "s390-legacy";
  /** zdev->next_bit. */
  nextBit = 0;
  maps = 0;
  unmaps = 0;
  mapFailures = 0;
  iovaExhaustions = 0;
  wraps = 0;
  globalRpcits = 0;
  globalFlushRetries = 0;
  rangeRpcits = 0;
  unmapErrors = 0;
  lazyPeak = 0;
  /** From an unmap to the flush that makes the address unreachable (a global RPCIT, or the strict RPCIT). */
  staleWindowNs = hdr2.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 36e11,
    numberOfSignificantValueDigits: 3
  });
  allocated = new IntervalMap();
  lazy = [];
  lastUnmap = null;
  lastUnmapAddr = 0;
  lastUnmapBytes = 0;
  lastUnmapCause = -1;
  lastUnmapAtNs = 0;
  lastUnmapReused = false;
  /** iommu_pages - 1: iommu_area_alloc never hands out the last page. */
  usablePages;
  /** iommu_area_alloc's shift: start_dma in pages, for the boundary check. */
  shiftPages;
  failKind;
  /** s390_dma_map_pages. */
  map(call, _dev, gpa, bytes, write) {
    call.t += this.costs.guestDmaMapNs;
    const pageOffset = gpa % ZPCI_PAGE_SIZE;
    const pages = pagesSpanned(gpa, bytes, ZPCI_PAGE_SIZE);
    const offset = this.allocAddress(call, pages);
    if (offset < 0) {
      this.iovaExhaustions++;
      this.fail(call, 0, pages, ENOMEM);
      return;
    }
    const dmaAddr = this.zpci.window.startDma + offset * ZPCI_PAGE_SIZE;
    const firstPage = dmaAddr / ZPCI_PAGE_SIZE;
    this.zpci.table.validate(firstPage, gpa - pageOffset, pages, !write);
    call.t += pages * this.costs.guestPteWriteNs;
    const rc = this.purgeTlb(call, dmaAddr, pages, true);
    if (rc !== 0) {
      this.zpci.table.invalidate(firstPage, pages);
      call.t += pages * this.costs.guestPteWriteNs;
      this.freeAddress(this.allocated.containing(offset), call.t);
      this.fail(call, dmaAddr, pages, rc);
      return;
    }
    call.dmaAddr = dmaAddr + pageOffset;
    this.maps++;
  }
  /** s390_dma_alloc: DMA_BIDIRECTIONAL, masks ignored as everywhere in this code. */
  allocCoherent(call, dev, gpa, bytes) {
    this.map(call, dev, gpa, bytes, true);
  }
  /** s390_dma_unmap_pages. */
  unmap(call, dmaAddr, bytes) {
    call.t += this.costs.guestDmaMapNs;
    const pages = pagesSpanned(dmaAddr, bytes, ZPCI_PAGE_SIZE);
    const base = dmaAddr - dmaAddr % ZPCI_PAGE_SIZE;
    const offset = (base - this.zpci.window.startDma) / ZPCI_PAGE_SIZE;
    const ext = this.allocated.containing(offset);
    if (ext === void 0 || ext.lazy || ext.start !== offset || ext.last !== offset + pages - 1) {
      call.errno = EINVAL;
      return;
    }
    this.zpci.table.invalidate(base / ZPCI_PAGE_SIZE, pages);
    call.t += pages * this.costs.guestPteWriteNs;
    const clearedAt = call.t;
    const rc = this.purgeTlb(call, base, pages, false);
    this.unmaps++;
    if (rc !== 0) {
      this.unmapErrors++;
      return;
    }
    if (this.options.strict) this.staleWindowNs.recordValue(Math.max(1, call.t - clearedAt));
    this.freeAddress(ext, clearedAt);
    this.lastUnmap = ext;
    this.lastUnmapAddr = dmaAddr;
    this.lastUnmapBytes = bytes;
    this.lastUnmapCause = call.cause;
    this.lastUnmapAtNs = clearedAt;
    this.lastUnmapReused = false;
  }
  /** Lazy: the address stays reachable until the global RPCIT that merges the lazy bitmap. */
  probeLastUnmap() {
    const ext = this.lastUnmap;
    if (ext === null) return null;
    let outcome5;
    if (this.lastUnmapReused) outcome5 = "remapped";
    else if (ext.lazy && this.lazy.includes(ext)) outcome5 = "stale";
    else outcome5 = "fault";
    return {
      dmaAddr: this.lastUnmapAddr,
      bytes: this.lastUnmapBytes,
      unmappedAtNs: this.lastUnmapAtNs,
      cause: this.lastUnmapCause,
      outcome: outcome5
    };
  }
  fqDepth() {
    return this.lazy.length;
  }
  /** dma_alloc_address: page offset in the window, or -1. */
  allocAddress(call, pages) {
    call.t += this.costs.guestIovaAllocNs;
    let offset = this.findArea(this.nextBit, pages);
    if (offset < 0) {
      this.wraps++;
      if (!this.options.strict) {
        this.globalRpcits++;
        if (this.zpci.refreshAll(call, "wrap") !== 0) return -1;
        this.mergeLazy(call.t);
      }
      call.t += this.costs.guestIovaAllocNs;
      offset = this.findArea(0, pages);
      if (offset < 0) return -1;
    }
    this.nextBit = offset + pages;
    this.allocated.insert({ start: offset, last: offset + pages - 1, lazy: false, unmappedAtNs: 0 });
    const last = this.lastUnmap;
    if (last !== null && offset <= last.last && last.start <= offset + pages - 1) this.lastUnmapReused = true;
    return offset;
  }
  /** iommu_area_alloc: first fit at or after `start`, not past usablePages, not spanning a seg boundary. */
  findArea(start, pages) {
    let pos = start;
    for (; ; ) {
      if (pos + pages > this.usablePages) return -1;
      const into = (this.shiftPages + pos) % SEG_BOUNDARY_PAGES;
      if (into + pages > SEG_BOUNDARY_PAGES) {
        pos += SEG_BOUNDARY_PAGES - into;
        continue;
      }
      const hit = this.allocated.firstOverlap(pos, pos + pages - 1);
      if (hit === void 0) return pos;
      pos = hit.last + 1;
    }
  }
  /** dma_free_address: strict clears the bits, lazy marks them in lazy_bitmap. */
  freeAddress(ext, nowNs) {
    if (this.options.strict) {
      this.allocated.delete(ext);
      return;
    }
    ext.lazy = true;
    ext.unmappedAtNs = nowNs;
    this.lazy.push(ext);
    if (this.lazy.length > this.lazyPeak) this.lazyPeak = this.lazy.length;
  }
  /** bitmap_andnot(iommu_bitmap, lazy_bitmap) + bitmap_zero(lazy_bitmap), after a global RPCIT. */
  mergeLazy(flushedAtNs) {
    for (const ext of this.lazy) {
      this.allocated.delete(ext);
      this.staleWindowNs.recordValue(Math.max(1, flushedAtNs - ext.unmappedAtNs));
    }
    this.lazy = [];
  }
  /** __dma_purge_tlb. Returns 0 or a positive errno. */
  purgeTlb(call, dmaAddr, pages, validating) {
    if (validating ? !this.zpci.tlbRefresh : !this.options.strict) return 0;
    this.rangeRpcits++;
    const rc = this.zpci.refreshTrans(call, dmaAddr, pages * ZPCI_PAGE_SIZE);
    if (rc !== ENOMEM || this.options.strict) return rc;
    this.globalFlushRetries++;
    this.globalRpcits++;
    if (this.zpci.refreshAll(call, "enomem-retry") !== 0) return rc;
    this.mergeLazy(call.t);
    return 0;
  }
  fail(call, iova, pages, errno) {
    this.mapFailures++;
    call.cause = this.timeline.record(
      call.t,
      0,
      this.zpci.lane,
      this.failKind,
      iova,
      pages * ZPCI_PAGE_SIZE,
      this.timeline.internString(linuxErrnoName(errno) ?? "E?"),
      call.cause
    );
    call.errno = errno;
  }
  collectMetrics(into) {
    addMetric(into, "dma.maps", this.maps);
    addMetric(into, "dma.unmaps", this.unmaps);
    addMetric(into, "dma.mapFailures", this.mapFailures);
    addMetric(into, "iova.exhaustions", this.iovaExhaustions);
    addMetric(into, "iotlb.flushes.global", this.globalRpcits);
    addMetric(into, "iotlb.flushes.range", this.rangeRpcits);
    addMetric(into, "rpcit.globalFlushRetries", this.globalFlushRetries);
    addMetric(into, "s390.legacy.wraps", this.wraps);
    addMetric(into, "s390.legacy.unmapErrors", this.unmapErrors);
    maxMetric(into, "fq.peakDepth", this.lazyPeak);
    if (this.staleWindowNs.totalCount > 0) maxMetric(into, "staleIotlbWindowUsP99", this.staleWindowNs.getValueAtPercentile(99) / 1e3);
  }
  snapshot() {
    return {
      nextBit: this.nextBit,
      allocated: [...this.allocated.values()].map((e) => [e.start, e.last, e.lazy]),
      lazy: this.lazy.map((e) => e.start),
      table: this.zpci.table.snapshot()
    };
  }
  checkInvariants() {
    const out = this.zpci.table.checkInvariants();
    let lazyInMap = 0;
    let prevLast = -1;
    for (const e of this.allocated.values()) {
      if (e.start <= prevLast) out.push(`legacy bitmap: allocation at ${e.start} overlaps the previous one`);
      if (e.last >= this.usablePages) out.push(`legacy bitmap: allocation [${e.start}, ${e.last}] reaches the never-used last page`);
      if (e.lazy) lazyInMap++;
      prevLast = e.last;
    }
    if (lazyInMap !== this.lazy.length) out.push(`lazy list holds ${this.lazy.length} addresses but the bitmap marks ${lazyInMap}`);
    if (this.nextBit > this.usablePages) out.push(`next_bit ${this.nextBit} is past the bitmap`);
    return out;
  }
};

// core/model/s390/s390Viommu.ts
var S390Viommu = class {
  constructor(window, zpci, shadow, driver, dmaOps) {
    this.window = window;
    this.zpci = zpci;
    this.shadow = shadow;
    this.driver = driver;
    this.dmaOps = dmaOps;
  }
  /** Front-end metrics; the legacy layer's own (dma.*) come through the stack as its GuestDmaOps. */
  collectMetrics(into) {
    this.zpci.collectMetrics(into);
    this.driver?.collectMetrics(into);
    this.shadow?.collectMetrics(into);
  }
  checkInvariants() {
    const own = this.dmaOps?.checkInvariants() ?? this.driver?.checkInvariants() ?? [];
    return [...own, ...this.shadow?.checkInvariants() ?? []];
  }
};
function zpciHypervisor(hv) {
  if (hv === "kvm" || hv === "zvm" || hv === "lpar") return hv;
  throw new Error(`the s390 zPCI vIOMMU needs an s390 hypervisor (kvm, zvm or lpar), not ${hv}`);
}
function createS390Viommu(ctx, dmaCounts = new S390PciDmaCounts()) {
  const opts = ctx.vm.viommu.s390;
  const hypervisor = zpciHypervisor(ctx.scenario.host.hypervisor);
  const ism = ctx.device.kind === "ism";
  let started = null;
  if (hypervisor === "kvm") {
    if (ctx.qemu === null || ctx.container === null) throw new Error("s390 zPCI under KVM needs the VM's QEMU and a VFIO container");
    started = dmaCounts.start(ctx.container);
  }
  const window = new S390DmaWindow({
    sdma: opts.startDma,
    restrictToDmaLimit: ism || opts.apertureRestriction,
    maxDmaLimit: started?.maxDmaLimit ?? 0,
    ramBytes: ctx.vm.memoryBytes,
    apertureFactor: opts.apertureFactor
  });
  const table = new ZpciDmaTable();
  const shadow = started === null ? null : new QemuS390PciShadow({ costs: ctx.costs, qemu: ctx.qemu, container: ctx.container, table, count: started.count });
  const zpci = new ZpciFunction({
    window,
    table,
    hypervisor,
    costs: ctx.costs,
    timeline: ctx.timeline,
    laneName: `viommu.${ctx.device.name}`,
    qemu: shadow === null ? null : ctx.qemu,
    interceptor: shadow
  });
  if (ctx.vm.guest.dmaMode === "s390-legacy") {
    const legacy = new S390LegacyDma(zpci, ctx.costs, ctx.timeline, { strict: opts.legacyStrict });
    return new S390Viommu(window, zpci, shadow, null, legacy);
  }
  const driver = new S390IommuDriver(zpci, ctx.costs, ctx.timeline, {
    name: `s390-iommu.${ctx.device.name}`,
    ism,
    globalFlushRetry: opts.globalFlushRetry
  });
  return new S390Viommu(window, zpci, shadow, driver, null);
}

// core/faults/hostFaults.ts
var HOST_FAULT_HANDLERS = {
  "memlock-shrink": (ctx, fault, cause) => {
    const stack = ctx.stack();
    stack.env.process.setMemlockLimit(fault.bytes);
    const lane = ctx.sim.timeline.defineLane("host.process", "host");
    const kind = ctx.sim.timeline.defineKind({
      name: "RLIMIT_MEMLOCK lowered",
      args: [
        { name: "limit", format: "bytes" },
        { name: "locked", format: "bytes" }
      ]
    });
    ctx.sim.timeline.record(ctx.sim.now, 0, lane, kind, fault.bytes, stack.env.process.lockedPages * PAGE_SIZE, 0, cause);
  },
  "rpcit-out-of-resource": (ctx, fault) => {
    const stack = ctx.stack();
    let hit = 0;
    for (const vm of stack.vms) {
      for (const d of vm.devices) {
        if (fault.device !== void 0 && d.config.name !== fault.device) continue;
        const frontEnd = d.frontEnd;
        if (frontEnd instanceof S390Viommu) {
          frontEnd.zpci.forcedOutOfResource += fault.count;
          hit++;
        }
      }
    }
    if (hit === 0) throw new Error("rpcit-out-of-resource found no s390 zPCI function (the scenario should have been rejected)");
  }
};

// core/faults/eehFaults.ts
var EEH_FAULT_HANDLERS = {
  "eeh-freeze": (ctx, fault, cause) => {
    const vm = eehVmOfHostPe(ctx.scenario, fault.pe);
    if (vm === void 0) throw new Error(`no host PE ${fault.pe} (the scenario should have been rejected)`);
    const stack = ctx.stack();
    const qemu = stack.vms.find((v) => v.config.name === vm.name)?.qemu ?? null;
    eehSystemFor(stack.env, vm, ctx.sim, qemu).freeze(fault.pe, ctx.sim.now, cause);
  },
  "eeh-recovery-step-fails": (ctx, fault) => {
    const vm = eehVmOfHostPe(ctx.scenario, fault.pe);
    if (vm === void 0) throw new Error(`no host PE ${fault.pe} (the scenario should have been rejected)`);
    const stack = ctx.stack();
    const qemu = stack.vms.find((v) => v.config.name === vm.name)?.qemu ?? null;
    const eeh = eehSystemFor(stack.env, vm, ctx.sim, qemu);
    eeh.advanceTo(ctx.sim.now);
    eeh.armStepFailure(fault.pe, fault.step);
  }
};
function eehFaultProblem(scenario, fault) {
  if (fault.kind !== "eeh-freeze" && fault.kind !== "eeh-recovery-step-fails") return null;
  if (eehVmOfHostPe(scenario, fault.pe) === void 0) return { field: "pe", message: `no device sits in host PE ${fault.pe}` };
  return null;
}

// core/faults/windowChangeFaults.ts
function handleWindowChangeFault(ctx, fault, cause) {
  const stack = ctx.stack();
  for (const inst of stack.env.instances()) {
    if (!(inst instanceof SpaprMachine)) continue;
    const phb = inst.phbOfHostPe(fault.pe);
    if (phb === void 0) continue;
    inst.windowChange.change(phb, fault.pageShift, fault.windowShift, ctx.sim.now, cause);
    return;
  }
  const tl = ctx.sim.timeline;
  const kind = tl.defineKind({
    name: "window-change: no guest PHB holds this host PE",
    args: [{ name: "pe", format: "int" }],
    failure: true
  });
  tl.record(ctx.sim.now, 0, tl.defineLane("faults", "faults"), kind, fault.pe, 0, 0, cause);
  stack.countIncident("window.changeWithoutPe");
}

// core/faults/faultRegistry.ts
var FAULT_HANDLERS = {
  ...DEVICE_FAULT_HANDLERS,
  ...DMA_FAULT_HANDLERS,
  ...HOST_FAULT_HANDLERS,
  ...EEH_FAULT_HANDLERS,
  "window-change": (ctx, fault, cause) => handleWindowChangeFault(ctx, fault, cause)
};
var FAULT_ARCH = {
  "eeh-freeze": "ppc64le",
  "eeh-recovery-step-fails": "ppc64le",
  "window-change": "ppc64le",
  "rpcit-out-of-resource": "s390x"
};
function faultScenarioProblem(scenario, fault) {
  const arch = FAULT_ARCH[fault.kind];
  if (arch !== void 0 && scenario.host.arch !== arch) {
    return { field: "kind", message: `fault "${fault.kind}" needs host.arch ${arch}, not ${scenario.host.arch}` };
  }
  const devices = scenario.vms.flatMap((vm) => vm.devices.map((d) => d.name));
  if ("device" in fault && fault.device !== void 0 && !devices.includes(fault.device)) {
    return { field: "device", message: `no device named "${fault.device}"` };
  }
  const eeh = eehFaultProblem(scenario, fault);
  if (eeh !== null) return eeh;
  if (fault.kind === "rpcit-out-of-resource") {
    const zpci = scenario.vms.filter((vm) => vm.viommu.model === "s390-zpci");
    const target = fault.device === void 0 ? zpci.length > 0 : zpci.some((vm) => vm.devices.some((d) => d.name === fault.device));
    if (!target) return { field: fault.device === void 0 ? "kind" : "device", message: "needs a device behind the s390-zpci vIOMMU" };
  }
  if (fault.kind === "guest-reset" && fault.vm !== void 0 && !scenario.vms.some((vm) => vm.name === fault.vm)) {
    return { field: "vm", message: `no VM named "${fault.vm}"` };
  }
  return null;
}
function runFault(ctx, fault, cause) {
  const handler = FAULT_HANDLERS[fault.kind];
  handler(ctx, fault, cause);
}

// core/run/scenarioChecks.ts
function checkScenario(scenario) {
  const problems = [];
  const arch = scenario.host.arch;
  if (arch === "ppc64le") for (const p of eehPlacementProblems(scenario)) problems.push(`${p.path}: ${p.message}`);
  scenario.faults.forEach((f, i) => {
    const misfit = faultScenarioProblem(scenario, f);
    if (misfit !== null) problems.push(`faults.${i}.${misfit.field}: ${misfit.message}`);
  });
  scenario.vms.forEach((vm, i) => {
    const assignment = intelIommuAssignmentProblem(vm, vm.devices);
    if (assignment !== null) problems.push(`vms.${i}.viommu.intel.cachingMode: QEMU refuses to start: "${assignment}"`);
  });
  problems.push(...opsProblems(scenario));
  return problems;
}
function opsProblems(scenario) {
  if (scenario.workload.kind !== "ops") return [];
  const problems = [];
  scenario.workload.steps.forEach((step, i) => {
    const where = `workload.steps.${i}`;
    const problem = opProblem(step.op);
    if (problem !== null) {
      problems.push(`${where}.op: ${problem}`);
      return;
    }
    if (step.op.startsWith("vfio.") && scenario.host.vfio.backend.startsWith("spapr")) {
      problems.push(
        `${where}.op: ${step.op} needs a type1 or iommufd backend; host.vfio.backend is ${scenario.host.vfio.backend} (use the spapr.* ops)`
      );
      return;
    }
    const parsed = OPS.get(step.op).args.safeParse(step.args);
    if (!parsed.success) {
      problems.push(...formatIssues(parsed.error.issues).map((p) => `${where}.args.${p.replace(/^\(root\): /, "")}`));
      return;
    }
    for (const key of Object.keys(step.repeat?.add ?? {})) {
      if (typeof parsed.data[key] !== "number") {
        problems.push(`${where}.repeat.add.${key}: "${key}" is not a numeric argument of ${step.op}`);
      }
    }
  });
  return problems;
}
function loadRunnableScenario(source, overrides = [], seed) {
  return loadScenario(source, overrides, seed, checkScenario);
}
function validateRunnableScenario(input) {
  return validateScenario(input, checkScenario);
}

// core/run/runPlan.ts
var VARIANT_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
function buildRunPlan(base, variants = [], extraClaims = []) {
  const problems = [];
  const names = /* @__PURE__ */ new Set();
  const planned2 = [];
  for (const v of variants) {
    if (!VARIANT_NAME.test(v.name))
      problems.push(`variants.${v.name}: a variant name starts with a letter and uses letters, digits, "-" or "_"`);
    if (names.has(v.name)) problems.push(`variants.${v.name}: duplicate variant name`);
    names.add(v.name);
    const overridden = applyOverrides({ ...base, claims: [] }, v.set);
    if (!overridden.ok) {
      problems.push(...overridden.problems.map((p) => `variants.${v.name}: ${p}`));
      continue;
    }
    const loaded = validateRunnableScenario(overridden.value);
    if (!loaded.ok) problems.push(...loaded.problems.map((p) => `variants.${v.name}: ${p}`));
    else planned2.push({ name: v.name, description: v.description, set: v.set, scenario: loaded.scenario });
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, plan: { base, variants: planned2, claims: [...base.claims, ...extraClaims] } };
}

// core/run/presetPlan.ts
function presetPlan(preset, overrides = [], seed) {
  const loaded = loadRunnableScenario({ value: preset.scenario }, overrides, seed);
  if (!loaded.ok) return loaded;
  const claims = (preset.claims ?? []).map((c) => ClaimSpecSchema.parse(c));
  return buildRunPlan(loaded.scenario, preset.variants ?? [], claims);
}

// core/sim/eventQueue.ts
var MAX_PRIORITY = 511;
var SEQ_SPAN = 2 ** 43;
var EventQueue = class {
  capacity;
  heapTime;
  heapKey;
  heapSlot;
  slotHandler;
  slotKind;
  slotA;
  slotB;
  freeSlots;
  freeCount = 0;
  nextFreshSlot = 0;
  count = 0;
  seq = 0;
  // Fields of the most recently popped event, read by the dispatcher without allocation.
  poppedTime = 0;
  poppedHandler = 0;
  poppedKind = 0;
  poppedA = 0;
  poppedB = 0;
  constructor(initialCapacity = 1024) {
    this.capacity = Math.max(16, initialCapacity);
    this.heapTime = new Float64Array(this.capacity);
    this.heapKey = new Float64Array(this.capacity);
    this.heapSlot = new Int32Array(this.capacity);
    this.slotHandler = new Int32Array(this.capacity);
    this.slotKind = new Int32Array(this.capacity);
    this.slotA = new Float64Array(this.capacity);
    this.slotB = new Float64Array(this.capacity);
    this.freeSlots = new Int32Array(this.capacity);
  }
  get size() {
    return this.count;
  }
  /** Total schedule calls so far (the next sequence number). */
  get scheduledTotal() {
    return this.seq;
  }
  peekTime() {
    if (this.count === 0) throw new Error("EventQueue.peekTime on an empty queue");
    return this.heapTime[0];
  }
  push(time, priority, handler, kind, a, b) {
    if (priority < 0 || priority > MAX_PRIORITY || (priority | 0) !== priority) {
      throw new RangeError(`event priority must be an integer in 0..${MAX_PRIORITY}, got ${priority}`);
    }
    if (this.seq >= SEQ_SPAN) throw new RangeError("EventQueue: sequence space exhausted");
    if (this.count === this.capacity) this.grow();
    const slot = this.freeCount > 0 ? this.freeSlots[--this.freeCount] : this.nextFreshSlot++;
    this.slotHandler[slot] = handler;
    this.slotKind[slot] = kind;
    this.slotA[slot] = a;
    this.slotB[slot] = b;
    const key = priority * SEQ_SPAN + this.seq++;
    this.siftUp(this.count++, time, key, slot);
  }
  /** Removes the earliest event and exposes it through the popped* fields. */
  pop() {
    if (this.count === 0) throw new Error("EventQueue.pop on an empty queue");
    const slot = this.heapSlot[0];
    this.poppedTime = this.heapTime[0];
    this.poppedHandler = this.slotHandler[slot];
    this.poppedKind = this.slotKind[slot];
    this.poppedA = this.slotA[slot];
    this.poppedB = this.slotB[slot];
    this.freeSlots[this.freeCount++] = slot;
    const last = --this.count;
    if (last > 0) this.siftDown(0, this.heapTime[last], this.heapKey[last], this.heapSlot[last]);
  }
  siftUp(start, time, key, slot) {
    const ht = this.heapTime;
    const hk = this.heapKey;
    const hs = this.heapSlot;
    let i = start;
    while (i > 0) {
      const parent = i - 1 >> 1;
      const pt = ht[parent];
      if (pt < time || pt === time && hk[parent] < key) break;
      ht[i] = pt;
      hk[i] = hk[parent];
      hs[i] = hs[parent];
      i = parent;
    }
    ht[i] = time;
    hk[i] = key;
    hs[i] = slot;
  }
  siftDown(start, time, key, slot) {
    const ht = this.heapTime;
    const hk = this.heapKey;
    const hs = this.heapSlot;
    const n = this.count;
    let i = start;
    for (; ; ) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && (ht[right] < ht[child] || ht[right] === ht[child] && hk[right] < hk[child])) {
        child = right;
      }
      const ct = ht[child];
      if (time < ct || time === ct && key < hk[child]) break;
      ht[i] = ct;
      hk[i] = hk[child];
      hs[i] = hs[child];
      i = child;
    }
    ht[i] = time;
    hk[i] = key;
    hs[i] = slot;
  }
  grow() {
    const next = this.capacity * 2;
    this.heapTime = growFloat(this.heapTime, next);
    this.heapKey = growFloat(this.heapKey, next);
    this.heapSlot = growInt(this.heapSlot, next);
    this.slotHandler = growInt(this.slotHandler, next);
    this.slotKind = growInt(this.slotKind, next);
    this.slotA = growFloat(this.slotA, next);
    this.slotB = growFloat(this.slotB, next);
    this.freeSlots = growInt(this.freeSlots, next);
    this.capacity = next;
  }
};
function growFloat(a, size) {
  const b = new Float64Array(size);
  b.set(a);
  return b;
}
function growInt(a, size) {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}

// core/sim/prng.ts
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
var Prng = class _Prng {
  constructor(gen) {
    this.gen = gen;
  }
  static fromSeed(seed) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    const folded = seed ^ Math.floor(seed / 4294967296) | 0;
    return new _Prng(xoroshiro128plus(folded));
  }
  /** An independent stream: a clone of this generator jumped 2^64 steps ahead; this one moves on too. */
  fork() {
    this.gen.jump();
    const child = this.gen.clone();
    this.gen.jump();
    return new _Prng(child);
  }
  /** Uniform integer in [from, to], both included. */
  int(from, to) {
    return uniformInt(this.gen, from, to);
  }
  /** Uniform double in [0, 1). */
  float() {
    return uniformFloat64(this.gen);
  }
  /** Exponentially distributed value with the given mean (for Poisson arrivals). */
  exponential(mean) {
    return -mean * Math.log(1 - this.float());
  }
};

// core/sim/counterSampler.ts
var SAMPLE = 0;
var CounterSampler = class {
  constructor(sim, namePrefix = "") {
    this.sim = sim;
    this.namePrefix = namePrefix;
  }
  series = [];
  times = new Float64Array(256);
  count = 0;
  intervalNs = 0;
  handlerId = -1;
  /** Adds a series; call before start(). */
  define(name2, unit, read) {
    this.series.push({ name: this.namePrefix + name2, unit, read, values: new Float64Array(this.times.length) });
  }
  /** Starts sampling every `intervalNs` from time 0. */
  start(intervalNs) {
    if (intervalNs <= 0) throw new RangeError("counter sampling interval must be positive");
    this.intervalNs = intervalNs;
    this.handlerId = this.sim.register(this);
    this.sim.schedule(0, this.handlerId, SAMPLE, 0, 0, PRIORITY_LATE);
  }
  handleEvent() {
    this.sampleNow();
    this.sim.schedule(this.intervalNs, this.handlerId, SAMPLE, 0, 0, PRIORITY_LATE);
  }
  /** Takes one sample at the current time (also used for the final sample at the end of a run). */
  sampleNow() {
    if (this.count > 0 && this.times[this.count - 1] === this.sim.now) return;
    if (this.count === this.times.length) this.grow();
    this.times[this.count] = this.sim.now;
    for (const s2 of this.series) s2.values[this.count] = s2.read();
    this.count++;
  }
  result() {
    const t = Array.from(this.times.subarray(0, this.count));
    return this.series.map((s2) => ({ name: s2.name, unit: s2.unit, tNs: t, values: Array.from(s2.values.subarray(0, this.count)) }));
  }
  grow() {
    const next = this.times.length * 2;
    const t = new Float64Array(next);
    t.set(this.times);
    this.times = t;
    for (const s2 of this.series) {
      const v = new Float64Array(next);
      v.set(s2.values);
      s2.values = v;
    }
  }
};

// core/sim/simulation.ts
var Simulation = class {
  now = SIM_TIME_ZERO;
  queue = new EventQueue(4096);
  rng;
  timeline;
  counters;
  costs;
  handlers = [];
  processed = 0;
  stopRequested = false;
  constructor(options) {
    this.rng = Prng.fromSeed(options.seed);
    this.costs = options.costs;
    this.timeline = options.timeline ?? new TimelineRecorder(options.maxTimelineEvents);
    this.counters = new CounterSampler(this, options.counterPrefix);
  }
  get eventsProcessed() {
    return this.processed;
  }
  register(component) {
    this.handlers.push(component);
    return this.handlers.length - 1;
  }
  schedule(delay, handler, kind, a = 0, b = 0, priority = PRIORITY_NORMAL) {
    this.queue.push(this.now + delay, priority, handler, kind, a, b);
  }
  scheduleAt(at, handler, kind, a = 0, b = 0, priority = PRIORITY_NORMAL) {
    if (at < this.now) throw new RangeError(`scheduleAt(${at}) is in the past (now ${this.now})`);
    this.queue.push(at, priority, handler, kind, a, b);
  }
  /** Ends the run after the current event (the simulated system decided it is over). */
  stop() {
    this.stopRequested = true;
  }
  /**
   * Runs events whose time is <= `until`, at most `maxEvents` of them.
   * Returns true when the run is over: nothing left before `until`, or stop() was called.
   * On return the clock is at the last event run, or at `until` when the run is over.
   */
  step(until, maxEvents) {
    const q = this.queue;
    const handlers = this.handlers;
    let n = 0;
    let over = false;
    while (n < maxEvents) {
      if (this.stopRequested) {
        over = true;
        break;
      }
      if (q.size === 0 || q.peekTime() > until) {
        this.now = until;
        over = true;
        break;
      }
      q.pop();
      this.now = q.poppedTime;
      handlers[q.poppedHandler].handleEvent(q.poppedKind, q.poppedA, q.poppedB);
      n++;
    }
    this.processed += n;
    return over || this.stopRequested;
  }
};

// core/model/vfio/vfioMetrics.ts
var VFIO_METRICS = [
  { name: "vfio.mapIoctls", unit: "calls", description: "VFIO_IOMMU_MAP_DMA calls, all containers" },
  { name: "vfio.unmapIoctls", unit: "calls", description: "VFIO_IOMMU_UNMAP_DMA calls, all containers" },
  { name: "vfio.entriesPeak", unit: "entries", description: "most vfio_dma entries one container held at once (limit: dma_entry_limit)" },
  { name: "vfio.enospc", unit: "calls", description: "MAP_DMA calls refused with ENOSPC because dma_avail was 0" },
  { name: "vfio.pinBatches", unit: "batches", description: "pin_user_pages_remote batches (up to 512 pages each) type1 pinned" },
  { name: "vfio.hostIommuMaps", unit: "calls", description: "host iommu_map calls (one per contiguous run and domain, replays included)" },
  { name: "vfio.hostPtesPeak", unit: "PTEs", description: "most host IOMMU PTEs one container held at once, all its domains" },
  { name: "vfio.mapFailures", unit: "calls", description: "MAP_DMA calls that returned an error" }
];

// core/model/iommufd/iommufdMetrics.ts
var IOMMUFD_METRICS = [
  { name: "iommufd.mapIoctls", unit: "calls", description: "IOMMU_IOAS_MAP calls, all IOAS." },
  { name: "iommufd.unmapIoctls", unit: "calls", description: "IOMMU_IOAS_UNMAP calls, all IOAS." },
  { name: "iommufd.copyIoctls", unit: "calls", description: "IOMMU_IOAS_COPY calls, all IOAS." },
  { name: "iommufd.areasPeak", unit: "areas", description: "Most areas (mappings) one IOAS held at once." },
  {
    name: "iommufd.pinnedPagesPeak",
    unit: "pages",
    description: "Most 4 KiB pages pinned (and charged to locked memory) at once by the iommufd context; pages shared by IOAS_COPY count once."
  },
  { name: "iommufd.mapFailures", unit: "calls", description: "IOMMU_IOAS_MAP and IOMMU_IOAS_COPY calls that failed." }
];

// core/model/qemu/iovaTreeMetrics.ts
var IOVA_TREE_METRICS = [
  { name: "iovaTree.lookups", unit: "calls", description: "iova_tree_find and iova_tree_find_iova calls" },
  {
    name: "iovaTree.lookupComparisons",
    unit: "steps",
    description: "comparator calls or nodes visited by those lookups (GTree search path, g_tree_foreach walk, or reverse-index search)"
  },
  {
    name: "iovaTree.wrongTranslations",
    unit: "lookups",
    description: "reverse lookups that returned a map of another guest region (id) than the caller meant (reference 004)"
  },
  {
    name: "iovaTree.partialMatches",
    unit: "lookups",
    description: "reverse lookups whose map covers only part of the needle: each needs another search for the remainder"
  },
  { name: "iovaTree.mapsPeak", unit: "maps", description: "most maps held by one tree at once" }
];

// core/contract/catalog.ts
function metric(name2, unit, description) {
  return { name: name2, unit, description };
}

// core/model/guestDma/dmaMetrics.ts
var DMA_LAYER_METRICS = [
  metric("dma.maps", "calls", "guest DMA API map calls"),
  metric("dma.unmaps", "calls", "guest DMA API unmap calls"),
  metric("dma.mapFailures", "calls", "map calls that returned DMA_MAPPING_ERROR"),
  metric("iova.exhaustions", "calls", "IOVA allocations that failed even after flushing the rcaches"),
  metric("iova.allocatedPagesPeak", "pages", "most guest IOVA pages allocated at once (including cached and queued ones)"),
  metric(
    "iotlb.flushes.global",
    "flushes",
    "global IOTLB flushes: flush_iotlb_all of the flush queues, or the s390 legacy code's global RPCITs"
  ),
  metric("iotlb.flushes.range", "flushes", "range IOTLB syncs of strict unmaps (dma-iommu, or the s390 legacy code in strict mode)"),
  metric("fq.fullFlushes", "flushes", "flushes forced by a full flush queue"),
  metric("fq.timerFlushes", "flushes", "flushes by the flush-queue timer"),
  metric("fq.peakDepth", "IOVAs", "most IOVAs waiting in flush queues at once"),
  metric("staleIotlbWindowUsP99", "us", "99th percentile time a device could still reach a buffer after its unmap (until the IOTLB flush)")
];

// core/model/x86/x86ViommuMetrics.ts
var X86_VIOMMU_METRICS = [
  {
    name: "viommu.invalidations.psi",
    unit: "invalidations",
    description: "intel-iommu page-selective IOTLB invalidations (after each map in caching mode, and strict unmaps)."
  },
  {
    name: "viommu.invalidations.dsi",
    unit: "invalidations",
    description: "intel-iommu domain-selective IOTLB invalidations (flush-queue flushes); QEMU walks the whole domain."
  },
  {
    name: "viommu.kicks",
    unit: "kicks",
    description: "virtio-iommu request-queue notifications (each one exit, QEMU serves all queued requests)."
  },
  { name: "viommu.queueFullKicks", unit: "kicks", description: "virtio-iommu kicks forced by a full request queue." },
  { name: "viommu.requests", unit: "requests", description: "virtio-iommu MAP and UNMAP requests QEMU served." },
  {
    name: "viommu.requestErrors",
    unit: "requests",
    description: "virtio-iommu requests QEMU refused (S_INVAL overlap, S_RANGE split); the guest does not see them."
  },
  {
    name: "viommu.mapFailures",
    unit: "maps",
    description: "Guest IOMMU maps that failed in the guest driver (page-table or request allocation)."
  },
  {
    name: "viommu.orphanedMappings",
    unit: "mappings",
    description: "virtio-iommu mappings the guest dropped without sending an UNMAP (partial unmap)."
  },
  {
    name: "viommu.vfioMaps",
    unit: "ioctls",
    description: "VFIO map ioctls QEMU issued shadowing the vIOMMU (one per new leaf or power-of-two chunk)."
  },
  { name: "viommu.vfioUnmaps", unit: "ioctls", description: "VFIO unmap ioctls QEMU issued shadowing the vIOMMU." },
  { name: "viommu.dedupedMaps", unit: "leaves", description: "intel-iommu leaves a walk found already shadowed identically (no ioctl)." },
  { name: "qemu.pteWalked", unit: "PTEs", description: "Guest page-table entries QEMU read in intel-iommu shadow walks." },
  {
    name: "viommu.staleMappingsPeak",
    unit: "mappings",
    description: "Peak of mappings the guest removed that QEMU and VFIO still held (intel: shadowed leaves awaiting an invalidation; virtio: queued UNMAP requests)."
  },
  {
    name: "viommu.shadowEntriesPeak",
    unit: "mappings",
    description: "Peak of QEMU's shadow entries (intel IOVATree leaves, virtio domain mappings)."
  }
];

// core/model/s390/s390Metrics.ts
var S390_METRICS = [
  metric("rpcit.calls", "instructions", "RPCIT instructions the guest issued (range and global)"),
  metric("rpcit.outOfResource", "instructions", "RPCITs answered with cc 1 status 16 (insufficient resources: QEMU reached the VFIO DMA limit)"),
  metric("rpcit.globalFlushRetries", "instructions", "global RPCITs the guest issued because a range RPCIT returned -ENOMEM"),
  metric("rpcit.global", "instructions", "global RPCITs over the whole DMA window, for any reason (flush queue, -ENOMEM retry, allocator wrap)"),
  metric("s390.syncMapFailures", "calls", "maps whose iotlb_sync_map failed for good (the map is undone and DMA_MAPPING_ERROR returned)"),
  metric("s390.invalidMaps", "calls", "maps s390_iommu_map_pages refused (-EINVAL: unaligned or outside the aperture)"),
  metric("s390.table.entriesPeak", "entries", "most valid entries in the guest zPCI DMA table at once"),
  metric("s390.window.bytes", "bytes", "size of the guest DMA window [start_dma, end_dma] (largest of the run)"),
  metric("s390.shadow.entriesPeak", "entries", "most 4 KiB entries in QEMU's RPCIT shadow of one function at once"),
  metric("s390.shadow.dmaAvailMin", "mappings", "lowest value QEMU's dma_avail counter reached (0 = the VFIO DMA limit was hit)"),
  metric("s390.shadow.retryPasses", "passes", "second walks rpcit_service_call made after skipping maps for want of dma_avail"),
  metric("s390.shadow.pteWalks", "entries", "guest table entries QEMU read while serving RPCIT (the walk cost driver)"),
  metric(
    "s390.shadow.iotlbLookups",
    "lookups",
    "QEMU IOTLB cache lookups while serving RPCIT: one per 4 KiB of every refreshed range, empty frames included"
  ),
  metric("s390.shadow.unmapNotifies", "calls", "coalesced power-of-two unmap notifications QEMU sent to VFIO (one unmap ioctl each)"),
  metric("s390.shadow.remaps", "entries", "cached entries QEMU found changed and re-mapped (unmap + map; its dma_avail drifts one lower each)"),
  metric("s390.shadow.unbackedEntries", "entries", "entries QEMU holds whose VFIO map failed (logged by QEMU; the device would fault there)"),
  metric("s390.legacy.wraps", "wraps", "times the pre-6.7 allocator restarted its search at the window start"),
  metric("s390.legacy.unmapErrors", "calls", "pre-6.7 strict unmaps whose RPCIT failed (the address is never freed)")
];

// core/model/ppc/host/spaprTceMetrics.ts
var SPAPR_METRICS = [
  { name: "spapr.mapIoctls", unit: "calls", description: "VFIO_IOMMU_MAP_DMA calls on SPAPR TCE containers" },
  { name: "spapr.unmapIoctls", unit: "calls", description: "VFIO_IOMMU_UNMAP_DMA calls on SPAPR TCE containers" },
  { name: "spapr.mapFailures", unit: "calls", description: "MAP_DMA calls that failed" },
  { name: "spapr.tcesPeak", unit: "TCEs", description: "most live TCEs in one container at once" },
  {
    name: "spapr.windowsCreated",
    unit: "windows",
    description: "DMA windows (TCE tables) created: TCE_CREATE and the lazily created default window of v2"
  },
  {
    name: "spapr.registeredBytesPeak",
    unit: "bytes",
    description: "most memory pre-registered (REGISTER_MEMORY, pinned and charged once per process) at once"
  }
];

// core/model/ppc/ppcMetrics.ts
var H_GUEST = [
  ["H_GUEST_GET_CAPABILITIES", "L1 asks PowerVM which L2 capabilities it supports (once, at L1 boot)"],
  ["H_GUEST_SET_CAPABILITIES", "L1 tells PowerVM the capabilities it uses"],
  ["H_GUEST_CREATE", "L1 creates the L2 guest"],
  ["H_GUEST_CREATE_VCPU", "L1 creates an L2 vCPU"],
  ["H_GUEST_SET_STATE", "L1 sets L2 state (guest-wide, and per vCPU incl. its run buffers 0x0C00/0x0C01)"],
  ["H_GUEST_RUN_VCPU", "L1 runs an L2 vCPU again after serving an L2 exit (here: each L2 hypercall)"]
];
var SPAPR_GUEST_METRICS = [
  ...HCALL_NAMES2.map((n) => metric(`hcall.${n}`, "calls", `${n} hypercalls the guest made`)),
  metric("hcall.failed", "calls", "TCE hypercalls that returned an error to the guest (H_PARAMETER...)"),
  metric("hcall.inKernel", "calls", "TCE hypercalls KVM served in the kernel (KVM_CAP_SPAPR_TCE_VFIO)"),
  metric("hcall.toQemu", "calls", "TCE hypercalls QEMU served after an exit to user space"),
  metric("hcall.tooHard", "calls", "TCE hypercalls KVM passed to QEMU with H_TOO_HARD (unknown to KVM: TCE outside RAM, ...)"),
  metric("hcall.busyMs", "ms", "simulated time guest vCPUs spent in TCE hypercalls, issue to return"),
  ...RTAS_DDW_NAMES.map((n) => metric(`rtas.${n}`, "calls", `${n} RTAS calls the guest made`)),
  metric("ddw.rtasFailures", "calls", "DDW RTAS calls that returned an error (RTAS_PARAM_ERROR, RTAS_HW_ERROR)"),
  metric("ddw.created", "windows", "DMA windows created by ibm,create-pe-dma-window"),
  metric("ddw.setups", "calls", "enable_ddw runs of the guest (one per PE node and attempt)"),
  metric("ddw.setupMs", "ms", "simulated time the guest spent setting up DDWs (query, create, mapping all RAM)"),
  metric("ddw.setupHcalls", "calls", "hypercalls and RTAS calls of the DDW setups"),
  metric("ddw.fallbacks", "calls", "DDW setups that failed: the PE keeps the default window (failed_ddw_pdn_list)"),
  metric("ddw.directMappedBytes", "bytes", "guest RAM mapped into a DDW once so DMA maps are an offset (direct mapping)"),
  metric("tce.guestWrites", "TCEs", "guest TCE table entries written by hypercalls (maps and clears)"),
  metric("tce.hostWrites", "TCEs", "host TCE entries written to mirror them, summed over every host table (per host PE when nested)"),
  metric("tce.unbackedMaps", "TCEs", "guest TCEs QEMU could not map on the host (page outside guest RAM: logged, not mapped)"),
  metric("tce.liveGuestPeak", "TCEs", "most live TCEs in one guest window at once"),
  metric("spapr.hostWindowFailures", "windows", "guest windows the host could not mirror (QEMU would hw_error; the lab refuses the RTAS call)"),
  metric("spapr.hostSetupFailures", "PHBs", "guest PHBs whose VFIO SPAPR containers could not be set up (QEMU would not start)"),
  metric("guest.spaprResets", "resets", "guest PHBs reset to their default window because the guest rebooted"),
  ...H_GUEST.map(([n, d]) => metric(`hcall.${n}`, "calls", d)),
  metric("nested.hcallExits", "exits", "L2 hypercalls PowerVM reflected to L1 (H_GUEST_RUN_VCPU exit reason 0xC00)"),
  metric("nested.l0.H_PUT_TCE", "calls", "H_PUT_TCE calls the L1 kernel made to PowerVM (each host TCE write: tce_exchange_pseries)"),
  metric("nested.l0.H_GET_TCE", "calls", "H_GET_TCE calls the L1 kernel made to PowerVM (the read half of each exchange)"),
  metric("nested.l0.H_STUFF_TCE", "calls", "H_STUFF_TCE calls the L1 kernel made to PowerVM (cleaning a removed window)"),
  metric("nested.l0.rtas", "calls", "DDW RTAS calls the L1 kernel made to PowerVM for host PEs"),
  metric("nested.l0Ms", "ms", "simulated time spent in L1 -> L0 calls"),
  metric("nested.l0LockWaitMs", "ms", "time L1 CPUs waited for a host PE's TCE table lock (tce_exchange_pseries)"),
  metric("window.blockedCalls", "calls", "guest DMA calls and hypercalls that waited for a window change of their PHB"),
  metric("window.changes", "changes", "DMA window changes served (fault window-change)"),
  metric("window.changeFailures", "changes", "window changes the RTAS calls refused"),
  metric("window.copiedTces", "TCEs", "still-valid TCEs copied into the new address space (switch-and-copy)"),
  metric("window.guestRemapTces", "TCEs", "TCEs the guest wrote to map all RAM into the new window again"),
  metric("window.changeMs", "ms", "simulated time of all window changes (RTAS, host windows, copy, guest remap)"),
  metric("window.stallMsMax", "ms", "longest window change: how long DMA calls on the PHB were held"),
  metric("window.directLost", "devices", "PE nodes whose direct DDW could not be restored (new window too small for RAM)"),
  metric("pseries.directMaps", "calls", "DMA maps served by the direct DDW (no hypercall)"),
  metric("pseries.unmapErrors", "calls", "unmaps of addresses the pseries layer had not mapped (refused, iommu_free_check)")
];

// core/model/ppc/eeh/eehMetrics.ts
var EEH_METRICS = [
  ...EEH_RTAS_CALLS.map((c) => metric(`rtas.${c}`, "calls", `guest RTAS ${c} calls QEMU served (EEH)`)),
  metric("eeh.freezes", "freezes", "host PEs frozen by an error (fault, injection, DMA fault); each error event has a serial"),
  metric("eeh.fanOutFreezes", "freezes", "host PEs QEMU froze on purpose so that their guest PE stays in one state (fan-out strategy)"),
  metric("eeh.recoveries", "recoveries", 'guest recoveries that ended with "EEH: Recovery successful" (the guest PE back to normal)'),
  metric(
    "eeh.permanentFailures",
    "PEs",
    "guest PEs the guest failed permanently (devices removed): a failed step or too many freezes in an hour"
  ),
  metric(
    "eeh.inconsistentStates",
    "observations",
    "guest observations of a multi-host-PE guest PE that contradict one PE state: a read-slot-reset-state2 answer not true of every host PE (unavailable excepted while one is), or an MMIO read while one host PE reads all ones and another answers"
  ),
  metric("eeh.inconsistentMs", "ms", "total time the host PEs of some guest PE were in different states"),
  metric("eeh.recoveryTimeMs", "ms", "longest successful recovery, from the freeze to the end of resume"),
  metric("eeh.duplicateNotificationsMerged", "notifications", "error notifications QEMU dropped because it had seen their serial (fan-out)"),
  metric("eeh.resolvedPartialFailures", "calls", "guest calls that failed on some host PEs only and were resolved to one state (fan-out)"),
  metric("eeh.unhandledFreezes", "freezes", "errors on guest PEs where QEMU refuses EEH: the guest cannot recover the device"),
  metric("eeh.rtasRefused", "calls", "EEH RTAS calls answered RTAS_PARAM_ERROR because QEMU keeps EEH off for the PHB (refuse strategy)"),
  metric("eeh.detections", "events", "freezes the guest detected (eeh_dev_check_failure found the PE frozen)"),
  metric("eeh.falsePositives", "checks", "all-ones reads whose state check found the PE working (eeh_stats.false_positives)"),
  metric("eeh.mmioAllOnesReads", "reads", "MMIO reads answered all ones by a frozen PE (EEH_IO_ERROR_VALUE)"),
  metric("eeh.mmioWritesDropped", "writes", "MMIO writes a frozen PE dropped"),
  metric("eeh.dmaBlocked", "DMAs", "device DMAs that did not complete because their PE was frozen"),
  metric("eeh.vfioPeOps", "calls", "VFIO_EEH_PE_OP ioctls on host PEs (QEMU and host-side ops)"),
  metric("eeh.hostPesNormal", "PEs", "host PEs in the normal state at the end of the run"),
  metric("eeh.hostPesPermanentlyFailed", "PEs", "host PEs permanently failed at the end of the run"),
  metric("eeh.divergentGuestPes", "PEs", "guest PEs whose host PEs are in different states at the end of the run")
];

// core/stack/stackMetrics.ts
var STACK_METRICS = [
  metric("vmexits", "exits", "VM exits into QEMU caused by the DMA path (invalidations, RPCIT, virtio-iommu kicks)"),
  metric("qemu.startFailures", "VMs", "VMs whose QEMU could not start: guest RAM failed to map at boot (vfio_connect_container)"),
  metric("qemu.busyMs", "ms", "time QEMU spent handling those exits under its big lock"),
  metric("qemu.vfioMapFailures", "calls", "VFIO map ioctls of QEMU that failed (logged by QEMU, invisible to the guest)"),
  metric("guest.vcpuUtilization", "fraction", "busiest VM: share of vCPU time spent in the DMA path and traps"),
  metric("vfio.bootMs", "ms", "VFIO work to map guest RAM at boot (vIOMMU-less guests; not part of the run time)"),
  metric("vfio.lockedBytesEnd", "bytes", "locked memory (RLIMIT_MEMLOCK account) of the QEMU process at the end of the run"),
  metric("vfio.lockedBytesPeak", "bytes", "peak of the QEMU process's locked memory (locked_vm), all containers"),
  metric("vfio.memlockFailures", "calls", "charges refused because RLIMIT_MEMLOCK would be exceeded"),
  metric("vfio.entriesEnd", "entries", "vfio_dma entries left in the containers at the end of the run"),
  metric("device.offlineMs", "ms", "simulated time devices were not available to their guest (draining, removed, rebooting)"),
  metric("io.aborted", "IOs", "IOs in flight when their guest was reset (lost, never completed)")
];

// core/ops/dmaOpsMetrics.ts
var DMA_METRICS = [
  {
    name: "dma.unmapMismatches",
    unit: "calls",
    description: "dma.unmap ops refused because they named no live mapping of that size (dma-debug would report them)"
  },
  { name: "dma.liveMappingsPeak", unit: "mappings", description: "most mappings an ops script held on one device at once (dma.* ops)" }
];

// core/faults/faultMetrics.ts
var FAULT_METRICS = [
  metric("faults.injected", "faults", "scenario faults that fired"),
  metric(
    "dma.staleAccesses",
    "accesses",
    "injected DMAs to a just-unmapped address that reached the freed buffer (its unmap waited for a flush)"
  ),
  metric("dma.remappedAccesses", "accesses", "injected DMAs to a just-unmapped address that reached another buffer (the IOVA was reused)"),
  metric("dma.unprotectedAccesses", "accesses", "injected DMAs that reached guest memory because no vIOMMU translates (dma-direct)"),
  metric("dma.toUnmappedWithoutTarget", "faults", "dma-to-unmapped faults that found nothing unmapped yet"),
  metric(
    "iommu.faults",
    "faults",
    "DMAs the IOMMU blocked (translation gone): DMAR faults, zPCI translation errors, EEH freezes on PowerPC"
  ),
  metric("device.unplugs", "devices", "devices hot-unplugged (removed once their IOs in flight finished)"),
  metric("device.hotplugs", "devices", "devices hot-plugged back"),
  metric("device.hotplugMs", "ms", "simulated time of the hot-plugs: QEMU's VFIO work (re-mapping guest RAM) plus the guest's probe"),
  metric("guest.resets", "resets", "guest reboots"),
  metric("window.changeWithoutPe", "faults", "window-change faults naming a host PE no guest PHB holds")
];

// core/workload/workloadMetrics.ts
var WORKLOAD_METRICS = [
  metric("io.completed", "IOs", "IOs completed during the run"),
  metric("io.iops", "IO/s", "completed IOs per simulated second"),
  metric("io.bandwidthMBps", "MB/s", "payload bytes per simulated second, 10^6 bytes"),
  metric("io.latencyP50Us", "us", "median IO latency, submit to unmap done"),
  metric("io.latencyP99Us", "us", "99th percentile IO latency"),
  metric("io.errors", "IOs", "IOs that failed (EIO: frozen device, removed device, a DMA the host IOMMU faulted)"),
  metric("io.mapRetries", "IOs", "IOs whose DMA map failed and that blk-mq retried after 3 ms (BLK_STS_RESOURCE)"),
  metric("ops.steps", "calls", "ops-script steps run"),
  metric("ops.failed", "calls", "ops-script steps that returned an error"),
  metric("net.arrivals", "packets", "packets that arrived (each is sent, received, dropped or still in flight at the end)"),
  metric("net.txPackets", "packets", "packets transmitted: mapped, sent by the device and unmapped at completion"),
  metric("net.rxPackets", "packets", "packets received into recycled, long-mapped RX buffers"),
  metric("net.rxBuffersMapped", "buffers", "RX buffers made DMA-able when the ring was filled"),
  metric("net.rxPagesMapped", "calls", "DMA maps of RX pages (page_pool maps each page once; several buffers per page)"),
  metric("net.dropped", "packets", "packets dropped: vCPU busy > 1 ms, TX ring full, TX map failed or no free RX buffer"),
  metric("net.txMapFailures", "packets", "TX packets whose DMA map failed (dropped)"),
  metric("net.rxMapFailures", "calls", "RX page maps that failed while filling the ring (those buffers are missing)"),
  metric("dpdk.setupMs", "ms", "simulated time to map the whole mempool at start"),
  metric("dpdk.mappings", "mappings", "mempool chunks mapped at start (one per hugepage segment)"),
  metric("dpdk.mapFailures", "calls", "mempool maps that failed (initialisation aborted, no IO ran)"),
  metric("gpu.setupMs", "ms", "simulated time to map every pinned buffer at start"),
  metric("gpu.mappings", "mappings", "buffers mapped at start"),
  metric("gpu.mapFailures", "calls", "buffer maps that failed (no kernel ran)"),
  metric("gpu.kernels", "kernels", "compute kernels completed"),
  metric("gpu.transfers", "transfers", "DMA transfers completed (io.completed counts the same)"),
  metric("virtioMem.plugMs", "ms", "simulated time from the plug request to the last plugged block, traps, ioctls and pinning included"),
  metric("virtioMem.unplugMs", "ms", "simulated time to unplug everything that was plugged"),
  metric("virtioMem.blocksPlugged", "blocks", "virtio-mem blocks plugged"),
  metric("virtioMem.blocksUnplugged", "blocks", "virtio-mem blocks unplugged"),
  metric("virtioMem.vfioMaps", "calls", "VFIO map ioctls QEMU issued for plugged blocks (one per block without a vIOMMU)"),
  metric("virtioMem.vfioUnmaps", "calls", "VFIO unmap ioctls QEMU issued for unplugs and rollbacks (one per request range)"),
  metric("virtioMem.plugFailures", "requests", "plug requests QEMU answered BUSY because a VFIO map failed (plugging stops)"),
  metric("probe.devices", "devices", "devices whose driver probe ran"),
  metric("probe.failures", "devices", "probes that failed (e.g. -12 when a coherent allocation found no IOVA)"),
  metric("dma.addressBits", "bits", 'widest "Using N-bit DMA addresses" a device logged (0 when none did)')
];

// core/run/runMetrics.ts
var RUN_METRICS = [
  metric("sim.events", "events", "simulation events processed"),
  metric("sim.timelineEvents", "events", "timeline events recorded"),
  metric("sim.timelineDropped", "events", "timeline events not stored because the recorder cap was reached"),
  metric("sim.simulatedMs", "ms", "simulated time covered by the run"),
  metric("sim.wallMs", "ms", "wall-clock time the simulation took (host-measured, not deterministic)")
];

// core/run/metricCatalog.ts
var METRIC_CATALOG = [
  ...WORKLOAD_METRICS,
  ...DMA_LAYER_METRICS,
  ...RUN_METRICS,
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
  ...EEH_METRICS
];
var BY_NAME = new Map(METRIC_CATALOG.map((x) => [x.name, x]));
var OPS_OUTPUT = /^ops\.(\d+)\.(.+)$/;
function metricInfo(name2) {
  const colon = name2.indexOf(":");
  const local = colon >= 0 ? name2.slice(colon + 1) : name2;
  const known = BY_NAME.get(local);
  if (known !== void 0) return known;
  const out = OPS_OUTPUT.exec(local);
  if (out === null) return void 0;
  return { name: local, unit: "value", description: `output "${out[2]}" of ops step ${out[1]} (bytes, addresses, counts: see the op)` };
}

// core/run/claims.ts
function evaluateClaims(specs, metrics, ops = [], opsByVariant = {}) {
  return specs.map((spec) => {
    const result = "step" in spec ? evaluateStepClaim(spec, spec.variant === void 0 ? ops : opsByVariant[spec.variant] ?? []) : evaluateMetricClaim(spec, metrics);
    if (result.holds || spec.whyNot === void 0) return result;
    return { ...result, note: result.note === void 0 ? spec.whyNot : `${result.note}. ${spec.whyNot}` };
  });
}
function describeExpectation(spec) {
  const subject = spec.per === void 0 ? spec.metric : `${spec.metric} / ${spec.per}`;
  const slack = spec.tolerance > 0 ? ` (tolerance ${spec.tolerance})` : "";
  return spec.op === "between" ? `${subject} between ${spec.value} and ${spec.valueMax ?? spec.value}${slack}` : `${subject} ${spec.op} ${spec.value}${slack}`;
}
function measuredSubject(spec) {
  const unit = metricInfo(spec.metric)?.unit ?? "";
  if (spec.per === void 0) return { metric: spec.metric, unit };
  const perUnit = metricInfo(spec.per)?.unit ?? "";
  return { metric: spec.metric, per: spec.per, unit: `${unit || "no unit"} per ${perUnit || "no unit"}` };
}
function evaluateMetricClaim(spec, metrics) {
  const base = { id: spec.id, text: spec.text, source: spec.source, expectation: describeExpectation(spec), ...measuredSubject(spec) };
  const num = metrics[spec.metric];
  const den = spec.per === void 0 ? 1 : metrics[spec.per];
  if (num === void 0 || den === void 0) {
    const missing = num === void 0 ? spec.metric : spec.per ?? "";
    return { ...base, holds: false, measured: null, note: `metric ${missing} was not produced by this run` };
  }
  if (den === 0) return { ...base, holds: false, measured: null, note: `denominator ${spec.per ?? ""} is 0` };
  const measured = num / den;
  return { ...base, holds: compare(measured, spec), measured };
}
function evaluateStepClaim(spec, ops) {
  const wantRet = spec.ret === void 0 ? "" : ` returning ${JSON.stringify(spec.ret)}`;
  const where = spec.variant === void 0 ? `step ${spec.step}` : `${spec.variant} step ${spec.step}`;
  const base = {
    id: spec.id,
    text: spec.text,
    source: spec.source,
    expectation: `${where} -> ${spec.errno ?? "success"}${wantRet}`,
    unit: "value"
  };
  const got = ops[spec.step];
  if (got === void 0) return { ...base, holds: false, measured: null, note: `the run has no step ${spec.step}` };
  const measured = typeof got.ret === "number" ? got.ret : null;
  const errnoOk = got.errno === spec.errno;
  const retOk = spec.ret === void 0 || JSON.stringify(got.ret) === JSON.stringify(spec.ret);
  const holds = errnoOk && retOk;
  return holds ? { ...base, holds, measured } : {
    ...base,
    holds,
    measured,
    note: `step ${spec.step} (${got.op}) returned ${got.errno ?? "success"} with ${JSON.stringify(got.ret)}`
  };
}
function compare(x, spec) {
  const tol = spec.tolerance;
  switch (spec.op) {
    case ">":
      return x > spec.value - tol;
    case ">=":
      return x >= spec.value - tol;
    case "<":
      return x < spec.value + tol;
    case "<=":
      return x <= spec.value + tol;
    case "==":
      return Math.abs(x - spec.value) <= tol;
    case "between":
      return x >= spec.value - tol && x <= (spec.valueMax ?? spec.value) + tol;
    default: {
      const never = spec.op;
      throw new Error(`unknown claim op ${String(never)}`);
    }
  }
}

// core/model/x86/qemuVirtioIommu.ts
var VIRTIO_IOMMU_T_MAP = 3;
var VIRTIO_IOMMU_T_UNMAP = 4;
var VIRTIO_IOMMU_MAP_F_READ = 1 << 0;
var VIRTIO_IOMMU_MAP_F_WRITE = 1 << 1;
var VIRTIO_IOMMU_MAP_F_MMIO = 1 << 2;
var MAP_F_MASK = VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE | VIRTIO_IOMMU_MAP_F_MMIO;
var VIRTIO_IOMMU_S_OK = 0;
var VIRTIO_IOMMU_S_INVAL = 3;
var VIRTIO_IOMMU_S_RANGE = 4;
var VirtioIommuRequestQueue = class {
  constructor(size) {
    this.size = size;
    this.type = new Uint8Array(size);
    this.start = new Float64Array(size);
    this.end = new Float64Array(size);
    this.phys = new Float64Array(size);
    this.flags = new Uint8Array(size);
  }
  type;
  start;
  end;
  phys;
  flags;
  head = 0;
  count = 0;
  /** UNMAP requests waiting: mappings the guest dropped that QEMU and VFIO still hold. */
  pendingUnmaps = 0;
  get length() {
    return this.count;
  }
  get full() {
    return this.count === this.size;
  }
  /** virtqueue_add_sgs; false when the ring is full (-ENOSPC). `end` is inclusive. */
  push(type, start, end, phys, flags) {
    if (this.count === this.size) return false;
    const i = (this.head + this.count) % this.size;
    this.type[i] = type;
    this.start[i] = start;
    this.end[i] = end;
    this.phys[i] = phys;
    this.flags[i] = flags;
    this.count++;
    if (type === VIRTIO_IOMMU_T_UNMAP) this.pendingUnmaps++;
    return true;
  }
  /** Device side: index of the oldest request (read its fields, then pop()). */
  peekIndex() {
    return this.head;
  }
  typeAt(i) {
    return this.type[i];
  }
  startAt(i) {
    return this.start[i];
  }
  endAt(i) {
    return this.end[i];
  }
  physAt(i) {
    return this.phys[i];
  }
  flagsAt(i) {
    return this.flags[i];
  }
  pop() {
    if (this.type[this.head] === VIRTIO_IOMMU_T_UNMAP) this.pendingUnmaps--;
    this.head = (this.head + 1) % this.size;
    this.count--;
  }
  snapshot() {
    const out = [];
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) % this.size;
      out.push([this.type[i], this.start[i], this.end[i], this.phys[i], this.flags[i]]);
    }
    return out;
  }
};
function alignedPow2Chunk(start, end) {
  const fit = roundDownPowerOfTwo(end - start + 1);
  if (start === 0) return fit;
  const align = lowestSetBit(start);
  return align < fit ? align : fit;
}
var QemuVirtioIommu = class {
  constructor(qemu, container, queue, costs) {
    this.qemu = qemu;
    this.container = container;
    this.queue = queue;
    this.costs = costs;
  }
  /** VirtIOIOMMUDomain.mappings */
  mappings = new IntervalMap();
  trapTimeNs = 0;
  trapCause = -1;
  /** VFIO cost of the request being served. */
  lastCostNs = 0;
  requests = 0;
  mapRequests = 0;
  unmapRequests = 0;
  requestErrors = 0;
  vfioMaps = 0;
  vfioUnmaps = 0;
  entriesPeak = 0;
  get entries() {
    return this.mappings.size;
  }
  /** Clock and cause of the kicking call (for VFIO failure events recorded while serving). */
  beginTrap(tNs, cause) {
    this.trapTimeNs = tNs;
    this.trapCause = cause;
  }
  /** virtio_iommu_handle_command: pops and serves every queued request; returns QEMU's work in ns. */
  serve() {
    const q = this.queue;
    let costNs = 0;
    while (q.length > 0) {
      const i = q.peekIndex();
      costNs += this.costs.virtioIommuRequestNs;
      this.requests++;
      const status = q.typeAt(i) === VIRTIO_IOMMU_T_MAP ? this.map(q.startAt(i), q.endAt(i), q.physAt(i), q.flagsAt(i)) : this.unmap(q.startAt(i), q.endAt(i));
      if (status !== VIRTIO_IOMMU_S_OK) this.requestErrors++;
      costNs += this.lastCostNs;
      q.pop();
    }
    if (this.mappings.size > this.entriesPeak) this.entriesPeak = this.mappings.size;
    return costNs;
  }
  /** virtio_iommu_map */
  map(start, end, gpa, flags) {
    this.mapRequests++;
    this.lastCostNs = 0;
    if ((flags & ~MAP_F_MASK) !== 0 || this.mappings.firstOverlap(start, end) !== void 0) return VIRTIO_IOMMU_S_INVAL;
    this.mappings.insert({ start, last: end, gpa, flags });
    const read = (flags & VIRTIO_IOMMU_MAP_F_READ) !== 0;
    const write = (flags & VIRTIO_IOMMU_MAP_F_WRITE) !== 0;
    if ((flags & VIRTIO_IOMMU_MAP_F_MMIO) !== 0 || !read && !write) return VIRTIO_IOMMU_S_OK;
    for (let a = start; a <= end; ) {
      const chunk = alignedPow2Chunk(a, end);
      this.vfioMaps++;
      this.lastCostNs += this.qemu.vfioMap(this.container, a, gpa + (a - start), chunk, !write, this.trapTimeNs, this.trapCause);
      a += chunk;
    }
    return VIRTIO_IOMMU_S_OK;
  }
  /**
   * virtio_iommu_unmap. QEMU takes whichever overlapping mapping its GTree lookup meets; this takes
   * the lowest, which differs only in which mappings a RANGE error leaves behind.
   */
  unmap(start, end) {
    this.unmapRequests++;
    this.lastCostNs = 0;
    for (let m = this.mappings.firstOverlap(start, end); m !== void 0; m = this.mappings.firstOverlap(start, end)) {
      if (m.start < start || m.last > end) return VIRTIO_IOMMU_S_RANGE;
      for (let a = m.start; a <= m.last; ) {
        const chunk = alignedPow2Chunk(a, m.last);
        this.vfioUnmaps++;
        this.lastCostNs += this.qemu.vfioUnmap(this.container, a, chunk);
        a += chunk;
      }
      this.mappings.delete(m);
    }
    return VIRTIO_IOMMU_S_OK;
  }
  /** The domain's mapping containing `addr` (tests and invariants). */
  mappingAt(addr) {
    return this.mappings.containing(addr);
  }
  mappingList() {
    return [...this.mappings.values()];
  }
  collectMetrics(into) {
    addMetric(into, "viommu.requests", this.requests);
    addMetric(into, "viommu.requestErrors", this.requestErrors);
    addMetric(into, "viommu.vfioMaps", this.vfioMaps);
    addMetric(into, "viommu.vfioUnmaps", this.vfioUnmaps);
    maxMetric(into, "viommu.shadowEntriesPeak", this.entriesPeak);
  }
  snapshot() {
    const out = [];
    for (const m of this.mappings.values()) out.push([m.start, m.last, m.gpa, m.flags]);
    return { mappings: out, queue: this.queue.snapshot() };
  }
};

// core/model/x86/virtioIommuGuest.ts
var MAX_PGSIZE = 2 ** 63;
var VIRTIO_IOMMU_MSI_RANGE = { start: 4276092928, last: 4277141503 };
function pgsizeRunBytes(iova, paddr, size) {
  let pgsize = roundDownPowerOfTwo(size);
  const align = Math.min(iova === 0 ? Infinity : lowestSetBit(iova), paddr === 0 ? Infinity : lowestSetBit(paddr));
  if (align < pgsize) pgsize = align;
  const next = pgsize * 2;
  let bytes = size;
  if (next <= MAX_PGSIZE && iova % next === paddr % next) {
    const offset = next - iova % next;
    if (offset + next <= size) bytes = offset;
  }
  return Math.floor(bytes / pgsize) * pgsize;
}
var VirtioIommuGuestDriver = class {
  constructor(deps) {
    this.deps = deps;
    const o = deps.options;
    this.deferredFlush = o.deferredFlush;
    this.shadowOnFlush = o.shadowOnFlush;
    this.apertureLast = 2 ** o.awBits - 1;
    this.laneName = deps.laneName;
    this.faults = deps.faults ?? new FaultInjector();
    this.queue = new VirtioIommuRequestQueue(o.requestQueueSize);
    this.device = new QemuVirtioIommu(deps.qemu, deps.container, this.queue, deps.costs);
    const tl = deps.timeline;
    this.lane = tl.defineLane(deps.laneName, "viommu");
    this.flushKind = tl.defineKind({
      name: "virtio-iommu.flush",
      args: [
        { name: "queued", format: "int" },
        { name: "pendingUnmaps", format: "int" }
      ]
    });
    this.mapFailKind = tl.defineKind({
      name: "virtio-iommu.map failed",
      args: [
        { name: "errno", format: "errno" },
        { name: "iova", format: "hex" }
      ],
      failure: true
    });
    this.enomemName = tl.internString("ENOMEM");
    this.kickWhat = deps.qemu.trapName("virtio-iommu-kick");
  }
  name = "virtio-iommu";
  deferredFlush;
  shadowOnFlush;
  apertureStart = 0;
  /** input_range.end; 2^64 - 1 for aw-bits 64 (a double rounds it to 2^64). */
  apertureLast;
  reservedRanges = [VIRTIO_IOMMU_MSI_RANGE];
  laneName;
  queue;
  device;
  /** viommu_domain.mappings */
  mappings = new IntervalMap();
  kicks = 0;
  queueFullKicks = 0;
  syncs = 0;
  flushes = 0;
  mapFailures = 0;
  /** Mappings the driver dropped without sending an UNMAP (viommu_unmap_pages returned 0). */
  orphanedMappings = 0;
  pendingUnmapsPeak = 0;
  faults;
  lane;
  flushKind;
  mapFailKind;
  enomemName;
  kickWhat;
  /** __iommu_map (one viommu_map_pages per iommu_pgsize run) + iotlb_sync_map. */
  map(call, iova, gpa, size, write) {
    if (size <= 0 || iova % PAGE_SIZE !== 0 || gpa % PAGE_SIZE !== 0 || size % PAGE_SIZE !== 0 || iova + size - 1 > this.apertureLast) {
      throw new RangeError(`virtio-iommu map [${iova}, +${size}) -> ${gpa}: not page aligned or outside the aperture`);
    }
    if (this.mappings.firstOverlap(iova, iova + size - 1) !== void 0) {
      throw new RangeError(`virtio-iommu map at ${iova}: already mapped (dma-iommu maps only free IOVAs)`);
    }
    let runs = 0;
    for (let p = iova, g = gpa, rem = size; rem > 0; runs++) {
      const bytes = pgsizeRunBytes(p, g, rem);
      p += bytes;
      g += bytes;
      rem -= bytes;
    }
    for (let i = 0; i < 2 * runs; i++) {
      if (this.faults.fail("alloc")) {
        this.mapFailures++;
        call.errno = ENOMEM;
        call.cause = this.deps.timeline.record(call.t, 0, this.lane, this.mapFailKind, this.enomemName, iova, 0, call.cause);
        return;
      }
    }
    const flags = VIRTIO_IOMMU_MAP_F_READ | (write ? VIRTIO_IOMMU_MAP_F_WRITE : 0);
    for (let p = iova, g = gpa, rem = size; rem > 0; ) {
      const bytes = pgsizeRunBytes(p, g, rem);
      this.mappings.insert({ start: p, last: p + bytes - 1, gpa: g, flags });
      this.enqueue(call, VIRTIO_IOMMU_T_MAP, p, p + bytes - 1, g, flags);
      p += bytes;
      g += bytes;
      rem -= bytes;
    }
    this.kick(call);
  }
  /** __iommu_unmap: viommu_unmap_pages per iommu_pgsize run, until one unmaps nothing. */
  unmap(call, iova, size) {
    for (let done = 0; done < size; ) {
      const bytes = pgsizeRunBytes(iova, iova, size - done);
      const unmapped = this.unmapPages(call, iova, bytes);
      if (unmapped === 0) break;
      iova += unmapped;
      done += unmapped;
    }
  }
  /** viommu_unmap_pages: drops whole mappings starting in range; queues one UNMAP if they cover it. */
  unmapPages(call, iova, bytes) {
    let unmapped = 0;
    let dropped = 0;
    for (const m of this.mappings.overlapping(iova, iova + bytes - 1)) {
      if (m.start < iova) break;
      unmapped += m.last - m.start + 1;
      dropped++;
      this.mappings.delete(m);
    }
    if (unmapped < bytes) {
      this.orphanedMappings += dropped;
      return 0;
    }
    this.enqueue(call, VIRTIO_IOMMU_T_UNMAP, iova, iova + unmapped - 1, 0, 0);
    return unmapped;
  }
  /** viommu_iotlb_sync */
  iotlbSync(call) {
    this.syncs++;
    this.kick(call);
  }
  /** viommu_flush_iotlb_all */
  flushIotlbAll(call) {
    this.flushes++;
    const startNs = call.t;
    const event = this.deps.timeline.record(
      startNs,
      0,
      this.lane,
      this.flushKind,
      this.queue.length,
      this.queue.pendingUnmaps,
      0,
      call.cause
    );
    call.cause = event;
    this.kick(call);
    this.deps.timeline.setDuration(event, call.t - startNs);
  }
  /** __viommu_add_req: a full ring is synced first. */
  enqueue(call, type, start, end, phys, flags) {
    call.t += this.deps.costs.virtioIommuGuestRequestNs;
    if (!this.queue.push(type, start, end, phys, flags)) {
      this.queueFullKicks++;
      this.kick(call);
      this.queue.push(type, start, end, phys, flags);
    }
    if (this.queue.pendingUnmaps > this.pendingUnmapsPeak) this.pendingUnmapsPeak = this.queue.pendingUnmaps;
  }
  /** __viommu_sync_req: kick and wait for every queued request. With EVENT_IDX an empty ring does not notify. */
  kick(call) {
    if (this.queue.length === 0) return;
    this.kicks++;
    this.device.beginTrap(call.t, call.cause);
    this.deps.qemu.trap(call, this.kickWhat, this.device, 0, 0);
  }
  /** The driver's mapping containing `addr` (tests). */
  mappingAt(addr) {
    return this.mappings.containing(addr);
  }
  collectMetrics(into) {
    addMetric(into, "viommu.kicks", this.kicks);
    addMetric(into, "viommu.queueFullKicks", this.queueFullKicks);
    addMetric(into, "viommu.mapFailures", this.mapFailures);
    addMetric(into, "viommu.orphanedMappings", this.orphanedMappings);
    maxMetric(into, "viommu.staleMappingsPeak", this.pendingUnmapsPeak);
    this.device.collectMetrics(into);
  }
  snapshot() {
    const guest = [];
    for (const m of this.mappings.values()) guest.push([m.start, m.last, m.gpa, m.flags]);
    return { guest, device: this.device.snapshot() };
  }
  checkInvariants() {
    const problems = [];
    for (const m of this.mappings.values()) {
      if (m.start % PAGE_SIZE !== 0 || (m.last + 1) % PAGE_SIZE !== 0 || m.gpa % PAGE_SIZE !== 0)
        problems.push(`mapping [${m.start}, ${m.last}] is not page aligned`);
    }
    if (this.queue.length > this.queue.size) problems.push(`request queue holds ${this.queue.length} > ${this.queue.size}`);
    if (this.queue.length === 0 && this.device.requestErrors === 0 && this.orphanedMappings === 0) {
      const mine = [...this.mappings.values()];
      if (mine.length !== this.device.entries) problems.push(`driver holds ${mine.length} mappings, QEMU ${this.device.entries}`);
      for (const m of mine) {
        const d = this.device.mappingAt(m.start);
        if (d === void 0 || d.start !== m.start || d.last !== m.last || d.gpa !== m.gpa || d.flags !== m.flags) {
          problems.push(`mapping [${m.start}, ${m.last}] is not in QEMU as the driver has it`);
        }
      }
    }
    return problems;
  }
};

// core/model/x86/x86Viommu.ts
function requireQemu(ctx, model) {
  if (ctx.qemu === null || ctx.container === null) {
    throw new Error(`${model} for ${ctx.vm.name}/${ctx.device.name} needs QEMU and a VFIO container`);
  }
  return { qemu: ctx.qemu, container: ctx.container };
}
function laneOf(ctx) {
  return `viommu.${ctx.vm.name}.${ctx.device.name}`;
}
function createIntelIommuViommu(ctx, faults = new FaultInjector()) {
  const { qemu, container } = requireQemu(ctx, "intel-iommu");
  const driver = new IntelIommuGuestDriver({
    qemu,
    container,
    costs: ctx.costs,
    timeline: ctx.timeline,
    laneName: laneOf(ctx),
    options: ctx.vm.viommu.intel,
    faults
  });
  return {
    driver,
    dmaOps: null,
    collectMetrics: (into) => driver.collectMetrics(into),
    checkInvariants: () => driver.checkInvariants()
  };
}
function createVirtioIommuViommu(ctx, faults = new FaultInjector()) {
  const { qemu, container } = requireQemu(ctx, "virtio-iommu");
  const driver = new VirtioIommuGuestDriver({
    qemu,
    container,
    costs: ctx.costs,
    timeline: ctx.timeline,
    laneName: laneOf(ctx),
    options: ctx.vm.viommu.virtio,
    faults
  });
  return {
    driver,
    dmaOps: null,
    collectMetrics: (into) => driver.collectMetrics(into),
    checkInvariants: () => driver.checkInvariants()
  };
}

// core/model/ppc/guest/pseriesIommu.ts
function maskTces(bits, pageShift) {
  return bits >= 64 ? 2 ** (64 - pageShift) - 1 : Math.max(0, 2 ** Math.max(0, bits - pageShift) - 1);
}
var PseriesIommu = class {
  constructor(device3, guestPe, machine, sim, costs) {
    this.device = device3;
    this.guestPe = guestPe;
    this.machine = machine;
    this.sim = sim;
    this.costs = costs;
  }
  label = "pseries-iommu";
  maps = 0;
  unmaps = 0;
  mapFailures = 0;
  directMaps = 0;
  iovaExhaustions = 0;
  unmapErrors = 0;
  retired = false;
  /** The DDW this device uses (dma_ops_bypass when direct), set by its probe. */
  ddw = null;
  /** Mask bits the last DDW attempt was made for (0 = never). */
  probedMaskBits = 0;
  coherentPages = /* @__PURE__ */ new Map();
  last = null;
  get group() {
    return this.machine.kernel.group(this.guestPe);
  }
  /**
   * dma_set_mask at probe (or later): a mask above 32 bits (unless disable_ddw) runs enable_ddw once
   * per mask. `boot` work is not queued on shared resources (the guest is not running a workload yet).
   */
  probe(call, maskBits, boot) {
    if (maskBits === this.probedMaskBits) return;
    this.probedMaskBits = maskBits;
    if (maskBits <= 32 || this.machine.options.guestDisableDdw) {
      this.ddw = null;
      return;
    }
    const { hcalls, rtas } = this.machine;
    hcalls.bootMode = boot;
    rtas.bootMode = boot;
    try {
      this.ddw = this.machine.kernel.enableDdw(call, this.group, maskBits);
    } finally {
      hcalls.bootMode = false;
      rtas.bootMode = false;
    }
  }
  /** The device's DDW as it stands now (a window change may have replaced or dropped it). */
  currentDdw() {
    if (this.ddw === null) return null;
    this.ddw = this.group.ddw;
    return this.ddw;
  }
  /** dma_go_direct with dma_ops_bypass: the mask must reach base + RAM (dma_direct_get_required_mask). */
  goesDirect(maskBits) {
    const ddw = this.currentDdw();
    if (ddw === null || !ddw.direct) return null;
    return maskBits >= 64 || 2 ** maskBits - 1 >= ddw.base + this.machine.ramBytes - 1 ? ddw : null;
  }
  tableFor() {
    return this.currentDdw()?.table ?? this.group.defaultTable;
  }
  /** Waits for a window change of the device's PHB to finish. */
  waitForPhb(call) {
    const phb = this.machine.phb(this.guestPe);
    if (phb !== void 0 && call.t < phb.busyUntilNs) {
      call.t = phb.busyUntilNs;
      this.machine.hcalls.blockedCalls++;
    }
  }
  map(call, dev, gpa, bytes, write) {
    this.probe(call, dev.dmaMaskBits, false);
    this.waitForPhb(call);
    call.t += this.costs.guestDmaMapNs;
    const direct = this.goesDirect(dev.dmaMaskBits);
    if (direct !== null) {
      call.dmaAddr = direct.base + gpa;
      this.directMaps++;
      this.maps++;
      return;
    }
    const tbl = this.tableFor();
    const tce = tbl.pageSize;
    const npages = Math.ceil((gpa % tce + bytes) / tce);
    const guestPage = 2 ** this.machine.kernel.guestPageShift;
    const align = tbl.pageShift < this.machine.kernel.guestPageShift && bytes >= guestPage && gpa % guestPage === 0 ? this.machine.kernel.guestPageShift - tbl.pageShift : 0;
    this.iommuMap(call, tbl, gpa, npages, align, dev.dmaMaskBits, write);
  }
  allocCoherent(call, dev, gpa, bytes) {
    this.probe(call, dev.dmaMaskBits, false);
    this.waitForPhb(call);
    call.t += this.costs.guestDmaMapNs;
    const direct = this.goesDirect(dev.coherentMaskBits);
    if (direct !== null) {
      call.dmaAddr = direct.base + gpa;
      this.directMaps++;
      this.maps++;
      return;
    }
    const tbl = this.tableFor();
    const guestPage = 2 ** this.machine.kernel.guestPageShift;
    const size = Math.ceil(bytes / guestPage) * guestPage;
    const nio = Math.ceil(size / tbl.pageSize);
    const q = Math.floor((size - 1) / tbl.pageSize);
    const order = bitsPer(q);
    if (this.iommuMap(call, tbl, gpa, nio, order, dev.coherentMaskBits, true)) this.coherentPages.set(call.dmaAddr, nio);
  }
  /** iommu_alloc: allocate, build the TCEs, return the bus address in call.dmaAddr. */
  iommuMap(call, tbl, gpa, npages, align, maskBits, write) {
    call.t += this.costs.guestIovaAllocNs;
    const entry = tbl.alloc(call.cpu, npages, maskTces(maskBits, tbl.pageShift), align);
    if (entry < 0) {
      this.iovaExhaustions++;
      this.mapFailures++;
      call.errno = ENOMEM;
      return false;
    }
    const tcenum = entry + tbl.offset;
    const tce = tbl.pageSize;
    this.machine.kernel.buildTces(call, tbl.liobn, tbl.pageShift, tcenum, npages, gpa - gpa % tce, write);
    call.dmaAddr = tcenum * tce + gpa % tce;
    this.maps++;
    return true;
  }
  unmap(call, dmaAddr, bytes) {
    this.waitForPhb(call);
    call.t += this.costs.guestDmaMapNs;
    const ddw = this.currentDdw();
    if (ddw !== null && ddw.direct && dmaAddr >= ddw.base && dmaAddr < ddw.base + 2 ** ddw.windowShift) {
      this.unmaps++;
      this.remember(call, dmaAddr, bytes, true, null, 0, 0);
      return;
    }
    const tbl = this.group.tableHolding(dmaAddr);
    const coherent = this.coherentPages.get(dmaAddr);
    const tce = tbl?.pageSize ?? 1;
    const npages = coherent ?? Math.ceil((dmaAddr % tce + bytes) / tce);
    const entry = Math.floor(dmaAddr / tce) - (tbl?.offset ?? 0);
    if (tbl === null || !tbl.isAllocated(entry, npages)) {
      this.unmapErrors++;
      call.errno = EINVAL;
      return;
    }
    if (!this.group.orphanTables.includes(tbl)) this.machine.kernel.freeTces(call, tbl.liobn, tbl.pageShift, entry + tbl.offset, npages);
    tbl.free(entry, npages);
    this.coherentPages.delete(dmaAddr);
    this.unmaps++;
    this.remember(call, dmaAddr, bytes, false, tbl, entry, npages);
  }
  remember(call, dmaAddr, bytes, direct, table, entry, npages) {
    this.last = { dmaAddr, bytes, atNs: call.t, cause: call.cause, direct, table, entry, npages };
  }
  fqDepth() {
    return 0;
  }
  /**
   * A DMA to the last unmapped address: the direct window still maps all RAM (nothing is ever
   * unmapped there); otherwise the TCEs were cleared at once, so it faults unless the entries were
   * handed out again.
   */
  probeLastUnmap() {
    const l = this.last;
    if (l === null) return null;
    let outcome5 = "fault";
    if (l.direct) outcome5 = "unprotected";
    else if (l.table !== null && l.table.anyAllocated(l.entry, l.npages)) outcome5 = "remapped";
    return { dmaAddr: l.dmaAddr, bytes: l.bytes, unmappedAtNs: l.atNs, cause: l.cause, outcome: outcome5 };
  }
  retire() {
    this.retired = true;
    this.machine.layerRetired(this.device, this.sim.now);
  }
  collectMetrics(into) {
    addMetric(into, "dma.maps", this.maps);
    addMetric(into, "dma.unmaps", this.unmaps);
    addMetric(into, "dma.mapFailures", this.mapFailures);
    addMetric(into, "iova.exhaustions", this.iovaExhaustions);
    addMetric(into, "pseries.directMaps", this.directMaps);
    addMetric(into, "pseries.unmapErrors", this.unmapErrors);
  }
};

// core/model/ppc/spaprViommu.ts
var SpaprViommu = class {
  constructor(machine, dmaOps) {
    this.machine = machine;
    this.dmaOps = dmaOps;
  }
  driver = null;
  /** The machine's metrics once per run (by its reporter); the device's own come through its DMA layer. */
  collectMetrics(into) {
    if (this.machine.reporter === this) this.machine.reportMetrics(into);
  }
  checkInvariants() {
    return this.machine.reporter === this ? this.machine.checkInvariants() : [];
  }
};
function spaprMachineKey(vmName2) {
  return `spaprGuest:${vmName2}`;
}
function createSpaprViommu(ctx) {
  const { env, qemu } = ctx;
  if (env === void 0 || qemu === null) throw new Error("the sPAPR vIOMMU needs the VM\u2019s QEMU and the run\u2019s host environment");
  let created = false;
  const machine = env.instance(spaprMachineKey(ctx.vm.name), () => {
    created = true;
    return new SpaprMachine({ costs: ctx.costs, timeline: ctx.timeline, scenario: ctx.scenario, vm: ctx.vm, qemu, env, clock: ctx.sim });
  });
  const pe2 = spaprPlacementOf(ctx.scenario, ctx.device).guestPe;
  const rebuilt = machine.hasLayer(ctx.device.name);
  if (rebuilt) machine.layerRebuilt(pe2, ctx.sim.now);
  const layer = new PseriesIommu(ctx.device.name, pe2, machine, ctx.sim, ctx.costs);
  machine.addLayer(ctx.device.name);
  const fe = new SpaprViommu(machine, layer);
  if (created || ctx.device.name === ctx.vm.devices[0]?.name) machine.reporter = fe;
  if (!rebuilt) probeAtBoot(ctx, machine, layer);
  return fe;
}
function probeAtBoot(ctx, machine, layer) {
  const kernel = machine.kernel;
  const before = kernel.ddwSetupNs;
  const hcallsBefore = kernel.ddwSetupHcalls;
  const call = new DmaCall(0).begin(ctx.sim.now);
  layer.probe(call, ctx.device.dmaMaskBits, true);
  const ns = kernel.ddwSetupNs - before;
  if (ns === 0) return;
  const tl = ctx.timeline;
  const kind = tl.defineKind({
    name: "DDW setup (probe)",
    args: [
      { name: "device", format: "str" },
      { name: "hypercalls", format: "int" },
      { name: "directBytes", format: "bytes" }
    ]
  });
  tl.record(
    ctx.sim.now,
    ns,
    machine.lane,
    kind,
    tl.internString(ctx.device.name),
    kernel.ddwSetupHcalls - hcallsBefore,
    kernel.directMappedBytes,
    call.cause
  );
}

// core/stack/viommuRegistry.ts
var VIOMMU_FACTORIES = {
  "intel-iommu": createIntelIommuViommu,
  "virtio-iommu": createVirtioIommuViommu,
  "s390-zpci": (ctx) => createS390Viommu(ctx),
  "spapr-tce": createSpaprViommu
};

// core/stack/stackCounters.ts
function containersOf(stack) {
  const seen = /* @__PURE__ */ new Set();
  for (const vm of stack.vms) for (const d of vm.devices) if (d.container !== null) seen.add(d.container);
  return [...seen];
}
function defineStackCounters(sim, stack, dmaEntryLimit) {
  const containers = containersOf(stack);
  if (containers.length > 0) {
    sim.counters.define("vfio.entries", "entries", () => {
      let n = 0;
      for (const c of containers) n = Math.max(n, c.entries);
      return n;
    });
    sim.counters.define("vfio.entryLimit", "entries", () => dmaEntryLimit);
  }
  const process2 = stack.env.process;
  sim.counters.define("vfio.lockedBytes", "bytes", () => process2.lockedPages * PAGE_SIZE);
  const limit = () => process2.memlockLimitBytes ?? Number.NaN;
  if (process2.memlockLimitBytes !== null || stack.env.scenario.faults.some((f) => f.kind === "memlock-shrink")) {
    sim.counters.define("vfio.memlockLimitBytes", "bytes", limit);
  }
  const devices = stack.vms.flatMap((vm) => vm.devices);
  sim.counters.define("devices.online", "devices", () => devices.filter((d) => d.lifecycle.accepting).length);
}

// core/workload/fioWorkload.ts
import * as hdr3 from "hdr-histogram-js";

// core/workload/runnableWorkload.ts
var HostDmaReach = class {
  constructor(qemu, container) {
    this.qemu = qemu;
    this.container = container;
  }
  reaches(iova, bytes) {
    return this.qemu.vfioMapFailures === 0 || this.container.translates(iova, bytes);
  }
};
var HostFaultLog = class {
  constructor(sim, host, lane) {
    this.sim = sim;
    this.host = host;
    this.lane = lane;
  }
  kind = -1;
  count = 0;
  /** Whether the device's DMA to [iova, iova + bytes) faults now; if so it is recorded (`tag`: the workload's slot, job or buffer). */
  faults(iova, bytes, tag, cause) {
    if (this.host === null || this.host.reaches(iova, bytes)) return false;
    const tl = this.sim.timeline;
    if (this.kind < 0)
      this.kind = tl.defineKind({
        name: "host IOMMU fault: DMA to an IOVA the host has not mapped (QEMU failed to shadow it)",
        args: [
          { name: "dmaAddr", format: "hex" },
          { name: "bytes", format: "bytes" },
          { name: "tag", format: "int" }
        ],
        failure: true
      });
    this.count++;
    tl.record(this.sim.now, 0, this.lane, this.kind, iova, bytes, tag, cause);
    return true;
  }
  collectMetrics(into) {
    addMetric(into, "iommu.faults", this.count);
  }
};
function deviceTarget(stack, name2) {
  const { vm, device: device3 } = targetDevice2(stack, name2);
  const behindViommu = vm.config.viommu.model !== "none";
  const host = behindViommu && vm.qemu !== null && device3.container !== null ? new HostDmaReach(vm.qemu, device3.container) : null;
  return { vm, target: { device: device3.model, dma: device3.dma, dev: device3.dev, vcpus: vm.vcpus, lifecycle: device3.lifecycle, host } };
}
function highRamBufferGpa(scenario, vm) {
  const regions = guestRamRegions(scenario, vm.config);
  const top = regions[regions.length - 1].gpa;
  return top === 0 ? 16 * 1024 * 1024 : top;
}
function targetDevice2(stack, name2) {
  const found = name2 === void 0 ? void 0 : stack.device(name2);
  const vm = found?.vm ?? stack.vms[0];
  return { vm, device: found?.device ?? vm.devices[0] };
}

// core/workload/fioWorkload.ts
var SUBMIT = 0;
var COMPLETE = 1;
var TO_DEVICE = 2;
var RESOURCE_RETRY_NS = msToNs(3);
var FioWorkloadRunner = class {
  constructor(sim, config, target, endNs) {
    this.sim = sim;
    this.config = config;
    this.target = target;
    this.endNs = endNs;
    this.handler = sim.register(this);
    const tl = sim.timeline;
    const cpus = target.vcpus.count;
    this.calls = Array.from({ length: cpus }, (_, c) => new DmaCall(c));
    this.cpuLanes = Array.from({ length: cpus }, (_, c) => tl.defineLane(`${target.vcpus.vmName}.cpu${c}`, "guest"));
    this.deviceLane = tl.defineLane(`device.${target.device.name}`, "device");
    const bytesArg = { name: "bytes", format: "bytes" };
    const addrArg = { name: "dmaAddr", format: "hex" };
    this.kindMap = tl.defineKind({ name: "dma.map", args: [bytesArg, addrArg, { name: "job", format: "int" }] });
    this.kindMapFailed = tl.defineKind({
      name: "dma.map failed",
      args: [bytesArg, { name: "errno", format: "int" }, { name: "job", format: "int" }],
      failure: true
    });
    this.kindUnmap = tl.defineKind({ name: "dma.unmap", args: [bytesArg, addrArg, { name: "job", format: "int" }] });
    this.kindIo = tl.defineKind({ name: "io", args: [bytesArg, addrArg, { name: "job", format: "int" }] });
    this.hostFaults = new HostFaultLog(sim, target.host, this.deviceLane);
    const slots = config.numjobs * config.iodepth;
    this.submittedAt = new Float64Array(slots).fill(-1);
    this.dmaAddr = new Float64Array(slots);
    this.ioEvent = new Int32Array(slots).fill(NO_CAUSE);
    this.slotEpoch = new Int32Array(slots);
    this.slotPause = new Int32Array(slots);
    this.slotFaulted = new Uint8Array(slots);
    sim.counters.define("io.inflight", "IOs", () => this.inFlight);
    sim.counters.define("io.completedPerInterval", "IOs", () => {
      const delta = this.completed - this.lastSampleCompleted;
      this.lastSampleCompleted = this.completed;
      return delta;
    });
    sim.counters.define("dma.fqDepth", "IOVAs", () => target.dma.fqDepth());
    let lastNs = 0;
    let lastCompleted = 0;
    sim.counters.define("io.iops", "IO/s", () => {
      const dt = sim.now - lastNs;
      const rate = dt > 0 ? (this.completed - lastCompleted) * 1e9 / dt : 0;
      lastNs = sim.now;
      lastCompleted = this.completed;
      return rate;
    });
  }
  handler;
  calls;
  cpuLanes;
  deviceLane;
  kindMap;
  kindMapFailed;
  kindUnmap;
  kindIo;
  hostFaults;
  /** 1 when the slot's IO hit a host IOMMU fault: it completes with an error. */
  slotFaulted;
  submittedAt;
  dmaAddr;
  ioEvent;
  /** The device's epoch when the slot's IO was mapped. */
  slotEpoch;
  /** The device's pauseEpoch when the slot's IO reached it. */
  slotPause;
  errors = 0;
  latency = hdr3.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 36e11,
    numberOfSignificantValueDigits: 3
  });
  completed = 0;
  completedBytes = 0;
  inFlight = 0;
  retries = 0;
  lastSampleCompleted = 0;
  /** Schedules the first IO of every slot, jobs staggered by 1 us so they do not start in lockstep. */
  start() {
    const { numjobs, iodepth } = this.config;
    for (let job = 0; job < numjobs; job++) {
      for (let d = 0; d < iodepth; d++) this.sim.schedule(usToNs(job), this.handler, SUBMIT, job * iodepth + d);
    }
  }
  handleEvent(kind, slot) {
    if (kind === SUBMIT) this.submit(slot);
    else if (kind === TO_DEVICE) this.toDevice(slot);
    else this.complete(slot);
  }
  jobOf(slot) {
    return Math.floor(slot / this.config.iodepth);
  }
  submit(slot) {
    const now = this.sim.now;
    if (now >= this.endNs) return;
    const life = this.target.lifecycle;
    if (!life.accepting) {
      life.park(this.handler, SUBMIT, slot);
      return;
    }
    const job = this.jobOf(slot);
    const cpu = job % this.calls.length;
    const bytes = this.config.blockSizeBytes;
    const vcpus = this.target.vcpus;
    const call = this.calls[cpu].begin(vcpus.startAt(cpu, now));
    const start = call.t;
    if (this.submittedAt[slot] < 0) this.submittedAt[slot] = now;
    this.target.dma.map(call, this.target.dev, this.target.bufferGpa + slot * bytes, bytes, this.config.rw.endsWith("read"));
    vcpus.occupy(cpu, start, call.t);
    const tl = this.sim.timeline;
    if (call.errno !== 0) {
      tl.record(
        start,
        call.t - start,
        this.cpuLanes[cpu],
        this.kindMapFailed,
        bytes,
        call.errno,
        job,
        call.cause
      );
      this.retries++;
      this.sim.scheduleAt(call.t + RESOURCE_RETRY_NS, this.handler, SUBMIT, slot);
      return;
    }
    this.ioEvent[slot] = tl.record(
      start,
      call.t - start,
      this.cpuLanes[cpu],
      this.kindMap,
      bytes,
      call.dmaAddr,
      job,
      call.cause
    );
    this.dmaAddr[slot] = call.dmaAddr;
    this.inFlight++;
    this.slotEpoch[slot] = life.epoch;
    life.ioStarted();
    this.sim.scheduleAt(call.t, this.handler, TO_DEVICE, slot);
  }
  /** The slot's IO belonged to a guest that was reset: forget it and start over with the next guest. */
  dropIfAborted(slot) {
    if (this.slotEpoch[slot] === this.target.lifecycle.epoch) return false;
    this.inFlight--;
    this.submittedAt[slot] = -1;
    this.sim.scheduleAt(this.sim.now, this.handler, SUBMIT, slot);
    return true;
  }
  toDevice(slot) {
    if (this.dropIfAborted(slot)) return;
    const life = this.target.lifecycle;
    if (life.state === "offline") {
      if (life.removed) this.finish(slot, false);
      else life.park(this.handler, TO_DEVICE, slot);
      return;
    }
    this.slotPause[slot] = life.pauseEpoch;
    const now = this.sim.now;
    const bytes = this.config.blockSizeBytes;
    const done = this.target.device.submitIo(now, bytes);
    const mapEv = this.ioEvent[slot];
    const tl = this.sim.timeline;
    this.slotFaulted[slot] = this.hostFaults.faults(this.dmaAddr[slot], bytes, this.jobOf(slot), mapEv) ? 1 : 0;
    this.ioEvent[slot] = tl.record(
      now,
      done - now,
      this.deviceLane,
      this.kindIo,
      bytes,
      this.dmaAddr[slot],
      this.jobOf(slot),
      mapEv
    );
    this.sim.scheduleAt(done, this.handler, COMPLETE, slot);
  }
  complete(slot) {
    if (this.dropIfAborted(slot)) return;
    const life = this.target.lifecycle;
    if (this.slotPause[slot] !== life.pauseEpoch) {
      if (life.removed) this.finish(slot, false);
      else if (life.accepting) this.sim.scheduleAt(this.sim.now, this.handler, TO_DEVICE, slot);
      else life.park(this.handler, TO_DEVICE, slot);
      return;
    }
    const ok = this.slotFaulted[slot] === 0;
    this.slotFaulted[slot] = 0;
    this.finish(slot, ok);
  }
  /** The driver ends the request: unmaps its buffer; counts it done, or failed (EIO). */
  finish(slot, ok) {
    const now = this.sim.now;
    const job = this.jobOf(slot);
    const cpu = job % this.calls.length;
    const bytes = this.config.blockSizeBytes;
    const vcpus = this.target.vcpus;
    const call = this.calls[cpu].begin(vcpus.startAt(cpu, now));
    const start = call.t;
    call.cause = this.ioEvent[slot];
    this.target.dma.unmap(call, this.dmaAddr[slot], bytes);
    vcpus.occupy(cpu, start, call.t);
    this.sim.timeline.record(
      start,
      call.t - start,
      this.cpuLanes[cpu],
      this.kindUnmap,
      bytes,
      this.dmaAddr[slot],
      job,
      call.cause
    );
    this.inFlight--;
    this.target.lifecycle.ioEnded(this.slotEpoch[slot]);
    if (ok) {
      this.completed++;
      this.completedBytes += bytes;
      this.latency.recordValue(Math.max(1, call.t - this.submittedAt[slot]));
    } else this.errors++;
    this.submittedAt[slot] = -1;
    this.sim.scheduleAt(call.t, this.handler, SUBMIT, slot);
  }
  collectMetrics(into, durationNs2) {
    const seconds = durationNs2 / 1e9;
    into["io.completed"] = this.completed;
    into["io.errors"] = this.errors;
    into["io.mapRetries"] = this.retries;
    this.hostFaults.collectMetrics(into);
    into["io.iops"] = seconds > 0 ? this.completed / seconds : 0;
    into["io.bandwidthMBps"] = seconds > 0 ? this.completedBytes / 1e6 / seconds : 0;
    into["io.latencyP50Us"] = this.completed > 0 ? this.latency.getValueAtPercentile(50) / 1e3 : 0;
    into["io.latencyP99Us"] = this.completed > 0 ? this.latency.getValueAtPercentile(99) / 1e3 : 0;
  }
};
var FIO_BUFFER_GPA = 4294967296;
var createFioWorkload = (sim, scenario, stack, endNs) => {
  const workload2 = scenario.workload;
  if (workload2.kind !== "fio") throw new Error("createFioWorkload needs a fio workload");
  const { target } = deviceTarget(stack, workload2.device);
  const fio = new FioWorkloadRunner(sim, workload2, { ...target, bufferGpa: FIO_BUFFER_GPA }, endNs);
  return {
    start: () => fio.start(),
    collectMetrics: (into) => fio.collectMetrics(into, endNs),
    opResults: () => []
  };
};

// core/workload/netWorkload.ts
import * as hdr4 from "hdr-histogram-js";

// core/workload/netTimeline.ts
function defineNetTimeline(tl) {
  const bytes = { name: "bytes", format: "bytes" };
  const addr = { name: "dmaAddr", format: "hex" };
  const cpu = { name: "cpu", format: "int" };
  return {
    kinds: {
      rxMap: tl.defineKind({ name: "net.rx page map", args: [bytes, addr] }),
      mapFailed: tl.defineKind({ name: "net.map failed", args: [bytes, { name: "errno", format: "errno" }, cpu], failure: true }),
      txMap: tl.defineKind({ name: "net.tx map", args: [bytes, addr, cpu] }),
      tx: tl.defineKind({ name: "net.tx", args: [bytes, addr] }),
      txUnmap: tl.defineKind({ name: "net.tx unmap", args: [bytes, addr, cpu] }),
      rx: tl.defineKind({ name: "net.rx", args: [bytes] }),
      drop: tl.defineKind({ name: "net.drop", args: [{ name: "reason", format: "str" }, cpu], failure: true })
    },
    dropReasons: {
      busy: tl.internString("vCPU busy > 1 ms"),
      txRing: tl.internString("TX ring full"),
      txMap: tl.internString("TX map failed"),
      rxRing: tl.internString("no free RX buffer"),
      offline: tl.internString("device not present")
    }
  };
}

// core/workload/netWorkload.ts
var ARRIVE = 0;
var TX_SEND = 1;
var TX_DONE = 2;
var RX_DONE = 3;
var NET_TX_RING_ENTRIES = 1024;
var BUSY_DROP_NS = msToNs(1);
var NetWorkloadRunner = class {
  constructor(sim, config, target, endNs) {
    this.sim = sim;
    this.config = config;
    this.target = target;
    this.endNs = endNs;
    this.handler = sim.register(this);
    const tl = sim.timeline;
    const cpus = target.vcpus.count;
    this.calls = Array.from({ length: cpus }, (_, c) => new DmaCall(c));
    this.cpuLanes = Array.from({ length: cpus }, (_, c) => tl.defineLane(`${target.vcpus.vmName}.cpu${c}`, "guest"));
    this.deviceLane = tl.defineLane(`device.${target.device.name}`, "device");
    ({ kinds: this.kinds, dropReasons: this.dropReasons } = defineNetTimeline(tl));
    this.hostFaults = new HostFaultLog(sim, target.host, this.deviceLane);
    this.intervalNs = 1e9 / config.packetRate;
    this.txMapBytes = alignUp(config.packetBytes, PAGE_SIZE);
    this.txBaseGpa = target.bufferGpa + this.rxPageCount() * this.rxMapBytes();
    for (let s2 = 0; s2 < NET_TX_RING_ENTRIES; s2++) this.freeTx[s2] = NET_TX_RING_ENTRIES - 1 - s2;
    sim.counters.define("net.txInflight", "packets", () => NET_TX_RING_ENTRIES - this.freeTxCount);
    sim.counters.define("io.completedPerInterval", "packets", () => {
      const done = this.txPackets + this.rxPackets;
      const delta = done - this.lastSampleCompleted;
      this.lastSampleCompleted = done;
      return delta;
    });
    sim.counters.define("dma.fqDepth", "IOVAs", () => target.dma.fqDepth());
  }
  handler;
  calls;
  cpuLanes;
  deviceLane;
  kinds;
  dropReasons;
  intervalNs;
  txMapBytes;
  txBaseGpa;
  freeTx = new Int32Array(NET_TX_RING_ENTRIES);
  freeTxCount = NET_TX_RING_ENTRIES;
  txCpu = new Int32Array(NET_TX_RING_ENTRIES);
  txStart = new Float64Array(NET_TX_RING_ENTRIES);
  txAddr = new Float64Array(NET_TX_RING_ENTRIES);
  /** 1 when the slot's packet could not be read: the NIC's DMA faulted in the host IOMMU. */
  txFaulted = new Uint8Array(NET_TX_RING_ENTRIES);
  hostFaults;
  /** The RX ring's mapped pages (IOVA, map event): the NIC fills their buffers in ring order. */
  rxPageAddr = [];
  rxPageEvent = [];
  /** RX buffers filled so far (which buffer of the ring the next packet lands in). */
  rxFilled = 0;
  txEvent = new Int32Array(NET_TX_RING_ENTRIES).fill(NO_CAUSE);
  txEpoch = new Int32Array(NET_TX_RING_ENTRIES);
  /** lifecycle.generation the RX ring was filled for. */
  ringGeneration = 0;
  latency = hdr4.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 36e11,
    numberOfSignificantValueDigits: 3
  });
  trafficStartNs = 0;
  arrived = 0;
  rxFree = 0;
  rxPagesMapped = 0;
  rxBuffersMapped = 0;
  rxPageMapFailures = 0;
  txPackets = 0;
  rxPackets = 0;
  dropped = 0;
  txMapFailures = 0;
  completedBytes = 0;
  lastSampleCompleted = 0;
  /** Buffers per mapping: several per page when they fit, else one (a higher-order page) each. */
  buffersPerMap() {
    return this.config.rxBufferBytes <= PAGE_SIZE ? Math.floor(PAGE_SIZE / this.config.rxBufferBytes) : 1;
  }
  rxMapBytes() {
    return this.config.rxBufferBytes <= PAGE_SIZE ? PAGE_SIZE : alignUp(this.config.rxBufferBytes, PAGE_SIZE);
  }
  /** RX buffers of the mapped pages (the ring the NIC cycles through). */
  rxBuffersInRing() {
    return Math.max(1, this.rxPageAddr.length * this.buffersPerMap());
  }
  /** RX mappings the ring needs: ceil(entries / buffers per page). */
  rxPageCount() {
    return Math.ceil(this.config.rxRingEntries / this.buffersPerMap());
  }
  /** Fills the RX ring on vCPU 0 (ndo_open), then starts the traffic when the ring is ready. */
  start() {
    this.trafficStartNs = Math.ceil(this.fillRxRing(0));
    this.sim.scheduleAt(this.trafficStartNs, this.handler, ARRIVE);
  }
  /** Maps the RX ring's pages on vCPU 0 from `fromNs`; returns when done. */
  fillRxRing(fromNs) {
    const { dma, dev, vcpus } = this.target;
    const mapBytes = this.rxMapBytes();
    const perMap = this.buffersPerMap();
    const tl = this.sim.timeline;
    this.ringGeneration = this.target.lifecycle.generation;
    this.rxFree = 0;
    this.rxPageAddr = [];
    this.rxPageEvent = [];
    this.rxFilled = 0;
    let t = fromNs;
    for (let p = 0; p < this.rxPageCount(); p++) {
      const call = this.calls[0].begin(vcpus.startAt(0, t));
      const start = call.t;
      dma.map(call, dev, this.target.bufferGpa + p * mapBytes, mapBytes, true);
      vcpus.occupy(0, start, call.t);
      if (call.errno === 0) {
        const event = tl.record(
          start,
          call.t - start,
          this.cpuLanes[0],
          this.kinds.rxMap,
          mapBytes,
          call.dmaAddr,
          0,
          call.cause
        );
        this.rxPageAddr.push(call.dmaAddr);
        this.rxPageEvent.push(event);
        const buffers = Math.min(perMap, this.config.rxRingEntries - p * perMap);
        this.rxPagesMapped++;
        this.rxBuffersMapped += buffers;
        this.rxFree += buffers;
      } else {
        const errno = tl.internString(linuxErrnoName(call.errno) ?? "E?");
        tl.record(
          start,
          call.t - start,
          this.cpuLanes[0],
          this.kinds.mapFailed,
          mapBytes,
          errno,
          0,
          call.cause
        );
        this.rxPageMapFailures++;
      }
      t = call.t;
    }
    return t;
  }
  handleEvent(kind, slot) {
    if (kind === ARRIVE) this.arrive();
    else if (kind === TX_SEND) this.txSend(slot);
    else if (kind === TX_DONE) this.txDone(slot);
    else this.rxDone(slot);
  }
  /** Packet i is TX when floor((i+1) * txShare) > floor(i * txShare): an even spread. */
  isTx(i) {
    const share = this.config.txShare;
    return Math.floor((i + 1) * share) > Math.floor(i * share);
  }
  nextArrivalNs(i, now) {
    if (this.config.arrival === "fixed") return this.trafficStartNs + Math.round((i + 1) * this.intervalNs);
    return now + Math.round(this.target.rng.exponential(this.intervalNs));
  }
  drop(now, reason, cpu) {
    this.dropped++;
    this.sim.timeline.record(now, 0, this.cpuLanes[cpu], this.kinds.drop, reason, cpu);
  }
  arrive() {
    const now = this.sim.now;
    if (now >= this.endNs) return;
    const i = this.arrived++;
    const next = this.nextArrivalNs(i, now);
    if (next < this.endNs) this.sim.scheduleAt(next, this.handler, ARRIVE);
    const cpu = i % this.calls.length;
    const life = this.target.lifecycle;
    if (!life.accepting) return this.drop(now, this.dropReasons.offline, cpu);
    if (this.ringGeneration !== life.generation) this.fillRxRing(now);
    if (this.target.vcpus.startAt(cpu, now) - now > BUSY_DROP_NS) return this.drop(now, this.dropReasons.busy, cpu);
    if (this.isTx(i)) this.transmit(now, cpu);
    else this.receive(now, cpu);
  }
  transmit(now, cpu) {
    if (this.freeTxCount === 0) return this.drop(now, this.dropReasons.txRing, cpu);
    const slot = this.freeTx[--this.freeTxCount];
    const { dma, dev, vcpus } = this.target;
    const tl = this.sim.timeline;
    const call = this.calls[cpu].begin(vcpus.startAt(cpu, now));
    const start = call.t;
    dma.map(call, dev, this.txBaseGpa + slot * this.txMapBytes, this.txMapBytes, false);
    vcpus.occupy(cpu, start, call.t);
    const lane = this.cpuLanes[cpu];
    if (call.errno !== 0) {
      const errno = tl.internString(linuxErrnoName(call.errno) ?? "E?");
      tl.record(start, call.t - start, lane, this.kinds.mapFailed, this.txMapBytes, errno, cpu, call.cause);
      this.freeTx[this.freeTxCount++] = slot;
      this.txMapFailures++;
      return this.drop(call.t, this.dropReasons.txMap, cpu);
    }
    this.txEvent[slot] = tl.record(
      start,
      call.t - start,
      lane,
      this.kinds.txMap,
      this.txMapBytes,
      call.dmaAddr,
      cpu,
      call.cause
    );
    this.txCpu[slot] = cpu;
    this.txEpoch[slot] = this.target.lifecycle.epoch;
    this.target.lifecycle.ioStarted();
    this.txStart[slot] = start;
    this.txAddr[slot] = call.dmaAddr;
    this.sim.scheduleAt(Math.ceil(call.t), this.handler, TX_SEND, slot);
  }
  /** A TX packet of a guest that was reset: its descriptor is free again, nothing is unmapped. */
  txLost(slot) {
    if (this.txEpoch[slot] === this.target.lifecycle.epoch) return false;
    this.freeTx[this.freeTxCount++] = slot;
    return true;
  }
  txSend(slot) {
    if (this.txLost(slot)) return;
    const now = this.sim.now;
    const done = this.target.device.submitIo(now, this.config.packetBytes);
    const mapEv = this.txEvent[slot];
    this.txFaulted[slot] = this.hostFaults.faults(this.txAddr[slot], this.config.packetBytes, slot, mapEv) ? 1 : 0;
    this.txEvent[slot] = this.sim.timeline.record(
      now,
      done - now,
      this.deviceLane,
      this.kinds.tx,
      this.config.packetBytes,
      this.txAddr[slot],
      0,
      mapEv
    );
    this.sim.scheduleAt(done, this.handler, TX_DONE, slot);
  }
  txDone(slot) {
    if (this.txLost(slot)) return;
    const cpu = this.txCpu[slot];
    const { dma, vcpus } = this.target;
    const call = this.calls[cpu].begin(vcpus.startAt(cpu, this.sim.now));
    const start = call.t;
    call.cause = this.txEvent[slot];
    dma.unmap(call, this.txAddr[slot], this.txMapBytes);
    vcpus.occupy(cpu, start, call.t);
    this.sim.timeline.record(
      start,
      call.t - start,
      this.cpuLanes[cpu],
      this.kinds.txUnmap,
      this.txMapBytes,
      this.txAddr[slot],
      cpu,
      call.cause
    );
    if (this.txFaulted[slot] === 1) this.drop(call.t, this.sim.timeline.internString("TX DMA faulted in the host IOMMU"), cpu);
    else {
      this.latency.recordValue(Math.max(1, Math.round(call.t - this.txStart[slot])));
      this.txPackets++;
      this.completedBytes += this.config.packetBytes;
    }
    this.freeTx[this.freeTxCount++] = slot;
    this.target.lifecycle.ioEnded(this.txEpoch[slot]);
  }
  receive(now, cpu) {
    if (this.rxFree === 0) return this.drop(now, this.dropReasons.rxRing, cpu);
    this.rxFree--;
    const life = this.target.lifecycle;
    life.ioStarted();
    const done = this.target.device.submitIo(now, this.config.packetBytes);
    this.sim.timeline.record(now, done - now, this.deviceLane, this.kinds.rx, this.config.packetBytes);
    const perMap = this.buffersPerMap();
    const buffer = this.rxFilled++ % this.rxBuffersInRing();
    const page = Math.floor(buffer / perMap);
    const offset = perMap > 1 ? buffer % perMap * this.config.rxBufferBytes : 0;
    const bytes = Math.min(this.config.packetBytes, this.config.rxBufferBytes);
    if (this.hostFaults.faults(this.rxPageAddr[page] + offset, bytes, page, this.rxPageEvent[page])) {
      life.ioEnded(life.epoch);
      this.rxFree++;
      return this.drop(now, this.sim.timeline.internString("RX DMA faulted in the host IOMMU"), cpu);
    }
    this.sim.scheduleAt(done, this.handler, RX_DONE, life.epoch);
  }
  /** The buffer goes back to the ring (page_pool recycling: no unmap, no map). */
  rxDone(epoch) {
    if (epoch !== this.target.lifecycle.epoch) return;
    this.target.lifecycle.ioEnded(epoch);
    this.rxFree++;
    this.rxPackets++;
    this.completedBytes += this.config.packetBytes;
  }
  collectMetrics(into, durationNs2) {
    const seconds = durationNs2 / 1e9;
    const completed = this.txPackets + this.rxPackets;
    this.hostFaults.collectMetrics(into);
    into["io.completed"] = completed;
    into["io.iops"] = seconds > 0 ? completed / seconds : 0;
    into["io.bandwidthMBps"] = seconds > 0 ? this.completedBytes / 1e6 / seconds : 0;
    into["io.latencyP50Us"] = this.txPackets > 0 ? this.latency.getValueAtPercentile(50) / 1e3 : 0;
    into["io.latencyP99Us"] = this.txPackets > 0 ? this.latency.getValueAtPercentile(99) / 1e3 : 0;
    into["net.arrivals"] = this.arrived;
    into["net.txPackets"] = this.txPackets;
    into["net.rxPackets"] = this.rxPackets;
    into["net.rxBuffersMapped"] = this.rxBuffersMapped;
    into["net.rxPagesMapped"] = this.rxPagesMapped;
    into["net.dropped"] = this.dropped;
    into["net.txMapFailures"] = this.txMapFailures;
    into["net.rxMapFailures"] = this.rxPageMapFailures;
  }
};
var createNetWorkload = (sim, scenario, stack, endNs) => {
  const workload2 = scenario.workload;
  if (workload2.kind !== "net") throw new Error("createNetWorkload needs a net workload");
  const { vm, target } = deviceTarget(stack, workload2.device);
  const net = new NetWorkloadRunner(sim, workload2, { ...target, bufferGpa: highRamBufferGpa(scenario, vm), rng: sim.rng.fork() }, endNs);
  return {
    start: () => net.start(),
    collectMetrics: (into) => net.collectMetrics(into, endNs),
    opResults: () => []
  };
};

// core/workload/dpdkWorkload.ts
import * as hdr5 from "hdr-histogram-js";
var SUBMIT2 = 0;
var COMPLETE2 = 1;
var DpdkWorkloadRunner = class {
  constructor(sim, config, target, endNs) {
    this.sim = sim;
    this.config = config;
    this.target = target;
    this.endNs = endNs;
    this.handler = sim.register(this);
    const tl = sim.timeline;
    this.cpuLane = tl.defineLane(`${target.vcpus.vmName}.cpu0`, "guest");
    this.deviceLane = tl.defineLane(`device.${target.device.name}`, "device");
    const bytes = { name: "bytes", format: "bytes" };
    this.kindMap = tl.defineKind({
      name: "dpdk.mempool map",
      args: [bytes, { name: "dmaAddr", format: "hex" }, { name: "chunk", format: "int" }]
    });
    this.kindMapFailed = tl.defineKind({
      name: "dpdk.mempool map failed",
      args: [bytes, { name: "errno", format: "errno" }, { name: "chunk", format: "int" }],
      failure: true
    });
    this.kindIo = tl.defineKind({ name: "dpdk.io", args: [bytes, { name: "slot", format: "int" }] });
    this.submittedAt = new Float64Array(config.numjobs * config.iodepth);
    this.slotEpoch = new Int32Array(config.numjobs * config.iodepth);
    this.slotFaulted = new Uint8Array(config.numjobs * config.iodepth);
    this.hostFaults = new HostFaultLog(sim, target.host, this.deviceLane);
    sim.counters.define("io.completedPerInterval", "IOs", () => {
      const delta = this.completed - this.lastSampleCompleted;
      this.lastSampleCompleted = this.completed;
      return delta;
    });
  }
  handler;
  call = new DmaCall(0);
  cpuLane;
  deviceLane;
  kindMap;
  kindMapFailed;
  kindIo;
  submittedAt;
  slotEpoch;
  /** 1 when the slot's IO faulted in the host IOMMU: it completes in error. */
  slotFaulted;
  hostFaults;
  /** Each mapped chunk's IOVA and map event (where an IO's buffers are, and the cause of a fault there). */
  chunkAddr = [];
  chunkEvent = [];
  chunkLen = [];
  errors = 0;
  /** IOs submitted so far (which chunk the next one's buffers come from). */
  ios = 0;
  /** lifecycle.generation the mempool was mapped for; -1 before the first setup. */
  setupGeneration = -1;
  setupDoneNs = 0;
  setupFailed = false;
  latency = hdr5.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 36e11,
    numberOfSignificantValueDigits: 3
  });
  mappings = 0;
  mapFailures = 0;
  setupNs = 0;
  completed = 0;
  completedBytes = 0;
  lastSampleCompleted = 0;
  /** Maps the mempool (rte_eal_init), then starts every polling core's IOs; jobs staggered by 1 us. */
  start() {
    const ok = this.mapMempool(0);
    if (!ok) return;
    const { numjobs, iodepth } = this.config;
    for (let job = 0; job < numjobs; job++) {
      for (let d = 0; d < iodepth; d++)
        this.sim.scheduleAt(this.setupNs + usToNs(job), this.handler, SUBMIT2, job * iodepth + d);
    }
  }
  /** One map per chunk on vCPU 0; the last chunk may be shorter (page-rounded). Stops at the first failure. */
  mapMempool(fromNs) {
    const { dma, dev, vcpus } = this.target;
    const tl = this.sim.timeline;
    const { mempoolBytes, chunkBytes } = this.config;
    const chunks = Math.ceil(mempoolBytes / chunkBytes);
    this.setupGeneration = this.target.lifecycle.generation;
    let t = fromNs;
    for (let k = 0; k < chunks; k++) {
      const bytes = Math.min(chunkBytes, alignUp(mempoolBytes - k * chunkBytes, PAGE_SIZE));
      const call = this.call.begin(vcpus.startAt(0, t));
      const start = call.t;
      dma.map(call, dev, this.target.mempoolGpa + k * chunkBytes, bytes, true);
      vcpus.occupy(0, start, call.t);
      t = call.t;
      if (call.errno !== 0) {
        const errno = tl.internString(linuxErrnoName(call.errno) ?? "E?");
        tl.record(start, call.t - start, this.cpuLane, this.kindMapFailed, bytes, errno, k, call.cause);
        this.mapFailures++;
        this.setupNs += Math.ceil(t) - fromNs;
        this.setupDoneNs = Math.ceil(t);
        this.setupFailed = true;
        return false;
      }
      this.chunkEvent[k] = tl.record(
        start,
        call.t - start,
        this.cpuLane,
        this.kindMap,
        bytes,
        call.dmaAddr,
        k,
        call.cause
      );
      this.chunkAddr[k] = call.dmaAddr;
      this.chunkLen[k] = bytes;
      this.mappings++;
    }
    this.setupNs += Math.ceil(t) - fromNs;
    this.setupDoneNs = Math.ceil(t);
    return true;
  }
  handleEvent(kind, slot) {
    if (kind === COMPLETE2 && this.slotEpoch[slot] === this.target.lifecycle.epoch) this.complete(slot);
    this.submit(slot);
  }
  /** Posts one IO from an already mapped buffer: no DMA API call. */
  submit(slot) {
    const now = this.sim.now;
    if (now >= this.endNs || this.setupFailed) return;
    const life = this.target.lifecycle;
    if (!life.accepting) {
      life.park(this.handler, SUBMIT2, slot);
      return;
    }
    if (this.setupGeneration !== life.generation && !this.mapMempool(now)) return;
    if (now < this.setupDoneNs) {
      this.sim.scheduleAt(this.setupDoneNs, this.handler, SUBMIT2, slot);
      return;
    }
    const bytes = this.config.blockSizeBytes;
    this.slotEpoch[slot] = life.epoch;
    life.ioStarted();
    this.submittedAt[slot] = now;
    const done = this.target.device.submitIo(now, bytes);
    const perChunk = Math.max(1, Math.floor(this.config.chunkBytes / bytes));
    const n = this.ios++;
    const k = Math.floor(n / perChunk) % this.chunkAddr.length;
    const offset = Math.min(n % perChunk * bytes, Math.max(0, this.chunkLen[k] - bytes));
    const span = Math.min(bytes, this.chunkLen[k]);
    this.slotFaulted[slot] = this.hostFaults.faults(this.chunkAddr[k] + offset, span, slot, this.chunkEvent[k]) ? 1 : 0;
    this.sim.timeline.record(now, done - now, this.deviceLane, this.kindIo, bytes, slot);
    this.sim.scheduleAt(done, this.handler, COMPLETE2, slot);
  }
  complete(slot) {
    this.target.lifecycle.ioEnded(this.slotEpoch[slot]);
    if (this.slotFaulted[slot] === 1) {
      this.errors++;
      return;
    }
    this.completed++;
    this.completedBytes += this.config.blockSizeBytes;
    this.latency.recordValue(Math.max(1, this.sim.now - this.submittedAt[slot]));
  }
  collectMetrics(into, durationNs2) {
    const seconds = durationNs2 / 1e9;
    into["dpdk.setupMs"] = this.setupNs / 1e6;
    into["dpdk.mappings"] = this.mappings;
    into["dpdk.mapFailures"] = this.mapFailures;
    into["io.completed"] = this.completed;
    into["io.errors"] = this.errors;
    this.hostFaults.collectMetrics(into);
    into["io.iops"] = seconds > 0 ? this.completed / seconds : 0;
    into["io.bandwidthMBps"] = seconds > 0 ? this.completedBytes / 1e6 / seconds : 0;
    into["io.latencyP50Us"] = this.completed > 0 ? this.latency.getValueAtPercentile(50) / 1e3 : 0;
    into["io.latencyP99Us"] = this.completed > 0 ? this.latency.getValueAtPercentile(99) / 1e3 : 0;
  }
};
var createDpdkWorkload = (sim, scenario, stack, endNs) => {
  const workload2 = scenario.workload;
  if (workload2.kind !== "dpdk") throw new Error("createDpdkWorkload needs a dpdk workload");
  const { vm, target } = deviceTarget(stack, workload2.device);
  const dpdk = new DpdkWorkloadRunner(sim, workload2, { ...target, mempoolGpa: highRamBufferGpa(scenario, vm) }, endNs);
  return {
    start: () => dpdk.start(),
    collectMetrics: (into) => dpdk.collectMetrics(into, endNs),
    opResults: () => []
  };
};

// core/workload/gpuWorkload.ts
var KERNEL_DONE = 0;
var TRANSFER_DONE = 1;
var RESUME = 2;
var GpuWorkloadRunner = class {
  constructor(sim, config, target, endNs) {
    this.sim = sim;
    this.config = config;
    this.target = target;
    this.endNs = endNs;
    this.handler = sim.register(this);
    const tl = sim.timeline;
    this.cpuLane = tl.defineLane(`${target.vcpus.vmName}.cpu0`, "guest");
    this.deviceLane = tl.defineLane(`device.${target.device.name}`, "device");
    this.hostFaults = new HostFaultLog(sim, target.host, this.deviceLane);
    const bytes = { name: "bytes", format: "bytes" };
    const buffer = { name: "buffer", format: "int" };
    this.kindMap = tl.defineKind({ name: "gpu.buffer map", args: [bytes, { name: "dmaAddr", format: "hex" }, buffer] });
    this.kindMapFailed = tl.defineKind({
      name: "gpu.buffer map failed",
      args: [bytes, { name: "errno", format: "errno" }, buffer],
      failure: true
    });
    this.kindKernel = tl.defineKind({ name: "gpu.kernel", args: [{ name: "kernel", format: "int" }] });
    this.kindTransfer = tl.defineKind({ name: "gpu.transfer", args: [bytes, { name: "dmaAddr", format: "hex" }, buffer] });
    this.kernelNs = usToNs(config.kernelUs);
    this.dmaAddrs = new Float64Array(config.buffers);
  }
  handler;
  call = new DmaCall(0);
  cpuLane;
  deviceLane;
  kindMap;
  kindMapFailed;
  kindKernel;
  kindTransfer;
  kernelNs;
  dmaAddrs;
  mappings = 0;
  mapFailures = 0;
  setupNs = 0;
  kernels = 0;
  transfers = 0;
  kernelEvent = -1;
  /** The guest's map event of each buffer (the cause of a fault on it). */
  mapEvents = [];
  hostFaults;
  /** The transfer in progress hit a host IOMMU fault. */
  transferFaulted = false;
  failedTransfers = 0;
  /** Epoch of the kernel + transfer in flight. */
  cycleEpoch = 0;
  setupGeneration = 0;
  /** Maps every buffer on vCPU 0 (stops at the first failure), then launches the first kernel. */
  start() {
    const end = this.setUp(0);
    if (end >= 0) this.launchKernel(end);
  }
  /** Maps the buffers from `fromNs`; returns when done, or -1 after a failed map. */
  setUp(fromNs) {
    const { dma, dev, vcpus } = this.target;
    const tl = this.sim.timeline;
    const { buffers, bufferBytes } = this.config;
    this.setupGeneration = this.target.lifecycle.generation;
    let t = fromNs;
    for (let b = 0; b < buffers; b++) {
      const call = this.call.begin(vcpus.startAt(0, t));
      const start = call.t;
      dma.map(call, dev, this.target.bufferGpa + b * bufferBytes, bufferBytes, true);
      vcpus.occupy(0, start, call.t);
      t = call.t;
      if (call.errno !== 0) {
        const errno = tl.internString(linuxErrnoName(call.errno) ?? "E?");
        tl.record(start, call.t - start, this.cpuLane, this.kindMapFailed, bufferBytes, errno, b, call.cause);
        this.mapFailures++;
        this.setupNs += Math.ceil(t) - fromNs;
        return -1;
      }
      this.mapEvents[b] = tl.record(
        start,
        call.t - start,
        this.cpuLane,
        this.kindMap,
        bufferBytes,
        call.dmaAddr,
        b,
        call.cause
      );
      this.dmaAddrs[b] = call.dmaAddr;
      this.mappings++;
    }
    this.setupNs += Math.ceil(t) - fromNs;
    return Math.ceil(t);
  }
  launchKernel(at) {
    if (at >= this.endNs) return;
    const life = this.target.lifecycle;
    this.cycleEpoch = life.epoch;
    life.ioStarted();
    this.kernelEvent = this.sim.timeline.record(at, this.kernelNs, this.deviceLane, this.kindKernel, this.kernels);
    this.sim.scheduleAt(at + this.kernelNs, this.handler, KERNEL_DONE);
  }
  /** The next kernel, once the device is there and its buffers are mapped on the current DMA path. */
  next(now) {
    const life = this.target.lifecycle;
    if (!life.accepting) {
      life.park(this.handler, RESUME, 0);
      return;
    }
    if (this.setupGeneration === life.generation) {
      this.launchKernel(now);
      return;
    }
    const end = this.setUp(now);
    if (end >= 0) this.sim.scheduleAt(end, this.handler, RESUME);
  }
  handleEvent(kind) {
    const now = this.sim.now;
    if (kind === RESUME) {
      this.next(now);
      return;
    }
    if (this.cycleEpoch !== this.target.lifecycle.epoch) {
      this.next(now);
      return;
    }
    if (kind === KERNEL_DONE) {
      this.kernels++;
      const b = (this.transfers + this.failedTransfers) % this.config.buffers;
      const bytes = this.config.transferBytes;
      const done = this.target.device.submitIo(now, bytes);
      this.transferFaulted = this.hostFaults.faults(this.dmaAddrs[b], bytes, b, this.mapEvents[b] ?? this.kernelEvent);
      this.sim.timeline.record(
        now,
        done - now,
        this.deviceLane,
        this.kindTransfer,
        bytes,
        this.dmaAddrs[b],
        b,
        this.kernelEvent
      );
      this.sim.scheduleAt(done, this.handler, TRANSFER_DONE);
    } else {
      if (this.transferFaulted) this.failedTransfers++;
      else this.transfers++;
      this.target.lifecycle.ioEnded(this.cycleEpoch);
      this.next(now);
    }
  }
  collectMetrics(into, durationNs2) {
    const seconds = durationNs2 / 1e9;
    const bytes = this.transfers * this.config.transferBytes;
    into["gpu.setupMs"] = this.setupNs / 1e6;
    into["gpu.mappings"] = this.mappings;
    into["gpu.mapFailures"] = this.mapFailures;
    into["gpu.kernels"] = this.kernels;
    into["gpu.transfers"] = this.transfers;
    into["io.errors"] = this.failedTransfers;
    this.hostFaults.collectMetrics(into);
    into["io.completed"] = this.transfers;
    into["io.bandwidthMBps"] = seconds > 0 ? bytes / 1e6 / seconds : 0;
  }
};
var createGpuWorkload = (sim, scenario, stack, endNs) => {
  const workload2 = scenario.workload;
  if (workload2.kind !== "gpu") throw new Error("createGpuWorkload needs a gpu workload");
  const { vm, target } = deviceTarget(stack, workload2.device);
  const gpu = new GpuWorkloadRunner(sim, workload2, { ...target, bufferGpa: highRamBufferGpa(scenario, vm) }, endNs);
  return {
    start: () => gpu.start(),
    collectMetrics: (into) => gpu.collectMetrics(into, endNs),
    opResults: () => []
  };
};

// core/workload/virtioMemWorkload.ts
var PLUG = 0;
var UNPLUG = 1;
var GiB6 = 2 ** 30;
var LINUX_MEMORY_BLOCK_BYTES = 128 * 1024 * 1024;
var VirtioMemWorkloadRunner = class {
  constructor(sim, config, target) {
    this.sim = sim;
    this.config = config;
    this.target = target;
    this.handler = sim.register(this);
    const tl = sim.timeline;
    this.lane = tl.defineLane(`virtio-mem.${target.vcpus.vmName}`, "qemu");
    const bytes = { name: "bytes", format: "bytes" };
    const gpa = { name: "gpa", format: "hex" };
    const vfio = { name: "vfioCalls", format: "int" };
    this.kindPlug = tl.defineKind({ name: "virtio-mem plug", args: [bytes, gpa, vfio] });
    this.kindPlugFailed = tl.defineKind({
      name: "virtio-mem plug failed",
      args: [bytes, gpa, { name: "errno", format: "errno" }],
      failure: true
    });
    this.kindUnplug = tl.defineKind({ name: "virtio-mem unplug", args: [bytes, gpa, vfio] });
    this.plugTrap = target.qemu.trapName("virtio-mem plug");
    this.unplugTrap = target.qemu.trapName("virtio-mem unplug");
    this.requestBytes = Math.max(config.blockSizeBytes, LINUX_MEMORY_BLOCK_BYTES);
    this.requests = Math.ceil(config.plugBytes / this.requestBytes);
    this.plugHandler = { serve: (k) => this.servePlug(k) };
    this.unplugHandler = { serve: (k) => this.serveUnplug(k) };
    this.atNs = msToNs(config.atMs);
    sim.counters.define("virtioMem.pluggedBytes", "bytes", () => (this.blocksPlugged - this.blocksUnplugged) * config.blockSizeBytes);
  }
  handler;
  call = new DmaCall(0);
  lane;
  kindPlug;
  kindPlugFailed;
  kindUnplug;
  plugTrap;
  unplugTrap;
  requestBytes;
  requests;
  plugHandler;
  unplugHandler;
  atNs;
  /** Requests plugged so far (always a prefix of the region). */
  pluggedRequests = 0;
  blocksPlugged = 0;
  blocksUnplugged = 0;
  vfioMaps = 0;
  vfioUnmaps = 0;
  plugFailures = 0;
  plugging = false;
  unplugWaiting = false;
  plugEndNs = -1;
  unplugStartNs = -1;
  unplugEndNs = -1;
  requestFailed = false;
  /** errno name of the VFIO map that failed the last plug request. */
  failedErrno = "EBUSY";
  start() {
    this.sim.scheduleAt(this.atNs, this.handler, PLUG, 0);
    if (this.config.unplugAtMs !== null)
      this.sim.scheduleAt(msToNs(this.config.unplugAtMs), this.handler, UNPLUG, -1);
  }
  /** Guest-physical range of request k. */
  requestGpa(k) {
    return this.target.regionGpa + k * this.requestBytes;
  }
  requestSize(k) {
    return Math.min(this.requestBytes, this.config.plugBytes - k * this.requestBytes);
  }
  handleEvent(kind, k) {
    if (kind === PLUG) this.plug(k);
    else if (k < 0 && this.plugging) this.unplugWaiting = true;
    else this.unplug(k < 0 ? this.pluggedRequests - 1 : k);
  }
  plug(k) {
    const { qemu, vcpus } = this.target;
    this.plugging = true;
    const call = this.call.begin(vcpus.startAt(0, this.sim.now));
    const start = call.t;
    const mapsBefore = this.vfioMaps;
    this.requestFailed = false;
    qemu.trap(call, this.plugTrap, this.plugHandler, k, 0);
    const tl = this.sim.timeline;
    const bytes = this.requestSize(k);
    if (this.requestFailed) {
      const errno = tl.internString(this.failedErrno);
      tl.record(
        start,
        call.t - start,
        this.lane,
        this.kindPlugFailed,
        bytes,
        this.requestGpa(k),
        errno,
        qemu.lastVfioFailure
      );
      this.plugFailures++;
      this.finishPlugging(call.t);
      return;
    }
    tl.record(
      start,
      call.t - start,
      this.lane,
      this.kindPlug,
      bytes,
      this.requestGpa(k),
      this.vfioMaps - mapsBefore,
      call.cause
    );
    this.pluggedRequests++;
    this.blocksPlugged += bytes / this.config.blockSizeBytes;
    this.plugEndNs = call.t;
    if (k + 1 < this.requests) this.sim.scheduleAt(Math.ceil(call.t), this.handler, PLUG, k + 1);
    else this.finishPlugging(call.t);
  }
  finishPlugging(t) {
    this.plugging = false;
    if (this.unplugWaiting) {
      this.unplugWaiting = false;
      this.sim.scheduleAt(Math.ceil(t), this.handler, UNPLUG, this.pluggedRequests - 1);
    }
  }
  /** Unplugs request k, highest first (Linux unplugs from the top), down to the first. */
  unplug(k) {
    if (k < 0) return;
    const { qemu, vcpus } = this.target;
    const call = this.call.begin(vcpus.startAt(0, this.sim.now));
    const start = call.t;
    if (this.unplugStartNs < 0) this.unplugStartNs = start;
    const unmapsBefore = this.vfioUnmaps;
    qemu.trap(call, this.unplugTrap, this.unplugHandler, k, 0);
    const bytes = this.requestSize(k);
    this.sim.timeline.record(
      start,
      call.t - start,
      this.lane,
      this.kindUnplug,
      bytes,
      this.requestGpa(k),
      this.vfioUnmaps - unmapsBefore,
      call.cause
    );
    this.pluggedRequests--;
    this.blocksUnplugged += bytes / this.config.blockSizeBytes;
    this.unplugEndNs = call.t;
    if (k > 0) this.sim.scheduleAt(Math.ceil(call.t), this.handler, UNPLUG, k - 1);
  }
  /** QEMU side of a plug request: one VFIO map per block; on failure one unmap over the request. */
  servePlug(k) {
    const container = this.target.ramContainer;
    if (container === null) return 0;
    const qemu = this.target.qemu;
    const block = this.config.blockSizeBytes;
    const gpa = this.requestGpa(k);
    const size = this.requestSize(k);
    let costNs = 0;
    const errorsBefore = new Map(qemu.vfioErrors);
    for (let off = 0; off < size; off += block) {
      const failuresBefore = qemu.vfioMapFailures;
      this.vfioMaps++;
      costNs += qemu.vfioMap(container, gpa + off, gpa + off, block, false, this.call.t, this.call.cause);
      if (qemu.vfioMapFailures !== failuresBefore) {
        this.vfioUnmaps++;
        costNs += qemu.vfioUnmap(container, gpa, size);
        this.requestFailed = true;
        this.failedErrno = [...qemu.vfioErrors].find(([name2, n]) => n !== (errorsBefore.get(name2) ?? 0))?.[0] ?? "EBUSY";
        break;
      }
    }
    return costNs;
  }
  serveUnplug(k) {
    const container = this.target.ramContainer;
    if (container === null) return 0;
    this.vfioUnmaps++;
    return this.target.qemu.vfioUnmap(container, this.requestGpa(k), this.requestSize(k));
  }
  collectMetrics(into) {
    into["virtioMem.plugMs"] = this.plugEndNs < 0 ? 0 : (this.plugEndNs - this.atNs) / 1e6;
    into["virtioMem.unplugMs"] = this.unplugEndNs < 0 ? 0 : (this.unplugEndNs - this.unplugStartNs) / 1e6;
    into["virtioMem.blocksPlugged"] = this.blocksPlugged;
    into["virtioMem.blocksUnplugged"] = this.blocksUnplugged;
    into["virtioMem.vfioMaps"] = this.vfioMaps;
    into["virtioMem.vfioUnmaps"] = this.vfioUnmaps;
    into["virtioMem.plugFailures"] = this.plugFailures;
  }
};
function virtioMemRegionGpa(regions, blockSizeBytes) {
  const top = regions[regions.length - 1];
  const align = Math.max(GiB6, blockSizeBytes);
  return Math.ceil((top.gpa + top.bytes) / align) * align;
}
function vmOf(stack, name2) {
  const vm = name2 === void 0 ? stack.vms[0] : stack.vms.find((v) => v.config.name === name2);
  if (vm === void 0) throw new Error(`no VM ${name2 ?? "(first)"} (the scenario should have been rejected)`);
  return vm;
}
var createVirtioMemWorkload = (sim, scenario, stack) => {
  const workload2 = scenario.workload;
  if (workload2.kind !== "virtio-mem") throw new Error("createVirtioMemWorkload needs a virtio-mem workload");
  const vm = vmOf(stack, workload2.vm);
  if (vm.qemu === null) throw new Error("virtio-mem needs QEMU (the scenario should have been rejected)");
  const ramContainer = vm.config.viommu.model === "none" ? vm.devices[0]?.container ?? null : null;
  const runner = new VirtioMemWorkloadRunner(sim, workload2, {
    qemu: vm.qemu,
    ramContainer,
    vcpus: vm.vcpus,
    regionGpa: workload2.regionGpa ?? virtioMemRegionGpa(guestRamRegions(scenario, vm.config), workload2.blockSizeBytes)
  });
  return {
    start: () => runner.start(),
    collectMetrics: (into) => runner.collectMetrics(into),
    opResults: () => []
  };
};

// core/workload/probeWorkload.ts
var PCI_DEFAULT_MASK_BITS = 32;
var PROBE_DRIVER = {
  nvme: "nvme",
  "mlx5-vf": "mlx5_core",
  ism: "ism",
  gpu: "gpu",
  "virtio-net-vdpa": "virtio-pci",
  generic: "generic"
};
var ProbeWorkloadRunner = class {
  constructor(sim, targets) {
    this.sim = sim;
    this.targets = targets;
    const tl = sim.timeline;
    const what = { name: "call", format: "str" };
    this.kindDma = tl.defineKind({
      name: "probe.dma",
      args: [what, { name: "bytes", format: "bytes" }, { name: "dmaAddr", format: "hex" }]
    });
    this.kindDmaFailed = tl.defineKind({
      name: "probe.dma failed",
      args: [what, { name: "bytes", format: "bytes" }, { name: "errno", format: "errno" }],
      failure: true
    });
    this.kindProbeFailed = tl.defineKind({
      name: "probe failed",
      args: [
        { name: "device", format: "str" },
        { name: "error", format: "int" }
      ],
      failure: true
    });
  }
  results = [];
  call = new DmaCall(0);
  kindDma;
  kindDmaFailed;
  kindProbeFailed;
  devices = 0;
  failures = 0;
  /** Widest "Using N-bit DMA addresses" N seen (0 when none was logged). */
  addressBits = 0;
  /** Probes every device in order; all at time 0, so devices of one VM queue on its vCPU 0. */
  start() {
    for (const target of this.targets) this.probe(target);
  }
  push(op, errno, ret) {
    this.results.push({ op, ok: errno === 0, errno: linuxErrnoName(errno), ret: errno === 0 ? ret : null });
  }
  /** The driver's mask setting: dma_set_mask_and_coherent when both widths agree, else one call each. */
  setMasks(t) {
    const prefix = `probe.${t.config.name}.dma`;
    const streaming = t.config.dmaMaskBits;
    const coherent = t.config.coherentDmaMaskBits ?? streaming;
    if (!t.maskSupported(streaming)) {
      this.push(`${prefix}.setMask`, EIO, null);
      return EIO;
    }
    t.dev.dmaMaskBits = streaming;
    if (coherent === streaming) t.dev.coherentMaskBits = coherent;
    this.push(`${prefix}.setMask`, 0, streaming);
    if (coherent === streaming) return 0;
    const errno = t.maskSupported(coherent) ? 0 : EIO;
    if (errno === 0) t.dev.coherentMaskBits = coherent;
    this.push(`${prefix}.setCoherentMask`, errno, coherent);
    return errno;
  }
  /** One DMA API call on vCPU 0 of the device's VM; returns its errno. */
  dmaCall(t, what, gpa, dmaAddr, done) {
    const lane = this.sim.timeline.defineLane(`${t.vcpus.vmName}.cpu0`, "guest");
    const call = this.call.begin(t.vcpus.startAt(0, 0));
    const start = call.t;
    if (what === "allocCoherent") t.dma.allocCoherent(call, t.dev, gpa, PAGE_SIZE);
    else if (what === "map") t.dma.map(call, t.dev, gpa, PAGE_SIZE, true);
    else t.dma.unmap(call, dmaAddr, PAGE_SIZE);
    t.vcpus.occupy(0, start, call.t);
    const tl = this.sim.timeline;
    const whatStr = tl.internString(what);
    if (call.errno !== 0) {
      tl.record(
        start,
        call.t - start,
        lane,
        this.kindDmaFailed,
        whatStr,
        PAGE_SIZE,
        tl.internString(linuxErrnoName(call.errno)),
        call.cause
      );
      this.push(`probe.${t.config.name}.dma.${what}`, call.errno, null);
      return call.errno;
    }
    const addr = what === "unmap" ? dmaAddr : call.dmaAddr;
    tl.record(start, call.t - start, lane, this.kindDma, whatStr, PAGE_SIZE, addr, call.cause);
    this.push(`probe.${t.config.name}.dma.${what}`, 0, what === "unmap" ? null : addr);
    if (what !== "unmap") done.push({ what, dmaAddr: call.dmaAddr });
    return 0;
  }
  /** The driver-specific sequence; returns 0 or the errno that failed the probe. */
  sequence(t, done) {
    let page = 0;
    const alloc = () => this.dmaCall(t, "allocCoherent", t.bufferGpa + PAGE_SIZE * page++, 0, done);
    switch (t.config.kind) {
      case "nvme": {
        const err = this.setMasks(t) || alloc() || alloc() || this.dmaCall(t, "map", t.bufferGpa + PAGE_SIZE * page++, 0, done);
        if (err !== 0) return err;
        const mapped = done.pop();
        return this.dmaCall(t, "unmap", 0, mapped.dmaAddr, done);
      }
      case "mlx5-vf":
        return t.config.setsMaskBeforeCoherentAlloc ? this.setMasks(t) || alloc() : alloc() || this.setMasks(t);
      case "ism":
      case "gpu":
      case "virtio-net-vdpa":
      case "generic":
        return this.setMasks(t) || alloc();
      default: {
        const never = t.config.kind;
        throw new Error(`unknown device kind ${String(never)}`);
      }
    }
  }
  probe(t) {
    const name2 = t.config.name;
    const driver = PROBE_DRIVER[t.config.kind];
    t.dev.dmaMaskBits = PCI_DEFAULT_MASK_BITS;
    t.dev.coherentMaskBits = PCI_DEFAULT_MASK_BITS;
    this.devices++;
    const done = [];
    const errno = this.sequence(t, done);
    if (errno === 0) this.push(`probe.${name2}`, 0, 0);
    else {
      for (const step of done.reverse()) this.dmaCall(t, "unmap", 0, step.dmaAddr, []);
      if (t.config.kind === "mlx5-vf" && errno === ENOMEM)
        t.dev.log.push(`${driver} ${name2}: mlx5_mdev_init: Failed initializing cmdif SW structs, aborting`);
      t.dev.log.push(`${driver}: probe of ${name2} failed with error -${errno}`);
      this.results.push({ op: `probe.${name2}`, ok: false, errno: linuxErrnoName(errno), ret: -errno });
      const tl = this.sim.timeline;
      tl.record(
        t.vcpus.startAt(0, 0),
        0,
        tl.defineLane(`${t.vcpus.vmName}.cpu0`, "guest"),
        this.kindProbeFailed,
        tl.internString(name2),
        -errno
      );
      this.failures++;
    }
    this.results.push({ op: `probe.${name2}.dmesg`, ok: true, errno: null, ret: [...t.dev.log] });
    this.addressBits = Math.max(this.addressBits, t.dev.dacBits);
  }
  opResults() {
    return this.results;
  }
  collectMetrics(into) {
    into["probe.devices"] = this.devices;
    into["probe.failures"] = this.failures;
    maxMetric(into, "dma.addressBits", this.addressBits);
  }
};
var createProbeWorkload = (sim, scenario, stack) => {
  const targets = [];
  for (const vm of stack.vms) {
    const ram = guestRamRegions(scenario, vm.config)[0];
    vm.devices.forEach(
      (d, i) => targets.push({
        config: d.config,
        dev: d.dev,
        dma: d.dma,
        vcpus: vm.vcpus,
        maskSupported: (bits) => dmaMaskSupported(d.dma, bits, scenario, vm.config),
        // Each device's probe pages: 64 KiB apart, above the first 16 MiB of guest RAM.
        bufferGpa: ram.gpa + 16 * 1024 * 1024 + i * 64 * 1024
      })
    );
  }
  const probe = new ProbeWorkloadRunner(sim, targets);
  return {
    start: () => probe.start(),
    collectMetrics: (into) => probe.collectMetrics(into),
    opResults: () => probe.opResults()
  };
};

// core/workload/opsWorkload.ts
var STEP = 0;
var REPEAT_FAILURES_RECORDED = 100;
function runOpStep(env, op, rawArgs) {
  const def = OPS.get(op);
  if (def === void 0) throw new Error(`op ${op} is not registered (the scenario should have been rejected)`);
  return def.run(env, def.args.parse(rawArgs));
}
var OpsWorkloadRunner = class {
  constructor(sim, workload2, scenario) {
    this.sim = sim;
    this.workload = workload2;
    this.scenario = scenario;
    this.env = { ...createHostEnvironment(scenario, sim.costs), guest: () => this.guest(), sim };
    this.handler = sim.register(this);
  }
  env;
  handler;
  results = [];
  okKinds = /* @__PURE__ */ new Map();
  failKinds = /* @__PURE__ */ new Map();
  next = 0;
  failed = 0;
  stack = null;
  /** The guest stack, built on the first guest-side step. */
  guest() {
    const stack = this.guestStack();
    return { nowNs: this.sim.now, device: (name2) => stack.device(name2) };
  }
  /** The guest stack on this script's host environment, built on first use. */
  guestStack() {
    return this.stack ??= buildStack(this.sim, this.scenario, VIOMMU_FACTORIES, this.env);
  }
  start() {
    this.sim.schedule(0, this.handler, STEP);
  }
  handleEvent() {
    const step = this.workload.steps[this.next];
    if (step.atMs !== void 0 && this.sim.now < msToNs(step.atMs)) {
      this.sim.scheduleAt(msToNs(step.atMs), this.handler, STEP);
      return;
    }
    const outcome5 = step.repeat === void 0 ? runOpStep(this.env, step.op, step.args) : this.runRepeated(step.op, step.args, step.repeat);
    this.results.push({ op: step.op, ok: outcome5.ok, errno: outcome5.errno, ret: outcome5.ret });
    if (step.repeat === void 0) this.record(step.op, outcome5);
    this.next++;
    if (!outcome5.ok) this.failed++;
    const over = this.next >= this.workload.steps.length || !outcome5.ok && this.workload.stopOnError;
    if (over) {
      if (this.scenario.faults.length === 0) this.sim.stop();
      return;
    }
    this.sim.schedule(outcome5.costNs, this.handler, STEP);
  }
  /**
   * A repeated step: `count` calls back to back, numeric arguments advanced by `add` after each.
   * Reports {count, failed, firstErrno, firstFailedAt, lastRet}; ok when no call failed. Each failure
   * is recorded on the timeline (up to REPEAT_FAILURES_RECORDED), successes once as a summary.
   */
  runRepeated(op, rawArgs, repeat) {
    const def = OPS.get(op);
    const base = def.args.parse(rawArgs);
    const args = { ...base };
    let costNs = 0;
    let failed = 0;
    let firstErrno = null;
    let firstFailedAt = null;
    let lastRet = null;
    let lane = "";
    const startNs = this.sim.now;
    for (let i = 0; i < repeat.count; i++) {
      for (const [k, d] of Object.entries(repeat.add)) args[k] = base[k] + i * d;
      const o = def.run(this.env, args);
      lane = o.lane;
      if (!o.ok) {
        failed++;
        if (firstErrno === null) {
          firstErrno = o.errno;
          firstFailedAt = i;
        }
        if (failed <= REPEAT_FAILURES_RECORDED) this.recordAt(op, o, startNs + costNs);
      }
      lastRet = o.ret;
      costNs += o.costNs;
    }
    const outcome5 = {
      ok: failed === 0,
      errno: firstErrno,
      ret: { count: repeat.count, failed, firstErrno, firstFailedAt, lastRet },
      costNs,
      lane
    };
    if (failed === 0) this.recordAt(op, outcome5, startNs);
    return outcome5;
  }
  record(op, outcome5) {
    this.recordAt(op, outcome5, this.sim.now);
  }
  recordAt(op, outcome5, atNs) {
    const tl = this.sim.timeline;
    const lane = tl.defineLane(outcome5.lane, outcome5.lane.split(".")[0] ?? outcome5.lane);
    const kinds = outcome5.ok ? this.okKinds : this.failKinds;
    let kind = kinds.get(op);
    if (kind === void 0) {
      kind = tl.defineKind({
        name: outcome5.ok ? op : `${op} failed`,
        args: [
          { name: "errno", format: "errno" },
          { name: "ret", format: "str" },
          { name: "step", format: "int" }
        ],
        failure: !outcome5.ok
      });
      kinds.set(op, kind);
    }
    const errno = outcome5.errno === null ? 0 : tl.internString(outcome5.errno);
    tl.record(
      atNs,
      outcome5.costNs,
      lane,
      kind,
      errno,
      tl.internString(JSON.stringify(outcome5.ret ?? null)),
      this.next
    );
  }
  opResults() {
    return this.results;
  }
  collectMetrics(into) {
    this.stack?.collectMetrics(into, this.sim.now, false);
    for (const inst of this.env.instances()) inst.collectMetrics(into);
    into["ops.steps"] = this.results.length;
    into["ops.failed"] = this.failed;
    this.results.forEach((r, i) => collectRetMetrics(into, `ops.${i}`, r.ret, 0));
    into["vfio.lockedBytesPeak"] = this.env.process.lockedPeakBytes;
    into["vfio.lockedBytesEnd"] = this.env.process.lockedPages * PAGE_SIZE;
    into["vfio.memlockFailures"] = this.env.process.memlockFailures;
  }
};
function collectRetMetrics(into, prefix, ret, depth) {
  if (typeof ret === "number") into[depth === 0 ? `${prefix}.ret` : prefix] = ret;
  else if (typeof ret === "boolean") into[depth === 0 ? `${prefix}.ret` : prefix] = ret ? 1 : 0;
  else if (ret !== null && typeof ret === "object" && !Array.isArray(ret) && depth < 2) {
    for (const [k, v] of Object.entries(ret)) collectRetMetrics(into, `${prefix}.${k}`, v, depth + 1);
  }
}

// core/workload/workloads.ts
var WORKLOADS = {
  fio: createFioWorkload,
  net: createNetWorkload,
  dpdk: createDpdkWorkload,
  gpu: createGpuWorkload,
  "virtio-mem": createVirtioMemWorkload,
  probe: createProbeWorkload
};
function createWorkload(sim, scenario, endNs) {
  const kind = scenario.workload.kind;
  if (kind === "ops") {
    const ops = new OpsWorkloadRunner(sim, scenario.workload, scenario);
    return {
      start: () => ops.start(),
      collectMetrics: (into) => ops.collectMetrics(into),
      opResults: () => ops.opResults(),
      stack: () => ops.guestStack()
    };
  }
  const stack = buildStack(sim, scenario, VIOMMU_FACTORIES);
  defineStackCounters(sim, stack, scenario.host.vfio.dmaEntryLimit);
  const workload2 = WORKLOADS[kind](sim, scenario, stack, endNs);
  return {
    start: () => workload2.start(),
    collectMetrics: (into) => {
      workload2.collectMetrics(into);
      stack.collectMetrics(into, endNs);
    },
    opResults: () => workload2.opResults(),
    stack: () => stack
  };
}

// core/faults/faultScheduler.ts
var FaultScheduler = class {
  constructor(sim, faults, ctx) {
    this.sim = sim;
    this.faults = faults;
    this.ctx = ctx;
    this.handler = sim.register(this);
    this.lane = sim.timeline.defineLane("faults", "faults");
    this.kind = sim.timeline.defineKind({ name: "fault injected", args: [{ name: "fault", format: "str" }], failure: true });
  }
  handler;
  lane;
  kind;
  fired = 0;
  start() {
    this.faults.forEach((f, i) => this.sim.scheduleAt(msToNs(f.atMs), this.handler, 0, i, 0, PRIORITY_EARLY));
  }
  handleEvent(_kind, index) {
    const fault = this.faults[index];
    const cause = this.sim.timeline.record(this.sim.now, 0, this.lane, this.kind, this.sim.timeline.internString(JSON.stringify(fault)));
    runFault(this.ctx, fault, cause);
    this.fired++;
  }
};

// core/run/scenarioRun.ts
var COUNTER_SAMPLES = 1e3;
var MAX_COUNTER_SAMPLES = 1e5;
var ScenarioRun = class {
  constructor(scenario, options = {}) {
    this.scenario = scenario;
    this.durationNs = msToNs(scenario.durationMs);
    this.sim = new Simulation({
      seed: scenario.seed,
      costs: resolveCostTable(scenario.costs),
      ...options.timeline === void 0 ? {} : { timeline: options.timeline },
      ...options.variant === void 0 || options.variant === "" ? {} : { counterPrefix: `${options.variant}:` }
    });
    this.timelineStart = this.sim.timeline.size;
    this.droppedStart = this.sim.timeline.dropped;
    const workload2 = createWorkload(this.sim, scenario, this.durationNs);
    this.workload = workload2;
    options.prepare?.(workload2.stack());
    if (scenario.faults.length > 0) {
      this.faults = new FaultScheduler(this.sim, scenario.faults, { sim: this.sim, scenario, stack: () => workload2.stack() });
      this.faults.start();
    }
    const interval = Math.max(
      1,
      Math.min(1e6, Math.floor(this.durationNs / COUNTER_SAMPLES)),
      Math.ceil(this.durationNs / MAX_COUNTER_SAMPLES)
    );
    this.sim.counters.start(durationNs(interval));
    this.workload.start();
  }
  durationNs;
  sim;
  workload;
  faults = null;
  done = false;
  /** Timeline events and drops recorded before this run started (earlier variants of a plan share the recorder). */
  timelineStart;
  droppedStart;
  get simulatedNs() {
    return this.sim.now;
  }
  get eventsProcessed() {
    return this.sim.eventsProcessed;
  }
  get isDone() {
    return this.done;
  }
  /** Runs at most `maxEvents` events; returns true once the run is over. */
  step(maxEvents) {
    if (!this.done) this.done = this.sim.step(this.durationNs, maxEvents);
    return this.done;
  }
  /** Runs to the end in one go (tests, CLI without progress). */
  runToEnd() {
    while (!this.step(1e6)) ;
    return this.result();
  }
  result() {
    if (!this.done) throw new Error("ScenarioRun.result() before the run is over");
    this.sim.counters.sampleNow();
    const metrics = {};
    this.workload.collectMetrics(metrics);
    if (this.faults !== null) metrics["faults.injected"] = this.faults.fired;
    metrics["sim.events"] = this.sim.eventsProcessed;
    metrics["sim.timelineEvents"] = this.sim.timeline.size - this.timelineStart;
    metrics["sim.timelineDropped"] = this.sim.timeline.dropped - this.droppedStart;
    metrics["sim.simulatedMs"] = this.sim.now / 1e6;
    return {
      metrics,
      ops: this.workload.opResults(),
      claims: evaluateClaims(this.scenario.claims, metrics, this.workload.opResults()),
      counters: this.sim.counters.result(),
      timelineHash: this.sim.timeline.hash(this.timelineStart),
      simulatedNs: this.sim.now
    };
  }
  timeline() {
    return this.sim.timeline.columns();
  }
};

// ../../tmp/perf/setup2.ts
var [id, variant] = process.argv.slice(2);
var planned = presetPlan(findPreset(id));
if (!planned.ok) throw new Error(planned.problems.join());
var s = planned.plan.variants.find((x) => x.name === variant)?.scenario ?? planned.plan.base;
var t0 = performance.now();
for (let i = 0; i < 300; i++) {
  const run = new ScenarioRun(s, { timeline: new TimelineRecorder(), variant: variant ?? "" });
  while (!run.step(1e6)) ;
  run.result();
}
console.log(((performance.now() - t0) / 300).toFixed(3), "ms per run");
//# sourceMappingURL=.perf-setup2.mjs.map
