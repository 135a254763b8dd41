// The guest's intel-iommu driver (Linux drivers/iommu/intel/iommu.c, cache.c) on QEMU's emulated
// VT-d in caching mode, as dma-iommu calls it, and the second-level page table it owns. map writes
// leaves (4 KiB, or 2 MiB / 1 GiB where IOVA and GPA are aligned: hardware_largepage_caps), then
// iotlb_sync_map issues a page-selective invalidation because caching mode also caches
// not-present entries (cache_tag_flush_range_np). unmap clears leaves and frees page tables whose
// whole span it covers (dma_pte_clear_level), with no invalidation. iotlb_sync is a
// page-selective invalidation (cache_tag_flush_range), flush_iotlb_all a domain-selective one
// (cache_tag_flush_all). Every invalidation is one queued-invalidation descriptor, one write of
// the queue tail and so one VM exit, handled by QEMU's shadow walk (qemuIntelIommuShadow.ts).
// In caching mode the guest kernel also forces strict DMA by default (forcesStrict).
// Must not: decide what QEMU does with an invalidation, or allocate IOVAs (dma-iommu does).

import SortedBTree from 'sorted-btree';
import { addMetric, type MetricMap } from '../run/metricSink';
import type { IntelIommuOptions } from '../scenario/x86ViommuSchema';
import type { DeviceConfig, VmConfig } from '../scenario/schema';
import type { CostTable } from '../sim/costTable';
import { FaultInjector } from '../sim/faultInjector';
import type { SimTimeNs, DurationNs } from '../sim/simTime';
import type { TimelineRecorder } from '../sim/timelineRecorder';
import type { DmaCall } from './dmaCall';
import { ENOMEM } from './errno';
import type { GuestIommuDriver } from './guestIommuDriver';
import { IntervalMap } from './intervalMap';
import { QemuIntelIommuShadow, type VtdLeaf, type VtdTableReader } from './qemuIntelIommuShadow';
import type { QemuVm } from './qemuVm';
import type { VfioContainerApi } from './vfioContainerApi';

// sorted-btree is CommonJS: Node's ESM loader (the CLI under tsx) hands over the whole exports
// object as the default import (as in intervalMap.ts).
const BTree: typeof SortedBTree = (SortedBTree as unknown as { default?: typeof SortedBTree }).default ?? SortedBTree;

const PAGE = 4096;
const SZ_2M = 2 ** 21;
const SZ_1G = 2 ** 30;
/** QEMU VTD_MAMV: largest address mask of a page-selective invalidation (cap_max_amask_val). */
export const VTD_MAMV = 18;
/** IOAPIC_RANGE_START..END, reported as IOMMU_RESV_MSI by intel_iommu_get_resv_regions. */
export const VTD_MSI_RANGE = { start: 0xfee0_0000, last: 0xfeef_ffff } as const;

/** Bytes one entry maps at `level` (1 = 4 KiB leaf PTE), levels 1..5. */
const ENTRY_BYTES = [0, 2 ** 12, 2 ** 21, 2 ** 30, 2 ** 39, 2 ** 48];

function entryBytes(level: number): number {
  return ENTRY_BYTES[level]!;
}

/** Bytes one page table at `level` spans (512 entries). */
function tableBytes(level: number): number {
  return ENTRY_BYTES[level + 1]!;
}

/** Entries of the table at [base, base+cover) that lie inside [start, end). */
function tableEntriesIn(base: number, cover: number, esz: number, start: number, end: number): number {
  return Math.floor(Math.min(end - 1, base + cover - 1) / esz) - Math.floor(Math.max(start, base) / esz) + 1;
}

/**
 * The guest's second-level page table of one DMA domain: present leaves, which page-table pages
 * exist at each non-root level (the root always exists), and, as simulator bookkeeping, the leaf
 * starts written or cleared since QEMU's walk last covered them.
 */
export class VtdPageTable implements VtdTableReader {
  readonly levels: number;
  readonly limit: number;
  holeStart = 0;
  holeLast = 0;
  private readonly leaves = new IntervalMap<VtdLeaf>();
  /** tables[L]: indices (addr / tableBytes(L)) of existing tables at level L, 1 <= L < levels. */
  private readonly tables: Set<number>[] = [];
  private readonly changed = new BTree<number, number>();
  private readonly pair: [number, number] = [0, 0];
  private readonly planLast: Float64Array;
  private tableCount = 0;
  /** Largest leaf first. */
  private readonly leafSizes: readonly number[];

