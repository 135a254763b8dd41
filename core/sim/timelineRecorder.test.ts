import { describe, expect, it } from 'vitest';
import { NO_CAUSE, TimelineRecorder } from './timelineRecorder';
import type { DurationNs, SimTimeNs } from './simTime';

const t = (n: number) => n as SimTimeNs;
const d = (n: number) => n as DurationNs;

function sample(change?: (r: TimelineRecorder) => void): TimelineRecorder {
  const r = new TimelineRecorder(100, 16);
  const lane = r.defineLane('vfio.container0', 'vfio');
  const map = r.defineKind({ name: 'vfio.map', args: [{ name: 'iova', format: 'hex' }] });
  const first = r.record(t(10), d(5), lane, map, 0x1000);
  r.record(t(20), 0, lane, map, 0x2000, 0, 0, first);
  change?.(r);
  return r;
}

describe('TimelineRecorder', () => {
  it('stores events column-wise with cause links', () => {
    const cols = sample().columns();
    expect(cols.count).toBe(2);
    expect(Array.from(cols.t)).toEqual([10, 20]);
    expect(Array.from(cols.cause)).toEqual([NO_CAUSE, 0]);
    expect(cols.kinds[0]!.args[0]!.name).toBe('iova');
  });

  it('interns lanes, kinds and strings once', () => {
    const r = new TimelineRecorder();
    expect(r.defineLane('a', 'g')).toBe(r.defineLane('a', 'g'));
    expect(r.defineKind({ name: 'k' })).toBe(r.defineKind({ name: 'k' }));
    expect(r.internString('ENOSPC')).toBe(r.internString('ENOSPC'));
  });

  it('hashes identical timelines identically and any change differently', () => {
    expect(sample().hash()).toBe(sample().hash());
    expect(sample((r) => r.record(t(30), 0, 0, 0)).hash()).not.toBe(sample().hash());
    expect(sample((r) => r.setDuration(0, d(6))).hash()).not.toBe(sample().hash());
  });

  it('counts events past the cap as dropped instead of storing them', () => {
    const r = new TimelineRecorder(3, 16);
    for (let i = 0; i < 5; i++) r.record(t(i), 0, 0, 0);
    expect(r.size).toBe(3);
    expect(r.dropped).toBe(2);
  });

  it('grows its columns past the initial capacity', () => {
    const r = new TimelineRecorder(10_000, 16);
    for (let i = 0; i < 5000; i++) r.record(t(i), 0, 0, 0, i);
    expect(r.columns().a0[4999]).toBe(4999);
  });
});
