// A type1 container's vfio_dma rbtree (iommu->dma_list) with the counts tied to it: dma_avail
// (dma_entry_limit minus entries), the pages the container charged to locked_vm and
// vaddr_invalid_count; and the UNMAP_DMA walk over it (vfio_dma_do_unmap from
// vfio_find_dma_first_node, with the v1 stop rule), including the FLAG_VADDR variant. A node is one
// vfio_dma, or a run of single-page entries mapped back to back (vfioDmaRun.ts); counts, costs and
// snapshots are per entry either way.
// Must not: check ioctl arguments (vfioType1.ts) or pin and map pages (vfioDma.ts).

import { EINVAL, ENOENT } from '../base/errno';
import { IntervalMap } from '../base/intervalMap';
import { PAGE_SIZE } from '../base/pages';
import { unmapSinglePages, type VfioDma, type VfioDmaEnv, type VfioDmaTally, type VfioDomainSlot } from './vfioDma';
import { VfioDmaRun } from './vfioDmaRun';
import type { VfioIovaList } from './vfioIovaList';

export type VfioDmaNode = VfioDma | VfioDmaRun;

/** Pages a vfio_dma charged: none for device memory (a reserved PFNMAP range, vfioDma.ts). */
function charged(dma: VfioDma): number {
  return dma.reserved ? 0 : dma.pages;
}

export class VfioDmaTree {
  /** Keyed by IOVA; intervals are [start, start of the last 4 KiB page] (see VfioDma.last). */
  readonly map = new IntervalMap<VfioDmaNode>();
  /** vfio_dma entries (a run counts each of its entries). */
  private entryCount = 0;
  dmaAvail: number;
  /** Pages this container has charged to the process (its share of locked_vm). */
  lockedPages = 0;
  /** Most pages it had charged at once (a statistic, not state a failed call must preserve). */
  lockedPagesPeak = 0;
  vaddrInvalidCount = 0;

  constructor(readonly dmaEntryLimit: number) {
    this.dmaAvail = dmaEntryLimit;
  }

  get size(): number {
    return this.entryCount;
  }

  /**
   * vfio_link_dma of a fully pinned and mapped vfio_dma (its range checked free by the caller);
   * takes one entry. Right after the caller's vfio_find_dma (map.firstOverlap(dma.start, ...)) it
   * links where that search landed, as vfio_link_dma walks the rbtree to the slot once: the B+ tree
   * does not descend again (IntervalMap.insertAfterFirstOverlap; any other lookup in between only
   * costs an ordinary insert).
   */
  insert(dma: VfioDma): void {
    this.map.insertAfterFirstOverlap(dma);
    this.dmaAvail--;
    this.entryCount++;
    this.lockedPages += charged(dma);
    if (this.lockedPages > this.lockedPagesPeak) this.lockedPagesPeak = this.lockedPages;
  }

  /**
   * vfio_link_dma of each entry of a pinned and mapped run (its range checked free by the caller;
   * reuses that firstOverlap(run.start, ...) descent as insert() does).
   */
  insertRun(run: VfioDmaRun): void {
    this.map.insertAfterFirstOverlap(run);
    this.dmaAvail -= run.entries;
    this.entryCount += run.entries;
    this.lockedPages += run.entries;
    if (this.lockedPages > this.lockedPagesPeak) this.lockedPagesPeak = this.lockedPages;
  }

  /** Turns every run overlapping [start, last] back into single entries (before per-entry operations). */
  splitRuns(start: number, last: number): void {
    for (const node of this.map.overlapping(start, last)) {
      if (!(node instanceof VfioDmaRun)) continue;
      this.map.delete(node);
      for (const dma of node.toEntries()) this.map.insertChecked(dma);
    }
  }

  /**
   * vfio_remove_dma: unmap and unpin, unlink, give the entry back. `afterLookup`: `dma` is what the
   * last map.firstOverlap returned, with no lookup since (rb_erase of the node vfio_find_dma_first_node
   * found): the unlink reuses that descent.
   */
  remove(dma: VfioDma, env: VfioDmaEnv, domains: readonly VfioDomainSlot[], tally: VfioDmaTally, afterLookup = false): void {
    dma.unmapUnpin(env, domains, tally);
    if (afterLookup) this.map.deleteAfterFirstOverlap(dma);
    else this.map.delete(dma);
    this.dmaAvail++;
    this.entryCount--;
    this.lockedPages -= charged(dma);
    if (dma.vaddrInvalid) this.vaddrInvalidCount--;
  }

