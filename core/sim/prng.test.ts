import { describe, expect, it } from 'vitest';
import { Prng } from './prng';

const draw = (p: Prng, n: number) => Array.from({ length: n }, () => p.int(0, 1_000_000));

describe('Prng', () => {
  it('gives the same sequence for the same seed', () => {
    expect(draw(Prng.fromSeed(42), 20)).toEqual(draw(Prng.fromSeed(42), 20));
  });

  it('gives different sequences for different seeds, including seeds that differ above 2^32', () => {
    expect(draw(Prng.fromSeed(1), 20)).not.toEqual(draw(Prng.fromSeed(2), 20));
    expect(draw(Prng.fromSeed(1), 20)).not.toEqual(draw(Prng.fromSeed(1 + 2 ** 33), 20));
  });

  it('forks independent streams deterministically', () => {
    const a = Prng.fromSeed(7);
    const b = Prng.fromSeed(7);
    const fa = a.fork();
    const fb = b.fork();
    expect(draw(fa, 10)).toEqual(draw(fb, 10));
    expect(draw(a, 10)).toEqual(draw(b, 10));
    const c = Prng.fromSeed(7);
    const child = c.fork();
    expect(draw(child, 10)).not.toEqual(draw(c, 10));
  });

  it('draws uniform integers inside the bounds and exponentials with the right mean', () => {
    const p = Prng.fromSeed(3);
    for (let i = 0; i < 1000; i++) {
      const v = p.int(5, 9);
      expect(v).toBeGreaterThanOrEqual(5);
      expect(v).toBeLessThanOrEqual(9);
    }
    let sum = 0;
    for (let i = 0; i < 20000; i++) sum += p.exponential(10);
    expect(sum / 20000).toBeGreaterThan(9.5);
    expect(sum / 20000).toBeLessThan(10.5);
  });
});
