// fio: numjobs jobs, job j on vCPU j % vcpus, each keeping iodepth IOs in flight against one
// device. An IO maps its buffer through the guest DMA API on its vCPU, the device serves it, the
// completion unmaps on the vCPU and the job submits the next IO. A map that fails
// (DMA_MAPPING_ERROR) makes the NVMe driver return BLK_STS_RESOURCE and blk-mq retries the request
// after BLK_MQ_RESOURCE_DELAY (3 ms); such retries are counted, they are not IO errors.
// While the device is not online (hot-unplugged, its guest rebooting, its PE frozen) a job's next IO
// waits for it; an IO whose guest was reset meanwhile is dropped at its completion (nothing left to
// unmap); an IO caught on the device by an EEH freeze is issued again once the PE recovers, and fails
// (EIO, counted in io.errors) when the device fails for good.
// An NVMe behind dma-iommu in a guest with the nvme-pci clamp (Linux >= 6.4) sends an IO larger than
// dma_opt_mapping_size (128 KiB) as several requests, one DMA mapping each: the IO maps every
// segment, the device serves them (as one transfer: per-request device overheads are not modelled
// apart) and the completion unmaps every segment. A segment that fails to map unmaps the ones
// before it and the whole IO is retried.
// With sgElements > 1 each request's buffer is that many physically discontiguous pieces (one page
// apart): a layer that maps scatterlists (dma-iommu: iommu_dma_map_sg) maps them into one IOVA range
// with one dma_map_sg, others map the request as one buffer.
// Must not: decide how a map is done (the DMA layer does) or how long the device takes (the device does).

import { LatencyHistogram } from '../sim/latencyHistogram';
import type { Simulation, SimComponent } from '../sim/simulation';
import { type DurationNs, type SimTimeNs, msToNs, usToNs } from '../sim/simTime';
import { NO_CAUSE } from '../sim/timelineRecorder';
import type { FioWorkload } from '../scenario/schema';
import { DmaCall } from '../model/base/dmaCall';
import { errnoSymbol } from '../model/base/errno';
import type { MetricMap } from '../sim/metricSink';
import { deviceTarget, HostFaultLog, type DeviceTarget, type WorkloadFactory } from './runnableWorkload';

const SUBMIT = 0;
const COMPLETE = 1;
/** The map is done: the request reaches the device (an event, so the device sees arrivals in time order). */
const TO_DEVICE = 2;
/** BLK_MQ_RESOURCE_DELAY */
const RESOURCE_RETRY_NS = msToNs(3);

export interface FioTarget extends DeviceTarget {
  /** Guest-physical address of the first IO buffer; each IO slot has its own buffer after it. */
  readonly bufferGpa: number;
  /** nvme-pci caps a request at dma_opt_mapping_size (guest nvmeOptMappingClamp on an NVMe). */
  readonly clampToOptMapping: boolean;
}

