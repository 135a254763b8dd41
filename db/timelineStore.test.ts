import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunStore } from './runStore';
import { TimelineStore } from './timelineStore';
import { tempDb, type TempDb } from './testDb';
import { TimelineRecorder } from '../core/sim/timelineRecorder';
import type { DurationNs, SimTimeNs } from '../core/sim/simTime';

let t: TempDb;
let store: TimelineStore;
let runId: number;

beforeEach(() => {
  t = tempDb();
  store = new TimelineStore(t.db);
  runId = new RunStore(t.db).create({ name: 'r', preset: null, seed: 1, scenario: {}, durationNs: 1e6 }, 0);
  const rec = new TimelineRecorder();
  const cpu = rec.defineLane('guest.cpu0', 'guest');
  const vfio = rec.defineLane('vfio.container0', 'vfio');
  const map = rec.defineKind({
    name: 'vfio.map',
    args: [
      { name: 'iova', format: 'hex' },
      { name: 'size', format: 'bytes' },
      { name: 'errno', format: 'errno' },
    ],
  });
  const fail = rec.defineKind({ name: 'dma.mapFailed', failure: true });
  const enospc = rec.internString('ENOSPC');
  const long = rec.record(0 as SimTimeNs, 900 as DurationNs, vfio, map, 0x1000, 4096, enospc);
  for (let i = 1; i <= 100; i++)
    rec.record((i * 10) as SimTimeNs, 5 as DurationNs, cpu, map, i * 0x1000, 4096, enospc, i === 100 ? long : -1);
  rec.record(1005 as SimTimeNs, 0, cpu, fail, 0, 0, 0, 100);
  store.insert(runId, rec.columns());
});
afterEach(() => t.dispose());

describe('TimelineStore', () => {
  it('stores every event with its lanes and kinds', () => {
    expect(store.count(runId)).toBe(102);
    expect(store.meta(runId).lanes.map((l) => l.name)).toEqual(['guest.cpu0', 'vfio.container0']);
  });

  it('returns the events overlapping a window, including a long span that started before it', () => {
    const w = store.window({ runId, startNs: 500, endNs: 520, widthPx: 800 });
    expect(w.events.map((e) => e.tNs)).toEqual([0, 500, 510, 520]);
    expect(w.events[0]!.args).toEqual({ iova: '0x1000', size: 4096, errno: 'ENOSPC' });
  });

  it('aggregates a crowded lane to one event per pixel column, counting what each stands for', () => {
    const w = store.window({ runId, startNs: 0, endNs: 1000, widthPx: 10, lanes: [0], limit: 10 });
    expect(w.truncated).toBe(true);
    expect(w.events.length).toBeLessThanOrEqual(10);
    expect(w.events.reduce((n, e) => n + (e.aggregate?.count ?? 1), 0)).toBe(100);
    expect(w.events[0]).toMatchObject({ tNs: 10, aggregate: { count: 9, endNs: 95 } });
  });

  it('explains a failure as its chain of causes', () => {
    const chain = store.causeChain(runId, 101);
    expect(chain.map((e) => [e.seq, e.kind])).toEqual([
      [101, 'dma.mapFailed'],
      [100, 'vfio.map'],
      [0, 'vfio.map'],
    ]);
    expect(chain[0]!.failure).toBe(true);
  });
});
