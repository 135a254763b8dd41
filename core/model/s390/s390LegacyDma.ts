// The pre-6.7 s390 DMA API (L arch/s390/pci/pci_dma.c as of v6.6, removed by "s390/pci: Use
// dma-iommu layer"), dmaMode "s390-legacy". It replaces dma-iommu entirely:
// - addresses come from a bitmap over the window (one bit per 4 KiB, the last one never used:
//   iommu_area_alloc takes size - 1), searched first-fit from next_bit, which only moves forward
//   (next_bit = end of the last allocation), never crossing a 4 GiB segment boundary (PCI devices'
//   dma_parms seg boundary 0xffffffff); DMA masks are ignored (dma_alloc_address never looks at
//   them; Robin Murphy in reference 003), so a 32-bit coherent mask still gets an address >= 4 GiB;
// - nothing found from next_bit: lazy mode issues one global RPCIT (zpci_refresh_global) and
//   merges the lazily freed addresses back (bitmap_andnot + bitmap_zero of lazy_bitmap); a failed
//   global RPCIT fails the allocation; then the search restarts at 0 (the wrap). Still nothing:
//   DMA_MAPPING_ERROR (the kernel logs -ENOSPC in s390dbf; the caller sees a failed map, -ENOMEM
//   for a coherent allocation), reported here as ENOMEM like dma-iommu;
// - map: entries written, then __dma_purge_tlb: RPCIT over the range only with tlb_refresh. On
//   -ENOMEM in lazy mode: a global RPCIT and, if it succeeds, the lazy merge and success (the
//   global walk also shadowed the new range); else (or in strict mode) the map fails: entries
//   cleared without RPCIT and the address freed (lazy: it joins the lazy bitmap);
// - unmap: entries cleared; RPCIT over the range only in strict mode (s390_iommu=strict, off by
//   default); if that RPCIT fails the address is never freed (s390_dma_unmap_pages returns early);
//   lazy mode marks the address lazily freed: it stays allocated until the next merge.
// Must not: model QEMU or VFIO (ZpciFunction's RPCIT does), or share state with dma-iommu.

import { LatencyHistogram } from '../../sim/latencyHistogram';
import type { CostTable } from '../../sim/costTable';
import type { SimTimeNs } from '../../sim/simTime';
import type { TimelineRecorder } from '../../sim/timelineRecorder';
import { addMetric, maxMetric, type MetricMap } from '../../sim/metricSink';
import type { DmaCall } from '../base/dmaCall';
import { EINVAL, ENOMEM, linuxErrnoName } from '../base/errno';
import type { GuestDmaOps, LastUnmapProbe, StaleDmaOutcome } from '../guestDma/guestDmaOps';
import type { DmaDevice } from '../guestDma/iommuDma';
import { IntervalMap } from '../base/intervalMap';
import { ZPCI_PAGE_SIZE } from './s390DmaWindow';
import type { ZpciFunction } from './s390Zpci';
import { pagesSpanned } from '../base/pages';

/** dma_get_seg_boundary_nr_pages for a PCI device: pci_device_add sets a 0xffffffff seg boundary. */
const SEG_BOUNDARY_PAGES = 2 ** 32 / ZPCI_PAGE_SIZE;

/** One allocation in the iommu bitmap (page offsets in the window, inclusive). */
interface LegacyExtent {
  readonly start: number;
  readonly last: number;
  /** Set in lazy_bitmap: unmapped, still allocated until the next global flush. */
  lazy: boolean;
  unmappedAtNs: number;
}

export interface S390LegacyDmaOptions {
  /** s390_iommu=strict. */
  readonly strict: boolean;
}

export class S390LegacyDma implements GuestDmaOps {
  readonly label = 's390-legacy';
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
  readonly staleWindowNs = new LatencyHistogram({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000_000,
    numberOfSignificantValueDigits: 3,
  });
  private readonly allocated = new IntervalMap<LegacyExtent>();
  private lazy: LegacyExtent[] = [];
  private lastUnmap: LegacyExtent | null = null;
  private lastUnmapAddr = 0;
  private lastUnmapBytes = 0;
  private lastUnmapCause = -1;
  private lastUnmapAtNs = 0;
  private lastUnmapReused = false;
  /** iommu_pages - 1: iommu_area_alloc never hands out the last page. */
  private readonly usablePages: number;
  /** iommu_area_alloc's shift: start_dma in pages, for the boundary check. */
  private readonly shiftPages: number;
  private readonly failKind: number;

