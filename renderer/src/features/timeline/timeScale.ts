// The visible time window of the timeline and its moves: time <-> pixel mapping over the track,
// zoom around an anchor, pan, "whole run", and focusing an event. Windows are clamped to the run
// [0, totalNs] and never narrower than MIN_SPAN_NS. Pure: the canvas and the keys only call these.
// Must not: touch the DOM or round (rounding happens when a window is sent to the store).

export interface TimeWindow {
  readonly startNs: number;
  readonly endNs: number;
}

/** The narrowest window: a few nanoseconds still separate two events one ns apart. */
export const MIN_SPAN_NS = 20;
/** What one zoom step (button, key) multiplies the span by. */
export const ZOOM_STEP = 0.5;
/** What a pan key moves, as a fraction of the visible span. */
export const PAN_STEP = 0.2;

export function spanOf(w: TimeWindow): number {
  return w.endNs - w.startNs;
}

/** x of a time, in pixels from the track's left edge. */
export function timeToX(tNs: number, w: TimeWindow, widthPx: number): number {
  return ((tNs - w.startNs) / Math.max(1e-9, spanOf(w))) * widthPx;
}

export function xToTime(x: number, w: TimeWindow, widthPx: number): number {
  return w.startNs + (x / Math.max(1, widthPx)) * spanOf(w);
}

export function wholeRun(totalNs: number): TimeWindow {
  return { startNs: 0, endNs: Math.max(MIN_SPAN_NS, totalNs) };
}

/** The window moved (not resized) to lie inside [0, totalNs]; resized only when wider than the run. */
export function clampWindow(w: TimeWindow, totalNs: number): TimeWindow {
  const total = Math.max(MIN_SPAN_NS, totalNs);
  const span = Math.min(total, Math.max(MIN_SPAN_NS, spanOf(w)));
  const start = Math.max(0, Math.min(w.startNs, total - span));
  return { startNs: start, endNs: start + span };
}

/** Zooms by `factor` (< 1 zooms in) keeping the time at `anchorNs` at the same pixel, unless clamping must move it. */
export function zoomWindow(w: TimeWindow, factor: number, anchorNs: number, totalNs: number): TimeWindow {
  const total = Math.max(MIN_SPAN_NS, totalNs);
  const span = Math.min(total, Math.max(MIN_SPAN_NS, spanOf(w) * factor));
  const ratio = (anchorNs - w.startNs) / Math.max(1e-9, spanOf(w));
  const start = anchorNs - ratio * span;
  return clampWindow({ startNs: start, endNs: start + span }, total);
}

export function zoomAtCenter(w: TimeWindow, factor: number, totalNs: number): TimeWindow {
  return zoomWindow(w, factor, (w.startNs + w.endNs) / 2, totalNs);
}

export function panWindow(w: TimeWindow, deltaNs: number, totalNs: number): TimeWindow {
  return clampWindow({ startNs: w.startNs + deltaNs, endNs: w.endNs + deltaNs }, totalNs);
}

/** Pans by a fraction of the visible span (keys: -PAN_STEP left, +PAN_STEP right). */
export function panByFraction(w: TimeWindow, fraction: number, totalNs: number): TimeWindow {
  return panWindow(w, spanOf(w) * fraction, totalNs);
}

export function centerWindow(tNs: number, spanNs: number, totalNs: number): TimeWindow {
  return clampWindow({ startNs: tNs - spanNs / 2, endNs: tNs + spanNs / 2 }, totalNs);
}

/** Fewest ns shown around a focused event: a point event stays readable among its neighbours. */
export const FOCUS_MIN_SPAN_NS = 20_000;

/**
 * The window that shows an event: centred on it, keeping the current span when the event fits in
 * it and the view is already close (at most 4 times the event, or FOCUS_MIN_SPAN_NS); otherwise
 * zoomed to that. Jumping to a failure from the whole run thus lands zoomed in on it.
 */
export function focusWindow(event: { readonly tNs: number; readonly durNs: number }, w: TimeWindow, totalNs: number): TimeWindow {
  const dur = Math.max(0, event.durNs);
  const widest = Math.max(FOCUS_MIN_SPAN_NS, dur * 4);
  const narrowest = Math.max(MIN_SPAN_NS, dur * 1.5);
  const span = Math.min(widest, Math.max(narrowest, spanOf(w)));
  return centerWindow(event.tNs + dur / 2, span, totalNs);
}

/** The window a store query asks for: whole nanoseconds covering the view. */
export function queryBounds(w: TimeWindow): TimeWindow {
  return { startNs: Math.floor(w.startNs), endNs: Math.ceil(w.endNs) };
}
