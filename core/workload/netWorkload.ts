// net: a NIC in the guest. At start the driver fills its RX ring: page_pool (PP_FLAG_DMA_MAP) maps
// each 4 KiB page once, holding 4096 / rxBufferBytes buffers, on vCPU 0; those buffers are recycled
// without further maps. Packets then arrive at packetRate (evenly spaced, or Poisson from the run's
// seeded PRNG); packet i is handled on vCPU i % vcpus and is a TX packet for a txShare of them,
// spread evenly. TX: the stack dma_map_single's the packet on its vCPU, the device sends it, the
// completion unmaps it (io.latency* is map start to unmap end). RX: the device writes into a free
// ring buffer; nothing is mapped. Drops, kept simple: a packet whose vCPU is busy for more than
// 1 ms when it arrives (as if the ring overflowed while NAPI could not run), a TX packet with no
// free TX descriptor or whose map fails (the driver frees the skb), an RX packet with no free buffer.
// The guest's own packet processing costs txStackNs / rxStackNs of vCPU time per packet (default 0:
// only the DMA path costs time), so a CPU-bound sender such as netperf is modelled. While the
// device is away (unplugged, its guest rebooting) arriving packets are dropped; packets in flight
// when the guest was reset are lost; when the device comes back with a new guest-side DMA path the
// driver fills its RX ring again (new maps) at the first arrival.
// Must not: decide how a map is done (the DMA layer does) or how long the device takes (the device does).

import { LatencyHistogram } from '../sim/latencyHistogram';
import type { Simulation, SimComponent } from '../sim/simulation';
import { type DurationNs, type SimTimeNs, msToNs } from '../sim/simTime';
import type { Prng } from '../sim/prng';
import { NO_CAUSE } from '../sim/timelineRecorder';
import type { NetWorkload } from '../scenario/workloadSchemas';
import { DmaCall } from '../model/base/dmaCall';
import { linuxErrnoName } from '../model/base/errno';
import type { MetricMap } from '../sim/metricSink';
import { deviceTarget, highRamBufferGpa, HostFaultLog, type DeviceTarget, type WorkloadFactory } from './runnableWorkload';
import { defineNetTimeline, type NetTimeline } from './netTimeline';
import { PAGE_SIZE, alignUp } from '../model/base/pages';

const ARRIVE = 0;
const TX_SEND = 1;
const TX_DONE = 2;
const RX_DONE = 3;
/** TX descriptors: mlx5e's default send queue (MLX5E_PARAMS_DEFAULT_LOG_SQ_SIZE = 10). */
export const NET_TX_RING_ENTRIES = 1024;
/** A packet finding its vCPU busy for longer than this is dropped. */
const BUSY_DROP_NS = msToNs(1);

export interface NetTarget extends DeviceTarget {
  /** Guest-physical address of the first RX page; the TX buffers follow the RX pages. */
  readonly bufferGpa: number;
  /** Stream for Poisson arrivals. */
  readonly rng: Prng;
}

