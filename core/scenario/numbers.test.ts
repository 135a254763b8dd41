import { describe, expect, it } from 'vitest';
import { u64 } from './numbers';

const problem = (v: unknown): string[] => {
  const r = u64.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => i.message);
};

describe('u64: a 64-bit quantity as a number or a hex string', () => {
  it('says a hex value above 2^64 - 1 is too big, not that it is malformed', () => {
    expect(problem('0x10000000000000000')).toEqual(['above 2^64 - 1: an unsigned 64-bit value has at most 16 hex digits']);
    expect(problem('0x' + 'f'.repeat(40))).toEqual(['above 2^64 - 1: an unsigned 64-bit value has at most 16 hex digits']);
  });

  it('ignores leading zeros when counting digits', () => {
    expect(u64.parse('0x0000000000000000001000')).toBe(4096);
  });

  it('still calls text that is not hex malformed', () => {
    expect(problem('0x12g')).toEqual(['expected a hex string like "0x10000"']);
    expect(problem('4096')).toEqual(['expected a hex string like "0x10000"']);
  });

  it('says how to write a number above 2^53', () => {
    expect(problem(2 ** 60)).toEqual([expect.stringContaining('write larger values as hex strings')]);
    expect(u64.parse('0x1000000000000000')).toBe(2 ** 60);
  });
});
