// getRun (runDmaModes.ts) names the DMA mode each guest DMA domain ran in, with the reason, from the stored
// timeline's dma.mode events: Linux forcing strict under intel-iommu caching mode says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabService } from './labService';
import { spawnRunWorker } from './workerSpawner';

let dir: string;
let service: LabService;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-dmamode-'));
  service = new LabService({ dbPath: join(dir, 'lab.db'), spawnWorker: spawnRunWorker, version: 'test' });
});
afterAll(() => {
  service.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('getRun dmaModes', () => {
  it('gives each variant domain its mode and why, forced strict under caching mode', async () => {
    const { runId } = await service.startRun({ preset: 'x86-viommu-nvme', overrides: ['durationMs=1'] });
    await service.idle();
    const run = await service.getRun(runId);
    expect(run.status).toBe('completed');
    const byLane = new Map((run.dmaModes ?? []).map((m) => [m.lane, m]));
    expect(byLane.get('intelStrict/dma.vm0.nvme0')).toMatchObject({ mode: 'strict', forced: true });
    expect(byLane.get('intelStrict/dma.vm0.nvme0')?.why).toContain('IOMMU batching disallowed due to virtualization');
    expect(byLane.get('intelLazy/dma.vm0.nvme0')).toMatchObject({ mode: 'lazy', forced: false });
    expect(byLane.get('intelSingle/dma.vm0.nvme0')).toMatchObject({ mode: 'lazy-single', forced: false });
  });

  it('is empty for a run without a vIOMMU', async () => {
    const { runId } = await service.startRun({ preset: 'quickstart-nvme-fio', overrides: ['durationMs=1'] });
    await service.idle();
    expect((await service.getRun(runId)).dmaModes).toEqual([]);
  });
});
