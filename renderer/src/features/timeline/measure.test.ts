import { describe, expect, it } from 'vitest';
import { markerTime, measuredNs, measureText, placeMarker } from './measure';
import type { TimelineEvent } from '../../../../core/contract/timeline';

const event = { seq: 4, tNs: 1500, durNs: 10, lane: 0, kind: 0, failure: false, cause: null } as unknown as TimelineEvent;

describe('measuring between two markers', () => {
  it('puts A, then B, then starts again at A', () => {
    expect(placeMarker([], 10.4)).toEqual([10]);
    expect(placeMarker([10], 2_000_000)).toEqual([10, 2_000_000]);
    expect(placeMarker([10, 2_000_000], 7)).toEqual([7]);
    expect(placeMarker([], -3)).toEqual([0]);
  });

  it('snaps to the start of a hit event, else takes the pointer time', () => {
    expect(markerTime({ type: 'event', event }, 1507.3)).toBe(1500);
    expect(markerTime(null, 1507.6)).toBe(1508);
  });

  it('gives the distance with its unit, whichever side B is on', () => {
    expect(measuredNs([100, 2_500_100])).toBe(2_500_000);
    expect(measuredNs([100])).toBeNull();
    expect(measureText([])).toBeNull();
    expect(measureText([1_000_000])).toBe('A at 1 ms: shift-click (or M at an event) for B');
    expect(measureText([2_500_100, 100])).toBe('Δt = 2.5 ms (A 2.5 ms → B 100 ns)');
  });
});