  constructor(
    awBits: 39 | 48,
    superpages: IntelIommuOptions['superpages'],
    private readonly onLeafCleared: (leaf: VtdLeaf) => void,
  ) {
    this.levels = awBits === 48 ? 4 : 3;
    this.limit = 2 ** awBits;
    for (let l = 0; l < this.levels; l++) this.tables.push(new Set<number>());
    this.planLast = new Float64Array(this.levels);
    this.leafSizes = superpages === '2m+1g' ? [SZ_1G, SZ_2M, PAGE] : superpages === '2m' ? [SZ_2M, PAGE] : [PAGE];
  }

  get leafCount(): number {
    return this.leaves.size;
  }

  /** Present leaves in address order (tests and invariants). */
  leafList(): VtdLeaf[] {
    return [...this.leaves.values()];
  }

  private leafBytesAt(iova: number, gpa: number, remaining: number): number {
    for (const s of this.leafSizes) if (remaining >= s && iova % s === 0 && gpa % s === 0) return s;
    return PAGE;
  }

  /** Page-table pages a map of [iova, iova+size) must allocate (pfn_to_dma_pte). Changes nothing. */
  planMap(iova: number, gpa: number, size: number): number {
    if (size <= 0 || iova % PAGE !== 0 || gpa % PAGE !== 0 || size % PAGE !== 0 || iova + size > this.limit) {
      throw new RangeError(`intel-iommu map [${iova}, +${size}) -> ${gpa}: not page aligned or beyond the ${this.limit} aperture`);
    }
    if (this.leaves.firstOverlap(iova, iova + size - 1) !== undefined) {
      throw new RangeError(`intel-iommu map at ${iova}: already mapped (dma-iommu maps only free IOVAs)`);
    }
    this.planLast.fill(-1);
    let count = 0;
    for (let p = iova, g = gpa, rem = size; rem > 0;) {
      const s = this.leafBytesAt(p, g, rem);
      for (let l = Math.log2(s / PAGE) / 9 + 1; l < this.levels; l++) {
        const idx = Math.floor(p / tableBytes(l));
        if (!this.tables[l]!.has(idx) && this.planLast[l] !== idx) {
          count++;
          this.planLast[l] = idx;
        }
      }
      p += s;
      g += s;
      rem -= s;
    }
    return count;
  }

  /** __domain_mapping after planMap: returns the PTEs written (leaves and new directory entries). */
  writeRun(iova: number, gpa: number, size: number, write: boolean): number {
    let writes = 0;
    for (let p = iova, g = gpa, rem = size; rem > 0;) {
      const s = this.leafBytesAt(p, g, rem);
      const level = Math.log2(s / PAGE) / 9 + 1;
      for (let l = level; l < this.levels; l++) {
        const idx = Math.floor(p / tableBytes(l));
        if (!this.tables[l]!.has(idx)) {
          this.tables[l]!.add(idx);
          this.tableCount++;
          writes++;
        }
      }
      // A large page replaces the (empty) smaller tables below it (dma_pte_free_pagetable).
      for (let l = level - 1; l >= 1; l--) this.deleteTablesIn(l, p, p + s - 1);
      this.leaves.insert({ start: p, last: p + s - 1, gpa: g, write });
      this.changed.set(p, 1);
      writes++;
      p += s;
      g += s;
      rem -= s;
    }
    return writes;
  }

