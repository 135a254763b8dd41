// A lock (or any one-at-a-time resource) that goes to whoever asks first in simulated time. Callers
// reach it in event order but at their own clocks: a vCPU with a backlog asks for a time ahead of
// the others, so a FIFO queue (SerialResource) would make a request from the present wait behind a
// reservation made for the future. This keeps the busy intervals still ahead of the clock's `now`
// and gives each request the first free gap at or after its arrival. Spinlocks and mutexes are not
// FIFO, so this is also the more faithful model of QEMU's big lock and of a TCE table's pool lock.
// The gap a request lands in is found by bisection, so a long list of reservations ahead of the clock
// (an ops script's calls, all at one simulated instant) costs O(log n) per request.
// Must not: schedule events; callers use the returned release time.

export class GapFillingLock {
  /** Busy intervals [start, end), sorted and disjoint (adjacent ones merged). */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  /** First interval not yet over. */
  private head = 0;
  waitNs = 0;

  constructor(private readonly clock: { readonly now: number }) {}

  /** Holds the lock for `holdNs` from the first moment at or after `t` it is free; returns the release time. */
  acquire(t: number, holdNs: number): number {
    const s = this.starts;
    const e = this.ends;
    // Intervals over before `now` can never matter again: skip them, compacting now and then.
    while (this.head < e.length && e[this.head]! <= this.clock.now) this.head++;
    if (this.head > 64 && this.head * 2 > e.length) {
      s.splice(0, this.head);
      e.splice(0, this.head);
      this.head = 0;
    }
    let at = t;
    // The first interval ending after `at`: ends rise with starts (sorted, disjoint), so bisect.
    // Most requests arrive after every reservation (a vCPU's next call, an IOTLB flush after the
    // last one): the last end alone says so, without the ~log2(n) steps over the kept intervals.
    let i = this.head;
    let hi = e.length;
    if (hi > i && e[hi - 1]! <= at) i = hi;
    while (i < hi) {
      const mid = (i + hi) >>> 1;
      if (e[mid]! <= at) i = mid + 1;
      else hi = mid;
    }
    while (i < s.length && s[i]! < at + holdNs) {
      at = Math.max(at, e[i]!);
      i++;
    }
    const end = at + holdNs;
    this.waitNs += at - t;
    // Insert [at, end) before index i, merging with touching neighbours.
    if (i > this.head && e[i - 1]! === at) {
      e[i - 1] = end;
      if (i < s.length && s[i]! === end) {
        e[i - 1] = e[i]!;
        s.splice(i, 1);
        e.splice(i, 1);
      }
    } else if (i < s.length && s[i]! === end) s[i] = at;
    else if (i === s.length) {
      // After every reservation (the common case): a push, not a splice (which allocates).
      s.push(at);
      e.push(end);
    } else {
      s.splice(i, 0, at);
      e.splice(i, 0, end);
    }
    return end;
  }

  /**
   * `n` requests of `holdNs`, each arriving when the one before is released, the first at `t`: what
   * `n` calls of acquire make (same releases, waits and intervals); returns the last release.
   * `each(arrival, release)`, when given, sees every request in order. Once a request's reservation
   * is the last one kept and still ahead of the clock, every later request of the chain arrives at
   * its end and only extends it, so the rest costs one addition per request instead of a search.
   */
  acquireChain(t: number, holdNs: number, n: number, each?: (arrival: number, release: number) => void): number {
    let at = t;
    let k = 0;
    const e = this.ends;
    while (k < n) {
      const end = this.acquire(at, holdNs);
      each?.(at, end);
      at = end;
      k++;
      // acquire's merge would extend this reservation (the last one, not yet over) at every later request.
      if (holdNs > 0 && e[e.length - 1] === end && end > this.clock.now) break;
    }
    if (k === n) return at;
    for (; k < n; k++) {
      const arrival = at;
      at = arrival + holdNs;
      // acquire adds the wait at - t, which is 0 here.
      this.waitNs += arrival - arrival;
      each?.(arrival, at);
    }
    e[e.length - 1] = at;
    return at;
  }

  /** Busy intervals kept (for tests). */
  get intervals(): number {
    return this.starts.length - this.head;
  }
}
