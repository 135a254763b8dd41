// Importing a portable run bundle (format: runBundleFormat.ts, docs/bundles.md) as a new run of
// this lab. Checks first, in this order, each refusal one BundleError line naming the file: gzip
// data at all, its header (a bundle, of a format version this lab reads), its end line (missing:
// truncated), both digests (damaged), then every line against its schema. A bundle whose content
// hash is that of a run already here is a duplicate: reported with that run's id, not imported.
// Otherwise the run is inserted under a new id (nothing here is overwritten) with its results and
// its events streamed through the timeline writer, in steps of short transactions (importRunBundle):
// a refusal half-way deletes the partial run, so it leaves nothing behind.
// Must not: touch any run but the one it inserts (and a partial copy of the same bundle whose import
// died); throw anything but BundleError for what a bundle holds.

import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { z } from 'zod';
import type { LabDatabase } from '../../db/database';
import {
  finishImportedRun,
  insertRunRecord,
  isImportUnderWay,
  markTimelineIncomplete,
  rememberContentHash,
  runsLike,
  runWithContentHash,
  touchImportingRun,
  type RunRecord,
} from '../../db/runRecord';
import { OwnerStore } from '../../db/labOwners';
import { RunStore } from '../../db/runStore';
import { TimelineWriter } from '../../db/timeline/timelineWriter';
import type { TimelineChunk } from '../../core/sim/timelineRecorder';
import { formatIssues } from '../../core/scenario/loadScenario';
import { runContentHash } from './runBundleExport';
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  BUNDLE_MAX_UNPACKED_BYTES,
  BundleError,
  ClaimsLine,
  CounterLine,
  decodeFloat,
  EndLine,
  HeaderLine,
  MetricsLine,
  OpsLine,
  RunLine,
  TimelineLine,
  type EventsColumns,
} from './runBundleFormat';

export type BundleImport =
  | { readonly kind: 'imported'; readonly runId: number; readonly name: string; readonly contentHash: string }
  | { readonly kind: 'duplicate'; readonly runId: number; readonly name: string; readonly contentHash: string };

/** The bundle's lines as byte ranges of the unpacked text (each without its newline). */
function splitLines(text: Buffer): { start: number; end: number }[] {
  const lines: { start: number; end: number }[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf(0x0a, start);
    if (nl < 0) break;
    lines.push({ start, end: nl });
    start = nl + 1;
  }
  if (start < text.length) lines.push({ start, end: text.length });
  return lines;
}

function unpack(bytes: Uint8Array, source: string): Buffer {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    throw new BundleError(
      'not-a-bundle',
      `${source}: not a run bundle (not gzip data; bundles are written by pcilab export --format bundle)`,
    );
  }
  try {
    return gunzipSync(bytes, { maxOutputLength: BUNDLE_MAX_UNPACKED_BYTES });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new BundleError(
        'invalid',
        `${source}: unpacks to more than ${BUNDLE_MAX_UNPACKED_BYTES.toLocaleString('en-US')} bytes; too large to import`,
      );
    }
    const why = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    throw new BundleError('damaged', `${source}: damaged or truncated (gzip: ${why})`);
  }
}

