// Number fields that users write by hand: addresses and sizes as numbers or hex strings
// ("0x10000"). Values are JS numbers; above 2^53 only multiples of the spacing are exact, which
// covers every page-aligned address below 2^64 (4 KiB multiples are exact up to 2^64).
// Must not: accept negative, fractional or non-hex text.

import { z } from 'zod';

const HEX = /^0x[0-9a-fA-F]+$/;
const ALL_ONES = 2n ** 64n - 1n;

/** Whether a hex string holds more than 64 bits (leading zeros do not count). */
function above64Bits(hex: string): boolean {
  return hex.slice(2).replace(/^0+/, '').length > 16;
}

/** Whether a hex value survives the conversion to a JS number (or is all ones, the "everything" length). */
function exactAsNumber(hex: string): boolean {
  const big = BigInt(hex);
  return big === ALL_ONES || BigInt(Number(big)) === big;
}

/**
 * An unsigned 64-bit quantity written as a number or a hex string. Above 2^53 a value must be exactly
 * representable (every 4 KiB-aligned address is), so a misaligned address can never round to an
 * aligned one; 0xffffffffffffffff is accepted as the all-ones length (it becomes 2^64).
 */
export const u64 = z
  .union([
    z.number().int('expected a whole number up to 2^53 - 1 (write larger values as hex strings, e.g. "0xfffffffffffff000")').nonnegative(),
    z.string().regex(HEX, 'expected a hex string like "0x10000"'),
  ])
  .refine((v) => typeof v === 'number' || !HEX.test(v) || !above64Bits(v), {
    message: 'above 2^64 - 1: an unsigned 64-bit value has at most 16 hex digits',
    abort: true,
  })
  .refine((v) => typeof v === 'number' || !HEX.test(v) || exactAsNumber(v), {
    message: 'not exactly representable: above 2^53 use values aligned to their magnitude (any 4 KiB-aligned address is fine)',
  })
  .transform((v) => (typeof v === 'number' ? v : Number(BigInt(v))))
  .refine((v) => v <= 2 ** 64, 'must be below 2^64');

/**
 * A positive integer power of two, exact to 2^64 (Math.log2 alone would take 2^60 + 256 for 2^60).
 * model/base/bits.ts has the simulator's copy; scenario/ sits below model/ and cannot import it.
 */
export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

export function toHexOrNumber(v: number): number | string {
  return Number.isSafeInteger(v) ? v : '0x' + BigInt(v).toString(16);
}
