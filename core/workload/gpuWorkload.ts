// gpu: a few very large pinned buffers (docs/model.md#workloads). At start the application
// registers its buffers for DMA on vCPU 0, one map each (gpu.setupMs: with a vIOMMU, QEMU pins
// every page of them into VFIO, which dominates; without one, guest RAM was pinned at boot and a
// map is only dma-direct's software path). Then the device loops: a kernel computes for kernelUs
// (no DMA), then one DMA transfer of transferBytes from the next buffer in turn, without mapping,
// through the device's DMA engine (its bandwidth limit). A failed map aborts the setup: no kernel
// runs. A kernel and its transfer are one piece of work in flight: an unplug waits for it; a guest
// reset loses it; when the device comes back with a new guest-side DMA path the application maps
// its buffers again.
// Must not: decide how a map is done (the DMA layer does) or how long a transfer takes (the device does).

import type { Simulation, SimComponent } from '../sim/simulation';
import { type DurationNs, type SimTimeNs, usToNs } from '../sim/simTime';
import type { GpuWorkload } from '../scenario/workloadSchemas';
import { DmaCall } from '../model/base/dmaCall';
import { linuxErrnoName } from '../model/base/errno';
import type { MetricMap } from '../sim/metricSink';
import { deviceTarget, highRamBufferGpa, HostFaultLog, type DeviceTarget, type WorkloadFactory } from './runnableWorkload';

const KERNEL_DONE = 0;
const TRANSFER_DONE = 1;
/** The device is back: set up again if needed, then the next kernel. */
const RESUME = 2;

export interface GpuTarget extends DeviceTarget {
  /** Guest-physical address of the first buffer; the others follow it. */
  readonly bufferGpa: number;
}