/** Parses line `n` (1-based in messages) against `schema`; a problem is an 'invalid' BundleError naming the line and field. */
function parseLine<S extends z.ZodType>(
  source: string,
  text: Buffer,
  at: { start: number; end: number },
  n: number,
  schema: S,
  what: string,
): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text.toString('utf8', at.start, at.end));
  } catch {
    throw new BundleError('invalid', `${source}: line ${n}: not JSON (expected ${what})`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new BundleError('invalid', `${source}: line ${n} (${what}): ${formatIssues(parsed.error.issues).slice(0, 3).join('; ')}`);
  return parsed.data;
}

const EVENT_COLUMN_NAMES = ['t', 'dur', 'lane', 'kind', 'a0', 'a1', 'a2', 'cause'] as const;

/**
 * An events line's columns, its shape checked by hand: the EventsLine schema says the same, but zod
 * walks (and copies) every array of a million values; eventsChunk checks each value after this.
 */
function parseEventsLine(source: string, text: Buffer, at: { start: number; end: number }, n: number): EventsColumns {
  let value: unknown;
  try {
    value = JSON.parse(text.toString('utf8', at.start, at.end));
  } catch {
    throw new BundleError('invalid', `${source}: line ${n}: not JSON (expected events)`);
  }
  const bad = (what: string): BundleError => new BundleError('invalid', `${source}: line ${n} (events): ${what}`);
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(value) || !('events' in value)) throw bad('events: expected an object');
  const extra = Object.keys(value).find((k) => k !== 'events');
  if (extra !== undefined) throw bad(`unrecognized key "${extra.slice(0, 40)}"`);
  const e = value['events'];
  if (!isObject(e)) throw bad('events: expected an object');
  const unknownKey = Object.keys(e).find((k) => k !== 'first' && !(EVENT_COLUMN_NAMES as readonly string[]).includes(k));
  if (unknownKey !== undefined) throw bad(`events: unrecognized key "${unknownKey.slice(0, 40)}"`);
  const first = e['first'];
  if (typeof first !== 'number' || !Number.isSafeInteger(first) || first < 0) throw bad('events.first: expected an integer >= 0');
  for (const name of EVENT_COLUMN_NAMES) if (!Array.isArray(e[name])) throw bad(`events.${name}: expected an array`);
  return e as unknown as EventsColumns;
}

interface Checked {
  readonly text: Buffer;
  readonly lines: readonly { start: number; end: number }[];
  readonly contentHash: string;
}

/** Unpacks and checks the envelope: a bundle, a version this lab reads, an end line, both digests. */
function checkEnvelope(bytes: Uint8Array, source: string): Checked {
  const text = unpack(bytes, source);
  const lines = splitLines(text);
  if (lines.length === 0) throw new BundleError('not-a-bundle', `${source}: not a run bundle (empty)`);
  let header: unknown;
  try {
    header = JSON.parse(text.toString('utf8', lines[0]!.start, lines[0]!.end));
  } catch {
    throw new BundleError('not-a-bundle', `${source}: not a run bundle (its first line is not a bundle header)`);
  }
  if (typeof header !== 'object' || header === null || (header as { format?: unknown }).format !== BUNDLE_FORMAT) {
    throw new BundleError('not-a-bundle', `${source}: not a run bundle (its first line does not name the format "${BUNDLE_FORMAT}")`);
  }
  const version = (header as { formatVersion?: unknown }).formatVersion;
  if (typeof version === 'number' && version > BUNDLE_FORMAT_VERSION) {
    const lab = (header as { labVersion?: unknown }).labVersion;
    throw new BundleError(
      'newer-version',
      `${source}: bundle format version ${version} is newer than this lab reads (${BUNDLE_FORMAT_VERSION})${typeof lab === 'string' ? `; it was written by lab ${lab.slice(0, 40)}` : ''}: update the lab`,
    );
  }
  const headerParsed = HeaderLine.safeParse(header);
  if (!headerParsed.success)
    throw new BundleError('invalid', `${source}: line 1 (header): ${formatIssues(headerParsed.error.issues).join('; ')}`);
  const last = lines[lines.length - 1]!;
  let end: z.output<typeof EndLine>['end'] | undefined;
  try {
    const parsed = EndLine.safeParse(JSON.parse(text.toString('utf8', last.start, last.end)));
    if (parsed.success && last.end === text.length - 1) end = parsed.data.end;
  } catch {
    // Not JSON: no end line.
  }
  if (end === undefined || lines.length < 2) throw new BundleError('damaged', `${source}: truncated (its end line is missing)`);
  if (end.lines !== lines.length)
    throw new BundleError('damaged', `${source}: damaged (${lines.length} lines, its end line says ${end.lines})`);
  const all = createHash('sha256').update(text.subarray(0, last.start)).digest('hex');
  const content = createHash('sha256').update(text.subarray(lines[1]!.start, last.start)).digest('hex');
  if (all !== end.sha256) throw new BundleError('damaged', `${source}: damaged (its SHA-256 checksum does not match its content)`);
  if (content !== end.contentSha256) throw new BundleError('damaged', `${source}: damaged (its content hash does not match its content)`);
  return { text, lines, contentHash: content };
}

