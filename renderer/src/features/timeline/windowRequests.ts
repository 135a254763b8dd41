// Keeping window fetches in step with a moving view: while the view moves, fetches are debounced,
// yet issued at least every maxWaitMs so a long drag still fills in (answers older than the one
// shown are dropped by LatestRequests.accept, api/latestRequests.ts).
// Must not: fetch or touch the DOM (timers are injected).

export interface Timers {
  readonly now: () => number;
  readonly setTimeout: (fn: () => void, ms: number) => unknown;
  readonly clearTimeout: (handle: unknown) => void;
}

/** Calls `fn` waitMs after the last poke, or maxWaitMs after the first unserved poke, whichever is first. */
export class DebouncedFetch {
  private timer: unknown = null;
  private firstPokeAt: number | null = null;

  constructor(
    private readonly fn: () => void,
    private readonly waitMs: number,
    private readonly maxWaitMs: number,
    private readonly timers: Timers,
  ) {}

  poke(): void {
    const now = this.timers.now();
    this.firstPokeAt ??= now;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    const delay = Math.max(0, Math.min(this.waitMs, this.firstPokeAt + this.maxWaitMs - now));
    this.timer = this.timers.setTimeout(() => this.fire(), delay);
  }

  /** Runs now whatever was waiting. */
  flush(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.fire();
  }

  cancel(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.firstPokeAt = null;
  }

  private fire(): void {
    this.timer = null;
    this.firstPokeAt = null;
    this.fn();
  }
}
