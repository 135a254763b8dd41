// Store benches: (a) timeline rows stored through the lab's streaming path (chunks of 64 Ki events
// through TimelineWriter: rows, levels of detail, long spans, seq blocks, effect parts, failures)
// beside a bare better-sqlite3 batch insert of the same rows into a table of the same shape (the
// run's events table: same columns, same clustered primary key), in key order, one transaction,
// with the same connection settings; (b) zoom-window latency over a stored 10-million-event run at
// full span, 1 % and 0.01 % (1600 px, all lanes); (c) peak memory of a run storing 10 and 50
// million events through the recorder and the writer, each in a child process of its own
// (storeStreamChild.ts), so the figure is that process's own high-water mark (bench/peakRss.ts).
// The run is synthetic, shaped like real ones and emitted in time order across lanes as a recorder
// sees it: 20 lanes, bursty arrivals, overlapping IO spans on device lanes, a few long spans per
// lane, 0.1 % failures, causes within lanes and far back across them.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NO_CAUSE, TimelineRecorder, type TimelineColumns } from '../core/sim/timelineRecorder';
import type { DurationNs, SimTimeNs } from '../core/sim/simTime';
import { openLabDatabase, type LabDatabase } from '../db/database';
import { RunStore } from '../db/runStore';
import { TimelineStore } from '../db/timeline/timelineStore';
import { createEventsTableSql, eventsTableOf } from '../db/timeline/timelineTables';
import type { Measured } from './harness';

const LANES = 20;
const DEVICE_LANES_FROM = 16;
const SPAN_NS = 4e9;

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

/**
 * A synthetic run of `count` events over about 4 s, emitted in time order across lanes into a
 * recorder (endStep() every `stepEvents` events, as a host steps a simulation). Nothing per event
 * is kept: a 50-million-event run costs the generator a few numbers per lane.
 */
export function recordSyntheticRun(rec: TimelineRecorder, count: number, seed = 1, stepEvents = 2000): void {
  const rnd = prng(seed);
  const lanes = Array.from({ length: LANES }, (_, i) =>
    i < DEVICE_LANES_FROM ? rec.defineLane(`vm0.cpu${i}`, 'guest') : rec.defineLane(`device.nvme${i - DEVICE_LANES_FROM}`, 'device'),
  );
  const iova = { name: 'iova', format: 'hex' } as const;
  const bytes = { name: 'bytes', format: 'bytes' } as const;
  const kinds = [
    rec.defineKind({ name: 'dma.map', args: [iova, bytes] }),
    rec.defineKind({ name: 'dma.unmap', args: [iova] }),
    rec.defineKind({ name: 'io', args: [bytes, { name: 'job', format: 'int' }] }),
    rec.defineKind({ name: 'vfio.map.failed', failure: true, args: [{ name: 'errno', format: 'errno' }] }),
    rec.defineKind({ name: 'eeh.recovery' }),
  ];
  rec.internString('ENOSPC');
  const perLane = Math.floor(count / LANES);
  const meanGapNs = SPAN_NS / perLane;
  const longEvery = Math.max(1, Math.floor(perLane / 5));
  const next = new Float64Array(LANES);
  const burstLeft = new Uint32Array(LANES);
  const index = new Float64Array(LANES);
  const last = new Float64Array(LANES).fill(NO_CAUSE);
  const advance = (l: number): void => {
    // Bursts of 20-400 events at a tenth of the mean gap, then a pause making up the average.
    if (burstLeft[l] === 0) {
      burstLeft[l] = 20 + Math.floor(rnd() * 380);
      next[l] = next[l]! + meanGapNs * burstLeft[l]! * 0.9 * rnd() * 2;
    }
    burstLeft[l] = burstLeft[l]! - 1;
    next[l] = next[l]! + Math.floor(meanGapNs * 0.1 * rnd() * 2) + 1;
  };
  for (let l = 0; l < LANES; l++) {
    next[l] = rnd() * 1000;
    advance(l);
  }
  for (let seq = 0; seq < count; seq++) {
    let l = 0;
    for (let k = 1; k < LANES; k++) if (next[k]! < next[l]!) l = k;
    const i = index[l]!;
    const device = l >= DEVICE_LANES_FROM;
    const long = i % longEvery === 7;
    const dur = long ? Math.floor(1e7 + rnd() * 4e8) : device ? Math.floor(80_000 + rnd() * 140_000) : Math.floor(50 + rnd() * 450);
    const kind = long ? kinds[4]! : rnd() < 0.001 ? kinds[3]! : device ? kinds[2]! : kinds[i % 2]!;
    let cause = NO_CAUSE;
    if (i > 0 && rnd() < 0.5) cause = last[l]!;
    else if (seq > 200_000 && rnd() < 0.2) cause = seq - 100_000 - Math.floor(rnd() * 100_000);
    last[l] = rec.record(
      Math.floor(next[l]!) as SimTimeNs,
      dur as DurationNs,
      lanes[l]!,
      kind,
      0x1_0000_0000 + (i % 65536) * 4096,
      4096,
      0,
      cause,
    );
    index[l] = i + 1;
    advance(l);
    if (seq % stepEvents === stepEvents - 1) rec.endStep();
  }
}

