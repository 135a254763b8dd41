// fio: numjobs jobs, each on its own vCPU (job % vcpus), each keeping iodepth IOs in flight
// against one device. An IO maps its buffer on the vCPU, the device serves it, the completion
// unmaps on the vCPU and the job submits the next IO. vCPUs are serialized resources, so the
// mapping cost competes with submission and completion work as on a real guest CPU.
// Must not: decide how a map is done (the DMA path does) or how long the device takes (the device does).

import * as hdr from 'hdr-histogram-js';
import type { Simulation, SimComponent } from '../sim/simulation';
import { SerialResource } from '../sim/serialResource';
import { type DurationNs, type SimTimeNs, usToNs } from '../sim/simTime';
import { NO_CAUSE } from '../sim/timelineRecorder';
import type { FioWorkload } from '../scenario/schema';
import type { NvmeDevice } from '../model/nvmeDevice';
import type { DmaDirect } from '../model/dmaDirect';

const SUBMIT = 0;
const COMPLETE = 1;

export interface FioTarget {
  readonly device: NvmeDevice;
  readonly dma: DmaDirect;
  readonly vcpus: number;
}

export class FioWorkloadRunner implements SimComponent {
  private readonly handler: number;
  private readonly cpus: SerialResource[];
  private readonly cpuLanes: number[];
  private readonly deviceLane: number;
  private readonly kindMap: number;
  private readonly kindUnmap: number;
  private readonly kindIo: number;
  private readonly submittedAt: Float64Array;
  private readonly ioEvent: Int32Array;
  private readonly latency = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000_000,
    numberOfSignificantValueDigits: 3,
  });
  private completed = 0;
  private completedBytes = 0;
  private inFlight = 0;
  private lastSampleCompleted = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly config: FioWorkload,
    private readonly target: FioTarget,
    private readonly endNs: SimTimeNs,
  ) {
    this.handler = sim.register(this);
    const tl = sim.timeline;
    this.cpus = [];
    this.cpuLanes = [];
    for (let c = 0; c < target.vcpus; c++) {
      this.cpus.push(new SerialResource(`vcpu${c}`));
      this.cpuLanes.push(tl.defineLane(`guest.cpu${c}`, 'guest'));
    }
    this.deviceLane = tl.defineLane(`device.${target.device.name}`, 'device');
    const bytesArg = { name: 'bytes', format: 'bytes' } as const;
    this.kindMap = tl.defineKind({ name: 'dma.map', args: [bytesArg, { name: 'job', format: 'int' }] });
    this.kindUnmap = tl.defineKind({ name: 'dma.unmap', args: [bytesArg, { name: 'job', format: 'int' }] });
    this.kindIo = tl.defineKind({ name: 'io', args: [bytesArg, { name: 'job', format: 'int' }] });
    const slots = config.numjobs * config.iodepth;
    this.submittedAt = new Float64Array(slots);
    this.ioEvent = new Int32Array(slots).fill(NO_CAUSE);
    sim.counters.define('io.inflight', 'IOs', () => this.inFlight);
    sim.counters.define('io.completedPerInterval', 'IOs', () => {
      const delta = this.completed - this.lastSampleCompleted;
      this.lastSampleCompleted = this.completed;
      return delta;
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
    else this.complete(slot);
  }

  private jobOf(slot: number): number {
    return Math.floor(slot / this.config.iodepth);
  }

  private submit(slot: number): void {
    const now = this.sim.now;
    if (now >= this.endNs) return;
    const job = this.jobOf(slot);
    const cpu = job % this.cpus.length;
    const bytes = this.config.blockSizeBytes;
    const mapCost = this.target.dma.mapCostNs();
    const mapped = this.cpus[cpu]!.acquire(now, mapCost);
    const tl = this.sim.timeline;
    const mapEv = tl.record(now, (mapped - now) as DurationNs, this.cpuLanes[cpu]!, this.kindMap, bytes, job);
    const done = this.target.device.submitIo(mapped, bytes);
    this.ioEvent[slot] = tl.record(mapped, (done - mapped) as DurationNs, this.deviceLane, this.kindIo, bytes, job, 0, mapEv);
    this.submittedAt[slot] = now;
    this.inFlight++;
    this.sim.scheduleAt(done, this.handler, COMPLETE, slot);
  }

  private complete(slot: number): void {
    const now = this.sim.now;
    const job = this.jobOf(slot);
    const cpu = job % this.cpus.length;
    const bytes = this.config.blockSizeBytes;
    const unmapped = this.cpus[cpu]!.acquire(now, this.target.dma.unmapCostNs());
    this.sim.timeline.record(now, (unmapped - now) as DurationNs, this.cpuLanes[cpu]!, this.kindUnmap, bytes, job, 0, this.ioEvent[slot]!);
    this.inFlight--;
    this.completed++;
    this.completedBytes += bytes;
    this.latency.recordValue(Math.max(1, unmapped - this.submittedAt[slot]!));
    this.sim.scheduleAt(unmapped, this.handler, SUBMIT, slot);
  }

  collectMetrics(into: Record<string, number>, durationNs: DurationNs): void {
    const seconds = durationNs / 1e9;
    into['io.completed'] = this.completed;
    into['io.errors'] = 0;
    into['io.iops'] = seconds > 0 ? this.completed / seconds : 0;
    into['io.bandwidthMBps'] = seconds > 0 ? this.completedBytes / 1e6 / seconds : 0;
    into['io.latencyP50Us'] = this.completed > 0 ? this.latency.getValueAtPercentile(50) / 1000 : 0;
    into['io.latencyP99Us'] = this.completed > 0 ? this.latency.getValueAtPercentile(99) / 1000 : 0;
  }
}
