// A 64-bit (two 32-bit lanes) FNV-1a style hash over numbers and strings, fed exactly: each number
// is hashed through its IEEE-754 bit pattern, so the same timeline gives the same hash in every
// process and on every machine. Used to prove that a run is deterministic.
// Must not: format numbers as text (slow, and locale-free formatting is easy to get wrong).

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

export class TimelineHash {
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

  /** 16 hex digits. */
  digest(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0');
  }

  private mix(word: number): void {
    this.h1 = Math.imul(this.h1 ^ word, 0x01000193);
    this.h2 = Math.imul(this.h2 ^ (word + 0x7f4a7c15), 0x5bd1e995);
    this.h2 ^= this.h2 >>> 13;
  }
}
