// Timeline recorder benches: what recording costs per event, seal (hash) included, with events
// handed to a sink that keeps nothing (a store's cost is the store bench's) and to the memory sink
// that keeps them all; the loop that makes the events up is measured alone beside them.
// 6 lanes, 4 kinds, causes on half the events, endStep() every 2000 events as a host steps.

import { TimelineRecorder, type TimelineSink } from '../core/sim/timelineRecorder';
import type { DurationNs, SimTimeNs } from '../core/sim/simTime';
import type { Measure } from './harness';

const EVENTS = 1_000_000;
const STEP_EVENTS = 2000;

interface Recording {
  defineLane(name: string, group: string): number;
  defineKind(def: { name: string }): number;
  record(t: SimTimeNs, d: DurationNs | 0, lane: number, kind: number, a0: number, a1: number, a2: number, cause: number): number;
  endStep(): void;
}

function drive(rec: Recording): void {
  const lanes = [0, 1, 2, 3, 4, 5].map((i) => rec.defineLane(`l${i}`, 'g'));
  const kinds = [0, 1, 2, 3].map((i) => rec.defineKind({ name: `k${i}` }));
  let t = 0;
  let prev = -1;
  for (let i = 0; i < EVENTS; i++) {
    t += ((i * 2654435761) >>> 0) % 700;
    const d = (i % 3 === 0 ? 150_000 : 0) as DurationNs | 0;
    prev = rec.record(t as SimTimeNs, d, lanes[i % 6]!, kinds[i & 3]!, 0x1_0000_0000 + (i & 65535) * 4096, 4096, 0, i & 1 ? prev : -1);
    if (i % STEP_EVENTS === STEP_EVENTS - 1) rec.endStep();
  }
}

const discard: TimelineSink = { chunkEvents: 65_536, write: () => undefined };

/** The event loop alone: a recorder that records nothing. */
const noRecorder: Recording = {
  defineLane: () => 0,
  defineKind: () => 0,
  record: (t, d, lane, kind, a0, a1, a2, cause) => t + d + lane + kind + a0 + a1 + a2 + cause,
  endStep: () => undefined,
};

export function recorderMeasures(): Measure[] {
  return [
    {
      name: 'recorder: record + seal (hash), streamed to a sink',
      items: EVENTS,
      unit: 'events',
      fn: () => drive(new TimelineRecorder(EVENTS, discard)),
    },
    {
      name: 'recorder: record + seal (hash), kept by the memory sink',
      items: EVENTS,
      unit: 'events',
      fn: () => drive(new TimelineRecorder(EVENTS)),
    },
    { name: 'recorder bench loop alone (no recorder)', items: EVENTS, unit: 'events', fn: () => drive(noRecorder) },
  ];
}
