// Benches measure the code as it ships: bundled ES modules run by plain Node, not TypeScript
// compiled on the fly (tsx turns every imported constant into a getter call, which costs a third
// of a hot loop). bundleEntry builds one bench entry with esbuild into a temporary directory,
// dependencies left external so they resolve from node_modules as usual.

import { build } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Bundles `entry` (a path relative to the repository) and returns the output file. */
export async function bundleEntry(entry: string): Promise<string> {
  // Inside the repository, so the bundle's bare imports find node_modules.
  const dir = mkdtempSync(join(root, '.bench-'));
  const outfile = join(dir, 'entry.mjs');
  await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

export { tmpdir };
