// Child process of the store bench's memory figure: records N synthetic events (storeBench.ts) into
// a recorder whose sink is the lab's TimelineWriter on a fresh database, steps and chunks as a run
// does, finishes the timeline, and prints one JSON line with this process's peak RSS
// (VmHWM: bench/peakRss.ts), the wall time and the database size. Run alone, so the peak is
// the streaming path's and nothing else's.
// Usage: node --import tsx bench/storeStreamChild.ts <events>

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TimelineRecorder } from '../core/sim/timelineRecorder';
import { openLabDatabase } from '../db/database';
import { TimelineWriter } from '../db/timeline/timelineWriter';
import { peakRssMiB } from './peakRss';
import { newBenchRun, recordSyntheticRun } from './storeBench';

const events = Number(process.argv[2]);
if (!Number.isSafeInteger(events) || events <= 0) throw new Error('usage: storeStreamChild.ts <events>');
const dir = mkdtempSync(join(tmpdir(), 'pcilab-rss-'));
try {
  const path = join(dir, 'lab.db');
  const db = openLabDatabase(path);
  const runId = newBenchRun(db, 'stream');
  const t0 = performance.now();
  const writer = new TimelineWriter(db, runId);
  const rec = new TimelineRecorder(events, writer);
  recordSyntheticRun(rec, events, 4);
  rec.flush();
  writer.finish();
  const wallS = (performance.now() - t0) / 1000;
  db.pragma('wal_checkpoint(TRUNCATE)');
  const dbMiB = statSync(path).size / 2 ** 20;
  db.close();
  console.log(JSON.stringify({ events, peakRssMiB: peakRssMiB(), wallS, dbMiB }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