  /** domain_unmap: clears the leaves in range and frees tables whose whole span it covers. Returns leaves cleared. */
  clearRange(iova: number, size: number): number {
    // intel_iommu_unmap rounds a range starting at a large page up to the whole page.
    const first = this.leaves.containing(iova);
    const last = first !== undefined && first.start === iova ? Math.max(iova + size - 1, first.last) : iova + size - 1;
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
  private deleteTablesIn(l: number, start: number, last: number): void {
    const cover = tableBytes(l);
    const set = this.tables[l]!;
    const lo = Math.ceil(start / cover);
    const hi = Math.floor((last + 1) / cover) - 1;
    if (hi < lo || set.size === 0) return;
    if (hi - lo + 1 <= set.size) {
      for (let i = lo; i <= hi; i++) if (set.delete(i)) this.tableCount--;
    } else {
      for (const i of [...set]) if (i >= lo && i <= hi && set.delete(i)) this.tableCount--;
    }
  }

  leafAt(addr: number): VtdLeaf | undefined {
    return this.leaves.containing(addr);
  }

  leavesIn(start: number, last: number): number {
    if (start === 0 && last >= this.limit - 1) return this.leaves.size;
    let n = 0;
    for (let l = this.leaves.firstOverlap(start, last); l !== undefined && l.start <= last; l = this.leaves.next(l)) n++;
    return n;
  }

  findHole(addr: number): void {
    for (let l = this.levels - 1; l >= 1; l--) {
      const cover = tableBytes(l);
      const idx = Math.floor(addr / cover);
      if (!this.tables[l]!.has(idx)) {
        this.holeStart = idx * cover;
        this.holeLast = this.holeStart + cover - 1;
        return;
      }
    }
    this.holeStart = Math.floor(addr / PAGE) * PAGE;
    this.holeLast = this.holeStart + PAGE - 1;
  }

  ptesVisited(start: number, endExclusive: number): number {
    const end = Math.min(endExclusive, this.limit);
    if (start === 0 && end === this.limit) return 512 * (1 + this.tableCount);
    const rootEntry = entryBytes(this.levels);
    let n = Math.floor((end - 1) / rootEntry) - Math.floor(start / rootEntry) + 1;
    for (let l = this.levels - 1; l >= 1; l--) n += this.entriesVisited(l, start, end);
    return n;
  }

  /** Entries of existing level-`l` tables inside [start, end). */
  private entriesVisited(l: number, start: number, end: number): number {
    const cover = tableBytes(l);
    const esz = entryBytes(l);
    const set = this.tables[l]!;
    const lo = Math.floor(start / cover);
    const hi = Math.floor((end - 1) / cover);
    let n = 0;
    if (hi - lo + 1 <= set.size) {
      for (let t = lo; t <= hi; t++) if (set.has(t)) n += tableEntriesIn(t * cover, cover, esz, start, end);
    } else {
      for (const t of set) if (t >= lo && t <= hi) n += tableEntriesIn(t * cover, cover, esz, start, end);
    }
    return n;
  }

  nextChanged(from: number, last: number): number {
    const p = this.changed.getPairOrNextHigher(from, this.pair);
    return p !== undefined && p[0] <= last ? p[0] : -1;
  }

  forgetChanged(start: number, last: number): void {
    if (last - start < PAGE) this.changed.delete(start);
    else this.changed.deleteRange(start, last, true);
  }

  snapshot(): unknown {
    const leaves: [number, number, number, boolean][] = [];
    for (const l of this.leaves.values()) leaves.push([l.start, l.last, l.gpa, l.write]);
    return {
      leaves,
      tables: this.tables.map((s) => [...s].sort((a, b) => a - b)),
      changed: this.changed.keysArray(),
    };
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    let tables = 0;
    for (let l = 1; l < this.levels; l++) tables += this.tables[l]!.size;
    if (tables !== this.tableCount) problems.push(`page-table count ${this.tableCount} but ${tables} tables exist`);
    for (const leaf of this.leaves.values()) {
      const s = leaf.last - leaf.start + 1;
      if (!this.leafSizes.includes(s) || leaf.start % s !== 0 || leaf.gpa % s !== 0 || leaf.last >= this.limit) {
        problems.push(`leaf [${leaf.start}, ${leaf.last}] -> ${leaf.gpa} is not an aligned page of a supported size`);
        continue;
      }
      const level = Math.log2(s / PAGE) / 9 + 1;
      for (let l = level; l < this.levels; l++) {
        if (!this.tables[l]!.has(Math.floor(leaf.start / tableBytes(l))))
          problems.push(`leaf at ${leaf.start} has no level-${l} table above it`);
      }
      if (level > 1 && this.tables[level - 1]!.has(Math.floor(leaf.start / tableBytes(level - 1)))) {
        problems.push(`large leaf at ${leaf.start} still has a level-${level - 1} table below it`);
      }
    }
    return problems;
  }
}

/** calculate_psi_aligned_address: the address and mask (log2 pages) a PSI over [start, last] uses. */
export function psiAlignedRange(start: number, last: number): { addr: number; mask: number } {
  const pfn = Math.floor(start / PAGE);
  const endPfn = Math.floor(last / PAGE);
  const pages = endPfn - pfn + 1;
  let mask = Math.ceil(Math.log2(pages));
  if (2 ** mask < pages) mask++;
  if (pfn % 2 ** mask !== 0) {
    // The lowest bit at or above `mask` where pfn and end_pfn agree (BITS_PER_LONG if none).
    let b = mask;
    while (b < 64 && Math.floor(pfn / 2 ** b) % 2 !== Math.floor(endPfn / 2 ** b) % 2) b++;
    mask = b;
  }
  const align = PAGE * 2 ** mask;
  return { addr: mask >= 64 ? 0 : Math.floor(start / align) * align, mask };
}

export interface IntelIommuDriverDeps {
  readonly qemu: QemuVm;
  readonly container: VfioContainerApi;
  readonly costs: CostTable;
  readonly timeline: TimelineRecorder;
  /** Timeline lane, e.g. "viommu.vm0.nvme0". */
  readonly laneName: string;
  readonly options: IntelIommuOptions;
  /** Page-table allocations are 'alloc' fault sites (default: never fails). */
  readonly faults?: FaultInjector;
}

export class IntelIommuGuestDriver implements GuestIommuDriver {
  readonly name = 'intel-iommu';
  /** intel_iommu_capable(IOMMU_CAP_DEFERRED_FLUSH) */
  readonly deferredFlush = true;
  readonly shadowOnFlush = false;
  readonly apertureStart = 0;
  readonly apertureLast: number;
  readonly reservedRanges = [VTD_MSI_RANGE];
  /**
   * intel_iommu_init: caching mode with second-stage tables (QEMU's default legacy mode) calls
   * iommu_set_dma_strict(), "IOMMU batching disallowed due to virtualization": strict by default,
   * even with iommu.strict=0. Lazy only after writing DMA-FQ to the group's sysfs type.
   */
  readonly forcesStrict: boolean;
  readonly laneName: string;
  readonly table: VtdPageTable;
  readonly shadow: QemuIntelIommuShadow;
  traps = 0;
  psiInvalidations = 0;
  dsiInvalidations = 0;
  mapFailures = 0;
  private readonly faults: FaultInjector;
  private readonly lane: number;
  private readonly dsiKind: number;
  private readonly mapFailKind: number;
  private readonly enomemName: number;
  private readonly psiWhat: number;
  private readonly dsiWhat: number;

