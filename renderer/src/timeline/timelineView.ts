// Geometry of the timeline canvas: the visible time window, lane rows, time <-> pixel mapping,
// zoom around a point, pan, and which event lies under the pointer. Pure functions, so the
// canvas component only draws.
// Must not: touch the DOM.

import type { TimelineEvent } from '../../../core/contract/timeline';

export const LABEL_WIDTH_PX = 150;
export const LANE_HEIGHT_PX = 22;
export const AXIS_HEIGHT_PX = 20;

export interface TimeWindow {
  readonly startNs: number;
  readonly endNs: number;
}

export function timeToX(t: number, w: TimeWindow, trackWidth: number): number {
  return LABEL_WIDTH_PX + ((t - w.startNs) / Math.max(1, w.endNs - w.startNs)) * trackWidth;
}

export function xToTime(x: number, w: TimeWindow, trackWidth: number): number {
  return w.startNs + ((x - LABEL_WIDTH_PX) / trackWidth) * (w.endNs - w.startNs);
}

/** Zooms by `factor` (< 1 zooms in) keeping the time under `anchorNs` fixed, clamped to [0, totalNs]. */
export function zoomWindow(w: TimeWindow, factor: number, anchorNs: number, totalNs: number): TimeWindow {
  const minSpan = 10;
  const span = Math.min(totalNs, Math.max(minSpan, (w.endNs - w.startNs) * factor));
  const ratio = (anchorNs - w.startNs) / Math.max(1, w.endNs - w.startNs);
  return clampWindow({ startNs: anchorNs - ratio * span, endNs: anchorNs - ratio * span + span }, totalNs);
}

export function panWindow(w: TimeWindow, deltaNs: number, totalNs: number): TimeWindow {
  return clampWindow({ startNs: w.startNs + deltaNs, endNs: w.endNs + deltaNs }, totalNs);
}

export function clampWindow(w: TimeWindow, totalNs: number): TimeWindow {
  const span = Math.min(w.endNs - w.startNs, totalNs);
  let start = Math.max(0, Math.min(w.startNs, totalNs - span));
  start = Math.round(start);
  return { startNs: start, endNs: Math.round(start + span) };
}

export function laneRowOf(laneIndex: number): number {
  return AXIS_HEIGHT_PX + laneIndex * LANE_HEIGHT_PX;
}

/** The event drawn under (x, y), preferring the shortest one when spans overlap. */
export function hitTest(
  events: readonly TimelineEvent[],
  laneOrder: ReadonlyMap<number, number>,
  x: number,
  y: number,
  w: TimeWindow,
  trackWidth: number,
): TimelineEvent | null {
  const laneIndex = Math.floor((y - AXIS_HEIGHT_PX) / LANE_HEIGHT_PX);
  let best: TimelineEvent | null = null;
  for (const e of events) {
    if (laneOrder.get(e.lane) !== laneIndex) continue;
    const x0 = timeToX(e.tNs, w, trackWidth);
    const x1 = Math.max(x0 + 2, timeToX(e.tNs + e.durNs, w, trackWidth));
    if (x >= x0 - 1 && x <= x1 + 1 && (best === null || e.durNs < best.durNs)) best = e;
  }
  return best;
}

/** A stable color per event kind; failures are always red. */
export function colorOf(kind: string, failure: boolean): string {
  if (failure) return '#d7263d';
  let h = 0;
  for (let i = 0; i < kind.length; i++) h = (h * 31 + kind.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360}, 55%, 52%)`;
}
