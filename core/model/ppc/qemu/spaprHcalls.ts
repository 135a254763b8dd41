// The TCE hypercalls of a pseries guest (PAPR hcall-tce / hcall-multi-tce) and who serves them:
// KVM in the kernel when it has a table for the LIOBN (L arch/powerpc/kvm/book3s_64_vio.c), else, or
// when KVM answers H_TOO_HARD, QEMU (Q hw/ppc/spapr_iommu.c). Check order and results are each one's:
// - H_PUT_TCE. QEMU: unknown LIOBN -> H_PARAMETER; ioba masked to the page; index past nb_table ->
//   H_PARAMETER (put_tce_emu). KVM: misaligned ioba or index past the table -> H_PARAMETER
//   (kvmppc_ioba_validate); a TCE whose address is misaligned or not guest RAM -> H_TOO_HARD, so QEMU
//   redoes the call and accepts it (QEMU never checks the address; its VFIO listener logs it).
// - H_PUT_TCE_INDIRECT. QEMU: unknown LIOBN; n > 512 or list not 4 KiB aligned -> H_PARAMETER; then
//   entry by entry, stopping at the first failing one (entries before it stay); n = 0 -> H_PARAMETER
//   (ret starts as H_PARAMETER). KVM: n > 512, misaligned list, then the whole range (ioba_validate
//   for n) -> H_PARAMETER before anything is written; a list or TCE outside guest RAM -> H_TOO_HARD;
//   every TCE is validated before the first write; n = 0 -> H_SUCCESS.
// - H_STUFF_TCE. QEMU: unknown LIOBN; n > nb_table -> H_PARAMETER; entry by entry as above; n = 0 ->
//   H_PARAMETER. KVM: range -> H_PARAMETER; a value with permission bits -> H_PARAMETER; n = 0 ok.
// - H_GET_TCE. QEMU: unknown LIOBN or index -> H_PARAMETER, else the TCE in R4. KVM: as H_PUT_TCE's range.
// Costs: in-kernel = kvmPutTceNs per call plus the host table writes (nested: the L2 exit to L0 and
// back, 2 x vmExitNs, plus each exchange through L0); QEMU = a VM exit under the BQL (QemuVm.trap)
// plus one VFIO ioctl per TCE per container. H_TOO_HARD costs the in-kernel attempt, then QEMU's.
// Must not: keep guest-visible state itself (tables do) or choose TCEs (the guest driver does).

import type { CostTable } from '../../../sim/costTable';
import type { SimTimeNs } from '../../../sim/simTime';
import type { TimelineRecorder } from '../../../sim/timelineRecorder';
import { addMetric, type MetricMap } from '../../../sim/metricSink';
import type { DmaCall } from '../../base/dmaCall';
import type { QemuVm, TrapHandler } from '../../qemu/qemuVm';
import type { PowerVmL0 } from '../host/nestedPowerVm';
import { H_PARAMETER, H_SUCCESS, hcallErrorName } from '../papr';
import { SPAPR_TCE_PAGE_SHIFT, type SpaprPhb } from './spaprPhb';
import { tcePerm, TCE_FAULT, type SpaprTceTable } from './spaprTceTable';
import { remPow2 } from '../../base/bits';

/** KVM's "let userspace do it" (H_TOO_HARD, arch/powerpc/include/asm/hvcall.h); never reaches the guest. */
const H_TOO_HARD = 9999;
/** SPAPR_TCE_PAGE_MASK: the TCE list of H_PUT_TCE_INDIRECT is a 4 KiB page. */
export const TCE_LIST_PAGE = 2 ** SPAPR_TCE_PAGE_SHIFT;
/** "the maximum size of the list is 512 TCEs so the whole table fits in 4K page". */
export const TCES_PER_INDIRECT = 512;

export const HCALL_NAMES = ['H_PUT_TCE', 'H_PUT_TCE_INDIRECT', 'H_STUFF_TCE', 'H_GET_TCE'] as const;
const PUT = 0;
const INDIRECT = 1;
const STUFF = 2;
const GET = 3;

