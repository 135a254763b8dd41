// The one source of randomness of a run: xoroshiro128+ from pure-rand, seeded from the scenario.
// Components that need their own stream take a fork (a jump of 2^64 steps), so adding a random
// draw in one component does not shift the numbers another component sees.
// Must not: be seeded from a clock or from Math.random.

import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

export class Prng {
  private constructor(private readonly gen: JumpableRandomGenerator) {}

  static fromSeed(seed: number): Prng {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    // pure-rand takes a 32-bit seed; fold the high bits in so seeds above 2^32 still differ.
    const folded = (seed ^ Math.floor(seed / 0x1_0000_0000)) | 0;
    return new Prng(xoroshiro128plus(folded));
  }

  /** An independent stream: a clone of this generator jumped 2^64 steps ahead; this one moves on too. */
  fork(): Prng {
    this.gen.jump();
    const child = this.gen.clone();
    this.gen.jump();
    return new Prng(child);
  }

  /** Uniform integer in [from, to], both included. */
  int(from: number, to: number): number {
    return uniformInt(this.gen, from, to);
  }

  /** Uniform double in [0, 1). */
  float(): number {
    return uniformFloat64(this.gen);
  }

  /** Exponentially distributed value with the given mean (for Poisson arrivals). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }
}
