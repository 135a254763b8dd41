// The pointer on the timeline as a small state machine: idle -> pressed (a click if released
// within CLICK_SLOP_PX) -> dragging (pans the window it started from, clamped to the run).
// Must not: touch the DOM.

import { panWindow, spanOf, type TimeWindow } from './timeScale';

export const CLICK_SLOP_PX = 4;

type State = { readonly kind: 'idle' } | { readonly kind: 'pressed' | 'dragging'; readonly x: number; readonly from: TimeWindow };

export type GestureResult = { readonly type: 'none' } | { readonly type: 'pan'; readonly window: TimeWindow } | { readonly type: 'click' };

export class PointerGesture {
  private state: State = { kind: 'idle' };

  get dragging(): boolean {
    return this.state.kind === 'dragging';
  }

  down(x: number, view: TimeWindow): void {
    this.state = { kind: 'pressed', x, from: view };
  }

  move(x: number, trackWidthPx: number, totalNs: number): GestureResult {
    const s = this.state;
    if (s.kind === 'idle') return { type: 'none' };
    if (s.kind === 'pressed' && Math.abs(x - s.x) <= CLICK_SLOP_PX) return { type: 'none' };
    this.state = { ...s, kind: 'dragging' };
    const nsPerPx = spanOf(s.from) / Math.max(1, trackWidthPx);
    return { type: 'pan', window: panWindow(s.from, -(x - s.x) * nsPerPx, totalNs) };
  }

  up(): GestureResult {
    const was = this.state.kind;
    this.state = { kind: 'idle' };
    return was === 'pressed' ? { type: 'click' } : { type: 'none' };
  }

  cancel(): void {
    this.state = { kind: 'idle' };
  }
}