/** Where a LIOBN leads: its table and the PHB it belongs to. */
export interface SpaprLiobnSlot {
  readonly table: SpaprTceTable;
  readonly phb: SpaprPhb;
}

export interface SpaprHcallDeps {
  readonly costs: CostTable;
  readonly timeline: TimelineRecorder;
  readonly lane: number;
  readonly qemu: QemuVm;
  /** Set under nested PowerVM: every hypercall is reflected through L0. */
  readonly l0: PowerVmL0 | null;
  readonly ramBytes: number;
  find(liobn: number): SpaprLiobnSlot | undefined;
}

export class SpaprHcalls implements TrapHandler {
  /** Boot-time work (probe): costs add to the call, nothing queues on the BQL or table locks, no trap events. */
  bootMode = false;
  readonly calls = new Float64Array(HCALL_NAMES.length);
  failures = 0;
  inKernel = 0;
  toQemu = 0;
  tooHard = 0;
  /** Guest TCE entries written (PUT, each INDIRECT entry, each STUFF entry). */
  guestWrites = 0;
  /** Simulated time the TCE hypercalls took, issue to return, ns. */
  busyNs = 0;
  /** Calls that waited for a window change of their PHB. */
  blockedCalls = 0;
  lastWritten = 0;
  lastTce = 0;
  /** Why the last refused hypercall was refused (the check that failed, KVM's or QEMU's), or null. */
  lastWhy: string | null = null;
  // The call being served (one at a time; fields, so the hot path allocates nothing).
  private op = PUT;
  private liobn = 0;
  private ioba = 0;
  private value = 0;
  private npages = 0;
  private listGpa = 0;
  private list: Float64Array = new Float64Array(0);
  private listLength = 0;
  private rc = H_SUCCESS;
  private readonly trapWhat: number[];
  private readonly failKind: number;
  private readonly whyKind: number;

  constructor(private readonly deps: SpaprHcallDeps) {
    this.trapWhat = HCALL_NAMES.map((n) => deps.qemu.trapName(n));
    this.failKind = deps.timeline.defineKind({
      name: 'spapr.hcall.failed',
      args: [
        { name: 'hcall', format: 'str' },
        { name: 'rc', format: 'str' },
        { name: 'liobn', format: 'hex' },
      ],
      failure: true,
    });
    this.whyKind = deps.timeline.defineKind({ name: 'spapr.hcall.refused', args: [{ name: 'why', format: 'str' }] });
  }

  putTce(call: DmaCall, liobn: number, ioba: number, tce: number): number {
    this.set(PUT, liobn, ioba, tce, 1);
    return this.run(call);
  }

  /** `list` holds the TCEs the guest wrote at `listGpa` (entries past listLength read as 0). */
  putTceIndirect(
    call: DmaCall,
    liobn: number,
    ioba: number,
    listGpa: number,
    list: Float64Array,
    listLength: number,
    npages: number,
  ): number {
    this.set(INDIRECT, liobn, ioba, 0, npages);
    this.listGpa = listGpa;
    this.list = list;
    this.listLength = listLength;
    return this.run(call);
  }

  stuffTce(call: DmaCall, liobn: number, ioba: number, value: number, npages: number): number {
    this.set(STUFF, liobn, ioba, value, npages);
    return this.run(call);
  }

  /** H_GET_TCE: the TCE in lastTce. */
  getTce(call: DmaCall, liobn: number, ioba: number): number {
    this.set(GET, liobn, ioba, 0, 1);
    return this.run(call);
  }

  private set(op: number, liobn: number, ioba: number, value: number, npages: number): void {
    this.op = op;
    this.liobn = liobn;
    this.ioba = ioba;
    this.value = value;
    this.npages = npages;
    this.lastWritten = 0;
    this.lastTce = 0;
    this.lastWhy = null;
  }

