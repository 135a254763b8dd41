// Why the lab and the real kernel disagree, where they do and it is understood: each entry names
// the invariant, the configurations it covers, who is at fault (the model, the lab's inputs, or the
// oracle's setup, which differs from a passthrough) and the mechanism with its source. An entry
// must be specific: a disagreement no entry matches fails `npm run test:kernel`.
// Must not: hide a disagreement by matching broadly (every entry names its invariant ids).

import type { LabObservation } from './oracleLab';
import type { OracleConfig } from './oracleMatrix';
import type { KernelObservation } from './oracleObserve';

export interface Explanation {
  /** Who has to change for the two to agree. */
  readonly fault: 'model' | 'lab input' | 'oracle setup' | 'timing';
  readonly text: string;
}

interface Entry extends Explanation {
  readonly ids: readonly string[];
  readonly applies: (c: OracleConfig, k: KernelObservation, lab: LabObservation | null) => boolean;
}

const VIRTIO_BLK_SG =
  'The lab has no virtio-blk device and no scatter-gather list: its fio maps each IO as one physically contiguous buffer. ' +
  'virtio-blk maps the request header, every physically contiguous run of the user buffer and the status byte with one ' +
  'dma_map_page each (drivers/virtio/virtio_ring.c vring_map_one_sg), so a 256 KiB read costs about 20 DMA maps of mostly 4 KiB.';

const ENTRIES: readonly Entry[] = [
  {
    ids: ['lab-accepts'],
    fault: 'oracle setup',
    text:
      'QEMU refuses to assign a VFIO device behind intel-iommu without caching mode (hw/i386/intel_iommu.c vtd_panic_require_caching_mode); ' +
      'the oracle reads an emulated device, which QEMU allows. The lab models assigned devices only, so it refuses the scenario; ' +
      'its guest side was run from the schema-valid scenario without that check, and the other rows compare that.',
    applies: (c) => c.viommu === 'intel-iommu' && !c.cachingMode,
  },
  {
    ids: ['viommu-map-per-io', 'viommu-requests-per-call'],
    fault: 'model',
    text:
      "The lab's fio buffers are physically contiguous (one guest-physical range per IO slot, an assumption); the real dd buffer " +
      'is scattered over about 20 physically contiguous runs per 128 KiB request, and iommu_map_sg maps each run with its own ' +
      'iommu_map call, one MAP request each; a run whose physical address is less aligned than its IOVA is split further by ' +
      "iommu_pgsize, so how many requests a call costs depends on where the guest's allocator put the pages in that run. The " +
      "rule itself agrees exactly (viommu-pgsize-rule applies the lab's driver to the guest's own calls).",
    applies: (c) => c.device === 'nvme',
  },
  {
    ids: ['maps-per-io', 'map-size', 'request-split', 'qemu-psi-per-io', 'viommu-map-per-io', 'iova-reuse', 'iova-walk', 'psi-mask'],
    fault: 'lab input',
    text:
      'The lab has no guest kernel version input yet (a parallel issue adds it; oracleLab.ts KERNEL_VERSION_OVERRIDE switches the comparison on). ' +
      "The 6.12 guest's NVMe queue takes at most 128 KiB per request (its max_hw_sectors_kb is 128; 512 on 6.1), so each 256 KiB " +
      'read becomes two 128 KiB requests, two DMA maps in flight together; the lab maps the 256 KiB it is given. (128 KiB is the ' +
      "IOVA rcache's largest size, what dma_opt_mapping_size() reports behind an IOMMU; which 6.x change made nvme-pci use it " +
      'was not checked in source here.) ' +
      'A 128 KiB range (32 pages) is small enough for the IOVA rcache, so lazy mode reuses cached ranges instead of walking down; ' +
      "given the kernel's own sizes the lab's allocator returns the same IOVAs (the replay test matches map for map).",
    applies: (c, k, lab) => c.device === 'nvme' && (k.maxHwSectorsKb ?? 0) < 256 && lab !== null && !lab.versionInput,
  },
  {
    ids: [
      'maps-per-io',
      'map-size',
      'qemu-psi-per-io',
      'viommu-map-per-io',
      'viommu-requests-per-call',
      'viommu-unmap-per-unmap',
      'iova-reuse',
      'iova-walk',
      'psi-mask',
      'rpcit-per-map',
      'tce-hcalls-per-map',
      'tce-stuff-per-unmap',
    ],
    fault: 'model',
    text:
      VIRTIO_BLK_SG +
      ' Segments of odd sizes (188 KiB) are also split by iommu_pgsize into several map_pages / unmap_pages calls, one virtio-iommu request each; ' +
      "the lab follows that rule (the viommu-pgsize-rule row applies it to the guest's own calls).",
    applies: (c) => c.device === 'virtio-blk',
  },
  {
    ids: ['iova-replay'],
    fault: 'timing',
    text:
      "s390's single flush queue is flushed by its timer on one CPU with a global RPCIT, which QEMU serves slowly under TCG, while the " +
      "other CPU keeps mapping: the kernel's frees land between that CPU's allocations, the lab frees the whole queue at once. " +
      'Every map agrees up to the first timer flush. (Replaying the frees where the kernel made them is not exact either: kprobes ' +
      'miss hits that nest in another probe on the same CPU, see kprobe_profile.)',
    applies: (c) => c.viommu === 's390-zpci' && c.mode === 'lazy',
  },
  {
    ids: ['rpcit-global'],
    fault: 'timing',
    text:
      'The single flush queue flushes on a 1 s timer (IOVA_SINGLE_FQ_TIMEOUT) or when 32768 entries wait; under TCG the reads take ' +
      'more than a second of guest time, the lab (60 simulated ms) less, so only the kernel reaches the timer. Both flush only from ' +
      'the queue: no unmap issues an RPCIT (rpcit-per-unmap).',
    applies: (c) => c.viommu === 's390-zpci' && c.mode === 'lazy',
  },
];