export class FioWorkloadRunner implements SimComponent {
  private readonly handler: number;
  private readonly calls: DmaCall[];
  private readonly cpuLanes: number[];
  private readonly deviceLane: number;
  private readonly kindMap: number;
  private readonly kindMapFailed: number;
  private readonly kindUnmap: number;
  private readonly kindIo: number;
  private readonly hostFaults: HostFaultLog;
  /** 1 when the slot's IO hit a host IOMMU fault: it completes with an error. */
  private readonly slotFaulted: Uint8Array;
  private readonly submittedAt: Float64Array;
  /** DMA address of each segment of each slot's IO (slot * maxSegments + segment). */
  private readonly dmaAddr: Float64Array;
  /** Segments of each slot's current IO. */
  private readonly slotSegments: Uint16Array;
  private readonly maxSegments: number;
  /** Bytes between slots' buffers (room for the gaps between scatterlist elements). */
  private readonly slotStride: number;
  /** Guest-physical address of each scatterlist element of the request being mapped. */
  private readonly sgGpas: Float64Array;
  private readonly ioEvent: Int32Array;
  /** The device's epoch when the slot's IO was mapped. */
  private readonly slotEpoch: Int32Array;
  /** The device's pauseEpoch when the slot's IO reached it. */
  private readonly slotPause: Int32Array;
  private errors = 0;
  private readonly latency = new LatencyHistogram({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000_000,
    numberOfSignificantValueDigits: 3,
  });
  private completed = 0;
  private completedBytes = 0;
  private inFlight = 0;
  private retries = 0;
  /** IOs submitted (randrw alternates directions by it). */
  private submitted = 0;
  private lastSampleCompleted = 0;
  // The configuration's answers the hot paths ask for at every IO, read once.
  private readonly iodepth: number;
  private readonly randrw: boolean;
  /** A read: the device writes to memory. */
  private readonly deviceWrites: boolean;
  /** fio --bs. */
  private readonly bytes: number;
  private readonly sgElements: number;
  // The target's parts, held here so a hot path reaches each with one load.
  private readonly dma: FioTarget['dma'];
  private readonly dev: FioTarget['dev'];
  private readonly vcpus: FioTarget['vcpus'];
  private readonly life: FioTarget['lifecycle'];
  private readonly device: FioTarget['device'];
  private readonly bufferGpa: number;
  private readonly clampToOptMapping: boolean;
  /** Job (slot / iodepth) and vCPU (job % vcpus) of each slot. */
  private readonly slotJob: Int32Array;
  private readonly slotCpu: Int32Array;

  constructor(
    private readonly sim: Simulation,
    private readonly config: FioWorkload,
    target: FioTarget,
    private readonly endNs: SimTimeNs,
  ) {
    this.handler = sim.register(this);
    const tl = sim.timeline;
    const cpus = target.vcpus.count;
    this.iodepth = config.iodepth;
    this.randrw = config.rw === 'randrw';
    this.deviceWrites = config.rw.endsWith('read');
    this.bytes = config.blockSizeBytes;
    this.sgElements = config.sgElements;
    this.dma = target.dma;
    this.dev = target.dev;
    this.vcpus = target.vcpus;
    this.life = target.lifecycle;
    this.device = target.device;
    this.bufferGpa = target.bufferGpa;
    this.clampToOptMapping = target.clampToOptMapping;
    this.calls = Array.from({ length: cpus }, (_, c) => new DmaCall(c));
    this.cpuLanes = Array.from({ length: cpus }, (_, c) => tl.defineLane(`${target.vcpus.vmName}.cpu${c}`, 'guest'));
    this.deviceLane = tl.defineLane(`device.${target.device.name}`, 'device');
    const bytesArg = { name: 'bytes', format: 'bytes' } as const;
    const addrArg = { name: 'dmaAddr', format: 'hex' } as const;
    this.kindMap = tl.defineKind({ name: 'dma.map', args: [bytesArg, addrArg, { name: 'job', format: 'int' }] });
    // The request whose map failed (blk-mq retries it); the DMA layer records its own dma.map.failed.
    this.kindMapFailed = tl.defineKind({
      name: 'fio.map.failed',
      args: [bytesArg, { name: 'errno', format: 'errno' }, { name: 'job', format: 'int' }],
      failure: true,
    });
    this.kindUnmap = tl.defineKind({ name: 'dma.unmap', args: [bytesArg, addrArg, { name: 'job', format: 'int' }] });
    this.kindIo = tl.defineKind({ name: 'device.io', args: [bytesArg, addrArg, { name: 'job', format: 'int' }] });
    this.hostFaults = new HostFaultLog(sim, target.host, this.deviceLane);
    const slots = config.numjobs * config.iodepth;
    this.submittedAt = new Float64Array(slots).fill(-1);
    // A segment is at least a page: no IO has more segments than pages.
    this.maxSegments = Math.ceil(config.blockSizeBytes / 4096);
    this.dmaAddr = new Float64Array(slots * this.maxSegments);
    const sg = config.sgElements;
    this.sgGpas = new Float64Array(sg);
    // Room for a page before each segment and up to two between elements, kept a multiple of 8 KiB.
    const stride = config.blockSizeBytes + this.maxSegments * (2 * sg + 2) * 4096;
    this.slotStride = sg > 1 ? Math.ceil(stride / 8192) * 8192 : config.blockSizeBytes;
    this.slotSegments = new Uint16Array(slots).fill(1);
    this.ioEvent = new Int32Array(slots).fill(NO_CAUSE);
    this.slotEpoch = new Int32Array(slots);
    this.slotPause = new Int32Array(slots);
    this.slotFaulted = new Uint8Array(slots);
    this.slotJob = new Int32Array(slots);
    this.slotCpu = new Int32Array(slots);
    for (let slot = 0; slot < slots; slot++) {
      const job = this.jobOf(slot);
      this.slotJob[slot] = job;
      this.slotCpu[slot] = job % cpus;
    }
    sim.counters.define('io.inflight', 'IOs', () => this.inFlight, 'level');
    sim.counters.define('io.completedPerInterval', 'IOs', () => {
      const delta = this.completed - this.lastSampleCompleted;
      this.lastSampleCompleted = this.completed;
      return delta;
    });
    sim.counters.define('dma.fqDepth', 'IOVAs', () => target.dma.fqDepth(), 'level');
    let lastNs = 0;
    let lastCompleted = 0;
    // Over the interval up to the sample time it is given (a quiet span is sampled by one event).
    sim.counters.define('io.iops', 'IO/s', (tNs) => {
      const dt = tNs - lastNs;
      const rate = dt > 0 ? ((this.completed - lastCompleted) * 1e9) / dt : 0;
      lastNs = tNs;
      lastCompleted = this.completed;
      return rate;
    });
  }

