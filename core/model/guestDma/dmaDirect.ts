// dma-direct: the guest has no vIOMMU (viommu model "none"), so QEMU mapped all guest RAM into the
// host container once at boot and a DMA map is only the guest's software path: the bus address is
// the guest-physical address and nothing below the guest changes (kernel/dma/direct.c). A device
// whose mask cannot reach the buffer would need bounce buffers (swiotlb); buffers here are below
// every mask the schema allows, so that path is not modelled.
// Must not: allocate IOVAs or touch host state per IO.

import type { CostTable } from '../../sim/costTable';
import { addMetric, type MetricMap } from '../../sim/metricSink';
import type { DmaCall } from '../base/dmaCall';
import type { GuestDmaOps, LastUnmapProbe } from './guestDmaOps';
import type { DmaDevice } from './iommuDma';

export class DmaDirect implements GuestDmaOps {
  readonly label = 'dma-direct';
  maps = 0;
  unmaps = 0;

  constructor(private readonly costs: CostTable) {}

  map(call: DmaCall, _dev: DmaDevice, gpa: number): void {
    call.t += this.costs.guestDmaMapNs;
    call.dmaAddr = gpa;
    this.maps++;
  }

  allocCoherent(call: DmaCall, dev: DmaDevice, gpa: number): void {
    this.map(call, dev, gpa);
  }

  private lastAddr = 0;
  private lastBytes = 0;
  private lastAtNs = 0;
  private lastCause = -1;

  unmap(call: DmaCall, dmaAddr: number, bytes: number): void {
    call.t += this.costs.guestDmaMapNs;
    this.unmaps++;
    this.lastAddr = dmaAddr;
    this.lastBytes = bytes;
    this.lastAtNs = call.t;
    this.lastCause = call.cause;
  }

  /** Without a vIOMMU the bus address is the guest-physical one: a device reaches it forever. */
  probeLastUnmap(): LastUnmapProbe | null {
    if (this.unmaps === 0) return null;
    return { dmaAddr: this.lastAddr, bytes: this.lastBytes, unmappedAtNs: this.lastAtNs, cause: this.lastCause, outcome: 'unprotected' };
  }

  fqDepth(): number {
    return 0;
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'dma.maps', this.maps);
    addMetric(into, 'dma.unmaps', this.unmaps);
    addMetric(into, 'dma.mapFailures', 0);
  }
}
