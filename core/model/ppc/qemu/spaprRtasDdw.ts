// The dynamic DMA window RTAS calls of a pseries guest (Q hw/ppc/spapr_rtas_ddw.c), served by QEMU
// after a VM exit (RTAS is the H_RTAS hypercall; nested, it is reflected through L0 like any other):
// - ibm,query-pe-dma-window: PHB unknown or DDW off -> PARAM_ERROR; else windows available
//   (SPAPR_PCI_DMA_MAX_WINDOWS - active), the largest block QEMU can give (0x80000000 TCEs) and the
//   page-size mask of pgsz;
// - ibm,create-pe-dma-window(page_shift, window_shift): PHB unknown or DDW off -> PARAM_ERROR; a page
//   size pgsz lacks or window_shift < page_shift -> PARAM_ERROR; no free table or both windows active ->
//   HW_ERROR; the window goes at dma_win_addr when no window is active, else at dma64_win_addr, with
//   nb_table = 2^(window_shift - page_shift) stored in 32 bits: 2^32 TCEs or more truncate to 0 and
//   the call fails HW_ERROR. Returns the LIOBN and the base. If the host cannot mirror the window (QEMU
//   would hw_error), the lab answers HW_ERROR with the window disabled again;
// - ibm,remove-pe-dma-window(liobn): unknown LIOBN, DDW off or window not enabled -> PARAM_ERROR;
// - ibm,reset-pe-dma-window: PHB unknown or DDW off -> PARAM_ERROR; else spapr_phb_dma_reset.
// Must not: hold window state (SpaprPhb and its tables do).

import type { CostTable } from '../../../sim/costTable';
import type { SimTimeNs } from '../../../sim/simTime';
import type { TimelineRecorder } from '../../../sim/timelineRecorder';
import { addMetric, type MetricMap } from '../../../sim/metricSink';
import type { DmaCall } from '../../base/dmaCall';
import { OK } from '../../base/errno';
import type { QemuVm, TrapHandler } from '../../qemu/qemuVm';
import type { PowerVmL0 } from '../host/nestedPowerVm';
import { RTAS_OUT_HW_ERROR, RTAS_OUT_PARAM_ERROR, RTAS_OUT_SUCCESS, rtasErrorName } from '../papr';
import type { SpaprLiobnSlot } from './spaprHcalls';
import { SPAPR_PCI_DMA_MAX_WINDOWS, type SpaprPhb } from './spaprPhb';

export const RTAS_DDW_NAMES = [
  'ibm,query-pe-dma-window',
  'ibm,create-pe-dma-window',
  'ibm,remove-pe-dma-window',
  'ibm,reset-pe-dma-window',
] as const;
/** rtas_ibm_query_pe_dma_window: "The largest window we can possibly have" (in TCEs). */
export const DDW_LARGEST_BLOCK_TCES = 0x8000_0000;
const QUERY = 0;
const CREATE = 1;
const REMOVE = 2;
const RESET = 3;

export interface SpaprRtasDeps {
  readonly costs: CostTable;
  readonly timeline: TimelineRecorder;
  readonly lane: number;
  readonly qemu: QemuVm;
  readonly l0: PowerVmL0 | null;
  findPhb(guestPe: number): SpaprPhb | undefined;
  find(liobn: number): SpaprLiobnSlot | undefined;
}

export class SpaprRtasDdw implements TrapHandler {
  /** Boot-time work (the guest's probe): no BQL queueing, no trap events. */
  bootMode = false;
  readonly calls = new Float64Array(RTAS_DDW_NAMES.length);
  failures = 0;
  windowsCreated = 0;
  lastAvail = 0;
  lastLargestBlock = 0;
  lastPageMask = 0;
  lastLiobn = 0;
  lastBase = 0;
  private op = QUERY;
  private pe = 0;
  private pageShift = 0;
  private windowShift = 0;
  private liobn = 0;
  private status = RTAS_OUT_SUCCESS;
  /** Why the last failed call failed (the check in QEMU's RTAS handler), or null. */
  lastWhy: string | null = null;
  private readonly whyKind: number;
  private readonly trapWhat: number[];
  private readonly kind: number;
  private readonly failKind: number;

