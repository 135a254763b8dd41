// One zPCI function as the guest sees it: its DMA translation table and the RPCIT instruction.
// The table is s390's three-level format (region table of 2 GiB frames, segment tables of 1 MiB
// frames, page tables of 256 4 KiB entries; L drivers/iommu/s390-iommu.c dma_walk_cpu_trans):
// a page table is allocated on the first write into its segment and never freed while the
// domain lives, so "populated" segments only grow. Per page table we keep valid/protected bits
// and counts, so a walk over the whole window is costed from counts (populated segments x their
// entries + one entry per empty segment or region) instead of visiting every address.
// RPCIT (zpci_refresh_trans, L arch/s390/pci/pci_insn.c) refreshes a range: on LPAR the machine
// does it (s390RpcitHwNs, always cc 0); under KVM it is intercepted and QEMU shadows the range
// into VFIO (s390RpcitShadow.ts); under z/VM the hypervisor shadows it itself, modelled as a
// trap-like walk with unlimited resources (z/VM's limits are not public; it is said never to
// answer "insufficient resources" in practice, reference 000).
// Must not: allocate IOVAs, decide when to refresh (the DMA layers do) or touch VFIO.

import type { CostTable } from '../../sim/costTable';
import type { SimTimeNs, DurationNs } from '../../sim/simTime';
import type { TimelineRecorder } from '../../sim/timelineRecorder';
import { addMetric, maxMetric, type MetricMap } from '../../sim/metricSink';
import type { DmaCall } from '../base/dmaCall';
import { popcount } from '../base/bits';
import { EIO, ENOMEM } from '../base/errno';
import type { QemuVm, TrapHandler } from '../qemu/qemuVm';
import { ZPCI_PAGE_SIZE, type S390DmaWindow } from './s390DmaWindow';

export const PTES_PER_SEGMENT = 256;
export const SEGMENTS_PER_REGION = 2048;
const WORDS_PER_TABLE = PTES_PER_SEGMENT / 32;

/** RPCIT condition codes and status (L arch/s390/include/asm/pci_insn.h, Q s390-pci-inst.h). */
export const ZPCI_PCI_LS_OK = 0;
export const ZPCI_PCI_LS_ERR = 1;
export const ZPCI_RPCIT_ST_INSUFF_RES = 16;

export type ZpciHypervisor = 'kvm' | 'zvm' | 'lpar';

/** One segment's page table: 256 entries. */
export class ZpciPageTable {
  /** Frame address of each entry (meaningful where valid; kept when invalidated, as the PTE is). */
  readonly gpa = new Float64Array(PTES_PER_SEGMENT);
  readonly valid = new Uint32Array(WORDS_PER_TABLE);
  /** ZPCI_TABLE_PROTECTED: the device may only read. */
  readonly prot = new Uint32Array(WORDS_PER_TABLE);
  validCount = 0;
}

