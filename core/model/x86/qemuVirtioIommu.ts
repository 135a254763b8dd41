// QEMU's virtio-iommu device (hw/virtio/virtio-iommu.c) for one domain, and the request virtqueue
// the guest fills. A kick makes QEMU pop every queued request (virtio_iommu_handle_command), each
// costing virtioIommuRequestNs. MAP (virtio_iommu_map): a range overlapping an existing mapping is
// refused with VIRTIO_IOMMU_S_INVAL, else it is recorded and notified to VFIO split into
// power-of-two aligned chunks (virtio_iommu_notify_map_unmap, dma_aligned_pow2_mask), one ioctl per
// chunk (hw/vfio/listener.c vfio_iommu_map_notify). UNMAP (virtio_iommu_unmap): every mapping inside
// the range is notified the same way and removed; a mapping only partly inside stops the request
// with VIRTIO_IOMMU_S_RANGE. Request statuses are not seen by the Linux driver for MAP/UNMAP
// (viommu_add_req keeps no writeback), and VFIO errors are only logged.
// Must not: know how the guest decides what to queue or when to kick (virtioIommuGuest.ts).

import { addMetric, maxMetric, type MetricMap } from '../../sim/metricSink';
import type { CostTable } from '../../sim/costTable';
import { IntervalMap } from '../base/intervalMap';
import { lowestSetBit, roundDownPowerOfTwo } from '../base/bits';
import type { QemuVm, TrapHandler } from '../qemu/qemuVm';
import type { VfioContainerApi } from '../vfio/vfioContainerApi';

/** virtio_iommu_req_head.type (include/uapi/linux/virtio_iommu.h). */
export const VIRTIO_IOMMU_T_MAP = 0x03;
export const VIRTIO_IOMMU_T_UNMAP = 0x04;
/** virtio_iommu_req_map.flags */
export const VIRTIO_IOMMU_MAP_F_READ = 1 << 0;
export const VIRTIO_IOMMU_MAP_F_WRITE = 1 << 1;
export const VIRTIO_IOMMU_MAP_F_MMIO = 1 << 2;
const MAP_F_MASK = VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE | VIRTIO_IOMMU_MAP_F_MMIO;
/** virtio_iommu_req_tail.status */
export const VIRTIO_IOMMU_S_OK = 0x00;
export const VIRTIO_IOMMU_S_INVAL = 0x03;
export const VIRTIO_IOMMU_S_RANGE = 0x04;

/** The request virtqueue: requests the guest added and QEMU has not popped yet, in order. */
export class VirtioIommuRequestQueue {
  private readonly type: Uint8Array;
  private readonly start: Float64Array;
  private readonly end: Float64Array;
  private readonly phys: Float64Array;
  private readonly flags: Uint8Array;
  private head = 0;
  private count = 0;
  /** UNMAP requests waiting: mappings the guest dropped that QEMU and VFIO still hold. */
  pendingUnmaps = 0;

  constructor(readonly size: number) {
    this.type = new Uint8Array(size);
    this.start = new Float64Array(size);
    this.end = new Float64Array(size);
    this.phys = new Float64Array(size);
    this.flags = new Uint8Array(size);
  }

  get length(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.size;
  }

  /** virtqueue_add_sgs; false when the ring is full (-ENOSPC). `end` is inclusive. */
  push(type: number, start: number, end: number, phys: number, flags: number): boolean {
    if (this.count === this.size) return false;
    const i = (this.head + this.count) % this.size;
    this.type[i] = type;
    this.start[i] = start;
    this.end[i] = end;
    this.phys[i] = phys;
    this.flags[i] = flags;
    this.count++;
    if (type === VIRTIO_IOMMU_T_UNMAP) this.pendingUnmaps++;
    return true;
  }

  /** Device side: index of the oldest request (read its fields, then pop()). */
  peekIndex(): number {
    return this.head;
  }

