// A frozen copy of the timeline writer as schema v3 shipped it (commit 1ed3f25, the whole recorded
// timeline in memory): migration v3's data step converts v1 timelines into exactly the v3 layout
// with it (per-run clustered table, levels of detail per lane from whole-lane figures, long spans,
// seq blocks, CSR effect blocks, failures), and later migrations convert v3 to their layouts (v6:
// effect blocks into effect parts). The live writer (timeline/timelineWriter.ts) has moved on;
// this one must not: a database at v2 has to reach v3 as v3 was, whatever today's store looks like.
// Runs inside the migration's transaction.
// Must not: import the live timeline modules (they change with the store); be edited.

import type BetterSqlite3 from 'better-sqlite3';
import type { TimelineColumns } from '../core/sim/timelineRecorder';

type Db = BetterSqlite3.Database;

const LOD_BASE_NS = 256;
const LOD_FANOUT = 4;
const LOD_MAX_LEVEL = 24;
const LOD_CHUNK_BUCKETS = 256;
const MIN_EVENTS_PER_BUCKET = 4;
const LONG_SPANS_PER_LANE = 256;
const MIN_SPAN_CUT_EXP = 20;
const MAX_SPAN_CUT_EXP = 53;
const SEQ_BLOCK = 4096;
const WIDTHS_NS = Float64Array.from({ length: LOD_MAX_LEVEL + 1 }, (_, k) => LOD_BASE_NS * LOD_FANOUT ** k);

interface LaneStats {
  readonly eventCount: number;
  readonly spanCutNs: number;
  readonly maxShortDurNs: number;
}

interface Order {
  readonly order: Uint32Array;
  readonly laneStart: Uint32Array;
  readonly lanes: readonly LaneStats[];
  readonly startNs: number;
  readonly endNs: number;
  readonly failureCount: number;
  readonly failureKinds: Uint8Array;
}

interface Buckets {
  readonly n: number;
  readonly bucket: Float64Array;
  readonly minT: Float64Array;
  readonly maxEnd: Float64Array;
  readonly count: Uint32Array;
  readonly failures: Uint32Array;
  readonly firstSeq: Uint32Array;
  readonly firstKind: Uint16Array;
}

