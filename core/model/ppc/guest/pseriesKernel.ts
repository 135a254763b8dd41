// The pseries guest kernel's DMA state shared by the devices of a VM (L arch/powerpc/platforms/
// pseries/iommu.c, arch/powerpc/kernel/iommu.c): one iommu_table_group per guest PE node, whose table
// 0 allocates TCEs in the default window named by ibm,dma-window, and the dynamic DMA window enable_ddw
// creates for a device asking for more than 32 bits: query, page size = the largest offered
// (iommu_get_page_shift), a window of 2^ceil(log2(RAM)) when the largest block can hold it, which is
// then filled with all of RAM once (direct mapping, walk_system_ram_range -> tce_setrange_multi_pSeriesLP)
// so DMA maps become an offset; a window too small (or the lab switch off) becomes a second table the
// device allocates TCEs from. A mask under 64 bits needs the "limited addressing" DDW extension, which
// QEMU does not offer, so such a device keeps the default window. Any failure puts the PE node on
// failed_ddw_pdn_list: never tried again. TCEs are built with H_PUT_TCE for one page or without
// multi-TCE, else per-CPU 4 KiB pages of at most 512 TCEs each sent with H_PUT_TCE_INDIRECT
// (tce_buildmulti_pSeriesLP), and freed with H_STUFF_TCE(0) batches of 512 (tce_freemulti_pSeriesLP).
// Must not: decide what a hypercall or RTAS call does (SpaprHcalls, SpaprRtasDdw).

import type { CostTable } from '../../../sim/costTable';
import type { DmaCall } from '../../base/dmaCall';
import type { SpaprViommuOptions } from '../../../scenario/ppcSchema';
import { IommuPoolTable } from './iommuPoolTable';
import { H_SUCCESS, RTAS_OUT_SUCCESS } from '../papr';
import { TCE_LIST_PAGE, TCES_PER_INDIRECT, type SpaprHcalls } from '../qemu/spaprHcalls';
import type { SpaprRtasDdw } from '../qemu/spaprRtasDdw';
import { TCE_READ, TCE_RW, TCE_WRITE } from '../qemu/spaprTceTable';
import { alignDown } from '../../base/pages';
import { pow2 } from '../../base/bits';

/** A PCI device's DMA segment boundary (0xffffffff, pci_device_add). */
const PCI_SEG_BOUNDARY_BYTES = 2 ** 32;
/** Bit order of LoPAPR's page-size mask (iommu_get_page_shift: 4K, 64K, 16M, 32M, 64M, 128M, 256M, 16G, 2M). */
const QUERY_MASK_SHIFTS = [12, 16, 24, 25, 26, 27, 28, 34, 21];

/** The guest's DDW for one PE node (the "linux,direct64-ddr-window-info" or "linux,dma64-ddr-window-info" property). */
export interface PseriesDdw {
  readonly liobn: number;
  readonly base: number;
  readonly pageShift: number;
  readonly windowShift: number;
  readonly direct: boolean;
  /** Dynamic DDW: the table devices allocate from; null when direct. */
  readonly table: IommuPoolTable | null;
}

/** pci_dn->table_group of one guest PE node. */
export class PseriesTableGroup {
  ddw: PseriesDdw | null = null;
  /** On failed_ddw_pdn_list. */
  ddwFailed = false;
  /** Dynamic DDW tables whose window was replaced under them: their mappings can only be freed. */
  readonly orphanTables: IommuPoolTable[] = [];

  constructor(
    readonly guestPe: number,
    readonly defaultTable: IommuPoolTable,
  ) {}

  /** The table whose window holds a bus address. */
  tableHolding(dmaAddr: number): IommuPoolTable | null {
    if (this.defaultTable.holds(dmaAddr)) return this.defaultTable;
    const dyn = this.ddw?.table ?? null;
    if (dyn !== null && dyn.holds(dmaAddr)) return dyn;
    for (const t of this.orphanTables) if (t.holds(dmaAddr)) return t;
    return null;
  }
}

/** ibm,dma-window of a guest PE: the default window as the firmware describes it at boot. */
export interface DefaultWindow {
  readonly liobn: number;
  readonly base: number;
  readonly sizeBytes: number;
}

export interface PseriesKernelDeps {
  readonly costs: CostTable;
  readonly hcalls: SpaprHcalls;
  readonly rtas: SpaprRtasDdw;
  readonly options: SpaprViommuOptions;
  readonly ramBytes: number;
  readonly vcpus: number;
  defaultWindow(guestPe: number): DefaultWindow;
}

export class PseriesKernel {
  private readonly groups = new Map<number, PseriesTableGroup>();
  /** forgetGroup calls so far: a group object got from group() stays current until this moves. */
  groupsForgotten = 0;
  /** DEFINE_PER_CPU(__be64 *, tce_page). */
  private readonly tcePages: Float64Array[];
  private readonly tcePageGpa: number;
  ddwSetups = 0;
  ddwSetupNs = 0;
  ddwSetupHcalls = 0;
  ddwFallbacks = 0;
  directMappedBytes = 0;