  constructor(private readonly deps: SpaprRtasDeps) {
    this.trapWhat = RTAS_DDW_NAMES.map((n) => deps.qemu.trapName(n));
    const args = [
      { name: 'call', format: 'str' },
      { name: 'status', format: 'str' },
      { name: 'liobn', format: 'hex' },
    ] as const;
    this.kind = deps.timeline.defineKind({ name: 'spapr.rtas', args });
    this.failKind = deps.timeline.defineKind({ name: 'spapr.rtas.failed', args, failure: true });
    this.whyKind = deps.timeline.defineKind({ name: 'spapr.rtas.refused', args: [{ name: 'why', format: 'str' }] });
  }

  query(call: DmaCall, guestPe: number): number {
    this.op = QUERY;
    this.pe = guestPe;
    return this.run(call);
  }

  /** Outputs in lastLiobn and lastBase. */
  create(call: DmaCall, guestPe: number, pageShift: number, windowShift: number): number {
    this.op = CREATE;
    this.pe = guestPe;
    this.pageShift = pageShift;
    this.windowShift = windowShift;
    return this.run(call);
  }

  remove(call: DmaCall, liobn: number): number {
    this.op = REMOVE;
    this.liobn = liobn;
    return this.run(call);
  }

  reset(call: DmaCall, guestPe: number): number {
    this.op = RESET;
    this.pe = guestPe;
    return this.run(call);
  }

  private run(call: DmaCall): number {
    const d = this.deps;
    this.calls[this.op]!++;
    this.lastWhy = null;
    d.l0?.reflectHcall();
    if (this.bootMode) {
      const exitNs = d.costs.vmExitNs * (d.l0 !== null ? d.costs.nestedExitFactor : 1);
      call.t += exitNs + d.costs.qemuInvalidationNs + this.serve();
    } else d.qemu.trap(call, this.trapWhat[this.op]!, this, 0, 0);
    const failed = this.status !== RTAS_OUT_SUCCESS;
    if (failed) this.failures++;
    const tl = d.timeline;
    // A failure's reason goes first, as its cause.
    if (failed && this.lastWhy !== null)
      call.cause = tl.record(call.t as SimTimeNs, 0, d.lane, this.whyKind, tl.internString(this.lastWhy), 0, 0, call.cause);
    call.cause = tl.record(
      call.t as SimTimeNs,
      0,
      d.lane,
      failed ? this.failKind : this.kind,
      tl.internString(RTAS_DDW_NAMES[this.op]!),
      tl.internString(rtasErrorName(this.status) ?? 'RTAS_SUCCESS'),
      this.op === CREATE || this.op === REMOVE ? (this.op === CREATE ? this.lastLiobn : this.liobn) : 0,
      call.cause,
    );
    return this.status;
  }

  /** TrapHandler: QEMU runs the RTAS call; returns its work (the host side of window changes), ns. */
  serve(): number {
    switch (this.op) {
      case QUERY:
        return this.serveQuery();
      case CREATE:
        return this.serveCreate();
      case REMOVE:
        return this.serveRemove();
      default:
        return this.serveReset();
    }
  }

  private ddwPhb(): SpaprPhb | undefined {
    const phb = this.deps.findPhb(this.pe);
    return phb !== undefined && phb.config.ddwEnabled ? phb : undefined;
  }

  private serveQuery(): number {
    const phb = this.ddwPhb();
    if (phb === undefined) return this.refuse(RTAS_OUT_PARAM_ERROR, this.noPhbWhy());
    this.lastAvail = SPAPR_PCI_DMA_MAX_WINDOWS - phb.activeWindows();
    this.lastLargestBlock = DDW_LARGEST_BLOCK_TCES;
    this.lastPageMask = phb.queryPageMask();
    return this.done(RTAS_OUT_SUCCESS);
  }