export class GpuWorkloadRunner implements SimComponent {
  private readonly handler: number;
  private readonly call = new DmaCall(0);
  private readonly cpuLane: number;
  private readonly deviceLane: number;
  private readonly kindMap: number;
  private readonly kindMapFailed: number;
  private readonly kindKernel: number;
  private readonly kindTransfer: number;
  private readonly kernelNs: number;
  private readonly dmaAddrs: Float64Array;
  mappings = 0;
  mapFailures = 0;
  setupNs = 0;
  kernels = 0;
  transfers = 0;
  private kernelEvent = -1;
  /** The guest's map event of each buffer (the cause of a fault on it). */
  private readonly mapEvents: number[] = [];
  private readonly hostFaults: HostFaultLog;
  /** The transfer in progress hit a host IOMMU fault. */
  private transferFaulted = false;
  private failedTransfers = 0;
  /** Epoch of the kernel + transfer in flight. */
  private cycleEpoch = 0;
  private setupGeneration = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly config: GpuWorkload,
    private readonly target: GpuTarget,
    private readonly endNs: SimTimeNs,
  ) {
    this.handler = sim.register(this);
    const tl = sim.timeline;
    this.cpuLane = tl.defineLane(`${target.vcpus.vmName}.cpu0`, 'guest');
    this.deviceLane = tl.defineLane(`device.${target.device.name}`, 'device');
    this.hostFaults = new HostFaultLog(sim, target.host, this.deviceLane);
    const bytes = { name: 'bytes', format: 'bytes' } as const;
    const buffer = { name: 'buffer', format: 'int' } as const;
    this.kindMap = tl.defineKind({ name: 'gpu.bufferMap', args: [bytes, { name: 'dmaAddr', format: 'hex' }, buffer] });
    this.kindMapFailed = tl.defineKind({
      name: 'gpu.bufferMap.failed',
      args: [bytes, { name: 'errno', format: 'errno' }, buffer],
      failure: true,
    });
    this.kindKernel = tl.defineKind({ name: 'gpu.kernel', args: [{ name: 'kernel', format: 'int' }] });
    this.kindTransfer = tl.defineKind({ name: 'gpu.transfer', args: [bytes, { name: 'dmaAddr', format: 'hex' }, buffer] });
    this.kernelNs = usToNs(config.kernelUs);
    this.dmaAddrs = new Float64Array(config.buffers);
  }

  /** Maps every buffer on vCPU 0 (stops at the first failure), then launches the first kernel. */
  start(): void {
    const end = this.setUp(0);
    if (end >= 0) this.launchKernel(end as SimTimeNs);
  }

  /** Maps the buffers from `fromNs`; returns when done, or -1 after a failed map. */
  private setUp(fromNs: number): number {
    const { dma, dev, vcpus } = this.target;
    const tl = this.sim.timeline;
    const { buffers, bufferBytes } = this.config;
    this.setupGeneration = this.target.lifecycle.generation;
    let t = fromNs;
    for (let b = 0; b < buffers; b++) {
      const call = this.call.begin(vcpus.startAt(0, t));
      const start = call.t;
      dma.map(call, dev, this.target.bufferGpa + b * bufferBytes, bufferBytes, true);
      vcpus.occupy(0, start, call.t);
      t = call.t;
      if (call.errno !== 0) {
        const errno = tl.internString(linuxErrnoName(call.errno) ?? 'E?');
        tl.record(start as SimTimeNs, (call.t - start) as DurationNs, this.cpuLane, this.kindMapFailed, bufferBytes, errno, b, call.cause);
        this.mapFailures++;
        this.setupNs += Math.ceil(t) - fromNs;
        return -1;
      }
      this.mapEvents[b] = tl.record(
        start as SimTimeNs,
        (call.t - start) as DurationNs,
        this.cpuLane,
        this.kindMap,
        bufferBytes,
        call.dmaAddr,
        b,
        call.cause,
      );
      this.dmaAddrs[b] = call.dmaAddr;
      this.mappings++;
    }
    this.setupNs += Math.ceil(t) - fromNs;
    return Math.ceil(t);
  }

  private launchKernel(at: SimTimeNs): void {
    if (at >= this.endNs) return;
    const life = this.target.lifecycle;
    this.cycleEpoch = life.epoch;
    life.ioStarted();
    this.kernelEvent = this.sim.timeline.record(at, this.kernelNs as DurationNs, this.deviceLane, this.kindKernel, this.kernels);
    this.sim.scheduleAt((at + this.kernelNs) as SimTimeNs, this.handler, KERNEL_DONE);
  }

  /** The next kernel, once the device is there and its buffers are mapped on the current DMA path. */
  private next(now: SimTimeNs): void {
    const life = this.target.lifecycle;
    if (!life.accepting) {
      life.park(this.handler, RESUME, 0);
      return;
    }
    if (this.setupGeneration === life.generation) {
      this.launchKernel(now);
      return;
    }
    const end = this.setUp(now);
    if (end >= 0) this.sim.scheduleAt(end as SimTimeNs, this.handler, RESUME);
  }

  handleEvent(kind: number): void {
    const now = this.sim.now;
    if (kind === RESUME) {
      this.next(now);
      return;
    }
    if (this.cycleEpoch !== this.target.lifecycle.epoch) {
      // The guest was reset while the kernel or its transfer ran: that work is lost.
      this.next(now);
      return;
    }
    if (kind === KERNEL_DONE) {
      this.kernels++;
      const b = (this.transfers + this.failedTransfers) % this.config.buffers;
      const bytes = this.config.transferBytes;
      const done = this.target.device.submitIo(now, bytes);
      // A copy from a buffer the host cannot translate faults (on real GPUs an MMU fault/Xid): the transfer is lost.
      this.transferFaulted = this.hostFaults.faults(this.dmaAddrs[b]!, bytes, b, this.mapEvents[b] ?? this.kernelEvent);
      this.sim.timeline.record(
        now,
        (done - now) as DurationNs,
        this.deviceLane,
        this.kindTransfer,
        bytes,
        this.dmaAddrs[b]!,
        b,
        this.kernelEvent,
      );
      this.sim.scheduleAt(done, this.handler, TRANSFER_DONE);
    } else {
      if (this.transferFaulted) this.failedTransfers++;
      else this.transfers++;
      this.target.lifecycle.ioEnded(this.cycleEpoch);
      this.next(now);
    }
  }

  collectMetrics(into: MetricMap, durationNs: number): void {
    const seconds = durationNs / 1e9;
    const bytes = this.transfers * this.config.transferBytes;
    into['gpu.setupMs'] = this.setupNs / 1e6;
    into['gpu.mappings'] = this.mappings;
    into['gpu.mapFailures'] = this.mapFailures;
    into['gpu.kernels'] = this.kernels;
    into['gpu.transfers'] = this.transfers;
    into['io.errors'] = this.failedTransfers;
    this.hostFaults.collectMetrics(into);
    into['io.completed'] = this.transfers;
    into['io.bandwidthMBps'] = seconds > 0 ? bytes / 1e6 / seconds : 0;
  }
}

export const createGpuWorkload: WorkloadFactory = (sim, scenario, stack, endNs) => {
  const workload = scenario.workload;
  if (workload.kind !== 'gpu') throw new Error('createGpuWorkload needs a gpu workload');
  const { vm, target } = deviceTarget(stack, workload.device);
  const gpu = new GpuWorkloadRunner(sim, workload, { ...target, bufferGpa: highRamBufferGpa(scenario, vm) }, endNs);
  return {
    start: () => gpu.start(),
    collectMetrics: (into) => gpu.collectMetrics(into, endNs),
    opResults: () => [],
  };
};
