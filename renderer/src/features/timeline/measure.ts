// Measuring on the timeline: two markers (A, B) put with shift-click on the lanes or M at the
// selected event; the distance between them with its unit. A third marker starts a new measure.
// Times are on the axis shown (a run with variants: each variant's own clock from 0).
// Must not: draw or touch the DOM (TimelineCanvas.vue draws the markers, the toolbar shows the text).

import { formatNs } from '../../format/units';
import type { TimelineHit } from './windowIndex';

/** The markers after putting one at `tNs`: A, then B, then A again (B dropped). */
export function placeMarker(markers: readonly number[], tNs: number): number[] {
  const t = Math.max(0, Math.round(tNs));
  return markers.length >= 2 ? [t] : [...markers, t];
}

/** Where a shift-click puts its marker: the start of the event it hit, else the time under the pointer. */
export function markerTime(hit: TimelineHit | null, pointerNs: number): number {
  return hit?.type === 'event' ? hit.event.tNs : Math.max(0, Math.round(pointerNs));
}

/** B - A in ns (negative when B is left of A), or null without two markers. */
export function measuredNs(markers: readonly number[]): number | null {
  return markers.length === 2 ? markers[1]! - markers[0]! : null;
}

/** The toolbar's line: the distance with its unit and where the markers are; what to do next with one. */
export function measureText(markers: readonly number[]): string | null {
  const [a, b] = markers;
  if (a === undefined) return null;
  if (b === undefined) return `A at ${formatNs(a)}: shift-click (or M at an event) for B`;
  return `Δt = ${formatNs(Math.abs(b - a))} (A ${formatNs(a)} → B ${formatNs(b)})`;
}
