// The whole-timeline hash the recorder computed before timelines were streamed (TimelineRecorder.hash
// up to commit 1ed3f25): lane, kind and string names first, then every event from `from` on, each
// number through its IEEE-754 bits. Kept frozen, with its own copy of that hash function, so the
// golden test can prove the recorded events did not change when the hash's definition did: the
// legacy hash of a preset's in-memory columns must equal the value pinned before the change.
// Must not: share code with timelineHash.ts (a later change there must not move these values).

import type { TimelineColumns } from './timelineRecorder';

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

class LegacyHash {
  private h1 = 0x811c9dc5;
  private h2 = 0x01000193 ^ 0x9e3779b9;

  addNumber(x: number): void {
    f64[0] = x;
    this.mix(u32[0]!);
    this.mix(u32[1]!);
  }

  addString(s: string): void {
    this.addNumber(s.length);
    for (let i = 0; i < s.length; i++) this.mix(s.charCodeAt(i));
  }

  digest(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0');
  }

  private mix(word: number): void {
    this.h1 = Math.imul(this.h1 ^ word, 0x01000193);
    this.h2 = Math.imul(this.h2 ^ (word + 0x7f4a7c15), 0x5bd1e995);
    this.h2 ^= this.h2 >>> 13;
  }
}

/** The pre-streaming TimelineRecorder.hash(from) of recorded columns. */
export function legacyTimelineHash(cols: TimelineColumns, from = 0): string {
  const h = new LegacyHash();
  for (const l of cols.lanes) h.addString(l.name);
  for (const k of cols.kinds) h.addString(k.name);
  for (const s of cols.strings) h.addString(s);
  h.addNumber(cols.count - from);
  for (let i = from; i < cols.count; i++) {
    h.addNumber(cols.t[i]!);
    h.addNumber(cols.dur[i]!);
    h.addNumber(cols.lane[i]! * 65536 + cols.kind[i]!);
    h.addNumber(cols.a0[i]!);
    h.addNumber(cols.a1[i]!);
    h.addNumber(cols.a2[i]!);
    h.addNumber(cols.cause[i]!);
  }
  return h.digest();
}
