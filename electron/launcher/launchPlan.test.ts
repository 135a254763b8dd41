import { describe, expect, it } from 'vitest';
import { cannotStartLine, electronBinaryReady, electronRebuildArgs } from './launchPlan';

describe('npm start decisions', () => {
  it('needs both path.txt and the binary it names', () => {
    expect(electronBinaryReady({ pathTxt: null, binaryExists: false })).toBe(false);
    expect(electronBinaryReady({ pathTxt: 'electron', binaryExists: false })).toBe(false);
    expect(electronBinaryReady({ pathTxt: 'electron', binaryExists: true })).toBe(true);
  });

  it('explains a failure in one line and points to the browser mode', () => {
    const line = cannotStartLine('getaddrinfo ENOTFOUND github.com\n    at x');
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toContain('npm run serve');
    expect(line).toContain('ENOTFOUND');
  });

  it('builds native modules against Electron headers', () => {
    expect(electronRebuildArgs('39.8.10')).toEqual(expect.arrayContaining(['--target=39.8.10', '--runtime=electron']));
  });
});
