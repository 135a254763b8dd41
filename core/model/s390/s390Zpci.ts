// One zPCI function as the guest sees it: the RPCIT instruction over its DMA translation table
// (s390ZpciDmaTable.ts).
// RPCIT (zpci_refresh_trans, L arch/s390/pci/pci_insn.c) refreshes a range: on LPAR the machine
// does it (s390RpcitHwNs, always cc 0); under KVM it is intercepted and QEMU shadows the range
// into VFIO (s390RpcitShadow.ts); under z/VM the hypervisor shadows it itself, modelled as a
// trap-like walk with unlimited resources (z/VM's limits are not public; it is said never to
// answer "insufficient resources" in practice, reference 000).
// Must not: allocate IOVAs, decide when to refresh (the DMA layers do) or touch VFIO.

import type { CostTable } from '../../sim/costTable';
import type { SimTimeNs, DurationNs } from '../../sim/simTime';
import type { TimelineRecorder } from '../../sim/timelineRecorder';
import { addMetric, maxMetric, type MetricMap } from '../../sim/metricSink';
import type { DmaCall } from '../base/dmaCall';
import { EIO, ENOMEM } from '../base/errno';
import type { QemuVm, TrapHandler } from '../qemu/qemuVm';
import { ZPCI_PAGE_SIZE, type S390DmaWindow } from './s390DmaWindow';
import type { ZpciDmaTable } from './s390ZpciDmaTable';

/** RPCIT condition codes and status (L arch/s390/include/asm/pci_insn.h, Q s390-pci-inst.h). */
export const ZPCI_PCI_LS_OK = 0;
export const ZPCI_PCI_LS_ERR = 1;
export const ZPCI_RPCIT_ST_INSUFF_RES = 16;

export type ZpciHypervisor = 'kvm' | 'zvm' | 'lpar';

/** What intercepts RPCIT under KVM: QEMU's shadow of this function (rpcit_service_call). */
export interface RpcitInterceptor extends TrapHandler {
  /** Remembers the call so VFIO failures during serve() can name it as their cause. */
  prepare(call: DmaCall): void;
  readonly lastCc: number;
  readonly lastStatus: number;
  /** Mappings QEMU holds against its DMA limit (for failure events). */
  readonly entriesInUse: number;
}

export interface ZpciFunctionDeps {
  readonly window: S390DmaWindow;
  /** The function's DMA table (shared with QEMU's shadow, which reads it). */
  readonly table: ZpciDmaTable;
  readonly hypervisor: ZpciHypervisor;
  readonly costs: CostTable;
  readonly timeline: TimelineRecorder;
  /** Timeline lane of the device's vIOMMU. */
  readonly laneName: string;
  /** KVM only: the VM's QEMU and its shadow of this function. */
  readonly qemu: QemuVm | null;
  readonly interceptor: RpcitInterceptor | null;
}

export class ZpciFunction {
  readonly table: ZpciDmaTable;
  readonly window: S390DmaWindow;
  readonly hypervisor: ZpciHypervisor;
  /** zdev->tlb_refresh: the hypervisor shadows, so new entries need RPCIT too (not on LPAR). */
  readonly tlbRefresh: boolean;
  readonly lane: number;
  lastCc = ZPCI_PCI_LS_OK;
  lastStatus = 0;
  rpcitCalls = 0;
  rpcitOutOfResource = 0;
  globalRpcits = 0;
  /** z/VM intercepts of RPCIT (KVM exits are counted by QemuVm). */
  zvmExits = 0;
  /** RPCITs still to answer cc 1 status 16 whatever the resources (fault rpcit-out-of-resource). */
  forcedOutOfResource = 0;
  private readonly costs: CostTable;
  private readonly timeline: TimelineRecorder;
  private readonly qemu: QemuVm | null;
  private readonly interceptor: RpcitInterceptor | null;
  private readonly rpcitWhat: number;
  private readonly insuffKind: number;
  private readonly globalKind: number;