  constructor(
    private readonly zpci: ZpciFunction,
    private readonly costs: CostTable,
    private readonly timeline: TimelineRecorder,
    private readonly options: S390LegacyDmaOptions,
  ) {
    this.usablePages = zpci.window.pages - 1;
    this.shiftPages = zpci.window.startDma / ZPCI_PAGE_SIZE;
    this.failKind = timeline.defineKind({
      name: 'dma.map.failed',
      args: [
        { name: 'iova', format: 'hex' },
        { name: 'size', format: 'bytes' },
        { name: 'errno', format: 'errno' },
      ],
      failure: true,
    });
  }

  /** s390_dma_map_pages. */
  map(call: DmaCall, _dev: DmaDevice, gpa: number, bytes: number, write: boolean): void {
    call.t += this.costs.guestDmaMapNs;
    // iommu_num_pages(pa, size, PAGE_SIZE)
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
    // DMA_TO_DEVICE (the device only reads) sets ZPCI_TABLE_PROTECTED.
    this.zpci.table.validate(firstPage, gpa - pageOffset, pages, !write);
    call.t += pages * this.costs.guestPteWriteNs;
    const rc = this.purgeTlb(call, dmaAddr, pages, true);
    if (rc !== 0) {
      // dma_update_trans: the entries are made invalid again (no RPCIT); out_free: dma_free_address.
      this.zpci.table.invalidate(firstPage, pages);
      call.t += pages * this.costs.guestPteWriteNs;
      this.freeAddress(this.allocated.containing(offset)!, call.t);
      this.fail(call, dmaAddr, pages, rc);
      return;
    }
    call.dmaAddr = dmaAddr + pageOffset;
    this.maps++;
  }

  /** s390_dma_alloc: DMA_BIDIRECTIONAL, masks ignored as everywhere in this code. */
  allocCoherent(call: DmaCall, dev: DmaDevice, gpa: number, bytes: number): void {
    this.map(call, dev, gpa, bytes, true);
  }

