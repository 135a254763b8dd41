// Timeline events in the store: batched inserts (one transaction per batch, so a killed run
// leaves whole batches and an intact database) and window queries on the (run, lane, t) index.
// A lane remembers its longest span, so "events overlapping [start, end]" stays one range scan:
// t in [start - maxDur, end] and t + dur >= start.
// Must not: aggregate for display beyond what a query asks (the renderer draws).

import type { LabDatabase } from './database';
import type { TimelineColumns } from '../core/sim/timelineRecorder';
import type { TimelineEvent, TimelineKindInfo, TimelineLaneInfo, TimelineWindow, TimelineWindowQuery } from '../core/contract/timeline';

const BATCH_ROWS = 20_000;
const DEFAULT_WINDOW_LIMIT = 5_000;

interface EventRow {
  seq: number;
  t: number;
  dur: number;
  lane: number;
  kind: number;
  a0: number;
  a1: number;
  a2: number;
  cause: number | null;
}

export interface TimelineMeta {
  readonly lanes: readonly TimelineLaneInfo[];
  readonly kinds: readonly TimelineKindInfo[];
  readonly strings: readonly string[];
}

export class TimelineStore {
  constructor(private readonly db: LabDatabase) {}

  /** Stores lanes, kinds, strings and every event; `onBatch` reports rows stored so far. */
  insert(runId: number, cols: TimelineColumns, onBatch?: (stored: number) => void): void {
    const maxDur = new Float64Array(cols.lanes.length);
    for (let i = 0; i < cols.count; i++) {
      const l = cols.lane[i]!;
      if (cols.dur[i]! > maxDur[l]!) maxDur[l] = cols.dur[i]!;
    }
    this.db.transaction(() => {
      const lane = this.db.prepare('INSERT INTO timeline_lanes (run_id, lane, name, grp, max_dur) VALUES (?,?,?,?,?)');
      for (const l of cols.lanes) lane.run(runId, l.id, l.name, l.group, maxDur[l.id]);
      const kind = this.db.prepare('INSERT INTO timeline_kinds (run_id, kind, name, args_json, failure) VALUES (?,?,?,?,?)');
      for (const k of cols.kinds) kind.run(runId, k.id, k.name, JSON.stringify(k.args), k.failure ? 1 : 0);
      const str = this.db.prepare('INSERT INTO timeline_strings (run_id, idx, value) VALUES (?,?,?)');
      cols.strings.forEach((s, i) => str.run(runId, i, s));
    })();
    const insert = this.db.prepare(
      'INSERT INTO timeline_events (run_id, seq, t, dur, lane, kind, a0, a1, a2, cause) VALUES (?,?,?,?,?,?,?,?,?,?)',
    );
    const batch = this.db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const c = cols.cause[i]!;
        insert.run(runId, i, cols.t[i], cols.dur[i], cols.lane[i], cols.kind[i], cols.a0[i], cols.a1[i], cols.a2[i], c < 0 ? null : c);
      }
    });
    for (let from = 0; from < cols.count; from += BATCH_ROWS) {
      const to = Math.min(cols.count, from + BATCH_ROWS);
      batch(from, to);
      onBatch?.(to);
    }
  }

  meta(runId: number): TimelineMeta {
    const lanes = (
      this.db.prepare('SELECT lane, name, grp FROM timeline_lanes WHERE run_id = ? ORDER BY lane').all(runId) as {
        lane: number;
        name: string;
        grp: string;
      }[]
    ).map((r) => ({ id: r.lane, name: r.name, group: r.grp }));
    const kinds = (
      this.db.prepare('SELECT kind, name, args_json, failure FROM timeline_kinds WHERE run_id = ? ORDER BY kind').all(runId) as {
        kind: number;
        name: string;
        args_json: string;
        failure: number;
      }[]
    ).map((r) => ({ id: r.kind, name: r.name, args: JSON.parse(r.args_json) as TimelineKindInfo['args'], failure: r.failure === 1 }));
    const strings = (
      this.db.prepare('SELECT value FROM timeline_strings WHERE run_id = ? ORDER BY idx').all(runId) as { value: string }[]
    ).map((r) => r.value);
    return { lanes, kinds, strings };
  }

  /**
   * Events overlapping [startNs, endNs] on the requested lanes, in time order. A lane with more than
   * `limit` events in the window comes back aggregated: one representative event per pixel column
   * (of `widthPx`), carrying how many events it stands for; `truncated` is then true.
   */
  window(query: TimelineWindowQuery): TimelineWindow {
    const meta = this.meta(query.runId);
    const limit = query.limit ?? DEFAULT_WINDOW_LIMIT;
    const maxDur = new Map(
      (
        this.db.prepare('SELECT lane, max_dur FROM timeline_lanes WHERE run_id = ?').all(query.runId) as { lane: number; max_dur: number }[]
      ).map((r) => [r.lane, r.max_dur]),
    );
    const stmt = this.db.prepare(
      `SELECT seq, t, dur, lane, kind, a0, a1, a2, cause FROM timeline_events
       WHERE run_id = ? AND lane = ? AND t >= ? AND t <= ? AND t + dur >= ? ORDER BY t LIMIT ?`,
    );
    // One representative per pixel column: SQLite returns the bare columns of the row holding MIN(t).
    // (The alias must not be `t`: GROUP BY would then resolve `t` to the aggregate.)
    const perPixel = this.db.prepare(
      `SELECT MIN(t) AS first_t, seq, dur, lane, kind, a0, a1, a2, cause, COUNT(*) AS n, MAX(t + dur) AS end_t
       FROM timeline_events
       WHERE run_id = ? AND lane = ? AND t >= ? AND t <= ? AND t + dur >= ?
       GROUP BY MIN(CAST((MAX(t, ?) - ?) * ? / ? AS INTEGER), ? - 1) ORDER BY first_t`,
    );
    const lanes = query.lanes ?? meta.lanes.map((l) => l.id);
    const span = Math.max(1, query.endNs - query.startNs);
    const events: TimelineEvent[] = [];
    let truncated = false;
    for (const lane of lanes) {
      const from = query.startNs - (maxDur.get(lane) ?? 0);
      const rows = stmt.all(query.runId, lane, from, query.endNs, query.startNs, limit + 1) as EventRow[];
      if (rows.length <= limit) {
        for (const r of rows) events.push(decodeEvent(r, meta));
        continue;
      }
      truncated = true;
      const args = [query.runId, lane, from, query.endNs, query.startNs, query.startNs, query.startNs, query.widthPx, span, query.widthPx];

      for (const b of perPixel.all(...args) as (Omit<EventRow, 't'> & { first_t: number; n: number; end_t: number })[]) {
        const e = decodeEvent({ ...b, t: b.first_t }, meta);
        events.push(b.n > 1 ? { ...e, aggregate: { count: b.n, endNs: b.end_t } } : e);
      }
    }

    events.sort((a, b) => a.tNs - b.tNs || a.seq - b.seq);
    return { runId: query.runId, startNs: query.startNs, endNs: query.endNs, lanes: meta.lanes, events, truncated };
  }

  /** One event and the chain of events that caused it, nearest cause first. */
  causeChain(runId: number, seq: number, maxDepth = 64): TimelineEvent[] {
    const meta = this.meta(runId);
    const stmt = this.db.prepare('SELECT seq, t, dur, lane, kind, a0, a1, a2, cause FROM timeline_events WHERE run_id = ? AND seq = ?');
    const chain: TimelineEvent[] = [];
    let next: number | null = seq;
    while (next !== null && chain.length < maxDepth) {
      const row = stmt.get(runId, next) as EventRow | undefined;
      if (row === undefined) break;
      chain.push(decodeEvent(row, meta));
      next = row.cause;
    }
    return chain;
  }

  count(runId: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM timeline_events WHERE run_id = ?').get(runId) as { n: number }).n;
  }
}

function decodeEvent(row: EventRow, meta: TimelineMeta): TimelineEvent {
  const kind = meta.kinds[row.kind];
  const args: Record<string, number | string> = {};
  const raw = [row.a0, row.a1, row.a2];
  kind?.args.forEach((a, i) => {
    const v = raw[i]!;
    switch (a.format) {
      case 'errno':
      case 'str':
        args[a.name] = meta.strings[v] ?? `#${v}`;
        break;
      case 'hex':
        args[a.name] = '0x' + v.toString(16);
        break;
      case 'int':
      case 'bytes':
      case 'ns':
        args[a.name] = v;
        break;
      default: {
        const never: never = a.format;
        throw new Error(`unknown arg format ${String(never)}`);
      }
    }
  });
  return {
    seq: row.seq,
    tNs: row.t,
    durNs: row.dur,
    lane: row.lane,
    kind: kind?.name ?? `kind#${row.kind}`,
    failure: kind?.failure ?? false,
    args,
    cause: row.cause,
  };
}
