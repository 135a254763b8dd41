import { describe, it, expect } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { TimelineRecorder } from '../../sim/timelineRecorder';
import type { MetricMap } from '../../sim/metricSink';
import { DmaCall } from '../base/dmaCall';
import { EIO, ENOMEM } from '../base/errno';
import { QemuVm } from '../qemu/qemuVm';
import { S390DmaWindow } from './s390DmaWindow';
import { PTES_PER_SEGMENT, SEGMENTS_PER_REGION, ZpciDmaTable, ZpciFunction, type RpcitInterceptor, type ZpciHypervisor } from './s390Zpci';

const GiB = 2 ** 30;
const PAGE = 4096;
const START_PAGE = (4 * GiB) / PAGE;

/** Answers RPCIT with a scripted condition code and records what it was asked. */
class ScriptedInterceptor implements RpcitInterceptor {
  lastCc = 0;
  lastStatus = 0;
  entriesInUse = 7;
  cc = 0;
  status = 0;
  readonly calls: [number, number][] = [];
  prepare(): void {}
  serve(a: number, b: number): number {
    this.calls.push([a, b]);
    this.lastCc = this.cc;
    this.lastStatus = this.status;
    return 100;
  }
}

function rig(hypervisor: ZpciHypervisor) {
  const costs = resolveCostTable();
  const timeline = new TimelineRecorder();
  const window = new S390DmaWindow({ sdma: 4 * GiB, restrictToDmaLimit: false, maxDmaLimit: 0, ramBytes: 8 * GiB, apertureFactor: 1 });
  const qemu = hypervisor === 'kvm' ? new QemuVm(costs, timeline, { name: 'vm0', nested: false }) : null;
  const interceptor = hypervisor === 'kvm' ? new ScriptedInterceptor() : null;
  const table = new ZpciDmaTable();
  const zpci = new ZpciFunction({ window, table, hypervisor, costs, timeline, laneName: 'viommu.nvme0', qemu, interceptor });
  return { costs, timeline, window, qemu, interceptor, table, zpci };
}

describe('zPCI DMA table: page tables are allocated on first use and never freed', () => {
  it('validating entries populates their segment and region and counts them', () => {
    const t = new ZpciDmaTable();
    t.validate(START_PAGE + 250, 0x10000, 10, false);
    expect(t.populatedSegments).toEqual([START_PAGE / 256, START_PAGE / 256 + 1]);
    expect(t.populatedRegions).toEqual([2]);
    expect(t.validEntries).toBe(10);
    expect(t.isValid(START_PAGE + 259)).toBe(true);
    expect(t.gpaOf(START_PAGE + 259)).toBe(0x10000 + 9 * PAGE);
    expect(t.checkInvariants()).toEqual([]);
  });

  it('invalidating entries keeps the page tables (populated segments only grow)', () => {
    const t = new ZpciDmaTable();
    t.validate(START_PAGE, 0, 4, true);
    expect(t.invalidate(START_PAGE, 4)).toBe(4);
    expect(t.validEntries).toBe(0);
    expect(t.populatedSegments).toHaveLength(1);
    expect(t.validPeak).toBe(4);
    expect(t.checkInvariants()).toEqual([]);
  });

  it('a read-only mapping sets the protected bit; a writable remap clears it', () => {
    const t = new ZpciDmaTable();
    t.validate(START_PAGE, 0, 1, true);
    expect(t.pageTable(START_PAGE / 256)!.prot[0]).toBe(1);
    t.invalidate(START_PAGE, 1);
    t.validate(START_PAGE, 0, 1, false);
    expect(t.pageTable(START_PAGE / 256)!.prot[0]).toBe(0);
  });

  it('a walk reads one entry per page of a populated segment, one per empty segment, one per empty region', () => {
    const t = new ZpciDmaTable();
    t.validate(START_PAGE, 0, 1, false);
    // [seg0, seg0 + 3): one populated segment of 256 entries, two empty segments of a populated region.
    expect(t.walkVisits(START_PAGE, START_PAGE + 3 * PTES_PER_SEGMENT)).toBe(256 + 2);
    // A whole second region (2 GiB) with nothing in it is a single entry.
    const regionPages = SEGMENTS_PER_REGION * PTES_PER_SEGMENT;
    expect(t.walkVisits(START_PAGE + regionPages, START_PAGE + 2 * regionPages)).toBe(1);
    // The 8 GiB window: 256 + 2047 empty segments in region 2, and 3 empty regions.
    expect(t.walkVisits(START_PAGE, START_PAGE + 4 * regionPages)).toBe(256 + 2047 + 3);
    // A partial range counts only its own pages.
    expect(t.walkVisits(START_PAGE + 10, START_PAGE + 20)).toBe(10);
  });
});

