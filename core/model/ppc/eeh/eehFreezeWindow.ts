// The guest kernel's per-PE freeze counter (struct eeh_pe freeze_count and tstamp): how many times the
// PE froze since the first freeze of the current window, in whole seconds of guest monotonic time
// (ktime_get_seconds). More than eeh_max_freezes freezes in the window fail the PE permanently.
// Must not: count anything but the events eeh_handle_normal_event handles (one per recovery).

const NS_PER_S = 1_000_000_000;

export class EehFreezeWindow {
  freezeCount = 0;
  /** Second of the freeze that opened the current window. */
  tstampS = 0;

  constructor(
    readonly maxFreezes: number,
    readonly windowS: number,
  ) {}

  /**
   * eeh_handle_normal_event: eeh_pe_update_time_stamp, then freeze_count++. The window restarts only
   * when strictly more than windowS seconds passed since its first freeze (tstamp - pe->tstamp > 3600),
   * so a freeze exactly windowS seconds later still counts. Returns true when the count now exceeds
   * maxFreezes (the caller fails the PE permanently).
   */
  recordFreeze(tNs: number): boolean {
    const nowS = Math.floor(tNs / NS_PER_S);
    if (this.freezeCount <= 0) {
      this.freezeCount = 0;
      this.tstampS = nowS;
    } else if (nowS - this.tstampS > this.windowS) {
      this.tstampS = nowS;
      this.freezeCount = 0;
    }
    this.freezeCount++;
    return this.freezeCount > this.maxFreezes;
  }

  /** A guest reboot starts a fresh kernel with fresh counters. */
  clear(): void {
    this.freezeCount = 0;
    this.tstampS = 0;
  }

  snapshot(): unknown {
    return { freezeCount: this.freezeCount, tstampS: this.tstampS };
  }
}