  typeAt(i: number): number {
    return this.type[i]!;
  }
  startAt(i: number): number {
    return this.start[i]!;
  }
  endAt(i: number): number {
    return this.end[i]!;
  }
  physAt(i: number): number {
    return this.phys[i]!;
  }
  flagsAt(i: number): number {
    return this.flags[i]!;
  }

  pop(): void {
    if (this.type[this.head] === VIRTIO_IOMMU_T_UNMAP) this.pendingUnmaps--;
    this.head = (this.head + 1) % this.size;
    this.count--;
  }

  snapshot(): unknown {
    const out: number[][] = [];
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) % this.size;
      out.push([this.type[i]!, this.start[i]!, this.end[i]!, this.phys[i]!, this.flags[i]!]);
    }
    return out;
  }
}

export interface VirtioMapping {
  readonly start: number;
  /** Inclusive. */
  readonly last: number;
  readonly gpa: number;
  readonly flags: number;
}

/**
 * dma_aligned_pow2_mask(start, end, 64) + 1 (system/dma-helpers.c; softmmu/ in older trees): the
 * next chunk from `start` (aligned, not past `end`; integers). Below 2^31 bytes left, the
 * alignment of `start` only matters through its low 32-bit word, so it is read there with integer
 * operations (the general path below is the oracle: alignedPow2ChunkReference).
 */
export function alignedPow2Chunk(start: number, end: number): number {
  const len = end - start + 1;
  if (len > 0 && len < 0x8000_0000) {
    const fit = 1 << (31 - Math.clz32(len));
    const lo = start | 0;
    if (lo === 0) return fit;
    const align = (lo & -lo) >>> 0;
    return align < fit ? align : fit;
  }
  const fit = roundDownPowerOfTwo(end - start + 1);
  if (start === 0) return fit;
  const align = lowestSetBit(start);
  return align < fit ? align : fit;
}

/** Receives the mappings virtioIommuTakeRange takes out, in address order. */
export interface TakenMappingSink {
  taken(m: VirtioMapping): void;
}

/**
 * virtio_iommu_unmap's walk over VirtIOIOMMUDomain.mappings: takes out of `mappings` (handing each
 * to `sink`, in address order) every mapping inside [start, end] until one only partly inside stops
 * the request with VIRTIO_IOMMU_S_RANGE (those taken before it stay taken). QEMU takes whichever
 * overlapping mapping its GTree lookup meets; this takes the lowest, which differs only in which
 * mappings a RANGE error leaves behind. The mappings are disjoint: after one ending at `end` none
 * can overlap, so the walk stops without another lookup (the walk that looked again is the oracle
 * in virtioMappingsReference.testkit.ts).
 */
export function virtioIommuTakeRange(mappings: IntervalMap<VirtioMapping>, start: number, end: number, sink: TakenMappingSink): number {
  for (let m = mappings.firstOverlap(start, end); m !== undefined; m = mappings.firstOverlap(start, end)) {
    if (m.start < start || m.last > end) return VIRTIO_IOMMU_S_RANGE;
    mappings.deleteAfterFirstOverlap(m);
    sink.taken(m);
    if (m.last === end) break;
  }
  return VIRTIO_IOMMU_S_OK;
}

export class QemuVirtioIommu implements TrapHandler, TakenMappingSink {
  /** VirtIOIOMMUDomain.mappings */
  private readonly mappings = new IntervalMap<VirtioMapping>();
  private trapTimeNs = 0;
  private trapCause = -1;
  /** VFIO cost of the request being served. */
  private lastCostNs = 0;
  requests = 0;
  mapRequests = 0;
  unmapRequests = 0;
  requestErrors = 0;
  vfioMaps = 0;
  vfioUnmaps = 0;
  entriesPeak = 0;

  constructor(
    private readonly qemu: QemuVm,
    private readonly container: VfioContainerApi,
    readonly queue: VirtioIommuRequestQueue,
    private readonly costs: CostTable,
  ) {}

