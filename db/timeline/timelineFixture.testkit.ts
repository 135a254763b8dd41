// Builds small recorded timelines for db tests: a run row plus recorder columns from plain event
// descriptions, so a test states its events and a reference can recompute from the same list.
// Must not: be imported by non-test code.

import { TimelineRecorder, type TimelineColumns } from '../../core/sim/timelineRecorder';
import type { DurationNs, SimTimeNs } from '../../core/sim/simTime';
import type { LabDatabase } from '../database';
import { RunStore } from '../runStore';

export interface TestEvent {
  readonly t: number;
  readonly dur: number;
  readonly lane: number;
  /** 0 = "op" (args iova hex, size bytes, errno), 1 = "fail" (a failure kind), 2 = "tick". */
  readonly kind: number;
  readonly cause?: number;
  readonly a0?: number;
}

export function recordTestTimeline(events: readonly TestEvent[], laneCount: number): TimelineColumns {
  const rec = new TimelineRecorder();
  for (let l = 0; l < laneCount; l++) rec.defineLane(`lane${l}`, l % 2 === 0 ? 'guest' : 'device');
  rec.defineKind({
    name: 'op',
    args: [
      { name: 'iova', format: 'hex' },
      { name: 'size', format: 'bytes' },
      { name: 'errno', format: 'errno' },
    ],
  });
  rec.defineKind({ name: 'fail', failure: true });
  rec.defineKind({ name: 'tick' });
  const enospc = rec.internString('ENOSPC');
  for (const e of events) {
    rec.record(e.t as SimTimeNs, e.dur as DurationNs, e.lane, e.kind, e.a0 ?? 0x1000, 4096, enospc, e.cause ?? -1);
  }
  return rec.columns();
}

export function newTestRun(db: LabDatabase, name = 'r'): number {
  return new RunStore(db).create({ name, preset: null, seed: 1, scenario: { name }, durationNs: 1e6 }, 0);
}
