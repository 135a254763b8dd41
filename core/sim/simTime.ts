// Simulated time: integer nanoseconds held in a JS number (exact up to 2^53 ns, about 104 days).
// Branded so a wall-clock number or a microsecond count cannot be passed where SimTime is meant.
// Must not: read any clock or use floating-point time.

declare const simTimeBrand: unique symbol;
declare const durationBrand: unique symbol;

/** A point in simulated time, in integer nanoseconds since the start of the run. */
export type SimTimeNs = number & { readonly [simTimeBrand]: true };
/** A span of simulated time, in integer nanoseconds. */
export type DurationNs = number & { readonly [durationBrand]: true };

export const SIM_TIME_ZERO = 0 as SimTimeNs;
export const MAX_SIM_TIME_NS = Number.MAX_SAFE_INTEGER as SimTimeNs;

function checkIntegerNs(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative safe integer of nanoseconds, got ${value}`);
  }
}

export function simTimeNs(value: number): SimTimeNs {
  checkIntegerNs(value, 'simulated time');
  return value as SimTimeNs;
}

export function durationNs(value: number): DurationNs {
  checkIntegerNs(value, 'duration');
  return value as DurationNs;
}

/** Converts a (possibly fractional) microsecond cost to whole nanoseconds, rounding to nearest. */
export function usToNs(us: number): DurationNs {
  return durationNs(Math.round(us * 1000));
}

export function msToNs(ms: number): DurationNs {
  return durationNs(Math.round(ms * 1_000_000));
}

export function addDuration(t: SimTimeNs, d: DurationNs): SimTimeNs {
  return (t + d) as SimTimeNs;
}

export function elapsedNs(from: SimTimeNs, to: SimTimeNs): DurationNs {
  if (to < from) throw new RangeError(`elapsedNs: ${to} is before ${from}`);
  return (to - from) as DurationNs;
}

export function nsToUs(d: DurationNs): number {
  return d / 1000;
}

export function nsToMs(d: DurationNs | SimTimeNs): number {
  return d / 1_000_000;
}
