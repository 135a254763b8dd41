import { describe, it, expect } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { TimelineRecorder } from '../../sim/timelineRecorder';
import type { MetricMap } from '../../sim/metricSink';
import { DmaCall } from '../base/dmaCall';
import { EIO, ENOMEM } from '../base/errno';
import { QemuVm } from '../qemu/qemuVm';
import { S390DmaWindow } from './s390DmaWindow';
import { ZpciFunction, type RpcitInterceptor, type ZpciHypervisor } from './s390Zpci';
import { ZpciDmaTable } from './s390ZpciDmaTable';

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
    expect(cols.kinds[cols.kind[ev]!]!.name).toBe('rpcit.refresh.insufficientResources');
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
    expect(cols.kinds[cols.kind[global]!]!.name).toBe('rpcit.refresh.global');
    expect(cols.strings[cols.a0[global]!]).toBe('flush-queue');
    expect(cols.dur[global]).toBe(call.t);
  });
});
