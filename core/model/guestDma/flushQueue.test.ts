// The flush queue against a naive reference that keeps every entry as an object and the end time of
// every flush of the run (as flushQueue.ts did before it dropped the flush ends no waiting entry
// needs): random unmaps on several CPUs, forced flushes of full rings and timer flushes must free
// the same IOVAs at the same times, with the same stale windows and flushes.
// Must not: test dma-iommu's IOVA choices (iommuDma.test.ts does).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Scheduler, SimComponent } from '../../sim/scheduler';
import type { SimTimeNs } from '../../sim/simTime';
import { DmaCall } from '../base/dmaCall';
import { FlushQueue, type FlushQueueHooks } from './flushQueue';

/** A clock and at most one pending timer (the flush queue arms one at a time). */
class FakeScheduler implements Scheduler {
  now = 0 as SimTimeNs;
  component: SimComponent | null = null;
  timerAt: number | null = null;

  register(component: SimComponent): number {
    this.component = component;
    return 0;
  }

  schedule(): void {
    throw new Error('the flush queue only uses scheduleAt');
  }

  scheduleAt(at: SimTimeNs): void {
    if (this.timerAt !== null) throw new Error('two timers armed');
    this.timerAt = at;
  }
}

interface Entry {
  pfn: number;
  pages: number;
  ticket: number;
  queuedAt: number;
}

/** dma-iommu's queue_iova / fq_flush_iotlb / fq_ring_free / fq_flush_timeout, entry by entry. */
class FlushQueueReference {
  private readonly rings: Entry[][];
  private startCnt = 0;
  private finishCnt = 0;
  private readonly flushEnd: number[] = [0];
  private timerOn = false;
  timerAt: number | null = null;
  private timerCpu = 0;

  constructor(
    private readonly single: boolean,
    private readonly size: number,
    private readonly timeoutNs: number,
    cpus: number,
    private readonly hooks: FlushQueueHooks,
  ) {
    this.rings = Array.from({ length: single ? 1 : cpus }, () => []);
  }

  queue(call: DmaCall, pfn: number, pages: number, now: number): number {
    const ring = this.rings[this.single ? 0 : call.cpu]!;
    this.free(ring, call.cpu, call.t);
    if (ring.length === this.size - 1) {
      this.flush(call);
      this.free(ring, call.cpu, call.t);
    }
    const ticket = this.startCnt;
    ring.push({ pfn, pages, ticket, queuedAt: call.t });
    if (!this.timerOn) {
      this.timerOn = true;
      this.timerCpu = call.cpu;
      this.timerAt = Math.max(now, call.t + this.timeoutNs);
    }
    return ticket;
  }

  timer(now: number): void {
    this.timerOn = false;
    this.timerAt = null;
    const call = new DmaCall(this.timerCpu).begin(now);
    this.flush(call);
    this.hooks.occupyCpu(this.timerCpu, now, call.t);
    for (const ring of this.rings) this.free(ring, this.timerCpu, call.t);
  }

  private flush(call: DmaCall): void {
    this.startCnt++;
    this.hooks.flushIotlbAll(call);
    this.finishCnt++;
    this.flushEnd.push(call.t);
  }

  private free(ring: Entry[], cpu: number, now: number): void {
    while (ring.length > 0 && ring[0]!.ticket < this.finishCnt) {
      const e = ring.shift()!;
      this.hooks.staleWindow(Math.max(0, this.flushEnd[e.ticket + 1]! - e.queuedAt));
      this.hooks.freeIova(cpu, e.pfn, e.pages, now);
    }
  }
}

type Op = { kind: 'unmap'; cpu: number; pages: number; gapNs: number; workNs: number } | { kind: 'idle'; gapNs: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('unmap' as const),
      cpu: fc.nat(2),
      pages: fc.integer({ min: 1, max: 4 }),
      gapNs: fc.nat(3_000),
      workNs: fc.nat(500),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('idle' as const), gapNs: fc.nat(40_000) }) },
);

/** Hooks that log every call, and a flush whose length depends on how many came before. */
function loggingHooks(log: unknown[]): FlushQueueHooks {
  let flushes = 0;
  return {
    flushIotlbAll: (call) => {
      flushes++;
      call.t += 700 + (flushes % 5) * 130;
      log.push(['flush', call.cpu, call.t]);
    },
    freeIova: (cpu, pfn, pages, now) => log.push(['free', cpu, pfn, pages, now]),
    occupyCpu: (cpu, from, to) => log.push(['occupy', cpu, from, to]),
    staleWindow: (ns) => log.push(['stale', ns]),
  };
}

describe('flush queue (dma-iommu DMA-FQ)', () => {
  it('frees, flushes and measures stale windows as the every-flush reference', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.constantFrom(2, 4, 8, 16), fc.array(op, { maxLength: 300 }), (single, size, ops) => {
        const cpus = 3;
        const timeoutNs = 10_000;
        const realLog: unknown[] = [];
        const refLog: unknown[] = [];
        const sched = new FakeScheduler();
        const fq = new FlushQueue(sched, single, size, timeoutNs, cpus, loggingHooks(realLog));
        const ref = new FlushQueueReference(single, size, timeoutNs, cpus, loggingHooks(refLog));
        const calls = Array.from({ length: cpus }, (_, c) => new DmaCall(c));
        const busyUntil = [0, 0, 0];
        let now = 0;
        let pfn = 1;
        /** Advances the clock to `to`, firing the timer on the way if it is due. */
        const advance = (to: number): void => {
          if (sched.timerAt !== null && sched.timerAt <= to) {
            expect(ref.timerAt).toBe(sched.timerAt);
            now = Math.max(now, sched.timerAt);
            sched.now = now as SimTimeNs;
            sched.timerAt = null;
            fq.handleEvent();
            ref.timer(now);
          }
          now = Math.max(now, to);
          sched.now = now as SimTimeNs;
        };
        for (const o of ops) {
          advance(now + o.gapNs);
          if (o.kind === 'idle') continue;
          const start = Math.max(now, busyUntil[o.cpu]!);
          const a = calls[o.cpu]!.begin(start);
          a.t += o.workNs;
          const b = new DmaCall(o.cpu).begin(start);
          b.t += o.workNs;
          const ticket = fq.queue(a, pfn, o.pages);
          expect(ref.queue(b, pfn, o.pages, now)).toBe(ticket);
          expect(a.t).toBe(b.t);
          busyUntil[o.cpu] = a.t;
          pfn += o.pages;
        }
        advance(now + 2 * timeoutNs);
        expect(realLog).toEqual(refLog);
        expect(fq.depth()).toBe(0);
        expect(fq.flushEndsHeld).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('holds the end times of the flushes since its rings were last empty, not of every flush', () => {
    const sched = new FakeScheduler();
    const fq = new FlushQueue(sched, true, 4, 10_000_000, 1, loggingHooks([]));
    const call = new DmaCall(0);
    for (let i = 0; i < 10_000; i++) {
      fq.queue(call.begin(i * 1000), i + 1, 1);
      expect(fq.flushEndsHeld).toBeLessThanOrEqual(1);
    }
    expect(fq.flushes).toBeGreaterThan(3000);
  });
});