  constructor(deps: ZpciFunctionDeps) {
    this.window = deps.window;
    this.table = deps.table;
    this.hypervisor = deps.hypervisor;
    this.tlbRefresh = deps.hypervisor !== 'lpar';
    this.costs = deps.costs;
    this.timeline = deps.timeline;
    this.qemu = deps.qemu;
    this.interceptor = deps.interceptor;
    if (deps.hypervisor === 'kvm' && (deps.qemu === null || deps.interceptor === null)) {
      throw new Error('zPCI under KVM needs QEMU and its RPCIT shadow');
    }
    this.rpcitWhat = deps.qemu?.trapName('rpcit') ?? 0;
    this.lane = deps.timeline.defineLane(deps.laneName, 'viommu');
    this.insuffKind = deps.timeline.defineKind({
      name: 'rpcit.refresh.insufficientResources',
      args: [
        { name: 'iova', format: 'hex' },
        { name: 'size', format: 'bytes' },
        { name: 'entriesInUse', format: 'int' },
      ],
      failure: true,
    });
    this.globalKind = deps.timeline.defineKind({
      name: 'rpcit.refresh.global',
      args: [
        { name: 'reason', format: 'str' },
        { name: 'windowBytes', format: 'bytes' },
      ],
    });
  }

  /** zpci_refresh_trans: 0, -ENOMEM for cc 1 with status 4 or 16, -EIO for any other cc (as a positive errno). */
  refreshTrans(call: DmaCall, iova: number, size: number): number {
    this.rpcitCalls++;
    let cc = ZPCI_PCI_LS_OK;
    let status = 0;
    switch (this.hypervisor) {
      case 'lpar':
        call.t += this.costs.s390RpcitHwNs;
        break;
      case 'zvm': {
        const first = Math.floor(iova / ZPCI_PAGE_SIZE);
        const visits = this.table.walkVisits(first, Math.ceil((iova + size) / ZPCI_PAGE_SIZE));
        this.zvmExits++;
        call.t += this.costs.vmExitNs + this.costs.qemuInvalidationNs + visits * this.costs.qemuPteWalkNs;
        break;
      }
      case 'kvm': {
        const shadow = this.interceptor!;
        shadow.prepare(call);
        this.qemu!.trap(call, this.rpcitWhat, shadow, iova, size);
        cc = shadow.lastCc;
        status = shadow.lastStatus;
        break;
      }
      default: {
        const never: never = this.hypervisor;
        throw new Error(`unknown hypervisor ${String(never)}`);
      }
    }
    if (this.forcedOutOfResource > 0) {
      // Fault injection: the hypervisor (or the firmware on LPAR) answers insufficient resources
      // after doing the refresh, as QEMU does when dma_avail runs out mid-walk.
      this.forcedOutOfResource--;
      cc = ZPCI_PCI_LS_ERR;
      status = ZPCI_RPCIT_ST_INSUFF_RES;
    }
    this.lastCc = cc;
    this.lastStatus = status;
    if (cc === ZPCI_PCI_LS_OK) return 0;
    if (status === ZPCI_RPCIT_ST_INSUFF_RES) {
      this.rpcitOutOfResource++;
      call.cause = this.timeline.record(
        call.t as SimTimeNs,
        0,
        this.lane,
        this.insuffKind,
        iova,
        size,
        this.interceptor?.entriesInUse ?? 0,
        call.cause,
      );
    }
    return cc === ZPCI_PCI_LS_ERR && (status === 4 || status === ZPCI_RPCIT_ST_INSUFF_RES) ? ENOMEM : EIO;
  }

  /** zpci_refresh_all (zpci_refresh_global before 6.7): RPCIT over the whole window. */
  refreshAll(call: DmaCall, reason: string): number {
    this.globalRpcits++;
    const t0 = call.t;
    const ev = this.timeline.record(
      t0 as SimTimeNs,
      0,
      this.lane,
      this.globalKind,
      this.timeline.internString(reason),
      this.window.sizeBytes,
      0,
      call.cause,
    );
    if (ev >= 0) call.cause = ev;
    const rc = this.refreshTrans(call, this.window.startDma, this.window.sizeBytes);
    this.timeline.setDuration(ev, (call.t - t0) as DurationNs);
    return rc;
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'rpcit.calls', this.rpcitCalls);
    addMetric(into, 'rpcit.outOfResource', this.rpcitOutOfResource);
    addMetric(into, 'rpcit.global', this.globalRpcits);
    // KVM exits are counted by QemuVm; z/VM intercepts have no QEMU to count them.
    if (this.hypervisor === 'zvm') addMetric(into, 'vmexits', this.zvmExits);
    maxMetric(into, 's390.table.entriesPeak', this.table.validPeak);
    maxMetric(into, 's390.window.bytes', this.window.sizeBytes);
  }
}