  /** Schedules the first IO of every slot, jobs staggered by 1 us so they do not start in lockstep. */
  start(): void {
    const { numjobs, iodepth } = this.config;
    for (let job = 0; job < numjobs; job++) {
      for (let d = 0; d < iodepth; d++) this.sim.schedule(usToNs(job), this.handler, SUBMIT, job * iodepth + d);
    }
  }

  handleEvent(kind: number, slot: number): void {
    if (kind === SUBMIT) this.submit(slot);
    else if (kind === TO_DEVICE) this.toDevice(slot);
    else this.complete(slot);
  }

  private jobOf(slot: number): number {
    return Math.floor(slot / this.iodepth);
  }

  /** Bytes of one request (segment) of an IO of `bytes`: dma_opt_mapping_size caps it when clamped. */
  private segmentBytes(bytes: number): number {
    if (!this.clampToOptMapping) return bytes;
    return Math.min(bytes, this.dma.optMappingBytes?.() ?? Infinity);
  }

  private submit(slot: number): void {
    const now = this.sim.now;
    if (now >= this.endNs) return;
    const life = this.life;
    if (!life.accepting) {
      life.park(this.handler, SUBMIT, slot);
      return;
    }
    const job = this.slotJob[slot]!;
    const cpu = this.slotCpu[slot]!;
    const bytes = this.bytes;
    const vcpus = this.vcpus;
    const call = this.calls[cpu]!.begin(vcpus.startAt(cpu, now));
    const tl = this.sim.timeline;
    // A read makes the device write to memory; randrw alternates (fio --rwmixread=50).
    const write = this.randrw ? (this.submitted++ & 1) === 0 : this.deviceWrites;
    if (this.submittedAt[slot]! < 0) this.submittedAt[slot] = now;
    const seg = this.segmentBytes(bytes);
    const segments = Math.ceil(bytes / seg);
    const base = slot * this.maxSegments;
    let mapEvent = NO_CAUSE;
    const dma = this.dma;
    const sg = this.sgElements > 1 && dma.mapSg !== undefined && (dma.mapsSg ?? true) ? this.sgElements : 1;
    for (let i = 0; i < segments; i++) {
      const len = Math.min(seg, bytes - i * seg);
      const start = call.t;
      call.cause = NO_CAUSE;
      if (sg > 1 && len % (sg * 4096) === 0) {
        // Elements a page or two apart (nothing merges them, as iommu_map_sg would), each starting at
        // an odd page frame: only 4 KiB aligned, like most pages of a scattered buffer, so each
        // element is one iommu_pgsize run (one map_pages call).
        const elementBytes = len / sg;
        const gap = (elementBytes / 4096) % 2 === 0 ? 8192 : 4096;
        const first = this.bufferGpa + slot * this.slotStride + i * (seg + (2 * sg + 2) * 4096) + 4096;
        for (let e = 0; e < sg; e++) this.sgGpas[e] = first + e * (elementBytes + gap);
        dma.mapSg!(call, this.dev, this.sgGpas, sg, elementBytes, write);
      } else dma.map(call, this.dev, this.bufferGpa + slot * this.slotStride + i * seg, len, write);
      vcpus.occupy(cpu, start, call.t);
      if (call.errno !== 0) {
        tl.record(
          start as SimTimeNs,
          (call.t - start) as DurationNs,
          this.cpuLanes[cpu]!,
          this.kindMapFailed,
          len,
          tl.internString(errnoSymbol(call.errno)),
          job,
          call.cause,
        );
        // The segments already mapped go back before the request is retried.
        for (let j = 0; j < i; j++) {
          const back = call.t;
          dma.unmap(call, this.dmaAddr[base + j]!, Math.min(seg, bytes - j * seg));
          vcpus.occupy(cpu, back, call.t);
        }
        this.retries++;
        this.sim.scheduleAt((call.t + RESOURCE_RETRY_NS) as SimTimeNs, this.handler, SUBMIT, slot);
        return;
      }
      mapEvent = tl.record(
        start as SimTimeNs,
        (call.t - start) as DurationNs,
        this.cpuLanes[cpu]!,
        this.kindMap,
        len,
        call.dmaAddr,
        job,
        call.cause,
      );
      this.dmaAddr[base + i] = call.dmaAddr;
    }
    this.ioEvent[slot] = mapEvent;
    this.slotSegments[slot] = segments;
    this.inFlight++;
    this.slotEpoch[slot] = life.epoch;
    life.ioStarted();
    this.sim.scheduleAt(call.t as SimTimeNs, this.handler, TO_DEVICE, slot);
  }

