// The timeline of one run: events {t, duration, lane, kind, args, cause} written column-wise into a
// reused buffer of typed arrays (recording an event allocates nothing), sealed at step boundaries
// and handed to a sink in chunks. Kinds are declared once with the names and formats of their (at
// most three) numeric arguments; lanes and strings are interned. `cause` is the index (seq) of the
// event that led to this one, so a failure can be explained as a chain; it may name any earlier
// event, also one in a chunk already handed over.
// Sealing: a host calls endStep() between simulation steps. Events recorded before it are final:
// they are hashed then (the hash never needs the whole timeline) and may be handed to the sink, so
// setDuration on them is a programmer error. No event handler spans a step boundary, so a span's
// end (setDuration within the handler that recorded it) is always set before its event is sealed.
// The sink decides where events go: MemoryTimelineSink keeps them all (tests, runs without a
// store, columns()); a store sink (db/timeline) writes each chunk while the run goes, so memory
// depends on the chunk size, not on the run's length.
// Must not: interpret events, decide what a component records, or cut a chunk inside a step.

import type { DurationNs, SimTimeNs } from './simTime';
import { TimelineHash, type HashedEventColumns } from './timelineHash';
import type { TimelineArgFormat, TimelineKindInfo, TimelineLaneInfo } from './timelineTypes';

export const NO_CAUSE = -1;
const MAX_ARGS = 3;
/** Past this many events a recorder counts events as dropped instead of storing them. */
export const DEFAULT_MAX_TIMELINE_EVENTS = 50_000_000;
/** A sink's usual chunk: 64 Ki events, 3.5 MiB of columns. */
export const DEFAULT_CHUNK_EVENTS = 65_536;
/**
 * The first buffer, allocated by the first event (a recorder that records nothing allocates none):
 * small, since most runs of a sweep or an ops script record a few dozen events (zeroing a 4096-event
 * buffer, 192 KiB, was a third of such a run with its garbage); it doubles up to what a step records.
 */
const START_CAPACITY = 16;
/** Bytes of one event's columns: t, dur, a0, a1, a2 (f64), cause (i32), lane, kind (u16). */
const BYTES_PER_EVENT = 5 * 8 + 4 + 2 * 2;
/** A buffer kept after a flush is at least this large (or the sink's chunk). */
const KEPT_CAPACITY = 4096;
/** The columns of a recorder without a buffer (never written: its limit is 0). */
const EMPTY_F64 = new Float64Array(0);
const EMPTY_U16 = new Uint16Array(0);
const EMPTY_I32 = new Int32Array(0);

/**
 * How the lab names event kinds: layer.verb[.outcome] ("dma.map", "dma.map.failed",
 * "rpcit.refresh.insufficientResources", "vfio.map.failed"): a lower-case layer, then dot-separated
 * words without spaces. Ops keep their call's own name after the layer ("hcall.H_PUT_TCE",
 * "rtas.ibm,create-pe-dma-window"), and a failed op adds ".failed". Marks copied from a real trace
 * (import-trace) keep the trace's names.
 */
export const EVENT_KIND_NAME = /^[a-z][a-zA-Z0-9-]*(\.[A-Za-z0-9][A-Za-z0-9_,-]*)+$/;

export interface TimelineKindDef {
  /** layer.verb[.outcome], see EVENT_KIND_NAME. */
  readonly name: string;
  /** Names and formats of the numeric arguments a0..a2 (unused trailing ones omitted). */
  readonly args?: readonly { readonly name: string; readonly format: TimelineArgFormat }[];
  /** A failure kind is listed by "jump to failures". */
  readonly failure?: boolean;
}

/** Events first .. first + count - 1 as columns (length count), with every definition made so far. */
export interface TimelineChunk extends HashedEventColumns {
  readonly first: number;
  readonly count: number;
  /**
   * The columns are views of a buffer the recorder will never write again (only to a sink that
   * keepsOwnedChunks): the sink may keep them instead of copying.
   */
  readonly owned?: boolean;
  readonly lanes: readonly TimelineLaneInfo[];
  readonly kinds: readonly TimelineKindInfo[];
  readonly strings: readonly string[];
}

