// Formatting of numbers the user sees, always with their unit.
// Must not: hide a unit or round a value to something misleading.

export function formatNs(ns: number): string {
  if (ns === 0) return '0 ns';
  const abs = Math.abs(ns);
  if (abs < 1_000) return `${ns.toFixed(0)} ns`;
  if (abs < 1_000_000) return `${trim(ns / 1_000)} us`;
  if (abs < 1_000_000_000) return `${trim(ns / 1_000_000)} ms`;
  return `${trim(ns / 1_000_000_000)} s`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${trim(v)} ${units[i]}`;
}

export function formatCount(v: number): string {
  return Number.isInteger(v) ? v.toLocaleString('en-US') : trim(v);
}

export function formatWithUnit(value: number, unit: string): string {
  if (unit === 'bytes') return formatBytes(value);
  if (unit === 'ns') return formatNs(value);
  return `${formatCount(value)} ${unit}`.trim();
}

function trim(v: number): string {
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 1 : abs >= 10 ? 2 : 3;
  return Number(v.toFixed(digits)).toLocaleString('en-US', { maximumFractionDigits: digits });
}
