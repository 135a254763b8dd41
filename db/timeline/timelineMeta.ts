// What a stored timeline says about itself: lanes (with the figures window queries need), kinds,
// strings, its extent and whether it was stored completely; and the decoding of an event row into
// the TimelineEvent the inspector shows (arguments by their kind's formats; errnos always by name).
// Must not: run window or lookup queries (timelineStore.ts, timelineWindow.ts do).

import type BetterSqlite3 from 'better-sqlite3';
import { errnoSymbol } from '../../core/contract/errnoNames';
import type { TimelineEvent, TimelineKindInfo, TimelineLaneInfo } from '../../core/contract/timeline';
import type { EventRow } from './timelineTables';

export interface StoredLane extends TimelineLaneInfo {
  readonly eventCount: number;
  /** The longest duration below the span cut: how far back a window scan looks. */
  readonly maxShortDurNs: number;
  readonly spanCutNs: number;
  /** Stored levels of detail, -1 when none: the finest stored anywhere and the coarsest. */
  readonly lodMinLevel: number;
  readonly lodMaxLevel: number;
  /**
   * The lane's time cut into segments, each storing the levels from its floor up (see
   * timelineLaneBuilder.ts), in time order; one segment from -Infinity at lodMinLevel when the lane
   * has a single one (and for timelines stored before segments existed).
   */
  readonly segments: readonly LodSegment[];
}

export interface LodSegment {
  readonly fromNs: number;
  readonly floor: number;
}

export interface TimelineMeta {
  readonly runId: number;
  readonly lanes: readonly StoredLane[];
  readonly kinds: readonly TimelineKindInfo[];
  readonly strings: readonly string[];
  readonly eventCount: number;
  readonly startNs: number;
  readonly endNs: number;
  readonly failureCount: number;
  /** False while storing, or when the process storing it died. */
  readonly complete: boolean;
}

/** The timeline of a run, or undefined when it has none stored. */
export function readTimelineMeta(db: BetterSqlite3.Database, runId: number): TimelineMeta | undefined {
  const run = db.prepare('SELECT event_count, start_ns, end_ns, failure_count, complete FROM timeline_runs WHERE run_id = ?').get(runId) as
    { event_count: number; start_ns: number; end_ns: number; failure_count: number; complete: number } | undefined;
  if (run === undefined) return undefined;
  const lanes = (
    db
      .prepare(
        `SELECT lane, name, grp, max_dur, event_count, span_cut, lod_min_level, lod_max_level, lod_segments
         FROM timeline_lanes WHERE run_id = ? ORDER BY lane`,
      )
      .all(runId) as {
      lane: number;
      name: string;
      grp: string;
      max_dur: number;
      event_count: number;
      span_cut: number;
      lod_min_level: number;
      lod_max_level: number;
      lod_segments: Buffer | null;
    }[]
  ).map((r) => ({
    id: r.lane,
    name: r.name,
    group: r.grp,
    eventCount: r.event_count,
    maxShortDurNs: r.max_dur,
    spanCutNs: r.span_cut,
    lodMinLevel: r.lod_min_level,
    lodMaxLevel: r.lod_max_level,
    segments: segmentsOf(r.lod_segments, r.lod_min_level),
  }));
  const kinds = (
    db.prepare('SELECT kind, name, args_json, failure FROM timeline_kinds WHERE run_id = ? ORDER BY kind').all(runId) as {
      kind: number;
      name: string;
      args_json: string;
      failure: number;
    }[]
  ).map((r) => ({ id: r.kind, name: r.name, args: JSON.parse(r.args_json) as TimelineKindInfo['args'], failure: r.failure === 1 }));
  const strings = db.prepare('SELECT value FROM timeline_strings WHERE run_id = ? ORDER BY idx').pluck().all(runId) as string[];
  return {
    runId,
    lanes,
    kinds,
    strings,
    eventCount: run.event_count,
    startNs: run.start_ns,
    endNs: run.end_ns,
    failureCount: run.failure_count,
    complete: run.complete === 1,
  };
}

/** A lane's segments from their blob ([from, floor] pairs of Float64), or the one segment of its min level. */
function segmentsOf(blob: Buffer | null, minLevel: number): LodSegment[] {
  if (blob === null) return [{ fromNs: Number.NEGATIVE_INFINITY, floor: minLevel }];
  const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const out: LodSegment[] = [];
  for (let o = 0; o + 16 <= blob.byteLength; o += 16) out.push({ fromNs: v.getFloat64(o, true), floor: v.getFloat64(o + 8, true) });
  return out;
}

/** The lane list as the contract shows it (without the store's figures). */
export function laneInfos(meta: TimelineMeta): TimelineLaneInfo[] {
  return meta.lanes.map((l) => ({ id: l.id, name: l.name, group: l.group }));
}

export function decodeEvent(row: EventRow, meta: TimelineMeta): TimelineEvent {
  return decodeEventValues([row.seq, row.t, row.dur, row.lane, row.kind, row.a0, row.a1, row.a2, row.cause], meta);
}

/** An event row as the array a raw-mode statement returns, in EVENT_COLUMNS order. */
export type EventValues = [
  seq: number,
  t: number,
  dur: number,
  lane: number,
  kind: number,
  a0: number,
  a1: number,
  a2: number,
  cause: number | null,
];

export function decodeEventValues(v: EventValues, meta: TimelineMeta): TimelineEvent {
  const kind = meta.kinds[v[4]];
  return {
    seq: v[0],
    tNs: v[1],
    durNs: v[2],
    lane: v[3],
    kind: kind?.name ?? `kind#${v[4]}`,
    failure: kind?.failure ?? false,
    args: kind === undefined ? {} : decodeArgs(kind, v, meta.strings),
    cause: v[8],
  };
}

function decodeArgs(kind: TimelineKindInfo, v: EventValues, strings: readonly string[]): Record<string, number | string> {
  const args: Record<string, number | string> = {};
  const specs = kind.args;
  for (let i = 0; i < specs.length && i < 3; i++) {
    const a = specs[i]!;
    const x = v[5 + i] as number;
    switch (a.format) {
      case 'errno':
      case 'str':
        args[a.name] = strings[x] ?? `#${x}`;
        break;
      case 'hex':
        args[a.name] = '0x' + x.toString(16);
        break;
      case 'int':
        // Runs stored before every errno was interned as its name kept fio's as a number: name it
        // here, so the inspector, the exports and queries never show "errno 12".
        args[a.name] = a.name === 'errno' && x !== 0 ? errnoSymbol(x) : x;
        break;
      case 'bytes':
      case 'ns':
        args[a.name] = x;
        break;
      default: {
        const never: never = a.format;
        throw new Error(`unknown arg format ${String(never)}`);
      }
    }
  }
  return args;
}
