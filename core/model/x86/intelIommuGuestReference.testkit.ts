// Test oracle: the intel-iommu guest driver over the per-leaf table and shadow
// (vtdPageTableReference.testkit.ts, qemuIntelIommuShadowReference.testkit.ts), as intelIommuGuest.ts
// was before leaves were kept as runs. Same calls, costs, timeline events and metrics are required
// of the real driver (intelIommuGuest.runs.modelBased.test.ts).
// Must not: be imported by runtime code, or change except to follow a deliberate model change.

import { addMetric, type MetricMap } from '../../sim/metricSink';
import { FaultInjector } from '../../sim/faultInjector';
import type { SimTimeNs, DurationNs } from '../../sim/simTime';
import type { DmaCall } from '../base/dmaCall';
import { ENOMEM } from '../base/errno';
import type { GuestIommuDriver } from '../guestDma/guestIommuDriver';
import { QemuIntelIommuShadowReference as QemuIntelIommuShadow } from './qemuIntelIommuShadowReference.testkit';
import { VTD_MAMV, VTD_MSI_RANGE, type IntelIommuDriverDeps } from './intelIommuGuest';
import { VtdPageTableReference as VtdPageTable } from './vtdPageTableReference.testkit';
import { PAGE_SIZE } from '../base/pages';

/**
 * calculate_psi_aligned_address as intelIommuGuest.ts computed it before psiMask: log2 and powers,
 * bit by bit. The oracle of psiMask / psiAddress (intelIommuGuest.rules.test.ts).
 */
export function psiAlignedRangeReference(start: number, last: number): { addr: number; mask: number } {
  const pfn = Math.floor(start / PAGE_SIZE);
  const endPfn = Math.floor(last / PAGE_SIZE);
  const pages = endPfn - pfn + 1;
  let mask = Math.ceil(Math.log2(pages));
  if (2 ** mask < pages) mask++;
  if (pfn % 2 ** mask !== 0) {
    // The lowest bit at or above `mask` where pfn and end_pfn agree (BITS_PER_LONG if none).
    let b = mask;
    while (b < 64 && Math.floor(pfn / 2 ** b) % 2 !== Math.floor(endPfn / 2 ** b) % 2) b++;
    mask = b;
  }
  const align = PAGE_SIZE * 2 ** mask;
  return { addr: mask >= 64 ? 0 : Math.floor(start / align) * align, mask };
}

export class IntelIommuGuestReference implements GuestIommuDriver {
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
  private readonly psiKind: number;
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
      name: 'vtd.invalidate.domain',
      args: [
        { name: 'staleLeaves', format: 'int' },
        { name: 'leaves', format: 'int' },
      ],
    });
    // Recorded before the trap, so what QEMU does while serving it (a VFIO map that fails) names it as its cause.
    this.psiKind = tl.defineKind({
      name: 'vtd.invalidate.iotlb',
      args: [
        { name: 'addr', format: 'hex' },
        { name: 'bytes', format: 'bytes' },
      ],
    });
    this.mapFailKind = tl.defineKind({
      name: 'vtd.map.failed',
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
    const { addr, mask } = psiAlignedRangeReference(iova, iova + size - 1);
    if (mask > VTD_MAMV) {
      this.invalidateDomain(call);
      return;
    }
    this.psiInvalidations++;
    const bytes = PAGE_SIZE * 2 ** mask;
    const startNs = call.t;
    const event = this.deps.timeline.record(startNs as SimTimeNs, 0, this.lane, this.psiKind, addr, bytes, 0, call.cause);
    call.cause = event;
    this.trap(call, this.psiWhat, addr, addr + bytes);
    this.deps.timeline.setDuration(event, (call.t - startNs) as DurationNs);
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
