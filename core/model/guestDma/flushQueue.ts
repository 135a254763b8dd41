// dma-iommu's flush queue (DMA-FQ, drivers/iommu/dma-iommu.c): unmapped IOVAs wait in a ring
// (one per CPU, or one shared ring when the IOMMU shadows on flush) until an IOTLB flush covers
// them. queue_iova first frees entries a finished flush already covers (fq_ring_free_locked); a
// full ring (size - 1 entries, fq_full) forces flush_iotlb_all (fq_flush_iotlb: start_cnt++,
// flush, finish_cnt++) and frees it; a timer armed by the first entry after a flush fires
// `timeout` later, flushes, and frees every ring. Until its flush an IOVA stays mapped in every
// layer below: the time from unmap to flush is the stale-IOTLB window, measured per entry.
// Must not: pick IOVAs or talk to the hardware (the callbacks do).

import type { Scheduler, SimComponent } from '../../sim/scheduler';
import { PRIORITY_EARLY } from '../../sim/scheduler';
import type { DurationNs } from '../../sim/simTime';
import { DmaCall } from '../base/dmaCall';

export interface FlushQueueHooks {
  /** flush_iotlb_all through the IOMMU driver, on `call`'s CPU and clock. */
  flushIotlbAll(call: DmaCall): void;
  /** iommu_dma_free_iova's final step (free_iova_fast) for an entry whose flush is done. */
  freeIova(cpu: number, pfn: number, pages: number, nowNs: number): void;
  /** The timer flush ran on `cpu` from `fromNs` to `toNs` (the vCPU is busy meanwhile). */
  occupyCpu(cpu: number, fromNs: number, toNs: number): void;
  /** Stale window of one entry, ns: from its unmap to the end of the flush that covered it. */
  staleWindow(ns: number): void;
  /**
   * The timer was armed by the entry `call` queued: records it on the timeline and returns the
   * event (the cause of the timer's flush and of what the queued IOVAs block), or NO_CAUSE.
   */
  timerArmed?(call: DmaCall): number;
}

/**
 * One ring of `size` slots (a power of two). Its storage starts small and doubles as the ring fills,
 * so a 32768-entry single queue that never holds more than a few IOVAs costs a few slots: slot p
 * of the ring lives at p & (capacity - 1), and a contiguous stretch of at most `capacity` slots
 * never collides.
 */
class Ring {
  pfn: Float64Array;
  pages: Float64Array;
  counter: Float64Array;
  queuedAt: Float64Array;
  private capacity: number;
  head = 0;
  tail = 0;

  constructor(readonly size: number) {
    this.capacity = Math.min(size, 64);
    this.pfn = new Float64Array(this.capacity);
    this.pages = new Float64Array(this.capacity);
    this.counter = new Float64Array(this.capacity);
    this.queuedAt = new Float64Array(this.capacity);
  }

  get depth(): number {
    return (this.tail - this.head + this.size) & (this.size - 1);
  }

  /** fq_full: one slot is always left empty. */
  get full(): boolean {
    return ((this.tail + 1) & (this.size - 1)) === this.head;
  }

  /** Storage index of ring slot `i`. */
  at(i: number): number {
    return i & (this.capacity - 1);
  }

  /** Appends at the tail (the ring is not full). */
  push(pfn: number, pages: number, counter: number, queuedAt: number): void {
    if (this.depth === this.capacity) this.grow();
    const k = this.tail & (this.capacity - 1);
    this.pfn[k] = pfn;
    this.pages[k] = pages;
    this.counter[k] = counter;
    this.queuedAt[k] = queuedAt;
    this.tail = (this.tail + 1) & (this.size - 1);
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const pfn = new Float64Array(cap);
    const pages = new Float64Array(cap);
    const counter = new Float64Array(cap);
    const queuedAt = new Float64Array(cap);
    for (let i = this.head; i !== this.tail; i = (i + 1) & (this.size - 1)) {
      const from = i & (this.capacity - 1);
      const to = i & (cap - 1);
      pfn[to] = this.pfn[from]!;
      pages[to] = this.pages[from]!;
      counter[to] = this.counter[from]!;
      queuedAt[to] = this.queuedAt[from]!;
    }
    this.pfn = pfn;
    this.pages = pages;
    this.counter = counter;
    this.queuedAt = queuedAt;
    this.capacity = cap;
  }
}

const TIMER = 0;

export class FlushQueue implements SimComponent {
  private readonly rings: Ring[];
  private readonly handler: number;
  private readonly timerCall: DmaCall;
  private startCnt = 0;
  private finishCnt = 0;
  private timerOn = false;
  private timerCpu = 0;
  private retired = false;
  flushes = 0;
  fullFlushes = 0;
  timerFlushes = 0;
  peakDepth = 0;
  /** Pages of the IOVAs waiting in all rings. */
  queuedPages = 0;
  /** Entries waiting in all rings (the sum of the rings' depths, kept as they change). */
  private entries = 0;
  /** Timeline event of the last time the timer was armed (NO_CAUSE without one). */
  armEvent = -1;

  /**
   * @param single one shared ring (IOMMU_DMA_OPTS_SINGLE_QUEUE) instead of one per CPU
   * @param size ring size, a power of two (256 per CPU / 32768 single by default)
   */
  constructor(
    private readonly sim: Scheduler,
    readonly single: boolean,
    readonly size: number,
    private readonly timeoutNs: number,
    cpus: number,
    private readonly hooks: FlushQueueHooks,
  ) {
    if (size < 2 || (size & (size - 1)) !== 0) throw new RangeError(`flush queue size must be a power of two >= 2, got ${size}`);
    this.rings = Array.from({ length: single ? 1 : cpus }, () => new Ring(size));
    this.handler = sim.register(this);
    this.timerCall = new DmaCall(0);
  }

