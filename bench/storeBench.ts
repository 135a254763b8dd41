// Store benches: (a) timeline rows stored through the lab's path (ordering, levels of detail, seq
// and effect blocks, failures, long spans, the rows themselves) beside a bare better-sqlite3
// prepared-statement insert of the same rows into a plain table in one transaction; (b) zoom-window
// latency over a stored 10-million-event run at full span, 1 % and 0.01 % (1600 px, all lanes).
// The run is synthetic, shaped like real ones: 20 lanes, bursty arrivals, overlapping IO spans on
// device lanes, a few long spans per lane, 0.1 % failures, causes within and across lanes.

import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TimelineColumns } from '../core/sim/timelineRecorder';
import type { TimelineKindInfo, TimelineLaneInfo } from '../core/contract/timeline';
import { openLabDatabase, type LabDatabase } from '../db/database';
import { RunStore } from '../db/runStore';
import { TimelineStore } from '../db/timeline/timelineStore';
import type { Measured } from './harness';

const LANES = 20;

/** mulberry32: a tiny deterministic PRNG, so every bench run stores the same timeline. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS: TimelineKindInfo[] = [
  {
    id: 0,
    name: 'dma.map',
    failure: false,
    args: [
      { name: 'iova', format: 'hex' },
      { name: 'bytes', format: 'bytes' },
    ],
  },
  { id: 1, name: 'dma.unmap', failure: false, args: [{ name: 'iova', format: 'hex' }] },
  {
    id: 2,
    name: 'io',
    failure: false,
    args: [
      { name: 'bytes', format: 'bytes' },
      { name: 'job', format: 'int' },
    ],
  },
  { id: 3, name: 'vfio.map failed', failure: true, args: [{ name: 'errno', format: 'errno' }] },
  { id: 4, name: 'eeh.recovery', failure: false, args: [] },
];

/** A synthetic recorded timeline of `count` events over about 4 s of simulated time. */
export function syntheticTimeline(count: number, seed = 1): TimelineColumns {
  const rnd = prng(seed);
  const cols = {
    count,
    t: new Float64Array(count),
    dur: new Float64Array(count),
    lane: new Uint16Array(count),
    kind: new Uint16Array(count),
    a0: new Float64Array(count),
    a1: new Float64Array(count),
    a2: new Float64Array(count),
    cause: new Int32Array(count).fill(-1),
    lanes: Array.from({ length: LANES }, (_, i): TimelineLaneInfo =>
      i < 16 ? { id: i, name: `vm0.cpu${i}`, group: 'guest' } : { id: i, name: `device.nvme${i - 16}`, group: 'device' },
    ),
    kinds: KINDS,
    strings: ['ENOSPC', 'EFAULT'],
  };
  const perLane = Math.floor(count / LANES);
  const spanNs = 4e9;
  let seq = 0;
  for (let lane = 0; lane < LANES; lane++) {
    const n = lane === LANES - 1 ? count - seq : perLane;
    const device = lane >= 16;
    const meanGapNs = spanNs / n;
    let t = rnd() * 1000;
    let burstLeft = 0;
    for (let i = 0; i < n; i++, seq++) {
      // Bursts of 20-400 events at a tenth of the mean gap, then a pause making up the average.
      if (burstLeft === 0) {
        burstLeft = 20 + Math.floor(rnd() * 380);
        t += meanGapNs * burstLeft * 0.9 * rnd() * 2;
      }
      burstLeft--;
      t += Math.floor(meanGapNs * 0.1 * rnd() * 2) + 1;
      const long = i % Math.floor(n / 5) === 7;
      cols.t[seq] = Math.floor(t);
      cols.lane[seq] = lane;
      cols.dur[seq] = long ? Math.floor(1e7 + rnd() * 4e8) : device ? Math.floor(80_000 + rnd() * 140_000) : Math.floor(50 + rnd() * 450);
      cols.kind[seq] = long ? 4 : rnd() < 0.001 ? 3 : device ? 2 : i % 2;
      cols.a0[seq] = 0x1_0000_0000 + (i % 65536) * 4096;
      cols.a1[seq] = 4096;
      if (i > 0 && rnd() < 0.5) cols.cause[seq] = seq - 1;
      else if (seq > perLane && rnd() < 0.2) cols.cause[seq] = seq - perLane;
    }
  }
  return cols;
}

function tempDir(): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pcilab-bench-'));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

function newRun(db: LabDatabase, name: string): number {
  return new RunStore(db).create({ name, preset: null, seed: 1, scenario: { name }, durationNs: 4e9 }, Date.now());
}