/** The synthetic run's columns, in memory (for benches that time storing alone). */
export function syntheticTimeline(count: number, seed = 1): TimelineColumns {
  const rec = new TimelineRecorder(Math.max(count, 1));
  recordSyntheticRun(rec, count, seed);
  return rec.columns();
}

function tempDir(): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pcilab-bench-'));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export function newBenchRun(db: LabDatabase, name: string): number {
  return new RunStore(db).create({ name, preset: null, seed: 1, scenario: { name }, durationNs: SPAN_NS }, Date.now());
}

/** Wall and CPU milliseconds of `f` (CPU: this process's user + system time; other load on a shared machine inflates wall time more). */
interface Timed {
  readonly wallMs: number;
  readonly cpuMs: number;
}

function timed(f: () => void): Timed {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  f();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000 };
}

function storePathMs(cols: TimelineColumns): Timed {
  const tmp = tempDir();
  try {
    const db = openLabDatabase(join(tmp.dir, 'lab.db'));
    const runId = newBenchRun(db, 'bench');
    const t = timed(() => new TimelineStore(db).insert(runId, cols));
    db.close();
    return t;
  } finally {
    tmp.dispose();
  }
}

/** The rows in the events table's key order (lane, t, seq): a bare insert's best case (not timed). */
function keyOrder(cols: TimelineColumns): Uint32Array {
  const order = Uint32Array.from({ length: cols.count }, (_, i) => i);
  return order.sort((a, b) => cols.lane[a]! - cols.lane[b]! || cols.t[a]! - cols.t[b]! || a - b);
}

/**
 * The same rows into the same table shape on a connection set up as the lab's (and with the
 * store path's checkpoint interval), one transaction; `rowsPerStatement` rows per INSERT.
 */
function bareInsertMs(cols: TimelineColumns, order: Uint32Array, rowsPerStatement: number): Timed {
  const tmp = tempDir();
  try {
    const db = openLabDatabase(join(tmp.dir, 'bare.db'));
    db.pragma('wal_autocheckpoint = 16384');
    const runId = newBenchRun(db, 'bare');
    db.exec(createEventsTableSql(runId));
    const values = '(?,?,?,?,?,?,?,?,?)';
    const table = eventsTableOf(runId);
    const sql = (n: number) =>
      `INSERT INTO ${table} (lane, t, seq, dur, kind, a0, a1, a2, cause) VALUES ${new Array<string>(n).fill(values).join(',')}`;
    const many = db.prepare(sql(rowsPerStatement));
    const one = db.prepare(sql(1));
    const args: (number | null)[] = new Array<number | null>(9 * rowsPerStatement).fill(0);
    const set = (o: number, i: number): void => {
      const c = cols.cause[i]!;
      args[o] = cols.lane[i]!;
      args[o + 1] = cols.t[i]!;
      args[o + 2] = i;
      args[o + 3] = cols.dur[i]!;
      args[o + 4] = cols.kind[i]!;
      args[o + 5] = cols.a0[i]!;
      args[o + 6] = cols.a1[i]!;
      args[o + 7] = cols.a2[i]!;
      args[o + 8] = c < 0 ? null : c;
    };
    const t = timed(() => {
      db.transaction(() => {
        let p = 0;
        if (rowsPerStatement > 1) {
          for (; p + rowsPerStatement <= cols.count; p += rowsPerStatement) {
            for (let r = 0; r < rowsPerStatement; r++) set(9 * r, order[p + r]!);
            many.run(args);
          }
        }
        for (; p < cols.count; p++) {
          const i = order[p]!;
          const c = cols.cause[i]!;
          one.run(cols.lane[i], cols.t[i], i, cols.dur[i], cols.kind[i], cols.a0[i], cols.a1[i], cols.a2[i], c < 0 ? null : c);
        }
      })();
      db.pragma('wal_checkpoint(PASSIVE)');
    });
    db.close();
    return t;
  } finally {
    tmp.dispose();
  }
}

