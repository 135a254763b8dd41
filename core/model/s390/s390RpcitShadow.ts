// QEMU's shadow of one zPCI function's DMA table (Q hw/s390x/s390-pci-inst.c): the IOTLB cache of
// 4 KiB entries it mirrored into VFIO, and rpcit_service_call, which walks the guest table over the
// refreshed range in ascending order and shadows each entry (s390_pci_update_iotlb):
// - a valid entry needs dma_avail > 0 (checked before looking at the cache, so even an unchanged
//   entry is "short" when the limit is reached); new: VFIO map of the 4 KiB page, dma_avail--;
//   changed: VFIO unmap + map, dma_avail-- (the old slot is not given back: QEMU's counter drifts
//   one lower per remap); unchanged: nothing;
// - an invalid entry that is cached leaves the cache (dma_avail++); runs of invalid 4 KiB entries
//   are coalesced and unmapped in power-of-two aligned chunks (s390_pci_batch_unmap), one VFIO
//   unmap per chunk, whether or not anything was mapped there; an empty segment or region (an entry
//   larger than 4 KiB) ends the run;
// - maps that found dma_avail == 0 are skipped and the walk goes on (later unmaps free slots); if
//   any was skipped and dma_avail > 0 at the end the pass is repeated (a repeat frees nothing, so
//   there are at most two passes); the answer is cc 0 while dma_avail > 0, else cc 1 status 16
//   (ZPCI_RPCIT_ST_INSUFF_RES), even when everything was mapped with the last free slot.
// Older QEMU (switches of vms[].viommu.s390, set from host.qemu.version): before 7.2 there is one
// pass only, skipped maps are lost ("RPCIT second pass when mappings exhausted"); before 8.0 every
// cached entry that became invalid is unmapped on its own, 4 KiB, and uncached ones not at all
// ("coalesce unmap operations").
// dma_avail is one counter per VFIO container (s390_pci_start_dma_count, s390PciDmaCount.ts), read
// from GET_INFO at plug. A failed VFIO ioctl is only logged by QEMU (QemuVm): the cache keeps the
// entry ("unbacked").
// Walk cost, per pass: qemuPteWalkNs per guest table entry read (ZpciDmaTable.walkVisits: every
// PTE of a populated segment, one entry per empty segment or region), plus one IOTLB hash lookup
// (s390_pci_update_iotlb) per 4 KiB of the range, empty frames included: QEMU's inner loop steps
// through an invalid 1 MiB or 2 GiB entry page by page. The lookup is charged at
// qemuS390IotlbLookupNs. Both are computed from
// counts; only populated segments are visited in JS. Not modelled: a walk starting inside an empty
// frame overshoots into the next one (table_translate returns the whole frame length), which
// Linux's aligned windows and never-freed page tables do not trigger.
// Must not: decide what the guest does with the condition code, or model VFIO (the container does).

import type { CostTable } from '../../sim/costTable';
import { addMetric, maxMetric, type MetricMap } from '../../sim/metricSink';
import type { DmaCall } from '../base/dmaCall';
import { lowestSetBit, popcount, roundDownPowerOfTwo } from '../base/bits';
import type { QemuVm, VfioMapRunListener } from '../qemu/qemuVm';
import { ZPCI_PAGE_SIZE } from './s390DmaWindow';
import type { S390PciDmaCount } from './s390PciDmaCount';
import { ZPCI_PCI_LS_ERR, ZPCI_PCI_LS_OK, ZPCI_RPCIT_ST_INSUFF_RES, type RpcitInterceptor } from './s390Zpci';
import { bitRange, PTES_PER_SEGMENT, type ZpciDmaTable, type ZpciPageTable } from './s390ZpciDmaTable';
import type { VfioContainerApi } from '../vfio/vfioContainerApi';

const WORDS = PTES_PER_SEGMENT / 32;

/** QEMU's cache for one segment: which pages it holds and what it mapped them to. */
class ShadowPageTable {
  readonly gpa = new Float64Array(PTES_PER_SEGMENT);
  readonly cached = new Uint32Array(WORDS);
  readonly prot = new Uint32Array(WORDS);
  /** Cached entries whose VFIO map failed (QEMU logged it and kept the entry). */
  readonly unbacked = new Uint32Array(WORDS);
  count = 0;
}

export interface QemuS390PciShadowDeps {
  readonly costs: CostTable;
  readonly qemu: QemuVm;
  readonly container: VfioContainerApi;
  readonly table: ZpciDmaTable;
  readonly count: S390PciDmaCount;
  /** QEMU >= 7.2: a second pass when skipped maps could use slots the walk freed (default true). */
  readonly secondPass?: boolean;
  /** QEMU >= 8.0: invalid runs unmapped in power-of-two chunks; else one 4 KiB unmap per cached entry (default true). */
  readonly coalescedUnmap?: boolean;
}

