// The Perfetto export keeps what the inspector shows: a process per variant (named with the variant
// and the VMs), a thread per lane (and extra ones for its overlapping spans), a flow (arrow) for
// every cause link whose ids pair up one start with one finish, each end on its event's own slice,
// and counters as counter tracks of their variant's process.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TimelineRecorder } from '../../core/sim/timelineRecorder';
import type { DurationNs, SimTimeNs } from '../../core/sim/simTime';
import { RunStore } from '../../db/runStore';
import { tempDb, type TempDb } from '../../db/testDb.testkit';
import { TimelineStore } from '../../db/timeline/timelineStore';
import { exportChunks } from './runExport';
import { FLOW_NAME } from './runExportPerfetto';

interface TraceEvent {
  ph: string;
  name: string;
  pid?: number;
  tid?: number;
  ts?: number;
  id?: number;
  bp?: string;
  args?: Record<string, unknown>;
}

interface Ev {
  readonly t: number;
  readonly dur: number;
  readonly lane: number;
  readonly failure?: boolean;
  readonly cause?: number;
}

let t: TempDb;
beforeEach(() => (t = tempDb()));
afterEach(() => t.dispose());

const LANES = ['a/vm0.cpu0', 'a/device.nvme0', 'b/vm0.cpu0', 'b/device.nvme0'];

function storeRun(events: readonly Ev[], variants: readonly string[] = ['a', 'b'], laneNames: readonly string[] = LANES): number {
  const runs = new RunStore(t.db);
  const id = runs.create(
    {
      name: 'flows',
      preset: null,
      seed: 1,
      scenario: { name: 'flows', vms: [{ name: 'vm0' }] },
      durationNs: 1e6,
      variants: variants.map((name) => ({ name, description: '', set: [] })),
    },
    0,
  );
  const rec = new TimelineRecorder();
  for (const name of laneNames) rec.defineLane(name, name.includes('device') ? 'device' : 'guest');
  const map = rec.defineKind({ name: 'dma.map' });
  const failed = rec.defineKind({ name: 'dma.map.failed', failure: true });
  for (const e of events)
    rec.record(e.t as SimTimeNs, e.dur as DurationNs, e.lane, e.failure === true ? failed : map, 0, 0, 0, e.cause ?? -1);
  new TimelineStore(t.db).insert(id, rec.columns());
  const counters = variants.flatMap((v) => [
    { name: `${v}:vfio.entries`, unit: 'mappings', tNs: [0, 1000], values: [0, v === 'a' ? 3 : 5] },
  ]);
  runs.complete(
    id,
    {
      metrics: Object.fromEntries(variants.map((v, i) => [`${v}:sim.simulatedMs`, 200 / (i + 1)])),
      ops: [],
      claims: [],
      counters: variants.length > 0 ? counters : [],
      timelineHash: 'h',
      simulatedNs: 2000,
    },
    events.length,
    0,
  );
  return id;
}

function traceOf(runId: number): TraceEvent[] {
  return (JSON.parse([...exportChunks(t.db, runId, 'perfetto')!].join('')) as { traceEvents: TraceEvent[] }).traceEvents;
}

/** Checks the flow structure: each id one 's' and one 'f', and exactly one flow per stored cause link. */
function expectFlowsPairUp(trace: readonly TraceEvent[], events: readonly Ev[]): void {
  const starts = trace.filter((e) => e.ph === 's');
  const finishes = trace.filter((e) => e.ph === 'f');
  const ids = (list: readonly TraceEvent[]): number[] => list.map((e) => e.id!).sort((x, y) => x - y);
  expect(new Set(ids(starts)).size).toBe(starts.length);
  expect(ids(starts)).toEqual(ids(finishes));
  const linked = events.flatMap((e, seq) => (e.cause === undefined ? [] : [seq]));
  expect(ids(starts)).toEqual(linked);
  for (const f of finishes) expect(f).toMatchObject({ bp: 'e', name: FLOW_NAME });
  // Each end lies on its event's own slice (same process, thread and start), never on an async track.
  expect(trace.filter((e) => e.ph === 'b' || e.ph === 'e')).toEqual([]);
  const slice = new Map<number, string>();
  for (const e of trace) if (e.ph === 'X' || e.ph === 'i') slice.set(e.args!['seq'] as number, `${e.pid}/${e.tid}/${e.ts}`);
  for (const f of finishes) expect(`${f.pid}/${f.tid}/${f.ts}`).toBe(slice.get(f.id!));
  for (const st of starts) expect(`${st.pid}/${st.tid}/${st.ts}`).toBe(slice.get(events[st.id!]!.cause!));
}

