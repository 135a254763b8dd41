// Writing a stored run as a portable run bundle (format: runBundleFormat.ts, docs/bundles.md): the
// lines of the run's record (db/runRecord.ts) and its events in seq order, compressed in gzip
// members of about 1 MiB of text each (concatenated members are one gzip stream: gunzip, zcat and
// every gzip library read them), so the bundle is written as a stream and never held whole. Also the
// content hash of a stored run, computed the same way without writing anything (duplicates).
// Must not: hold more than one member's text; iterate on a connection other calls use meanwhile
// (the events are one statement: the app exports through a connection of its own).

import { createHash, type Hash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { LabDatabase } from '../../db/database';
import { RunStore } from '../../db/runStore';
import { eventsInSeqOrder, readRunRecord, rememberedContentHash, RunStillActiveError, type RunRecord } from '../../db/runRecord';
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, encodeFloat, EVENTS_PER_LINE } from './runBundleFormat';

const MEMBER_CHARS = 1024 * 1024;

export interface BundleContext {
  /** The lab writing the bundle (package.json's version). */
  readonly labVersion: string;
  readonly nowMs: number;
}

/** The stored run's record as RunStore shows it (its live status), or undefined; throws RunStillActiveError for an active run. */
function recordOf(db: LabDatabase, runId: number): RunRecord | undefined {
  const live = new RunStore(db).get(runId);
  if (live === undefined) return undefined;
  return readRunRecord(db, runId, { status: live.status, error: live.error });
}

const line = (value: unknown): string => JSON.stringify(value) + '\n';

/** The content lines: everything between the header and the end line (what the content hash covers). */
function* contentLines(db: LabDatabase, runId: number, record: RunRecord): Generator<string> {
  const h = record.head;
  yield line({
    run: {
      name: h.name,
      preset: h.preset,
      status: h.status,
      seed: h.seed,
      createdAt: h.createdAt,
      finishedAt: h.finishedAt,
      durationNs: h.durationNs,
      simulatedNs: encodeFloat(h.simulatedNs),
      eventCount: h.eventCount,
      timelineHash: h.timelineHash,
      error: h.error,
      scenario: h.scenario,
      variants: h.variants,
      planClaims: h.planClaims,
    },
  });
  yield line({ metrics: record.metrics.map(([name, value]) => [name, encodeFloat(value)]) });
  yield line({
    claims: record.claims.map((c) => ({
      id: c.id,
      text: c.text,
      holds: c.holds,
      measured: c.measured === null ? null : encodeFloat(c.measured),
      expectation: c.expectation,
      source: c.source,
      note: c.note,
      metric: c.metric,
      per: c.per,
      unit: c.unit,
    })),
  });
  yield line({ ops: record.ops.map((o) => ({ op: o.op, ok: o.ok, errno: o.errno, ret: o.ret ?? null })) });
  for (const c of record.counters) {
    yield line({ counter: { name: c.name, unit: c.unit, tNs: c.tNs.map(encodeFloat), values: c.values.map(encodeFloat) } });
  }
  const tl = record.timeline;
  yield line({
    timeline:
      tl === null
        ? null
        : {
            complete: tl.complete,
            lanes: tl.lanes.map((l) => ({ id: l.id, name: l.name, group: l.group })),
            kinds: tl.kinds.map((k) => ({ id: k.id, name: k.name, args: k.args ?? [], failure: k.failure === true })),
            strings: tl.strings,
          },
  });
  if (tl === null) return;
  let cols = newColumns();
  for (const row of eventsInSeqOrder(db, runId)) {
    if (cols.t.length === 0) cols.first = row[0];
    cols.t.push(encodeFloat(row[1]));
    cols.dur.push(encodeFloat(row[2]));
    cols.lane.push(row[3]);
    cols.kind.push(row[4]);
    cols.a0.push(encodeFloat(row[5]));
    cols.a1.push(encodeFloat(row[6]));
    cols.a2.push(encodeFloat(row[7]));
    cols.cause.push(row[8] ?? -1);
    if (cols.t.length === EVENTS_PER_LINE) {
      yield line({ events: cols });
      cols = newColumns();
    }
  }
  if (cols.t.length > 0) yield line({ events: cols });
}

/** An events line's columns, filled one row at a time (the key order is the format's: first, t, dur, lane, kind, a0, a1, a2, cause). */
function newColumns(): {
  first: number;
  t: unknown[];
  dur: unknown[];
  lane: number[];
  kind: number[];
  a0: unknown[];
  a1: unknown[];
  a2: unknown[];
  cause: number[];
} {
  return { first: 0, t: [], dur: [], lane: [], kind: [], a0: [], a1: [], a2: [], cause: [] };
}

/**
 * The bundle's gzip members, or undefined when there is no such run. Throws RunStillActiveError
 * (db/runRecord.ts) at once for a queued or running run.
 */
export function bundleChunks(db: LabDatabase, runId: number, context: BundleContext): Iterable<Buffer> | undefined {
  const record = recordOf(db, runId);
  if (record === undefined) return undefined;
  return writeBundle(db, runId, record, context);
}

function* writeBundle(db: LabDatabase, runId: number, record: RunRecord, context: BundleContext): Generator<Buffer> {
  const all = createHash('sha256');
  const content = createHash('sha256');
  let parts: string[] = [];
  let size = 0;
  let lines = 0;
  const add = (text: string, hashes: readonly Hash[]): Buffer | null => {
    for (const h of hashes) h.update(text);
    lines++;
    parts.push(text);
    size += text.length;
    if (size < MEMBER_CHARS) return null;
    const member = gzipSync(parts.join(''));
    parts = [];
    size = 0;
    return member;
  };
  const header = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    labVersion: context.labVersion,
    exportedAt: new Date(context.nowMs).toISOString(),
  };
  add(line(header), [all]);
  for (const text of contentLines(db, runId, record)) {
    const member = add(text, [all, content]);
    if (member !== null) yield member;
  }
  parts.push(line({ end: { lines: lines + 1, contentSha256: content.digest('hex'), sha256: all.digest('hex') } }));
  yield gzipSync(parts.join(''));
}

/** The content hash a bundle of the stored run carries, or undefined when there is no such run (or it is still active). */
export function runContentHash(db: LabDatabase, runId: number): string | undefined {
  let record: RunRecord | undefined;
  try {
    record = recordOf(db, runId);
  } catch (err) {
    if (err instanceof RunStillActiveError) return undefined;
    throw err;
  }
  if (record === undefined) return undefined;
  const content = createHash('sha256');
  for (const text of contentLines(db, runId, record)) content.update(text);
  return content.digest('hex');
}

/** As runContentHash, the hash remembered at import (run_content_hashes) when there is one: no pass over the events. */
export function storedContentHash(db: LabDatabase, runId: number): string | undefined {
  return rememberedContentHash(db, runId) ?? runContentHash(db, runId);
}