export class NetWorkloadRunner implements SimComponent {
  private readonly handler: number;
  private readonly calls: DmaCall[];
  private readonly cpuLanes: number[];
  private readonly deviceLane: number;
  private readonly kinds: NetTimeline['kinds'];
  private readonly dropReasons: NetTimeline['dropReasons'];
  private readonly intervalNs: number;
  /** The per-packet settings, read once (the hot path does not go through the parsed config object). */
  private readonly packetBytes: number;
  private readonly txShare: number;
  private readonly txStackNs: number;
  private readonly rxStackNs: number;
  private readonly fixedArrival: boolean;
  private readonly rxBufferBytes: number;
  private readonly txMapBytes: number;
  private readonly txBaseGpa: number;
  private readonly freeTx = new Int32Array(NET_TX_RING_ENTRIES);
  private freeTxCount = NET_TX_RING_ENTRIES;
  private readonly txCpu = new Int32Array(NET_TX_RING_ENTRIES);
  private readonly txStart = new Float64Array(NET_TX_RING_ENTRIES);
  private readonly txAddr = new Float64Array(NET_TX_RING_ENTRIES);
  /** 1 when the slot's packet could not be read: the NIC's DMA faulted in the host IOMMU. */
  private readonly txFaulted = new Uint8Array(NET_TX_RING_ENTRIES);
  /** The fault event of a TX send that faulted (the cause of its drop). */
  private readonly txFaultEvent = new Int32Array(NET_TX_RING_ENTRIES).fill(NO_CAUSE);
  /** Per vCPU, the last event of work it did for this workload (the cause of a busy drop). */
  private cpuLast: Int32Array = new Int32Array(0);
  /** The last TX send and RX receive on the device (the causes of full-ring drops). */
  private lastTxSent = NO_CAUSE;
  private lastRx = NO_CAUSE;
  private readonly hostFaults: HostFaultLog;
  /** The RX ring's mapped pages (IOVA, map event): the NIC fills their buffers in ring order. */
  private rxPageAddr: number[] = [];
  private rxPageEvent: number[] = [];
  /** RX buffers filled so far (which buffer of the ring the next packet lands in). */
  private rxFilled = 0;
  private readonly txEvent = new Int32Array(NET_TX_RING_ENTRIES).fill(NO_CAUSE);
  private readonly txEpoch = new Int32Array(NET_TX_RING_ENTRIES);
  /** lifecycle.generation the RX ring was filled for. */
  private ringGeneration = 0;
  private readonly latency = new LatencyHistogram({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000_000,
    numberOfSignificantValueDigits: 3,
  });
  private trafficStartNs = 0;
  private arrived = 0;
  private rxFree = 0;
  rxPagesMapped = 0;
  rxBuffersMapped = 0;
  rxPageMapFailures = 0;
  txPackets = 0;
  rxPackets = 0;
  dropped = 0;
  txMapFailures = 0;
  private completedBytes = 0;
  private lastSampleCompleted = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly config: NetWorkload,
    private readonly target: NetTarget,
    private readonly endNs: SimTimeNs,
  ) {
    this.handler = sim.register(this);
    const tl = sim.timeline;
    const cpus = target.vcpus.count;
    this.calls = Array.from({ length: cpus }, (_, c) => new DmaCall(c));
    this.cpuLanes = Array.from({ length: cpus }, (_, c) => tl.defineLane(`${target.vcpus.vmName}.cpu${c}`, 'guest'));
    this.cpuLast = new Int32Array(cpus).fill(NO_CAUSE);
    this.deviceLane = tl.defineLane(`device.${target.device.name}`, 'device');
    ({ kinds: this.kinds, dropReasons: this.dropReasons } = defineNetTimeline(tl));
    this.hostFaults = new HostFaultLog(sim, target.host, this.deviceLane);
    this.intervalNs = 1e9 / config.packetRate;
    this.packetBytes = config.packetBytes;
    this.txShare = config.txShare;
    this.txStackNs = config.txStackNs;
    this.rxStackNs = config.rxStackNs;
    this.fixedArrival = config.arrival === 'fixed';
    this.rxBufferBytes = config.rxBufferBytes;
    this.txMapBytes = alignUp(config.packetBytes, PAGE_SIZE);
    this.txBaseGpa = target.bufferGpa + this.rxPageCount() * this.rxMapBytes();
    for (let s = 0; s < NET_TX_RING_ENTRIES; s++) this.freeTx[s] = NET_TX_RING_ENTRIES - 1 - s;
    sim.counters.define('net.txInflight', 'packets', () => NET_TX_RING_ENTRIES - this.freeTxCount);
    sim.counters.define('io.completedPerInterval', 'packets', () => {
      const done = this.txPackets + this.rxPackets;
      const delta = done - this.lastSampleCompleted;
      this.lastSampleCompleted = done;
      return delta;
    });
    sim.counters.define('dma.fqDepth', 'IOVAs', () => target.dma.fqDepth());
  }

  /** Buffers per mapping: several per page when they fit, else one (a higher-order page) each. */
  private buffersPerMap(): number {
    return this.rxBufferBytes <= PAGE_SIZE ? Math.floor(PAGE_SIZE / this.rxBufferBytes) : 1;
  }

  private rxMapBytes(): number {
    return this.config.rxBufferBytes <= PAGE_SIZE ? PAGE_SIZE : alignUp(this.config.rxBufferBytes, PAGE_SIZE);
  }

  /** RX buffers of the mapped pages (the ring the NIC cycles through). */
  private rxBuffersInRing(): number {
    return Math.max(1, this.rxPageAddr.length * this.buffersPerMap());
  }

  /** RX mappings the ring needs: ceil(entries / buffers per page). */
  rxPageCount(): number {
    return Math.ceil(this.config.rxRingEntries / this.buffersPerMap());
  }

  /** Fills the RX ring on vCPU 0 (ndo_open), then starts the traffic when the ring is ready. */
  start(): void {
    this.trafficStartNs = Math.ceil(this.fillRxRing(0));
    this.sim.scheduleAt(this.trafficStartNs as SimTimeNs, this.handler, ARRIVE);
  }

  /** Maps the RX ring's pages on vCPU 0 from `fromNs`; returns when done. */
  private fillRxRing(fromNs: number): number {
    const { dma, dev, vcpus } = this.target;
    const mapBytes = this.rxMapBytes();
    const perMap = this.buffersPerMap();
    const tl = this.sim.timeline;
    this.ringGeneration = this.target.lifecycle.generation;
    this.rxFree = 0;
    this.rxPageAddr = [];
    this.rxPageEvent = [];
    this.rxFilled = 0;
    let t = fromNs;
    for (let p = 0; p < this.rxPageCount(); p++) {
      const call = this.calls[0]!.begin(vcpus.startAt(0, t));
      const start = call.t;
      dma.map(call, dev, this.target.bufferGpa + p * mapBytes, mapBytes, true);
      vcpus.occupy(0, start, call.t);
      if (call.errno === 0) {
        const event = tl.record(
          start as SimTimeNs,
          (call.t - start) as DurationNs,
          this.cpuLanes[0]!,
          this.kinds.rxMap,
          mapBytes,
          call.dmaAddr,
          0,
          call.cause,
        );
        this.rxPageAddr.push(call.dmaAddr);
        this.rxPageEvent.push(event);
        const buffers = Math.min(perMap, this.config.rxRingEntries - p * perMap);
        this.rxPagesMapped++;
        this.rxBuffersMapped += buffers;
        this.rxFree += buffers;
      } else {
        const errno = tl.internString(linuxErrnoName(call.errno) ?? 'E?');
        tl.record(
          start as SimTimeNs,
          (call.t - start) as DurationNs,
          this.cpuLanes[0]!,
          this.kinds.mapFailed,
          mapBytes,
          errno,
          0,
          call.cause,
        );
        this.rxPageMapFailures++;
      }
      t = call.t;
    }
    return t;
  }

  handleEvent(kind: number, slot: number): void {
    if (kind === ARRIVE) this.arrive();
    else if (kind === TX_SEND) this.txSend(slot);
    else if (kind === TX_DONE) this.txDone(slot);
    else this.rxDone(slot);
  }

  /** Packet i is TX when floor((i+1) * txShare) > floor(i * txShare): an even spread. */
  private isTx(i: number): boolean {
    const share = this.txShare;
    return Math.floor((i + 1) * share) > Math.floor(i * share);
  }

  private nextArrivalNs(i: number, now: number): number {
    if (this.fixedArrival) return this.trafficStartNs + Math.round((i + 1) * this.intervalNs);
    return now + Math.round(this.target.rng.exponential(this.intervalNs));
  }

  /**
   * A packet lost: `cause` is what decided it (the failed map, the fault, the last packet holding
   * the ring, the work still occupying the vCPU).
   */
  private drop(now: number, reason: number, cpu: number, cause: number): void {
    this.dropped++;
    this.sim.timeline.record(now as SimTimeNs, 0, this.cpuLanes[cpu]!, this.kinds.drop, reason, cpu, 0, cause);
  }

  private arrive(): void {
    const now = this.sim.now;
    if (now >= this.endNs) return;
    const i = this.arrived++;
    const next = this.nextArrivalNs(i, now);
    if (next < this.endNs) this.sim.scheduleAt(next as SimTimeNs, this.handler, ARRIVE);
    const cpu = i % this.calls.length;
    const life = this.target.lifecycle;
    if (!life.accepting) return this.drop(now, this.dropReasons.offline, cpu, NO_CAUSE);
    // Back on a new DMA path: the driver's open fills the RX ring again before handling traffic.
    if (this.ringGeneration !== life.generation) this.fillRxRing(now);
    // The vCPU is still busy with the work it last did for this workload.
    if (this.target.vcpus.startAt(cpu, now) - now > BUSY_DROP_NS) return this.drop(now, this.dropReasons.busy, cpu, this.cpuLast[cpu]!);
    if (this.isTx(i)) this.transmit(now, cpu);
    else this.receive(now, cpu);
  }

  private transmit(now: number, cpu: number): void {
    // Every TX descriptor is in flight: the latest one sent is the last to have taken one.
    if (this.freeTxCount === 0) return this.drop(now, this.dropReasons.txRing, cpu, this.lastTxSent);
    const slot = this.freeTx[--this.freeTxCount]!;
    const { dma, dev, vcpus } = this.target;
    const tl = this.sim.timeline;
    const call = this.calls[cpu]!.begin(vcpus.startAt(cpu, now));
    const begin = call.t;
    // The stack builds and queues the packet before the driver maps it.
    call.t += this.txStackNs;
    const start = call.t;
    // DMA_TO_DEVICE: the device only reads the packet.
    dma.map(call, dev, this.txBaseGpa + slot * this.txMapBytes, this.txMapBytes, false);
    vcpus.occupy(cpu, begin, call.t);
    const lane = this.cpuLanes[cpu]!;
    if (call.errno !== 0) {
      const errno = tl.internString(linuxErrnoName(call.errno) ?? 'E?');
      const failed = tl.record(
        start as SimTimeNs,
        (call.t - start) as DurationNs,
        lane,
        this.kinds.mapFailed,
        this.txMapBytes,
        errno,
        cpu,
        call.cause,
      );
      this.freeTx[this.freeTxCount++] = slot;
      this.txMapFailures++;
      return this.drop(call.t, this.dropReasons.txMap, cpu, failed);
    }
    this.txEvent[slot] = this.cpuLast[cpu] = tl.record(
      start as SimTimeNs,
      (call.t - start) as DurationNs,
      lane,
      this.kinds.txMap,
      this.txMapBytes,
      call.dmaAddr,
      cpu,
      call.cause,
    );
    this.txCpu[slot] = cpu;
    this.txEpoch[slot] = this.target.lifecycle.epoch;
    this.target.lifecycle.ioStarted();
    this.txStart[slot] = start;
    this.txAddr[slot] = call.dmaAddr;
    // The doorbell rings when the map is done: the device sees requests in time order (RX and TX share it).
    this.sim.scheduleAt(Math.ceil(call.t) as SimTimeNs, this.handler, TX_SEND, slot);
  }

  /** A TX packet of a guest that was reset: its descriptor is free again, nothing is unmapped. */
  private txLost(slot: number): boolean {
    if (this.txEpoch[slot] === this.target.lifecycle.epoch) return false;
    this.freeTx[this.freeTxCount++] = slot;
    return true;
  }

  private txSend(slot: number): void {
    if (this.txLost(slot)) return;
    const now = this.sim.now;
    const done = this.target.device.submitIo(now, this.packetBytes);
    const mapEv = this.txEvent[slot]!;
    // Reading a packet the host cannot translate faults: the send completes in error (the driver frees and unmaps it).
    this.txFaulted[slot] = this.hostFaults.faults(this.txAddr[slot]!, this.packetBytes, slot, mapEv) ? 1 : 0;
    if (this.txFaulted[slot] === 1) this.txFaultEvent[slot] = this.hostFaults.lastEvent;
    this.txEvent[slot] = this.lastTxSent = this.sim.timeline.record(
      now,
      (done - now) as DurationNs,
      this.deviceLane,
      this.kinds.tx,
      this.packetBytes,
      this.txAddr[slot]!,
      0,
      mapEv,
    );
    this.sim.scheduleAt(done, this.handler, TX_DONE, slot);
  }

  private txDone(slot: number): void {
    if (this.txLost(slot)) return;
    const cpu = this.txCpu[slot]!;
    const { dma, vcpus } = this.target;
    const call = this.calls[cpu]!.begin(vcpus.startAt(cpu, this.sim.now));
    const start = call.t;
    call.cause = this.txEvent[slot]!;
    dma.unmap(call, this.txAddr[slot]!, this.txMapBytes);
    vcpus.occupy(cpu, start, call.t);
    this.cpuLast[cpu] = this.sim.timeline.record(
      start as SimTimeNs,
      (call.t - start) as DurationNs,
      this.cpuLanes[cpu]!,
      this.kinds.txUnmap,
      this.txMapBytes,
      this.txAddr[slot]!,
      cpu,
      call.cause,
    );
    if (this.txFaulted[slot] === 1)
      this.drop(call.t, this.sim.timeline.internString('TX DMA faulted in the host IOMMU'), cpu, this.txFaultEvent[slot]!);
    else {
      this.latency.recordValue(Math.max(1, Math.round(call.t - this.txStart[slot]!)));
      this.txPackets++;
      this.completedBytes += this.packetBytes;
    }
    this.freeTx[this.freeTxCount++] = slot;
    this.target.lifecycle.ioEnded(this.txEpoch[slot]!);
  }

  private receive(now: number, cpu: number): void {
    // Every RX buffer holds a packet not yet processed: the latest one received is the last to have taken one.
    if (this.rxFree === 0) return this.drop(now, this.dropReasons.rxRing, cpu, this.lastRx);
    this.rxFree--;
    if (this.rxStackNs > 0) {
      const from = this.target.vcpus.startAt(cpu, now);
      this.target.vcpus.occupy(cpu, from, from + this.rxStackNs);
    }
    const life = this.target.lifecycle;
    life.ioStarted();
    const done = this.target.device.submitIo(now as SimTimeNs, this.packetBytes);
    this.lastRx = this.sim.timeline.record(now as SimTimeNs, (done - now) as DurationNs, this.deviceLane, this.kinds.rx, this.packetBytes);
    // The NIC writes into the ring's next buffer; if the host cannot translate it the write faults and the packet is lost.
    const perMap = this.buffersPerMap();
    const buffer = this.rxFilled++ % this.rxBuffersInRing();
    const page = Math.floor(buffer / perMap);
    const offset = perMap > 1 ? (buffer % perMap) * this.rxBufferBytes : 0;
    // The packet lands in this buffer (a larger frame continues in the next ones: only its first buffer is checked).
    const bytes = Math.min(this.packetBytes, this.rxBufferBytes);
    if (this.hostFaults.faults(this.rxPageAddr[page]! + offset, bytes, page, this.rxPageEvent[page]!)) {
      life.ioEnded(life.epoch);
      this.rxFree++;
      return this.drop(now, this.sim.timeline.internString('RX DMA faulted in the host IOMMU'), cpu, this.hostFaults.lastEvent);
    }
    this.sim.scheduleAt(done, this.handler, RX_DONE, life.epoch);
  }

  /** The buffer goes back to the ring (page_pool recycling: no unmap, no map). */
  private rxDone(epoch: number): void {
    // A packet received for a guest that was reset is lost with its ring.
    if (epoch !== this.target.lifecycle.epoch) return;
    this.target.lifecycle.ioEnded(epoch);
    this.rxFree++;
    this.rxPackets++;
    this.completedBytes += this.packetBytes;
  }

  collectMetrics(into: MetricMap, durationNs: number): void {
    const seconds = durationNs / 1e9;
    const completed = this.txPackets + this.rxPackets;
    this.hostFaults.collectMetrics(into);
    into['io.completed'] = completed;
    into['io.iops'] = seconds > 0 ? completed / seconds : 0;
    into['io.bandwidthMBps'] = seconds > 0 ? this.completedBytes / 1e6 / seconds : 0;
    into['io.latencyP50Us'] = this.txPackets > 0 ? this.latency.getValueAtPercentile(50) / 1000 : 0;
    into['io.latencyP99Us'] = this.txPackets > 0 ? this.latency.getValueAtPercentile(99) / 1000 : 0;
    into['net.arrivals'] = this.arrived;
    into['net.txPackets'] = this.txPackets;
    into['net.rxPackets'] = this.rxPackets;
    into['net.rxBuffersMapped'] = this.rxBuffersMapped;
    into['net.rxPagesMapped'] = this.rxPagesMapped;
    into['net.dropped'] = this.dropped;
    into['net.txMapFailures'] = this.txMapFailures;
    into['net.rxMapFailures'] = this.rxPageMapFailures;
  }
}

export const createNetWorkload: WorkloadFactory = (sim, scenario, stack, endNs) => {
  const workload = scenario.workload;
  if (workload.kind !== 'net') throw new Error('createNetWorkload needs a net workload');
  const { vm, target } = deviceTarget(stack, workload.device);
  const net = new NetWorkloadRunner(sim, workload, { ...target, bufferGpa: highRamBufferGpa(scenario, vm), rng: sim.rng.fork() }, endNs);
  return {
    start: () => net.start(),
    collectMetrics: (into) => net.collectMetrics(into, endNs),
    opResults: () => [],
  };
};