const MAX_EVENTS_PER_LINE = 1_000_000;

/** An events line's columns as a writer chunk, every value checked; `next` is the seq it must start at. */
function eventsChunk(
  source: string,
  n: number,
  e: EventsColumns,
  next: number,
  defs: Pick<TimelineChunk, 'lanes' | 'kinds' | 'strings'>,
): TimelineChunk {
  const bad = (what: string): BundleError => new BundleError('invalid', `${source}: line ${n} (events): ${what}`);
  if (e.first !== next) throw bad(`starts at event ${e.first}, expected ${next} (events are in seq order without gaps)`);
  const count = e.t.length;
  if (count === 0 || count > MAX_EVENTS_PER_LINE) throw bad(`holds ${count} events (1 to ${MAX_EVENTS_PER_LINE})`);
  for (const [name, col] of Object.entries({ dur: e.dur, lane: e.lane, kind: e.kind, a0: e.a0, a1: e.a1, a2: e.a2, cause: e.cause })) {
    if (col.length !== count) throw bad(`${name} has ${col.length} values, t has ${count}`);
  }
  const t = new Float64Array(count);
  const dur = new Float64Array(count);
  const lane = new Uint16Array(count);
  const kind = new Uint16Array(count);
  const a = [new Float64Array(count), new Float64Array(count), new Float64Array(count)];
  const cause = new Int32Array(count);
  const argCols = [e.a0, e.a1, e.a2];
  const intIn = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v < hi;
  for (let i = 0; i < count; i++) {
    const seq = next + i;
    const ti = decodeFloat(e.t[i]);
    const di = decodeFloat(e.dur[i]);
    if (ti === undefined || !Number.isFinite(ti) || ti < 0) throw bad(`t[${i}]: expected a finite time >= 0`);
    if (di === undefined || !Number.isFinite(di) || di < 0 || !Number.isFinite(ti + di))
      throw bad(`dur[${i}]: expected a finite duration >= 0`);
    if (!intIn(e.lane[i], 0, defs.lanes.length)) throw bad(`lane[${i}]: expected a lane id below ${defs.lanes.length}`);
    if (!intIn(e.kind[i], 0, defs.kinds.length)) throw bad(`kind[${i}]: expected a kind id below ${defs.kinds.length}`);
    if (!intIn(e.cause[i], -1, seq)) throw bad(`cause[${i}]: expected -1 or an earlier event's seq`);
    t[i] = ti;
    dur[i] = di;
    lane[i] = e.lane[i] as number;
    kind[i] = e.kind[i] as number;
    cause[i] = e.cause[i] as number;
    for (let k = 0; k < 3; k++) {
      const x = decodeFloat(argCols[k]![i]);
      if (x === undefined || Number.isNaN(x)) throw bad(`a${k}[${i}]: expected a number`);
      a[k]![i] = x;
    }
  }
  return { first: next, count, t, dur, lane, kind, a0: a[0]!, a1: a[1]!, a2: a[2]!, cause, ...defs };
}

function emptyColumns(): Omit<TimelineChunk, 'first' | 'count' | 'lanes' | 'kinds' | 'strings'> {
  const f = (): Float64Array => new Float64Array(0);
  return { t: f(), dur: f(), lane: new Uint16Array(0), kind: new Uint16Array(0), a0: f(), a1: f(), a2: f(), cause: new Int32Array(0) };
}