  /** The slot's IO belonged to a guest that was reset: forget it and start over with the next guest. */
  private dropIfAborted(slot: number): boolean {
    if (this.slotEpoch[slot] === this.life.epoch) return false;
    this.inFlight--;
    this.submittedAt[slot] = -1;
    this.sim.scheduleAt(this.sim.now, this.handler, SUBMIT, slot);
    return true;
  }

  private toDevice(slot: number): void {
    if (this.dropIfAborted(slot)) return;
    const life = this.life;
    if (life.state === 'offline') {
      if (life.removed) this.finish(slot, false);
      else life.park(this.handler, TO_DEVICE, slot);
      return;
    }
    this.slotPause[slot] = life.pauseEpoch;
    const now = this.sim.now;
    const bytes = this.bytes;
    const done = this.device.submitIo(now, bytes);
    const mapEv = this.ioEvent[slot]!;
    const tl = this.sim.timeline;
    // The device's first DMA of a request the host cannot translate faults; the controller completes it with a data transfer error.
    const base = slot * this.maxSegments;
    const segments = this.slotSegments[slot]!;
    const seg = Math.ceil(bytes / segments);
    const job = this.slotJob[slot]!;
    let faulted = false;
    for (let i = 0; i < segments && !faulted; i++) {
      faulted = this.hostFaults.faults(this.dmaAddr[base + i]!, Math.min(seg, bytes - i * seg), job, mapEv);
    }
    this.slotFaulted[slot] = faulted ? 1 : 0;
    this.ioEvent[slot] = tl.record(now, (done - now) as DurationNs, this.deviceLane, this.kindIo, bytes, this.dmaAddr[base]!, job, mapEv);
    this.sim.scheduleAt(done, this.handler, COMPLETE, slot);
  }

