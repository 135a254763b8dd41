import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NO_CAUSE, TimelineRecorder } from '../../core/sim/timelineRecorder';
import type { DurationNs, SimTimeNs } from '../../core/sim/simTime';
import { tempDb, type TempDb } from '../testDb.testkit';
import { newTestRun } from './timelineFixture.testkit';
import { TimelineStore } from './timelineStore';
import { TIMELINE_TABLES, TimelineWriter } from './timelineWriter';
import { eventsTableOf } from './timelineTables';
import { scanTimeline } from './timelineScan';

let t: TempDb;
beforeEach(() => {
  t = tempDb();
});
afterEach(() => t.dispose());

/**
 * A small "simulation": steps of 37 events over 3 lanes, a lane and a kind defined mid-run, a span
 * whose end is set in the step that recorded it, causes near and far back, some events recorded
 * earlier in time than the one before.
 */
function simulate(recorder: TimelineRecorder, events: number): void {
  const lanes = [recorder.defineLane('cpu0', 'guest'), recorder.defineLane('nvme0', 'device')];
  const op = recorder.defineKind({ name: 'op', args: [{ name: 'n', format: 'int' }] });
  let fail = -1;
  for (let i = 0; i < events; i++) {
    if (i === events / 2) {
      lanes.push(recorder.defineLane('faults', 'faults'));
      fail = recorder.defineKind({ name: 'fail', failure: true, args: [{ name: 'errno', format: 'errno' }] });
    }
    const lane = lanes[i % lanes.length]!;
    const late = i % 11 === 0 ? 40 : 0;
    const kind = fail >= 0 && i % 13 === 0 ? fail : op;
    const a0 = kind === fail ? recorder.internString(`E${i % 3}`) : i;
    const ev = recorder.record((i * 10 - late) as SimTimeNs, 0, lane, kind, a0, 0, 0, i === 0 ? NO_CAUSE : i % 5 === 0 ? 0 : i - 1);
    if (i % 4 === 0) recorder.setDuration(ev, (i % 9) as DurationNs);
    if (i % 37 === 36) recorder.endStep();
  }
}

describe('storing a timeline while the run records it', () => {
  it('stores what the recorder recorded, chunk by chunk, and marks it complete when finished', () => {
    const runId = newTestRun(t.db);
    const writer = new TimelineWriter(t.db, runId, { chunkEvents: 100 });
    const streamed = new TimelineRecorder(undefined, writer);
    simulate(streamed, 3000);
    const store = new TimelineStore(t.db);
    // While the run goes: rows of the chunks handed over so far, the timeline incomplete.
    expect(store.summary(runId)).toMatchObject({ complete: false, eventCount: writer.stored });
    expect(writer.stored).toBeGreaterThan(2500);
    streamed.flush();
    writer.finish();

    const memory = new TimelineRecorder();
    simulate(memory, 3000);
    const cols = memory.columns();
    expect(streamed.hash()).toBe(memory.hash());
    const summary = store.summary(runId)!;
    expect(summary).toMatchObject({ complete: true, eventCount: 3000, failureCount: Array.from(cols.kind).filter((k) => k === 1).length });
    expect(summary.lanes.map((l) => l.name)).toEqual(['cpu0', 'nvme0', 'faults']);
    expect(summary.kinds.map((k) => k.name)).toEqual(['op', 'fail']);
    const rows = [
      ...scanTimeline(
        t.db,
        runId,
        summary.lanes.map((l) => l.id),
      ),
    ].sort((a, b) => a.seq - b.seq);
    expect(rows).toHaveLength(3000);
    rows.forEach((r, i) => {
      expect([r.t, r.dur, r.lane, r.kind, r.a0, r.cause ?? NO_CAUSE]).toEqual([
        cols.t[i],
        cols.dur[i],
        cols.lane[i],
        cols.kind[i],
        cols.a0[i],
        cols.cause[i],
      ]);
    });
    expect(store.detail(runId, 0)!.effectCount).toBe(Array.from(cols.cause).filter((c) => c === 0).length);
    // 2995 names event 0, recorded in the first chunk.
    expect(store.detail(runId, 2999)!.causeChain.map((e) => e.seq)).toEqual([2998, 2997, 2996, 2995, 0]);
    expect(store.failures(runId, 5).every((e) => e.kind === 'fail' && e.args['errno']!.toString().startsWith('E'))).toBe(true);
  });

  it('discards everything of a run stopped while streaming', () => {
    const runId = newTestRun(t.db);
    const writer = new TimelineWriter(t.db, runId, { chunkEvents: 100 });
    simulate(new TimelineRecorder(undefined, writer), 1000);
    writer.discard();
    expect(new TimelineStore(t.db).summary(runId)).toBeUndefined();
    expect(t.db.prepare('SELECT name FROM sqlite_master WHERE name = ?').get(eventsTableOf(runId))).toBeUndefined();
    for (const table of TIMELINE_TABLES) {
      expect(t.db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE run_id = ?`).get(runId), table).toEqual({ n: 0 });
    }
  });

  it('puts the connection settings it changed for storing back', () => {
    const before = ['wal_autocheckpoint', 'cache_size', 'mmap_size'].map((p) => t.db.pragma(p, { simple: true }));
    const writer = new TimelineWriter(t.db, newTestRun(t.db), { chunkEvents: 100 });
    expect(t.db.pragma('mmap_size', { simple: true })).toBe(0);
    simulate(new TimelineRecorder(undefined, writer), 500);
    writer.finish();
    expect(['wal_autocheckpoint', 'cache_size', 'mmap_size'].map((p) => t.db.pragma(p, { simple: true }))).toEqual(before);
  });
});
