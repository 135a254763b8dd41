// dma-direct: the guest has no vIOMMU (viommu model "none"), so QEMU mapped all guest RAM into the
// host container once at boot and a DMA map is only the guest's software path: the bus address is
// the guest-physical address and nothing below the guest changes (L kernel/dma/direct.c).
// Must not: allocate IOVAs or touch host state per IO.

import type { CostTable } from '../sim/costTable';

export class DmaDirect {
  maps = 0;
  unmaps = 0;

  constructor(private readonly costs: CostTable) {}

  /** CPU time the guest spends in dma_map_*; the returned address is the buffer's GPA. */
  mapCostNs(): number {
    this.maps++;
    return this.costs.guestDmaMapNs;
  }

  unmapCostNs(): number {
    this.unmaps++;
    return this.costs.guestDmaMapNs;
  }
}