function storePathMs(cols: TimelineColumns): number {
  const tmp = tempDir();
  try {
    const db = openLabDatabase(join(tmp.dir, 'lab.db'));
    const runId = newRun(db, 'bench');
    const t0 = performance.now();
    new TimelineStore(db).insert(runId, cols);
    const ms = performance.now() - t0;
    db.close();
    return ms;
  } finally {
    tmp.dispose();
  }
}

/** The same rows (v1's columns, run id included) into a plain table: one prepared statement, one transaction. */
function bareInsertMs(cols: TimelineColumns): number {
  const tmp = tempDir();
  try {
    const db = new Database(join(tmp.dir, 'bare.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(
      'CREATE TABLE events (run_id INTEGER, seq INTEGER, t INTEGER, dur INTEGER, lane INTEGER, kind INTEGER, a0 REAL, a1 REAL, a2 REAL, cause INTEGER)',
    );
    const insert = db.prepare('INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?)');
    const t0 = performance.now();
    db.transaction(() => {
      for (let i = 0; i < cols.count; i++) {
        const c = cols.cause[i]!;
        insert.run(1, i, cols.t[i], cols.dur[i], cols.lane[i], cols.kind[i], cols.a0[i], cols.a1[i], cols.a2[i], c < 0 ? null : c);
      }
    })();
    const ms = performance.now() - t0;
    db.close();
    return ms;
  } finally {
    tmp.dispose();
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

function rowsMeasured(name: string, rows: number, ms: readonly number[]): Measured {
  const m = median(ms);
  return { name, unit: 'rows', perSecond: (rows / m) * 1000, nsPerItem: (m * 1e6) / rows, rmePct: NaN, samples: ms.length };
}

export interface InsertBench {
  readonly rows: readonly Measured[];
  readonly ratio: number;
}

/** (a) Store path vs bare insert of the same rows, alternating, median of `reps` each. */
export function benchInsert(rows = 1_000_000, reps = 7): InsertBench {
  const cols = syntheticTimeline(rows, 2);
  const store: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < reps; i++) {
    bare.push(bareInsertMs(cols));
    store.push(storePathMs(cols));
  }
  const storeRow = rowsMeasured(`store path (rows + LOD + seq/effect blocks), ${rows.toLocaleString('en-US')} rows`, rows, store);
  const bareRow = rowsMeasured(`bare better-sqlite3 insert, plain table, ${rows.toLocaleString('en-US')} rows`, rows, bare);
  return { rows: [storeRow, bareRow], ratio: storeRow.perSecond / bareRow.perSecond };
}

export interface WindowLatency {
  readonly label: string;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly entries: number;
}

export interface QueryBench {
  readonly events: number;
  readonly buildMs: number;
  readonly dbBytes: number;
  readonly summaryMs: number;
  readonly windows: readonly WindowLatency[];
}

/** (b) Builds a stored run of `events` events once, then times zoom windows at three scales. */
export function benchWindows(events = 10_000_000, samples = 40): QueryBench {
  const tmp = tempDir();
  try {
    const path = join(tmp.dir, 'lab.db');
    const db = openLabDatabase(path);
    const runId = newRun(db, 'ten-million');
    const t0 = performance.now();
    new TimelineStore(db).insert(runId, syntheticTimeline(events, 3));
    const buildMs = performance.now() - t0;
    db.pragma('wal_checkpoint(TRUNCATE)');
    const dbBytes = statSync(path).size;
    const store = new TimelineStore(db);
    const s0 = performance.now();
    const summary = store.summary(runId)!;
    const summaryMs = performance.now() - s0;
    const total = summary.endNs - summary.startNs;
    const windows = [
      { label: 'full span', fraction: 1 },
      { label: '1 % of the span', fraction: 0.01 },
      { label: '0.01 % of the span', fraction: 0.0001 },
    ].map(({ label, fraction }) => {
      const span = Math.max(1, Math.round(total * fraction));
      const times: number[] = [];
      let entries = 0;
      // Pan across the run: each sample starts somewhere else (after two warm-up queries).
      for (let i = -2; i < samples; i++) {
        const start = summary.startNs + Math.round(((((i + 2) * 7919) % 1000) / 1000) * (total - span));
        const q0 = performance.now();
        const w = store.window({ runId, startNs: start, endNs: start + span, widthPx: 1600 })!;
        const ms = performance.now() - q0;
        if (i >= 0) {
          times.push(ms);
          entries += w.events.length + w.aggregates.reduce((n, a) => n + a.tNs.length, 0);
        }
      }
      return { label, medianMs: median(times), p95Ms: quantile(times, 0.95), entries: Math.round(entries / samples) };
    });
    db.close();
    return { events, buildMs, dbBytes, summaryMs, windows };
  } finally {
    tmp.dispose();
  }
}
