import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  clampWindow,
  focusWindow,
  FOCUS_MIN_SPAN_NS,
  MIN_SPAN_NS,
  panWindow,
  spanOf,
  timeToX,
  wholeRun,
  xToTime,
  zoomWindow,
  type TimeWindow,
} from './timeScale';

const TOTAL = 4_000_000_000;
const windowArb = fc
  .tuple(fc.double({ min: 0, max: TOTAL, noNaN: true }), fc.double({ min: MIN_SPAN_NS, max: TOTAL, noNaN: true }))
  .map(([start, span]) => clampWindow({ startNs: start, endNs: start + span }, TOTAL));

function inside(w: TimeWindow): boolean {
  return w.startNs >= 0 && w.endNs <= TOTAL + 1e-3 && spanOf(w) >= MIN_SPAN_NS - 1e-6;
}

describe('time scale', () => {
  it('maps time to track pixels and back', () => {
    const w = { startNs: 1000, endNs: 2000 };
    expect(timeToX(1500, w, 100)).toBe(50);
    expect(xToTime(25, w, 100)).toBe(1250);
  });

  it('zoom keeps the time under the anchor at the same pixel when the run has room', () => {
    fc.assert(
      fc.property(windowArb, fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0.5, 0.8, 1.25, 2), (w, at, factor) => {
        const anchor = w.startNs + at * spanOf(w);
        const z = zoomWindow(w, factor, anchor, TOTAL);
        expect(inside(z)).toBe(true);
        const unclamped = spanOf(w) * factor;
        const room = anchor - at * unclamped >= 0 && anchor + (1 - at) * unclamped <= TOTAL;
        if (unclamped >= MIN_SPAN_NS && room) expect(timeToX(anchor, z, 1000)).toBeCloseTo(at * 1000, 3);
      }),
    );
  });

  it('pan clamps to the run and keeps the span', () => {
    fc.assert(
      fc.property(windowArb, fc.double({ min: -2 * TOTAL, max: 2 * TOTAL, noNaN: true }), (w, delta) => {
        const p = panWindow(w, delta, TOTAL);
        expect(inside(p)).toBe(true);
        expect(spanOf(p)).toBeCloseTo(spanOf(w), 3);
      }),
    );
  });

  it('zooming out far shows the whole run and no more; zooming in stops at the narrowest span', () => {
    expect(zoomWindow({ startNs: 10, endNs: 110 }, 1e12, 50, TOTAL)).toEqual(wholeRun(TOTAL));
    expect(spanOf(zoomWindow({ startNs: 10, endNs: 110 }, 1e-9, 50, TOTAL))).toBe(MIN_SPAN_NS);
  });

  it('focusing an event from the whole run zooms onto it, centred', () => {
    const f = focusWindow({ tNs: 1_000_000, durNs: 500 }, wholeRun(TOTAL), TOTAL);
    expect(spanOf(f)).toBe(FOCUS_MIN_SPAN_NS);
    expect((f.startNs + f.endNs) / 2).toBe(1_000_250);
  });

  it('focusing keeps a closer view, but widens one narrower than the event', () => {
    expect(spanOf(focusWindow({ tNs: 1_000_000, durNs: 10 }, { startNs: 0, endNs: 5000 }, TOTAL))).toBe(5000);
    expect(spanOf(focusWindow({ tNs: 1_000_000, durNs: 1_000_000 }, wholeRun(TOTAL), TOTAL))).toBe(4_000_000);
    expect(spanOf(focusWindow({ tNs: 1_000_000, durNs: 4000 }, { startNs: 0, endNs: 100 }, TOTAL))).toBe(6000);
  });
});
