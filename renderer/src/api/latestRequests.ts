// Dropping out-of-date answers: a load that a newer one replaces must not show its answer (or its
// failure) once the newer load has been asked for. Requests are numbered; two rules read the numbers:
// - isLatest: only the newest request counts, an answer to anything older is dropped (a page
//   reloaded for another run or route, a poll overlapping a reload);
// - accept: an answer newer than the one shown is shown, an older one dropped (a moving timeline
//   view, where a fresher window than the shown one is worth drawing before the newest comes).
// Must not: fetch or time anything; callers issue, await, then ask.

/** Numbers requests and tells which answers are still worth showing. */
export class LatestRequests {
  private issued = 0;
  private shown = 0;

  issue(): number {
    return ++this.issued;
  }

  /** True while `id` is the newest request issued; once a newer one is issued its answer is stale. */
  isLatest(id: number): boolean {
    return id === this.issued;
  }

  /** True when the answer to request `id` should be shown (and from now on is the newest shown). */
  accept(id: number): boolean {
    if (id <= this.shown) return false;
    this.shown = id;
    return true;
  }

  /** Drops every answer still out (none of them will be latest or accepted). */
  dropAll(): void {
    this.accept(this.issue());
  }

  /** Whether a request newer than the shown answer is still out. */
  get pending(): boolean {
    return this.issued > this.shown;
  }
}