/** The record's lines up to its timeline line, parsed and checked; `at` is the index of the first events line. */
function readRecord(source: string, c: Checked): { record: RunRecord; at: number } {
  const { text, lines } = c;
  const last = lines.length - 1;
  let i = 1;
  const take = <S extends z.ZodType>(schema: S, what: string): z.output<S> => {
    if (i >= last) throw new BundleError('invalid', `${source}: line ${i + 1}: expected ${what}, found the end line`);
    const v = parseLine(source, text, lines[i]!, i + 1, schema, what);
    i++;
    return v;
  };
  const { run } = take(RunLine, 'the run');
  const { metrics } = take(MetricsLine, 'the metrics');
  const { claims } = take(ClaimsLine, 'the claims');
  const { ops } = take(OpsLine, 'the ops');
  const counters: RunRecord['counters'][number][] = [];
  while (i < last && text.toString('utf8', lines[i]!.start, Math.min(lines[i]!.end, lines[i]!.start + 12)).startsWith('{"counter"')) {
    const { counter } = take(CounterLine, 'a counter');
    if (counter.tNs.length !== counter.values.length) {
      throw new BundleError('invalid', `${source}: line ${i} (a counter): ${counter.tNs.length} times but ${counter.values.length} values`);
    }
    counters.push(counter);
  }
  const { timeline } = take(TimelineLine, 'the timeline');
  if (timeline !== null) {
    timeline.lanes.forEach((l, k) => {
      if (l.id !== k) throw new BundleError('invalid', `${source}: timeline lanes[${k}]: id ${l.id}, expected ${k}`);
    });
    timeline.kinds.forEach((kd, k) => {
      if (kd.id !== k) throw new BundleError('invalid', `${source}: timeline kinds[${k}]: id ${kd.id}, expected ${k}`);
    });
  }
  const names = new Set<string>();
  for (const [name] of metrics) {
    if (names.has(name)) throw new BundleError('invalid', `${source}: metrics: "${name.slice(0, 80)}" appears twice`);
    names.add(name);
  }
  const record: RunRecord = { head: run, metrics, claims, ops, counters, timeline };
  return { record, at: i };
}

/** How an import learns the time and the liveness of other importers (tests replace them). */
export interface ImportOptions {
  readonly owners?: OwnerStore;
  readonly nowMs?: () => number;
}

/**
 * Imports one bundle (its bytes as read from `source`, a file name for messages). Throws BundleError
 * for anything wrong with the bundle; database errors (disk full, locked) propagate as they are.
 *
 * In steps, so a bundle of millions of events never holds the lab's write lock for long (a run
 * storing meanwhile, or the service's own writes, would wait past busy_timeout and fail):
 * 1. one short transaction checks for a duplicate and inserts the run as running, owned by this
 *    process and listed in run_imports, with its results and content hash;
 * 2. its events go in through the timeline writer, a batch per transaction, the run's heartbeat
 *    kept fresh;
 * 3. one short transaction gives the run the bundle's status and end time.
 * Meanwhile the run lists as running (like a run storing its events). A bundle refused half-way has
 * its run deleted; an import whose process dies leaves the run interrupted (as a run's would be) and
 * in run_imports, and the next import of the same bundle deletes that partial copy and starts again.
 */