export class QemuS390PciShadow implements RpcitInterceptor, VfioMapRunListener {
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
  private readonly tables = new Map<number, ShadowPageTable>();
  private readonly costs: CostTable;
  private readonly qemu: QemuVm;
  private readonly container: VfioContainerApi;
  private readonly table: ZpciDmaTable;
  private readonly count: S390PciDmaCount;
  // State of the walk in progress (rpcit_service_call's locals).
  private localAvail = 1;
  private again = false;
  private runStart = 0;
  private runPages = 0;
  private workNs = 0;
  private callT = 0;
  private callCause = -1;
  // Maps of the walk not issued yet: consecutive pages to consecutive guest frames, same
  // permission. They go to VFIO as one vfioMapRun before any other VFIO call and at the end of a
  // pass, so VFIO sees the same calls in the same order as one map per entry.
  private pendingPage = 0;
  private pendingGpa = 0;
  private pendingCount = 0;
  private pendingReadonly = false;
  // Per-entry unmaps of the walk not issued yet (QEMU < 8.0: one 4 KiB unmap per cached entry that
  // became invalid): consecutive pages. They go to VFIO as one vfioUnmapRun before any other VFIO
  // call and at the end of a pass; pending maps and pending unmaps are never both queued.
  private unmapPage = 0;
  private unmapCount = 0;

  private readonly secondPass: boolean;
  private readonly coalescedUnmap: boolean;

  constructor(deps: QemuS390PciShadowDeps) {
    this.costs = deps.costs;
    this.qemu = deps.qemu;
    this.container = deps.container;
    this.table = deps.table;
    this.count = deps.count;
    this.secondPass = deps.secondPass ?? true;
    this.coalescedUnmap = deps.coalescedUnmap ?? true;
  }

  get entriesInUse(): number {
    return this.count.limited ? this.count.initial! - this.count.avail : this.count.entries;
  }

  get dmaCount(): S390PciDmaCount {
    return this.count;
  }

  prepare(call: DmaCall): void {
    this.callT = call.t;
    this.callCause = call.cause;
  }

