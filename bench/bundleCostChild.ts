// Child of bench/bundleCost.ts, run bundled by plain Node: one run of s390-rpcit-exhaustion stored
// in a lab of its own, then its bundle exported, imported into a fresh lab, and imported again (a
// duplicate), each timed; prints one line per step with milliseconds and microseconds per event.
// Must not: be run through tsx (the figures are of the code as it ships).

import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLabDatabase } from '../db/database';
import { exportBundle, runPreset } from '../electron/service/runBundle.testkit';
import { importRunBundle } from '../electron/service/runBundleImport';

const durationMs = Number(process.argv[2] ?? '7000');
const dir = mkdtempSync(join(tmpdir(), 'pcilab-bench-bundle-'));
try {
  const source = openLabDatabase(join(dir, 'source.db'));
  const runId = runPreset(source, 's390-rpcit-exhaustion', [`durationMs=${durationMs}`]);
  const events = source.prepare('SELECT event_count FROM runs WHERE id = ?').pluck().get(runId) as number;
  const time = <T>(label: string, fn: () => T): T => {
    const t0 = performance.now();
    const value = fn();
    const ms = performance.now() - t0;
    console.log(`${label.padEnd(22)} ${ms.toFixed(0).padStart(7)} ms  ${((ms * 1000) / events).toFixed(2).padStart(6)} us/event`);
    return value;
  };
  console.log(`s390-rpcit-exhaustion durationMs=${durationMs}: ${events.toLocaleString('en-US')} events`);
  const bundle = time('export', () => exportBundle(source, runId));
  console.log(`bundle: ${(bundle.length / 1e6).toFixed(1)} MB`);
  source.close();
  const target = openLabDatabase(join(dir, 'target.db'));
  time('import', () => importRunBundle(target, bundle, 'bench.gz'));
  time('import again (dup)', () => importRunBundle(target, bundle, 'bench.gz'));
  target.close();
  console.log(
    `load average during: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} (1, 5, 15 min)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
