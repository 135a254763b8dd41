// Reading stored timelines: the summary (extent, lanes, kinds, counts), zoom windows (see
// timelineWindow.ts), one event with its cause chain and its direct effects, and failures in time
// order. Every lookup is an indexed read: seq -> (lane, t) through the seq blocks, then one probe of
// the run's clustered table; effects through the effect parts; failures through their own table.
// Storing is timelineWriter.ts's job.
// Must not: write; keep anything between calls (a run id can name a newer timeline after a delete).

import type { LabDatabase } from '../database';
import type { TimelineEvent, TimelineEventDetail, TimelineSummary, TimelineWindowQuery } from '../../core/contract/timeline';
import type { TimelineColumns } from '../../core/sim/timelineRecorder';
import { decodeEvent, laneInfos, readTimelineMeta, type TimelineMeta } from './timelineMeta';
import { EVENT_COLUMNS, eventsTableOf, type EventRow } from './timelineTables';
import { effectsInParts, locateInBlock, SEQ_BLOCK } from './timelineSeqBlocks';
import { readTimelineWindow, type DetailedWindow } from './timelineWindow';
import { storeTimeline, type StoreHooks, type StoreOutcome, type TimelineWriterOptions } from './timelineWriter';

/** How many effects an event detail lists (the count says how many there are). */
export const MAX_EFFECTS = 50;
const MAX_CAUSE_DEPTH = 64;

export class TimelineStore {
  constructor(private readonly db: LabDatabase) {}

  /** Stores recorded columns, streamed through the run's writer chunk by chunk (see timelineWriter.ts). */
  insert(runId: number, cols: TimelineColumns, hooks: StoreHooks = {}, options: Omit<TimelineWriterOptions, 'onBatch'> = {}): StoreOutcome {
    return storeTimeline(this.db, runId, cols, hooks, options);
  }

  meta(runId: number): TimelineMeta | undefined {
    return readTimelineMeta(this.db, runId);
  }

  summary(runId: number): TimelineSummary | undefined {
    const meta = this.meta(runId);
    if (meta === undefined) return undefined;
    return {
      runId,
      lanes: laneInfos(meta),
      kinds: meta.kinds,
      startNs: meta.startNs,
      endNs: meta.endNs,
      eventCount: meta.eventCount,
      failureCount: meta.failureCount,
      complete: meta.complete,
    };
  }

  /** A zoom window; undefined when the run has no stored timeline. */
  window(query: TimelineWindowQuery): DetailedWindow | undefined {
    const meta = this.meta(query.runId);
    return meta === undefined ? undefined : readTimelineWindow(this.db, meta, query);
  }

  event(runId: number, seq: number, meta = this.meta(runId)): TimelineEvent | undefined {
    if (meta === undefined || !Number.isSafeInteger(seq) || seq < 0 || seq >= meta.eventCount) return undefined;
    const block = this.db
      .prepare('SELECT lanes, times FROM timeline_seq_blocks WHERE run_id = ? AND block = ?')
      .get(runId, Math.floor(seq / SEQ_BLOCK)) as { lanes: Buffer; times: Buffer } | undefined;
    const at = block === undefined ? undefined : locateInBlock(block.lanes, block.times, seq);
    if (at === undefined) return undefined;
    const row = this.db
      .prepare(`SELECT ${EVENT_COLUMNS} FROM ${eventsTableOf(runId)} WHERE lane = ? AND t = ? AND seq = ?`)
      .get(at.lane, at.t, seq) as EventRow | undefined;
    return row === undefined ? undefined : decodeEvent(row, meta);
  }

  /** The event, the events that led to it (nearest first) and the events it caused. */
  detail(runId: number, seq: number): TimelineEventDetail | undefined {
    const meta = this.meta(runId);
    const event = this.event(runId, seq, meta);
    if (meta === undefined || event === undefined) return undefined;
    const causeChain = this.causeChain(runId, seq, meta).slice(1);
    const effectSeqs = this.effectSeqs(runId, seq);
    const effects = effectSeqs
      .slice(0, MAX_EFFECTS)
      .map((s) => this.event(runId, s, meta))
      .filter((e): e is TimelineEvent => e !== undefined);
    return { event, causeChain, effects, effectCount: effectSeqs.length };
  }

  /** One event and the chain of events that caused it, the event first, then its nearest cause. */
  causeChain(runId: number, seq: number, meta = this.meta(runId)): TimelineEvent[] {
    const chain: TimelineEvent[] = [];
    const seen = new Set<number>();
    let next: number | null = seq;
    while (next !== null && chain.length < MAX_CAUSE_DEPTH && !seen.has(next)) {
      seen.add(next);
      const e = this.event(runId, next, meta);
      if (e === undefined) break;
      chain.push(e);
      next = e.cause;
    }
    return chain;
  }

  /** The events `cause` led to, in seq order (its block's effect parts, one per chunk that named a cause of the block). */
  effectSeqs(runId: number, cause: number): number[] {
    const parts = this.db
      .prepare('SELECT causes, seqs FROM timeline_effect_parts WHERE run_id = ? AND block = ? ORDER BY part')
      .all(runId, Math.floor(cause / SEQ_BLOCK)) as { causes: Buffer; seqs: Buffer }[];
    return effectsInParts(parts, cause);
  }

  /** Events of failure kinds in time order. */
  failures(runId: number, limit: number): TimelineEvent[] {
    const meta = this.meta(runId);
    if (meta === undefined) return [];
    const rows = this.db
      .prepare(
        `SELECT e.seq, e.t, e.dur, e.lane, e.kind, e.a0, e.a1, e.a2, e.cause
         FROM timeline_failures f JOIN ${eventsTableOf(runId)} e ON e.lane = f.lane AND e.t = f.t AND e.seq = f.seq
         WHERE f.run_id = ? ORDER BY f.t, f.seq LIMIT ?`,
      )
      .all(runId, limit) as EventRow[];
    return rows.map((r) => decodeEvent(r, meta));
  }

  /**
   * Per lane, the first event of the named kind among the lane's first `scan` events (in time
   * order): events recorded when a lane's component is set up, like dma.mode at a DMA domain's
   * creation. Reads at most `scan` rows per lane, whatever the run's size.
   */
  firstOfKind(runId: number, kindName: string, scan = 64): TimelineEvent[] {
    const meta = this.meta(runId);
    const kind = meta?.kinds.findIndex((k) => k.name === kindName) ?? -1;
    if (meta === undefined || kind < 0) return [];
    const first = this.db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM (SELECT ${EVENT_COLUMNS} FROM ${eventsTableOf(runId)} WHERE lane = ? ORDER BY t, seq LIMIT ?)
       WHERE kind = ? LIMIT 1`,
    );
    return meta.lanes.flatMap((l) => {
      const row = first.get(l.id, scan, kind) as EventRow | undefined;
      return row === undefined ? [] : [decodeEvent(row, meta)];
    });
  }

  /** Event rows stored for the run (fewer than its event count while storing or after a crash). */
  count(runId: number): number {
    if (this.meta(runId) === undefined) return 0;
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM ${eventsTableOf(runId)}`).get() as { n: number }).n;
  }
}
