import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { DebouncedFetch, LatestRequests } from './windowRequests';

describe('stale window answers', () => {
  it('an answer older than the one shown is dropped', () => {
    const r = new LatestRequests();
    const a = r.issue();
    const b = r.issue();
    expect(r.accept(b)).toBe(true);
    expect(r.accept(a)).toBe(false);
    expect(r.pending).toBe(false);
  });

  it('whatever order answers arrive in, the shown ids only increase and the newest is shown last', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }).chain((n) =>
          fc.shuffledSubarray(
            [...Array(n).keys()].map((i) => i + 1),
            { minLength: n },
          ),
        ),
        (order) => {
          const r = new LatestRequests();
          for (let i = 0; i < order.length; i++) r.issue();
          let last = 0;
          for (const id of order) {
            if (!r.accept(id)) continue;
            expect(id).toBeGreaterThan(last);
            last = id;
          }
          expect(last).toBe(order.length);
        },
      ),
    );
  });
});

describe('debounced fetching while the view moves', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  const timers = {
    now: () => Date.now(),
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as number),
  };

  it('fetches once, waitMs after the last move', () => {
    const fn = vi.fn();
    const d = new DebouncedFetch(fn, 40, 150, timers);
    d.poke();
    vi.advanceTimersByTime(30);
    d.poke();
    vi.advanceTimersByTime(30);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(10);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('a continuous drag still fetches every maxWaitMs', () => {
    const fn = vi.fn();
    const d = new DebouncedFetch(fn, 40, 150, timers);
    for (let t = 0; t < 600; t += 16) {
      d.poke();
      vi.advanceTimersByTime(16);
    }
    expect(fn.mock.calls.length).toBeGreaterThanOrEqual(3);
  });
});