  constructor(private readonly deps: PseriesKernelDeps) {
    this.tcePages = Array.from({ length: deps.vcpus }, () => new Float64Array(TCES_PER_INDIRECT));
    // Pages the kernel allocated early: 16 MiB into RAM (or as high as a small guest allows).
    const top = alignDown(deps.ramBytes - deps.vcpus * TCE_LIST_PAGE, TCE_LIST_PAGE);
    this.tcePageGpa = Math.max(0, Math.min(16 * 1024 * 1024, top));
  }

  get guestPageShift(): number {
    return this.deps.options.guestPageShift;
  }

  /** PAGE_SIZE of the guest kernel. */
  get guestPageSize(): number {
    return pow2(this.deps.options.guestPageShift);
  }

  /** The PE node's table group, set up from ibm,dma-window on first use (pci_dma_dev_setup_pSeriesLP). */
  group(guestPe: number): PseriesTableGroup {
    let g = this.groups.get(guestPe);
    if (g === undefined) {
      const w = this.deps.defaultWindow(guestPe);
      const ps = 12;
      const table = new IommuPoolTable(w.liobn, w.base / 2 ** ps, w.sizeBytes / 2 ** ps, ps, PCI_SEG_BOUNDARY_BYTES / 2 ** ps);
      g = new PseriesTableGroup(guestPe, table);
      this.groups.set(guestPe, g);
    }
    return g;
  }

  /** The guest rebooted (its PHB was reset): the next device setup starts from ibm,dma-window again. */
  forgetGroup(guestPe: number): void {
    this.groups.delete(guestPe);
    this.groupsForgotten++;
  }

  allGroups(): PseriesTableGroup[] {
    return [...this.groups.values()];
  }

  /**
   * tce_buildmulti_pSeriesLP: `npages` TCEs from TCE number `tcenum` for guest pages from `gpa`.
   * Returns the last hypercall's status (the caller ignores all but H_NOT_ENOUGH_RESOURCES, as Linux).
   */
  buildTces(call: DmaCall, liobn: number, pageShift: number, tcenum: number, npages: number, gpa: number, write: boolean): number {
    const ps = pow2(pageShift);
    const proto = TCE_READ | (write ? TCE_WRITE : 0);
    const h = this.deps.hcalls;
    const perTce = this.deps.costs.guestPteWriteNs;
    let rc = H_SUCCESS;
    if (npages === 1 || !this.deps.options.multiTce) {
      for (let i = 0; i < npages; i++) {
        call.t += perTce;
        rc = h.putTce(call, liobn, (tcenum + i) * ps, gpa + i * ps + proto);
      }
      return rc;
    }
    const page = this.tcePages[call.cpu]!;
    const listGpa = this.tcePageGpa + call.cpu * TCE_LIST_PAGE;
    let done = 0;
    do {
      const limit = Math.min(npages - done, TCES_PER_INDIRECT);
      for (let l = 0; l < limit; l++) page[l] = gpa + (done + l) * ps + proto;
      call.t += limit * perTce;
      rc = h.putTceIndirect(call, liobn, (tcenum + done) * ps, listGpa, page, limit, limit);
      done += limit;
    } while (done < npages && rc === H_SUCCESS);
    return rc;
  }

  /** tce_freemulti_pSeriesLP: H_STUFF_TCE(0) in batches of 512, or H_PUT_TCE(0) per TCE without multi-TCE. */
  freeTces(call: DmaCall, liobn: number, pageShift: number, tcenum: number, npages: number): void {
    const ps = pow2(pageShift);
    const h = this.deps.hcalls;
    if (!this.deps.options.multiTce) {
      for (let i = 0; i < npages; i++) h.putTce(call, liobn, (tcenum + i) * ps, 0);
      return;
    }
    let done = 0;
    let rc = H_SUCCESS;
    do {
      const limit = Math.min(npages - done, TCES_PER_INDIRECT);
      rc = h.stuffTce(call, liobn, (tcenum + done) * ps, 0, limit);
      done += limit;
    } while (done < npages && rc === H_SUCCESS);
  }

  /**
   * enable_ddw for a device of `group` whose DMA mask has `maskBits` bits: returns the window when the
   * device can use it (direct or dynamic), null when it keeps the default window.
   */
  enableDdw(call: DmaCall, group: PseriesTableGroup, maskBits: number): PseriesDdw | null {
    if (group.ddw !== null) return group.ddw;
    if (group.ddwFailed) return null;
    const start = call.t;
    const hcallsBefore = this.totalHcalls();
    this.ddwSetups++;
    const ddw = this.createDdw(call, group, maskBits);
    if (ddw === null) {
      group.ddwFailed = true;
      this.ddwFallbacks++;
    }
    group.ddw = ddw;
    this.ddwSetupNs += call.t - start;
    this.ddwSetupHcalls += this.totalHcalls() - hcallsBefore;
    return ddw;
  }

