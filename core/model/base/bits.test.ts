import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bitsPer, isPowerOfTwo, lowestSetBit, popcount, remPow2, roundDownPowerOfTwo, roundUpPowerOfTwo } from './bits';

/** Reference results on bigints, exact at any size. */
const big = {
  lowestSetBit: (x: bigint) => x & -x,
  bitsPer: (x: bigint) => x.toString(2).replace(/^0+/, '').length,
  popcount: (x: bigint) => [...x.toString(2)].filter((c) => c === '1').length,
};

/** Integers below 2^53 and a few multiples of large powers of two up to 2^64. */
const wide = fc.oneof(
  fc.integer({ min: 1, max: 2 ** 31 }),
  fc.maxSafeInteger().filter((x) => x > 0),
  fc.tuple(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 12, max: 33 })).map(([m, s]) => m * 2 ** s),
);

describe('lowestSetBit', () => {
  it('is x & -x below 2^31 and stays exact above 2^32 and up to 2^64', () => {
    expect(lowestSetBit(12)).toBe(4);
    expect(lowestSetBit(2 ** 32)).toBe(2 ** 32);
    expect(lowestSetBit(2 ** 32 + 2 ** 20)).toBe(2 ** 20);
    expect(lowestSetBit(2 ** 53 - 1)).toBe(1);
    expect(lowestSetBit(2 ** 53)).toBe(2 ** 53);
    expect(lowestSetBit(2 ** 64 - 4096)).toBe(4096);
    fc.assert(fc.property(wide, (x) => lowestSetBit(x) === Number(big.lowestSetBit(BigInt(x)))));
  });
});

describe('isPowerOfTwo', () => {
  it('holds for one set bit only, at any size up to 2^64', () => {
    expect([1, 2, 4096, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53, 2 ** 63].every(isPowerOfTwo)).toBe(true);
    expect([0, -4, 3, 4097, 1.5, 2 ** 32 + 4096, 2 ** 53 - 1, 2 ** 60 + 256].some(isPowerOfTwo)).toBe(false);
  });
});

describe('roundUpPowerOfTwo / roundDownPowerOfTwo', () => {
  it('round to the neighbouring power of two', () => {
    expect(roundUpPowerOfTwo(1)).toBe(1);
    expect(roundUpPowerOfTwo(3)).toBe(4);
    expect(roundUpPowerOfTwo(4096)).toBe(4096);
    expect(roundDownPowerOfTwo(1)).toBe(1);
    expect(roundDownPowerOfTwo(3)).toBe(2);
    expect(roundDownPowerOfTwo(4097)).toBe(4096);
  });

  it('stay exact above 2^32 and up to 2^64, where Math.log2 rounds', () => {
    expect(roundUpPowerOfTwo(2 ** 32 + 1)).toBe(2 ** 33);
    expect(roundUpPowerOfTwo(2 ** 53 - 1)).toBe(2 ** 53);
    expect(roundUpPowerOfTwo(2 ** 63 + 2 ** 12)).toBe(2 ** 64);
    expect(roundDownPowerOfTwo(2 ** 53 - 1)).toBe(2 ** 52);
    expect(roundDownPowerOfTwo(2 ** 60 + 256)).toBe(2 ** 60);
    expect(roundDownPowerOfTwo(2 ** 64 - 2 ** 11)).toBe(2 ** 63);
    fc.assert(
      fc.property(wide, (x) => {
        const down = roundDownPowerOfTwo(x);
        const up = roundUpPowerOfTwo(x);
        return isPowerOfTwo(down) && down <= x && x < down * 2 && isPowerOfTwo(up) && up >= x && (up === 1 || up / 2 < x);
      }),
    );
  });
});

describe('bitsPer', () => {
  it('counts the bits needed to write x, exact up to 2^64', () => {
    expect(bitsPer(0)).toBe(0);
    expect(bitsPer(1)).toBe(1);
    expect(bitsPer(2 ** 32 - 1)).toBe(32);
    expect(bitsPer(2 ** 32)).toBe(33);
    expect(bitsPer(2 ** 53 - 1)).toBe(53);
    expect(bitsPer(2 ** 64 - 1)).toBe(64);
    fc.assert(fc.property(wide, (x) => bitsPer(x) === big.bitsPer(BigInt(x))));
  });
});

describe('popcount', () => {
  it('counts set bits of a 32-bit word and of wider integers up to 2^64', () => {
    expect(popcount(0)).toBe(0);
    expect(popcount(0xffffffff)).toBe(32);
    expect(popcount(2 ** 32)).toBe(1);
    expect(popcount(2 ** 53 - 1)).toBe(53);
    expect(popcount(2 ** 64 - 4096)).toBe(52);
    fc.assert(fc.property(wide, (x) => popcount(x) === big.popcount(BigInt(x))));
  });
});

describe('remPow2', () => {
  it('is x % m bit for bit for any double and any power of two m', () => {
    const specials = [0, -0, 1, 3, 4.5, 2 ** 53 - 1, 2 ** 53 + 2, 2 ** 64, 2 ** 64 - 2048, 5e-324, -7, -4.25, NaN, Infinity, -Infinity];
    for (const x of specials)
      for (const k of [0, 2, 12, 16, 34, 60]) expect(Object.is(remPow2(x, 2 ** k), x % 2 ** k), `${x} % 2^${k}`).toBe(true);
    fc.assert(
      fc.property(fc.oneof(wide, fc.double(), fc.double({ min: 0, max: 2 ** 64 })), fc.integer({ min: 0, max: 62 }), (x, k) =>
        Object.is(remPow2(x, 2 ** k), x % 2 ** k),
      ),
      { numRuns: 5000 },
    );
  });
});
