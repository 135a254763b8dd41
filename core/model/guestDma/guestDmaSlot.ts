// The guest DMA API of one device across the guest's lifetimes. A guest reset or a hot-unplug and
// re-plug replaces everything below the driver (a new IOMMU domain and IOVA allocator, a new vIOMMU
// front-end), while drivers and workloads keep calling this same object. The layers it replaced
// still report their metrics: a run counts everything that happened in it.
// Must not: add behaviour of its own; every call goes to the current layer.

import type { MetricMap } from '../../sim/metricSink';
import type { DmaCall } from '../base/dmaCall';
import type { DmaDevice } from './dmaDevice';
import type { GuestDmaOps, LastUnmapProbe } from './guestDmaOps';

export class GuestDmaSlot implements GuestDmaOps {
  private readonly retired: GuestDmaOps[] = [];

  constructor(private current: GuestDmaOps) {}

  get label(): string {
    return this.current.label;
  }

  /** The layer serving calls now. */
  get layer(): GuestDmaOps {
    return this.current;
  }

  /** How many times the layers were replaced. */
  get generations(): number {
    return this.retired.length;
  }

  map(call: DmaCall, dev: DmaDevice, gpa: number, bytes: number, write: boolean): void {
    this.current.map(call, dev, gpa, bytes, write);
  }

  unmap(call: DmaCall, dmaAddr: number, bytes: number): void {
    this.current.unmap(call, dmaAddr, bytes);
  }

  /** The current layer maps scatterlists into one bus address range (mapSg). */
  get mapsSg(): boolean {
    return this.current.mapSg !== undefined;
  }

  mapSg(call: DmaCall, dev: DmaDevice, gpas: ArrayLike<number>, count: number, elementBytes: number, write: boolean): void {
    if (this.current.mapSg === undefined) throw new Error(`${this.current.label} has no scatterlist path (check mapsSg)`);
    this.current.mapSg(call, dev, gpas, count, elementBytes, write);
  }

  allocCoherent(call: DmaCall, dev: DmaDevice, gpa: number, bytes: number): void {
    this.current.allocCoherent(call, dev, gpa, bytes);
  }

  fqDepth(): number {
    return this.current.fqDepth();
  }

  optMappingBytes(): number {
    return this.current.optMappingBytes?.() ?? Infinity;
  }

  probeLastUnmap(): LastUnmapProbe | null {
    return this.current.probeLastUnmap?.() ?? null;
  }

  /** The old layer is retired (its timers stop) and `next` serves every later call. */
  replace(next: GuestDmaOps): void {
    this.current.retire?.();
    this.retired.push(this.current);
    this.current = next;
  }

  retire(): void {
    this.current.retire?.();
  }

  collectMetrics(into: MetricMap): void {
    for (const old of this.retired) old.collectMetrics(into);
    this.current.collectMetrics(into);
  }
}
