import { describe, expect, it } from 'vitest';
import { clampWindow, hitTest, LABEL_WIDTH_PX, laneRowOf, panWindow, timeToX, xToTime, zoomWindow } from './timelineView';
import type { TimelineEvent } from '../../../core/contract/timeline';

const w = { startNs: 0, endNs: 1000 };

describe('timeline geometry', () => {
  it('maps time to pixels and back', () => {
    expect(timeToX(500, w, 100)).toBe(LABEL_WIDTH_PX + 50);
    expect(xToTime(LABEL_WIDTH_PX + 25, w, 100)).toBe(250);
  });

  it('zooms around the anchor, keeping the time under it fixed', () => {
    const z = zoomWindow(w, 0.5, 250, 1000);
    expect(z).toEqual({ startNs: 125, endNs: 625 });
    expect(zoomWindow(z, 100, 250, 1000)).toEqual({ startNs: 0, endNs: 1000 });
  });

  it('pans within the run', () => {
    expect(panWindow({ startNs: 100, endNs: 200 }, -500, 1000)).toEqual({ startNs: 0, endNs: 100 });
    expect(panWindow({ startNs: 100, endNs: 200 }, 5000, 1000)).toEqual({ startNs: 900, endNs: 1000 });
    expect(clampWindow({ startNs: -5, endNs: 5000 }, 1000)).toEqual({ startNs: 0, endNs: 1000 });
  });

  it('finds the event under the pointer, preferring the shortest', () => {
    const ev = (seq: number, tNs: number, durNs: number): TimelineEvent => ({
      seq,
      tNs,
      durNs,
      lane: 7,
      kind: 'k',
      failure: false,
      args: {},
      cause: null,
    });
    const events = [ev(1, 0, 1000), ev(2, 400, 20)];
    const lanes = new Map([[7, 0]]);
    const y = laneRowOf(0) + 5;
    expect(hitTest(events, lanes, timeToX(410, w, 1000), y, w, 1000)?.seq).toBe(2);
    expect(hitTest(events, lanes, timeToX(800, w, 1000), y, w, 1000)?.seq).toBe(1);
    expect(hitTest(events, lanes, timeToX(800, w, 1000), laneRowOf(3), w, 1000)).toBeNull();
  });
});