/** Where sealed events go. */
export interface TimelineSink {
  /** The recorder hands its sealed events over at the first step boundary with at least this many. */
  readonly chunkEvents: number;
  /**
   * Receives the events in seq order, each once. The columns are views of the recorder's buffer,
   * valid only during the call (the buffer is reused): copy what must be kept.
   */
  write(chunk: TimelineChunk): void;
  /**
   * The sink keeps the columns of a chunk that write() received with `owned` set as they are (no
   * copy): the recorder gives that buffer up and records into a new one. A sink that keeps events
   * in memory sets this; one that writes them elsewhere leaves it out.
   */
  readonly keepsOwnedChunks?: boolean;
}

export interface TimelineColumns extends HashedEventColumns {
  readonly count: number;
  readonly lanes: readonly TimelineLaneInfo[];
  readonly kinds: readonly TimelineKindInfo[];
  readonly strings: readonly string[];
}

interface Segment {
  readonly count: number;
  readonly hash: TimelineHash;
}

export class TimelineRecorder {
  private cap = 0;
  /** Seq of the buffer's first event (events before it were handed to the sink). */
  private base = 0;
  /** Events in the buffer. */
  private n = 0;
  /** The buffer index at which record() leaves its fast path: the capacity, or the event cap. */
  private limit = 0;
  /** Events with a seq below this are sealed. */
  private sealed = 0;
  private droppedCount = 0;
  /** The capacity of the buffer allocated after a sink took the last one. */
  private regrowTo = START_CAPACITY;
  private t = EMPTY_F64;
  private dur = EMPTY_F64;
  private lane = EMPTY_U16;
  private kind = EMPTY_U16;
  private a0 = EMPTY_F64;
  private a1 = EMPTY_F64;
  private a2 = EMPTY_F64;
  private cause = EMPTY_I32;
  private readonly lanes: TimelineLaneInfo[] = [];
  private readonly laneIndex = new Map<string, number>();
  private readonly kinds: TimelineKindInfo[] = [];
  private readonly kindIndex = new Map<string, number>();
  private readonly strings: string[] = [];
  private readonly stringIndex = new Map<string, number>();
  /** Definitions folded in as they are made (their order is deterministic; events are hashed later). */
  private readonly defsHash = new TimelineHash();
  /** Definitions the sink has seen (lanes + kinds + strings at the last write). */
  private defsWritten = 0;
  private readonly segments: Segment[] = [];
  private segmentStart = 0;
  private segmentHash = new TimelineHash();

  /**
   * @param maxEvents events past this many are counted as dropped instead of stored.
   * @param sink where sealed events go (default: kept in memory, see columns()).
   */
  constructor(
    private readonly maxEvents = DEFAULT_MAX_TIMELINE_EVENTS,
    private readonly sink: TimelineSink = new MemoryTimelineSink(),
  ) {}

