import { describe, expect, it } from 'vitest';
import type { MetricInfo } from '../../../../core/contract/catalog';
import { buildMetricTable, metricInfoOf, WHOLE_RUN } from './metricTable';

const CATALOG: MetricInfo[] = [
  { name: 'io.iops', unit: 'IO/s', description: 'completed IOs per simulated second' },
  { name: 'io.completed', unit: 'IOs', description: 'IOs completed' },
  { name: 'vfio.entriesPeak', unit: 'mappings', description: 'peak entries' },
  { name: 'sim.wallMs', unit: 'ms', description: 'wall time' },
  { name: 'vmexits', unit: 'exits', description: 'VM exits' },
];

describe("a run's metrics as grouped table rows", () => {
  it('groups a plain run by name prefix, with units and descriptions', () => {
    const t = buildMetricTable({ 'io.iops': 5820, 'io.completed': 1164, 'sim.wallMs': 5, vmexits: 12, 'odd.metric': 1 }, [], CATALOG);
    expect(t.columns).toEqual(['value']);
    expect(t.groups.map((g) => g.name)).toEqual(['io', 'general', 'odd', 'sim']);
    expect(t.groups[0]!.rows.map((r) => [r.name, r.unit, r.values[0], r.keys[0]])).toEqual([
      ['io.completed', 'IOs', 1164, 'io.completed'],
      ['io.iops', 'IO/s', 5820, 'io.iops'],
    ]);
    expect(t.groups[2]!.rows[0]).toMatchObject({ unit: '', description: 'not in the metric catalog' });
  });
  it('puts variants side by side and whole-run metrics in their own column', () => {
    const t = buildMetricTable(
      { 'v1:vfio.entriesPeak': 1, 'v2:vfio.entriesPeak': 2, 'v2:io.iops': 9, 'sim.wallMs': 5 },
      ['v2', 'v1'],
      CATALOG,
    );
    expect(t.columns).toEqual(['v2', 'v1', WHOLE_RUN]);
    const rows = t.groups.flatMap((g) => g.rows);
    expect(rows.find((r) => r.name === 'vfio.entriesPeak')!.values).toEqual([2, 1, null]);
    expect(rows.find((r) => r.name === 'vfio.entriesPeak')!.keys).toEqual(['v2:vfio.entriesPeak', 'v1:vfio.entriesPeak', null]);
    expect(rows.find((r) => r.name === 'io.iops')!.values).toEqual([9, null, null]);
    expect(rows.find((r) => r.name === 'sim.wallMs')!.values).toEqual([null, null, 5]);
  });
  it('describes ops step outputs from their names and orders steps numerically', () => {
    expect(metricInfoOf('ops.3.ret', CATALOG)).toEqual({ name: 'ops.3.ret', unit: 'value', description: 'output "ret" of ops step 3' });
    const t = buildMetricTable({ 'ops.10.ret': 1, 'ops.2.ret': 2 }, [], CATALOG);
    expect(t.groups[0]!.rows.map((r) => r.name)).toEqual(['ops.2.ret', 'ops.10.ret']);
  });
});
