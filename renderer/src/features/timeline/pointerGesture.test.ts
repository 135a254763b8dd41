import { describe, expect, it } from 'vitest';
import { PointerGesture } from './pointerGesture';

const view = { startNs: 1000, endNs: 2000 };

describe('pointer gesture', () => {
  it('a press released without moving is a click', () => {
    const g = new PointerGesture();
    g.down(100, view);
    expect(g.move(102, 1000, 10_000)).toEqual({ type: 'none' });
    expect(g.up()).toEqual({ type: 'click' });
  });

  it('a drag pans the window it started from, the content following the pointer', () => {
    const g = new PointerGesture();
    g.down(100, view);
    expect(g.move(300, 1000, 10_000)).toEqual({ type: 'pan', window: { startNs: 800, endNs: 1800 } });
    expect(g.move(0, 1000, 10_000)).toEqual({ type: 'pan', window: { startNs: 1100, endNs: 2100 } });
    expect(g.dragging).toBe(true);
    expect(g.up()).toEqual({ type: 'none' });
  });

  it('a drag stops at the run start; moving without a press does nothing', () => {
    const g = new PointerGesture();
    expect(g.move(50, 1000, 10_000)).toEqual({ type: 'none' });
    g.down(0, view);
    expect(g.move(5000, 1000, 10_000)).toEqual({ type: 'pan', window: { startNs: 0, endNs: 1000 } });
  });
});