  /**
   * The removal loop of vfio_dma_do_unmap from `first` (the lowest mapping overlapping the range):
   * every mapping starting before `endExcl` goes whole, even past the range end; v1 stops at a
   * mapping that starts before `iova` (a range starting inside a mapping removes nothing of it).
   * Returns the bytes removed. `first` must come from the caller's map.firstOverlap with no lookup
   * since: its unlink reuses that descent.
   */
  removeRange(
    version: 1 | 2,
    first: VfioDmaNode | undefined,
    iova: number,
    endExcl: number,
    env: VfioDmaEnv,
    domains: readonly VfioDomainSlot[],
    tally: VfioDmaTally,
  ): number {
    let removed = 0;
    let node = first;
    let afterLookup = true;
    while (node !== undefined && node.start < endExcl) {
      if (!(node instanceof VfioDmaRun)) {
        if (version === 1 && iova > node.start) break;
        removed += node.sizeBytes;
        this.remove(node, env, domains, tally, afterLookup);
        afterLookup = false;
        // rb_next, looked up after the unlink (by key, so the same node): mappings do not overlap, so
        // none after one that reaches endExcl starts before it and the loop would stop there anyway.
        node = node.endExcl >= endExcl ? undefined : this.map.next(node);
        continue;
      }
      // A run: its successor is looked up before the entries go (the run may be split or trimmed).
      afterLookup = false;
      const next = this.map.next(node);
      // The entries from the one at or after iova, up to the last starting before endExcl.
      const from = iova > node.start ? Math.ceil((iova - node.start) / PAGE_SIZE) : 0;
      if (version === 1 && from < node.entries && iova > node.start + from * PAGE_SIZE) break;
      const to = Math.min(node.entries, Math.ceil((endExcl - node.start) / PAGE_SIZE));
      if (from < to) {
        removed += (to - from) * PAGE_SIZE;
        this.removeRunEntries(node, from, to, env, domains, tally);
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
  private removeRunEntries(
    run: VfioDmaRun,
    from: number,
    to: number,
    env: VfioDmaEnv,
    domains: readonly VfioDomainSlot[],
    tally: VfioDmaTally,
  ): void {
    const perEntry = this.removeRunEntriesEach(run, from, to, env, domains);
    for (let j = from; j < to; j++) tally.costNs += perEntry;
  }

  /**
   * vfio_remove_dma of entries [from, to) of a run as removeRunEntries does it, for callers that
   * charge each entry to its own ioctl (vfioType1.ts unmapDmaRun): returns the unmap-and-unpin cost
   * of one entry. `afterLookup`: `run` is what the last map.firstOverlap returned, with no lookup
   * since: removing the whole run reuses that descent.
   */
  removeRunEntriesEach(
    run: VfioDmaRun,
    from: number,
    to: number,
    env: VfioDmaEnv,
    domains: readonly VfioDomainSlot[],
    afterLookup = false,
  ): number {
    const n = to - from;
    const perEntry = unmapSinglePages(domains, n) + env.costs.vfioUnpinPerPageNs;
    env.process.unlock(n);
    this.dmaAvail += n;
    this.entryCount -= n;
    this.lockedPages -= n;
    if (from === 0 && to === run.entries) {
      if (afterLookup) this.map.deleteAfterFirstOverlap(run);
      else this.map.delete(run);
    } else if (from === 0) {
      this.map.delete(run);
      run.dropHead(to);
      this.map.insertChecked(run);
    } else {
      const tail = to < run.entries ? run.tailFrom(to) : null;
      run.truncate(from);
      if (tail !== null) this.map.insertChecked(tail);
    }
    return perEntry;
  }

  /**
   * vfio_dma_do_unmap with FLAG_VADDR: the same walk marks vaddrs invalid (mappings stay); meeting
   * a mapping already invalid undoes this call's marks and fails. Returns the bytes marked, or -1
   * for -EINVAL.
   */
  invalidateVaddrs(version: 1 | 2, first: VfioDmaNode | undefined, iova: number, endExcl: number): number {
    let marked = 0;
    let dma = first;
    while (dma !== undefined && dma.start < endExcl) {
      if (dma instanceof VfioDmaRun) throw new Error('invalidateVaddrs over a run: split runs first');
      if (version === 1 && iova > dma.start) break;
      if (dma.vaddrInvalid) {
        for (let d = first; d !== undefined && d !== dma; d = this.map.next(d)) {
          if (d instanceof VfioDmaRun) throw new Error('invalidateVaddrs over a run: split runs first');
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
  updateVaddr(hit: VfioDmaNode | undefined, iova: number, sizeBytes: number, vaddr: number): number {
    if (hit === undefined) return ENOENT;
    if (hit instanceof VfioDmaRun) throw new Error('updateVaddr on a run: split runs first');
    if (!hit.vaddrInvalid || hit.start !== iova || hit.sizeBytes !== sizeBytes) return EINVAL;
    hit.vaddr = vaddr;
    hit.vaddrInvalid = false;
    this.vaddrInvalidCount--;
    return 0;
  }

  /** Every vfio_dma in address order (a run's entries one by one). */
  *dmas(): Generator<VfioDma, void, undefined> {
    for (const node of this.map.values()) {
      if (node instanceof VfioDmaRun) yield* node.toEntries();
      else yield node;
    }
  }

  snapshot(): unknown[] {
    return [...this.dmas()].map((m) => ({
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
      pages += m instanceof VfioDmaRun ? m.pages : charged(m);
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
}
