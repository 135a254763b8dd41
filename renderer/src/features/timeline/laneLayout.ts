// The rows of the timeline, top to bottom: a header per component group (lane.group, and the
// variant for a run that compared variants: "percpu · guest") followed by its lanes, unless the
// group is collapsed or the name filter leaves none of them. A variant's lanes come together (the
// variants ran one after the other), every variant on its own clock from 0: hiding all but two
// variants shows them one above the other on the same time axis. Every row has the same height, so a
// row is found from y by division and only the rows in view are drawn (virtualized).
// Must not: touch the DOM.

import type { TimelineLaneInfo } from '../../../../core/contract/timeline';

export const LABEL_WIDTH_PX = 150;
export const AXIS_HEIGHT_PX = 20;
export const ROW_HEIGHT_PX = 22;

export interface GroupRow {
  readonly type: 'group';
  readonly key: string;
  readonly laneCount: number;
  readonly collapsed: boolean;
}

export interface LaneRow {
  readonly type: 'lane';
  readonly lane: TimelineLaneInfo;
  /** The name without the variant prefix (the group header shows it). */
  readonly label: string;
}

export type TimelineRow = GroupRow | LaneRow;

/** The group a lane is shown under, and its label: "guest", or "percpu · guest" for a variant's lane. */
export function groupOf(lane: TimelineLaneInfo): { key: string; label: string } {
  const slash = lane.name.indexOf('/');
  if (slash < 0) return { key: lane.group, label: lane.name };
  return { key: `${lane.name.slice(0, slash)} · ${lane.group}`, label: lane.name.slice(slash + 1) };
}

/** The variant a lane belongs to ("percpu" of "percpu/vm0.cpu0"), or '' in a run without variants. */
export function laneVariant(lane: TimelineLaneInfo): string {
  const slash = lane.name.indexOf('/');
  return slash < 0 ? '' : lane.name.slice(0, slash);
}

/** The run's variants in the order their lanes come (the order they ran); empty without variants. */
export function variantsOf(lanes: readonly TimelineLaneInfo[]): string[] {
  const seen = new Set<string>();
  for (const lane of lanes) {
    const v = laneVariant(lane);
    if (v !== '') seen.add(v);
  }
  return [...seen];
}

/** The lanes of the variants not hidden (every lane of a run without variants). */
export function lanesOfShownVariants(lanes: readonly TimelineLaneInfo[], hidden: ReadonlySet<string>): TimelineLaneInfo[] {
  return hidden.size === 0 ? [...lanes] : lanes.filter((l) => !hidden.has(laneVariant(l)));
}

/** Rows for the lanes, in lane order within groups and groups in order of their first lane. */
export function layoutRows(lanes: readonly TimelineLaneInfo[], collapsed: ReadonlySet<string>, filter: string): TimelineRow[] {
  const needle = filter.trim().toLowerCase();
  const groups = new Map<string, LaneRow[]>();
  for (const lane of lanes) {
    const g = groupOf(lane);
    if (needle !== '' && !lane.name.toLowerCase().includes(needle) && !g.key.toLowerCase().includes(needle)) continue;
    let rows = groups.get(g.key);
    if (rows === undefined) groups.set(g.key, (rows = []));
    rows.push({ type: 'lane', lane, label: g.label });
  }
  const out: TimelineRow[] = [];
  for (const [key, rows] of groups) {
    const isCollapsed = collapsed.has(key);
    out.push({ type: 'group', key, laneCount: rows.length, collapsed: isCollapsed });
    if (!isCollapsed) out.push(...rows);
  }
  return out;
}

/** The lanes the rows show (what a window query asks for). */
export function shownLaneIds(rows: readonly TimelineRow[]): number[] {
  const ids: number[] = [];
  for (const r of rows) if (r.type === 'lane') ids.push(r.lane.id);
  return ids;
}

/** Row index under a y on the canvas (the rows scrolled by scrollTopPx), or -1 over the axis. */
export function rowAtY(y: number, scrollTopPx: number): number {
  if (y < AXIS_HEIGHT_PX) return -1;
  return Math.floor((y - AXIS_HEIGHT_PX + scrollTopPx) / ROW_HEIGHT_PX);
}

/** y of a row's top on the canvas. */
export function rowTop(index: number, scrollTopPx: number): number {
  return AXIS_HEIGHT_PX + index * ROW_HEIGHT_PX - scrollTopPx;
}

/** The rows a viewport of `viewportPx` (below the axis) shows when scrolled by scrollTopPx. */
export function visibleRows(rowCount: number, scrollTopPx: number, viewportPx: number): { first: number; end: number } {
  const first = Math.max(0, Math.floor(scrollTopPx / ROW_HEIGHT_PX));
  const end = Math.min(rowCount, Math.ceil((scrollTopPx + viewportPx) / ROW_HEIGHT_PX));
  return { first, end: Math.max(first, end) };
}
