// The DMA API of a pseries guest for one device (L arch/powerpc/kernel/dma-iommu.c over
// arch/powerpc/kernel/iommu.c and arch/powerpc/platforms/pseries/iommu.c), replacing dma-iommu:
// - probe: a driver setting a mask above 32 bits makes dma_iommu_dma_supported ask
//   iommu_bypass_supported_pSeriesLP, which runs enable_ddw for the device's PE node (PseriesKernel);
//   with a direct DDW the device bypasses the IOMMU ops (dev->dma_ops_bypass);
// - map: with bypass and a mask covering base + RAM (dma_go_direct), the bus address is DDW base + GPA
//   and nothing else happens; otherwise iommu_map_page: iommu_num_pages TCEs (aligned to the guest page
//   when the TCE page is smaller and the buffer is a page-aligned whole page) from the device's table
//   (iommu_range_alloc), built with hypercalls; a failed allocation is DMA_MAPPING_ERROR (ENOMEM here);
// - alloc_coherent: the coherent mask decides; the size is rounded to the guest page and aligned to
//   its order (iommu_alloc_coherent, get_iommu_order);
// - unmap: iommu_free clears the TCEs at once (H_STUFF_TCE): this path is always strict.
// Calls on a PHB whose window is being changed wait until the change is done.
// Must not: allocate TCEs or issue hypercalls itself beyond choosing them (IommuPoolTable, PseriesKernel).

import type { CostTable } from '../../../sim/costTable';
import type { Scheduler } from '../../../sim/scheduler';
import { addMetric, type MetricMap } from '../../../sim/metricSink';
import type { DmaCall } from '../../base/dmaCall';
import type { DmaDevice } from '../../guestDma/dmaDevice';
import { EINVAL, ENOMEM } from '../../base/errno';
import type { GuestDmaOps, LastUnmapProbe } from '../../guestDma/guestDmaOps';
import type { IommuPoolTable } from './iommuPoolTable';
import type { PseriesDdw, PseriesTableGroup } from './pseriesKernel';
import type { SpaprMachine } from '../spaprMachine';
import type { SpaprPhb } from '../qemu/spaprPhb';
import { bitsPer, pow2, remPow2 } from '../../base/bits';

interface LastUnmap {
  dmaAddr: number;
  bytes: number;
  atNs: number;
  cause: number;
  direct: boolean;
  table: IommuPoolTable | null;
  entry: number;
  npages: number;
}

/** DMA mask >> page shift as a TCE number (exact: at most 2^52 for 4 KiB TCEs). */
function maskTces(bits: number, pageShift: number): number {
  return bits >= 64 ? pow2(64 - pageShift) - 1 : Math.max(0, pow2(Math.max(0, bits - pageShift)) - 1);
}

export class PseriesIommu implements GuestDmaOps {
  readonly label = 'pseries-iommu';
  maps = 0;
  unmaps = 0;
  mapFailures = 0;
  directMaps = 0;
  iovaExhaustions = 0;
  unmapErrors = 0;
  retired = false;
  /** The DDW this device uses (dma_ops_bypass when direct), set by its probe. */
  private ddw: PseriesDdw | null = null;
  /** Mask bits the last DDW attempt was made for (0 = never). */
  private probedMaskBits = 0;
  /** The device's guest PHB (the machine's PHBs never change), looked up on first use. */
  private phbOfPe: SpaprPhb | null = null;
  /** maskTces of the last (mask bits, page shift) asked. */
  private maskFor = -1;
  private maskShift = -1;
  private maskTces = 0;
  private readonly coherentPages = new Map<number, number>();
  /** The last unmap (one object, rewritten by every unmap). */
  private last: LastUnmap | null = null;

  constructor(
    readonly device: string,
    readonly guestPe: number,
    private readonly machine: SpaprMachine,
    private readonly sim: Scheduler,
    private readonly costs: CostTable,
  ) {}

  /** The PE node's table group, kept while the kernel forgets no group (a reboot makes a new one). */
  private groupCached: PseriesTableGroup | null = null;
  private groupEpoch = -1;

  private get group(): PseriesTableGroup {
    const kernel = this.machine.kernel;
    if (this.groupCached === null || this.groupEpoch !== kernel.groupsForgotten) {
      this.groupCached = kernel.group(this.guestPe);
      this.groupEpoch = kernel.groupsForgotten;
    }
    return this.groupCached;
  }

