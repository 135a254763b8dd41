import { describe, expect, it } from 'vitest';
import { EehFreezeWindow } from './eehFreezeWindow';

const S = 1e9;

describe('freeze count over the last hour (eeh_pe_update_time_stamp, eeh_max_freezes)', () => {
  it('five freezes within the hour are tolerated, the sixth exceeds eeh_max_freezes = 5', () => {
    const w = new EehFreezeWindow(5, 3600);
    const over = [0, 60, 120, 180, 240, 300].map((s) => w.recordFreeze(s * S));
    expect(over).toEqual([false, false, false, false, false, true]);
  });

  it('a freeze exactly 3600 s after the first of the window still counts (the test is tstamp - pe->tstamp > 3600)', () => {
    const w = new EehFreezeWindow(5, 3600);
    for (const s of [0, 10, 20, 30, 40]) w.recordFreeze(s * S);
    expect(w.recordFreeze(3600 * S)).toBe(true);
    expect(w.freezeCount).toBe(6);
  });

  it('one second more and the window restarts: the count is back to 1', () => {
    const w = new EehFreezeWindow(5, 3600);
    for (const s of [0, 10, 20, 30, 40]) w.recordFreeze(s * S);
    expect(w.recordFreeze(3601 * S)).toBe(false);
    expect([w.freezeCount, w.tstampS]).toEqual([1, 3601]);
  });

  it('time is in whole seconds (ktime_get_seconds): 3600.999 s after the first freeze is still "3600"', () => {
    const w = new EehFreezeWindow(5, 3600);
    for (const s of [0.5, 10, 20, 30, 40]) w.recordFreeze(s * S);
    expect(w.recordFreeze(3600.999 * S)).toBe(true);
  });

  it('the window is measured from its first freeze, not from the previous one', () => {
    const w = new EehFreezeWindow(5, 3600);
    for (const s of [0, 3000, 3100, 3200, 3300]) w.recordFreeze(s * S);
    // 3700 s: more than an hour after the first (0 s) -> restart, although only 400 s after the previous.
    expect(w.recordFreeze(3700 * S)).toBe(false);
    expect(w.freezeCount).toBe(1);
  });

  it('eeh_max_freezes = 0 fails the PE at its first freeze', () => {
    expect(new EehFreezeWindow(0, 3600).recordFreeze(0)).toBe(true);
  });
});
