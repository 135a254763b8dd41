// s390 presets (references 000 and 003): a passed-through NVMe (and an mlx5 VF) on an s390 guest
// whose zPCI translations QEMU shadows into a VFIO type1 container, one 4 KiB mapping per page.
// Must not: hold presets of other architectures.

import type { Preset } from './presetTypes';

const REF000 = 'reference 000 (Niklas Schnelle / Robin Murphy, linux-iommu, Nov 2022)';
const REF003 = 'reference 003 ([PATCH v12 0/6] iommu/dma: s390 DMA API conversion, Aug-Sep 2023)';
const GiB = 1024 ** 3;

/** The releases a thread's tests ran on (docs/model.md#versions): they set the switches those releases have. */
interface Era {
  readonly qemu: string;
  readonly guestKernel: string;
}

/**
 * Reference 000 (Nov 2022): QEMU without Matt Rosato's 7.2/8.0 RPCIT patches ("my version of QEMU
 * (without Matt's IOVA aperture restriction patch)"), a 6.1-based guest with the dma-iommu series
 * (its DMA mode is set explicitly per variant; 6.1 has no NVMe DMA size clamp).
 */
const ERA_000: Era = { qemu: '7.1', guestKernel: '6.1' };
/** Reference 003 (Aug-Sep 2023, series v12 on 6.5/6.6-rc): QEMU 8.1 and a 6.6-era guest with the series. */
const ERA_003: Era = { qemu: '8.1', guestKernel: '6.6' };

/**
 * An s390 KVM guest with one passed-through NVMe running a fio bandwidth test (256 KiB reads, 4 jobs x
 * QD 16), its DMA window the size of guest RAM (no QEMU aperture restriction), without the 6.7 retry.
 */
function nvmeBandwidthScenario(name: string, durationMs: number, era: Era, globalFlushRetry = false): Preset['scenario'] {
  return {
    name,
    durationMs,
    host: { arch: 's390x', hypervisor: 'kvm', qemu: { version: era.qemu } },
    vms: [
      {
        name: 'vm0',
        vcpus: 4,
        memoryBytes: 8 * GiB,
        viommu: { model: 's390-zpci', s390: { apertureRestriction: false, globalFlushRetry } },
        guest: { kernelVersion: era.guestKernel },
        devices: [{ name: 'nvme0', kind: 'nvme' }],
      },
    ],
    workload: { kind: 'fio', rw: 'read', blockSizeBytes: 256 * 1024, iodepth: 16, numjobs: 4 },
  };
}

