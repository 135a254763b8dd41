// dpdk: a poll-mode application (DPDK, SPDK) in the guest. At start it maps its whole mempool for
// DMA chunk by chunk on vCPU 0, one mapping per hugepage-backed memory segment: the map/unmap-rarely
// pattern of reference 002. Then numjobs polling cores keep iodepth IOs in flight each; IOs use the
// mapped buffers and never map (io.* are measured over the whole run, setup included). A failed map
// aborts EAL initialisation: no IO runs. While the device is away (unplugged, its guest rebooting)
// the cores wait; when it comes back with a new guest-side DMA path the application starts again and
// maps its mempool again; IOs of a guest that was reset are lost.
// Approximation: in a vIOMMU guest the application maps through the guest's own VFIO
// (VFIO_IOMMU_MAP_DMA against the vIOMMU); the lab sends each chunk through the device's guest DMA
// API instead, which reaches the same guest IOMMU driver and QEMU shadowing but adds dma-iommu's
// IOVA allocation. Without a vIOMMU the application would use guest-physical addresses (VFIO
// no-IOMMU mode) and a chunk costs only dma-direct's software path.
// Must not: decide how a map is done (the DMA layer does) or how long the device takes (the device does).

import { LatencyHistogram } from '../sim/latencyHistogram';
import type { Simulation, SimComponent } from '../sim/simulation';
import { type DurationNs, type SimTimeNs, usToNs } from '../sim/simTime';
import type { DpdkWorkload } from '../scenario/workloadSchemas';
import { DmaCall } from '../model/base/dmaCall';
import { linuxErrnoName } from '../model/base/errno';
import type { MetricMap } from '../sim/metricSink';
import { deviceTarget, highRamBufferGpa, HostFaultLog, type DeviceTarget, type WorkloadFactory } from './runnableWorkload';
import { PAGE_SIZE, alignUp } from '../model/base/pages';

const SUBMIT = 0;
const COMPLETE = 1;

export interface DpdkTarget extends DeviceTarget {
  /** Guest-physical address of the mempool. */
  readonly mempoolGpa: number;
}

