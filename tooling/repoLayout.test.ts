// The repository follows its naming conventions (tooling/repoLayout.ts), and the checks fire.
import { execSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { misnamedFixtures, misnamedTests } from './repoLayout';

const files = execSync('git ls-files', { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname })
  .split('\n')
  .filter((f) => f !== '');

describe('repository layout', () => {
  it('names every unit test after the file it tests', () => {
    expect(misnamedTests(files)).toEqual([]);
  });

  it('names every fixture *.testkit.ts', () => {
    expect(misnamedFixtures(files)).toEqual([]);
  });

  it('flags tests and fixtures that break the scheme', () => {
    const sample = ['core/a/x.ts', 'core/a/x.rules.test.ts', 'core/a/y.test.ts', 'tooling/eslint.test.ts', 'eslint.config.js'];
    expect(misnamedTests(sample)).toEqual(['core/a/y.test.ts']);
    expect(misnamedFixtures(['db/testDb.ts', 'db/testDb.testkit.ts', 'renderer/src/schemaFixture.ts'])).toEqual([
      'db/testDb.ts',
      'renderer/src/schemaFixture.ts',
    ]);
  });
});