  /** s390_dma_unmap_pages. */
  unmap(call: DmaCall, dmaAddr: number, bytes: number): void {
    call.t += this.costs.guestDmaMapNs;
    const pages = pagesSpanned(dmaAddr, bytes, ZPCI_PAGE_SIZE);
    const base = dmaAddr - (dmaAddr % ZPCI_PAGE_SIZE);
    const offset = (base - this.zpci.window.startDma) / ZPCI_PAGE_SIZE;
    const ext = this.allocated.containing(offset);
    if (ext === undefined || ext.lazy || ext.start !== offset || ext.last !== offset + pages - 1) {
      // The kernel would clear whatever bits it was given; the lab refuses an unmap of something not mapped.
      call.errno = EINVAL;
      return;
    }
    this.zpci.table.invalidate(base / ZPCI_PAGE_SIZE, pages);
    call.t += pages * this.costs.guestPteWriteNs;
    const clearedAt = call.t;
    const rc = this.purgeTlb(call, base, pages, false);
    this.unmaps++;
    if (rc !== 0) {
      // zpci_err("unmap error"); return: the address stays allocated for good.
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
  probeLastUnmap(): LastUnmapProbe | null {
    const ext = this.lastUnmap;
    if (ext === null) return null;
    let outcome: StaleDmaOutcome;
    if (this.lastUnmapReused) outcome = 'remapped';
    else if (ext.lazy && this.lazy.includes(ext)) outcome = 'stale';
    else outcome = 'fault';
    return {
      dmaAddr: this.lastUnmapAddr,
      bytes: this.lastUnmapBytes,
      unmappedAtNs: this.lastUnmapAtNs,
      cause: this.lastUnmapCause,
      outcome,
    };
  }

  fqDepth(): number {
    return this.lazy.length;
  }

  /** dma_alloc_address: page offset in the window, or -1. */
  private allocAddress(call: DmaCall, pages: number): number {
    call.t += this.costs.guestIovaAllocNs;
    let offset = this.findArea(this.nextBit, pages);
    if (offset < 0) {
      this.wraps++;
      if (!this.options.strict) {
        // "global flush before DMA addresses are reused"
        this.globalRpcits++;
        if (this.zpci.refreshAll(call, 'wrap') !== 0) return -1;
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
  private findArea(start: number, pages: number): number {
    let pos = start;
    for (;;) {
      if (pos + pages > this.usablePages) return -1;
      const into = (this.shiftPages + pos) % SEG_BOUNDARY_PAGES;
      if (into + pages > SEG_BOUNDARY_PAGES) {
        pos += SEG_BOUNDARY_PAGES - into;
        continue;
      }
      const hit = this.allocated.firstOverlap(pos, pos + pages - 1);
      if (hit === undefined) return pos;
      pos = hit.last + 1;
    }
  }

  /** dma_free_address: strict clears the bits, lazy marks them in lazy_bitmap. */
  private freeAddress(ext: LegacyExtent, nowNs: number): void {
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
  private mergeLazy(flushedAtNs: number): void {
    for (const ext of this.lazy) {
      this.allocated.delete(ext);
      this.staleWindowNs.recordValue(Math.max(1, flushedAtNs - ext.unmappedAtNs));
    }
    this.lazy = [];
  }

  /** __dma_purge_tlb. Returns 0 or a positive errno. */
  private purgeTlb(call: DmaCall, dmaAddr: number, pages: number, validating: boolean): number {
    // Without tlb_refresh new entries need no RPCIT; lazy unmaps never issue one.
    if (validating ? !this.zpci.tlbRefresh : !this.options.strict) return 0;
    this.rangeRpcits++;
    const rc = this.zpci.refreshTrans(call, dmaAddr, pages * ZPCI_PAGE_SIZE);
    if (rc !== ENOMEM || this.options.strict) return rc;
    // "enable the hypervisor to free some resources"
    this.globalFlushRetries++;
    this.globalRpcits++;
    if (this.zpci.refreshAll(call, 'enomem-retry') !== 0) return rc;
    this.mergeLazy(call.t);
    return 0;
  }

  private fail(call: DmaCall, iova: number, pages: number, errno: number): void {
    this.mapFailures++;
    call.cause = this.timeline.record(
      call.t as SimTimeNs,
      0,
      this.zpci.lane,
      this.failKind,
      iova,
      pages * ZPCI_PAGE_SIZE,
      this.timeline.internString(linuxErrnoName(errno) ?? 'E?'),
      call.cause,
    );
    call.errno = errno;
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'dma.maps', this.maps);
    addMetric(into, 'dma.unmaps', this.unmaps);
    addMetric(into, 'dma.mapFailures', this.mapFailures);
    addMetric(into, 'iova.exhaustions', this.iovaExhaustions);
    addMetric(into, 'iotlb.flushes.global', this.globalRpcits);
    addMetric(into, 'iotlb.flushes.range', this.rangeRpcits);
    addMetric(into, 'rpcit.globalFlushRetries', this.globalFlushRetries);
    addMetric(into, 's390.legacy.wraps', this.wraps);
    addMetric(into, 's390.legacy.unmapErrors', this.unmapErrors);
    maxMetric(into, 'fq.peakDepth', this.lazyPeak);
    if (this.staleWindowNs.totalCount > 0) maxMetric(into, 'staleIotlbWindowUsP99', this.staleWindowNs.getValueAtPercentile(99) / 1000);
  }

  snapshot(): unknown {
    return {
      nextBit: this.nextBit,
      allocated: [...this.allocated.values()].map((e) => [e.start, e.last, e.lazy]),
      lazy: this.lazy.map((e) => e.start),
      table: this.zpci.table.snapshot(),
    };
  }

  checkInvariants(): string[] {
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
}
