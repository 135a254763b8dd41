// The guest's intel-iommu driver (Linux drivers/iommu/intel/iommu.c, cache.c) on QEMU's emulated
// VT-d in caching mode, as dma-iommu calls it, and the second-level page table it owns
// (VtdPageTable, vtdPageTable.ts). map writes leaves (4 KiB, or 2 MiB / 1 GiB where IOVA and GPA
// are aligned: hardware_largepage_caps), then iotlb_sync_map issues a page-selective invalidation
// because caching mode also caches not-present entries (cache_tag_flush_range_np). unmap clears
// leaves and frees page tables whose whole span it covers (dma_pte_clear_level), with no
// invalidation. iotlb_sync is a page-selective invalidation (cache_tag_flush_range), flush_iotlb_all
// a domain-selective one (cache_tag_flush_all). Every invalidation is one queued-invalidation
// descriptor, one write of the queue tail and so one VM exit, handled by QEMU's shadow walk
// (qemuIntelIommuShadow.ts). In caching mode the guest kernel also forces strict DMA by default
// (forcesStrict).
// Must not: decide what QEMU does with an invalidation, or allocate IOVAs (dma-iommu does).

import { addMetric, type MetricMap } from '../../sim/metricSink';
import type { IntelIommuOptions } from '../../scenario/x86ViommuSchema';
import type { DeviceConfig, VmConfig } from '../../scenario/schema';
import type { CostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import type { SimTimeNs, DurationNs } from '../../sim/simTime';
import type { TimelineRecorder } from '../../sim/timelineRecorder';
import type { DmaCall } from '../base/dmaCall';
import { ENOMEM } from '../base/errno';
import type { GuestIommuDriver } from '../guestDma/guestIommuDriver';
import { QemuIntelIommuShadow } from './qemuIntelIommuShadow';
import type { QemuVm } from '../qemu/qemuVm';
import type { VfioContainerApi } from '../vfio/vfioContainerApi';
import { VtdPageTable } from './vtdPageTable';
import { PAGE_SIZE } from '../base/pages';
import { pow2, remPow2 } from '../base/bits';
import { VTD_MAP_FAILED } from './vtdKinds';

/** QEMU VTD_MAMV: largest address mask of a page-selective invalidation (cap_max_amask_val). */
export const VTD_MAMV = 18;
/** IOAPIC_RANGE_START..END, reported as IOMMU_RESV_MSI by intel_iommu_get_resv_regions. */
export const VTD_MSI_RANGE = { start: 0xfee0_0000, last: 0xfeef_ffff } as const;

const TWO_32 = 2 ** 32;

/**
 * calculate_psi_aligned_address (drivers/iommu/intel/cache.c): the mask (log2 pages) of the PSI
 * over [start, last]. __roundup_pow_of_two(pages) as a bit length (pages - 1 < 2^m); if pfn is not
 * aligned to it, the lowest bit at or above it where pfn and end_pfn agree (__ffs(shared_bits)),
 * BITS_PER_LONG when none. The reference (intelIommuGuestReference.testkit.ts) computes it with
 * log2 and powers; a property test requires the same answers.
 */
export function psiMask(start: number, last: number): number {
  const pfn = Math.floor(start / PAGE_SIZE);
  const endPfn = Math.floor(last / PAGE_SIZE);
  const span = endPfn - pfn;
  const mask = span < TWO_32 ? 32 - Math.clz32(span) : 64 - Math.clz32(Math.floor(span / TWO_32));
  if (remPow2(pfn, pow2(mask)) === 0) return mask;
  let b = mask;
  while (b < 64 && Math.floor(pfn / pow2(b)) % 2 !== Math.floor(endPfn / pow2(b)) % 2) b++;
  return b;
}

/** The address of the PSI with `mask` that covers `start`: ALIGN_DOWN(start, VTD_PAGE_SIZE << mask). */
export function psiAddress(start: number, mask: number): number {
  if (mask >= 64) return 0;
  const align = PAGE_SIZE * pow2(mask);
  return Math.floor(start / align) * align;
}

/** calculate_psi_aligned_address: the address and mask (log2 pages) a PSI over [start, last] uses. */
export function psiAlignedRange(start: number, last: number): { addr: number; mask: number } {
  const mask = psiMask(start, last);
  return { addr: psiAddress(start, mask), mask };
}

export interface IntelIommuDriverDeps {
  readonly qemu: QemuVm;
  readonly container: VfioContainerApi;
  readonly costs: CostTable;
  readonly timeline: TimelineRecorder;
  /** Timeline lane, e.g. "viommu.vm0.nvme0". */
  readonly laneName: string;
  /** What the driver reads of the scenario (whether caching mode forces strict is the stack's choice: dmaModeChoice.ts). */
  readonly options: Omit<IntelIommuOptions, 'cachingModeForcesStrict'>;
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
    this.table = new VtdPageTable(o.awBits, o.superpages, (cleared) => this.shadow.noteGuestLeavesCleared(cleared));
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
    this.mapFailKind = tl.defineKind(VTD_MAP_FAILED);
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
    const mask = psiMask(iova, iova + size - 1);
    if (mask > VTD_MAMV) {
      this.invalidateDomain(call);
      return;
    }
    this.psiInvalidations++;
    const addr = psiAddress(iova, mask);
    const bytes = PAGE_SIZE * pow2(mask);
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
    for (const run of this.table.runList()) {
      for (let i = 0; i < run.leaves; i++) {
        const start = run.leafStart(i);
        if (!this.shadow.holdsLeafOf(run, i) && this.table.nextChanged(start, start + run.leafBytes - 1) < 0) {
          problems.push(`guest leaf at ${start} is not shadowed and no walk is pending for it`);
        }
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
  // Linux >= 5.11 (29b32839725f "iommu/vt-d: Do not use flush-queue when caching-mode is on").
  return vm.viommu.model === 'intel-iommu' && vm.viommu.intel.cachingMode && vm.viommu.intel.cachingModeForcesStrict;
}
