// `npm run bench:bundle [-- --duration-ms N]`: what a run bundle costs (docs/cluster.md, "The
// figure"): export, import and a duplicate import of one run of s390-rpcit-exhaustion (N ms of fio,
// default 7000: about 0.8 M events), in microseconds per event. The child runs bundled by plain
// Node (bench/bundle.ts), as the lab's code ships.
// Must not: write anything outside a temporary directory.

import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundleEntry } from './bundle';

const flag = process.argv.indexOf('--duration-ms');
const durationMs = flag < 0 ? 7000 : Number(process.argv[flag + 1]);
if (!Number.isInteger(durationMs) || durationMs < 1) {
  console.error(`--duration-ms: expected a whole number of milliseconds >= 1, got "${process.argv[flag + 1]}"`);
  process.exit(2);
}
const entry = await bundleEntry('bench/bundleCostChild.ts');
try {
  execFileSync(process.execPath, [entry, String(durationMs)], { stdio: 'inherit' });
} finally {
  rmSync(dirname(entry), { recursive: true, force: true });
}
