// Formatting of numbers the user sees, always with their unit: durations (ns, us, ms, s), sizes
// with binary prefixes, rates per second, fractions, and counts in a catalog unit.
// Must not: hide a unit or round a value to something misleading (3 significant decimals at most,
// integers stay exact).

/** A duration in nanoseconds, in the largest unit that keeps it >= 1 (ns, us, ms, s). */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return `${String(ns)} ns`;
  if (ns === 0) return '0 ns';
  const abs = Math.abs(ns);
  if (abs < 1_000) return `${trim(ns)} ns`;
  if (abs < 1_000_000) return `${trim(ns / 1_000)} us`;
  if (abs < 1_000_000_000) return `${trim(ns / 1_000_000)} ms`;
  return `${trim(ns / 1_000_000_000)} s`;
}

export function formatUs(us: number): string {
  return formatNs(us * 1_000);
}

export function formatMs(ms: number): string {
  return formatNs(ms * 1_000_000);
}

/** Wall-clock time left or taken, ms: "850 ms", "12.4 s", "3 min 05 s". */
export function formatWallMs(ms: number): string {
  if (ms < 60_000) return formatMs(Math.round(ms));
  const totalS = Math.round(ms / 1000);
  const min = Math.floor(totalS / 60);
  const s = totalS % 60;
  return `${min} min ${String(s).padStart(2, '0')} s`;
}

/** A size in bytes with binary prefixes (KiB, MiB, ...). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${trim(v)} ${units[i]}`;
}

/** A rate per second with a decimal prefix: "950 events/s", "1.25 M events/s". */
export function formatRate(perSecond: number, what: string): string {
  const abs = Math.abs(perSecond);
  if (abs >= 1e9) return `${trim(perSecond / 1e9)} G ${what}/s`;
  if (abs >= 1e6) return `${trim(perSecond / 1e6)} M ${what}/s`;
  if (abs >= 1e4) return `${trim(perSecond / 1e3)} k ${what}/s`;
  return `${formatCount(Math.round(perSecond))} ${what}/s`;
}

export function formatCount(v: number): string {
  return Number.isInteger(v) ? v.toLocaleString('en-US') : trim(v);
}

/** A share of a whole given as 0..1, as a percentage. */
export function formatFraction(v: number): string {
  return `${trim(v * 100)} %`;
}

/**
 * A value in a catalog unit ("bytes", "ns", "us", "ms", "s", "fraction", "MB/s", "IOs"...). Time
 * units are shown in the largest unit that keeps them readable; every other unit is appended.
 */
export function formatWithUnit(value: number, unit: string): string {
  switch (unit) {
    case 'bytes':
      return formatBytes(value);
    case 'ns':
      return formatNs(value);
    case 'us':
      return formatUs(value);
    case 'ms':
      return formatMs(value);
    case 's':
      return formatNs(value * 1e9);
    case 'fraction':
      return formatFraction(value);
    case '':
      return `${formatCount(value)} (no unit)`;
    case 'value':
      // The catalog's unit for an ops step's numeric output (bytes, an address, a count: see the op).
      return `${formatCount(value)} (op output)`;
    default:
      return `${formatCount(value)} ${unit}`;
  }
}

/** The exact value with its unit, for tooltips beside a rounded display ("5701.631 us"). */
export function exactWithUnit(value: number, unit: string): string {
  return `${String(value)} ${unit === '' ? '(no unit)' : unit}`;
}

function trim(v: number): string {
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 1 : abs >= 10 ? 2 : 3;
  return Number(v.toFixed(digits)).toLocaleString('en-US', { maximumFractionDigits: digits });
}
