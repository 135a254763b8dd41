// The timeline of one run: events {t, duration, lane, kind, args, cause} held column-wise in
// growable typed arrays, so recording an event allocates nothing. Kinds are declared once with the
// names and formats of their (at most three) numeric arguments; lanes and strings are interned.
// `cause` is the index of the event that led to this one, so a failure can be explained as a chain.
// Must not: interpret events, or decide what a component records.

import type { DurationNs, SimTimeNs } from './simTime';
import { TimelineHash } from './timelineHash';
import type { TimelineArgFormat, TimelineKindInfo, TimelineLaneInfo } from './timelineTypes';

export const NO_CAUSE = -1;
const MAX_ARGS = 3;

export interface TimelineKindDef {
  readonly name: string;
  /** Names and formats of the numeric arguments a0..a2 (unused trailing ones omitted). */
  readonly args?: readonly { readonly name: string; readonly format: TimelineArgFormat }[];
  /** A failure kind is listed by "jump to failures". */
  readonly failure?: boolean;
}

export class TimelineRecorder {
  private cap: number;
  private length = 0;
  private droppedCount = 0;
  private t: Float64Array;
  private dur: Float64Array;
  private lane: Uint16Array;
  private kind: Uint16Array;
  private a0: Float64Array;
  private a1: Float64Array;
  private a2: Float64Array;
  private cause: Int32Array;
  private readonly lanes: TimelineLaneInfo[] = [];
  private readonly laneIndex = new Map<string, number>();
  private readonly kinds: TimelineKindInfo[] = [];
  private readonly kindIndex = new Map<string, number>();
  private readonly strings: string[] = [];
  private readonly stringIndex = new Map<string, number>();

  /** @param maxEvents events past this many are counted as dropped instead of stored. */
  constructor(
    private readonly maxEvents = 50_000_000,
    initialCapacity = 4096,
  ) {
    this.cap = Math.max(16, Math.min(initialCapacity, maxEvents));
    this.t = new Float64Array(this.cap);
    this.dur = new Float64Array(this.cap);
    this.lane = new Uint16Array(this.cap);
    this.kind = new Uint16Array(this.cap);
    this.a0 = new Float64Array(this.cap);
    this.a1 = new Float64Array(this.cap);
    this.a2 = new Float64Array(this.cap);
    this.cause = new Int32Array(this.cap);
  }

  get size(): number {
    return this.length;
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
    return id;
  }

  defineKind(def: TimelineKindDef): number {
    const known = this.kindIndex.get(def.name);
    if (known !== undefined) return known;
    if ((def.args?.length ?? 0) > MAX_ARGS) throw new RangeError(`kind ${def.name}: at most ${MAX_ARGS} args`);
    const id = this.kinds.length;
    this.kinds.push({ id, name: def.name, args: def.args ?? [], failure: def.failure ?? false });
    this.kindIndex.set(def.name, id);
    return id;
  }

  /** Interns a string so it can be passed as a numeric argument of format 'str'. */
  internString(s: string): number {
    const known = this.stringIndex.get(s);
    if (known !== undefined) return known;
    const id = this.strings.length;
    this.strings.push(s);
    this.stringIndex.set(s, id);
    return id;
  }

  /** Records one event and returns its index (usable as a cause), or NO_CAUSE when dropped. */
  record(t: SimTimeNs, duration: DurationNs | 0, lane: number, kind: number, a0 = 0, a1 = 0, a2 = 0, cause: number = NO_CAUSE): number {
    const i = this.length;
    if (i >= this.maxEvents) {
      this.droppedCount++;
      return NO_CAUSE;
    }
    if (i === this.cap) this.grow();
    this.t[i] = t;
    this.dur[i] = duration;
    this.lane[i] = lane;
    this.kind[i] = kind;
    this.a0[i] = a0;
    this.a1[i] = a1;
    this.a2[i] = a2;
    this.cause[i] = cause;
    this.length = i + 1;
    return i;
  }

  /** Sets the duration of an event recorded earlier (a span whose end was not known yet). */
  setDuration(index: number, duration: DurationNs): void {
    if (index >= 0 && index < this.length) this.dur[index] = duration;
  }

  /**
   * The hash of the lanes, kinds and strings defined so far and of the events from `from` on (a
   * variant of a run plan hashes its own events; 0 hashes the whole timeline).
   */
  hash(from = 0): string {
    const h = new TimelineHash();
    for (const l of this.lanes) h.addString(l.name);
    for (const k of this.kinds) h.addString(k.name);
    for (const s of this.strings) h.addString(s);
    h.addNumber(this.length - from);
    for (let i = from; i < this.length; i++) {
      h.addNumber(this.t[i]!);
      h.addNumber(this.dur[i]!);
      h.addNumber(this.lane[i]! * 65536 + this.kind[i]!);
      h.addNumber(this.a0[i]!);
      h.addNumber(this.a1[i]!);
      h.addNumber(this.a2[i]!);
      h.addNumber(this.cause[i]!);
    }
    return h.digest();
  }

  /** A read-only view of the columns, trimmed to the recorded length (no copy). */
  columns(): TimelineColumns {
    const n = this.length;
    return {
      count: n,
      t: this.t.subarray(0, n),
      dur: this.dur.subarray(0, n),
      lane: this.lane.subarray(0, n),
      kind: this.kind.subarray(0, n),
      a0: this.a0.subarray(0, n),
      a1: this.a1.subarray(0, n),
      a2: this.a2.subarray(0, n),
      cause: this.cause.subarray(0, n),
      lanes: this.lanes,
      kinds: this.kinds,
      strings: this.strings,
    };
  }

  private grow(): void {
    const next = Math.min(this.cap * 2, this.maxEvents);
    this.t = grow(this.t, next, Float64Array);
    this.dur = grow(this.dur, next, Float64Array);
    this.lane = grow(this.lane, next, Uint16Array);
    this.kind = grow(this.kind, next, Uint16Array);
    this.a0 = grow(this.a0, next, Float64Array);
    this.a1 = grow(this.a1, next, Float64Array);
    this.a2 = grow(this.a2, next, Float64Array);
    this.cause = grow(this.cause, next, Int32Array);
    this.cap = next;
  }
}

export interface TimelineColumns {
  readonly count: number;
  readonly t: Float64Array;
  readonly dur: Float64Array;
  readonly lane: Uint16Array;
  readonly kind: Uint16Array;
  readonly a0: Float64Array;
  readonly a1: Float64Array;
  readonly a2: Float64Array;
  readonly cause: Int32Array;
  readonly lanes: readonly TimelineLaneInfo[];
  readonly kinds: readonly TimelineKindInfo[];
  readonly strings: readonly string[];
}

type TypedArrayCtor<T> = new (n: number) => T;
function grow<T extends Float64Array | Uint16Array | Int32Array>(a: T, size: number, Ctor: TypedArrayCtor<T>): T {
  const b = new Ctor(size);
  b.set(a);
  return b;
}