const exhaustion: Preset = {
  id: 's390-rpcit-exhaustion',
  title: 's390 KVM: lazy flushing exhausts the host mappings QEMU can create',
  summary:
    'fio 256 KiB reads on an s390 KVM guest. QEMU shadows each 4 KiB zPCI translation into its own VFIO mapping and counts them against ' +
    'dma_entry_limit (65535). IOVAs waiting in a flush queue stay mapped in QEMU until a global RPCIT, so lazy modes can use up the limit: ' +
    'RPCIT then answers insufficient resources (status 16) and, without the Linux 6.7 global-flush retry, guest maps fail. Strict mode and the ' +
    "retry avoid the failures. QEMU 8.0's aperture restriction keeps the host from running out, but the guest's IOVA window then holds only " +
    'dma_avail pages (256 MiB), and lazily freed IOVAs fill it: maps fail in the guest instead (dma.iovaSpaceExhausted). QEMU 7.1 and a ' +
    '6.1-based guest with the dma-iommu series, as in the thread; 1 s of fio per variant.',
  thread: REF000,
  scenario: nvmeBandwidthScenario('s390-rpcit-exhaustion', 1000, ERA_000),
  variants: [
    { name: 'percpu', description: 'lazy, per-CPU queues (256 / 10 ms), no retry, no restriction', set: ['vms.0.guest.dmaMode=lazy'] },
    {
      name: 'percpuDeep',
      description: 'per-CPU queues with deeper, larger IO: 4 jobs x QD 52 x 1 MiB reads (53248 pages in flight)',
      set: ['vms.0.guest.dmaMode=lazy', 'workload.iodepth=52', 'workload.blockSizeBytes=1048576'],
    },
    {
      name: 'strictDeep',
      description: 'strict with the same deep IO',
      set: ['vms.0.guest.dmaMode=strict', 'workload.iodepth=52', 'workload.blockSizeBytes=1048576'],
    },
    { name: 'single', description: 'lazy, single queue (32768 / 1 s), no retry, no restriction', set: ['vms.0.guest.dmaMode=lazy-single'] },
    { name: 'strict', description: 'strict, no retry, no restriction', set: ['vms.0.guest.dmaMode=strict'] },
    {
      name: 'retry',
      description: 'lazy (single queue) with the 6.7 global-flush retry',
      set: ['vms.0.guest.dmaMode=lazy-single', 'vms.0.viommu.s390.globalFlushRetry=true'],
    },
    {
      name: 'restricted',
      description: "lazy (single queue) with QEMU 8.0's aperture restriction and the retry",
      set: ['vms.0.guest.dmaMode=lazy-single', 'vms.0.viommu.s390.apertureRestriction=true', 'vms.0.viommu.s390.globalFlushRetry=true'],
    },
  ],
  claims: [
    {
      id: 'percpu-reaches-limit',
      text:
        'With per-CPU flush queues the host mappings reach the 65535 limit in a fio bandwidth test (here 4 jobs x QD 52 x 1 MiB reads): ' +
        "the in-flight buffers plus about 10 ms of lazily unmapped ones (the queues' timer) exceed it.",
      source: REF000,
      metric: 'percpuDeep:vfio.entriesPeak',
      op: '>=',
      value: 65535,
    },
    {
      id: 'percpu-maps-fail',
      text: 'There, without the retry, guest maps fail.',
      source: REF000,
      metric: 'percpuDeep:dma.mapFailures',
      op: '>',
      value: 0,
    },
    {
      id: 'strict-deep-below',
      text: 'Strict mode with the same IO stays below the limit (its peak is the in-flight footprint, 52 x 4 x 256 pages = 53248).',
      source: REF000,
      metric: 'strictDeep:vfio.entriesPeak',
      op: 'between',
      value: 53248,
      valueMax: 53248 + 256,
    },
    {
      id: 'percpu-shallow-below',
      text:
        'With the lighter fio of the other variants (4 x QD 16 x 256 KiB) per-CPU queues stay far below it: the 10 ms timer flushes before ' +
        'more than a few thousand pages wait (65535 pages in 10 ms would take about 25 GB/s); only the single queue (1 s) gets there.',
      source: REF000,
      metric: 'percpu:vfio.entriesPeak',
      op: '<',
      value: 32768,
    },
    {
      id: 'single-reaches-limit',
      text: 'With the single flush queue the host mappings reach the 65535 limit.',
      source: REF000,
      metric: 'single:vfio.entriesPeak',
      op: '>=',
      value: 65535,
    },
    {
      id: 'single-status-16',
      text: 'RPCIT reports insufficient resources (cc 1, status 16).',
      source: REF000,
      metric: 'single:rpcit.outOfResource',
      op: '>',
      value: 0,
    },
    {
      id: 'single-maps-fail',
      text: 'Without the global-flush retry, guest maps fail.',
      source: REF000,
      metric: 'single:dma.mapFailures',
      op: '>',
      value: 0,
    },
    {
      id: 'strict-footprint',
      text: 'In strict mode the host mappings stay near the in-flight footprint (64 IOs x 64 pages = 4096).',
      source: REF000,
      metric: 'strict:vfio.entriesPeak',
      op: 'between',
      value: 4096,
      valueMax: 4096 + 64,
    },
    { id: 'strict-no-failure', text: 'In strict mode no map fails.', source: REF000, metric: 'strict:dma.mapFailures', op: '==', value: 0 },
    {
      id: 'retry-oor-happens',
      text: 'With the retry, out-of-resource answers still occur...',
      source: REF000,
      metric: 'retry:rpcit.outOfResource',
      op: '>',
      value: 0,
    },
    {
      id: 'retry-no-failure',
      text: '...but every map succeeds after the global flush.',
      source: REF000,
      metric: 'retry:dma.mapFailures',
      op: '==',
      value: 0,
    },
    {
      id: 'restricted-window',
      text: "QEMU's aperture restriction shrinks the guest IOVA space to about 256 MiB (dma_avail x 4 KiB).",
      source: 'QEMU 8.0.0 df202e3ff3fc "s390x/pci: shrink DMA aperture to be bound by vfio DMA limit" (reference 000 [0])',
      metric: 'restricted:s390.window.bytes',
      op: 'between',
      value: 255 * 1024 * 1024,
      valueMax: 257 * 1024 * 1024,
    },
    {
      id: 'restricted-no-oor',
      text: 'With the aperture restriction the host never runs out of resources.',
      source: REF000,
      metric: 'restricted:rpcit.outOfResource',
      op: '==',
      value: 0,
      whyNot:
        "QEMU's rpcit_service_call answers status 16 whenever dma_avail ends at 0, even when every entry got mapped; the restricted window " +
        'holds exactly dma_avail pages, so the map that fills its last page gets status 16. The guest then runs out of its own IOVAs (iova.exhaustions) instead.',
    },
    {
      id: 'restricted-guest-exhausts',
      text:
        'With the window bound to what QEMU can map, lazily freed IOVAs fill it and the guest\'s own allocator fails maps ("that presumably ' +
        'means ... free some IOVAs ... and try again ... but the iommu-dma allocator won\'t do that").',
      source: REF000 + ', Robin Murphy',
      metric: 'restricted:iova.exhaustions',
      op: '>',
      value: 0,
    },
  ],
};