  /**
   * rpcit_service_call for [iova, iova + size); returns QEMU's work in ns (the trap adds its base
   * cost). The guest layers only refresh inside the registered window, so QEMU's out-of-range and
   * function-error answers (cc 3, cc 1 with an error event) are not modelled.
   */
  serve(iova: number, size: number): number {
    this.served++;
    const startPage = Math.floor(iova / ZPCI_PAGE_SIZE);
    const endPage = Math.ceil((iova + size) / ZPCI_PAGE_SIZE);
    this.workNs = 0;
    this.localAvail = this.count.limited ? this.count.avail : 1;
    let passes = 0;
    do {
      if (++passes > 2) throw new Error('rpcit_service_call: a repeated pass cannot free slots');
      this.again = false;
      this.walkPass(startPage, endPage);
    } while (this.again && this.localAvail > 0 && this.secondPass);
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

  private walkPass(startPage: number, endPage: number): void {
    const segs = this.table.populatedSegments;
    const s0 = Math.floor(startPage / PTES_PER_SEGMENT);
    const s1 = Math.floor((endPage - 1) / PTES_PER_SEGMENT);
    let prev = -2;
    for (let i = this.table.firstPopulatedIndex(s0); i < segs.length && segs[i]! <= s1; i++) {
      const seg = segs[i]!;
      // An empty segment or region in between is one walk entry larger than 4 KiB: it ends the run.
      if (seg !== prev + 1) this.flushRun();
      prev = seg;
      const base = seg * PTES_PER_SEGMENT;
      const from = Math.max(startPage, base) - base;
      const to = Math.min(endPage, base + PTES_PER_SEGMENT) - base;
      this.walkSegment(seg, this.table.pageTable(seg)!, from, to);
    }
    this.flushRun();
    this.flushMaps();
    this.flushUnmaps();
  }

  /** Entries [from, to) of one populated segment, in ascending order. */
  private walkSegment(seg: number, pt: ZpciPageTable, from: number, to: number): void {
    let sh = this.tables.get(seg);
    for (let w = from >>> 5; w <= (to - 1) >>> 5; w++) {
      const lo = Math.max(from, w * 32) - w * 32;
      const hi = Math.min(to, w * 32 + 32) - w * 32;
      let valid = pt.valid[w]! & bitRange(lo, hi);
      let pos = lo;
      while (valid !== 0) {
        const bit = valid & -valid;
        const idx = 31 - Math.clz32(bit);
        if (idx > pos) this.invalidStretch(seg, sh, w, pos, idx);
        sh = this.validEntry(seg, pt, sh, w * 32 + idx);
        pos = idx + 1;
        valid ^= bit;
      }
      if (pos < hi) this.invalidStretch(seg, sh, w, pos, hi);
    }
  }

  /** Invalid PTEs [lo, hi) of word w: extend the coalesced unmap; cached ones leave the cache. */
  private invalidStretch(seg: number, sh: ShadowPageTable | undefined, w: number, lo: number, hi: number): void {
    const first = seg * PTES_PER_SEGMENT + w * 32 + lo;
    if (this.coalescedUnmap) {
      if (this.runPages === 0) this.runStart = first;
      this.runPages += hi - lo;
    }
    if (sh === undefined) return;
    let hit = sh.cached[w]! & bitRange(lo, hi);
    while (hit !== 0) {
      const bit = hit & -hit;
      hit ^= bit;
      sh.cached[w] = sh.cached[w]! & ~bit;
      if ((sh.unbacked[w]! & bit) !== 0) {
        sh.unbacked[w] = sh.unbacked[w]! & ~bit;
        this.unbackedEntries--;
      }
      sh.count--;
      this.entries--;
      this.count.entries--;
      // inc_dma_avail; the VFIO unmap is deferred to the batch (QEMU >= 8.0), or made now for this
      // entry alone (s390_pci_update_iotlb before "s390x/pci: coalesce unmap operations").
      if (this.count.limited) this.count.avail++;
      if (!this.coalescedUnmap) {
        this.flushMaps();
        this.unmapNotifies++;
        this.queueUnmap(seg * PTES_PER_SEGMENT + w * 32 + (31 - Math.clz32(bit)));
      }
    }
    this.localAvail = this.count.limited ? this.count.avail : 1;
  }

  /** One valid guest entry; returns the segment's shadow table (created on its first entry). */
  private validEntry(seg: number, pt: ZpciPageTable, table: ShadowPageTable | undefined, off: number): ShadowPageTable | undefined {
    // "Unleash the coalesced unmap before processing a new map".
    this.flushRun();
    if (this.localAvail <= 0) {
      this.again = true;
      return table;
    }
    const w = off >>> 5;
    const bit = 1 << (off & 31);
    const gpa = pt.gpa[off]!;
    const readonly = (pt.prot[w]! & bit) !== 0;
    const sh = table ?? this.shadowTable(seg);
    const iova = (seg * PTES_PER_SEGMENT + off) * ZPCI_PAGE_SIZE;
    if ((sh.cached[w]! & bit) !== 0) {
      if (sh.gpa[off] === gpa && ((sh.prot[w]! & bit) !== 0) === readonly) return sh;
      this.remaps++;
      this.flushMaps();
      this.flushUnmaps();
      this.workNs += this.qemu.vfioUnmap(this.container, iova, ZPCI_PAGE_SIZE);
      if ((sh.unbacked[w]! & bit) !== 0) {
        sh.unbacked[w] = sh.unbacked[w]! & ~bit;
        this.unbackedEntries--;
      }
      if (this.count.limited) this.count.leaked++;
    } else {
      sh.cached[w] = sh.cached[w]! | bit;
      sh.count++;
      this.entries++;
      this.count.entries++;
      if (this.entries > this.entriesPeak) this.entriesPeak = this.entries;
    }
    sh.gpa[off] = gpa;
    sh.prot[w] = readonly ? sh.prot[w]! | bit : sh.prot[w]! & ~bit;
    if (this.count.limited) {
      this.count.avail--;
      if (this.count.avail < this.count.minAvail) this.count.minAvail = this.count.avail;
    }
    this.queueMap(seg * PTES_PER_SEGMENT + off, gpa, readonly);
    this.localAvail = this.count.limited ? this.count.avail : 1;
    return sh;
  }

  /** s390_pci_update_iotlb's VFIO map of `page`, issued with the pages queued next to it. */
  private queueMap(page: number, gpa: number, readonly: boolean): void {
    const n = this.pendingCount;
    if (n > 0 && page === this.pendingPage + n && gpa === this.pendingGpa + n * ZPCI_PAGE_SIZE && readonly === this.pendingReadonly) {
      this.pendingCount = n + 1;
      return;
    }
    this.flushMaps();
    this.flushUnmaps();
    this.pendingPage = page;
    this.pendingGpa = gpa;
    this.pendingCount = 1;
    this.pendingReadonly = readonly;
  }

  private flushMaps(): void {
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
      this,
    );
  }

  /** QEMU < 8.0's VFIO unmap of the cached `page` alone, issued with the pages queued next to it. */
  private queueUnmap(page: number): void {
    const n = this.unmapCount;
    if (n > 0 && page === this.unmapPage + n) {
      this.unmapCount = n + 1;
      return;
    }
    this.flushUnmaps();
    this.unmapPage = page;
    this.unmapCount = 1;
  }

