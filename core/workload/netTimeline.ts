// The timeline kinds and drop reasons of the net workload, defined once per run.
// Must not: record events (netWorkload.ts does).

import type { TimelineRecorder } from '../sim/timelineRecorder';

export interface NetTimeline {
  readonly kinds: {
    readonly rxMap: number;
    readonly mapFailed: number;
    readonly txMap: number;
    readonly tx: number;
    readonly txUnmap: number;
    readonly rx: number;
    readonly drop: number;
  };
  /** Interned strings naming why a packet was dropped. */
  readonly dropReasons: {
    readonly busy: number;
    readonly txRing: number;
    readonly txMap: number;
    readonly rxRing: number;
    readonly offline: number;
  };
}

export function defineNetTimeline(tl: TimelineRecorder): NetTimeline {
  const bytes = { name: 'bytes', format: 'bytes' } as const;
  const addr = { name: 'dmaAddr', format: 'hex' } as const;
  const cpu = { name: 'cpu', format: 'int' } as const;
  return {
    kinds: {
      rxMap: tl.defineKind({ name: 'net.rxPage.map', args: [bytes, addr] }),
      mapFailed: tl.defineKind({ name: 'net.map.failed', args: [bytes, { name: 'errno', format: 'errno' }, cpu], failure: true }),
      txMap: tl.defineKind({ name: 'net.txBuffer.map', args: [bytes, addr, cpu] }),
      tx: tl.defineKind({ name: 'net.tx', args: [bytes, addr] }),
      txUnmap: tl.defineKind({ name: 'net.txBuffer.unmap', args: [bytes, addr, cpu] }),
      rx: tl.defineKind({ name: 'net.rx', args: [bytes] }),
      drop: tl.defineKind({ name: 'net.drop', args: [{ name: 'reason', format: 'str' }, cpu], failure: true }),
    },
    dropReasons: {
      busy: tl.internString('vCPU busy > 1 ms'),
      txRing: tl.internString('TX ring full'),
      txMap: tl.internString('TX map failed'),
      rxRing: tl.internString('no free RX buffer'),
      offline: tl.internString('device not present'),
    },
  };
}
