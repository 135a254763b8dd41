// One vfio_dma: a MAP_DMA'd IOVA range with its pinned, RLIMIT_MEMLOCK-charged pages and its host
// IOMMU PTEs in every domain of the container, and the walks that build and tear them down:
// vfio_pin_map_dma / vfio_pin_pages_remote (pin in batches of 512 pages, charge each page, one
// iommu_map per physically contiguous run on every domain), vfio_unmap_unpin (one unmap per
// contiguous run on the first domain with IOTLB syncs batched by 512 regions, one whole-range
// unmap on each other domain) and vfio_iommu_replay (a new domain gets the same contiguous runs).
// State is numbers only: the PTE layout in a domain is recomputed from (iova, pinned vaddr,
// backing), so a 4 KiB mapping costs O(1) and a large one O(its runs); whole backing chunks that
// repeat the same step (guest RAM replayed at boot) are taken together, with the chunk-by-chunk
// loops kept as the oracle (vfioDmaReference.testkit.ts, vfioDma.modelBased.test.ts).
// A range in a VM_PFNMAP VMA (a device BAR QEMU mmapped) is mapped without a charge: pin_user_pages
// fails there, vaddr_get_pfns follows the VMA (follow_fault_pfn) and finds no struct page
// (is_invalid_reserved_pfn), so vfio_pin_pages_remote counts its pages as reserved and lock_acct
// never grows; vfio_unmap_unpin gives nothing back for them either (put_pfn skips reserved pfns).
// Must not: check MAP_DMA arguments or touch the container's tree and dma_avail (vfioType1.ts does).

