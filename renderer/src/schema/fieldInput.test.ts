import { describe, expect, it } from 'vitest';
import { formatFieldValue, parseFieldInput } from './fieldInput';

const f = (kind: Parameters<typeof parseFieldInput>[0]['kind'], extra: Partial<Parameters<typeof parseFieldInput>[0]> = {}) => ({
  kind,
  nullable: false,
  choices: [],
  ...extra,
});

describe('typed text becomes the scenario value it stands for', () => {
  it('empty text unsets the field (its default applies)', () => {
    expect(parseFieldInput(f('integer'), '  ')).toEqual({ kind: 'unset' });
  });
  it('numbers parse; anything else is sent as typed so the schema names the problem', () => {
    expect(parseFieldInput(f('integer'), '1_024')).toEqual({ kind: 'value', value: 1024 });
    expect(parseFieldInput(f('number'), '2.5e3')).toEqual({ kind: 'value', value: 2500 });
    expect(parseFieldInput(f('integer'), '12abc')).toEqual({ kind: 'value', value: '12abc' });
  });
  it('u64 fields take numbers, hex strings and (when nullable) null', () => {
    expect(parseFieldInput(f('u64'), '0x100000000')).toEqual({ kind: 'value', value: '0x100000000' });
    expect(parseFieldInput(f('u64'), '4096')).toEqual({ kind: 'value', value: 4096 });
    expect(parseFieldInput(f('u64', { nullable: true }), 'null')).toEqual({ kind: 'value', value: null });
    expect(parseFieldInput(f('u64'), 'null')).toEqual({ kind: 'value', value: 'null' });
  });
  it('choices keep the type of the option (numbers stay numbers)', () => {
    expect(parseFieldInput(f('choice', { choices: [0, 1] }), '1')).toEqual({ kind: 'value', value: 1 });
    expect(parseFieldInput(f('choice', { choices: ['kvm', 'lpar'] }), 'lpar')).toEqual({ kind: 'value', value: 'lpar' });
    expect(parseFieldInput(f('flag'), 'false')).toEqual({ kind: 'value', value: false });
  });
  it('number lists split on commas or spaces', () => {
    expect(parseFieldInput(f('numberList'), '12, 16 21')).toEqual({ kind: 'value', value: [12, 16, 21] });
    expect(parseFieldInput(f('numberList'), '12, x')).toEqual({ kind: 'value', value: '12, x' });
    expect(formatFieldValue({ kind: 'numberList' }, [12, 16])).toBe('12, 16');
  });
  it('JSON fields fail locally when the text is not JSON', () => {
    expect(parseFieldInput(f('json'), '{"iova": 4096}')).toEqual({ kind: 'value', value: { iova: 4096 } });
    expect(parseFieldInput(f('json'), '{iova: 4096}').kind).toBe('invalid');
    expect(formatFieldValue({ kind: 'json' }, { a: 1 })).toBe('{\n  "a": 1\n}');
  });
});