  private run(call: DmaCall): number {
    const d = this.deps;
    const slot = d.find(this.liobn);
    if (slot !== undefined && call.t < slot.phb.busyUntilNs) {
      call.t = slot.phb.busyUntilNs;
      this.blockedCalls++;
    }
    const start = call.t;
    this.calls[this.op]!++;
    d.l0?.reflectHcall();
    let rc = H_TOO_HARD;
    if (slot !== undefined && slot.phb.host.knowsLiobn(this.liobn)) {
      // Nested: the L2 exits to L0, which reflects it to L1 (half the nested exit), and back after.
      const halfExitNs = d.l0 === null ? 0 : (d.costs.vmExitNs * d.costs.nestedExitFactor) / 2;
      const before = call.t;
      call.t += halfExitNs + d.costs.kvmPutTceNs;
      rc = this.kvmExecute(call, slot);
      if (rc !== H_TOO_HARD) {
        this.inKernel++;
        call.t += halfExitNs;
      } else {
        // Nothing was written; QemuVm.trap charges the whole exit of the trip through QEMU.
        this.tooHard++;
        call.t = before + d.costs.kvmPutTceNs;
      }
    }
    if (rc === H_TOO_HARD) {
      this.toQemu++;
      this.viaQemu(call);
      rc = this.rc;
    }
    this.busyNs += call.t - start;
    if (rc !== H_SUCCESS) this.fail(call, rc);
    return rc;
  }

  private viaQemu(call: DmaCall): void {
    const d = this.deps;
    if (!this.bootMode) {
      d.qemu.trap(call, this.trapWhat[this.op]!, this, 0, 0);
      return;
    }
    const exitNs = d.costs.vmExitNs * (d.l0 !== null ? d.costs.nestedExitFactor : 1);
    call.t += exitNs + d.costs.qemuInvalidationNs + this.serve();
  }

  // ---- KVM (book3s_64_vio.c) ----

  /** kvmppc_ioba_validate: aligned, inside the table for all n entries. */
  private kvmIobaValid(t: SpaprTceTable, npages: number): boolean {
    if (t.remPage(this.ioba) !== 0) return false;
    // ioba / ps - busOffset / ps, the divisions as multiplications by 1 / ps (the same bits).
    const idx = this.ioba * t.invPageSize - t.busOffset * t.invPageSize;
    return idx >= 0 && idx + npages <= t.nbTable;
  }

  /** kvmppc_tce_validate: a non-poison TCE must be page aligned (iommu_tce_check_gpa) and guest RAM. */
  private kvmTceValid(t: SpaprTceTable, tce: number): boolean {
    const perm = tcePerm(tce);
    if (perm === TCE_FAULT) return true;
    return t.remPage(tce - perm) === 0 && t.isBacked(tce);
  }

  private kvmExecute(call: DmaCall, slot: SpaprLiobnSlot): number {
    const t = slot.table;
    const n = this.npages;
    switch (this.op) {
      case PUT:
        if (!this.kvmIobaValid(t, 1)) return this.no(H_PARAMETER, this.iobaWhy(t, 1, 'KVM'));
        if (!this.kvmTceValid(t, this.value)) return H_TOO_HARD;
        this.kvmWrite(call, slot, t.indexOf(this.ioba), 1, null, this.value);
        return H_SUCCESS;
      case INDIRECT: {
        if (n > TCES_PER_INDIRECT || remPow2(this.listGpa, TCE_LIST_PAGE) !== 0) return this.no(H_PARAMETER, this.listWhy(n, 'KVM'));
        if (!this.kvmIobaValid(t, n)) return this.no(H_PARAMETER, this.iobaWhy(t, n, 'KVM'));
        if (this.listGpa + TCE_LIST_PAGE > this.deps.ramBytes) return H_TOO_HARD;
        for (let i = 0; i < n; i++) if (!this.kvmTceValid(t, this.listEntry(i))) return H_TOO_HARD;
        this.kvmWrite(call, slot, t.indexOf(this.ioba), n, this.list, 0);
        return H_SUCCESS;
      }
      case STUFF: {
        if (!this.kvmIobaValid(t, n)) return this.no(H_PARAMETER, this.iobaWhy(t, n, 'KVM'));
        if (tcePerm(this.value) !== TCE_FAULT)
          return this.no(H_PARAMETER, 'KVM: H_STUFF_TCE with a value that has permission bits set (kvmppc_h_stuff_tce only clears)');
        this.kvmWrite(call, slot, t.indexOf(this.ioba), n, null, this.value);
        return H_SUCCESS;
      }
      default:
        if (!this.kvmIobaValid(t, 1)) return this.no(H_PARAMETER, this.iobaWhy(t, 1, 'KVM'));
        this.lastTce = t.get(t.indexOf(this.ioba));
        return H_SUCCESS;
    }
  }

