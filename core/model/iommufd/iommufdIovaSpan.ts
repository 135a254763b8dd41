// IOVA arithmetic for the iommufd model on JS numbers. Ranges are kept half-open, [start, end),
// because every page-aligned bound up to 2^64 is an exact double while an inclusive last byte
// above 2^53 (0x...fff) is not. ULONG_MAX itself (2^64 - 1) rounds to 2^64, so the kernel's
// "x >= ULONG_MAX" tests read "x >= U64_END" here; a user value of 0xffffffffffffffff arrives as
// 2^64 and is treated as ULONG_MAX. Below 2^53 every value is exact; above it only multiples of
// the double spacing are (page multiples always are), which is all a page-granular IOAS uses.
// Must not: hold state; these are the number rules every iommufd file shares.

import { PAGE_SIZE } from '../base/pages';
import { U64_END } from '../base/bits';

const TWO_53 = 2 ** 53;

/** A half-open IOVA range [start, end). */
export interface IovaSpan {
  readonly start: number;
  readonly end: number;
}

/**
 * The largest double below `end`, used as the inclusive `last` of an IntervalMap entry so that
 * for every double x: x <= lastBefore(end) exactly when x < end (exact half-open overlap tests
 * even where end - 1 is not representable).
 */
export function lastBefore(end: number): number {
  if (end <= TWO_53) return end - 1;
  let e = Math.floor(Math.log2(end));
  if (2 ** e > end) e--;
  else if (2 ** (e + 1) <= end) e++;
  // Doubles in [2^e, 2^(e+1)) are 2^(e-52) apart; just below 2^e they are half that.
  return end === 2 ** e ? end - 2 ** (e - 53) : end - 2 ** (e - 52);
}

/** `x | offset` for an offset below PAGE_SIZE, as iopt_alloc_iova keeps the user page offset. */
export function orPageOffset(x: number, offset: number): number {
  if (offset === 0) return x;
  const low = x % PAGE_SIZE;
  return x - low + (low | offset);
}

/** check_add_overflow(start, length - 1): the range [start, start + length) runs past 2^64. */
export function wrapsU64(start: number, length: number): boolean {
  return start + length > U64_END;
}

/** Inclusive last address of a half-open range, exact as a bigint (for output above 2^53). */
export function lastAddress(end: number): bigint {
  return BigInt(end) - 1n;
}
