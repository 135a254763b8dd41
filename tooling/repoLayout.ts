// The naming conventions of the repository (README.md, Conventions), as checks over a file list:
// a unit test is named after the file it tests (`x.test.ts` or `x.<rule>.test.ts` beside `x.ts`,
// `x.vue` or `x.cjs`; under tooling/ the file may be a configuration at the repository root, e.g.
// tooling/eslint.test.ts tests eslint.config.js), shared test fixtures are `*.testkit.ts`, and no
// source file outside tests imports a fixture. tooling/repoLayout.test.ts runs them on `git ls-files`.

/** Test files whose stem names no file beside them (or, under tooling/, at the root). */
export function misnamedTests(files: readonly string[]): string[] {
  const present = new Set(files);
  const stems = new Set<string>();
  for (const f of files) {
    const slash = f.lastIndexOf('/');
    const dir = slash < 0 ? '' : f.slice(0, slash + 1);
    const base = f.slice(slash + 1);
    if (!base.includes('.test.')) stems.add(dir + base.split('.')[0]!);
  }
  return files.filter((f) => {
    if (!/\.test\.ts$/.test(f) || !present.has(f)) return false;
    const slash = f.lastIndexOf('/');
    const dir = f.slice(0, slash + 1);
    const stem = f.slice(slash + 1).split('.')[0]!;
    if (stems.has(dir + stem)) return false;
    return !(dir === 'tooling/' && stems.has(stem));
  });
}

/** Files that look like fixtures or test helpers but are not named `*.testkit.ts`. */
export function misnamedFixtures(files: readonly string[]): string[] {
  return files.filter((f) => /(\.test-data\.ts|[Ff]ixture\.ts|\/test[A-Z][A-Za-z]*\.ts|\/fake[A-Z][A-Za-z]*\.ts)$/.test(f));
}
