// Test oracle: the vfio_dma tree (vfioDmaTree.ts) as it was before mappings made by one shadow pass could be kept as runs of
// entries (vfioDmaRun.ts). Every vfio_dma is its own object and tree node, exactly as the kernel
// keeps them. vfioType1.runs.modelBased.test.ts drives random sequences through this and through
// the production container and requires the same answers, counters, costs and snapshots.
// Must not: change; it is the reference the fast path is held to.

import { EINVAL, ENOENT } from '../base/errno';
import { IntervalMap } from '../base/intervalMap';
import type { VfioDmaEnv, VfioDmaTally, VfioDomainSlot } from './vfioDma';
import type { VfioDmaReference as VfioDma } from './vfioDmaReference.testkit';
import type { VfioIovaList } from './vfioIovaList';

export class VfioDmaTreeReference {
  /** Keyed by IOVA; intervals are [start, start of the last 4 KiB page] (see VfioDma.last). */
  readonly map = new IntervalMap<VfioDma>();
  dmaAvail: number;
  /** Pages this container has charged to the process (its share of locked_vm). */
  lockedPages = 0;
  vaddrInvalidCount = 0;

  constructor(readonly dmaEntryLimit: number) {
    this.dmaAvail = dmaEntryLimit;
  }

  get size(): number {
    return this.map.size;
  }

  /** vfio_link_dma of a fully pinned and mapped vfio_dma (its range checked free by the caller); takes one entry. */
  insert(dma: VfioDma): void {
    this.map.insertChecked(dma);
    this.dmaAvail--;
    this.lockedPages += dma.pages;
  }

  /** vfio_remove_dma: unmap and unpin, unlink, give the entry back. */
  remove(dma: VfioDma, env: VfioDmaEnv, domains: readonly VfioDomainSlot[], tally: VfioDmaTally): void {
    dma.unmapUnpin(env, domains, tally);
    this.map.delete(dma);
    this.dmaAvail++;
    this.lockedPages -= dma.pages;
    if (dma.vaddrInvalid) this.vaddrInvalidCount--;
  }

  /**
   * The removal loop of vfio_dma_do_unmap from `first` (the lowest mapping overlapping the range):
   * every mapping starting before `endExcl` goes whole, even past the range end; v1 stops at a
   * mapping that starts before `iova` (a range starting inside a mapping removes nothing of it).
   * Returns the bytes removed.
   */
  removeRange(
    version: 1 | 2,
    first: VfioDma | undefined,
    iova: number,
    endExcl: number,
    env: VfioDmaEnv,
    domains: readonly VfioDomainSlot[],
    tally: VfioDmaTally,
  ): number {
    let removed = 0;
    let dma = first;
    while (dma !== undefined && dma.start < endExcl) {
      if (version === 1 && iova > dma.start) break;
      const next = this.map.next(dma);
      removed += dma.sizeBytes;
      this.remove(dma, env, domains, tally);
      dma = next;
    }
    return removed;
  }

  /**
   * vfio_dma_do_unmap with FLAG_VADDR: the same walk marks vaddrs invalid (mappings stay); meeting
   * a mapping already invalid undoes this call's marks and fails. Returns the bytes marked, or -1
   * for -EINVAL.
   */
  invalidateVaddrs(version: 1 | 2, first: VfioDma | undefined, iova: number, endExcl: number): number {
    let marked = 0;
    let dma = first;
    while (dma !== undefined && dma.start < endExcl) {
      if (version === 1 && iova > dma.start) break;
      if (dma.vaddrInvalid) {
        for (let d = first; d !== undefined && d !== dma; d = this.map.next(d)) {
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
  updateVaddr(hit: VfioDma | undefined, iova: number, sizeBytes: number, vaddr: number): number {
    if (hit === undefined) return ENOENT;
    if (!hit.vaddrInvalid || hit.start !== iova || hit.sizeBytes !== sizeBytes) return EINVAL;
    hit.vaddr = vaddr;
    hit.vaddrInvalid = false;
    this.vaddrInvalidCount--;
    return 0;
  }

  snapshot(): unknown[] {
    return [...this.map.values()].map((m) => ({
      iova: m.start,
      sizeBytes: m.sizeBytes,
      vaddr: m.vaddr,
      pinVaddr: m.pinVaddr,
      prot: m.prot,
      mapSeq: m.mapSeq,
      pages: m.pages,
      ptes: m.ptes,
      vaddrInvalid: m.vaddrInvalid,
    }));
  }

  /**
   * dma_avail + entries = limit; no two mappings overlap and each fits the valid IOVA list; the
   * charged pages are the mappings' pages; each domain's live PTEs are its mappings' layout; the
   * live PTEs of all domains are the sum of the mappings' PTEs.
   */
  checkInvariants(iovaList: VfioIovaList, domains: readonly VfioDomainSlot[], env: VfioDmaEnv): string[] {
    const broken: string[] = [];
    if (this.dmaAvail + this.map.size !== this.dmaEntryLimit) {
      broken.push(`dma_avail ${this.dmaAvail} + entries ${this.map.size} != dma_entry_limit ${this.dmaEntryLimit}`);
    }
    let pages = 0;
    let ptes = 0;
    let invalid = 0;
    let prevEnd = -1;
    for (const m of this.map.values()) {
      if (m.start < prevEnd) broken.push(`mapping at ${m.start} overlaps the previous one (ending at ${prevEnd})`);
      if (!iovaList.containsRange(m.start, m.endExcl)) broken.push(`mapping at ${m.start} is outside the valid IOVA list`);
      prevEnd = m.endExcl;
      pages += m.pages;
      ptes += m.ptes;
      if (m.vaddrInvalid) invalid++;
    }
    if (pages !== this.lockedPages) broken.push(`locked pages charged ${this.lockedPages} != pages pinned by mappings ${pages}`);
    if (invalid !== this.vaddrInvalidCount) broken.push(`vaddr_invalid_count ${this.vaddrInvalidCount} != invalid mappings ${invalid}`);
    let live = 0;
    for (const d of domains) {
      live += d.iommu.livePtes;
      let expect = 0;
      for (const m of this.map.values()) expect += m.ptesIn(env, d);
      if (expect !== d.iommu.livePtes) broken.push(`domain ${d.seq} holds ${d.iommu.livePtes} PTEs, its mappings need ${expect}`);
    }
    if (live !== ptes) broken.push(`live host PTEs ${live} != sum of the mappings' PTEs ${ptes}`);
    return broken;
  }
}
