// One guest PHB as QEMU presents it (Q hw/ppc/spapr_pci.c SpaprPhbState), which is one guest PE for
// DMA: its two TCE tables (window slots) with the LIOBNs SPAPR_PCI_LIOBN(index, n), created at
// realize and enabled or disabled as windows come and go; the default 32-bit window (base
// dma_win_addr 0, dma_win_size 1 GiB, 4 KiB TCEs) that spapr_phb_dma_reset restores; the DDW base
// dma64_win_addr (2^59) and page sizes (pgsz); and the host PEs of the devices on it, whose host side
// (containers, KVM tables, L0) mirrors every window change.
// Must not: interpret RTAS or hypercall arguments (spaprRtasDdw.ts, spaprHcalls.ts).

import { OK } from '../../base/errno';
import type { SpaprHostTce } from '../host/spaprHostTce';
import { SpaprTceTable } from './spaprTceTable';

/** SPAPR_PCI_DMA_MAX_WINDOWS. */
export const SPAPR_PCI_DMA_MAX_WINDOWS = 2;
/** SPAPR_TCE_PAGE_SHIFT: the default window's TCE size. */
export const SPAPR_TCE_PAGE_SHIFT = 12;

/** SPAPR_PCI_LIOBN(phb_index, window_num) = 0x80000000 | phb_index << 8 | window_num. */
export function spaprPciLiobn(phbIndex: number, windowNum: number): number {
  return 0x8000_0000 + phbIndex * 256 + windowNum;
}

export interface SpaprPhbConfig {
  /** PHB index (the guest PE number). */
  readonly index: number;
  /** Property "ddw": the DDW RTAS calls are offered. */
  readonly ddwEnabled: boolean;
  readonly dmaWinAddr: number;
  readonly dmaWinSizeBytes: number;
  readonly dma64WinAddr: number;
  /** Property "pgsz" as shifts. */
  readonly pageShifts: readonly number[];
  /** The query reports 2M (0x100): QEMU >= 7.1 (spapr_page_mask_to_query_mask); older QEMU accepts it but never reports it. */
  readonly queryReports2M?: boolean;
  readonly ramBytes: number;
}

export class SpaprPhb {
  readonly tables: readonly SpaprTceTable[];
  /** While a window change is being served, calls on this PHB wait until then (ns). */
  busyUntilNs = 0;
  /** Host work of the last enable/disable/reset, ns. */
  lastCostNs = 0;

  constructor(
    readonly config: SpaprPhbConfig,
    readonly hostPes: readonly number[],
    readonly devices: readonly string[],
    readonly host: SpaprHostTce,
  ) {
    // spapr_phb_realize: one table per supported window (1 without DDW).
    const windows = config.ddwEnabled ? SPAPR_PCI_DMA_MAX_WINDOWS : 1;
    this.tables = Array.from({ length: windows }, (_, n) => new SpaprTceTable(spaprPciLiobn(config.index, n), n, config.ramBytes));
  }

  get index(): number {
    return this.config.index;
  }

  /** spapr_phb_get_active_win_num. */
  activeWindows(): number {
    let n = 0;
    for (const t of this.tables) if (t.enabled) n++;
    return n;
  }

  /**
   * spapr_phb_get_free_liobn: a disabled table. QOM iterates children in hash order; the lab takes
   * the lowest window number, which is what a guest observes with two windows.
   */
  freeTable(): SpaprTceTable | null {
    for (const t of this.tables) if (!t.enabled) return t;
    return null;
  }

  /** LoPAPR page-size mask of pgsz (spapr_page_mask_to_query_mask; 2M at 0x100 from QEMU 7.1). */
  queryPageMask(): number {
    const bits: Record<number, number> = { 12: 0x1, 16: 0x2, 24: 0x4, 25: 0x8, 26: 0x10, 27: 0x20, 28: 0x40, 34: 0x80 };
    if (this.config.queryReports2M ?? true) bits[21] = 0x100;
    let mask = 0;
    for (const s of this.config.pageShifts) mask |= bits[s] ?? 0;
    return mask;
  }

  /**
   * spapr_tce_table_enable, then the VFIO listener mirrors the window on the host. When the host
   * refuses (QEMU would hw_error at run time), the lab disables the window again and returns the
   * host's errno, so a guest call that asked for it fails with nothing changed. Cost in lastCostNs.
   */
  enableWindow(table: SpaprTceTable, pageShift: number, busOffset: number, nbTable: number): number {
    table.enable(pageShift, busOffset, nbTable);
    const rc = this.host.addWindow(table);
    this.lastCostNs = this.host.lastCostNs;
    if (rc !== OK) table.disable();
    return rc;
  }

  /** spapr_tce_table_disable: its TCEs go, on the host too (region_del). Cost in lastCostNs. */
  disableWindow(table: SpaprTceTable): void {
    this.host.removeWindow(table);
    this.lastCostNs = this.host.lastCostNs;
    table.disable();
  }

  /**
   * spapr_phb_dma_reset: every window goes, then the default one comes back empty. Returns 0, or the
   * host's errno when it could not mirror the default window (the guest window exists anyway, as at
   * machine start; its TCEs then only fail in QEMU's log). Cost in lastCostNs.
   */
  dmaReset(): number {
    let ns = 0;
    for (const t of this.tables) {
      if (!t.enabled) continue;
      this.disableWindow(t);
      ns += this.lastCostNs;
    }
    const def = this.tables[0]!;
    def.enable(SPAPR_TCE_PAGE_SHIFT, this.config.dmaWinAddr, this.config.dmaWinSizeBytes / 2 ** SPAPR_TCE_PAGE_SHIFT);
    const rc = this.host.addWindow(def);
    this.lastCostNs = ns + this.host.lastCostNs;
    return rc;
  }

  snapshot(): unknown {
    return { index: this.index, hostPes: this.hostPes, busyUntilNs: this.busyUntilNs, tables: this.tables.map((t) => t.snapshot()) };
  }

  checkInvariants(): string[] {
    const problems = this.tables.flatMap((t) => t.checkInvariants());
    const active = this.tables.filter((t) => t.enabled);
    if (active.length > SPAPR_PCI_DMA_MAX_WINDOWS) problems.push(`PHB ${this.index}: ${active.length} windows are active`);
    for (let i = 0; i < active.length; i++)
      for (let j = i + 1; j < active.length; j++) {
        const a = active[i]!;
        const b = active[j]!;
        if (a.busOffset < b.windowEnd && b.busOffset < a.windowEnd)
          problems.push(`PHB ${this.index}: windows ${a.windowNum} and ${b.windowNum} overlap`);
      }
    return problems;
  }
}