  /**
   * kvmppc_tce_iommu_map/_unmap for `n` entries from `index`: entry i gets list[i] (0 past listLength)
   * or, without a list, `value`. Each entry's host writes run in order (SpaprHostTce.kvmWriteEntries);
   * the guest table gets the same values.
   */
  private kvmWrite(call: DmaCall, slot: SpaprLiobnSlot, index: number, n: number, list: Float64Array | null, value: number): void {
    call.t = slot.phb.host.kvmWriteEntries(call.t, slot.table, n, this.bootMode);
    if (list === null) slot.table.fill(index, n, value);
    else slot.table.putList(index, list, Math.min(n, this.listLength), n);
    this.guestWrites += n;
    this.lastWritten += n;
  }

  // ---- QEMU (spapr_iommu.c), run under the BQL by QemuVm.trap ----

  /** TrapHandler: QEMU serves the pending hypercall; returns its work in ns (the result goes to `rc`). */
  serve(): number {
    const slot = this.liobn > 0xffff_ffff ? undefined : this.deps.find(this.liobn);
    if (slot === undefined) {
      this.rc = this.no(H_PARAMETER, `QEMU: no TCE table has LIOBN ${hex(this.liobn)} (spapr_tce_find_by_liobn)`);
      return 0;
    }
    const t = slot.table;
    let ns = 0;
    const base = this.ioba - remPow2(this.ioba, t.nbTable > 0 ? t.pageSize : 1);
    switch (this.op) {
      case PUT:
        ns = this.putTceEmu(slot, base, this.value);
        break;
      case INDIRECT:
        this.rc = this.no(
          H_PARAMETER,
          this.npages === 0 ? 'QEMU: H_PUT_TCE_INDIRECT with npages 0 (ret starts as H_PARAMETER)' : this.listWhy(this.npages, 'QEMU'),
        );
        if (this.npages > TCES_PER_INDIRECT || remPow2(this.listGpa, TCE_LIST_PAGE) !== 0) break;
        for (let i = 0; i < this.npages; i++) {
          ns += this.putTceEmu(slot, base + i * t.pageSize, this.qemuListEntry(i));
          if (this.rc !== H_SUCCESS) break;
        }
        break;
      case STUFF:
        this.rc = this.no(
          H_PARAMETER,
          this.npages === 0
            ? 'QEMU: H_STUFF_TCE with npages 0 (ret starts as H_PARAMETER)'
            : `QEMU: npages ${this.npages} exceeds the table's ${t.nbTable} entries`,
        );
        if (this.npages > t.nbTable) break;
        for (let i = 0; i < this.npages; i++) {
          ns += this.putTceEmu(slot, base + i * t.pageSize, this.value);
          if (this.rc !== H_SUCCESS) break;
        }
        break;
      default: {
        const idx = t.indexOf(base);
        this.rc = t.inRange(idx) ? H_SUCCESS : this.no(H_PARAMETER, this.qemuIndexWhy(t, base));
        if (this.rc === H_SUCCESS) this.lastTce = t.get(idx);
      }
    }
    return ns;
  }