  private complete(slot: number): void {
    if (this.dropIfAborted(slot)) return;
    const life = this.life;
    if (this.slotPause[slot] !== life.pauseEpoch) {
      // The device stopped doing DMA while it held this IO.
      if (life.removed) this.finish(slot, false);
      else if (life.accepting) this.sim.scheduleAt(this.sim.now, this.handler, TO_DEVICE, slot);
      else life.park(this.handler, TO_DEVICE, slot);
      return;
    }
    const ok = this.slotFaulted[slot] === 0;
    this.slotFaulted[slot] = 0;
    this.finish(slot, ok);
  }

  /** The driver ends the request: unmaps its buffer; counts it done, or failed (EIO). */
  private finish(slot: number, ok: boolean): void {
    const now = this.sim.now;
    const job = this.slotJob[slot]!;
    const cpu = this.slotCpu[slot]!;
    const bytes = this.bytes;
    const vcpus = this.vcpus;
    const dma = this.dma;
    const tl = this.sim.timeline;
    const call = this.calls[cpu]!.begin(vcpus.startAt(cpu, now));
    const base = slot * this.maxSegments;
    const segments = this.slotSegments[slot]!;
    const seg = Math.ceil(bytes / segments);
    const ioEvent = this.ioEvent[slot]!;
    for (let i = 0; i < segments; i++) {
      const len = Math.min(seg, bytes - i * seg);
      const start = call.t;
      const addr = this.dmaAddr[base + i]!;
      call.cause = ioEvent;
      dma.unmap(call, addr, len);
      vcpus.occupy(cpu, start, call.t);
      tl.record(start as SimTimeNs, (call.t - start) as DurationNs, this.cpuLanes[cpu]!, this.kindUnmap, len, addr, job, call.cause);
    }
    this.inFlight--;
    this.life.ioEnded(this.slotEpoch[slot]!);
    if (ok) {
      this.completed++;
      this.completedBytes += bytes;
      this.latency.recordValue(Math.max(1, call.t - this.submittedAt[slot]!));
    } else this.errors++;
    this.submittedAt[slot] = -1;
    this.sim.scheduleAt(call.t as SimTimeNs, this.handler, SUBMIT, slot);
  }

  collectMetrics(into: MetricMap, durationNs: DurationNs): void {
    const seconds = durationNs / 1e9;
    into['io.completed'] = this.completed;
    into['io.errors'] = this.errors;
    into['io.mapRetries'] = this.retries;
    this.hostFaults.collectMetrics(into);
    into['io.iops'] = seconds > 0 ? this.completed / seconds : 0;
    into['io.bandwidthMBps'] = seconds > 0 ? this.completedBytes / 1e6 / seconds : 0;
    into['io.latencyP50Us'] = this.completed > 0 ? this.latency.getValueAtPercentile(50) / 1000 : 0;
    into['io.latencyP99Us'] = this.completed > 0 ? this.latency.getValueAtPercentile(99) / 1000 : 0;
  }
}

/** fio buffers start at 4 GiB of guest-physical memory (inside RAM for the default 8 GiB guest). */
const FIO_BUFFER_GPA = 0x1_0000_0000;

export const createFioWorkload: WorkloadFactory = (sim, scenario, stack, endNs) => {
  const workload = scenario.workload;
  if (workload.kind !== 'fio') throw new Error('createFioWorkload needs a fio workload');
  const { vm, target } = deviceTarget(stack, workload.device);
  const config = vm.devices.find((d) => d.dev === target.dev)!.config;
  const clampToOptMapping = vm.config.guest.nvmeOptMappingClamp && config.kind === 'nvme';
  const fio = new FioWorkloadRunner(sim, workload, { ...target, bufferGpa: FIO_BUFFER_GPA, clampToOptMapping }, endNs);
  return {
    start: () => fio.start(),
    collectMetrics: (into) => fio.collectMetrics(into, endNs as number as DurationNs),
    opResults: () => [],
  };
};
