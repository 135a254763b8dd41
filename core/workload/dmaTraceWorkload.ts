// dma-trace: a real guest's DMA map and unmap calls (from a kernel trace, pcilab import-trace)
// replayed at their traced times, each on its traced CPU's vCPU, through the scenario's guest DMA
// API, so whatever lies below (vIOMMU, QEMU's shadowing, VFIO's dma_entry_limit, locked memory)
// sees the real pattern. The real events stay on the timeline beside the lab's: each traced call
// on "trace.cpu<N>" (bytes, the kernel's DMA address), the lab's answer on the vCPU lane caused by
// it, and the trace's other events (invalidations, flushes, QEMU requests) on "trace.<lane>".
// A map the lab refuses is a failure event; its unmap is skipped. The lab's own flush queue and
// timers decide flushes: the trace's flush times are shown, not replayed.
// Must not: decide how a map is served (the DMA layer does) or parse trace text (core/trace does).

import type { Simulation, SimComponent } from '../sim/simulation';
import type { DurationNs, SimTimeNs } from '../sim/simTime';
import type { DmaTraceWorkload } from '../scenario/workloadSchemas';
import { DmaCall } from '../model/base/dmaCall';
import { PAGE_SIZE } from '../model/base/pages';
import { addMetric, maxMetric, type MetricMap } from '../sim/metricSink';
import { deviceTarget, highRamBufferGpa, type DeviceTarget, type WorkloadFactory } from './runnableWorkload';

const T = 0;
const OP_NS = 0;
const OP_CPU = 1;
const OP_KIND = 2;
const OP_BYTES = 3;
const OP_ID = 4;
const MAP = 0;

export class DmaTraceRunner implements SimComponent {
  private readonly handler: number;
  private readonly calls: DmaCall[];
  private readonly cpuLanes: number[];
  private readonly traceLanes = new Map<string, number>();
  private readonly kindTraced: number[];
  private readonly kindMap: number;
  private readonly kindMapFailed: number;
  private readonly kindUnmap: number;
  private readonly markKinds: number[] = [];
  private readonly markLanes: number[] = [];
  /** Live maps by trace id: the lab's DMA address and bytes. */
  private readonly live = new Map<number, { dmaAddr: number; bytes: number }>();
  private next = 0;
  private nextMark = 0;
  private maps = 0;
  private unmaps = 0;
  private failures = 0;
  private skippedUnmaps = 0;
  private livePeak = 0;
  private livePages = 0;
  private livePagesPeak = 0;
  private readonly bufferGpa: number;

  constructor(
    private readonly sim: Simulation,
    private readonly w: DmaTraceWorkload,
    private readonly target: DeviceTarget,
    bufferGpa: number,
    private readonly endNs: SimTimeNs,
  ) {
    this.handler = sim.register(this);
    this.bufferGpa = bufferGpa;
    const tl = sim.timeline;
    const cpus = target.vcpus.count;
    this.calls = Array.from({ length: cpus }, (_, c) => new DmaCall(c));
    this.cpuLanes = Array.from({ length: cpus }, (_, c) => tl.defineLane(`${target.vcpus.vmName}.cpu${c}`, 'guest'));
    const bytes = { name: 'bytes', format: 'bytes' } as const;
    const kernelAddr = { name: 'kernelDmaAddr', format: 'hex' } as const;
    const id = { name: 'id', format: 'int' } as const;
    this.kindTraced = [
      tl.defineKind({ name: 'trace.dma.map', args: [bytes, kernelAddr, id] }),
      tl.defineKind({ name: 'trace.dma.unmap', args: [bytes, kernelAddr, id] }),
    ];
    this.kindMap = tl.defineKind({ name: 'replay.map', args: [bytes, { name: 'dmaAddr', format: 'hex' }, id] });
    this.kindUnmap = tl.defineKind({ name: 'replay.unmap', args: [bytes, { name: 'dmaAddr', format: 'hex' }, id] });
    this.kindMapFailed = tl.defineKind({
      name: 'replay.map.failed',
      args: [bytes, { name: 'errno', format: 'errno' }, id],
      failure: true,
    });
    // Marks keep the real trace's event names ("intel_iommu qi_submit"): they are not lab kinds.
    for (const name of w.markNames) {
      const space = name.indexOf(' ');
      const lane = space < 0 ? 'events' : name.slice(0, space);
      this.markLanes.push(this.traceLane(lane));
      this.markKinds.push(tl.defineKind({ name: space < 0 ? name : name.slice(space + 1), args: [{ name: 'value', format: 'int' }] }));
    }
  }

  private traceLane(name: string): number {
    let lane = this.traceLanes.get(name);
    if (lane === undefined) {
      lane = this.sim.timeline.defineLane(`trace.${name}`, 'trace');
      this.traceLanes.set(name, lane);
    }
    return lane;
  }

  start(): void {
    if (this.w.ops.length > 0) this.sim.scheduleAt(this.w.ops[0]![OP_NS] as SimTimeNs, this.handler, T, 0);
    if (this.w.marks.length > 0) this.sim.scheduleAt(this.w.marks[0]![0] as SimTimeNs, this.handler, 1, 0);
  }

