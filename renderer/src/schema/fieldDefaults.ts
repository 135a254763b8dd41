// A field's default, unit and source as the editor shows them: from the lab catalog's parameter
// table when it lists the field (value, unit, mirrored knob and source, as
// docs/model.md#default-parameters lists them), else from the JSON Schema's default with the unit
// read from the field's name (names carry their unit).
// Must not: invent defaults; a field with neither is shown as "no default".

import type { ParameterInfo } from '../../../core/contract/catalog';
import type { FieldSpec, Segment } from './jsonSchema';
import { formatBytes, formatNs } from '../format/units';

/** The catalog's name for a scenario path: list indexes become "[]", workload fields carry the kind. */
export function catalogPaths(segments: readonly Segment[], workloadKind?: string): string[] {
  let path = '';
  for (const seg of segments) path += typeof seg === 'number' ? '[]' : path === '' ? seg : `.${seg}`;
  if (segments[0] === 'workload' && workloadKind !== undefined && segments.length > 1) {
    return [`workload.${workloadKind}.${segments.slice(1).map(String).join('.')}`, path];
  }
  return [path];
}

const UNIT_SUFFIXES: readonly (readonly [RegExp, string])[] = [
  [/Bytes$/, 'bytes'],
  [/MBps$/, 'MB/s'],
  [/Ns$/, 'ns'],
  [/Us$/, 'us'],
  [/Ms$/, 'ms'],
  [/Bits$/, 'bits'],
  [/Shift$/, 'log2 bytes'],
  [/Iops$/i, 'IO/s'],
  [/Rate$/, 'per s'],
];

export function unitFromName(key: string): string {
  return UNIT_SUFFIXES.find(([re]) => re.test(key))?.[1] ?? '';
}

/** A value with its unit, readable: "8 GiB (8,589,934,592 bytes)", "10 ms", "16 (64 KiB pages)". */
export function describeValue(value: unknown, unit: string): string {
  if (typeof value === 'number') {
    if (unit === 'bytes') return value >= 1024 ? `${formatBytes(value)} (${value.toLocaleString('en-US')} bytes)` : `${value} bytes`;
    if (unit === 'ms') return formatNs(value * 1e6);
    if (unit === 'us') return formatNs(value * 1e3);
    if (unit === 'ns') return formatNs(value);
    if (unit === 'log2 bytes') return `${value} (2^${value} = ${formatBytes(2 ** value)})`;
    return unit === '' ? value.toLocaleString('en-US') : `${value.toLocaleString('en-US')} ${unit}`;
  }
  if (typeof value === 'string' && /^0x[0-9a-f]+$/i.test(value) && unit === 'bytes') return `${value} (${formatBytes(Number(value))})`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.map((v) => describeValue(v, unit)).join(', ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export interface FieldDefault {
  readonly unit: string;
  /** "65,535 mappings", or null when the field has no fixed default. */
  readonly text: string | null;
  readonly source: string;
  readonly mirrors?: string;
}

export function defaultOf(field: FieldSpec, parameters: readonly ParameterInfo[], workloadKind?: string): FieldDefault {
  const names = catalogPaths(field.segments, workloadKind);
  const param = names.map((n) => parameters.find((p) => p.path === n)).find((p) => p !== undefined);
  if (param !== undefined) {
    return {
      unit: param.unit,
      text: describeValue(param.defaultValue, param.unit),
      source: param.source,
      mirrors: param.mirrors ?? field.mirrors,
    };
  }
  const unit = unitFromName(field.key);
  if (!field.hasDefault) return { unit, text: null, source: field.required ? 'required' : 'optional', mirrors: field.mirrors };
  return { unit, text: describeValue(field.defaultValue, unit), source: 'scenario schema default', mirrors: field.mirrors };
}