const flushCost: Preset = {
  id: 's390-flush-queue-throughput',
  title: 's390: flush queues under KVM vs LPAR',
  summary:
    'fio 256 KiB reads with the DMA API on dma-iommu (per-CPU queues, single queue) and with the pre-6.7 s390 DMA code, under KVM, where ' +
    'every global RPCIT makes QEMU walk and re-shadow the whole DMA window, and on LPAR, where RPCIT needs no shadowing. The DMA window is ' +
    'the size of guest RAM (8 GiB; no aperture restriction, as under z/VM or QEMU before 7.2); with the 6.7 global-flush retry.',
  thread: REF003,
  scenario: nvmeBandwidthScenario('s390-flush-queue-throughput', 200, ERA_003, true),
  variants: [
    { name: 'kvmPercpu', description: 'KVM, dma-iommu with per-CPU queues', set: ['vms.0.guest.dmaMode=lazy'] },
    { name: 'kvmSingle', description: 'KVM, dma-iommu with the single queue', set: ['vms.0.guest.dmaMode=lazy-single'] },
    { name: 'kvmLegacy', description: 'KVM, the s390 DMA code before 6.7', set: ['vms.0.guest.dmaMode=s390-legacy'] },
    { name: 'lparPercpu', description: 'LPAR, per-CPU queues', set: ['host.hypervisor=lpar', 'vms.0.guest.dmaMode=lazy'] },
    { name: 'lparSingle', description: 'LPAR, single queue', set: ['host.hypervisor=lpar', 'vms.0.guest.dmaMode=lazy-single'] },
    {
      name: 'lparLegacy',
      description: 'LPAR, the s390 DMA code before 6.7',
      set: ['host.hypervisor=lpar', 'vms.0.guest.dmaMode=s390-legacy'],
    },
  ],
  claims: [
    {
      id: 'percpu-half',
      text: 'Under KVM, dma-iommu with per-CPU queues reaches about half the throughput of the old s390 DMA code.',
      source: REF003,
      metric: 'kvmPercpu:io.bandwidthMBps',
      per: 'kvmLegacy:io.bandwidthMBps',
      op: 'between',
      value: 0.35,
      valueMax: 0.65,
    },
    {
      id: 'single-recovers',
      text: 'The single flush queue recovers most of it.',
      source: REF003,
      metric: 'kvmSingle:io.bandwidthMBps',
      per: 'kvmLegacy:io.bandwidthMBps',
      op: '>=',
      value: 0.8,
    },
    {
      id: 'lpar-close',
      text: 'On LPAR (no hypervisor shadowing) per-CPU queues are close to the old code.',
      source: REF003,
      metric: 'lparPercpu:io.bandwidthMBps',
      per: 'lparLegacy:io.bandwidthMBps',
      op: '>=',
      value: 0.9,
    },
    {
      id: 'lpar-single-close',
      text: 'On LPAR the single queue is close to the old code too.',
      source: REF003,
      metric: 'lparSingle:io.bandwidthMBps',
      per: 'lparLegacy:io.bandwidthMBps',
      op: '>=',
      value: 0.9,
    },
  ],
};

const mlx5Probe: Preset = {
  id: 's390-mlx5-probe',
  title: 's390: an mlx5 VF that allocates coherent memory before raising its mask',
  summary:
    'On an s390 KVM guest the DMA window starts at 4 GiB. mlx5_core allocates its command page with dma_alloc_coherent before it calls ' +
    'dma_set_mask_and_coherent(64), so the coherent mask is still 32 bits and no IOVA fits: probe fails with -12. With the call order fixed ' +
    'it probes. Without forcedac, an NVMe tries below 4 GiB first and reports "Using 42-bit DMA addresses".',
  thread: REF003,
  scenario: {
    name: 's390-mlx5-probe',
    durationMs: 1,
    host: { arch: 's390x', hypervisor: 'kvm', qemu: { version: ERA_003.qemu } },
    vms: [
      {
        name: 'vm0',
        viommu: { model: 's390-zpci' },
        devices: [
          { name: 'mlx5', kind: 'mlx5-vf', setsMaskBeforeCoherentAlloc: false },
          { name: 'nvme0', kind: 'nvme' },
        ],
      },
    ],
    workload: { kind: 'probe' },
  },
  variants: [
    { name: 'buggy', description: 'mlx5_core as in 2023: coherent allocation before set_dma_caps', set: [] },
    { name: 'fixed', description: 'mlx5_core raising its masks first', set: ['vms.0.devices.0.setsMaskBeforeCoherentAlloc=true'] },
    {
      name: 'noForcedac',
      description: 'iommu.forcedac=0 (as before s390 forced it early enough)',
      set: ['vms.0.guest.kernelParams.iommu\\.forcedac=0'],
    },
  ],
  claims: [
    {
      id: 'mlx5-fails',
      text: 'The mlx5 probe fails (error -12, ENOMEM).',
      source: REF003,
      metric: 'buggy:probe.failures',
      op: '==',
      value: 1,
    },
    {
      id: 'fixed-works',
      text: 'With the order fixed, every device probes.',
      source: REF003,
      metric: 'fixed:probe.failures',
      op: '==',
      value: 0,
    },
    {
      id: 'nvme-42-bit',
      text: 'Without forcedac the NVMe reports "Using 42-bit DMA addresses" (or wider).',
      source: REF003,
      metric: 'noForcedac:dma.addressBits',
      op: '>=',
      value: 42,
    },
  ],
};

export const S390_PRESETS: readonly Preset[] = [exhaustion, flushCost, mlx5Probe];
