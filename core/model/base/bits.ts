// Bit arithmetic on JS numbers that hold unsigned integers up to 2^64 (include/linux/log2.h,
// bitops.h): lowest set bit, powers of two, bit counts. JS bitwise operators work on 32 bits only,
// so each helper is written to stay exact for every integer a double holds below 2^64 (above 2^53
// a double holds only multiples of its spacing, which page-aligned values always are).
// Must not: know about pages or alignment of addresses (pages.ts does).

const TWO_32 = 0x1_0000_0000;

/** 2^64: one past the last IOVA, and also how ULONG_MAX / U64_MAX arrive as doubles. */
export const U64_END = 2 ** 64;

/** Largest power of two dividing x (x > 0 and an integer), exact for any integer below 2^64 held in a double. */
export function lowestSetBit(x: number): number {
  if (x <= 0x7fffffff) return x & -x;
  const lo = remPow2(x, TWO_32);
  if (lo !== 0) return (lo & -lo) >>> 0;
  return lowestSetBit(Math.floor(x / TWO_32)) * TWO_32;
}

/** is_power_of_2: a positive integer with one bit set. */
export function isPowerOfTwo(n: number): boolean {
  return n > 0 && Number.isInteger(n) && lowestSetBit(n) === n;
}

/** roundup_pow_of_two(n): the smallest power of two >= n (1 for n <= 1), exact up to 2^64. */
export function roundUpPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** 2^k for k = 0..64. */
const POW2: readonly number[] = Array.from({ length: 65 }, (_, k) => 2 ** k);

/** rounddown_pow_of_two(x): the largest power of two <= x (x >= 1), exact for integers up to 2^64. */
export function roundDownPowerOfTwo(x: number): number {
  // fls of the 32-bit word holding the top bit (Math.clz32 truncates to an exact uint32 below 2^32).
  if (x >= 1 && x < TWO_32) return POW2[31 - Math.clz32(x)]!;
  if (x >= TWO_32 && x < U64_END) return POW2[63 - Math.clz32(Math.floor(x / TWO_32))]!;
  let p = 2 ** Math.floor(Math.log2(x));
  // Math.log2 may round up just below a power of two (or down just above one) for large x.
  if (p > x) p /= 2;
  else if (p * 2 <= x) p *= 2;
  return p;
}

/** bits_per(x) / fls64(x): bits needed to write x (x >= 1); 0 for 0, 64 from 2^63 up. */
export function bitsPer(x: number): number {
  let b = 0;
  while (b < 64 && 2 ** b <= x) b++;
  return b;
}

/** hweight32: set bits of a 32-bit word. */
function popcount32(x: number): number {
  let v = x >>> 0;
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** hweight64: set bits of a non-negative integer below 2^64 (a bitmap word of 32 bits is the usual case). */
export function popcount(x: number): number {
  if (x < TWO_32) return popcount32(x);
  return popcount32(remPow2(x, TWO_32)) + popcount32(Math.floor(x / TWO_32));
}

/**
 * x % m for a power of two m, without the generic floating-point remainder (a library call per use
 * in V8): for x > 0, x / m and its floor are exact, and so is x - floor(x / m) * m, the remainder
 * being representable; the result is x % m bit for bit, fractional x included. Zero is its own
 * remainder (sign kept, as `%` keeps it); negative and non-finite x take `%` itself.
 */
export function remPow2(x: number, m: number): number {
  if (x > 0) return x - Math.floor(x / m) * m;
  // 0 % m is 0 and -0 % m is -0: x itself.
  return x === 0 ? x : x % m;
}

/**
 * `x % m === 0` for a power of two `m` (a page size) without the floating-point remainder (a libm
 * fmod call for values past 2^31): dividing by a power of two, flooring and multiplying back are
 * exact for every double, so the difference is 0 exactly when the remainder is; NaN, infinities,
 * fractions and an undefined `m` answer false as the remainder does (the remainder is the oracle
 * in bits.multipleOfPow2.test.ts).
 */
export function isMultipleOfPow2(x: number, m: number): boolean {
  return x - Math.floor(x / m) * m === 0;
}

/** 2 ** k, looked up for the integers 0..64 (a page or TCE shift) instead of calling Math.pow. */
export function pow2(k: number): number {
  return POW2[k] ?? 2 ** k;
}
