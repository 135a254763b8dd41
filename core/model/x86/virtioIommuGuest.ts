// The guest's virtio-iommu driver (Linux drivers/iommu/virtio-iommu.c) as dma-iommu calls it, with
// the iommu core's splitting of a range into map_pages/unmap_pages calls (drivers/iommu/iommu.c
// __iommu_map, __iommu_unmap, iommu_pgsize, iommu_map_sg). viommu_map_pages records the mapping in
// the driver's own tree and queues a MAP request without kicking; iotlb_sync_map then syncs once per
// iommu_map or iommu_map_sg: kick (one exit into QEMU, which serves every queued request) and wait
// (viommu_sync_req: the vCPU spins until QEMU has served the queue, so the wait for the big QEMU lock
// is guest CPU time). A guest before Linux 6.8 has no iotlb_sync_map (option iotlbSyncMap off):
// every viommu_map_pages call sends its MAP and waits (viommu_send_req_sync), so a scatterlist of n
// physically discontiguous elements costs n kicks. viommu_unmap_pages drops the mappings that
// start inside the range (never splitting one: the whole mapping goes) and queues an UNMAP without
// kicking, so QEMU and VFIO keep the mapping until the next kick by anyone: a later map, an
// iotlb_sync (strict) or a flush_iotlb_all (lazy). Adding to a full virtqueue kicks first.
// Every add and every sync holds the device's request_lock (viommu_add_req, viommu_sync_req: a
// spin_lock_irqsave), a sync from the kick until QEMU has served the queue: vCPUs wanting to add or
// sync spin meanwhile, so syncs are serialized end to end, exits included. The driver (its queue and
// lock) is one per passed-through device; Linux has one per virtio-iommu device.
// Must not: serve requests (qemuVirtioIommu.ts) or allocate IOVAs (dma-iommu).