export class DpdkWorkloadRunner implements SimComponent {
  private readonly handler: number;
  private readonly call = new DmaCall(0);
  private readonly cpuLane: number;
  private readonly deviceLane: number;
  private readonly kindMap: number;
  private readonly kindMapFailed: number;
  private readonly kindIo: number;
  private readonly submittedAt: Float64Array;
  private readonly slotEpoch: Int32Array;
  /** 1 when the slot's IO faulted in the host IOMMU: it completes in error. */
  private readonly slotFaulted: Uint8Array;
  private readonly hostFaults: HostFaultLog;
  /** Each mapped chunk's IOVA and map event (where an IO's buffers are, and the cause of a fault there). */
  private readonly chunkAddr: number[] = [];
  private readonly chunkEvent: number[] = [];
  private readonly chunkLen: number[] = [];
  private errors = 0;
  /** IOs submitted so far (which chunk the next one's buffers come from). */
  private ios = 0;
  /** lifecycle.generation the mempool was mapped for; -1 before the first setup. */
  private setupGeneration = -1;
  private setupDoneNs = 0;
  private setupFailed = false;
  private readonly latency = new LatencyHistogram({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000_000,
    numberOfSignificantValueDigits: 3,
  });
  mappings = 0;
  mapFailures = 0;
  setupNs = 0;
  completed = 0;
  private completedBytes = 0;
  private lastSampleCompleted = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly config: DpdkWorkload,
    private readonly target: DpdkTarget,
    private readonly endNs: SimTimeNs,
  ) {
    this.handler = sim.register(this);
    const tl = sim.timeline;
    this.cpuLane = tl.defineLane(`${target.vcpus.vmName}.cpu0`, 'guest');
    this.deviceLane = tl.defineLane(`device.${target.device.name}`, 'device');
    const bytes = { name: 'bytes', format: 'bytes' } as const;
    this.kindMap = tl.defineKind({
      name: 'dpdk.mempoolMap',
      args: [bytes, { name: 'dmaAddr', format: 'hex' }, { name: 'chunk', format: 'int' }],
    });
    this.kindMapFailed = tl.defineKind({
      name: 'dpdk.mempoolMap.failed',
      args: [bytes, { name: 'errno', format: 'errno' }, { name: 'chunk', format: 'int' }],
      failure: true,
    });
    this.kindIo = tl.defineKind({ name: 'dpdk.io', args: [bytes, { name: 'slot', format: 'int' }] });
    this.submittedAt = new Float64Array(config.numjobs * config.iodepth);
    this.slotEpoch = new Int32Array(config.numjobs * config.iodepth);
    this.slotFaulted = new Uint8Array(config.numjobs * config.iodepth);
    this.hostFaults = new HostFaultLog(sim, target.host, this.deviceLane);
    sim.counters.define('io.completedPerInterval', 'IOs', () => {
      const delta = this.completed - this.lastSampleCompleted;
      this.lastSampleCompleted = this.completed;
      return delta;
    });
  }

  /** Maps the mempool (rte_eal_init), then starts every polling core's IOs; jobs staggered by 1 us. */
  start(): void {
    const ok = this.mapMempool(0);
    if (!ok) return;
    const { numjobs, iodepth } = this.config;
    for (let job = 0; job < numjobs; job++) {
      for (let d = 0; d < iodepth; d++)
        this.sim.scheduleAt((this.setupNs + usToNs(job)) as SimTimeNs, this.handler, SUBMIT, job * iodepth + d);
    }
  }

  /** One map per chunk on vCPU 0; the last chunk may be shorter (page-rounded). Stops at the first failure. */
  private mapMempool(fromNs: number): boolean {
    const { dma, dev, vcpus } = this.target;
    const tl = this.sim.timeline;
    const { mempoolBytes, chunkBytes } = this.config;
    const chunks = Math.ceil(mempoolBytes / chunkBytes);
    this.setupGeneration = this.target.lifecycle.generation;
    let t = fromNs;
    for (let k = 0; k < chunks; k++) {
      const bytes = Math.min(chunkBytes, alignUp(mempoolBytes - k * chunkBytes, PAGE_SIZE));
      const call = this.call.begin(vcpus.startAt(0, t));
      const start = call.t;
      dma.map(call, dev, this.target.mempoolGpa + k * chunkBytes, bytes, true);
      vcpus.occupy(0, start, call.t);
      t = call.t;
      if (call.errno !== 0) {
        const errno = tl.internString(linuxErrnoName(call.errno) ?? 'E?');
        tl.record(start as SimTimeNs, (call.t - start) as DurationNs, this.cpuLane, this.kindMapFailed, bytes, errno, k, call.cause);
        this.mapFailures++;
        this.setupNs += Math.ceil(t) - fromNs;
        this.setupDoneNs = Math.ceil(t);
        this.setupFailed = true;
        return false;
      }
      this.chunkEvent[k] = tl.record(
        start as SimTimeNs,
        (call.t - start) as DurationNs,
        this.cpuLane,
        this.kindMap,
        bytes,
        call.dmaAddr,
        k,
        call.cause,
      );
      this.chunkAddr[k] = call.dmaAddr;
      this.chunkLen[k] = bytes;
      this.mappings++;
    }
    this.setupNs += Math.ceil(t) - fromNs;
    this.setupDoneNs = Math.ceil(t);
    return true;
  }

  handleEvent(kind: number, slot: number): void {
    if (kind === COMPLETE && this.slotEpoch[slot] === this.target.lifecycle.epoch) this.complete(slot);
    this.submit(slot);
  }

  /** Posts one IO from an already mapped buffer: no DMA API call. */
  private submit(slot: number): void {
    const now = this.sim.now;
    if (now >= this.endNs || this.setupFailed) return;
    const life = this.target.lifecycle;
    if (!life.accepting) {
      life.park(this.handler, SUBMIT, slot);
      return;
    }
    // The application restarted on a new guest-side DMA path: its mempool is mapped again first.
    if (this.setupGeneration !== life.generation && !this.mapMempool(now)) return;
    if (now < this.setupDoneNs) {
      this.sim.scheduleAt(this.setupDoneNs as SimTimeNs, this.handler, SUBMIT, slot);
      return;
    }
    const bytes = this.config.blockSizeBytes;
    this.slotEpoch[slot] = life.epoch;
    life.ioStarted();
    this.submittedAt[slot] = now;
    const done = this.target.device.submitIo(now, bytes);
    // Assumption: IOs take their buffers from the mempool in order, chunk after chunk, wrapping around
    // (mbufs cycle through the whole mempool); a buffer larger than its chunk is checked within the chunk.
    const perChunk = Math.max(1, Math.floor(this.config.chunkBytes / bytes));
    const n = this.ios++;
    const k = Math.floor(n / perChunk) % this.chunkAddr.length;
    const offset = Math.min((n % perChunk) * bytes, Math.max(0, this.chunkLen[k]! - bytes));
    const span = Math.min(bytes, this.chunkLen[k]!);
    this.slotFaulted[slot] = this.hostFaults.faults(this.chunkAddr[k]! + offset, span, slot, this.chunkEvent[k]!) ? 1 : 0;
    this.sim.timeline.record(now, (done - now) as DurationNs, this.deviceLane, this.kindIo, bytes, slot);
    this.sim.scheduleAt(done, this.handler, COMPLETE, slot);
  }

  private complete(slot: number): void {
    this.target.lifecycle.ioEnded(this.slotEpoch[slot]!);
    if (this.slotFaulted[slot] === 1) {
      this.errors++;
      return;
    }
    this.completed++;
    this.completedBytes += this.config.blockSizeBytes;
    this.latency.recordValue(Math.max(1, this.sim.now - this.submittedAt[slot]!));
  }

  collectMetrics(into: MetricMap, durationNs: number): void {
    const seconds = durationNs / 1e9;
    into['dpdk.setupMs'] = this.setupNs / 1e6;
    into['dpdk.mappings'] = this.mappings;
    into['dpdk.mapFailures'] = this.mapFailures;
    into['io.completed'] = this.completed;
    into['io.errors'] = this.errors;
    this.hostFaults.collectMetrics(into);
    into['io.iops'] = seconds > 0 ? this.completed / seconds : 0;
    into['io.bandwidthMBps'] = seconds > 0 ? this.completedBytes / 1e6 / seconds : 0;
    into['io.latencyP50Us'] = this.completed > 0 ? this.latency.getValueAtPercentile(50) / 1000 : 0;
    into['io.latencyP99Us'] = this.completed > 0 ? this.latency.getValueAtPercentile(99) / 1000 : 0;
  }
}

export const createDpdkWorkload: WorkloadFactory = (sim, scenario, stack, endNs) => {
  const workload = scenario.workload;
  if (workload.kind !== 'dpdk') throw new Error('createDpdkWorkload needs a dpdk workload');
  const { vm, target } = deviceTarget(stack, workload.device);
  const dpdk = new DpdkWorkloadRunner(sim, workload, { ...target, mempoolGpa: highRamBufferGpa(scenario, vm) }, endNs);
  return {
    start: () => dpdk.start(),
    collectMetrics: (into) => dpdk.collectMetrics(into, endNs),
    opResults: () => [],
  };
};