  get entries(): number {
    return this.mappings.size;
  }

  /** Clock and cause of the kicking call (for VFIO failure events recorded while serving). */
  beginTrap(tNs: number, cause: number): void {
    this.trapTimeNs = tNs;
    this.trapCause = cause;
  }

  /** virtio_iommu_handle_command: pops and serves every queued request; returns QEMU's work in ns. */
  serve(): number {
    const q = this.queue;
    let costNs = 0;
    while (q.length > 0) {
      const i = q.peekIndex();
      costNs += this.costs.virtioIommuRequestNs;
      this.requests++;
      const status =
        q.typeAt(i) === VIRTIO_IOMMU_T_MAP
          ? this.map(q.startAt(i), q.endAt(i), q.physAt(i), q.flagsAt(i))
          : this.unmap(q.startAt(i), q.endAt(i));
      if (status !== VIRTIO_IOMMU_S_OK) this.requestErrors++;
      costNs += this.lastCostNs;
      q.pop();
    }
    if (this.mappings.size > this.entriesPeak) this.entriesPeak = this.mappings.size;
    return costNs;
  }

  /** virtio_iommu_map */
  private map(start: number, end: number, gpa: number, flags: number): number {
    this.mapRequests++;
    this.lastCostNs = 0;
    if ((flags & ~MAP_F_MASK) !== 0 || this.mappings.firstOverlap(start, end) !== undefined) return VIRTIO_IOMMU_S_INVAL;
    this.mappings.insertAfterFirstOverlap({ start, last: end, gpa, flags });
    // virtio_iommu_notify_map: MMIO mappings and mappings without permission are not notified.
    const read = (flags & VIRTIO_IOMMU_MAP_F_READ) !== 0;
    const write = (flags & VIRTIO_IOMMU_MAP_F_WRITE) !== 0;
    if ((flags & VIRTIO_IOMMU_MAP_F_MMIO) !== 0 || (!read && !write)) return VIRTIO_IOMMU_S_OK;
    for (let a = start; a <= end;) {
      const chunk = alignedPow2Chunk(a, end);
      this.vfioMaps++;
      this.lastCostNs += this.qemu.vfioMap(this.container, a, gpa + (a - start), chunk, !write, this.trapTimeNs, this.trapCause);
      a += chunk;
    }
    return VIRTIO_IOMMU_S_OK;
  }

  /** virtio_iommu_unmap: every mapping taken out of the range is notified to VFIO (taken()). */
  private unmap(start: number, end: number): number {
    this.unmapRequests++;
    this.lastCostNs = 0;
    return virtioIommuTakeRange(this.mappings, start, end, this);
  }

  /** virtio_iommu_notify_unmap for a mapping virtio_iommu_unmap removed (TakenMappingSink). */
  taken(m: VirtioMapping): void {
    for (let a = m.start; a <= m.last;) {
      const chunk = alignedPow2Chunk(a, m.last);
      this.vfioUnmaps++;
      this.lastCostNs += this.qemu.vfioUnmap(this.container, a, chunk);
      a += chunk;
    }
  }

  /** The domain's mapping containing `addr` (tests and invariants). */
  mappingAt(addr: number): VirtioMapping | undefined {
    return this.mappings.containing(addr);
  }

  mappingList(): VirtioMapping[] {
    return [...this.mappings.values()];
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'viommu.requests', this.requests);
    addMetric(into, 'viommu.requestErrors', this.requestErrors);
    addMetric(into, 'viommu.vfioMaps', this.vfioMaps);
    addMetric(into, 'viommu.vfioUnmaps', this.vfioUnmaps);
    maxMetric(into, 'viommu.shadowEntriesPeak', this.entriesPeak);
  }

  snapshot(): unknown {
    const out: number[][] = [];
    for (const m of this.mappings.values()) out.push([m.start, m.last, m.gpa, m.flags]);
    return { mappings: out, queue: this.queue.snapshot() };
  }
}