import { addMetric, maxMetric, type MetricMap } from '../../sim/metricSink';
import type { VirtioIommuOptions } from '../../scenario/x86ViommuSchema';
import type { CostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import type { DurationNs, SimTimeNs } from '../../sim/simTime';
import type { TimelineRecorder } from '../../sim/timelineRecorder';
import type { DmaCall } from '../base/dmaCall';
import { ENOMEM } from '../base/errno';
import type { GuestIommuDriver } from '../guestDma/guestIommuDriver';
import { lowestSetBit, roundDownPowerOfTwo } from '../base/bits';
import { IntervalMap } from '../base/intervalMap';
import {
  QemuVirtioIommu,
  VIRTIO_IOMMU_MAP_F_READ,
  VIRTIO_IOMMU_MAP_F_WRITE,
  VIRTIO_IOMMU_T_MAP,
  VIRTIO_IOMMU_T_UNMAP,
  VirtioIommuRequestQueue,
  type VirtioMapping,
} from './qemuVirtioIommu';
import type { QemuVm, TrapGuestLock } from '../qemu/qemuVm';
import { GapFillingLock } from '../../sim/gapFillingLock';
import { SerialResource } from '../../sim/serialResource';
import type { VfioContainerApi } from '../vfio/vfioContainerApi';
import { PAGE_SIZE } from '../base/pages';

/** QEMU's page_size_mask on x86 (host page mask): every power of two from 4 KiB up. */
const MAX_PGSIZE = 2 ** 63;
/** The APIC range QEMU's pc machine declares as VIRTIO_IOMMU_RESV_MEM_T_MSI (pc_machine_device_pre_plug_cb). */
export const VIRTIO_IOMMU_MSI_RANGE = { start: 0xfee0_0000, last: 0xfeef_ffff } as const;

/**
 * iommu_pgsize (drivers/iommu/iommu.c) for a bitmap of every power of two >= 4 KiB: the bytes
 * (pgsize * count) of the next map_pages/unmap_pages call at `iova` for `paddr`, `size` bytes left
 * (integers). Below 2^31 bytes every power of two it compares with divides 2^32, so it works on the
 * addresses' low 32-bit words (`x >>> 0` is x mod 2^32, exact for any integer a double holds) with
 * integer operations; larger sizes take the general path (the oracle of the fast one:
 * pgsizeRunBytesReference in virtioMappingsReference.testkit.ts).
 */
export function pgsizeRunBytes(iova: number, paddr: number, size: number): number {
  if (size > 0 && size < 0x8000_0000) {
    const lo = iova >>> 0;
    const plo = paddr >>> 0;
    let pgsize = 1 << (31 - Math.clz32(size));
    // The lowest set bit of either address (an address whose low word is 0 is aligned past 2^31).
    const both = lo | plo;
    if (both !== 0) {
      const align = (both & -both) >>> 0;
      if (align < pgsize) pgsize = align;
    }
    const mask = pgsize * 2 - 1;
    let bytes = size;
    // A bigger page is only worth aiming for when iova and paddr sit at the same offset in it.
    if ((lo & mask) === (plo & mask)) {
      const offset = mask + 1 - (lo & mask);
      if (offset + mask + 1 <= size) bytes = offset;
    }
    return bytes - (bytes & (pgsize - 1));
  }
  let pgsize = roundDownPowerOfTwo(size);
  const align = Math.min(iova === 0 ? Infinity : lowestSetBit(iova), paddr === 0 ? Infinity : lowestSetBit(paddr));
  if (align < pgsize) pgsize = align;
  const next = pgsize * 2;
  let bytes = size;
  if (next <= MAX_PGSIZE && iova % next === paddr % next) {
    const offset = next - (iova % next);
    if (offset + next <= size) bytes = offset;
  }
  return Math.floor(bytes / pgsize) * pgsize;
}

/**
 * viommu_del_mappings(vdomain, iova, last): removes from `mappings` the mappings that start in
 * [iova, last], in address order, and returns their bytes (the count in `out.dropped`). It stops at
 * a mapping that starts below `iova` ("Trying to split a mapping?"): only the lowest overlapping one
 * can, so then nothing is removed. The mappings are disjoint, so none after one that reaches `last`
 * overlaps the range: the walk ends there without another lookup. The per-mapping walk it replaces
 * (overlapping() snapshot, then a delete each) is the oracle in virtioMappingsReference.testkit.ts.
 */
export function viommuDelMappings(mappings: IntervalMap<VirtioMapping>, iova: number, last: number, out: { dropped: number }): number {
  out.dropped = 0;
  let m = mappings.firstOverlap(iova, last);
  if (m === undefined || m.start < iova) return 0;
  let unmapped = 0;
  for (;;) {
    unmapped += m.last - m.start + 1;
    out.dropped++;
    mappings.deleteAfterFirstOverlap(m);
    if (m.last >= last) return unmapped;
    m = mappings.firstOverlap(iova, last);
    if (m === undefined) return unmapped;
  }
}

export interface VirtioIommuDriverDeps {
  readonly qemu: QemuVm;
  readonly container: VfioContainerApi;
  readonly costs: CostTable;
  readonly timeline: TimelineRecorder;
  readonly laneName: string;
  readonly options: VirtioIommuOptions;
  /** Mapping and request allocations (kzalloc) are 'alloc' fault sites (default: never fails). */
  readonly faults?: FaultInjector;
  /**
   * The run's clock: request_lock goes to whichever vCPU asks first in simulated time
   * (GapFillingLock); without it (unit tests of one layer) vCPUs take it in call order.
   */
  readonly clock?: { readonly now: number };
}

export class VirtioIommuGuestDriver implements GuestIommuDriver {
  readonly name = 'virtio-iommu';
  readonly deferredFlush: boolean;
  readonly shadowOnFlush: boolean;
  readonly apertureStart = 0;
  /** input_range.end; 2^64 - 1 for aw-bits 64 (a double rounds it to 2^64). */
  readonly apertureLast: number;
  readonly reservedRanges = [VIRTIO_IOMMU_MSI_RANGE];
  readonly laneName: string;
  readonly queue: VirtioIommuRequestQueue;
  readonly device: QemuVirtioIommu;
  /** viommu_domain.mappings */
  private readonly mappings = new IntervalMap<VirtioMapping>();
  /** viommuDelMappings' count of dropped mappings (one object for the driver's lifetime). */
  private readonly delResult = { dropped: 0 };
  kicks = 0;
  queueFullKicks = 0;
  syncs = 0;
  flushes = 0;
  mapFailures = 0;
  /** Mappings the driver dropped without sending an UNMAP (viommu_unmap_pages returned 0). */
  orphanedMappings = 0;
  pendingUnmapsPeak = 0;
  private readonly faults: FaultInjector;
  /** viommu_dev.request_lock */
  private readonly requestLock: TrapGuestLock;
  private readonly lane: number;
  private readonly flushKind: number;
  private readonly mapFailKind: number;
  private readonly enomemName: number;
  private readonly kickWhat: number;

  constructor(private readonly deps: VirtioIommuDriverDeps) {
    const o = deps.options;
    this.deferredFlush = o.deferredFlush;
    this.shadowOnFlush = o.shadowOnFlush;
    this.apertureLast = 2 ** o.awBits - 1;
    this.laneName = deps.laneName;
    this.faults = deps.faults ?? new FaultInjector();
    this.requestLock = deps.clock === undefined ? new SerialResource(`${deps.laneName}.request_lock`) : new GapFillingLock(deps.clock);
    this.queue = new VirtioIommuRequestQueue(o.requestQueueSize);
    this.device = new QemuVirtioIommu(deps.qemu, deps.container, this.queue, deps.costs);
    const tl = deps.timeline;
    this.lane = tl.defineLane(deps.laneName, 'viommu');
    this.flushKind = tl.defineKind({
      name: 'virtio-iommu.flush',
      args: [
        { name: 'queued', format: 'int' },
        { name: 'pendingUnmaps', format: 'int' },
      ],
    });
    this.mapFailKind = tl.defineKind({
      name: 'virtio-iommu.map.failed',
      args: [
        { name: 'errno', format: 'errno' },
        { name: 'iova', format: 'hex' },
      ],
      failure: true,
    });
    this.enomemName = tl.internString('ENOMEM');
    this.kickWhat = deps.qemu.trapName('virtio-iommu-kick');
  }

  /** iommu_map: __iommu_map (one viommu_map_pages per iommu_pgsize run) + iotlb_sync_map. */
  map(call: DmaCall, iova: number, gpa: number, size: number, write: boolean): void {
    if (this.mapRuns(call, iova, gpa, size, write)) this.syncMap(call);
  }

  /**
   * iommu_map_sg for elements of `elementBytes` each at `gpas[i]`, mapped back to back from `iova`:
   * __iommu_map per element, then one iotlb_sync_map. A failed element unmaps what the earlier ones
   * mapped (iommu_unmap: unmap + iotlb_sync) and fails the call.
   */
  mapSg(call: DmaCall, iova: number, gpas: ArrayLike<number>, count: number, elementBytes: number, write: boolean): void {
    for (let i = 0; i < count; i++) {
      if (!this.mapRuns(call, iova + i * elementBytes, gpas[i]!, elementBytes, write)) {
        if (i > 0) {
          const errno = call.errno;
          this.unmap(call, iova, i * elementBytes);
          this.iotlbSync(call);
          call.errno = errno;
        }
        return;
      }
    }
    this.syncMap(call);
  }

  /** viommu_iotlb_sync_map (Linux >= 6.8); before it, viommu_map_pages already waited for each MAP. */
  private syncMap(call: DmaCall): void {
    if (this.deps.options.iotlbSyncMap) this.kick(call);
  }

  /** __iommu_map: viommu_map_pages per iommu_pgsize run; false (call.errno set) when it fails. */
  private mapRuns(call: DmaCall, iova: number, gpa: number, size: number, write: boolean): boolean {
    // Page multiples: integers whose low 12 bits (read through ToInt32, exact mod 2^32) are clear.
    if (
      size <= 0 ||
      !Number.isInteger(iova) ||
      !Number.isInteger(gpa) ||
      !Number.isInteger(size) ||
      ((iova | gpa | size) & (PAGE_SIZE - 1)) !== 0 ||
      iova + size - 1 > this.apertureLast
    ) {
      throw new RangeError(`virtio-iommu map [${iova}, +${size}) -> ${gpa}: not page aligned or outside the aperture`);
    }
    if (this.mappings.firstOverlap(iova, iova + size - 1) !== undefined) {
      throw new RangeError(`virtio-iommu map at ${iova}: already mapped (dma-iommu maps only free IOVAs)`);
    }
    let runs = 0;
    for (let p = iova, g = gpa, rem = size; rem > 0; runs++) {
      const bytes = pgsizeRunBytes(p, g, rem);
      p += bytes;
      g += bytes;
      rem -= bytes;
    }
    // Each run allocates a mapping (viommu_add_mapping) and a request (__viommu_add_req). A failure
    // fails the map before anything is queued (Linux may queue earlier runs and unroll them; the
    // mappings end the same).
    for (let i = 0; i < 2 * runs; i++) {
      if (this.faults.fail('alloc')) {
        this.mapFailures++;
        call.errno = ENOMEM;
        call.cause = this.deps.timeline.record(call.t as SimTimeNs, 0, this.lane, this.mapFailKind, this.enomemName, iova, 0, call.cause);
        return false;
      }
    }
    const flags = VIRTIO_IOMMU_MAP_F_READ | (write ? VIRTIO_IOMMU_MAP_F_WRITE : 0);
    for (let p = iova, g = gpa, rem = size; rem > 0;) {
      const bytes = pgsizeRunBytes(p, g, rem);
      // The whole range was checked free above (the first run reuses that lookup's descent).
      this.mappings.insertAfterFirstOverlap({ start: p, last: p + bytes - 1, gpa: g, flags });
      this.enqueue(call, VIRTIO_IOMMU_T_MAP, p, p + bytes - 1, g, flags);
      // Before iotlb_sync_map: viommu_send_req_sync, one kick and wait per viommu_map_pages.
      if (!this.deps.options.iotlbSyncMap) this.kick(call);
      p += bytes;
      g += bytes;
      rem -= bytes;
    }
    return true;
  }

  /** __iommu_unmap: viommu_unmap_pages per iommu_pgsize run, until one unmaps nothing. */
  unmap(call: DmaCall, iova: number, size: number): void {
    for (let done = 0; done < size;) {
      const bytes = pgsizeRunBytes(iova, iova, size - done);
      const unmapped = this.unmapPages(call, iova, bytes);
      if (unmapped === 0) break;
      iova += unmapped;
      done += unmapped;
    }
  }

  /** viommu_unmap_pages: drops whole mappings starting in range; queues one UNMAP if they cover it. */
  private unmapPages(call: DmaCall, iova: number, bytes: number): number {
    const unmapped = viommuDelMappings(this.mappings, iova, iova + bytes - 1, this.delResult);
    if (unmapped < bytes) {
      this.orphanedMappings += this.delResult.dropped;
      return 0;
    }
    this.enqueue(call, VIRTIO_IOMMU_T_UNMAP, iova, iova + unmapped - 1, 0, 0);
    return unmapped;
  }

  /** viommu_iotlb_sync */
  iotlbSync(call: DmaCall): void {
    this.syncs++;
    this.kick(call);
  }

  /** viommu_flush_iotlb_all */
  flushIotlbAll(call: DmaCall): void {
    this.flushes++;
    const startNs = call.t;
    const event = this.deps.timeline.record(
      startNs as SimTimeNs,
      0,
      this.lane,
      this.flushKind,
      this.queue.length,
      this.queue.pendingUnmaps,
      0,
      call.cause,
    );
    call.cause = event;
    this.kick(call);
    this.deps.timeline.setDuration(event, (call.t - startNs) as DurationNs);
  }

  /** viommu_add_req (under request_lock); __viommu_add_req: a full ring is synced first. */
  private enqueue(call: DmaCall, type: number, start: number, end: number, phys: number, flags: number): void {
    call.t = this.requestLock.acquire(call.t as SimTimeNs, this.deps.costs.virtioIommuGuestRequestNs) as number;

    if (!this.queue.push(type, start, end, phys, flags)) {
      this.queueFullKicks++;
      this.kick(call);
      this.queue.push(type, start, end, phys, flags);
    }
    if (this.queue.pendingUnmaps > this.pendingUnmapsPeak) this.pendingUnmapsPeak = this.queue.pendingUnmaps;
  }

  /**
   * viommu_sync_req: __viommu_sync_req under request_lock, kick and wait for every queued request.
   * With EVENT_IDX an empty ring does not notify.
   */
  private kick(call: DmaCall): void {
    if (this.queue.length === 0) return;
    this.kicks++;
    this.device.beginTrap(call.t, call.cause);
    this.deps.qemu.trap(call, this.kickWhat, this.device, 0, 0, this.requestLock);
  }

  /** The driver's mapping containing `addr` (tests). */
  mappingAt(addr: number): VirtioMapping | undefined {
    return this.mappings.containing(addr);
  }

  collectMetrics(into: MetricMap): void {
    // vmexits: counted once per VM by QemuVm (the stack reports it).
    addMetric(into, 'viommu.kicks', this.kicks);
    addMetric(into, 'viommu.queueFullKicks', this.queueFullKicks);
    addMetric(into, 'viommu.mapFailures', this.mapFailures);
    addMetric(into, 'viommu.orphanedMappings', this.orphanedMappings);
    maxMetric(into, 'viommu.staleMappingsPeak', this.pendingUnmapsPeak);
    this.device.collectMetrics(into);
  }

  snapshot(): unknown {
    const guest: number[][] = [];
    for (const m of this.mappings.values()) guest.push([m.start, m.last, m.gpa, m.flags]);
    return { guest, device: this.device.snapshot() };
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    for (const m of this.mappings.values()) {
      if (m.start % PAGE_SIZE !== 0 || (m.last + 1) % PAGE_SIZE !== 0 || m.gpa % PAGE_SIZE !== 0)
        problems.push(`mapping [${m.start}, ${m.last}] is not page aligned`);
    }
    if (this.queue.length > this.queue.size) problems.push(`request queue holds ${this.queue.length} > ${this.queue.size}`);
    // With nothing queued and nothing refused or orphaned, QEMU holds exactly the driver's mappings.
    if (this.queue.length === 0 && this.device.requestErrors === 0 && this.orphanedMappings === 0) {
      const mine = [...this.mappings.values()];
      if (mine.length !== this.device.entries) problems.push(`driver holds ${mine.length} mappings, QEMU ${this.device.entries}`);
      for (const m of mine) {
        const d = this.device.mappingAt(m.start);
        if (d === undefined || d.start !== m.start || d.last !== m.last || d.gpa !== m.gpa || d.flags !== m.flags) {
          problems.push(`mapping [${m.start}, ${m.last}] is not in QEMU as the driver has it`);
        }
      }
    }
    return problems;
  }
}
