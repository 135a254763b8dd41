import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabService } from './labService';
import { spawnTsxRunWorker } from './tsxWorkerSpawner';
import { LabError } from './labError';
import { RunStore } from '../../db/runStore';
import { openLabDatabase } from '../../db/database';

let dir: string;
let service: LabService;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-svc-'));
  service = new LabService({ dbPath: join(dir, 'lab.db'), spawnWorker: spawnTsxRunWorker, version: 'test' });
});
afterEach(() => {
  service.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('LabService', () => {
  it('runs a preset in a worker thread and stores its results and timeline', async () => {
    const { runId } = await service.startRun({ preset: 'quickstart-nvme-fio', overrides: ['durationMs=2'] });
    await service.idle();
    const run = await service.getRun(runId);
    expect(run).toMatchObject({ status: 'completed', preset: 'quickstart-nvme-fio' });
    expect(run.metrics['io.completed']).toBeGreaterThan(0);
    expect(run.eventCount).toBeGreaterThan(0);
    const w = await service.getTimelineWindow({ runId, startNs: 0, endNs: 2_000_000, widthPx: 1000 });
    expect(w.events.length).toBeGreaterThan(0);
    const progress = await service.getActiveRuns();
    expect(progress.find((p) => p.runId === runId)).toMatchObject({ status: 'completed' });
  });

  it('rejects an invalid scenario with every problem and stores nothing', async () => {
    const err = await service.startRun({ scenario: { name: 'x', seed: -1, workload: { kind: 'nope' } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('invalid-scenario');
    expect((err as LabError).problems).toHaveLength(2);
    expect(await service.listRuns({})).toEqual([]);
  });

  it('validates without running', async () => {
    expect(await service.validateScenario({ scenarioText: 'name: ok\n' })).toMatchObject({ ok: true, problems: [] });
    expect((await service.validateScenario({ preset: 'quickstart-nvme-fio', overrides: ['vms.0.vcpus=0'] })).problems).toEqual([
      expect.stringMatching(/^vms\.0\.vcpus: /),
    ]);
  });

  it('cancels a long run and keeps it as cancelled', async () => {
    const { runId } = await service.startRun({ preset: 'quickstart-nvme-fio', overrides: ['durationMs=60000'] });
    await new Promise((r) => setTimeout(r, 300));
    await service.cancelRun(runId);
    await service.idle();
    expect((await service.getRun(runId)).status).toBe('cancelled');
  });

  it('refuses to delete a running run, deletes a finished one', async () => {
    const { runId } = await service.startRun({ preset: 'quickstart-nvme-fio', overrides: ['durationMs=60000'] });
    await expect(service.deleteRun(runId)).rejects.toMatchObject({ code: 'conflict' });
    await service.cancelRun(runId);
    await service.idle();
    await service.deleteRun(runId);
    await expect(service.getRun(runId)).rejects.toMatchObject({ code: 'not-found' });
  });

  it('shows runs left running by a dead process as interrupted', async () => {
    const db = openLabDatabase(join(dir, 'lab.db'));
    const runs = new RunStore(db);
    const id = runs.create({ name: 'orphan', preset: null, seed: 1, scenario: {}, durationNs: 1 }, Date.now() - 120_000);
    runs.markRunning(id, Date.now() - 120_000);
    db.close();
    expect((await service.listRuns({})).find((r) => r.id === id)?.status).toBe('interrupted');
  });

  it('serves the catalog with a unit and source for every default', async () => {
    const c = await service.getCatalog();
    expect(c.costs.find((x) => x.key === 'vmExitNs')).toMatchObject({ defaultNs: 1500, source: expect.stringContaining('SplitX') });
    expect(c.parameters.find((p) => p.path === 'host.vfio.dmaEntryLimit')).toMatchObject({
      defaultValue: 65535,
      mirrors: 'vfio_iommu_type1.dma_entry_limit',
    });
    for (const m of c.metrics) expect(m.unit).not.toBe('');
  });
});
