import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryRun, QueryTimeoutError } from './runQuery';
import { LabService } from './labService';
import { spawnRunWorker } from './workerSpawner';
import { LabError } from './labError';

let dir: string;
let service: LabService;
let runId: number;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-query-'));
  service = new LabService({ dbPath: join(dir, 'lab.db'), spawnWorker: spawnRunWorker, version: 'test' });
  ({ runId } = await service.startRun({ preset: 'quickstart-nvme-fio', overrides: ['durationMs=1'] }));
  await service.idle();
});
afterAll(() => {
  service.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('queryRun (in a query process of its own)', () => {
  it('answers with columns, rows, the truncated flag and the time it took', async () => {
    const r = await service.queryRun(runId, 'SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY kind', { maxRows: 2 });
    expect(r.columns).toEqual(['kind', 'n']);
    expect(r.rows).toEqual([
      ['device.io', expect.any(Number)],
      ['dma.map', expect.any(Number)],
    ]);
    expect(r.truncated).toBe(true);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it('rejects writes, SQLite errors and a bad request as invalid-argument, a missing run as not-found', async () => {
    await expect(service.queryRun(runId, 'DELETE FROM runs')).rejects.toMatchObject({
      code: 'invalid-argument',
      message: expect.stringMatching(/only SELECT statements are allowed/),
    });
    await expect(service.queryRun(runId, 'SELECT 1', { maxRows: 0 })).rejects.toMatchObject({
      code: 'invalid-argument',
      message: expect.stringMatching(/^maxRows: /),
    });
    await expect(service.queryRun(runId, '   ')).rejects.toMatchObject({ code: 'invalid-argument', message: 'sql: the query is empty' });
    await expect(service.queryRun(9999, 'SELECT 1')).rejects.toMatchObject({ code: 'not-found', message: 'no run 9999' });
    expect((await service.listRuns({})).length).toBe(1);
  });

  it('stops a query that runs past its time limit (the process is killed)', async () => {
    const started = Date.now();
    const runaway = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c WHERE x < 1e15';
    const err = await queryRun({ runId, sql: runaway, timeoutMs: 3000 }, { dbPath: join(dir, 'lab.db') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryTimeoutError);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).message).toMatch(/ran longer than 3,000 ms/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