  private createDdw(call: DmaCall, group: PseriesTableGroup, maskBits: number): PseriesDdw | null {
    const { rtas, options, ramBytes } = this.deps;
    const pe = group.guestPe;
    if (rtas.query(call, pe) !== RTAS_OUT_SUCCESS) return null;
    // No window left: Linux would remove an unused default window (reset extension present); not modelled.
    if (rtas.lastAvail === 0) return null;
    const pageShift = QUERY_MASK_SHIFTS.reduce((best, s, i) => ((rtas.lastPageMask >> i) & 1 ? Math.max(best, s) : best), 0);
    if (pageShift === 0) return null;
    // limited_dma_window: QEMU's ibm,ddw-extensions lists only the reset call.
    if (maskBits < 64) return null;
    const maxRamLen = Math.ceil(Math.log2(ramBytes));
    const ddwSz = Math.min(Math.log2(rtas.lastLargestBlock) + pageShift, 64);
    const direct = ddwSz >= maxRamLen && options.guestDirectMapping;
    const len = ddwSz >= maxRamLen ? maxRamLen : ddwSz;
    if (rtas.create(call, pe, pageShift, len) !== RTAS_OUT_SUCCESS) return null;
    const liobn = rtas.lastLiobn;
    const base = rtas.lastBase;
    if (direct) {
      if (this.mapRam(call, liobn, base, pageShift) !== H_SUCCESS) {
        // clean_dma_window, then __remove_dma_window.
        this.freeTces(call, liobn, pageShift, base / 2 ** pageShift, 2 ** (len - pageShift));
        rtas.remove(call, liobn);
        return null;
      }
      this.directMappedBytes = Math.max(this.directMappedBytes, ramBytes);
      return { liobn, base, pageShift, windowShift: len, direct: true, table: null };
    }
    const table = new IommuPoolTable(
      liobn,
      base / 2 ** pageShift,
      2 ** (len - pageShift),
      pageShift,
      PCI_SEG_BOUNDARY_BYTES / 2 ** pageShift,
    );
    return { liobn, base, pageShift, windowShift: len, direct: false, table };
  }

  /**
   * tce_setrange_multi_pSeriesLP over guest RAM: read-write TCEs GPA -> base + GPA, 512 per
   * H_PUT_TCE_INDIRECT (one H_PUT_TCE each without multi-TCE, which ignores errors); stops at the
   * first failing call and returns its status.
   */
  mapRam(call: DmaCall, liobn: number, base: number, pageShift: number): number {
    const ps = 2 ** pageShift;
    const numTce = Math.floor(this.deps.ramBytes / ps);
    const h = this.deps.hcalls;
    if (!this.deps.options.multiTce) {
      for (let i = 0; i < numTce; i++) {
        call.t += this.deps.costs.guestPteWriteNs;
        h.putTce(call, liobn, base + i * ps, i * ps + TCE_RW);
      }
      return H_SUCCESS;
    }
    const page = this.tcePages[call.cpu]!;
    const listGpa = this.tcePageGpa + call.cpu * TCE_LIST_PAGE;
    let rc = H_SUCCESS;
    for (let done = 0; done < numTce && rc === H_SUCCESS;) {
      const limit = Math.min(numTce - done, TCES_PER_INDIRECT);
      for (let l = 0; l < limit; l++) page[l] = (done + l) * ps + TCE_RW;
      call.t += limit * this.deps.costs.guestPteWriteNs;
      rc = h.putTceIndirect(call, liobn, base + done * ps, listGpa, page, limit, limit);
      done += limit;
    }
    return rc;
  }

  private totalHcalls(): number {
    let n = 0;
    for (const c of this.deps.hcalls.calls) n += c;
    for (const c of this.deps.rtas.calls) n += c;
    return n;
  }

  snapshot(): unknown {
    return [...this.groups.values()]
      .sort((a, b) => a.guestPe - b.guestPe)
      .map((g) => ({
        pe: g.guestPe,
        failed: g.ddwFailed,
        ddw: g.ddw === null ? null : { ...g.ddw, table: g.ddw.table?.snapshot() ?? null },
        table: g.defaultTable.snapshot(),
      }));
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    for (const g of this.groups.values()) {
      problems.push(...g.defaultTable.checkInvariants(), ...(g.ddw?.table?.checkInvariants() ?? []));
      if (g.ddw !== null && g.ddwFailed) problems.push(`PE ${g.guestPe}: a DDW is in use although its setup failed`);
    }
    return problems;
  }
}
