import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabService } from './labService';
import { spawnRunWorker } from './workerSpawner';

let dir: string;
let service: LabService;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-svc-limits-'));
  service = new LabService({ dbPath: join(dir, 'lab.db'), spawnWorker: spawnRunWorker, version: 'test' });
});
afterEach(() => {
  service.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('LabService: the memlock answer and log lines', () => {
  it('explainLogLine gives what pcilab explain gives: the RLIMIT_MEMLOCK line names its preset and its bytes', async () => {
    const [e] = await service.explainLogLine('  vfio_pin_pages_remote: RLIMIT_MEMLOCK (65536) exceeded ');
    expect(e).toMatchObject({ pattern: 'type1-rlimit-memlock', preset: 'field-memlock-too-small', numbers: { memlockBytes: 65536 } });
    expect(e!.set).toEqual(['host.vfio.memlockBytes=65536']);
    expect(await service.explainLogLine('nothing the lab knows')).toEqual([]);
  });

  it('a stored run carries its limits answer: 4 GiB would have sufficed where 64 KiB did not', async () => {
    const { runId } = await service.startRun({ preset: 'field-memlock-too-small', overrides: [] });
    await service.idle();
    const run = await service.getRun(runId);
    const tooSmall = run.limits.find((a) => a.variant === 'tooSmall')!;
    expect(tooSmall.limitHit).toBe(true);
    expect(tooSmall.rows[0]).toMatchObject({ limit: 65536, wouldSuffice: 4 * 2 ** 30 });
  });
});
