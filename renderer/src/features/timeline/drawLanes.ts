// Drawing the lanes canvas from a scene: the time axis with unit ticks, the visible rows only
// (group headers and lanes), real events as spans coloured per kind, aggregate columns as density
// blocks shaded by their count, failures in the theme's warning colour, and the selected event
// outlined. Everything is re-projected on the current view, so an answer for an older window
// still draws in the right place while the new one is fetched.
// Must not: fetch, or allocate per event beyond what the canvas API needs.

import type { TimelineEvent } from '../../../../core/contract/timeline';
import { kindHue } from './eventFormat';
import { AXIS_HEIGHT_PX, LABEL_WIDTH_PX, ROW_HEIGHT_PX, rowTop, visibleRows, type TimelineRow } from './laneLayout';
import { timeToX, type TimeWindow } from './timeScale';
import { timeTicks } from './timeTicks';
import type { WindowIndex } from './windowIndex';

export interface Palette {
  readonly fg: string;
  readonly muted: string;
  readonly bad: string;
  readonly accent: string;
  readonly border: string;
  readonly band: string;
  readonly bg: string;
}

export function paletteOf(el: Element): Palette {
  const s = getComputedStyle(el);
  const v = (name: string, fallback: string): string => s.getPropertyValue(name).trim() || fallback;
  return {
    fg: v('--fg', '#1d1f21'),
    muted: v('--muted', '#5f6368'),
    bad: v('--bad', '#b42318'),
    accent: v('--accent', '#2b6cb0'),
    border: v('--border', '#d5d9de'),
    band: v('--panel-2', '#f0f2f5'),
    bg: v('--panel', '#fff'),
  };
}

export interface LanesScene {
  readonly widthPx: number;
  readonly heightPx: number;
  readonly rows: readonly TimelineRow[];
  readonly scrollTopPx: number;
  readonly view: TimeWindow;
  readonly index: WindowIndex | null;
  readonly selected: TimelineEvent | null;
  readonly palette: Palette;
}

const kindColors = new Map<string, string>();
function kindColor(kind: string): string {
  let c = kindColors.get(kind);
  if (c === undefined) kindColors.set(kind, (c = `hsl(${kindHue(kind)}, 55%, 52%)`));
  return c;
}

export function drawLanes(ctx: CanvasRenderingContext2D, scene: LanesScene): void {
  const { widthPx, heightPx, palette } = scene;
  const track = Math.max(1, widthPx - LABEL_WIDTH_PX);
  ctx.clearRect(0, 0, widthPx, heightPx);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  drawAxis(ctx, scene, track);
  const { first, end } = visibleRows(scene.rows.length, scene.scrollTopPx, heightPx - AXIS_HEIGHT_PX);
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, AXIS_HEIGHT_PX, widthPx, heightPx - AXIS_HEIGHT_PX);
  ctx.clip();
  for (let i = first; i < end; i++) {
    const row = scene.rows[i]!;
    const y = rowTop(i, scene.scrollTopPx);
    if (row.type === 'group') {
      ctx.fillStyle = palette.band;
      ctx.fillRect(0, y, widthPx, ROW_HEIGHT_PX);
      ctx.fillStyle = palette.fg;
      ctx.font = 'bold 11px system-ui, sans-serif';
      ctx.fillText(`${row.collapsed ? '▸' : '▾'} ${row.key} (${row.laneCount})`, 4, y + ROW_HEIGHT_PX / 2);
      ctx.font = '11px system-ui, sans-serif';
      continue;
    }
    ctx.fillStyle = palette.muted;
    ctx.fillText(row.label, 12, y + ROW_HEIGHT_PX / 2, LABEL_WIDTH_PX - 16);
    ctx.save();
    ctx.beginPath();
    ctx.rect(LABEL_WIDTH_PX, y, track, ROW_HEIGHT_PX);
    ctx.clip();
    ctx.translate(LABEL_WIDTH_PX, 0);
    if (scene.index !== null) {
      drawAggregates(ctx, scene, row.lane.id, y, track);
      drawEvents(ctx, scene, row.lane.id, y, track);
    }
    if (scene.selected?.lane === row.lane.id) drawSelection(ctx, scene, scene.selected, y, track);
    ctx.restore();
    ctx.strokeStyle = palette.border;
    ctx.beginPath();
    ctx.moveTo(0, y + ROW_HEIGHT_PX - 0.5);
    ctx.lineTo(widthPx, y + ROW_HEIGHT_PX - 0.5);
    ctx.stroke();
  }
  ctx.restore();
}