  /**
   * dma_set_mask at probe (or later): a mask above 32 bits (unless disable_ddw) runs enable_ddw once
   * per mask. `boot` work is not queued on shared resources (the guest is not running a workload yet).
   */
  probe(call: DmaCall, maskBits: number, boot: boolean): void {
    if (maskBits === this.probedMaskBits) return;
    this.probedMaskBits = maskBits;
    if (maskBits <= 32 || this.machine.options.guestDisableDdw) {
      this.ddw = null;
      return;
    }
    const { hcalls, rtas } = this.machine;
    hcalls.bootMode = boot;
    rtas.bootMode = boot;
    try {
      this.ddw = this.machine.kernel.enableDdw(call, this.group, maskBits);
    } finally {
      hcalls.bootMode = false;
      rtas.bootMode = false;
    }
  }

  /** The device's DDW as it stands now (a window change may have replaced or dropped it). */
  private currentDdw(): PseriesDdw | null {
    if (this.ddw === null) return null;
    this.ddw = this.group.ddw;
    return this.ddw;
  }

  /** dma_go_direct with dma_ops_bypass for `ddw` (currentDdw()): the mask must reach base + RAM (dma_direct_get_required_mask). */
  private goesDirect(ddw: PseriesDdw | null, maskBits: number): PseriesDdw | null {
    if (ddw === null || !ddw.direct) return null;
    return maskBits >= 64 || pow2(maskBits) - 1 >= ddw.base + this.machine.ramBytes - 1 ? ddw : null;
  }

  /** The table iommu_alloc takes entries from, for `ddw` (currentDdw()). */
  private tableFor(ddw: PseriesDdw | null): IommuPoolTable {
    return ddw?.table ?? this.group.defaultTable;
  }

  /** Waits for a window change of the device's PHB to finish. */
  private waitForPhb(call: DmaCall): void {
    const phb = (this.phbOfPe ??= this.machine.phb(this.guestPe) ?? null);
    if (phb !== null && call.t < phb.busyUntilNs) {
      call.t = phb.busyUntilNs;
      this.machine.hcalls.blockedCalls++;
    }
  }

  map(call: DmaCall, dev: DmaDevice, gpa: number, bytes: number, write: boolean): void {
    this.probe(call, dev.dmaMaskBits, false);
    this.waitForPhb(call);
    call.t += this.costs.guestDmaMapNs;
    const ddw = this.currentDdw();
    const direct = this.goesDirect(ddw, dev.dmaMaskBits);
    if (direct !== null) {
      call.dmaAddr = direct.base + gpa;
      this.directMaps++;
      this.maps++;
      return;
    }
    const tbl = this.tableFor(ddw);
    // iommu_num_pages: (remPow2(gpa, tce) + bytes) / tce rounded up, divisions as multiplications by 1 / tce (the same bits).
    const npages = Math.ceil((tbl.remPage(gpa) + bytes) * tbl.invPageSize);
    const kernel = this.machine.kernel;
    const guestPage = kernel.guestPageSize;
    const align =
      tbl.pageShift < kernel.guestPageShift && bytes >= guestPage && remPow2(gpa, guestPage) === 0
        ? kernel.guestPageShift - tbl.pageShift
        : 0;
    this.iommuMap(call, tbl, gpa, npages, align, dev.dmaMaskBits, write);
  }

  allocCoherent(call: DmaCall, dev: DmaDevice, gpa: number, bytes: number): void {
    this.probe(call, dev.dmaMaskBits, false);
    this.waitForPhb(call);
    call.t += this.costs.guestDmaMapNs;
    const ddw = this.currentDdw();
    const direct = this.goesDirect(ddw, dev.coherentMaskBits);
    if (direct !== null) {
      call.dmaAddr = direct.base + gpa;
      this.directMaps++;
      this.maps++;
      return;
    }
    const tbl = this.tableFor(ddw);
    const guestPage = this.machine.kernel.guestPageSize;
    const size = Math.ceil(bytes / guestPage) * guestPage;
    const nio = Math.ceil(size / tbl.pageSize);
    // get_iommu_order: __ilog2((size - 1) >> it_page_shift) + 1.
    const q = Math.floor((size - 1) / tbl.pageSize);
    const order = bitsPer(q);
    if (this.iommuMap(call, tbl, gpa, nio, order, dev.coherentMaskBits, true)) this.coherentPages.set(call.dmaAddr, nio);
  }

