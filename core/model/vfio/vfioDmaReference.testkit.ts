// Test oracle: one vfio_dma (vfioDma.ts) as it was before mappings made by one shadow pass could be kept as runs of
// entries (vfioDmaRun.ts). Every vfio_dma is its own object and tree node, exactly as the kernel
// keeps them. vfioType1.runs.modelBased.test.ts drives random sequences through this and through
// the production container and requires the same answers, counters, costs and snapshots.
// Must not: change; it is the reference the fast path is held to.

import { EFAULT, ENOMEM } from '../base/errno';
import type { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';

import { VFIO_IOMMU_TLB_SYNC_MAX, VFIO_PIN_BATCH_PAGES, type VfioDmaEnv, type VfioDmaTally, type VfioDomainSlot } from './vfioDma';

export class VfioDmaReference {
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
    while (mapped < this.pages) {
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
        if (charged + take > process.lockablePages()) {
          process.tryLock(charged + take); // refused: records the RLIMIT_MEMLOCK failure
          err = ENOMEM;
          break;
        }
        charged += take;
        batchLeft -= take;
      }
      if (err !== 0) break;
      // vfio_lock_acct commits the run's charge before it is mapped.
      if (!process.tryLock(charged)) throw new Error('locked-memory budget changed while pinning');
      const runPtes = this.mapRunOnAll(env, domains, mapped, charged, tally);
      if (runPtes < 0) {
        process.unlock(charged);
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
      process.unlock(mapped);
      tally.costNs += this.unmapFromDomains(env, domains, mapped, ptes);
    }
    return err;
  }

  /** vfio_remove_dma's vfio_unmap_unpin: every PTE removed, every page unpinned and uncharged. */
  unmapUnpin(env: VfioDmaEnv, domains: readonly VfioDomainSlot[], tally: VfioDmaTally): void {
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
