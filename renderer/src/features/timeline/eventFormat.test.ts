import { describe, expect, it } from 'vitest';
import type { TimelineEvent, TimelineKindInfo } from '../../../../core/contract/timeline';
import { byDecision, decidedNs, eventLabel, formatArg, formatArgs, hoverText, stepFailure } from './eventFormat';

function ev(seq: number, tNs: number, extra: Partial<TimelineEvent> = {}): TimelineEvent {
  return { seq, tNs, durNs: 0, lane: 0, kind: 'dma.map.failed', failure: true, args: {}, cause: null, ...extra };
}

describe('event arguments', () => {
  it('are shown by their declared format, with units', () => {
    expect(formatArg(0x2f0000000, 'hex')).toBe('0x2f0000000');
    expect(formatArg(262144, 'bytes')).toBe('256 KiB (262,144 B)');
    expect(formatArg(4_797_470, 'ns')).toBe('4.797 ms');
    expect(formatArg('ENOMEM', 'errno')).toBe('ENOMEM');
    expect(formatArg(65535, 'int')).toBe('65,535');
  });

  it("follow the kind's order and formats", () => {
    const kinds: TimelineKindInfo[] = [
      {
        id: 0,
        name: 'rpcit.refresh.insufficientResources',
        failure: false,
        args: [
          { name: 'iova', format: 'hex' },
          { name: 'size', format: 'bytes' },
        ],
      },
    ];
    const e = ev(1, 0, { kind: 'rpcit.refresh.insufficientResources', args: { iova: '0x2f0000000', size: 4096 } });
    expect(formatArgs(e, kinds)).toEqual([
      { name: 'iova', text: '0x2f0000000', format: 'hex' },
      { name: 'size', text: '4 KiB (4,096 B)', format: 'bytes' },
    ]);
    expect(eventLabel(e)).toBe('#1 rpcit.refresh.insufficientResources at 0 ns');
  });
});

describe('stepping through failures', () => {
  const failures = [ev(10, 100), ev(11, 100), ev(20, 300)];

  it('goes to the next failure after a time or an event', () => {
    expect(stepFailure(failures, { tNs: 0, seq: -1 }, 1)?.seq).toBe(10);
    expect(stepFailure(failures, { tNs: 100, seq: 10 }, 1)?.seq).toBe(11);
    expect(stepFailure(failures, { tNs: 100, seq: 11 }, 1)?.seq).toBe(20);
    expect(stepFailure(failures, { tNs: 300, seq: 20 }, 1)).toBeNull();
  });

  it('goes to the previous failure, never the one it stands on', () => {
    expect(stepFailure(failures, { tNs: 300, seq: 20 }, -1)?.seq).toBe(11);
    expect(stepFailure(failures, { tNs: 100, seq: 11 }, -1)?.seq).toBe(10);
    expect(stepFailure(failures, { tNs: 100, seq: 10 }, -1)).toBeNull();
    expect(stepFailure(failures, { tNs: 1000, seq: -1 }, -1)?.seq).toBe(20);
  });
});

describe('failures in the order they were decided', () => {
  // A failed map whose call started at 100.5 ms and was decided at 105.4 ms, after its causes at 105.3 ms.
  const failedMap = ev(6293, 100_500_000, { durNs: 4_900_000 });
  const later = ev(6300, 101_000_000);

  it('lists a failure at the end of its call, after its causes', () => {
    expect(decidedNs(failedMap)).toBe(105_400_000);
    expect(byDecision([failedMap, later]).map((f) => f.seq)).toEqual([6300, 6293]);
  });

  it('steps by decision time', () => {
    const ordered = byDecision([failedMap, later]);
    expect(stepFailure(ordered, { tNs: 101_000_000, seq: 6300 }, 1)?.seq).toBe(6293);
    expect(stepFailure(ordered, { tNs: 105_400_000, seq: 6293 }, 1)).toBeNull();
  });
});

describe('hoverText: one line for what the pointer is over', () => {
  it('names an event by kind, start and duration, failures first', () => {
    const e = { seq: 7, tNs: 1500, durNs: 250, lane: 0, kind: 'vfio.map.failed', failure: true, args: {}, cause: 6 };
    expect(hoverText({ type: 'event', event: e })).toBe('failure: vfio.map.failed at 1.5 us, 250 ns long (#7)');
    expect(hoverText({ type: 'event', event: { ...e, failure: false, kind: 'dma.map' } })).toBe('dma.map at 1.5 us, 250 ns long (#7)');
  });
  it('counts a crowded column and says a click zooms into it', () => {
    expect(hoverText({ type: 'aggregate', lane: 0, startNs: 0, endNs: 2_000_000, count: 1234, seq: 3 })).toBe(
      '1,234 events from 0 ns to 2 ms (click to zoom in)',
    );
  });
});
