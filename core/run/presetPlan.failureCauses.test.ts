// Every failure explains itself: in every preset variant, each failure event on the timeline points
// at a cause (the event that decided it: a limit reached, a flush queue holding the IOVAs, a reason
// an ops call was refused), so the run page can show the chain (docs/model.md#timeline).
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../scenario/presets';
import { presetPlan } from './presetPlan';
import { PlanRun } from './planRun';
import { NO_CAUSE } from '../sim/timelineRecorder';

describe.each(PRESETS.map((p) => [p.id, p] as const))('preset %s', (_id, preset) => {
  it('records no failure event without a cause', () => {
    const planned = presetPlan(preset);
    if (!planned.ok) throw new Error(planned.problems.join('; '));
    const run = new PlanRun(planned.plan);
    run.runToEnd();
    const tl = run.timelineColumns();
    const uncaused = new Map<string, number>();
    for (let i = 0; i < tl.count; i++) {
      const kind = tl.kinds[tl.kind[i]!]!;
      if (!kind.failure || tl.cause[i] !== NO_CAUSE) continue;
      const key = `${tl.lanes[tl.lane[i]!]!.name}: ${kind.name}`;
      uncaused.set(key, (uncaused.get(key) ?? 0) + 1);
    }
    expect(Object.fromEntries(uncaused)).toEqual({});
  });
});
