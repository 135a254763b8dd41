import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDb, type TempDb } from '../../db/testDb.testkit';
import { newTestRun, recordTestTimeline, type TestEvent } from '../../db/timeline/timelineFixture.testkit';
import { RunStore } from '../../db/runStore';
import { TimelineStore } from '../../db/timeline/timelineStore';
import { CSV_HEADER, csvField } from './runExportCsv';
import { exportChunks, exportFileName, writeChunks } from './runExport';

let t: TempDb;
let runId: number;

// Lane 0 (a cpu): a span with one nested in it and one after it, and an instant.
// Lane 1 (a device): IOs in flight at the same time (overlapping, not nested).
const events: TestEvent[] = [
  { t: 1000, dur: 500, lane: 0, kind: 0 },
  { t: 1100, dur: 100, lane: 0, kind: 0, cause: 0 },
  { t: 1600, dur: 50, lane: 0, kind: 0 },
  { t: 1700, dur: 0, lane: 0, kind: 1, cause: 2 },
  { t: 1000, dur: 300, lane: 1, kind: 2 },
  { t: 1100, dur: 300, lane: 1, kind: 2 },
  { t: 1234, dur: 1, lane: 1, kind: 2 },
];

beforeEach(() => {
  t = tempDb();
  runId = newTestRun(t.db, 'Export me, "please"');
  new TimelineStore(t.db).insert(runId, recordTestTimeline(events, 2));
  new RunStore(t.db).complete(
    runId,
    {
      metrics: { 'io.iops': 5 },
      ops: [],
      claims: [],
      counters: [{ name: 'vfio.entries', unit: 'mappings', tNs: [0, 1500], values: [0, 3] }],
      timelineHash: 'abc',
      simulatedNs: 2000,
    },
    events.length,
    0,
  );
});
afterEach(() => t.dispose());

function exportText(format: 'perfetto' | 'csv' | 'json'): string {
  return [...exportChunks(t.db, runId, format)!].join('');
}

interface TraceEvent {
  ph: string;
  name: string;
  tid?: number;
  ts?: number;
  dur?: number;
  id?: number;
  cat?: string;
  args?: Record<string, unknown>;
}