  constructor(private readonly deps: IntelIommuDriverDeps) {
    const o = deps.options;
    this.laneName = deps.laneName;
    this.forcesStrict = o.cachingMode;
    this.faults = deps.faults ?? new FaultInjector();
    this.table = new VtdPageTable(o.awBits, o.superpages, (leaf) => this.shadow.noteGuestLeafCleared(leaf));
    this.shadow = new QemuIntelIommuShadow(deps.qemu, deps.container, this.table, deps.costs);
    this.apertureLast = this.table.limit - 1;
    const tl = deps.timeline;
    this.lane = tl.defineLane(deps.laneName, 'viommu');
    this.dsiKind = tl.defineKind({
      name: 'vtd.domain invalidation',
      args: [
        { name: 'staleLeaves', format: 'int' },
        { name: 'leaves', format: 'int' },
      ],
    });
    this.mapFailKind = tl.defineKind({
      name: 'vtd.map failed',
      args: [
        { name: 'errno', format: 'errno' },
        { name: 'iova', format: 'hex' },
      ],
      failure: true,
    });
    this.enomemName = tl.internString('ENOMEM');
    this.psiWhat = deps.qemu.trapName('vtd-iotlb-psi');
    this.dsiWhat = deps.qemu.trapName('vtd-iotlb-dsi');
  }