/** The explanation of a disagreement, or null when none is known. */
export function explain(c: OracleConfig, id: string, k: KernelObservation, lab: LabObservation | null): Explanation | null {
  const e = ENTRIES.find((x) => x.ids.includes(id) && x.applies(c, k, lab));
  return e === undefined ? null : { fault: e.fault, text: e.text };
}

/** What the oracle found beyond the rows: model changes it led to, and gaps no configuration here exercises. */
export const FINDINGS: readonly string[] = [
  "**Fixed in the model** (core/model/guestDma/flushQueue.ts, test in iommuDma.test.ts): the flush-queue timer frees every CPU's " +
    "ring into the rcache of the CPU it runs on (fq_flush_timeout -> fq_ring_free -> free_iova_fast takes the local CPU's " +
    "magazines); the lab freed each ring into its own CPU's rcache. The 6.1 lazy NVMe trace showed it: CPU 1 unmapped, the " +
    "timer ran on CPU 0, and CPU 1's next one-page map did not get that IOVA back. Only the IOVA replay could see it.",
  "**Model gap, not exercised here**: dma-iommu reserves the PCI host bridge windows in every PCI device's IOVA space " +
    '(iova_reserve_pci_windows; the guests here reserve 0x40000000-0xafffffff and 0xc0000000-0xfebfffff besides the MSI window ' +
    "0xfee00000-0xfeefffff); the lab's intel-iommu and virtio-iommu drivers reserve only the MSI window. Allocations only reach " +
    'those windows once more than about 17 MiB is in use below 4 GiB; the lowest IOVA any run here used was 0xff840000, so ' +
    "both reservations give the same IOVAs (the replay uses the kernel's).",
  '**Oracle limits**: the devices are emulated, not assigned, so QEMU shadows nothing into VFIO and the host side (dma_entry_limit, ' +
    'pinning) is not observed; the trace clock is TCG time, so flush counts that depend on the 10 ms / 1 s timers are shown, ' +
    'not compared; kprobes miss hits that nest in another probe on the same CPU (kprobe_profile), so the replay takes unmaps ' +
    "from the iommu:unmap tracepoint and frees from the lab's own flush queue; an allocation an interrupt on the same CPU " +
    "interrupted is ordered after that interrupt's unmap when it returned the unmapped range (dmaTraceOps.ts). A flush-queue timer " +
    'whose fq_flush_timeout hit was missed is placed by its domain-selective IOTLB invalidation (intel-iommu, dmaTraceOps.ts) or, ' +
    'no more often than kprobe_profile counts misses, before the first map that got back an IOVA the lab still holds queued ' +
    '(iovaReplay.ts: no allocator hands out a queued IOVA); a capture with missed hits whose invariants disagree, or a lazy one whose ' +
    'IOVA replay alone disagrees, is captured once more (the first kept in the cache and named in the boot column). ' +
    "An unmap that interrupted the timer on its CPU before fq_flush_iotlb counted the flush is freed by that flush: the trace's " +
    'free_iova shows it, and the flush is placed after that unmap (dmaTraceOps.ts). ' +
    "A timer flush and an unmap on another CPU that share a trace microsecond are put in the order the flush's own frees show: " +
    'an unmap whose IOVA the flush freed goes first (iovaReplay.ts).',
  "**Under TCG the ppc64 guest's DDW creation fails** (ibm,create-pe-dma-window returns -3 for the 16 MiB pages the query offered, page mask 0x107), " +
    'so it keeps the 32-bit default window and maps with TCE hypercalls; the lab scenario turns DDW off to match.',
];
