import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DebouncedFetch } from './windowRequests';

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
