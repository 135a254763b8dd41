// What an export reads: the run's detail and its timeline, events decoded one by one in time order
// straight from the store's pages (db/timeline/timelineScan.ts), never the whole timeline in
// memory; and the chunking every format writes through (about 64 KiB of text per chunk).
// Must not: format anything (the runExport*.ts writers do).

import type { LabDatabase } from '../../db/database';
import type { RunDetail } from '../../core/contract/runResult';
import type { TimelineEvent } from '../../core/contract/timeline';
import { RunStore } from '../../db/runStore';
import { decodeEvent, readTimelineMeta, type TimelineMeta } from '../../db/timeline/timelineMeta';
import { scanTimeline } from '../../db/timeline/timelineScan';

export interface ExportSource {
  readonly run: RunDetail;
  /** Undefined when the run has no stored timeline. */
  readonly meta: TimelineMeta | undefined;
  /** Every stored event in (t, seq) order. */
  events(): Iterable<TimelineEvent>;
}

export function exportSourceOf(db: LabDatabase, runId: number): ExportSource | undefined {
  const run = new RunStore(db).get(runId);
  if (run === undefined) return undefined;
  const meta = readTimelineMeta(db, runId);
  return {
    run,
    meta,
    *events() {
      if (meta === undefined) return;
      for (const row of scanTimeline(
        db,
        runId,
        meta.lanes.map((l) => l.id),
      ))
        yield decodeEvent(row, meta);
    },
  };
}

const CHUNK_CHARS = 64 * 1024;

/** Collects text pieces and hands them out in chunks of about 64 KiB. */
export class ChunkWriter {
  private parts: string[] = [];
  private size = 0;

  /** Adds a piece; returns a full chunk when one is ready (the caller must write it: it is not kept). */
  add(text: string): string | null {
    this.parts.push(text);
    this.size += text.length;
    return this.size >= CHUNK_CHARS ? this.flush() : null;
  }

  flush(): string {
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    return chunk;
  }
}

/** Nanoseconds as the trace format's microseconds, the nanoseconds kept as fractions (1234.567). */
export function nsToUs(ns: number): number {
  return ns / 1000;
}
