// What a user typed into a field, as the scenario value it stands for, and back. Text that is not
// a valid value of the field's type is kept as typed (a string), so the lab's schema reports it
// with its own message instead of the editor silently dropping it. Only JSON fields can fail here
// (unparseable JSON has no value to send).
// Must not: apply bounds or patterns (the schema's messages are the ones shown).

import type { FieldSpec } from './jsonSchema';
import { errorMessage } from '../format/errorMessage';

export type ParsedInput =
  { readonly kind: 'unset' } | { readonly kind: 'value'; readonly value: unknown } | { readonly kind: 'invalid'; readonly message: string };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const HEX = /^0x[0-9a-fA-F]+$/;

function parseNumber(text: string): number | string {
  const t = text.trim().replace(/_/g, '');
  return NUMBER.test(t) ? Number(t) : text;
}

export function parseFieldInput(field: Pick<FieldSpec, 'kind' | 'nullable' | 'choices'>, text: string): ParsedInput {
  const t = text.trim();
  if (t === '') return { kind: 'unset' };
  if (field.nullable && t === 'null') return { kind: 'value', value: null };
  switch (field.kind) {
    case 'integer':
    case 'number':
      return { kind: 'value', value: parseNumber(t) };
    case 'u64':
      return { kind: 'value', value: HEX.test(t) ? t : parseNumber(t) };
    case 'numberList': {
      const parts = t.split(/[\s,]+/).filter((p) => p !== '');
      const values = parts.map(parseNumber);
      return { kind: 'value', value: values.every((v) => typeof v === 'number') ? values : t };
    }
    case 'choice': {
      const match = field.choices.find((c) => String(c) === t);
      return { kind: 'value', value: match ?? t };
    }
    case 'flag':
      return { kind: 'value', value: t === 'true' ? true : t === 'false' ? false : t };
    case 'text':
      return { kind: 'value', value: text };
    case 'group':
    case 'tagged':
    case 'list':
    case 'json':
      try {
        return { kind: 'value', value: JSON.parse(t) as unknown };
      } catch (err) {
        return { kind: 'invalid', message: `not valid JSON: ${errorMessage(err)}` };
      }
    default: {
      const never: never = field.kind;
      throw new Error(`unknown field kind ${String(never)}`);
    }
  }
}

/** The text a field shows for a scenario value (empty when unset). */
export function formatFieldValue(field: Pick<FieldSpec, 'kind'>, value: unknown): string {
  if (value === undefined) return '';
  if (value === null) return 'null';
  if (field.kind === 'numberList' && Array.isArray(value)) return value.map(String).join(', ');
  if (typeof value === 'object') return JSON.stringify(value, null, 2);
  return String(value);
}

/** Whether the text a field shows already stands for `value` (so a re-render must not replace what is typed). */
export function inputMatches(field: FieldSpec, text: string, value: unknown): boolean {
  const parsed = parseFieldInput(field, text);
  if (parsed.kind === 'unset') return value === undefined;
  if (parsed.kind === 'invalid') return false;
  return JSON.stringify(parsed.value) === JSON.stringify(value);
}