import { EFAULT, ENOMEM } from '../base/errno';
import type { HostIommuDomain } from '../host/hostIommu';
import type { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import type { CostTable } from '../../sim/costTable';
import type { FaultInjector } from '../../sim/faultInjector';

/** VFIO_BATCH_MAX_CAPACITY = PAGE_SIZE / sizeof(struct page *): pages pinned per pin_user_pages_remote. */
export const VFIO_PIN_BATCH_PAGES = 512;
/** VFIO_IOMMU_TLB_SYNC_MAX: unmapped regions gathered per iommu_iotlb_sync in vfio_unmap_unpin. */
export const VFIO_IOMMU_TLB_SYNC_MAX = 512;

/** One IOMMU domain of a container; `seq` grows with each new domain (never reused). */
export interface VfioDomainSlot {
  readonly iommu: HostIommuDomain;
  readonly seq: number;
}

export interface VfioDmaEnv {
  readonly process: HostProcess;
  readonly faults: FaultInjector;
  readonly costs: CostTable;
  readonly disableHugepages: boolean;
}

/** Work a walk adds to; owned and reset by the container. */
export interface VfioDmaTally {
  costNs: number;
  pinBatches: number;
  hostIommuMaps: number;
  /** PTEs a replay mapped for one vfio_dma (reset by the caller before each). */
  ptesMapped: number;
}

export class VfioDma {
  /**
   * Start of the last 4 KiB page (the IntervalMap key range). Mapping bounds are page aligned, so
   * page-granular intervals overlap exactly when the byte ranges do, and unlike the inclusive last
   * byte (k*4096-1) they stay exact in a double up to 2^64.
   */
  readonly last: number;
  /** Pages covered, pinned and charged once pinAndMap succeeded. */
  readonly pages: number;
  /** Host PTEs in all domains together. */
  ptes = 0;
  /** Current user address (VFIO_DMA_MAP_FLAG_VADDR may replace it). */
  vaddr: number;
  /** Set by VFIO_DMA_UNMAP_FLAG_VADDR until a MAP_DMA with FLAG_VADDR supplies a new vaddr. */
  vaddrInvalid = false;
  /** Device memory (a VM_PFNMAP range): mapped, never charged to RLIMIT_MEMLOCK (vaddr_get_pfns). */
  reserved = false;

  constructor(
    readonly start: number,
    readonly sizeBytes: number,
    /** The user address whose pages were pinned; the physical layout follows it for life. */
    readonly pinVaddr: number,
    /** VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE as given. */
    readonly prot: number,
    /** Domains with seq <= mapSeq were mapped at MAP_DMA time; later ones got a replay. */
    readonly mapSeq: number,
  ) {
    this.last = start + sizeBytes - PAGE_SIZE;
    this.pages = sizeBytes / PAGE_SIZE;
    this.vaddr = pinVaddr;
  }

  /** Exclusive end of the IOVA range. */
  get endExcl(): number {
    return this.start + this.sizeBytes;
  }

  /**
   * vfio_pin_map_dma: pin, charge and map the whole range, all or nothing. Returns 0, EFAULT (a page
   * that is not mapped in the process) or ENOMEM (RLIMIT_MEMLOCK exceeded, or an injected failure
   * of a pin batch or an iommu_map); on error every pin, charge and PTE made here is undone.
   */
  pinAndMap(env: VfioDmaEnv, domains: readonly VfioDomainSlot[], tally: VfioDmaTally): number {
    const { process, faults, costs } = env;
    // vfio_batch_init: disable_hugepages falls back to a one-page batch and one page per run.
    const capacity = env.disableHugepages ? 1 : VFIO_PIN_BATCH_PAGES;
    let mapped = 0; // pages pinned, charged and mapped on every domain (dma->size in the kernel)
    let batchLeft = 0; // pinned pages waiting in the batch for the next run
    let pinnedTotal = 0; // pages pinned by this call, unpinned again on error
    let ptes = 0;
    let err = 0;
    // vaddr_get_pfns: a PFNMAP VMA's pfns are reserved (is_invalid_reserved_pfn): pinned, not charged.
    // The lab treats a map whose range lies wholly in one as device memory (QEMU maps a BAR section alone).
    this.reserved = process.pfnmapBytes(this.pinVaddr, this.sizeBytes) === this.sizeBytes;
    while (mapped < this.pages) {
      // Equal whole chunks together; a reserved (PFNMAP) range charges nothing, so it goes page run by run.
      if (batchLeft === 0 && !env.disableHugepages && !this.reserved) {
        const runs = this.mapEqualChunks(env, domains, mapped, tally);
        if (runs > 0) {
          const pages = runs * VFIO_PIN_BATCH_PAGES;
          pinnedTotal += pages;
          mapped += pages;
          ptes += runs * this.lastChunkPtes;
          continue;
        }
      }
      const vaddr = this.pinVaddr + mapped * PAGE_SIZE;
      const runPages = env.disableHugepages ? 1 : process.contiguousBytes(vaddr, (this.pages - mapped) * PAGE_SIZE) / PAGE_SIZE;
      let charged = 0;
      while (charged < runPages) {
        if (batchLeft === 0) {
          const want = Math.min(this.pages - mapped - charged, capacity);
          const got = mappedPrefixPages(process, vaddr + charged * PAGE_SIZE, want);
          if (got === 0) {
            err = EFAULT; // pin_user_pages_remote: no VMA at the address
            break;
          }
          if (faults.fail('pin')) {
            err = ENOMEM;
            break;
          }
          tally.pinBatches++;
          tally.costNs += got * costs.vfioPinPerPageNs;
          pinnedTotal += got;
          batchLeft = got;
        }
        const take = Math.min(runPages - charged, batchLeft);
        // vfio_pin_pages_remote: locked_vm + lock_acct + 1 > limit fails at the crossing page.
        if (!this.reserved && charged + take > process.lockablePages()) {
          process.tryLock(charged + take); // refused: records the RLIMIT_MEMLOCK failure
          err = ENOMEM;
          break;
        }
        charged += take;
        batchLeft -= take;
      }
      if (err !== 0) break;
      // vfio_lock_acct commits the run's charge before it is mapped.
      if (!this.reserved && !process.tryLock(charged)) throw new Error('locked-memory budget changed while pinning');
      const runPtes = this.mapRunOnAll(env, domains, mapped, charged, tally);
      if (runPtes < 0) {
        if (!this.reserved) process.unlock(charged);
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
    // vfio_pin_pages_remote unpins the failed run and the batch; vfio_remove_dma removes the rest.
    tally.costNs += pinnedTotal * costs.vfioUnpinPerPageNs;
    if (mapped > 0) {
      if (!this.reserved) process.unlock(mapped);
      tally.costNs += this.unmapFromDomains(env, domains, mapped, ptes);
    }
    return err;
  }

  /** vfio_remove_dma's vfio_unmap_unpin: every PTE removed, every page unpinned and uncharged. */
  unmapUnpin(env: VfioDmaEnv, domains: readonly VfioDomainSlot[], tally: VfioDmaTally): void {
    tally.costNs += this.unmapFromDomains(env, domains, this.pages, this.ptes) + this.pages * env.costs.vfioUnpinPerPageNs;
    if (!this.reserved) env.process.unlock(this.pages);
    this.ptes = 0;
  }

  /** PTEs one chunk added on all domains in the last mapEqualChunks. */
  private lastChunkPtes = 0;

  /**
   * pinAndMap's loop over `k` whole backing chunks of one pin batch each (2 MiB pages with 512-page
   * batches: guest RAM replayed at boot), all at once: chunk after chunk the loop pins one full
   * batch, charges it and maps it on every domain with the same PTE count, because the IOVA keeps
   * its offset in the chunk. Taken only when none of them can fail (address space, RLIMIT_MEMLOCK,
   * the next injected fault) and every cost is an integer (so k equal sums are k times one, bit for
   * bit); applies the counts, charge, costs and fault sites of the k chunks and returns k (0: the
   * loop goes chunk by chunk). vfioDmaReference.testkit.ts keeps the loop alone as the oracle.
   */
  private mapEqualChunks(env: VfioDmaEnv, domains: readonly VfioDomainSlot[], fromPage: number, tally: VfioDmaTally): number {
    const { process, faults, costs } = env;
    const chunkBytes = process.chunkBytes;
    if (this.pages - fromPage < 2 * VFIO_PIN_BATCH_PAGES || chunkBytes !== VFIO_PIN_BATCH_PAGES * PAGE_SIZE) return 0;
    const vaddr = this.pinVaddr + fromPage * PAGE_SIZE;
    const iova = this.start + fromPage * PAGE_SIZE;
    if (vaddr % chunkBytes !== 0 || !Number.isInteger(vaddr) || !Number.isInteger(iova)) return 0;
    let k = Math.floor((this.pages - fromPage) / VFIO_PIN_BATCH_PAGES);
    k = Math.min(
      k,
      Math.floor(process.lockablePages() / VFIO_PIN_BATCH_PAGES),
      Math.floor(faults.sitesBeforeFailure() / (1 + domains.length)),
    );
    if (k < 2 || !process.isMapped(vaddr, k * chunkBytes) || iova + k * chunkBytes > 2 ** 53) return 0;
    const pinCost = VFIO_PIN_BATCH_PAGES * costs.vfioPinPerPageNs;
    let perChunkCost = pinCost;
    let perChunkPtes = 0;
    let integral = Number.isInteger(tally.costNs) && Number.isInteger(pinCost);
    for (let i = 0; i < domains.length; i++) {
      const d = domains[i]!.iommu;
      const n = d.ptesFor(iova, 0, chunkBytes, chunkBytes);
      const c = d.mapRunCostNs(n);
      integral &&= Number.isInteger(c);
      perChunkCost += c;
      perChunkPtes += n;
    }
    if (!integral || tally.costNs + k * perChunkCost > 2 ** 53) return 0;
    for (let i = 0; i < domains.length; i++) {
      const d = domains[i]!.iommu;
      d.mapRunsRepeated(d.ptesFor(iova, 0, chunkBytes, chunkBytes), k);
    }
    faults.pass(k * (1 + domains.length));
    if (!process.tryLock(k * VFIO_PIN_BATCH_PAGES)) throw new Error('locked-memory budget changed while pinning');
    tally.pinBatches += k;
    tally.hostIommuMaps += k * domains.length;
    tally.costNs += k * perChunkCost;
    this.lastChunkPtes = perChunkPtes;
    return k;
  }

  /**
   * vfio_iommu_replay for this mapping onto a new domain: one iommu_map per physically contiguous
   * run, without pinning again (the pages are pinned and charged already). Returns 0 or ENOMEM
   * (injected iommu_map failure); `tally.ptesMapped` gets the PTEs mapped, which the caller unmaps
   * (by discarding the domain) on failure.
   */
  replayOnto(env: VfioDmaEnv, slot: VfioDomainSlot, tally: VfioDmaTally): number {
    const { process } = env;
    let page = 0;
    while (page < this.pages) {
      const vaddr = this.pinVaddr + page * PAGE_SIZE;
      const runBytes = process.contiguousBytes(vaddr, (this.pages - page) * PAGE_SIZE);
      if (env.faults.fail('iommu-map')) return ENOMEM;
      const r = slot.iommu.mapRun(this.start + page * PAGE_SIZE, process.physOffsetInChunk(vaddr), process.chunkBytes, runBytes);
      tally.costNs += r.costNs;
      tally.hostIommuMaps++;
      tally.ptesMapped += r.ptes;
      page += runBytes / PAGE_SIZE;
    }
    return 0;
  }

  /** PTEs this mapping holds in `slot` over its first `toPage` pages (a run boundary). */
  ptesIn(env: VfioDmaEnv, slot: VfioDomainSlot, toPage = this.pages): number {
    // Mapped at MAP time with disable_hugepages: one iommu_map, hence one 4 KiB PTE, per page.
    if (env.disableHugepages && slot.seq <= this.mapSeq) return toPage;
    const { process } = env;
    let ptes = 0;
    let page = 0;
    while (page < toPage) {
      const vaddr = this.pinVaddr + page * PAGE_SIZE;
      if ((toPage - page) * PAGE_SIZE >= 2 * process.chunkBytes && vaddr % process.chunkBytes === 0) {
        // k whole chunks hold k times one chunk's PTEs (the IOVA keeps its offset in the chunk).
        const chunkPages = process.chunkBytes / PAGE_SIZE;
        const k = Math.floor((toPage - page) / chunkPages);
        const iova = this.start + page * PAGE_SIZE;
        if (k >= 2 && Number.isInteger(vaddr) && Number.isInteger(iova) && iova + k * process.chunkBytes <= 2 ** 53) {
          ptes += k * slot.iommu.ptesFor(iova, 0, process.chunkBytes, process.chunkBytes);
          page += k * chunkPages;
          continue;
        }
      }
      const runBytes = process.contiguousBytes(vaddr, (toPage - page) * PAGE_SIZE);
      ptes += slot.iommu.ptesFor(this.start + page * PAGE_SIZE, process.physOffsetInChunk(vaddr), process.chunkBytes, runBytes);
      page += runBytes / PAGE_SIZE;
    }
    return ptes;
  }

  /**
   * vfio_iommu_map for one pinned run: iommu_map on every domain in list order, unwinding the
   * domains already mapped if one fails. Returns the PTEs added, or -1 after an injected failure.
   */
  private mapRunOnAll(env: VfioDmaEnv, domains: readonly VfioDomainSlot[], fromPage: number, pages: number, tally: VfioDmaTally): number {
    const { process } = env;
    const iova = this.start + fromPage * PAGE_SIZE;
    const vaddr = this.pinVaddr + fromPage * PAGE_SIZE;
    const physOffset = process.physOffsetInChunk(vaddr);
    const bytes = pages * PAGE_SIZE;
    let ptes = 0;
    for (let i = 0; i < domains.length; i++) {
      if (env.faults.fail('iommu-map')) {
        for (let j = 0; j < i; j++) {
          const d = domains[j]!.iommu;
          tally.costNs += d.unmapPtes(d.ptesFor(iova, physOffset, process.chunkBytes, bytes)) + d.iotlbSync();
        }
        return -1;
      }
      const r = domains[i]!.iommu.mapRun(iova, physOffset, process.chunkBytes, bytes);
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
  private unmapFromDomains(env: VfioDmaEnv, domains: readonly VfioDomainSlot[], toPage: number, expectPtes: number): number {
    const { process } = env;
    let costNs = 0;
    let removed = 0;
    for (let i = 1; i < domains.length; i++) {
      const slot = domains[i]!;
      const n = this.ptesIn(env, slot, toPage);
      costNs += slot.iommu.unmapPtes(n) + slot.iommu.iotlbSync();
      removed += n;
    }
    const first = domains[0]!;
    const perPage = env.disableHugepages && first.seq <= this.mapSeq;
    let regions = 0;
    let page = 0;
    while (page < toPage) {
      const vaddr = this.pinVaddr + page * PAGE_SIZE;
      if (!perPage && (toPage - page) * PAGE_SIZE >= 2 * process.chunkBytes && vaddr % process.chunkBytes === 0) {
        // k whole chunks: k equal iommu_unmap_fast calls (the IOVA keeps its offset in the chunk),
        // a sync after every 512th region. Integer costs only, so the sum is bit for bit the loop's.
        const chunkBytes = process.chunkBytes;
        const chunkPages = chunkBytes / PAGE_SIZE;
        const k = Math.floor((toPage - page) / chunkPages);
        const iova = this.start + page * PAGE_SIZE;
        if (k >= 2 && Number.isInteger(vaddr) && Number.isInteger(iova) && iova + k * chunkBytes <= 2 ** 53) {
          const n = first.iommu.ptesFor(iova, 0, chunkBytes, chunkBytes);
          const unmapCost = first.iommu.unmapCostNs(n);
          const syncs = Math.floor((regions + k) / VFIO_IOMMU_TLB_SYNC_MAX);
          const syncCost = first.iommu.iotlbSyncCostNs;
          const total = costNs + k * unmapCost + syncs * syncCost;
          if (
            Number.isInteger(costNs) &&
            Number.isInteger(unmapCost) &&
            Number.isInteger(syncCost) &&
            total <= 2 ** 53 &&
            n * k <= first.iommu.livePtes
          ) {
            first.iommu.unmapRunsRepeated(n, k, syncs);
            costNs = total;
            removed += n * k;
            regions = (regions + k) % VFIO_IOMMU_TLB_SYNC_MAX;
            page += k * chunkPages;
            continue;
          }
        }
      }
      const runBytes = process.contiguousBytes(vaddr, (toPage - page) * PAGE_SIZE);
      const runPages = runBytes / PAGE_SIZE;
      const n = perPage
        ? runPages
        : first.iommu.ptesFor(this.start + page * PAGE_SIZE, process.physOffsetInChunk(vaddr), process.chunkBytes, runBytes);
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
}

/**
 * vfio_unmap_unpin's IOMMU side for `times` single-page vfio_dma entries (a run's), one entry at a
 * time as unmapFromDomains does it for one page: every other domain one iommu_unmap and one sync,
 * the first domain one iommu_unmap_fast and one sync. Applies the PTE and call counts for all of
 * them and returns the cost of one entry, summed in the order unmapFromDomains sums it.
 */
export function unmapSinglePages(domains: readonly VfioDomainSlot[], times: number): number {
  let costNs = 0;
  for (let i = 1; i < domains.length; i++) {
    const iommu = domains[i]!.iommu;
    costNs += iommu.unmapSinglePages(times) + iommu.syncRepeated(times);
  }
  const first = domains[0]!.iommu;
  costNs += first.unmapSinglePages(times);
  costNs += first.syncRepeated(times);
  return costNs;
}

/**
 * vfio_pin_map_dma for `times` single-page vfio_dma entries (a run's), each pinned in its own batch
 * and mapped with one iommu_map per domain in list order. Applies the PTE and call counts for all
 * of them and returns the pin-and-map cost of one entry (the tally an entry's MAP_DMA adds to its
 * ioctl cost), summed in the order pinAndMap sums it. The caller charges the pages.
 */
export function mapSinglePages(env: VfioDmaEnv, domains: readonly VfioDomainSlot[], times: number): number {
  let costNs = 0;
  costNs += env.costs.vfioPinPerPageNs;
  for (let i = 0; i < domains.length; i++) costNs += domains[i]!.iommu.mapSinglePages(times);
  return costNs;
}

/** Pages from `vaddr` (at most `want`) that pin_user_pages_remote can pin before an unmapped address. */
function mappedPrefixPages(process: HostProcess, vaddr: number, want: number): number {
  if (process.isMapped(vaddr, want * PAGE_SIZE)) return want;
  let ok = 0;
  let bad = want;
  while (bad - ok > 1) {
    const mid = Math.floor((ok + bad) / 2);
    if (process.isMapped(vaddr, mid * PAGE_SIZE)) ok = mid;
    else bad = mid;
  }
  return ok;
}