  /** iommu_alloc: allocate, build the TCEs, return the bus address in call.dmaAddr. */
  private iommuMap(
    call: DmaCall,
    tbl: IommuPoolTable,
    gpa: number,
    npages: number,
    align: number,
    maskBits: number,
    write: boolean,
  ): boolean {
    call.t += this.costs.guestIovaAllocNs;
    if (maskBits !== this.maskFor || tbl.pageShift !== this.maskShift) {
      this.maskTces = maskTces(maskBits, tbl.pageShift);
      this.maskFor = maskBits;
      this.maskShift = tbl.pageShift;
    }
    const entry = tbl.alloc(call.cpu, npages, this.maskTces, align);
    if (entry < 0) {
      this.iovaExhaustions++;
      this.mapFailures++;
      call.errno = ENOMEM;
      return false;
    }
    const tcenum = entry + tbl.offset;
    const tce = tbl.pageSize;
    const inPage = tbl.remPage(gpa);
    this.machine.kernel.buildTces(call, tbl.liobn, tbl.pageShift, tcenum, npages, gpa - inPage, write);
    call.dmaAddr = tcenum * tce + inPage;
    this.maps++;
    return true;
  }

  unmap(call: DmaCall, dmaAddr: number, bytes: number): void {
    this.waitForPhb(call);
    call.t += this.costs.guestDmaMapNs;
    const ddw = this.currentDdw();
    if (ddw !== null && ddw.direct && dmaAddr >= ddw.base && dmaAddr < ddw.base + pow2(ddw.windowShift)) {
      this.unmaps++;
      this.remember(call, dmaAddr, bytes, true, null, 0, 0);
      return;
    }
    const tbl = this.group.tableHolding(dmaAddr);
    const coherent = this.coherentPages.size === 0 ? undefined : this.coherentPages.get(dmaAddr);
    // The divisions by the TCE size as multiplications by its exact inverse (the same bits).
    const npages = tbl === null ? 0 : (coherent ?? Math.ceil((tbl.remPage(dmaAddr) + bytes) * tbl.invPageSize));
    const entry = tbl === null ? 0 : Math.floor(dmaAddr * tbl.invPageSize) - tbl.offset;
    if (tbl === null || !tbl.isAllocated(entry, npages)) {
      // iommu_free_check prints "iommu_free: invalid entry"; the lab refuses and changes nothing.
      this.unmapErrors++;
      call.errno = EINVAL;
      return;
    }
    if (!this.group.orphanTables.includes(tbl)) this.machine.kernel.freeTces(call, tbl.liobn, tbl.pageShift, entry + tbl.offset, npages);
    tbl.free(entry, npages);
    if (coherent !== undefined) this.coherentPages.delete(dmaAddr);
    this.unmaps++;
    this.remember(call, dmaAddr, bytes, false, tbl, entry, npages);
  }

  private remember(
    call: DmaCall,
    dmaAddr: number,
    bytes: number,
    direct: boolean,
    table: IommuPoolTable | null,
    entry: number,
    npages: number,
  ): void {
    const l = this.last;
    if (l === null) {
      this.last = { dmaAddr, bytes, atNs: call.t, cause: call.cause, direct, table, entry, npages };
      return;
    }
    l.dmaAddr = dmaAddr;
    l.bytes = bytes;
    l.atNs = call.t;
    l.cause = call.cause;
    l.direct = direct;
    l.table = table;
    l.entry = entry;
    l.npages = npages;
  }

  fqDepth(): number {
    return 0;
  }

  /**
   * A DMA to the last unmapped address: the direct window still maps all RAM (nothing is ever
   * unmapped there); otherwise the TCEs were cleared at once, so it faults unless the entries were
   * handed out again.
   */
  probeLastUnmap(): LastUnmapProbe | null {
    const l = this.last;
    if (l === null) return null;
    let outcome: LastUnmapProbe['outcome'] = 'fault';
    if (l.direct) outcome = 'unprotected';
    else if (l.table !== null && l.table.anyAllocated(l.entry, l.npages)) outcome = 'remapped';
    return { dmaAddr: l.dmaAddr, bytes: l.bytes, unmappedAtNs: l.atNs, cause: l.cause, outcome };
  }

  retire(): void {
    this.retired = true;
    this.machine.layerRetired(this.device, this.sim.now);
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'dma.maps', this.maps);
    addMetric(into, 'dma.unmaps', this.unmaps);
    addMetric(into, 'dma.mapFailures', this.mapFailures);
    addMetric(into, 'iova.exhaustions', this.iovaExhaustions);
    addMetric(into, 'pseries.directMaps', this.directMaps);
    addMetric(into, 'pseries.unmapErrors', this.unmapErrors);
  }
}