/** Stores `cols` as run `runId`'s timeline in the v3 layout (tables as schema v3 created them). */
export function storeTimelineV3(db: Db, runId: number, cols: TimelineColumns): void {
  const ord = orderV3(cols);
  const table = `timeline_events_${runId}`;
  if (!Number.isSafeInteger(runId) || runId <= 0) throw new RangeError(`not a run id: ${runId}`);
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
    lane INTEGER NOT NULL, t INTEGER NOT NULL, seq INTEGER NOT NULL, dur INTEGER NOT NULL, kind INTEGER NOT NULL,
    a0 REAL NOT NULL, a1 REAL NOT NULL, a2 REAL NOT NULL, cause INTEGER, PRIMARY KEY (lane, t, seq)) WITHOUT ROWID`);
  db.prepare(
    `INSERT INTO timeline_runs (run_id, event_count, start_ns, end_ns, failure_count, lod_base_ns, complete) VALUES (?, ?, ?, ?, ?, ?, 0)`,
  ).run(runId, cols.count, ord.startNs, ord.endNs, ord.failureCount, LOD_BASE_NS);
  const lane = db.prepare('INSERT INTO timeline_lanes (run_id, lane, name, grp, max_dur, event_count, span_cut) VALUES (?,?,?,?,?,?,?)');
  for (const l of cols.lanes) {
    const s = ord.lanes[l.id]!;
    lane.run(runId, l.id, l.name, l.group, s.maxShortDurNs, s.eventCount, s.spanCutNs);
  }
  const kind = db.prepare('INSERT INTO timeline_kinds (run_id, kind, name, args_json, failure) VALUES (?,?,?,?,?)');
  for (const k of cols.kinds) kind.run(runId, k.id, k.name, JSON.stringify(k.args), k.failure ? 1 : 0);
  const str = db.prepare('INSERT INTO timeline_strings (run_id, idx, value) VALUES (?,?,?)');
  cols.strings.forEach((s, i) => str.run(runId, i, s));

  const lod = db.prepare('INSERT INTO timeline_lod (run_id, lane, level, first_bucket, n, data) VALUES (?,?,?,?,?,?)');
  const levels = db.prepare('UPDATE timeline_lanes SET lod_min_level = ?, lod_max_level = ? WHERE run_id = ? AND lane = ?');
  const long = db.prepare('INSERT INTO timeline_long_spans (run_id, lane, t, seq, end_t) VALUES (?,?,?,?,?)');
  for (let l = 0; l < cols.lanes.length; l++) {
    const from = ord.laneStart[l]!;
    const to = ord.laneStart[l + 1]!;
    const { spanCutNs } = ord.lanes[l]!;
    const laneLod = laneLodV3(cols, ord, from, to, spanCutNs);
    laneLod.levels.forEach((buckets, k) => {
      for (let at = 0; at < buckets.n; at += LOD_CHUNK_BUCKETS) {
        const c = encodeV3(buckets, at, Math.min(buckets.n, at + LOD_CHUNK_BUCKETS));
        lod.run(runId, l, laneLod.minLevel + k, c.firstBucket, c.n, c.data);
      }
    });
    levels.run(laneLod.minLevel, laneLod.maxLevel, runId, l);
    for (let p = from; p < to; p++) {
      const i = ord.order[p]!;
      if (cols.dur[i]! >= spanCutNs) long.run(runId, l, cols.t[i], i, cols.t[i]! + cols.dur[i]!);
    }
  }
  const seqBlock = db.prepare('INSERT INTO timeline_seq_blocks (run_id, block, lanes, times) VALUES (?,?,?,?)');
  for (let from = 0, block = 0; from < cols.count; from += SEQ_BLOCK, block++) {
    const to = Math.min(cols.count, from + SEQ_BLOCK);
    seqBlock.run(runId, block, bytesOf(cols.lane.slice(from, to)), bytesOf(cols.t.slice(from, to)));
  }
  const effects = db.prepare('INSERT INTO timeline_effect_blocks (run_id, block, offsets, seqs) VALUES (?,?,?,?)');
  writeEffectBlocksV3(cols, (block, offsets, seqs) => effects.run(runId, block, offsets, seqs));
  const failure = db.prepare('INSERT INTO timeline_failures (run_id, t, seq, lane) VALUES (?,?,?,?)');
  for (let i = 0; i < cols.count; i++) if (ord.failureKinds[cols.kind[i]!] === 1) failure.run(runId, cols.t[i], i, cols.lane[i]);
  const row = db.prepare(`INSERT INTO ${table} (lane, t, seq, dur, kind, a0, a1, a2, cause) VALUES (?,?,?,?,?,?,?,?,?)`);
  for (const i of ord.order) {
    const c = cols.cause[i]!;
    row.run(cols.lane[i], cols.t[i], i, cols.dur[i], cols.kind[i], cols.a0[i], cols.a1[i], cols.a2[i], c < 0 ? null : c);
  }
  db.prepare('UPDATE timeline_runs SET complete = 1 WHERE run_id = ?').run(runId);
}

function bytesOf(a: Uint16Array | Uint32Array | Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function orderV3(cols: TimelineColumns): Order {
  const laneCount = cols.lanes.length;
  const n = cols.count;
  const laneStart = new Uint32Array(laneCount + 1);
  for (let i = 0; i < n; i++) laneStart[cols.lane[i]! + 1] = laneStart[cols.lane[i]! + 1]! + 1;
  for (let l = 0; l < laneCount; l++) laneStart[l + 1] = laneStart[l + 1]! + laneStart[l]!;
  const order = new Uint32Array(n);
  const fill = laneStart.slice(0, laneCount);
  for (let i = 0; i < n; i++) order[fill[cols.lane[i]!]!++] = i;
  const failureKinds = new Uint8Array(Math.max(1, cols.kinds.length));
  for (const k of cols.kinds) if (k.failure) failureKinds[k.id] = 1;
  let startNs = n > 0 ? Number.POSITIVE_INFINITY : 0;
  let endNs = 0;
  let failureCount = 0;
  const lanes: LaneStats[] = [];
  for (let l = 0; l < laneCount; l++) {
    const from = laneStart[l]!;
    const to = laneStart[l + 1]!;
    const t = cols.t;
    let sorted = true;
    for (let p = from + 1; p < to && sorted; p++) sorted = t[order[p - 1]!]! <= t[order[p]!]!;
    if (!sorted) order.subarray(from, to).sort((a, b) => t[a]! - t[b]! || a - b);
    const durExp = new Uint32Array(MAX_SPAN_CUT_EXP + 2);
    for (let p = from; p < to; p++) {
      const i = order[p]!;
      const ti = cols.t[i]!;
      const d = cols.dur[i]!;
      if (ti < startNs) startNs = ti;
      if (ti + d > endNs) endNs = ti + d;
      if (failureKinds[cols.kind[i]!] === 1) failureCount++;
      if (d >= 1) {
        const e = d < 4294967296 ? 31 - Math.clz32(d) : Math.min(MAX_SPAN_CUT_EXP + 1, Math.floor(Math.log2(d)));
        durExp[e] = durExp[e]! + 1;
      }
    }
    let above = durExp[MAX_SPAN_CUT_EXP + 1]!;
    let exp = MAX_SPAN_CUT_EXP + 1;
    while (exp > MIN_SPAN_CUT_EXP && above + durExp[exp - 1]! <= LONG_SPANS_PER_LANE) {
      exp--;
      above += durExp[exp]!;
    }
    const spanCutNs = 2 ** Math.min(exp, MAX_SPAN_CUT_EXP);
    let maxShortDurNs = 0;
    for (let p = from; p < to; p++) {
      const d = cols.dur[order[p]!]!;
      if (d < spanCutNs && d > maxShortDurNs) maxShortDurNs = d;
    }
    lanes.push({ eventCount: to - from, spanCutNs, maxShortDurNs });
  }
  return { order, laneStart, lanes, startNs: n > 0 ? startNs : 0, endNs, failureCount, failureKinds };
}

function allocV3(n: number): Buckets {
  return {
    n,
    bucket: new Float64Array(n),
    minT: new Float64Array(n),
    maxEnd: new Float64Array(n),
    count: new Uint32Array(n),
    failures: new Uint32Array(n),
    firstSeq: new Uint32Array(n),
    firstKind: new Uint16Array(n),
  };
}

function laneLodV3(cols: TimelineColumns, ord: Order, from: number, to: number, spanCutNs: number) {
  const nonEmpty = new Float64Array(LOD_MAX_LEVEL + 1);
  const last = new Float64Array(LOD_MAX_LEVEL + 1).fill(-1);
  let shortCount = 0;
  for (let p = from; p < to; p++) {
    const i = ord.order[p]!;
    if (cols.dur[i]! >= spanCutNs) continue;
    shortCount++;
    for (let k = 0; k <= LOD_MAX_LEVEL; k++) {
      const b = Math.floor(cols.t[i]! / WIDTHS_NS[k]!);
      if (b === last[k]) break;
      last[k] = b;
      nonEmpty[k] = nonEmpty[k]! + 1;
    }
  }
  if (shortCount === 0) return { minLevel: -1, maxLevel: -1, levels: [] as Buckets[] };
  let maxLevel = 0;
  while (maxLevel < LOD_MAX_LEVEL && nonEmpty[maxLevel]! > 1) maxLevel++;
  let minLevel = 0;
  while (minLevel < maxLevel && nonEmpty[minLevel]! * MIN_EVENTS_PER_BUCKET > shortCount) minLevel++;
  const base = allocV3(nonEmpty[minLevel]!);
  const w = WIDTHS_NS[minLevel]!;
  let j = -1;
  for (let p = from; p < to; p++) {
    const i = ord.order[p]!;
    const d = cols.dur[i]!;
    if (d >= spanCutNs) continue;
    const t = cols.t[i]!;
    const b = Math.floor(t / w);
    if (j < 0 || base.bucket[j] !== b) {
      j++;
      base.bucket[j] = b;
      base.minT[j] = t;
      base.maxEnd[j] = t + d;
      base.firstSeq[j] = i;
      base.firstKind[j] = cols.kind[i]!;
    } else if (t + d > base.maxEnd[j]!) base.maxEnd[j] = t + d;
    base.count[j] = base.count[j]! + 1;
    base.failures[j] = base.failures[j]! + ord.failureKinds[cols.kind[i]!]!;
  }
  const levels = [base];
  for (let k = minLevel + 1; k <= maxLevel; k++) {
    const below = levels[levels.length - 1]!;
    const out = allocV3(nonEmpty[k]!);
    let o = -1;
    for (let i = 0; i < below.n; i++) {
      const b = Math.floor(below.bucket[i]! / LOD_FANOUT);
      if (o < 0 || out.bucket[o] !== b) {
        o++;
        out.bucket[o] = b;
        out.minT[o] = below.minT[i]!;
        out.maxEnd[o] = below.maxEnd[i]!;
        out.firstSeq[o] = below.firstSeq[i]!;
        out.firstKind[o] = below.firstKind[i]!;
      } else if (below.maxEnd[i]! > out.maxEnd[o]!) out.maxEnd[o] = below.maxEnd[i]!;
      out.count[o] = out.count[o]! + below.count[i]!;
      out.failures[o] = out.failures[o]! + below.failures[i]!;
    }
    levels.push(out);
  }
  return { minLevel, maxLevel, levels };
}

function encodeV3(b: Buckets, from: number, to: number): { firstBucket: number; n: number; data: Buffer } {
  const n = to - from;
  const ab = new ArrayBuffer(n * 38);
  new Float64Array(ab, 0, n).set(b.bucket.subarray(from, to));
  new Float64Array(ab, 8 * n, n).set(b.minT.subarray(from, to));
  new Float64Array(ab, 16 * n, n).set(b.maxEnd.subarray(from, to));
  new Uint32Array(ab, 24 * n, n).set(b.count.subarray(from, to));
  new Uint32Array(ab, 28 * n, n).set(b.failures.subarray(from, to));
  new Uint32Array(ab, 32 * n, n).set(b.firstSeq.subarray(from, to));
  new Uint16Array(ab, 36 * n, n).set(b.firstKind.subarray(from, to));
  return { firstBucket: b.bucket[from]!, n, data: Buffer.from(ab) };
}

function writeEffectBlocksV3(cols: TimelineColumns, put: (block: number, offsets: Buffer, seqs: Buffer) => void): void {
  const n = cols.count;
  const start = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const c = cols.cause[i]!;
    if (c >= 0 && c < n) start[c + 1] = start[c + 1]! + 1;
  }
  for (let i = 0; i < n; i++) start[i + 1] = start[i + 1]! + start[i]!;
  const seqs = new Uint32Array(start[n]!);
  const fill = start.slice(0, n);
  for (let i = 0; i < n; i++) {
    const c = cols.cause[i]!;
    if (c >= 0 && c < n) seqs[fill[c]!++] = i;
  }
  for (let from = 0, block = 0; from < n; from += SEQ_BLOCK, block++) {
    const to = Math.min(n, from + SEQ_BLOCK);
    const base = start[from]!;
    if (start[to] === base) continue;
    put(block, bytesOf(start.slice(from, to + 1).map((o) => o - base)), bytesOf(seqs.slice(base, start[to])));
  }
}
