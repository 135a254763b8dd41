import { describe, expect, it } from 'vitest';
import { themeChoice } from './useTheme';

describe('the initial theme', () => {
  it('is the stored choice, else the system preference', () => {
    expect(themeChoice('dark', false)).toBe('dark');
    expect(themeChoice('light', true)).toBe('light');
    expect(themeChoice(null, true)).toBe('dark');
    expect(themeChoice('bogus', false)).toBe('light');
  });
});
