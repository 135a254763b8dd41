// The guest's s390-iommu driver (L drivers/iommu/s390-iommu.c, Linux >= 6.7) under dma-iommu:
// - map (s390_iommu_map_pages): 4 KiB entries only, inside the aperture [0, 2^42 - 1], aligned,
//   else -EINVAL; writes the table entries (guestPteWriteNs each);
// - iotlb_sync_map (s390_iommu_iotlb_sync_map), only where the hypervisor shadows (tlb_refresh):
//   RPCIT over the new range; on -ENOMEM one zpci_refresh_all (global RPCIT over the window, which
//   lets QEMU drop lazily freed entries and also covers the new range) and the map fails only if
//   that fails too. There is no second range RPCIT: the global one is the retry. With the retry
//   switched off (the lab's view of the state before the fix) the first -ENOMEM fails the map;
// - a failed sync makes iommu_map undo the map with iommu_unmap: entries cleared, then
//   iotlb_sync, i.e. another range RPCIT, so QEMU drops what it had already shadowed;
// - unmap (s390_iommu_unmap_pages) clears entries without RPCIT; iotlb_sync is RPCIT over the
//   range, flush_iotlb_all a global RPCIT; both ignore the result, as the kernel does.
// Capabilities: IOMMU_CAP_DEFERRED_FLUSH unless the function is ISM (so ISM is always strict);
// shadow_on_flush = tlb_refresh (KVM, z/VM; not LPAR), which makes dma-iommu use its single queue.
// Reserved: [0, start_dma) and (end_dma, 2^42) (s390_iommu_get_resv_regions).
// Must not: allocate IOVAs or queue flushes (dma-iommu does), or shadow anything (QEMU does).

import type { CostTable } from '../../sim/costTable';
import type { SimTimeNs } from '../../sim/simTime';
import type { TimelineRecorder } from '../../sim/timelineRecorder';
import { addMetric, type MetricMap } from '../../sim/metricSink';
import type { DmaCall } from '../base/dmaCall';
import { EINVAL, ENOMEM, linuxErrnoName } from '../base/errno';
import type { GuestIommuDriver } from '../guestDma/guestIommuDriver';
import { ZPCI_PAGE_SIZE, ZPCI_TABLE_SPAN } from './s390DmaWindow';
import type { ZpciFunction } from './s390Zpci';

export interface S390IommuDriverOptions {
  /** Driver name shown in reports, e.g. "s390-iommu.nvme0". */
  readonly name: string;
  /** The function is ISM (pft PCI_FUNC_TYPE_ISM). */
  readonly ism: boolean;
  /** viommu.s390.globalFlushRetry: the 6.7 reaction to -ENOMEM from iotlb_sync_map. */
  readonly globalFlushRetry: boolean;
}

export class S390IommuDriver implements GuestIommuDriver {
  readonly name: string;
  readonly deferredFlush: boolean;
  readonly shadowOnFlush: boolean;
  readonly apertureStart = 0;
  readonly apertureLast = ZPCI_TABLE_SPAN - 1;
  readonly reservedRanges: readonly { readonly start: number; readonly last: number }[];
  maps = 0;
  unmaps = 0;
  /** Maps refused by s390_iommu_map_pages (-EINVAL). */
  invalidMaps = 0;
  /** Maps whose iotlb_sync_map failed for good. */
  syncMapFailures = 0;
  rangeRpcits = 0;
  globalRpcits = 0;
  globalFlushRetries = 0;
  private readonly failKind: number;