function drawAxis(ctx: CanvasRenderingContext2D, scene: LanesScene, track: number): void {
  const { palette, view } = scene;
  ctx.fillStyle = palette.bg;
  ctx.fillRect(0, 0, scene.widthPx, AXIS_HEIGHT_PX);
  ctx.strokeStyle = palette.border;
  ctx.fillStyle = palette.muted;
  for (const tick of timeTicks(view, track)) {
    const x = Math.round(LABEL_WIDTH_PX + timeToX(tick.tNs, view, track)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, AXIS_HEIGHT_PX - 5);
    ctx.lineTo(x, scene.heightPx);
    ctx.stroke();
    ctx.fillText(tick.label, x + 3, AXIS_HEIGHT_PX / 2);
  }
}

function drawAggregates(ctx: CanvasRenderingContext2D, scene: LanesScene, lane: number, y: number, track: number): void {
  const a = scene.index!.aggregatesByLane.get(lane);
  if (a === undefined) return;
  const logMax = Math.log1p(scene.index!.maxCount);
  const { view, palette } = scene;
  for (let i = 0; i < a.tNs.length; i++) {
    const x0 = timeToX(a.tNs[i]!, view, track);
    const x1 = timeToX(Math.max(a.endNs[i]!, a.tNs[i]!), view, track);
    if (x1 < -1 || x0 > track + 1) continue;
    const failed = a.failures[i]! > 0;
    ctx.globalAlpha = failed ? 1 : 0.2 + (0.8 * Math.log1p(a.count[i]!)) / logMax;
    ctx.fillStyle = failed ? palette.bad : palette.fg;
    ctx.fillRect(x0, y + 4, Math.max(1, x1 - x0), ROW_HEIGHT_PX - 8);
  }
  ctx.globalAlpha = 1;
}

function drawEvents(ctx: CanvasRenderingContext2D, scene: LanesScene, lane: number, y: number, track: number): void {
  const { view, palette } = scene;
  for (const e of scene.index!.eventsByLane.get(lane) ?? []) {
    const x0 = timeToX(e.tNs, view, track);
    const x1 = timeToX(e.tNs + e.durNs, view, track);
    if (x1 < -1 || x0 > track + 1) continue;
    const w = Math.max(1.5, x1 - x0);
    ctx.fillStyle = e.failure ? palette.bad : kindColor(e.kind);
    ctx.fillRect(x0, y + 3, w, ROW_HEIGHT_PX - 6);
    if (w > 50) {
      ctx.fillStyle = '#fff';
      ctx.fillText(e.kind, Math.max(0, x0) + 3, y + ROW_HEIGHT_PX / 2, Math.min(w, track) - 6);
    }
  }
}

function drawSelection(ctx: CanvasRenderingContext2D, scene: LanesScene, e: TimelineEvent, y: number, track: number): void {
  const x0 = timeToX(e.tNs, scene.view, track);
  const x1 = timeToX(e.tNs + e.durNs, scene.view, track);
  ctx.strokeStyle = scene.palette.accent;
  ctx.lineWidth = 2;
  ctx.strokeRect(x0 - 2, y + 1, Math.max(1.5, x1 - x0) + 4, ROW_HEIGHT_PX - 2);
  ctx.lineWidth = 1;
}