describe('RPCIT on LPAR: the machine refreshes its IOTLB, no shadowing', () => {
  it('costs s390RpcitHwNs, always cc 0, and tlb_refresh is off', () => {
    const { zpci, costs } = rig('lpar');
    const call = new DmaCall(0).begin(1000);
    expect(zpci.refreshTrans(call, 4 * GiB, PAGE)).toBe(0);
    expect(call.t).toBe(1000 + costs.s390RpcitHwNs);
    expect(zpci.tlbRefresh).toBe(false);
    expect(zpci.rpcitCalls).toBe(1);
  });
});

describe('RPCIT under z/VM: a shadowing intercept with unlimited resources', () => {
  it('costs an exit, the base handling and qemuPteWalkNs per table entry read; counts a vmexit; always cc 0', () => {
    const { zpci, costs, table } = rig('zvm');
    table.validate(START_PAGE, 0, 64, false);
    const call = new DmaCall(0).begin(0);
    expect(zpci.refreshTrans(call, 4 * GiB, 64 * PAGE)).toBe(0);
    expect(call.t).toBe(costs.vmExitNs + costs.qemuInvalidationNs + 64 * costs.qemuPteWalkNs);
    expect(zpci.tlbRefresh).toBe(true);
    const m: MetricMap = {};
    zpci.collectMetrics(m);
    expect(m['vmexits']).toBe(1);
    expect(m['rpcit.calls']).toBe(1);
  });

  it('a global RPCIT walks the window from counts: populated pages + empty segments + empty regions', () => {
    const { zpci, costs, table } = rig('zvm');
    table.validate(START_PAGE, 0, 1, false);
    const call = new DmaCall(0).begin(0);
    zpci.refreshAll(call, 'flush-queue');
    expect(call.t).toBe(costs.vmExitNs + costs.qemuInvalidationNs + (256 + 2047 + 3) * costs.qemuPteWalkNs);
    expect(zpci.globalRpcits).toBe(1);
  });
});

describe('RPCIT under KVM is intercepted by QEMU; zpci_refresh_trans maps the answer to an errno', () => {
  it('traps into QEMU with the range, and cc 0 is success', () => {
    const { zpci, qemu, interceptor } = rig('kvm');
    const call = new DmaCall(0).begin(0);
    expect(zpci.refreshTrans(call, 4 * GiB, 2 * PAGE)).toBe(0);
    expect(qemu!.exits).toBe(1);
    expect(interceptor!.calls).toEqual([[4 * GiB, 2 * PAGE]]);
    expect(call.t).toBeGreaterThan(0);
  });

  it('cc 1 with status 16 (insufficient resources) or 4 is -ENOMEM; other answers are -EIO', () => {
    const { zpci, interceptor } = rig('kvm');
    const call = new DmaCall(0).begin(0);
    interceptor!.cc = 1;
    interceptor!.status = 16;
    expect(zpci.refreshTrans(call, 4 * GiB, PAGE)).toBe(ENOMEM);
    expect(zpci.rpcitOutOfResource).toBe(1);
    interceptor!.status = 4;
    expect(zpci.refreshTrans(call, 4 * GiB, PAGE)).toBe(ENOMEM);
    interceptor!.status = 8;
    expect(zpci.refreshTrans(call, 4 * GiB, PAGE)).toBe(EIO);
    interceptor!.cc = 3;
    interceptor!.status = 0;
    expect(zpci.refreshTrans(call, 4 * GiB, PAGE)).toBe(EIO);
    expect(zpci.rpcitOutOfResource).toBe(1);
  });

  it('an insufficient-resources answer is a failure event caused by the trap', () => {
    const { zpci, interceptor, timeline } = rig('kvm');
    interceptor!.cc = 1;
    interceptor!.status = 16;
    const call = new DmaCall(0).begin(0);
    zpci.refreshTrans(call, 4 * GiB, PAGE);
    const cols = timeline.columns();
    const ev = call.cause;
    expect(cols.kinds[cols.kind[ev]!]!.name).toBe('rpcit insufficient resources');
    expect(cols.kinds[cols.kind[ev]!]!.failure).toBe(true);
    expect(cols.a2[ev]).toBe(7);
    expect(cols.kinds[cols.kind[cols.cause[ev]!]!]!.name).toBe('qemu.trap');
  });

  it("zpci_refresh_all refreshes exactly [start_dma, end_dma] and records a global event as the trap's cause", () => {
    const { zpci, interceptor, window, timeline } = rig('kvm');
    const call = new DmaCall(0).begin(0);
    zpci.refreshAll(call, 'flush-queue');
    expect(interceptor!.calls).toEqual([[window.startDma, window.sizeBytes]]);
    const cols = timeline.columns();
    const trap = call.cause;
    expect(cols.kinds[cols.kind[trap]!]!.name).toBe('qemu.trap');
    const global = cols.cause[trap]!;
    expect(cols.kinds[cols.kind[global]!]!.name).toBe('rpcit global');
    expect(cols.strings[cols.a0[global]!]).toBe('flush-queue');
    expect(cols.dur[global]).toBe(call.t);
  });
});
