// A serialized resource (the QEMU main loop, a VFIO container lock, a hypervisor flush path, a
// device queue) modelled as a FIFO queue with k servers and deterministic service times. Because
// service is FIFO and its length is known at arrival, the completion time is computed exactly at
// enqueue: start = max(arrival, earliest free server). Contention therefore emerges from the load.
// Must not: schedule events itself; callers schedule their completion at the returned time.

import type { DurationNs, SimTimeNs } from './simTime';

export class SerialResource {
  private readonly freeAt: Float64Array;
  private busyNs = 0;
  private waitNs = 0;
  private served = 0;
  private maxWaitNs = 0;

  constructor(
    readonly name: string,
    servers = 1,
  ) {
    if (!Number.isInteger(servers) || servers < 1) throw new RangeError(`${name}: servers must be >= 1`);
    this.freeAt = new Float64Array(servers);
  }

  /** Enqueues one job arriving at `now` needing `serviceNs`; returns when it completes. */
  acquire(now: SimTimeNs, serviceNs: DurationNs | number): SimTimeNs {
    const f = this.freeAt;
    let best = 0;
    for (let i = 1; i < f.length; i++) if (f[i]! < f[best]!) best = i;
    const start = f[best]! > now ? f[best]! : now;
    const end = start + serviceNs;
    f[best] = end;
    const wait = start - now;
    this.waitNs += wait;
    if (wait > this.maxWaitNs) this.maxWaitNs = wait;
    this.busyNs += serviceNs;
    this.served++;
    return end as SimTimeNs;
  }

  /**
   * Marks the (single) server busy from `from` to `to` for work whose length was not known when it
   * started (a vCPU blocked in a trap). Waiting is counted from `arrive`.
   */
  occupy(arrive: number, from: number, to: number): void {
    const f = this.freeAt;
    let best = 0;
    for (let i = 1; i < f.length; i++) if (f[i]! < f[best]!) best = i;
    if (to > f[best]!) f[best] = to;
    const wait = Math.max(0, from - arrive);
    this.waitNs += wait;
    if (wait > this.maxWaitNs) this.maxWaitNs = wait;
    this.busyNs += to - from;
    this.served++;
  }

  /** Earliest time any server is free. */
  nextFreeAt(): number {
    let m = this.freeAt[0]!;
    for (let i = 1; i < this.freeAt.length; i++) if (this.freeAt[i]! < m) m = this.freeAt[i]!;
    return m;
  }

  get stats(): { served: number; busyNs: number; totalWaitNs: number; maxWaitNs: number } {
    return { served: this.served, busyNs: this.busyNs, totalWaitNs: this.waitNs, maxWaitNs: this.maxWaitNs };
  }
}