  handleEvent(kind: number): void {
    if (kind === T) this.replayDue();
    else this.marksDue();
  }

  /** Every op due now, in trace order; then the next one is scheduled. */
  private replayDue(): void {
    const ops = this.w.ops;
    const now = this.sim.now;
    while (this.next < ops.length && ops[this.next]![OP_NS] <= now) this.replay(ops[this.next++]!);
    if (this.next < ops.length && ops[this.next]![OP_NS] < this.endNs)
      this.sim.scheduleAt(ops[this.next]![OP_NS] as SimTimeNs, this.handler, T, 0);
  }

  private marksDue(): void {
    const marks = this.w.marks;
    const now = this.sim.now;
    const tl = this.sim.timeline;
    while (this.nextMark < marks.length && marks[this.nextMark]![0] <= now) {
      const [t, n, v] = marks[this.nextMark++]!;
      tl.record(t as SimTimeNs, 0 as DurationNs, this.markLanes[n]!, this.markKinds[n]!, v, 0, 0);
    }
    if (this.nextMark < marks.length && marks[this.nextMark]![0] < this.endNs)
      this.sim.scheduleAt(marks[this.nextMark]![0] as SimTimeNs, this.handler, 1, 0);
  }

  private replay(op: DmaTraceWorkload['ops'][number]): void {
    const tl = this.sim.timeline;
    const cpu = op[OP_CPU] % this.calls.length;
    const bytes = op[OP_BYTES];
    const id = op[OP_ID];
    const now = this.sim.now;
    const traced = tl.record(now, 0 as DurationNs, this.traceLane(`cpu${op[OP_CPU]}`), this.kindTraced[op[OP_KIND]]!, bytes, 0, id);
    const vcpus = this.target.vcpus;
    const call = this.calls[cpu]!.begin(vcpus.startAt(cpu, now));
    const start = call.t;
    call.cause = traced;
    if (op[OP_KIND] === MAP) {
      // Buffers come from 1 GiB of guest RAM, 1 MiB per map id (modulo), so a long trace stays inside RAM.
      const gpa = this.bufferGpa + (id % 1024) * 256 * PAGE_SIZE;
      this.target.dma.map(call, this.target.dev, gpa, Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE, true);
      vcpus.occupy(cpu, start, call.t);
      if (call.errno !== 0) {
        this.failures++;
        tl.record(
          start as SimTimeNs,
          (call.t - start) as DurationNs,
          this.cpuLanes[cpu]!,
          this.kindMapFailed,
          bytes,
          call.errno,
          id,
          call.cause,
        );
        return;
      }
      this.maps++;
      this.live.set(id, { dmaAddr: call.dmaAddr, bytes });
      this.livePages += Math.ceil(bytes / PAGE_SIZE);
      this.livePeak = Math.max(this.livePeak, this.live.size);
      this.livePagesPeak = Math.max(this.livePagesPeak, this.livePages);
      tl.record(start as SimTimeNs, (call.t - start) as DurationNs, this.cpuLanes[cpu]!, this.kindMap, bytes, call.dmaAddr, id, call.cause);
      return;
    }
    const m = this.live.get(id);
    if (m === undefined) {
      // Its map failed in the lab: nothing to unmap.
      this.skippedUnmaps++;
      return;
    }
    this.live.delete(id);
    this.livePages -= Math.ceil(m.bytes / PAGE_SIZE);
    this.target.dma.unmap(call, m.dmaAddr, Math.ceil(m.bytes / PAGE_SIZE) * PAGE_SIZE);
    vcpus.occupy(cpu, start, call.t);
    this.unmaps++;
    tl.record(start as SimTimeNs, (call.t - start) as DurationNs, this.cpuLanes[cpu]!, this.kindUnmap, m.bytes, m.dmaAddr, id, call.cause);
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'trace.ops', this.w.ops.length);
    addMetric(into, 'trace.replayed', this.next);
    addMetric(into, 'trace.maps', this.maps);
    addMetric(into, 'trace.unmaps', this.unmaps);
    addMetric(into, 'trace.mapFailures', this.failures);
    addMetric(into, 'trace.skippedUnmaps', this.skippedUnmaps);
    maxMetric(into, 'trace.liveMapsPeak', this.livePeak);
    maxMetric(into, 'trace.livePagesPeak', this.livePagesPeak);
  }
}

export const createDmaTraceWorkload: WorkloadFactory = (sim, scenario, stack, endNs) => {
  const w = scenario.workload;
  if (w.kind !== 'dma-trace') throw new Error('createDmaTraceWorkload needs a dma-trace workload');
  const { vm, target } = deviceTarget(stack, w.device);
  const runner = new DmaTraceRunner(sim, w, target, highRamBufferGpa(scenario, vm), endNs);
  return {
    start: () => runner.start(),
    collectMetrics: (into) => runner.collectMetrics(into),
    opResults: () => [],
  };
};