  constructor(
    private readonly zpci: ZpciFunction,
    private readonly costs: CostTable,
    private readonly timeline: TimelineRecorder,
    private readonly options: S390IommuDriverOptions,
  ) {
    this.name = options.name;
    // s390_iommu_capable(IOMMU_CAP_DEFERRED_FLUSH) = pft != ISM.
    this.deferredFlush = !options.ism;
    // s390_iommu_probe_device: dev->iommu->shadow_on_flush = tlb_refresh.
    this.shadowOnFlush = zpci.tlbRefresh;
    this.reservedRanges = zpci.window.reservedRanges();
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

  /** iommu_map: s390_iommu_map_pages, then iotlb_sync_map; undone with iommu_unmap on failure. */
  map(call: DmaCall, iova: number, gpa: number, size: number, write: boolean): void {
    if (size <= 0 || iova % ZPCI_PAGE_SIZE !== 0 || gpa % ZPCI_PAGE_SIZE !== 0 || size % ZPCI_PAGE_SIZE !== 0) {
      this.invalidMaps++;
      call.errno = EINVAL;
      return;
    }
    if (iova < this.apertureStart || iova + size - 1 > this.apertureLast) {
      this.invalidMaps++;
      call.errno = EINVAL;
      return;
    }
    const page = iova / ZPCI_PAGE_SIZE;
    const pages = size / ZPCI_PAGE_SIZE;
    // A read-only mapping sets ZPCI_TABLE_PROTECTED.
    this.zpci.table.validate(page, gpa, pages, !write);
    call.t += pages * this.costs.guestPteWriteNs;
    const rc = this.iotlbSyncMap(call, iova, size);
    if (rc === 0) {
      this.maps++;
      return;
    }
    this.syncMapFailures++;
    call.cause = this.timeline.record(
      call.t as SimTimeNs,
      0,
      this.zpci.lane,
      this.failKind,
      iova,
      size,
      this.timeline.internString(linuxErrnoName(rc) ?? 'E?'),
      call.cause,
    );
    // iommu_map's error path: iommu_unmap = clear the entries, then iommu_iotlb_sync.
    this.zpci.table.invalidate(page, pages);
    call.t += pages * this.costs.guestPteWriteNs;
    this.rangeRpcits++;
    this.zpci.refreshTrans(call, iova, size);
    call.errno = rc;
  }

  /** s390_iommu_iotlb_sync_map: nothing to do without tlb_refresh. Returns 0 or a positive errno. */
  private iotlbSyncMap(call: DmaCall, iova: number, size: number): number {
    if (!this.zpci.tlbRefresh) return 0;
    this.rangeRpcits++;
    const rc = this.zpci.refreshTrans(call, iova, size);
    if (rc !== ENOMEM || !this.options.globalFlushRetry) return rc;
    // "let the hypervisor discover invalidated entries allowing it to free IOVAs and unpin pages"
    this.globalFlushRetries++;
    this.globalRpcits++;
    return this.zpci.refreshAll(call, 'enomem-retry');
  }

  /** s390_iommu_unmap_pages: entries invalid, range gathered; no RPCIT. */
  unmap(call: DmaCall, iova: number, size: number): void {
    const pages = Math.ceil(size / ZPCI_PAGE_SIZE);
    this.zpci.table.invalidate(Math.floor(iova / ZPCI_PAGE_SIZE), pages);
    call.t += pages * this.costs.guestPteWriteNs;
    this.unmaps++;
  }

  /** s390_iommu_iotlb_sync: RPCIT over the gathered range; the result is ignored. */
  iotlbSync(call: DmaCall, iova: number, size: number): void {
    this.rangeRpcits++;
    this.zpci.refreshTrans(call, iova, size);
  }

  /** s390_iommu_flush_iotlb_all: zpci_refresh_all; the result is ignored. */
  flushIotlbAll(call: DmaCall): void {
    this.globalRpcits++;
    this.zpci.refreshAll(call, 'flush-queue');
  }

  collectMetrics(into: MetricMap): void {
    // iotlb.flushes.* come from dma-iommu (its strict syncs and flush-queue flushes); the RPCITs
    // behind them are counted by the zPCI function.
    addMetric(into, 'rpcit.globalFlushRetries', this.globalFlushRetries);
    addMetric(into, 's390.syncMapFailures', this.syncMapFailures);
    addMetric(into, 's390.invalidMaps', this.invalidMaps);
  }

  checkInvariants(): string[] {
    return this.zpci.table.checkInvariants();
  }
}