function lowerBound(sorted: readonly number[], key: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(sorted: number[], key: number): void {
  const i = lowerBound(sorted, key);
  if (sorted[i] !== key) sorted.splice(i, 0, key);
}

/** The guest's DMA translation table of one domain; addresses are 4 KiB page numbers. */
export class ZpciDmaTable {
  private readonly tables = new Map<number, ZpciPageTable>();
  /** Segments with a page table, ascending. */
  readonly populatedSegments: number[] = [];
  /** Regions with a segment table, ascending. */
  readonly populatedRegions: number[] = [];
  validEntries = 0;
  validPeak = 0;

  pageTable(segment: number): ZpciPageTable | undefined {
    return this.tables.get(segment);
  }

  /** Index of the first populated segment >= `segment` in populatedSegments. */
  firstPopulatedIndex(segment: number): number {
    return lowerBound(this.populatedSegments, segment);
  }

  isValid(page: number): boolean {
    const t = this.tables.get(Math.floor(page / PTES_PER_SEGMENT));
    if (t === undefined) return false;
    const off = page % PTES_PER_SEGMENT;
    return (t.valid[off >>> 5]! & (1 << (off & 31))) !== 0;
  }

  gpaOf(page: number): number {
    return this.tables.get(Math.floor(page / PTES_PER_SEGMENT))?.gpa[page % PTES_PER_SEGMENT] ?? 0;
  }

  /** dma_walk_cpu_trans + dma_update_cpu_trans(VALID) for `pages` entries from `page`. */
  validate(page: number, gpa: number, pages: number, readonly: boolean): void {
    for (let i = 0; i < pages; i++) {
      const p = page + i;
      const t = this.tableFor(Math.floor(p / PTES_PER_SEGMENT));
      const off = p % PTES_PER_SEGMENT;
      const w = off >>> 5;
      const bit = 1 << (off & 31);
      if ((t.valid[w]! & bit) === 0) {
        t.valid[w] = t.valid[w]! | bit;
        t.validCount++;
        this.validEntries++;
      }
      t.prot[w] = readonly ? t.prot[w]! | bit : t.prot[w]! & ~bit;
      t.gpa[off] = gpa + i * ZPCI_PAGE_SIZE;
    }
    if (this.validEntries > this.validPeak) this.validPeak = this.validEntries;
  }

  /** dma_update_cpu_trans(INVALID); page tables stay allocated. Returns entries that were valid. */
  invalidate(page: number, pages: number): number {
    let cleared = 0;
    for (let i = 0; i < pages; i++) {
      const p = page + i;
      const t = this.tables.get(Math.floor(p / PTES_PER_SEGMENT));
      if (t === undefined) continue;
      const off = p % PTES_PER_SEGMENT;
      const w = off >>> 5;
      const bit = 1 << (off & 31);
      if ((t.valid[w]! & bit) !== 0) {
        t.valid[w] = t.valid[w]! & ~bit;
        t.validCount--;
        cleared++;
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
  walkVisits(startPage: number, endPage: number): number {
    if (endPage <= startPage) return 0;
    const s0 = Math.floor(startPage / PTES_PER_SEGMENT);
    const s1 = Math.floor((endPage - 1) / PTES_PER_SEGMENT);
    let visits = 0;
    let popSegs = 0;
    const segs = this.populatedSegments;
    for (let i = lowerBound(segs, s0); i < segs.length && segs[i]! <= s1; i++) {
      const base = segs[i]! * PTES_PER_SEGMENT;
      visits += Math.min(endPage, base + PTES_PER_SEGMENT) - Math.max(startPage, base);
      popSegs++;
    }
    const r0 = Math.floor(s0 / SEGMENTS_PER_REGION);
    const r1 = Math.floor(s1 / SEGMENTS_PER_REGION);
    let popRegions = 0;
    let segsInPopRegions = 0;
    const regions = this.populatedRegions;
    for (let j = lowerBound(regions, r0); j < regions.length && regions[j]! <= r1; j++) {
      const first = regions[j]! * SEGMENTS_PER_REGION;
      segsInPopRegions += Math.min(s1, first + SEGMENTS_PER_REGION - 1) - Math.max(s0, first) + 1;
      popRegions++;
    }
    return visits + (segsInPopRegions - popSegs) + (r1 - r0 + 1 - popRegions);
  }

  snapshot(): unknown {
    return {
      validEntries: this.validEntries,
      populatedSegments: [...this.populatedSegments],
      entries: this.populatedSegments.map((s) => {
        const t = this.tables.get(s)!;
        return [s, t.validCount, Array.from(t.valid), Array.from(t.prot), Array.from(t.gpa)];
      }),
    };
  }

  checkInvariants(): string[] {
    const out: string[] = [];
    let total = 0;
    for (const s of this.populatedSegments) {
      const t = this.tables.get(s);
      if (t === undefined) {
        out.push(`populated segment ${s} has no page table`);
        continue;
      }
      let bits = 0;
      for (let w = 0; w < WORDS_PER_TABLE; w++) bits += popcount(t.valid[w]!);
      if (bits !== t.validCount) out.push(`segment ${s}: validCount ${t.validCount} but ${bits} valid bits`);
      total += bits;
      if (!this.populatedRegions.includes(Math.floor(s / SEGMENTS_PER_REGION))) out.push(`segment ${s} lies in an unpopulated region`);
    }
    if (this.tables.size !== this.populatedSegments.length) out.push('page tables and the populated-segment list disagree');
    if (total !== this.validEntries) out.push(`validEntries ${this.validEntries} but ${total} valid bits`);
    return out;
  }

  private tableFor(segment: number): ZpciPageTable {
    let t = this.tables.get(segment);
    if (t === undefined) {
      // dma_get_page_table_origin / dma_get_seg_table_origin allocate on first use.
      t = new ZpciPageTable();
      this.tables.set(segment, t);
      insertSorted(this.populatedSegments, segment);
      insertSorted(this.populatedRegions, Math.floor(segment / SEGMENTS_PER_REGION));
    }
    return t;
  }
}

/** What intercepts RPCIT under KVM: QEMU's shadow of this function (rpcit_service_call). */
export interface RpcitInterceptor extends TrapHandler {
  /** Remembers the call so VFIO failures during serve() can name it as their cause. */
  prepare(call: DmaCall): void;
  readonly lastCc: number;
  readonly lastStatus: number;
  /** Mappings QEMU holds against its DMA limit (for failure events). */
  readonly entriesInUse: number;
}

export interface ZpciFunctionDeps {
  readonly window: S390DmaWindow;
  /** The function's DMA table (shared with QEMU's shadow, which reads it). */
  readonly table: ZpciDmaTable;
  readonly hypervisor: ZpciHypervisor;
  readonly costs: CostTable;
  readonly timeline: TimelineRecorder;
  /** Timeline lane of the device's vIOMMU. */
  readonly laneName: string;
  /** KVM only: the VM's QEMU and its shadow of this function. */
  readonly qemu: QemuVm | null;
  readonly interceptor: RpcitInterceptor | null;
}

export class ZpciFunction {
  readonly table: ZpciDmaTable;
  readonly window: S390DmaWindow;
  readonly hypervisor: ZpciHypervisor;
  /** zdev->tlb_refresh: the hypervisor shadows, so new entries need RPCIT too (not on LPAR). */
  readonly tlbRefresh: boolean;
  readonly lane: number;
  lastCc = ZPCI_PCI_LS_OK;
  lastStatus = 0;
  rpcitCalls = 0;
  rpcitOutOfResource = 0;
  globalRpcits = 0;
  /** z/VM intercepts of RPCIT (KVM exits are counted by QemuVm). */
  zvmExits = 0;
  /** RPCITs still to answer cc 1 status 16 whatever the resources (fault rpcit-out-of-resource). */
  forcedOutOfResource = 0;
  private readonly costs: CostTable;
  private readonly timeline: TimelineRecorder;
  private readonly qemu: QemuVm | null;
  private readonly interceptor: RpcitInterceptor | null;
  private readonly rpcitWhat: number;
  private readonly insuffKind: number;
  private readonly globalKind: number;

  constructor(deps: ZpciFunctionDeps) {
    this.window = deps.window;
    this.table = deps.table;
    this.hypervisor = deps.hypervisor;
    this.tlbRefresh = deps.hypervisor !== 'lpar';
    this.costs = deps.costs;
    this.timeline = deps.timeline;
    this.qemu = deps.qemu;
    this.interceptor = deps.interceptor;
    if (deps.hypervisor === 'kvm' && (deps.qemu === null || deps.interceptor === null)) {
      throw new Error('zPCI under KVM needs QEMU and its RPCIT shadow');
    }
    this.rpcitWhat = deps.qemu?.trapName('rpcit') ?? 0;
    this.lane = deps.timeline.defineLane(deps.laneName, 'viommu');
    this.insuffKind = deps.timeline.defineKind({
      name: 'rpcit insufficient resources',
      args: [
        { name: 'iova', format: 'hex' },
        { name: 'size', format: 'bytes' },
        { name: 'entriesInUse', format: 'int' },
      ],
      failure: true,
    });
    this.globalKind = deps.timeline.defineKind({
      name: 'rpcit global',
      args: [
        { name: 'reason', format: 'str' },
        { name: 'windowBytes', format: 'bytes' },
      ],
    });
  }

  /** zpci_refresh_trans: 0, -ENOMEM for cc 1 with status 4 or 16, -EIO for any other cc (as a positive errno). */
  refreshTrans(call: DmaCall, iova: number, size: number): number {
    this.rpcitCalls++;
    let cc = ZPCI_PCI_LS_OK;
    let status = 0;
    switch (this.hypervisor) {
      case 'lpar':
        call.t += this.costs.s390RpcitHwNs;
        break;
      case 'zvm': {
        const first = Math.floor(iova / ZPCI_PAGE_SIZE);
        const visits = this.table.walkVisits(first, Math.ceil((iova + size) / ZPCI_PAGE_SIZE));
        this.zvmExits++;
        call.t += this.costs.vmExitNs + this.costs.qemuInvalidationNs + visits * this.costs.qemuPteWalkNs;
        break;
      }
      case 'kvm': {
        const shadow = this.interceptor!;
        shadow.prepare(call);
        this.qemu!.trap(call, this.rpcitWhat, shadow, iova, size);
        cc = shadow.lastCc;
        status = shadow.lastStatus;
        break;
      }
      default: {
        const never: never = this.hypervisor;
        throw new Error(`unknown hypervisor ${String(never)}`);
      }
    }
    if (this.forcedOutOfResource > 0) {
      // Fault injection: the hypervisor (or the firmware on LPAR) answers insufficient resources
      // after doing the refresh, as QEMU does when dma_avail runs out mid-walk.
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
        call.t as SimTimeNs,
        0,
        this.lane,
        this.insuffKind,
        iova,
        size,
        this.interceptor?.entriesInUse ?? 0,
        call.cause,
      );
    }
    return cc === ZPCI_PCI_LS_ERR && (status === 4 || status === ZPCI_RPCIT_ST_INSUFF_RES) ? ENOMEM : EIO;
  }

  /** zpci_refresh_all (zpci_refresh_global before 6.7): RPCIT over the whole window. */
  refreshAll(call: DmaCall, reason: string): number {
    this.globalRpcits++;
    const t0 = call.t;
    const ev = this.timeline.record(
      t0 as SimTimeNs,
      0,
      this.lane,
      this.globalKind,
      this.timeline.internString(reason),
      this.window.sizeBytes,
      0,
      call.cause,
    );
    if (ev >= 0) call.cause = ev;
    const rc = this.refreshTrans(call, this.window.startDma, this.window.sizeBytes);
    this.timeline.setDuration(ev, (call.t - t0) as DurationNs);
    return rc;
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'rpcit.calls', this.rpcitCalls);
    addMetric(into, 'rpcit.outOfResource', this.rpcitOutOfResource);
    addMetric(into, 'rpcit.global', this.globalRpcits);
    // KVM exits are counted by QemuVm; z/VM intercepts have no QEMU to count them.
    if (this.hypervisor === 'zvm') addMetric(into, 'vmexits', this.zvmExits);
    maxMetric(into, 's390.table.entriesPeak', this.table.validPeak);
    maxMetric(into, 's390.window.bytes', this.window.sizeBytes);
  }
}