  /** Events recorded (not dropped) so far. */
  get size(): number {
    return this.base + this.n;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  /** Prepended to lane names defined from now on (one run plan simulates its variants one after the other). */
  lanePrefix = '';

  defineLane(localName: string, group: string): number {
    const name = this.lanePrefix + localName;
    const known = this.laneIndex.get(name);

    if (known !== undefined) return known;
    const id = this.lanes.length;
    if (id > 0xffff) throw new RangeError('too many timeline lanes');
    this.lanes.push({ id, name, group });
    this.laneIndex.set(name, id);
    this.defsHash.addNumber(1);
    this.defsHash.addString(name);
    this.defsHash.addString(group);
    return id;
  }

  defineKind(def: TimelineKindDef): number {
    const known = this.kindIndex.get(def.name);
    if (known !== undefined) {
      // One name, one meaning: the same kind defined elsewhere must decode its arguments the same way.
      const k = this.kinds[known]!;
      const args = def.args ?? [];
      if (
        k.failure !== (def.failure ?? false) ||
        k.args.length !== args.length ||
        k.args.some((a, i) => a.name !== args[i]!.name || a.format !== args[i]!.format)
      )
        throw new Error(`timeline kind ${def.name} defined twice with different arguments or failure flag`);
      return known;
    }
    if ((def.args?.length ?? 0) > MAX_ARGS) throw new RangeError(`kind ${def.name}: at most ${MAX_ARGS} args`);
    const id = this.kinds.length;
    if (id > 0xffff) throw new RangeError('too many timeline kinds');
    const args = def.args ?? [];
    const failure = def.failure ?? false;
    this.kinds.push({ id, name: def.name, args, failure });
    this.kindIndex.set(def.name, id);
    this.defsHash.addNumber(2);
    this.defsHash.addString(def.name);
    this.defsHash.addNumber(failure ? 1 : 0);
    this.defsHash.addNumber(args.length);
    for (const a of args) {
      this.defsHash.addString(a.name);
      this.defsHash.addString(a.format);
    }
    return id;
  }

  /** Interns a string so it can be passed as a numeric argument of format 'str'. */
  internString(s: string): number {
    const known = this.stringIndex.get(s);
    if (known !== undefined) return known;
    const id = this.strings.length;
    this.strings.push(s);
    this.stringIndex.set(s, id);
    this.defsHash.addNumber(3);
    this.defsHash.addString(s);
    return id;
  }

  /** Records one event and returns its index (usable as a cause), or NO_CAUSE when dropped. */
  record(t: SimTimeNs, duration: DurationNs | 0, lane: number, kind: number, a0 = 0, a1 = 0, a2 = 0, cause: number = NO_CAUSE): number {
    const i = this.n;
    // One comparison on the fast path: `limit` is the capacity or the cap, whichever comes first.
    if (i === this.limit && !this.makeRoom()) {
      this.droppedCount++;
      return NO_CAUSE;
    }
    this.t[i] = t;
    this.dur[i] = duration;
    this.lane[i] = lane;
    this.kind[i] = kind;
    this.a0[i] = a0;
    this.a1[i] = a1;
    this.a2[i] = a2;
    this.cause[i] = cause;
    this.n = i + 1;
    return this.base + i;
  }

  /**
   * Sets the duration of an event recorded earlier in the same event handler (a span whose end was
   * not known yet). NO_CAUSE (a dropped event) is ignored; a sealed event is a programmer error.
   */
  setDuration(index: number, duration: DurationNs): void {
    if (index < 0) return;
    if (index < this.sealed) {
      throw new Error(`setDuration(${index}): the event was sealed at a step boundary; set a span's end in the handler that recorded it`);
    }
    const i = index - this.base;
    if (i < this.n) this.dur[i] = duration;
  }

  /**
   * A step boundary (no event handler is running): seals what was recorded, and hands it to the
   * sink once a chunk's worth is pending.
   */
  endStep(): void {
    this.seal();
    if (this.n >= this.sink.chunkEvents) this.flush();
  }

  /** Hands every recorded event (and definition) to the sink now; only at a step boundary. */
  flush(): void {
    this.seal();
    const defs = this.lanes.length + this.kinds.length + this.strings.length;
    if (this.n === 0 && defs === this.defsWritten) return;
    // A sink that keeps events in memory takes the buffer itself when the chunk fills most of it
    // (a copy of a large chunk, and the garbage it makes, cost a third of a fio run): the recorder
    // then records into a new buffer of the same size, allocated when the next event comes. Below
    // half full the chunk is copied, so kept chunks never hold more than twice their events.
    const owned = this.sink.keepsOwnedChunks === true && this.n > 0 && 2 * this.n >= this.cap;
    this.sink.write({
      first: this.base,
      count: this.n,
      owned,
      t: this.t.subarray(0, this.n),
      dur: this.dur.subarray(0, this.n),
      lane: this.lane.subarray(0, this.n),
      kind: this.kind.subarray(0, this.n),
      a0: this.a0.subarray(0, this.n),
      a1: this.a1.subarray(0, this.n),
      a2: this.a2.subarray(0, this.n),
      cause: this.cause.subarray(0, this.n),
      lanes: this.lanes,
      kinds: this.kinds,
      strings: this.strings,
    });
    this.defsWritten = defs;
    this.base += this.n;
    this.n = 0;
    const keep = Math.max(KEPT_CAPACITY, this.sink.chunkEvents);
    if (owned) {
      // The sink holds the old buffer now: the next record() allocates a new one (makeRoom).
      this.regrowTo = Math.min(this.cap, 4 * keep);
      this.release();
      return;
    }
    // A step that recorded far more than a chunk grew the buffer; give that memory back.
    if (this.cap > 4 * keep) this.allocate(keep);
    this.limit = Math.min(this.cap, this.maxEvents - this.base);
  }

  /**
   * Starts a new hash segment (a variant of a run plan hashes its own events) at a step boundary.
   * A segment with no events yet stays the current one.
   */
  beginSegment(): void {
    this.seal();
    if (this.sealed === this.segmentStart) return;
    this.segments.push({ count: this.sealed - this.segmentStart, hash: this.segmentHash });
    this.segmentHash = new TimelineHash();
    this.segmentStart = this.sealed;
  }

  /** The hash of the definitions made so far and of the current segment's events (seals them). */
  currentSegmentHash(): string {
    this.seal();
    const h = new TimelineHash();
    h.addHash(this.defsHash);
    h.addNumber(this.sealed - this.segmentStart);
    h.addHash(this.segmentHash);
    return h.digest();
  }

  /** The hash of the whole timeline: the definitions, then every segment's count and events (seals them). */
  hash(): string {
    this.seal();
    const h = new TimelineHash();
    h.addHash(this.defsHash);
    const all = [...this.segments, { count: this.sealed - this.segmentStart, hash: this.segmentHash }];
    h.addNumber(all.length);
    for (const s of all) {
      h.addNumber(s.count);
      h.addHash(s.hash);
    }
    return h.digest();
  }

  /** Every recorded event (flushes to the memory sink; a recorder streaming elsewhere has none). */
  columns(): TimelineColumns {
    if (!(this.sink instanceof MemoryTimelineSink)) throw new Error('TimelineRecorder.columns(): this timeline streams to a store');
    this.flush();
    return this.sink.columns(this.lanes, this.kinds, this.strings);
  }

  /** Seals everything recorded so far: hashed once, final. */
  private seal(): void {
    const from = this.sealed - this.base;
    if (from >= this.n) return;
    const { t, dur, lane, kind, a0, a1, a2, cause } = this;
    this.segmentHash.addEvents({ t, dur, lane, kind, a0, a1, a2, cause }, from, this.n);
    this.sealed = this.base + this.n;
  }

  /** Grows the buffer when it is full (allocates one after a sink took the last); false at the event cap. */
  private makeRoom(): boolean {
    if (this.base + this.n >= this.maxEvents) return false;
    this.allocate(Math.min(this.cap === 0 ? this.regrowTo : this.cap * 2, this.maxEvents - this.base));
    return true;
  }

  /** Forgets the buffer (its columns belong to the sink now); n is 0. */
  private release(): void {
    this.t = EMPTY_F64;
    this.dur = EMPTY_F64;
    this.lane = EMPTY_U16;
    this.kind = EMPTY_U16;
    this.a0 = EMPTY_F64;
    this.a1 = EMPTY_F64;
    this.a2 = EMPTY_F64;
    this.cause = EMPTY_I32;
    this.cap = 0;
    this.limit = 0;
  }

  /**
   * A buffer of `capacity` events holding the first n of the old one: the eight columns are views
   * of one ArrayBuffer (eight typed arrays with their own backing stores cost V8 about four times
   * as much to make and collect), 8-byte columns first so every view is aligned.
   */
  private allocate(capacity: number): void {
    const n = this.n;
    const buf = new ArrayBuffer(BYTES_PER_EVENT * capacity);
    const f = 8 * capacity;
    this.t = resized(this.t, new Float64Array(buf, 0, capacity), n);
    this.dur = resized(this.dur, new Float64Array(buf, f, capacity), n);
    this.a0 = resized(this.a0, new Float64Array(buf, 2 * f, capacity), n);
    this.a1 = resized(this.a1, new Float64Array(buf, 3 * f, capacity), n);
    this.a2 = resized(this.a2, new Float64Array(buf, 4 * f, capacity), n);
    this.cause = resized(this.cause, new Int32Array(buf, 5 * f, capacity), n);
    this.lane = resized(this.lane, new Uint16Array(buf, 5 * f + 4 * capacity, capacity), n);
    this.kind = resized(this.kind, new Uint16Array(buf, 5 * f + 6 * capacity, capacity), n);
    this.cap = capacity;
    this.limit = Math.min(capacity, this.maxEvents - this.base);
  }
}

/**
 * Keeps every event it is handed (tests, runs without a store): a copy of each chunk, joined into
 * one set of columns when they are asked for (so a run nobody reads the columns of copies once).
 */
export class MemoryTimelineSink implements TimelineSink {
  readonly keepsOwnedChunks = true;
  private count = 0;
  private parts: HashedEventColumns[] = [];

