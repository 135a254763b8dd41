import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MemoryTimelineSink,
  NO_CAUSE,
  TimelineRecorder,
  type TimelineChunk,
  type TimelineColumns,
  type TimelineSink,
} from './timelineRecorder';
import type { DurationNs, SimTimeNs } from './simTime';
import { legacyTimelineHash } from './legacyTimelineHash.testkit';

const t = (n: number) => n as SimTimeNs;
const d = (n: number) => n as DurationNs;

function sample(change?: (r: TimelineRecorder) => void): TimelineRecorder {
  const r = new TimelineRecorder(100);
  const lane = r.defineLane('vfio.container0', 'vfio');
  const map = r.defineKind({ name: 'vfio.map', args: [{ name: 'iova', format: 'hex' }] });
  const first = r.record(t(10), d(5), lane, map, 0x1000);
  r.record(t(20), 0, lane, map, 0x2000, 0, 0, first);
  change?.(r);
  return r;
}

/** A sink that keeps copies of what it was handed, chunk by chunk. */
class RecordingSink implements TimelineSink {
  readonly chunks: { first: number; count: number; t: number[]; lanes: number; dur: number[] }[] = [];
  constructor(readonly chunkEvents: number) {}
  write(c: TimelineChunk): void {
    this.chunks.push({ first: c.first, count: c.count, t: Array.from(c.t), dur: Array.from(c.dur), lanes: c.lanes.length });
  }
}

/** Records `n` events in steps of `perStep`, with endStep() between steps. */
function stepped(sink: TimelineSink | undefined, n: number, perStep: number): TimelineRecorder {
  const r = new TimelineRecorder(1_000_000, sink);
  const lane = r.defineLane('l', 'g');
  const kind = r.defineKind({ name: 'k', args: [{ name: 'i', format: 'int' }] });
  for (let i = 0; i < n; i++) {
    const ev = r.record(t(i * 3), 0, lane, kind, i, i / 7, -i, i > 0 ? i - 1 : NO_CAUSE);
    if (i % 5 === 0) r.setDuration(ev, d(i % 11));
    if (i % 50 === 7) r.internString(`s${i}`);
    if ((i + 1) % perStep === 0) r.endStep();
  }
  return r;
}

