// The gap-filling lock as it was before its search by bisection (gapFillingLock.ts): the first
// interval ending after a request found by stepping from the oldest one still ahead. Kept as the
// oracle of gapFillingLock.modelBased.test.ts.
// Must not: be imported outside tests (*.testkit.ts).

export class GapFillingLockReference {
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
    let i = this.head;
    while (i < s.length && e[i]! <= at) i++;
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
    else {
      s.splice(i, 0, at);
      e.splice(i, 0, end);
    }
    return end;
  }

  /** Busy intervals kept (for tests). */
  get intervals(): number {
    return this.starts.length - this.head;
  }
}