  private serveCreate(): number {
    this.lastLiobn = 0;
    this.lastBase = 0;
    const phb = this.ddwPhb();
    if (phb === undefined) return this.refuse(RTAS_OUT_PARAM_ERROR, this.noPhbWhy());
    const table = phb.freeTable();
    const windows = phb.activeWindows();
    if (!phb.config.pageShifts.includes(this.pageShift))
      return this.refuse(
        RTAS_OUT_PARAM_ERROR,
        `page shift ${this.pageShift} is not in the PHB's page sizes (shifts ${phb.config.pageShifts.join(', ')})`,
      );
    if (this.windowShift < this.pageShift)
      return this.refuse(RTAS_OUT_PARAM_ERROR, `window shift ${this.windowShift} is below the page shift ${this.pageShift}`);
    if (table === null || windows === SPAPR_PCI_DMA_MAX_WINDOWS)
      return this.refuse(
        RTAS_OUT_HW_ERROR,
        `the PE already has ${windows} of ${SPAPR_PCI_DMA_MAX_WINDOWS} DMA windows (no free TCE table)`,
      );
    const base = windows === 0 ? phb.config.dmaWinAddr : phb.config.dma64WinAddr;
    // spapr_tce_table_enable takes nb_table as uint32_t: 1ULL << 32 and above truncate to 0.
    const shift = this.windowShift - this.pageShift;
    const nbTable = shift >= 32 ? 0 : 2 ** shift;
    if (nbTable === 0) return this.refuse(RTAS_OUT_HW_ERROR, `2^${shift} TCEs truncate to 0 in spapr_tce_table_enable's uint32_t nb_table`);
    if (phb.enableWindow(table, this.pageShift, base, nbTable) !== OK) {
      this.status = RTAS_OUT_HW_ERROR;
      this.lastWhy = 'the host refused the window (VFIO_IOMMU_SPAPR_TCE_CREATE failed)';
      return phb.lastCostNs;
    }
    this.windowsCreated++;
    this.lastLiobn = table.liobn;
    this.lastBase = table.busOffset;
    this.status = RTAS_OUT_SUCCESS;
    return phb.lastCostNs;
  }

  private serveRemove(): number {
    const slot = this.liobn > 0xffff_ffff ? undefined : this.deps.find(this.liobn);
    if (slot === undefined || !slot.phb.config.ddwEnabled || !slot.table.enabled)
      return this.refuse(
        RTAS_OUT_PARAM_ERROR,
        slot === undefined
          ? `no TCE table has LIOBN 0x${this.liobn.toString(16)}`
          : !slot.phb.config.ddwEnabled
            ? 'the PHB has DDW disabled'
            : `the window of LIOBN 0x${this.liobn.toString(16)} is not enabled`,
      );
    slot.phb.disableWindow(slot.table);
    this.status = RTAS_OUT_SUCCESS;
    return slot.phb.lastCostNs;
  }

  private serveReset(): number {
    const phb = this.ddwPhb();
    if (phb === undefined) return this.refuse(RTAS_OUT_PARAM_ERROR, this.noPhbWhy());
    phb.dmaReset();
    this.status = RTAS_OUT_SUCCESS;
    return phb.lastCostNs;
  }

  private done(status: number): number {
    this.status = status;
    return 0;
  }

  private refuse(status: number, why: string): number {
    this.lastWhy = why;
    return this.done(status);
  }

  private noPhbWhy(): string {
    return this.deps.findPhb(this.pe) === undefined ? `no PHB has guest PE ${this.pe}` : `the PHB of guest PE ${this.pe} has DDW disabled`;
  }

  collectMetrics(into: MetricMap): void {
    RTAS_DDW_NAMES.forEach((name, i) => addMetric(into, `rtas.${name}`, this.calls[i]!));
    addMetric(into, 'ddw.rtasFailures', this.failures);
    addMetric(into, 'ddw.created', this.windowsCreated);
  }
}
