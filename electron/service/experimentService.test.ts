import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabService } from './labService';
import { spawnRunWorker } from './workerSpawner';
import { LabError } from './labError';

let dir: string;
let service: LabService;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-exp-'));
  service = new LabService({ dbPath: join(dir, 'lab.db'), spawnWorker: spawnRunWorker, version: 'test' });
});
afterAll(() => {
  service.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('experiments and comparisons through the service', () => {
  let experimentId = 0;
  let runIds: number[] = [];

  it('creates an experiment from a base and a grid, without running it', async () => {
    ({ experimentId } = await service.createExperiment({
      name: 'duration sweep',
      base: { preset: 'quickstart-nvme-fio', overrides: ['durationMs=1'] },
      grid: [{ path: 'durationMs', values: [1, 2] }],
    }));
    const e = await service.getExperiment(experimentId);
    expect(e).toMatchObject({ name: 'duration sweep', variantCount: 2, runs: {}, base: { preset: 'quickstart-nvme-fio' } });
    expect(e.variants).toEqual([
      { name: 'durationMs=1', set: ['durationMs=1'], runId: null, status: null },
      { name: 'durationMs=2', set: ['durationMs=2'], runId: null, status: null },
    ]);
    expect((await service.listExperiments()).find((x) => x.id === experimentId)?.base).toEqual({
      preset: 'quickstart-nvme-fio',
      overrides: ['durationMs=1'],
    });
  });

  it('rejects a bad override, naming the variant and the field, and stores nothing', async () => {
    const before = (await service.listExperiments()).length;
    const err = await service
      .createExperiment({ name: 'bad', base: { preset: 'quickstart-nvme-fio' }, variants: [{ name: 'zero-cpus', set: ['vms.0.vcpus=0'] }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).problems).toEqual([expect.stringMatching(/^variant "zero-cpus": vms\.0\.vcpus: /)]);
    expect(await service.listExperiments()).toHaveLength(before);
  });

  it('runs one queued run per variant, with progress, and reports their statuses', async () => {
    ({ runIds } = await service.runExperiment(experimentId));
    expect(runIds).toHaveLength(2);
    const active = (await service.getActiveRuns()).filter((p) => runIds.includes(p.runId));
    expect(active.map((p) => p.name)).toEqual(['duration sweep / durationMs=1', 'duration sweep / durationMs=2']);
    await service.idle();
    const e = await service.getExperiment(experimentId);
    expect(e.variants.map((v) => [v.runId, v.status])).toEqual([
      [runIds[0], 'completed'],
      [runIds[1], 'completed'],
    ]);
    expect((await service.listExperiments()).find((x) => x.id === experimentId)?.runs).toEqual({ completed: 2 });
  });

  it('compares the runs: metrics side by side with units, differences flagged, configuration diff', async () => {
    const c = await service.compareRuns(runIds);
    expect(c.runs.map((r) => r.id)).toEqual(runIds);
    expect(c.config.map((d) => d.path)).toEqual(['durationMs']);
    expect(c.config[0]!.values).toEqual(['1', '2']);
    const completed = c.metrics.find((m) => m.name === 'io.completed')!;
    expect(completed).toMatchObject({ unit: 'IOs', differs: true });
    expect(c.runs[0]!.counters.length).toBeGreaterThan(0);
    expect(c.runs[0]!.claims).toEqual((await service.getRun(runIds[0]!)).claims);
    await expect(service.compareRuns([runIds[0]!, 9999])).rejects.toMatchObject({ code: 'not-found' });
  });

  it('saves a comparison that reopens as it was, and reports a run deleted since as missing', async () => {
    const view = { onlyDifferences: true };
    const { comparisonId } = await service.saveComparison({ name: '1 vs 2 ms', runIds, metrics: ['io.completed'], view });
    const saved = await service.getComparison(comparisonId);
    expect(saved).toMatchObject({ name: '1 vs 2 ms', runIds, metrics: ['io.completed'], counters: [], view, missingRunIds: [] });
    expect(saved.comparison).toEqual(await service.compareRuns(runIds));
    expect((await service.listComparisons()).map((c) => c.id)).toContain(comparisonId);

    await service.deleteRun(runIds[1]!);
    const reopened = await service.getComparison(comparisonId);
    expect(reopened.missingRunIds).toEqual([runIds[1]]);
    expect(reopened.comparison.runs.map((r) => r.id)).toEqual([runIds[0]]);
    expect((await service.getExperiment(experimentId)).variants[1]).toMatchObject({ runId: null, status: null });

    await service.deleteComparison(comparisonId);
    await expect(service.getComparison(comparisonId)).rejects.toMatchObject({ code: 'not-found' });
  });

  it('deletes an experiment and keeps its runs', async () => {
    await service.deleteExperiment(experimentId);
    await expect(service.getExperiment(experimentId)).rejects.toMatchObject({ code: 'not-found' });
    expect((await service.getRun(runIds[0]!)).status).toBe('completed');
    await expect(service.deleteExperiment(experimentId)).rejects.toMatchObject({ code: 'not-found' });
  });
});
