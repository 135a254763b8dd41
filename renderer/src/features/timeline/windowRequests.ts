// Keeping window fetches in step with a moving view: requests are numbered and an answer older
// than the one already shown is dropped (a slow wide window must not overwrite a fresh narrow one);
// while the view moves, fetches are debounced, yet issued at least every maxWaitMs so a long drag
// still fills in.
// Must not: fetch or touch the DOM (timers are injected).

/** Numbers requests; accepts an answer only when it is newer than the last accepted one. */
export class LatestRequests {
  private issued = 0;
  private shown = 0;

  issue(): number {
    return ++this.issued;
  }

  /** True when the answer to request `id` should be shown (and from now on is the newest shown). */
  accept(id: number): boolean {
    if (id <= this.shown) return false;
    this.shown = id;
    return true;
  }

  /** Whether a request newer than the shown answer is still out. */
  get pending(): boolean {
    return this.issued > this.shown;
  }
}

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