  map(call: DmaCall, iova: number, gpa: number, size: number, write: boolean): void {
    const newTables = this.table.planMap(iova, gpa, size);
    for (let i = 0; i < newTables; i++) {
      if (this.faults.fail('alloc')) {
        // pfn_to_dma_pte could not allocate a page-table page: -ENOMEM before any PTE is written.
        this.mapFailures++;
        call.errno = ENOMEM;
        call.cause = this.deps.timeline.record(call.t as SimTimeNs, 0, this.lane, this.mapFailKind, this.enomemName, iova, 0, call.cause);
        return;
      }
    }
    call.t += this.table.writeRun(iova, gpa, size, write) * this.deps.costs.guestPteWriteNs;
    // intel_iommu_iotlb_sync_map: caching mode caches not-present entries, so a new mapping is invalidated too.
    if (this.deps.options.cachingMode) this.invalidateRange(call, iova, size);
  }

  unmap(call: DmaCall, iova: number, size: number): void {
    call.t += this.table.clearRange(iova, size) * this.deps.costs.guestPteWriteNs;
  }

  iotlbSync(call: DmaCall, iova: number, size: number): void {
    this.invalidateRange(call, iova, size);
  }

  flushIotlbAll(call: DmaCall): void {
    this.invalidateDomain(call);
  }

  /** cache_tag_flush_iotlb: PSI, or DSI when the mask exceeds cap_max_amask_val. */
  private invalidateRange(call: DmaCall, iova: number, size: number): void {
    const { addr, mask } = psiAlignedRange(iova, iova + size - 1);
    if (mask > VTD_MAMV) {
      this.invalidateDomain(call);
      return;
    }
    this.psiInvalidations++;
    this.trap(call, this.psiWhat, addr, addr + PAGE * 2 ** mask);
  }

  private invalidateDomain(call: DmaCall): void {
    this.dsiInvalidations++;
    const startNs = call.t;
    const event = this.deps.timeline.record(
      startNs as SimTimeNs,
      0,
      this.lane,
      this.dsiKind,
      this.shadow.staleLeaves,
      this.table.leafCount,
      0,
      call.cause,
    );
    call.cause = event;
    this.trap(call, this.dsiWhat, 0, this.table.limit);
    this.deps.timeline.setDuration(event, (call.t - startNs) as DurationNs);
  }

  /** qi_submit_sync: descriptor + wait descriptor, one tail write = one exit into QEMU. */
  private trap(call: DmaCall, what: number, start: number, endExclusive: number): void {
    this.traps++;
    call.t += this.deps.costs.intelQiDescriptorNs;
    this.shadow.beginTrap(call.t, call.cause);
    this.deps.qemu.trap(call, what, this.shadow, start, endExclusive);
  }

  collectMetrics(into: MetricMap): void {
    // vmexits: counted once per VM by QemuVm (the stack reports it).
    addMetric(into, 'viommu.invalidations.psi', this.psiInvalidations);
    addMetric(into, 'viommu.invalidations.dsi', this.dsiInvalidations);
    addMetric(into, 'viommu.mapFailures', this.mapFailures);
    this.shadow.collectMetrics(into);
  }

  snapshot(): unknown {
    return { table: this.table.snapshot(), shadow: this.shadow.snapshot() };
  }

  checkInvariants(): string[] {
    const problems = [...this.table.checkInvariants(), ...this.shadow.checkInvariants()];
    for (const leaf of this.table.leafList()) {
      if (this.shadow.entryAt(leaf.start) !== leaf && this.table.nextChanged(leaf.start, leaf.last) < 0) {
        problems.push(`guest leaf at ${leaf.start} is not shadowed and no walk is pending for it`);
      }
    }
    return problems;
  }
}

/**
 * QEMU refuses to assign a device behind intel-iommu without caching mode: vtd_panic_require_caching_mode
 * exits with this message (newer QEMU fails the vfio device instead, in vtd_dev_set_iommu_device:
 * "Device assignment is not allowed without enabling caching-mode=on for Intel IOMMU.").
 * Returns the message, or null when the VM is fine.
 */
export function intelIommuAssignmentProblem(vm: VmConfig, devices: readonly DeviceConfig[]): string | null {
  if (vm.viommu.model !== 'intel-iommu' || vm.viommu.intel.cachingMode || devices.length === 0) return null;
  return 'We need to set caching-mode=on for intel-iommu to enable device assignment with IOMMU protection.';
}

/** Whether the guest kernel forces strict DMA for this VM (see IntelIommuGuestDriver.forcesStrict). */
export function intelIommuForcesStrict(vm: VmConfig): boolean {
  return vm.viommu.model === 'intel-iommu' && vm.viommu.intel.cachingMode;
}