describe('exporting a run', () => {
  it('writes a Chrome trace Perfetto opens: thread names per lane, X for nesting spans, overlapping ones on an extra thread of the lane, i for instants', () => {
    const trace = JSON.parse(exportText('perfetto')) as { displayTimeUnit: string; traceEvents: TraceEvent[] };
    expect(trace.displayTimeUnit).toBe('ns');
    const ev = trace.traceEvents;
    expect(ev.filter((e) => e.name === 'thread_name').map((e) => [e.tid, e.args!['name']])).toEqual([
      [1, 'lane0'],
      [2, 'lane1'],
      [3, 'lane1 (2)'],
    ]);
    expect(ev.find((e) => e.name === 'process_name')!.args!['name']).toContain(`run ${runId}`);
    const isEvent = (e: TraceEvent): boolean => e.ph !== 'M' && e.ph !== 's' && e.ph !== 'f';
    const lane0 = ev.filter((e) => e.tid === 1 && isEvent(e));
    expect(lane0.map((e) => [e.ph, e.ts, e.dur])).toEqual([
      ['X', 1, 0.5],
      ['X', 1.1, 0.1],
      ['X', 1.6, 0.05],
      ['i', 1.7, undefined],
    ]);
    expect(lane0[1]!.args).toMatchObject({ seq: 1, cause: 0, iova: '0x1000' });
    const lane1 = ev.filter((e) => e.tid === 2 && isEvent(e));
    // The first IO and one nested in it share the lane's thread; the second overlaps the first
    // without nesting: the lane's second thread, so every span stays a slice a flow can bind to.
    expect(lane1.map((e) => [e.ph, e.ts, e.dur])).toEqual([
      ['X', 1, 0.3],
      ['X', 1.234, 0.001],
    ]);
    expect(ev.filter((e) => e.tid === 3 && isEvent(e)).map((e) => [e.ph, e.ts, e.dur, e.cat])).toEqual([['X', 1.1, 0.3, 'lane1']]);
    expect(ev.filter((e) => e.ph === 'C').map((e) => [e.name, e.ts, e.args!['value']])).toEqual([
      ['vfio.entries (mappings)', 0, 0],
      ['vfio.entries (mappings)', 1.5, 3],
    ]);
  });

  it('writes CSV with a header and one row per event, in time order, quoting as RFC 4180', () => {
    const lines = exportText('csv').trimEnd().split('\n');
    expect(lines[0]).toBe(CSV_HEADER);
    expect(lines).toHaveLength(events.length + 1);
    expect(lines[1]).toBe('0,1000,500,lane0,op,0,,"{""iova"":""0x1000"",""size"":4096,""errno"":""ENOSPC""}"');
    expect(lines.slice(1).map((l) => Number(l.split(',')[1]))).toEqual([1000, 1000, 1100, 1100, 1234, 1600, 1700]);
    expect(lines[7]).toBe('3,1700,0,lane0,fail,1,2,{}');
    expect(csvField('a,"b"')).toBe('"a,""b"""');
  });

  it('writes JSON with the run detail, the lanes and kinds, and every event', () => {
    const doc = JSON.parse(exportText('json')) as {
      format: string;
      run: { id: number; metrics: Record<string, number>; scenario: unknown; counters: unknown[] };
      timeline: { complete: boolean; eventCount: number };
      lanes: unknown[];
      kinds: unknown[];
      events: { seq: number; kind: string }[];
    };
    expect(doc.format).toBe('pcilab-run');
    expect(doc.run).toMatchObject({ id: runId, metrics: { 'io.iops': 5 } });
    expect(doc.run.counters).toHaveLength(1);
    expect(doc.timeline).toMatchObject({ complete: true, eventCount: events.length });
    expect(doc.lanes).toHaveLength(2);
    expect(doc.kinds).toHaveLength(3);
    expect(doc.events.map((e) => e.seq)).toEqual([0, 4, 1, 5, 6, 2, 3]);
  });

  it('keeps a run detail larger than a chunk whole in every format', () => {
    const big = new RunStore(t.db).create(
      { name: 'big', preset: null, seed: 1, scenario: { name: 'big', note: 'x'.repeat(200_000) }, durationNs: 1 },
      0,
    );
    new TimelineStore(t.db).insert(big, recordTestTimeline(events, 2));
    const doc = JSON.parse([...exportChunks(t.db, big, 'json')!].join('')) as { run: { scenario: { note: string } }; events: unknown[] };
    expect(doc.run.scenario.note).toHaveLength(200_000);
    expect(doc.events).toHaveLength(events.length);
    expect(() => JSON.parse([...exportChunks(t.db, big, 'perfetto')!].join('')) as unknown).not.toThrow();
  });

  it('streams many events in bounded chunks and reports the bytes written', async () => {
    const big = newTestRun(t.db, 'big');
    const many: TestEvent[] = Array.from({ length: 30_000 }, (_, i) => ({ t: i * 10, dur: 5, lane: i % 3, kind: 0 }));
    new TimelineStore(t.db).insert(big, recordTestTimeline(many, 3));
    const sizes: number[] = [];
    const bytes = await writeChunks(exportChunks(t.db, big, 'csv')!, { write: (c) => void sizes.push(c.length) });
    expect(sizes.length).toBeGreaterThan(10);
    expect(Math.max(...sizes)).toBeLessThan(70_000);
    expect(bytes).toBe(sizes.reduce((a, b) => a + b, 0));
  });

  it('suggests a file name from the run id, name and format', () => {
    expect(exportFileName({ id: 7, name: 'Strict vs lazy (x86)' }, 'perfetto')).toBe('run-7-strict-vs-lazy-x86.perfetto.json');
    expect(exportFileName({ id: 7, name: '***' }, 'csv')).toBe('run-7.csv');
    expect(exportChunks(t.db, 9999, 'csv')).toBeUndefined();
  });
});