describe('the Perfetto export', () => {
  // Variant a: a failure span that starts before its cause (the cause is decided inside it).
  const events: Ev[] = [
    { t: 100, dur: 500, lane: 0, failure: true, cause: 2 }, // 0: a's failure, caused by 2
    { t: 0, dur: 50, lane: 2 }, // 1: b's map
    { t: 300, dur: 0, lane: 1, cause: 3 }, // 2: a's device event, caused by 3 (later seq, earlier time)
    { t: 200, dur: 10, lane: 0 }, // 3
    { t: 60, dur: 5, lane: 3, cause: 1 }, // 4: b's device event, caused by 1
  ];

  it('makes one process per variant, named with the variant, the run and the VMs, and a thread per lane', () => {
    const id = storeRun(events);
    const trace = traceOf(id);
    const processes = trace.filter((e) => e.name === 'process_name').map((e) => [e.pid, e.args!['name']]);
    expect(processes).toEqual([
      [1, `variant a · run ${id}: flows (VM vm0)`],
      [2, `variant b · run ${id}: flows (VM vm0)`],
    ]);
    expect(trace.filter((e) => e.name === 'thread_name').map((e) => [e.pid, e.tid, e.args!['name']])).toEqual([
      [1, 1, 'vm0.cpu0'],
      [1, 2, 'device.nvme0'],
      [2, 3, 'vm0.cpu0'],
      [2, 4, 'device.nvme0'],
    ]);
    const slices = trace.filter((e) => e.ph === 'X' || e.ph === 'i');
    expect(slices.map((e) => [e.args!['seq'], e.pid])).toEqual([
      [1, 2],
      [4, 2],
      [0, 1],
      [3, 1],
      [2, 1],
    ]);
  });

  it('turns every cause link into a flow from the cause to the effect, also when the cause comes later in time', () => {
    const trace = traceOf(storeRun(events));
    expectFlowsPairUp(trace, events);
    const flow = (id: number): [TraceEvent, TraceEvent] => [
      trace.find((e) => e.ph === 's' && e.id === id)!,
      trace.find((e) => e.ph === 'f' && e.id === id)!,
    ];
    // 0 (a's failure at 0.1 us on a/vm0.cpu0) is caused by 2 (0.3 us on a/device.nvme0).
    const [s0, f0] = flow(0);
    expect([s0.pid, s0.tid, s0.ts]).toEqual([1, 2, 0.3]);
    expect([f0.pid, f0.tid, f0.ts]).toEqual([1, 1, 0.1]);
    const [s4, f4] = flow(4);
    expect([s4.pid, s4.tid, s4.ts, f4.pid, f4.tid, f4.ts]).toEqual([2, 3, 0, 2, 4, 0.06]);
  });

  it('puts each variant’s counters on its own process as counter tracks named with their unit', () => {
    const trace = traceOf(storeRun(events));
    expect(trace.filter((e) => e.ph === 'C').map((e) => [e.pid, e.name, e.ts, e.args!['value']])).toEqual([
      [1, 'vfio.entries (mappings)', 0, 0],
      [1, 'vfio.entries (mappings)', 1, 3],
      [2, 'vfio.entries (mappings)', 0, 0],
      [2, 'vfio.entries (mappings)', 1, 5],
    ]);
  });

  it('the JSON export gives each variant its own simulated time', () => {
    const id = storeRun(events);
    const doc = JSON.parse([...exportChunks(t.db, id, 'json')!].join('')) as { variants: unknown[] };
    expect(doc.variants).toEqual([
      { name: 'a', simulatedNs: 200_000_000 },
      { name: 'b', simulatedNs: 100_000_000 },
    ]);
  });

  it('a run without variants is one process, its lanes named as stored', () => {
    const id = storeRun(
      [
        { t: 0, dur: 5, lane: 0 },
        { t: 10, dur: 0, lane: 1, cause: 0 },
      ],
      [],
      ['vm0.cpu0', 'device.nvme0'],
    );
    const trace = traceOf(id);
    expect(trace.filter((e) => e.name === 'process_name').map((e) => [e.pid, e.args!['name']])).toEqual([[1, `run ${id}: flows (VM vm0)`]]);
    expect(trace.filter((e) => e.name === 'thread_name').map((e) => e.args!['name'])).toEqual(['vm0.cpu0', 'device.nvme0']);
    expectFlowsPairUp(trace, [
      { t: 0, dur: 5, lane: 0 },
      { t: 10, dur: 0, lane: 1, cause: 0 },
    ]);
  });

  it('pairs flow ids for any timeline of cause links (property)', () => {
    const arb = fc.array(
      fc.record({ t: fc.nat(1000), dur: fc.nat(100), lane: fc.nat(3), causeBack: fc.option(fc.nat(30), { nil: undefined }) }),
      { minLength: 1, maxLength: 60 },
    );
    fc.assert(
      fc.property(arb, (raw) => {
        const evs: Ev[] = raw.map((r, seq) => {
          const cause = r.causeBack === undefined || seq === 0 ? undefined : Math.max(0, seq - 1 - r.causeBack);
          return cause === undefined ? { t: r.t, dur: r.dur, lane: r.lane } : { t: r.t, dur: r.dur, lane: r.lane, cause };
        });
        expectFlowsPairUp(traceOf(storeRun(evs)), evs);
      }),
      { numRuns: 40 },
    );
  });
});