  constructor(readonly chunkEvents = DEFAULT_CHUNK_EVENTS) {}

  write(chunk: TimelineChunk): void {
    if (chunk.first !== this.count) throw new Error(`MemoryTimelineSink: chunk starts at ${chunk.first}, expected ${this.count}`);
    if (chunk.count === 0) return;
    const { t, dur, lane, kind, a0, a1, a2, cause } = chunk;
    if (chunk.owned === true) this.parts.push({ t, dur, lane, kind, a0, a1, a2, cause });
    else
      this.parts.push({
        t: t.slice(),
        dur: dur.slice(),
        lane: lane.slice(),
        kind: kind.slice(),
        a0: a0.slice(),
        a1: a1.slice(),
        a2: a2.slice(),
        cause: cause.slice(),
      });
    this.count += chunk.count;
  }

  /** The columns of every event held (joined once; later chunks join them again). */
  columns(lanes: readonly TimelineLaneInfo[], kinds: readonly TimelineKindInfo[], strings: readonly string[]): TimelineColumns {
    if (this.parts.length !== 1) this.parts = [joined(this.parts, this.count)];
    return { count: this.count, ...this.parts[0]!, lanes, kinds, strings };
  }
}

function joined(parts: readonly HashedEventColumns[], n: number): HashedEventColumns {
  const out = {
    t: new Float64Array(n),
    dur: new Float64Array(n),
    lane: new Uint16Array(n),
    kind: new Uint16Array(n),
    a0: new Float64Array(n),
    a1: new Float64Array(n),
    a2: new Float64Array(n),
    cause: new Int32Array(n),
  };
  let at = 0;
  for (const p of parts) {
    out.t.set(p.t, at);
    out.dur.set(p.dur, at);
    out.lane.set(p.lane, at);
    out.kind.set(p.kind, at);
    out.a0.set(p.a0, at);
    out.a1.set(p.a1, at);
    out.a2.set(p.a2, at);
    out.cause.set(p.cause, at);
    at += p.t.length;
  }
  return out;
}

/** `b` holding the first `keep` entries of `a`. */
function resized<T extends Float64Array | Uint16Array | Int32Array>(a: T, b: T, keep: number): T {
  if (keep > 0) b.set(a.subarray(0, keep));
  return b;
}