describe('TimelineRecorder', () => {
  it('stores events column-wise with cause links', () => {
    const cols = sample().columns();
    expect(cols.count).toBe(2);
    expect(Array.from(cols.t)).toEqual([10, 20]);
    expect(Array.from(cols.cause)).toEqual([NO_CAUSE, 0]);
    expect(cols.kinds[0]!.args[0]!.name).toBe('iova');
  });

  it('interns lanes, kinds and strings once', () => {
    const r = new TimelineRecorder();
    expect(r.defineLane('a', 'g')).toBe(r.defineLane('a', 'g'));
    expect(r.defineKind({ name: 'k' })).toBe(r.defineKind({ name: 'k' }));
    expect(r.internString('ENOSPC')).toBe(r.internString('ENOSPC'));
  });

  it('hashes identical timelines identically and any change differently', () => {
    expect(sample().hash()).toBe(sample().hash());
    expect(sample((r) => r.record(t(30), 0, 0, 0)).hash()).not.toBe(sample().hash());
    expect(sample((r) => r.setDuration(0, d(6))).hash()).not.toBe(sample().hash());
    expect(sample((r) => r.internString('x')).hash()).not.toBe(sample().hash());
    expect(sample((r) => r.defineKind({ name: 'vfio.unmap' })).hash()).not.toBe(sample().hash());
    expect(sample((r) => r.defineLane('vfio.container1', 'vfio')).hash()).not.toBe(sample().hash());
  });

  it('hashes the same events the same however steps and chunks cut them, and keeps them all in memory', () => {
    const one = stepped(undefined, 5000, 5000);
    const many = stepped(undefined, 5000, 13);
    const streamed = stepped(new RecordingSink(100), 5000, 13);
    expect(many.hash()).toBe(one.hash());
    expect(streamed.hash()).toBe(one.hash());
    expect(many.currentSegmentHash()).toBe(one.currentSegmentHash());
    const cols = many.columns();
    expect(cols.count).toBe(5000);
    expect(legacyTimelineHash(cols)).toBe(legacyTimelineHash(one.columns()));
    expect([cols.a1[4999], cols.a2[4999], cols.cause[4999], cols.dur[4995]]).toEqual([4999 / 7, -4999, 4998, 4995 % 11]);
  });

  it('hands sealed events to its sink in seq order at step boundaries, once a chunk is pending', () => {
    const sink = new RecordingSink(100);
    const r = stepped(sink, 1000, 30);
    // Chunks are cut only at endStep(): 30 events per step, so the first boundary past 100 is at 120.
    expect(sink.chunks.map((c) => [c.first, c.count])).toEqual([
      [0, 120],
      [120, 120],
      [240, 120],
      [360, 120],
      [480, 120],
      [600, 120],
      [720, 120],
      [840, 120],
    ]);
    r.flush();
    expect(sink.chunks.at(-1)).toMatchObject({ first: 960, count: 40, lanes: 1 });
    expect(sink.chunks.flatMap((c) => c.t)).toEqual(Array.from({ length: 1000 }, (_, i) => i * 3));
    expect(r.size).toBe(1000);
    expect(() => r.columns()).toThrow(/streams to a store/);
  });

  it('hands over definitions made after the last event when flushed', () => {
    const sink = new RecordingSink(10);
    const r = new TimelineRecorder(100, sink);
    r.defineLane('a', 'g');
    r.record(t(1), 0, 0, 0);
    r.flush();
    r.defineLane('b', 'g');
    r.flush();
    expect(sink.chunks.map((c) => [c.count, c.lanes])).toEqual([
      [1, 1],
      [0, 2],
    ]);
  });

  it('refuses setDuration on an event sealed at a step boundary; a dropped event is ignored', () => {
    const r = sample();
    r.setDuration(1, d(3));
    r.endStep();
    expect(() => r.setDuration(1, d(4))).toThrow(/sealed/);
    r.setDuration(NO_CAUSE, d(4));
    expect(r.columns().dur[1]).toBe(3);
  });

  it('hashes each segment (a plan variant) on its own, and the whole timeline as its segments', () => {
    const r = new TimelineRecorder();
    const lane = r.defineLane('l', 'g');
    r.record(t(1), 0, lane, 0, 1);
    const first = r.currentSegmentHash();
    r.beginSegment();
    r.record(t(2), 0, lane, 0, 2);
    const second = r.currentSegmentHash();
    expect(second).not.toBe(first);
    const alone = new TimelineRecorder();
    alone.defineLane('l', 'g');
    alone.record(t(2), 0, lane, 0, 2);
    expect(alone.currentSegmentHash()).toBe(second);
    expect(r.hash()).not.toBe(alone.hash());
    // A segment with no events yet stays the current one.
    alone.beginSegment();
    const whole = alone.hash();
    alone.beginSegment();
    expect(alone.hash()).toBe(whole);
  });

  it('counts events past the cap as dropped instead of storing them', () => {
    const r = new TimelineRecorder(3);
    for (let i = 0; i < 5; i++) r.record(t(i), 0, 0, 0);
    expect(r.size).toBe(3);
    expect(r.dropped).toBe(2);
    const streamed = new TimelineRecorder(250, new RecordingSink(100));
    for (let i = 0; i < 300; i++) {
      streamed.record(t(i), 0, 0, 0);
      if (i % 10 === 9) streamed.endStep();
    }
    expect([streamed.size, streamed.dropped]).toEqual([250, 50]);
    // A recorder that may keep nothing (a limit-free twin's) drops every event, and still defines.
    const none = new TimelineRecorder(0);
    const kind = none.defineKind({ name: 'x.y' });
    for (let i = 0; i < 4; i++) expect(none.record(t(i), 0, 0, kind)).toBe(NO_CAUSE);
    none.endStep();
    expect([none.size, none.dropped, none.columns().count]).toEqual([0, 4, 0]);
  });

  it('grows its buffer past the initial capacity within a step', () => {
    const r = new TimelineRecorder(100_000);
    for (let i = 0; i < 50_000; i++) r.record(t(i), 0, 0, 0, i);
    expect(r.columns().a0[49_999]).toBe(49_999);
  });

  it('keeps what a memory sink was handed across chunks', () => {
    const sink = new MemoryTimelineSink();
    const r = new TimelineRecorder(1_000_000, sink);
    for (let i = 0; i < 200_000; i++) {
      r.record(t(i), 0, 0, 0, i);
      if (i % 1000 === 999) r.endStep();
    }
    const cols = r.columns();
    expect(cols.count).toBe(200_000);
    expect(cols.a0[123_456]).toBe(123_456);
  });
});