  /** put_tce_emu: index check, store, notify the IOMMU region (VFIO listener). Sets rc; returns the work. */
  private putTceEmu(slot: SpaprLiobnSlot, ioba: number, tce: number): number {
    const t = slot.table;
    const idx = t.indexOf(ioba);
    if (!t.inRange(idx)) {
      this.rc = this.no(H_PARAMETER, this.qemuIndexWhy(t, ioba));
      return 0;
    }
    t.put(idx, tce);
    this.guestWrites++;
    this.lastWritten++;
    this.rc = H_SUCCESS;
    this.lastWhy = null;
    return this.deps.costs.qemuPteWalkNs + slot.phb.host.qemuNotify(t, idx, tce);
  }

  private listEntry(i: number): number {
    return i < this.listLength ? this.list[i]! : 0;
  }

  /** ldq_be_phys of the list: outside guest RAM QEMU reads unassigned memory, which reads as 0. */
  private qemuListEntry(i: number): number {
    return this.listGpa + TCE_LIST_PAGE <= this.deps.ramBytes ? this.listEntry(i) : 0;
  }

  private fail(call: DmaCall, rc: number): void {
    this.failures++;
    const tl = this.deps.timeline;
    // The check that refused it goes first, as the failure's cause.
    if (this.lastWhy !== null)
      call.cause = tl.record(call.t as SimTimeNs, 0, this.deps.lane, this.whyKind, tl.internString(this.lastWhy), 0, 0, call.cause);
    call.cause = tl.record(
      call.t as SimTimeNs,
      0,
      this.deps.lane,
      this.failKind,
      tl.internString(HCALL_NAMES[this.op]!),
      tl.internString(hcallErrorName(rc) ?? 'H_SUCCESS'),
      this.liobn,
      call.cause,
    );
  }

  private no(rc: number, why: string): number {
    this.lastWhy = why;
    return rc;
  }

  /** Why kvmppc_ioba_validate refused `n` entries at ioba. */
  private iobaWhy(t: SpaprTceTable, n: number, who: string): string {
    if (remPow2(this.ioba, t.pageSize) !== 0) return `${who}: ioba ${hex(this.ioba)} is not aligned to the TCE page (${t.pageSize} bytes)`;
    return `${who}: ioba ${hex(this.ioba)} + ${n} TCE(s) lies outside the window [${hex(t.busOffset)}, ${hex(t.busOffset + t.nbTable * t.pageSize)}) (kvmppc_ioba_validate)`;
  }

  private listWhy(n: number, who: string): string {
    if (n > TCES_PER_INDIRECT) return `${who}: npages ${n} exceeds the ${TCES_PER_INDIRECT} TCEs of one list page`;
    return `${who}: the TCE list at ${hex(this.listGpa)} is not 4 KiB aligned`;
  }

  private qemuIndexWhy(t: SpaprTceTable, ioba: number): string {
    return `QEMU: ioba ${hex(ioba)} lies outside the window [${hex(t.busOffset)}, ${hex(t.busOffset + t.nbTable * t.pageSize)}) (put_tce_emu)`;
  }

  collectMetrics(into: MetricMap): void {
    HCALL_NAMES.forEach((name, i) => addMetric(into, `hcall.${name}`, this.calls[i]!));
    addMetric(into, 'hcall.failed', this.failures);
    addMetric(into, 'hcall.inKernel', this.inKernel);
    addMetric(into, 'hcall.toQemu', this.toQemu);
    addMetric(into, 'hcall.tooHard', this.tooHard);
    addMetric(into, 'hcall.busyMs', this.busyNs / 1e6);
    addMetric(into, 'tce.guestWrites', this.guestWrites);
    addMetric(into, 'window.blockedCalls', this.blockedCalls);
  }
}

function hex(n: number): string {
  return '0x' + n.toString(16);
}
