import { describe, expect, it } from 'vitest';
import { ScenarioRun } from './scenarioRun';
import { loadScenario } from '../scenario/loadScenario';
import type { Scenario } from '../scenario/schema';

function scenario(overrides: string[] = []): Scenario {
  const r = loadScenario({ value: { name: 'det', durationMs: 2, workload: { kind: 'fio', iodepth: 8, numjobs: 2 } } }, overrides);
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.scenario;
}

describe('a run is a pure function of its scenario', () => {
  it('gives the same timeline hash and metrics for the same scenario and seed', () => {
    const a = new ScenarioRun(scenario()).runToEnd();
    const b = new ScenarioRun(scenario()).runToEnd();
    expect(a.timelineHash).toBe(b.timelineHash);
    expect(a.metrics).toEqual(b.metrics);
  });

  it('gives a different timeline for a different seed', () => {
    expect(new ScenarioRun(scenario(['seed=2'])).runToEnd().timelineHash).not.toBe(new ScenarioRun(scenario()).runToEnd().timelineHash);
  });

  it('is the same whether run in one go or in small steps', () => {
    const stepped = new ScenarioRun(scenario());
    while (!stepped.step(97));
    expect(stepped.result().timelineHash).toBe(new ScenarioRun(scenario()).runToEnd().timelineHash);
  });

  it('completes every IO it submits within the duration and maps/unmaps each once', () => {
    const r = new ScenarioRun(scenario()).runToEnd();
    expect(r.metrics['io.completed']).toBeGreaterThan(0);
    expect(r.metrics['dma.unmaps']).toBe(r.metrics['io.completed']);
    expect(r.metrics['dma.maps']! - r.metrics['dma.unmaps']!).toBeLessThanOrEqual(16);
  });

  it('links each IO to the map that started it and each unmap to its IO', () => {
    const run = new ScenarioRun(scenario());
    run.runToEnd();
    const cols = run.timeline();
    const kindName = (i: number) => cols.kinds[cols.kind[i]!]!.name;
    for (let i = 0; i < Math.min(cols.count, 500); i++) {
      if (kindName(i) === 'device.io') expect(kindName(cols.cause[i]!)).toBe('dma.map');
      if (kindName(i) === 'dma.unmap') expect(kindName(cols.cause[i]!)).toBe('device.io');
    }
  });
});