/**
 * The comparison this bench made before timelines were streamed: the same rows with the run id
 * (v1's columns) into a plain rowid table, in seq order, one row per statement, one transaction.
 */
function plainTableInsertMs(cols: TimelineColumns): Timed {
  const tmp = tempDir();
  try {
    const db = openLabDatabase(join(tmp.dir, 'plain.db'));
    db.pragma('wal_autocheckpoint = 16384');
    db.exec(
      'CREATE TABLE events (run_id INTEGER, seq INTEGER, t INTEGER, dur INTEGER, lane INTEGER, kind INTEGER, a0 REAL, a1 REAL, a2 REAL, cause INTEGER)',
    );
    const insert = db.prepare('INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?)');
    const t = timed(() => {
      db.transaction(() => {
        for (let i = 0; i < cols.count; i++) {
          const c = cols.cause[i]!;
          insert.run(1, i, cols.t[i], cols.dur[i], cols.lane[i], cols.kind[i], cols.a0[i], cols.a1[i], cols.a2[i], c < 0 ? null : c);
        }
      })();
      db.pragma('wal_checkpoint(PASSIVE)');
    });
    db.close();
    return t;
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

/** Store path throughput / a bare insert's, by wall time and by CPU time: medians of the per-round ratios. */
export interface InsertRatio {
  readonly wall: number;
  readonly cpu: number;
}

export interface InsertBench {
  readonly rows: readonly Measured[];
  /** Against the bare insert of one row per statement, of 100 rows per statement, and the bench's earlier plain-table insert. */
  readonly ratio: InsertRatio;
  readonly ratioMultiRow: InsertRatio;
  readonly ratioPlainTable: InsertRatio;
}

/** (a) Store path vs bare inserts of the same rows, interleaved round by round; medians of `reps`. */
export function benchInsert(rows = 1_000_000, reps = 7): InsertBench {
  const cols = syntheticTimeline(rows, 2);
  const order = keyOrder(cols);
  const store: Timed[] = [];
  const bare: Timed[] = [];
  const bareMulti: Timed[] = [];
  const plain: Timed[] = [];
  for (let i = 0; i < reps; i++) {
    bare.push(bareInsertMs(cols, order, 1));
    store.push(storePathMs(cols));
    bareMulti.push(bareInsertMs(cols, order, 100));
    plain.push(plainTableInsertMs(cols));
  }
  const n = rows.toLocaleString('en-US');
  const wall = (xs: readonly Timed[]) => xs.map((x) => x.wallMs);
  const ratio = (base: readonly Timed[]): InsertRatio => ({
    wall: median(store.map((s, i) => base[i]!.wallMs / s.wallMs)),
    cpu: median(store.map((s, i) => base[i]!.cpuMs / s.cpuMs)),
  });
  return {
    rows: [
      rowsMeasured(`store path, streamed (rows + LOD + long spans + seq blocks + effects), ${n} rows`, rows, wall(store)),
      rowsMeasured(`bare better-sqlite3 insert, same table, key order, 1 row per statement, ${n} rows`, rows, wall(bare)),
      rowsMeasured(`bare better-sqlite3 insert, same table, key order, 100 rows per statement, ${n} rows`, rows, wall(bareMulti)),
      rowsMeasured(`bare better-sqlite3 insert, plain rowid table, seq order, 1 row per statement, ${n} rows`, rows, wall(plain)),
    ],
    ratio: ratio(bare),
    ratioMultiRow: ratio(bareMulti),
    ratioPlainTable: ratio(plain),
  };
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

/** (b) Builds a stored run of `events` events once (streamed from the recorder), then times zoom windows at three scales. */
export function benchWindows(events = 10_000_000, samples = 40): QueryBench {
  const tmp = tempDir();
  try {
    const path = join(tmp.dir, 'lab.db');
    const db = openLabDatabase(path);
    const runId = newBenchRun(db, 'ten-million');
    const t0 = performance.now();
    const store = new TimelineStore(db);
    store.insert(runId, syntheticTimeline(events, 3));
    const buildMs = performance.now() - t0;
    db.pragma('wal_checkpoint(TRUNCATE)');
    const dbBytes = statSync(path).size;
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

export interface StreamRss {
  readonly events: number;
  readonly peakRssMiB: number;
  readonly wallS: number;
  readonly dbMiB: number;
}

/** (c) Peak RSS of recording and storing `events` synthetic events through the streaming path, in a child process. */
export function benchStreamRss(events: number): StreamRss {
  const child = fileURLToPath(new URL('./storeStreamChild.ts', import.meta.url));
  const out = execFileSync(process.execPath, ['--import', 'tsx', child, String(events)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as StreamRss;
}
