// Every stored event of a run in time order (t, then seq), for exports: the rows are clustered by
// lane, so each lane is read in keyset pages along its primary key and the lanes are merged with a
// small heap. No cursor stays open between pages (a caller may yield to the event loop between
// rows, and the connection keeps serving other calls meanwhile), and memory stays at one page per lane.
// Must not: write; hold more than one page per lane.

import type BetterSqlite3 from 'better-sqlite3';
import { EVENT_COLUMNS, eventsTableOf, type EventRow } from './timelineTables';

const PAGE_ROWS = 2048;

interface LaneCursor {
  readonly lane: number;
  rows: EventRow[];
  at: number;
  done: boolean;
}

export function laneFirstPageSql(runId: number): string {
  return `SELECT ${EVENT_COLUMNS} FROM ${eventsTableOf(runId)} WHERE lane = ? ORDER BY t, seq LIMIT ?`;
}

export function laneNextPageSql(runId: number): string {
  return `SELECT ${EVENT_COLUMNS} FROM ${eventsTableOf(runId)} WHERE lane = ? AND (t, seq) > (?, ?) ORDER BY t, seq LIMIT ?`;
}

export function* scanTimeline(
  db: BetterSqlite3.Database,
  runId: number,
  laneIds: readonly number[],
  pageRows = PAGE_ROWS,
): Generator<EventRow> {
  const first = db.prepare(laneFirstPageSql(runId));
  const next = db.prepare(laneNextPageSql(runId));
  const fill = (c: LaneCursor): void => {
    const last = c.rows[c.rows.length - 1];
    c.rows = (last === undefined ? first.all(c.lane, pageRows) : next.all(c.lane, last.t, last.seq, pageRows)) as EventRow[];
    c.at = 0;
    c.done = c.rows.length === 0;
  };
  const heap: LaneCursor[] = [];
  for (const lane of laneIds) {
    const c: LaneCursor = { lane, rows: [], at: 0, done: false };
    fill(c);
    if (!c.done) heapPush(heap, c);
  }
  while (heap.length > 0) {
    const c = heap[0]!;
    yield c.rows[c.at]!;
    c.at++;
    if (c.at === c.rows.length) {
      if (c.rows.length === pageRows) fill(c);
      else c.done = true;
    }
    if (c.done) heapPopTop(heap);
    else siftDown(heap, 0);
  }
}

function before(a: LaneCursor, b: LaneCursor): boolean {
  const x = a.rows[a.at]!;
  const y = b.rows[b.at]!;
  return x.t < y.t || (x.t === y.t && x.seq < y.seq);
}

function heapPush(heap: LaneCursor[], c: LaneCursor): void {
  heap.push(c);
  let i = heap.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!before(heap[i]!, heap[p]!)) break;
    [heap[i], heap[p]] = [heap[p]!, heap[i]!];
    i = p;
  }
}

function heapPopTop(heap: LaneCursor[]): void {
  const last = heap.pop()!;
  if (heap.length === 0) return;
  heap[0] = last;
  siftDown(heap, 0);
}

function siftDown(heap: LaneCursor[], i: number): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
    if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
    if (m === i) return;
    [heap[i], heap[m]] = [heap[m]!, heap[i]!];
    i = m;
  }
}