  private flushUnmaps(): void {
    if (this.unmapCount === 0) return;
    const count = this.unmapCount;
    this.unmapCount = 0;
    this.workNs = this.qemu.vfioUnmapRun(this.container, this.unmapPage * ZPCI_PAGE_SIZE, count, this.workNs);
  }

  /** A queued map failed: QEMU logged it and keeps the entry in its cache, unbacked. */
  vfioMapFailed(index: number): void {
    const page = this.pendingPage + index;
    const sh = this.shadowTable(Math.floor(page / PTES_PER_SEGMENT));
    const off = page % PTES_PER_SEGMENT;
    const bit = 1 << (off & 31);
    sh.unbacked[off >>> 5] = sh.unbacked[off >>> 5]! | bit;
    this.unbackedEntries++;
  }

  /** s390_pci_batch_unmap: power-of-two aligned chunks (dma_aligned_pow2_mask), one notify each. */
  private flushRun(): void {
    if (this.runPages === 0) return;
    this.flushMaps();
    this.flushUnmaps();
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

  private shadowTable(seg: number): ShadowPageTable {
    let sh = this.tables.get(seg);
    if (sh === undefined) {
      sh = new ShadowPageTable();
      this.tables.set(seg, sh);
    }
    return sh;
  }

  /** Whether QEMU holds `page` and, if so, the guest frame it mapped (for tests and invariants). */
  cachedGpa(page: number): number | null {
    const sh = this.tables.get(Math.floor(page / PTES_PER_SEGMENT));
    const off = page % PTES_PER_SEGMENT;
    if (sh === undefined || (sh.cached[off >>> 5]! & (1 << (off & 31))) === 0) return null;
    return sh.gpa[off]!;
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 's390.shadow.retryPasses', this.retryPasses);
    addMetric(into, 's390.shadow.pteWalks', this.pteWalks);
    addMetric(into, 's390.shadow.iotlbLookups', this.iotlbLookups);
    addMetric(into, 's390.shadow.unmapNotifies', this.unmapNotifies);
    addMetric(into, 's390.shadow.remaps', this.remaps);
    addMetric(into, 's390.shadow.unbackedEntries', this.unbackedEntries);
    maxMetric(into, 's390.shadow.entriesPeak', this.entriesPeak);
    if (this.count.limited) {
      // The lowest dma_avail of any container: a minimum, so neither a sum nor a peak.
      const prev = into['s390.shadow.dmaAvailMin'];
      into['s390.shadow.dmaAvailMin'] = prev === undefined ? this.count.minAvail : Math.min(prev, this.count.minAvail);
    }
  }

  snapshot(): unknown {
    const segs = [...this.tables.keys()].sort((a, b) => a - b);
    return {
      entries: this.entries,
      unbacked: this.unbackedEntries,
      avail: this.count.avail,
      countEntries: this.count.entries,
      leaked: this.count.leaked,
      cache: segs.map((s) => {
        const sh = this.tables.get(s)!;
        const gpas: number[] = [];
        for (let off = 0; off < PTES_PER_SEGMENT; off++)
          if ((sh.cached[off >>> 5]! & (1 << (off & 31))) !== 0) gpas.push(off, sh.gpa[off]!);
        return [s, Array.from(sh.cached), Array.from(sh.prot), Array.from(sh.unbacked), gpas];
      }),
    };
  }

  checkInvariants(): string[] {
    const out: string[] = [];
    let total = 0;
    let unbacked = 0;
    for (const [seg, sh] of this.tables) {
      let bits = 0;
      for (let w = 0; w < WORDS; w++) {
        bits += popcount(sh.cached[w]!);
        unbacked += popcount(sh.unbacked[w]!);
        if ((sh.unbacked[w]! & ~sh.cached[w]!) !== 0) out.push(`shadow segment ${seg}: unbacked entries outside the cache`);
      }
      if (bits !== sh.count) out.push(`shadow segment ${seg}: count ${sh.count} but ${bits} cached bits`);
      if (bits > 0 && this.table.pageTable(seg) === undefined)
        out.push(`shadow segment ${seg} caches entries of a segment the guest never populated`);
      total += bits;
    }
    if (total !== this.entries) out.push(`shadow entries ${this.entries} but ${total} cached bits`);
    if (unbacked !== this.unbackedEntries) out.push(`unbacked entries ${this.unbackedEntries} but ${unbacked} bits`);
    const c = this.count;
    if (c.limited && c.avail !== c.initial! - c.entries - c.leaked) {
      out.push(`dma_avail ${c.avail} != DMA_AVAIL at plug ${c.initial} - cached ${c.entries} - remap leaks ${c.leaked}`);
    }
    if (c.limited && c.avail < 0) out.push(`dma_avail went negative (${c.avail})`);
    return out;
  }
}
