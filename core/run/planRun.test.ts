// A plan's variants share one timeline recorder but each reports only its own part of it: the
// timeline events and drops of a variant are those it recorded, not the running total.
import { describe, expect, it } from 'vitest';
import { findPreset } from '../scenario/presets';
import { PlanRun } from './planRun';
import { presetPlan } from './presetPlan';
import { ScenarioRun } from './scenarioRun';

describe('PlanRun', () => {
  const planned = presetPlan(findPreset('type1-unmap-semantics')!);
  if (!planned.ok) throw new Error(planned.problems.join('\n'));
  const plan = planned.plan;

  it('reports per-variant timeline counts equal to each variant run alone', () => {
    const result = new PlanRun(plan).runToEnd();
    expect(plan.variants.length).toBeGreaterThan(1);
    for (const v of plan.variants) {
      const alone = new ScenarioRun(v.scenario).runToEnd();
      expect(result.metrics[`${v.name}:sim.timelineEvents`], v.name).toBe(alone.metrics['sim.timelineEvents']);
      expect(result.metrics[`${v.name}:sim.timelineDropped`], v.name).toBe(0);
    }
    const total = plan.variants.reduce((a, v) => a + result.metrics[`${v.name}:sim.timelineEvents`]!, 0);
    expect(new PlanRun(plan).runToEnd().timelineHash).toBe(result.timelineHash);
    expect(total).toBeGreaterThan(0);
  });
});
