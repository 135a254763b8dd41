// A 64-bit (two 32-bit lanes) FNV-1a style hash over numbers, strings and recorded events, fed
// exactly: each number is hashed through its IEEE-754 bit pattern, so the same timeline gives the
// same hash in every process and on every machine. Used to prove that a run is deterministic.
// Events are folded in as the recorder seals them (addEvents, a tight loop over the columns' words),
// so a run's hash never needs the whole timeline in memory.
// Must not: format numbers as text (slow, and locale-free formatting is easy to get wrong).

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** The columns of recorded events that addEvents hashes (a recorder's buffer or any view of one). */
export interface HashedEventColumns {
  readonly t: Float64Array;
  readonly dur: Float64Array;
  readonly lane: Uint16Array;
  readonly kind: Uint16Array;
  readonly a0: Float64Array;
  readonly a1: Float64Array;
  readonly a2: Float64Array;
  readonly cause: Int32Array;
}

export class TimelineHash {
  private h1 = 0x811c9dc5;
  private h2 = 0x01000193 ^ 0x9e3779b9;
  // The event streams of addEvents (folded into the digest only when events were added).
  private events = 0;
  private p1 = 0x811c9dc5;
  private p2 = 0x01000193;
  private q1 = 0x811c9dc5 ^ 0x9e3779b9;
  private q2 = 0x01000193 ^ 0x85ebca6b;
  private r1 = 0x811c9dc5 ^ 0xc2b2ae35;
  private r2 = 0x01000193 ^ 0x27d4eb2f;

  addNumber(x: number): void {
    f64[0] = x;
    this.mix(u32[0]!);
    this.mix(u32[1]!);
  }

  addString(s: string): void {
    this.addNumber(s.length);
    for (let i = 0; i < s.length; i++) this.mix(s.charCodeAt(i));
  }

  /** Folds another hash's state in (a digest of digests: a plan's variants, definitions beside events). */
  addHash(other: TimelineHash): void {
    const [h1, h2] = other.folded();
    this.mix(h1);
    this.mix(h2);
  }

  /**
   * Folds events [from, to) of `cols` in, event after event, as three interleaved streams so the
   * CPU can mix them in parallel: (t, dur), (lane and kind, a0, cause), (a1, a2), 32-bit words of
   * each number's bits; each stream is an FNV-1a style pair like mix(). The same events give the
   * same state however they are split between calls, so the hash does not depend on where chunks
   * are cut. Hot (every recorded event passes here once): locals only, the mix written out.
   */
  addEvents(cols: HashedEventColumns, from: number, to: number): void {
    if (to <= from) return;
    const t = words(cols.t);
    const dur = words(cols.dur);
    const a0 = words(cols.a0);
    const a1 = words(cols.a1);
    const a2 = words(cols.a2);
    const { lane, kind, cause } = cols;
    let p1 = this.p1;
    let p2 = this.p2;
    let q1 = this.q1;
    let q2 = this.q2;
    let r1 = this.r1;
    let r2 = this.r2;
    for (let i = from; i < to; i++) {
      const j = 2 * i;
      // Stream p: t, dur.
      let w = t[j]!;
      p1 = Math.imul(p1 ^ w, 0x01000193);
      p2 = Math.imul(p2 ^ (w + 0x7f4a7c15), 0x5bd1e995);
      p2 ^= p2 >>> 13;
      w = t[j + 1]!;
      p1 = Math.imul(p1 ^ w, 0x01000193);
      p2 = Math.imul(p2 ^ (w + 0x7f4a7c15), 0x5bd1e995);
      p2 ^= p2 >>> 13;
      w = dur[j]!;
      p1 = Math.imul(p1 ^ w, 0x01000193);
      p2 = Math.imul(p2 ^ (w + 0x7f4a7c15), 0x5bd1e995);
      p2 ^= p2 >>> 13;
      w = dur[j + 1]!;
      p1 = Math.imul(p1 ^ w, 0x01000193);
      p2 = Math.imul(p2 ^ (w + 0x7f4a7c15), 0x5bd1e995);
      p2 ^= p2 >>> 13;
      // Stream q: lane and kind, a0, cause.
      w = lane[i]! | (kind[i]! << 16);
      q1 = Math.imul(q1 ^ w, 0x01000193);
      q2 = Math.imul(q2 ^ (w + 0x7f4a7c15), 0x5bd1e995);
      q2 ^= q2 >>> 13;
      w = a0[j]!;
      q1 = Math.imul(q1 ^ w, 0x01000193);
      q2 = Math.imul(q2 ^ (w + 0x7f4a7c15), 0x5bd1e995);
      q2 ^= q2 >>> 13;
      w = a0[j + 1]!;
      q1 = Math.imul(q1 ^ w, 0x01000193);
      q2 = Math.imul(q2 ^ (w + 0x7f4a7c15), 0x5bd1e995);
      q2 ^= q2 >>> 13;
      w = cause[i]!;
      q1 = Math.imul(q1 ^ w, 0x01000193);
      q2 = Math.imul(q2 ^ (w + 0x7f4a7c15), 0x5bd1e995);
      q2 ^= q2 >>> 13;
      // Stream r: a1, a2.
      w = a1[j]!;
      r1 = Math.imul(r1 ^ w, 0x01000193);
      r2 = Math.imul(r2 ^ (w + 0x7f4a7c15), 0x5bd1e995);
      r2 ^= r2 >>> 13;
      w = a1[j + 1]!;
      r1 = Math.imul(r1 ^ w, 0x01000193);
      r2 = Math.imul(r2 ^ (w + 0x7f4a7c15), 0x5bd1e995);
      r2 ^= r2 >>> 13;
      w = a2[j]!;
      r1 = Math.imul(r1 ^ w, 0x01000193);
      r2 = Math.imul(r2 ^ (w + 0x7f4a7c15), 0x5bd1e995);
      r2 ^= r2 >>> 13;
      w = a2[j + 1]!;
      r1 = Math.imul(r1 ^ w, 0x01000193);
      r2 = Math.imul(r2 ^ (w + 0x7f4a7c15), 0x5bd1e995);
      r2 ^= r2 >>> 13;
    }
    this.p1 = p1;
    this.p2 = p2;
    this.q1 = q1;
    this.q2 = q2;
    this.r1 = r1;
    this.r2 = r2;
    this.events += to - from;
  }

  /** 16 hex digits. */
  digest(): string {
    const [h1, h2] = this.folded();
    return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
  }

  /**
   * (h1, h2) with the event streams folded in (their count, then their states), leaving this hash
   * as it is: reading a digest never changes what later events hash to.
   */
  private folded(): [number, number] {
    if (this.events === 0) return [this.h1, this.h2];
    const h = new TimelineHash();
    h.h1 = this.h1;
    h.h2 = this.h2;
    h.addNumber(this.events);
    for (const w of [this.p1, this.p2, this.q1, this.q2, this.r1, this.r2]) h.mix(w);
    return [h.h1, h.h2];
  }

  private mix(word: number): void {
    this.h1 = Math.imul(this.h1 ^ word, 0x01000193);
    this.h2 = Math.imul(this.h2 ^ (word + 0x7f4a7c15), 0x5bd1e995);
    this.h2 ^= this.h2 >>> 13;
  }
}

/** The 32-bit words of a Float64Array's numbers, low word first (every platform the lab runs on is little-endian). */
function words(a: Float64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}
