// intel-iommu on a bare-metal x86 host (Linux drivers/iommu/intel/iommu.c on the physical VT-d): the
// host kernel's own DMA API translated by the machine's IOMMU, with no hypervisor in between, as
// dma-iommu calls it. The domain's second-level table is the same VtdPageTable the guest driver
// owns. map writes leaves and, without caching mode (the hardware does not set CM), nothing is
// invalidated (intel_iommu_iotlb_sync_map flushes only in caching mode). unmap clears leaves.
// iotlb_sync (strict) is a page-selective IOTLB invalidation and flush_iotlb_all (a flush queue
// draining) a domain-selective one: qi_submit_sync writes the invalidation descriptor and a wait
// descriptor and spins until the hardware has done both, holding the queue's lock (qi->q_lock), so
// CPUs invalidating at once wait for each other.
// Must not: allocate IOVAs (dma-iommu does) or know about guests: nothing here is shadowed.

import { addMetric, type MetricMap } from '../../sim/metricSink';
import type { IntelIommuOptions } from '../../scenario/x86ViommuSchema';
import type { CostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { GapFillingLock } from '../../sim/gapFillingLock';
import type { DurationNs, SimTimeNs } from '../../sim/simTime';
import type { TimelineRecorder } from '../../sim/timelineRecorder';
import type { DmaCall } from '../base/dmaCall';
import { ENOMEM } from '../base/errno';
import type { GuestIommuDriver } from '../guestDma/guestIommuDriver';
import { VtdPageTable } from './vtdPageTable';
import { psiMask, VTD_MAMV, VTD_MSI_RANGE } from './intelIommuGuest';
import { PAGE_SIZE } from '../base/pages';
import { pow2 } from '../base/bits';
import { VTD_MAP_FAILED } from './vtdKinds';

export interface HostVtdDriverDeps {
  readonly costs: CostTable;
  readonly timeline: TimelineRecorder;
  readonly laneName: string;
  /** The run's clock (the invalidation queue's lock goes to whoever asks first in simulated time). */
  readonly clock: { readonly now: number };
  readonly options: Pick<IntelIommuOptions, 'awBits' | 'superpages'>;
  /** Page-table allocations are 'alloc' fault sites (default: never fails). */
  readonly faults?: FaultInjector;
}

export class HostVtdDriver implements GuestIommuDriver {
  readonly name = 'intel-iommu (host)';
  /** intel_iommu_capable(IOMMU_CAP_DEFERRED_FLUSH) */
  readonly deferredFlush = true;
  readonly shadowOnFlush = false;
  readonly apertureStart = 0;
  readonly apertureLast: number;
  readonly reservedRanges = [VTD_MSI_RANGE];
  readonly laneName: string;
  readonly table: VtdPageTable;
  psiInvalidations = 0;
  dsiInvalidations = 0;
  mapFailures = 0;
  /** Time spent waiting for the invalidation queue's lock, ns. */
  private readonly qiLock: GapFillingLock;
  private readonly faults: FaultInjector;
  private readonly lane: number;
  private readonly invKind: number;
  private readonly mapFailKind: number;
  private readonly enomemName: number;
  private readonly psiName: number;
  private readonly dsiName: number;

  constructor(private readonly deps: HostVtdDriverDeps) {
    this.laneName = deps.laneName;
    this.faults = deps.faults ?? new FaultInjector();
    // No QEMU shadow walks the physical table: nothing is told of cleared leaves or tracks changes.
    this.table = new VtdPageTable(deps.options.awBits, deps.options.superpages, null);
    this.apertureLast = this.table.limit - 1;
    this.qiLock = new GapFillingLock(deps.clock);
    const tl = deps.timeline;
    this.lane = tl.defineLane(deps.laneName, 'viommu');
    this.invKind = tl.defineKind({
      name: 'vtd.hw.invalidation',
      args: [
        { name: 'what', format: 'str' },
        { name: 'bytes', format: 'bytes' },
      ],
    });
    this.mapFailKind = tl.defineKind(VTD_MAP_FAILED);
    this.enomemName = tl.internString('ENOMEM');
    this.psiName = tl.internString('page-selective');
    this.dsiName = tl.internString('domain-selective');
  }

  /** __domain_mapping; no iotlb_sync_map work without caching mode. */
  map(call: DmaCall, iova: number, gpa: number, size: number, write: boolean): void {
    const newTables = this.table.planMap(iova, gpa, size);
    for (let i = 0; i < newTables; i++) {
      if (this.faults.fail('alloc')) {
        this.mapFailures++;
        call.errno = ENOMEM;
        call.cause = this.deps.timeline.record(call.t as SimTimeNs, 0, this.lane, this.mapFailKind, this.enomemName, iova, 0, call.cause);
        return;
      }
    }
    call.t += this.table.writeRun(iova, gpa, size, write) * this.deps.costs.hostPteWriteNs;
  }

  unmap(call: DmaCall, iova: number, size: number): void {
    call.t += this.table.clearRange(iova, size) * this.deps.costs.hostPteWriteNs;
  }

  /** cache_tag_flush_range: a PSI, or a DSI past cap_max_amask_val. */
  iotlbSync(call: DmaCall, iova: number, size: number): void {
    const mask = psiMask(iova, iova + size - 1);
    if (mask > VTD_MAMV) this.invalidate(call, this.dsiName, this.table.limit);
    else this.invalidate(call, this.psiName, PAGE_SIZE * pow2(mask));
  }

  /** cache_tag_flush_all */
  flushIotlbAll(call: DmaCall): void {
    this.invalidate(call, this.dsiName, this.table.limit);
  }

  /** qi_submit_sync: descriptor + wait descriptor under qi->q_lock, spinning until the hardware is done. */
  private invalidate(call: DmaCall, what: number, bytes: number): void {
    if (what === this.dsiName) this.dsiInvalidations++;
    else this.psiInvalidations++;
    const holdNs = this.deps.costs.intelQiDescriptorNs + this.deps.costs.hostIotlbInvalidationNs;
    const done = this.qiLock.acquire(call.t, holdNs);
    const start = done - holdNs;
    call.cause = this.deps.timeline.record(start as SimTimeNs, holdNs as DurationNs, this.lane, this.invKind, what, bytes, 0, call.cause);
    call.t = done;
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'viommu.invalidations.psi', this.psiInvalidations);
    addMetric(into, 'viommu.invalidations.dsi', this.dsiInvalidations);
    addMetric(into, 'viommu.mapFailures', this.mapFailures);
  }

  checkInvariants(): string[] {
    return this.table.checkInvariants();
  }
}
