// Number fields that users write by hand: addresses and sizes as numbers or hex strings
// ("0x10000"). Values are JS numbers; above 2^53 only multiples of the spacing are exact, which
// covers every page-aligned address below 2^64 (4 KiB multiples are exact up to 2^64).
// Must not: accept negative, fractional or non-hex text.

import { z } from 'zod';

const HEX = /^0x[0-9a-fA-F]{1,16}$/;

/** An unsigned 64-bit quantity written as a number or a hex string. */
export const u64 = z
  .union([z.number().int().nonnegative(), z.string().regex(HEX, 'expected a hex string like "0x10000"')])
  .transform((v) => (typeof v === 'number' ? v : Number(BigInt(v))))
  .refine((v) => v <= 2 ** 64, 'must be below 2^64');

export function toHexOrNumber(v: number): number | string {
  return Number.isSafeInteger(v) ? v : '0x' + BigInt(v).toString(16);
}
