// errnoSymbol is the one way the lab names an errno for people: by name, whatever the sign, never a bare number.
import { describe, expect, it } from 'vitest';
import { errnoSymbol, LINUX_ERRNO } from './errnoNames';

describe('errnoSymbol', () => {
  it('names an errno symbolically whatever its sign, never as a bare number', () => {
    expect(errnoSymbol(12)).toBe('ENOMEM');
    expect(errnoSymbol(-12)).toBe('ENOMEM');
    expect(errnoSymbol(LINUX_ERRNO.ENOSPC)).toBe('ENOSPC');
    expect(errnoSymbol(0)).toBe('');
    expect(errnoSymbol(4095)).toBe('errno 4095');
  });

  it('has one name per code', () => {
    const codes = Object.values(LINUX_ERRNO);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