export function importRunBundle(db: LabDatabase, bytes: Uint8Array, source: string, options: ImportOptions = {}): BundleImport {
  const checked = checkEnvelope(bytes, source);
  const { record, at } = readRecord(source, checked);
  const { contentHash, text, lines } = checked;
  const name = record.head.name;
  const tl = record.timeline;
  if (tl === null && at !== lines.length - 1)
    throw new BundleError('invalid', `${source}: line ${at + 1}: events of a run without a timeline`);
  const nowMs = options.nowMs ?? Date.now;
  const owners = options.owners ?? new OwnerStore(db);
  const runs = new RunStore(db, { owners, nowMs });
  const ownerId = owners.register(nowMs());
  let runId: number | null = null;
  try {
    // The duplicate check is inside the write transaction (BEGIN IMMEDIATE: one writer at a time
    // across every connection), so two imports of one bundle at once (two windows collecting a
    // sweep, the app and the CLI) find each other: the second sees the first's run and its hash
    // (while the first still imports it, too).
    const begin = db.transaction((): BundleImport | number => {
      const known = runWithContentHash(db, contentHash);
      if (known !== undefined) {
        // A partial copy left by an import whose process died: removed, and imported again below.
        const abandoned = isImportUnderWay(db, known) && runs.progress(known)?.status !== 'running';
        if (!abandoned) return { kind: 'duplicate', runId: known, name, contentHash };
        runs.delete(known);
      }
      // Runs stored before content hashes were kept (schema v10), or made here and exported: hashed once, then remembered.
      for (const id of runsLike(db, record.head)) {
        if (isImportUnderWay(db, id)) continue;
        if (runContentHash(db, id) === contentHash) {
          rememberContentHash(db, id, contentHash);
          return { kind: 'duplicate', runId: id, name, contentHash };
        }
      }
      const id = insertRunRecord(db, record, { ownerId, nowMs: nowMs(), source });
      rememberContentHash(db, id, contentHash);
      return id;
    });
    const begun = sqliteRefusalsAreTheBundles(source, () => begin.immediate());
    if (typeof begun !== 'number') return begun;
    runId = begun;
    if (tl !== null) {
      const defs = { lanes: tl.lanes, kinds: tl.kinds, strings: tl.strings };
      const writer = new TimelineWriter(db, runId);
      // The definitions first (a timeline without events has them too).
      sqliteRefusalsAreTheBundles(source, () => writer.write({ ...emptyColumns(), first: 0, count: 0, ...defs }));
      let next = 0;
      for (let k = at; k < lines.length - 1; k++) {
        const chunk = eventsChunk(source, k + 1, parseEventsLine(source, text, lines[k]!, k + 1), next, defs);
        sqliteRefusalsAreTheBundles(source, () => writer.write(chunk));
        next += chunk.count;
        if (!touchImportingRun(db, runId, ownerId, nowMs()))
          throw new Error(`${source}: run ${runId} stopped being this import's (marked interrupted or deleted meanwhile)`);
      }
      writer.finish();
    }
    const id = runId;
    const end = db.transaction(() => {
      if (!finishImportedRun(db, id, record.head, ownerId))
        throw new Error(`${source}: run ${id} stopped being this import's (marked interrupted or deleted meanwhile)`);
      if (tl !== null && !tl.complete) markTimelineIncomplete(db, id);
    });
    end.immediate();
    return { kind: 'imported', runId: id, name, contentHash };
  } catch (err) {
    // A bundle refused half-way (or a database error): its partial run goes, nothing else is touched.
    if (runId !== null) {
      try {
        runs.delete(runId);
      } catch {
        // The database broke meanwhile: the run stays listed in run_imports, and the next import of this bundle removes it.
      }
    }
    throw err;
  } finally {
    try {
      owners.release(ownerId);
    } catch {
      // As above: a row naming a process that goes on reads as alive; one that ends reads as dead.
    }
  }
}

/** Runs a write; rows the tables refuse (SQLITE_CONSTRAINT) are the bundle's fault, a BundleError. */
function sqliteRefusalsAreTheBundles<T>(source: string, write: () => T): T {
  try {
    return write();
  } catch (err) {
    const code = String((err as { code?: unknown }).code ?? '');
    if (!code.startsWith('SQLITE_CONSTRAINT')) throw err;
    throw new BundleError('invalid', `${source}: its content does not fit the lab's tables (${(err as Error).message})`);
  }
}