  /** Flush end times held for waiting entries (tests: bounded by the flushes since the rings were last empty). */
  get flushEndsHeld(): number {
    return this.flushEndNs.length;
  }

  /** Entries waiting in all rings. */
  depth(): number {
    return this.entries;
  }

  /**
   * queue_iova: `call` is the unmapping CPU's call (a forced flush runs on its clock). Returns the
   * entry's flush ticket: the entry is unreachable once covered(ticket) holds.
   */
  queue(call: DmaCall, pfn: number, pages: number): number {
    const ring = this.rings[this.single ? 0 : call.cpu]!;
    this.freeFinished(ring, call.cpu, call.t);
    if (ring.full) {
      this.fullFlushes++;
      this.flush(call);
      this.freeFinished(ring, call.cpu, call.t);
    }
    const ticket = this.startCnt;
    ring.push(pfn, pages, ticket, call.t);
    this.queuedPages += pages;
    const d = ++this.entries;
    if (d > this.peakDepth) this.peakDepth = d;
    if (!this.timerOn) {
      this.timerOn = true;
      this.timerCpu = call.cpu;
      this.armEvent = this.hooks.timerArmed?.(call) ?? -1;
      this.sim.scheduleAt(Math.max(this.sim.now, call.t + this.timeoutNs) as never, this.handler, TIMER, 0, 0, PRIORITY_EARLY);
    }
    return ticket;
  }

  /**
   * Whether an IOVA range starting at `pfn` waits in a ring (not yet freed). A scan: for checks
   * outside the hot path only (the kernel-trace replay, tooling/oracle/iovaReplay.ts).
   */
  holds(pfn: number): boolean {
    for (const r of this.rings) {
      for (let i = r.head; i !== r.tail; i = (i + 1) & (r.size - 1)) if (r.pfn[r.at(i)] === pfn) return true;
    }
    return false;
  }

  /** An entry queued with `ticket` has been flushed from every IOTLB (a flush that started after it finished). */
  covered(ticket: number): boolean {
    return this.finishCnt > ticket;
  }

  /**
   * The domain is gone (guest reset, device removed): the pending timer does nothing, and what is
   * still queued is never flushed by this queue (the hypervisor dropped every mapping anyway).
   */
  retire(): void {
    this.retired = true;
  }

  /** The timer fires on the CPU that armed it. */
  handleEvent(): void {
    this.timerFlush(this.timerCpu);
  }

  /**
   * fq_flush_timeout on `cpu`: flush, then free every ring. The freeing runs on the timer's CPU, so
   * every ring's IOVAs go to that CPU's rcache (fq_ring_free -> free_iova_fast -> iova_rcache_insert
   * takes the local CPU's magazines), whichever CPU queued them.
   */
  timerFlush(cpu: number): void {
    this.timerOn = false;
    if (this.retired) return;
    this.timerFlushes++;
    const call = this.timerCall;
    (call as { cpu: number }).cpu = cpu;
    call.begin(this.sim.now);
    call.cause = this.armEvent;
    this.flush(call);
    this.hooks.occupyCpu(cpu, this.sim.now, call.t);
    for (let i = 0; i < this.rings.length; i++) this.freeFinished(this.rings[i]!, cpu, call.t);
  }

  /**
   * End times of the flushes a waiting entry may still need: flushEndNs[k - flushEndBase] is flush
   * k's (1-based: the value of start_cnt while it ran). Emptied whenever no entry waits, so it holds
   * at most the flushes since the rings were last empty, not every flush of the run.
   */
  private readonly flushEndNs: number[] = [];
  private flushEndBase = 1;

  /** fq_flush_iotlb */
  private flush(call: DmaCall): void {
    this.startCnt++;
    this.hooks.flushIotlbAll(call);
    this.finishCnt++;
    this.flushes++;
    this.flushEndNs.push(call.t);
  }

  /** fq_ring_free_locked: frees entries queued before a finished flush started. */
  private freeFinished(ring: Ring, cpu: number, nowNs: number): void {
    const mask = ring.size - 1;
    const finish = this.finishCnt;
    const hooks = this.hooks;
    while (ring.head !== ring.tail) {
      const i = ring.head;
      const k = ring.at(i);
      const counter = ring.counter[k]!;
      if (counter >= finish) break;
      // An entry queued while start_cnt was c is covered by flush c + 1, the first to start after it.
      hooks.staleWindow(Math.max(0, this.flushEndNs[counter + 1 - this.flushEndBase]! - ring.queuedAt[k]!));
      const pages = ring.pages[k]!;
      this.queuedPages -= pages;
      this.entries--;
      hooks.freeIova(cpu, ring.pfn[k]!, pages, nowNs);
      ring.head = (i + 1) & mask;
    }
    // Nothing waits: an entry queued from now on has ticket >= start_cnt and needs flush start_cnt + 1 or later.
    if (this.entries === 0 && this.flushEndNs.length > 0) {
      this.flushEndNs.length = 0;
      this.flushEndBase = this.startCnt + 1;
    }
  }

  /** Timeout as a duration, for reports. */
  get timeout(): DurationNs {
    return this.timeoutNs as DurationNs;
  }
}
