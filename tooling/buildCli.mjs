// Builds `pcilab` to JavaScript ahead of time (npm install's `prepare`, `npm run build:cli`), so the
// command starts without compiling TypeScript: one esbuild bundle per entry in out/cli/ (the CLI
// and the query process it and the lab service start, and the run worker, run preparer and bundle import threads
// of the browser host and the tests: electron/service/workerSpawner.ts), every package bundled but better-sqlite3
// (native). Beside them, out/cli/inputs.json lists the source files the bundles were made from:
// bin/pcilab.mjs rebuilds when one is newer than the build. Files are written to a temporary name
// and renamed, so two commands rebuilding at once never load a half-written bundle.
// `--if-stale` builds only when out/cli is missing an entry or older than a source file.
// Must not: fail `npm install` (`--if-possible`) when esbuild is absent (an install without dev
// dependencies) or the build fails: it says so and leaves bin/pcilab.mjs to run the TypeScript source.

import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_DIR = join(ROOT, 'out', 'cli');
export const INPUTS_FILE = join(OUT_DIR, 'inputs.json');

const ENTRIES = {
  main: 'electron/cli/main.ts',
  runQueryChild: 'electron/service/runQueryChild.ts',
  // Worker threads of the browser host and the tests (electron/service/workerSpawner.ts).
  runWorker: 'electron/service/runWorker.ts',
  runPreparerWorker: 'electron/service/runPreparerWorker.ts',
  runBundleImportWorker: 'electron/service/runBundleImportWorker.ts',
};

/** Builds every entry; resolves to the list of input files (relative to the repository). */
export async function buildCli() {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: Object.entries(ENTRIES).map(([out, src]) => ({ out, in: join(ROOT, src) })),
    outdir: OUT_DIR,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['better-sqlite3'],
    // Bundled CommonJS packages call require(): give the ES module one.
    banner: { js: "import { createRequire as __pcilabRequire } from 'node:module'; const require = __pcilabRequire(import.meta.url);" },
    absWorkingDir: ROOT,
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  mkdirSync(OUT_DIR, { recursive: true });
  // Our own sources only: packages change through npm install, which rebuilds (`prepare`).
  const inputs = Object.keys(result.metafile.inputs).filter((p) => !p.startsWith('../') && !p.includes('node_modules/'));
  for (const file of result.outputFiles) writeAtomically(file.path, file.contents);
  writeAtomically(INPUTS_FILE, JSON.stringify({ inputs: [...inputs, 'package.json'] }));
  return inputs;
}

/** Why out/cli needs building (an entry missing, a source newer than the build), or null when it is current. */
export function staleness() {
  let builtAt = Infinity;
  try {
    for (const out of Object.keys(ENTRIES)) builtAt = Math.min(builtAt, statSync(join(OUT_DIR, `${out}.mjs`)).mtimeMs);
    const { inputs } = JSON.parse(readFileSync(INPUTS_FILE, 'utf8'));
    for (const input of inputs) if (statSync(join(ROOT, input)).mtimeMs > builtAt) return `${input} changed`;
  } catch {
    return 'not built';
  }
  return null;
}

function writeAtomically(path, contents) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // `--if-possible` (npm install's `prepare`): a build that cannot run is reported, not fatal, so
  // an install never fails over it; `npm run build:cli` fails.
  const ifPossible = process.argv.includes('--if-possible');
  // `--if-stale` (`npm run serve`): nothing to do when out/cli is current.
  if (process.argv.includes('--if-stale') && staleness() === null) process.exit(0);
  try {
    await import('esbuild');
  } catch {
    console.error('pcilab: esbuild is not installed (no dev dependencies): `pcilab` will run from the TypeScript source');
    process.exit(ifPossible ? 0 : 1);
  }
  const t0 = Date.now();
  try {
    const inputs = await buildCli();
    console.error(`pcilab: built out/cli from ${inputs.length} source files in ${Date.now() - t0} ms`);
  } catch (err) {
    console.error(`pcilab: building out/cli failed: ${String(err instanceof Error ? err.message : err)}`);
    if (ifPossible) console.error('pcilab: `pcilab` will run from the TypeScript source until `npm run build:cli` succeeds');
    process.exit(ifPossible ? 0 : 1);
  }
}