/** Today's memory sink before it kept owned chunks: a copy of every chunk (the oracle of the test below). */
class CopyingMemorySink implements TimelineSink {
  private readonly inner: MemoryTimelineSink;
  constructor(readonly chunkEvents: number) {
    this.inner = new MemoryTimelineSink(chunkEvents);
  }
  write(c: TimelineChunk): void {
    this.inner.write({ ...c, owned: false });
  }
  columns(r: TimelineRecorder): TimelineColumns {
    r.flush();
    return this.inner.columns([], [], []);
  }
}

type Op =
  | { readonly op: 'record'; readonly a: number; readonly span: boolean }
  | { readonly op: 'endStep' }
  | { readonly op: 'flush' }
  | { readonly op: 'string'; readonly s: string }
  | { readonly op: 'segment' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 20, arbitrary: fc.record({ op: fc.constant('record' as const), a: fc.integer({ min: -5, max: 1e6 }), span: fc.boolean() }) },
  { weight: 3, arbitrary: fc.constant({ op: 'endStep' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'flush' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('string' as const), s: fc.string({ maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'segment' as const }) },
);

function play(r: TimelineRecorder, ops: readonly Op[], repeat: number): void {
  const lane = r.defineLane('l', 'g');
  const kind = r.defineKind({ name: 'k.k', args: [{ name: 'a', format: 'int' }] });
  let i = 0;
  for (let k = 0; k < repeat; k++) {
    for (const o of ops) {
      if (o.op === 'record') {
        const ev = r.record(t(i), 0, lane, kind, o.a, i, -i, i - 1);
        if (o.span) r.setDuration(ev, d(i % 7));
        i++;
      } else if (o.op === 'endStep') r.endStep();
      else if (o.op === 'flush') r.flush();
      else if (o.op === 'string') r.internString(o.s);
      else r.beginSegment();
    }
  }
}

/** Counts the chunks it kept without a copy. */
class CountingMemorySink extends MemoryTimelineSink {
  static owned = 0;
  override write(c: TimelineChunk): void {
    if (c.owned === true) CountingMemorySink.owned++;
    super.write(c);
  }
}

describe('MemoryTimelineSink keeping owned chunks', () => {
  it('holds the same events, hashes and counts as a sink that copies every chunk (model-based)', () => {
    CountingMemorySink.owned = 0;
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 12 }),
        (ops, repeat, maxEvents, chunkEvents) => {
          const kept = new TimelineRecorder(maxEvents, new CountingMemorySink(chunkEvents));
          const oracleSink = new CopyingMemorySink(chunkEvents);
          const copied = new TimelineRecorder(maxEvents, oracleSink);
          play(kept, ops, repeat);
          play(copied, ops, repeat);
          expect([kept.size, kept.dropped, kept.hash(), kept.currentSegmentHash()]).toEqual([
            copied.size,
            copied.dropped,
            copied.hash(),
            copied.currentSegmentHash(),
          ]);
          const a = kept.columns();
          const b = oracleSink.columns(copied);
          expect(a.count).toBe(b.count);
          for (const col of ['t', 'dur', 'lane', 'kind', 'a0', 'a1', 'a2', 'cause'] as const)
            expect(Array.from(a[col])).toEqual(Array.from(b[col]));
        },
      ),
      { numRuns: 200 },
    );
    // The property covered the path it is about.
    expect(CountingMemorySink.owned).toBeGreaterThan(20);
  });
});
