import { describe, expect, it } from 'vitest';
import { compareRunDetails, configDifferences, flattenScenario, valuesDiffer } from './runComparison';
import type { RunDetail } from '../../core/contract/runResult';

function run(id: number, metrics: Record<string, number>, scenario: unknown): RunDetail {
  return {
    id,
    name: `r${id}`,
    preset: null,
    status: 'completed',
    seed: 1,
    createdAt: '',
    finishedAt: null,
    eventCount: 0,
    timelineHash: null,
    error: null,
    claimsHeld: 0,
    claimsTotal: 0,
    scenario,
    variants: [],
    metrics,
    ops: [],
    claims: [],
    counters: [{ name: 'vfio.entries', unit: 'mappings', tNs: [0], values: [id] }],
    simulatedNs: 0,
    limits: [],
  };
}

describe('comparing runs', () => {
  it('flags a metric that differs by more than 1 % of the largest, or that a run lacks', () => {
    expect(valuesDiffer([100, 100.9])).toBe(false);
    expect(valuesDiffer([100, 101.5])).toBe(true);
    expect(valuesDiffer([-100, -102])).toBe(true);
    expect(valuesDiffer([0, 0])).toBe(false);
    expect(valuesDiffer([5, null])).toBe(true);
    expect(valuesDiffer([null, null])).toBe(false);
  });

  it('puts metrics side by side with their units, sorted by name, and keeps each run’s counters', () => {
    const c = compareRunDetails([run(1, { 'io.iops': 1000, 'vfio.enospc': 0 }, {}), run(2, { 'io.iops': 1005 }, {})]);
    expect(c.metrics).toEqual([
      { name: 'io.iops', unit: 'IO/s', values: [1000, 1005], differs: false },
      { name: 'vfio.enospc', unit: expect.any(String) as string, values: [0, null], differs: true },
    ]);
    expect(c.runs.map((r) => r.counters[0]!.values)).toEqual([[1], [2]]);
  });

  it('never flags the host-measured wall time as a difference between the runs', () => {
    const c = compareRunDetails([
      run(1, { 'sim.wallMs': 100, 'a:sim.wallMs': 5 }, {}),
      run(2, { 'sim.wallMs': 180, 'a:sim.wallMs': 9 }, {}),
    ]);
    expect(c.metrics.map((m) => [m.name, m.differs])).toEqual([
      ['a:sim.wallMs', false],
      ['sim.wallMs', false],
    ]);
  });

  it('lists the dotted paths where the scenarios differ, with escaped dots in keys', () => {
    const a = {
      host: { vfio: { backend: 'type1v2', dmaEntryLimit: 65535 } },
      vms: [{ guest: { kernelParams: { 'iommu.strict': 1 } } }],
      faults: [],
    };
    const b = {
      host: { vfio: { backend: 'iommufd', dmaEntryLimit: 65535 } },
      vms: [{ guest: { kernelParams: { 'iommu.strict': 0 } } }],
      faults: [{ kind: 'x' }],
    };
    expect(configDifferences([a, b])).toEqual([
      { path: 'faults', values: ['[]', null] },
      { path: 'faults.0.kind', values: [null, '"x"'] },
      { path: 'host.vfio.backend', values: ['"type1v2"', '"iommufd"'] },
      { path: 'vms.0.guest.kernelParams.iommu\\.strict', values: ['1', '0'] },
    ]);
    expect(flattenScenario({ a: { b: null } })).toEqual(new Map([['a.b', 'null']]));
  });
});
