import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { LabService } from './labService';
import { spawnRunPreparer, spawnRunWorker } from './workerSpawner';
import { MAX_OPS_STEPS } from '../../core/scenario/schema';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { LabError } from './labError';
import { INTERRUPTED_ERROR, RunStore } from '../../db/runStore';
import { OwnerStore } from '../../db/labOwners';
import Database from 'better-sqlite3';
import { storageFigures } from '../../db/storage';
import { TimelineWriter } from '../../db/timeline/timelineWriter';
import { newTestRun, recordTestTimeline } from '../../db/timeline/timelineFixture.testkit';
import { WORKER_DIED, type RunWorkerSpawner } from './runQueue';
import { prepareRun } from '../../core/run/runRequest';
import { storeRun } from './runLauncher';
import { openLabDatabase } from '../../db/database';
import { Worker } from 'node:worker_threads';
import type { ExportHandler } from './runExport';

let dir: string;
let service: LabService;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-svc-'));
  service = new LabService({ dbPath: join(dir, 'lab.db'), spawnWorker: spawnRunWorker, version: 'test' });
});
afterEach(() => {
  service.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * How long one call may hold the service's thread in these tests, wall clock. The target is 100 ms:
 * an idle machine measures 20-70 ms with the preparer thread, while preparing inline holds the
 * thread for seconds. The bound leaves room for a loaded 2-CPU machine (the preparer thread keeps
 * one CPU busy meanwhile) and a WAL checkpoint, and still fails at once if preparing comes back here.
 */
const BLOCK_LIMIT_MS = 500;

/** The longest the event loop was blocked while `work` ran, ms. */
async function longestBlockMs(work: () => Promise<unknown>): Promise<number> {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  try {
    await new Promise((r) => setTimeout(r, 20)); // the monitor's timer is running
    await work();
    await new Promise((r) => setTimeout(r, 30));
  } finally {
    delay.disable();
  }
  return delay.max / 1e6;
}

describe('LabService with its preparer thread', () => {
  it('validates and starts the largest valid ops script (slow YAML) without holding the thread other calls need', async () => {
    const threaded = new LabService({
      dbPath: join(dir, 'threaded.db'),
      // Runs stay queued in an idle thread: this measures preparing and storing, not running.
      spawnWorker: () => new Worker('setInterval(() => {}, 1000)', { eval: true }),
      spawnPreparer: spawnRunPreparer,
      version: 'test',
    });
    try {
      // The preparer thread is up and both paths have run once.
      await threaded.validateScenario({ preset: 'quickstart-nvme-fio' });
      await threaded.startRun({ preset: 'quickstart-nvme-fio' });
      // YAML: slow to parse and validate (about a second here), small to hand back as a plan.
      const steps = Array.from(
        { length: MAX_OPS_STEPS },
        (_, i) => `    - { op: vfio.map, args: { iova: ${i * 4096}, size: 4096, vaddr: ${i * 4096} } }`,
      );
      const scenarioText = `name: long\nvms: [{ viommu: { model: none } }]\nworkload:\n  kind: ops\n  steps:\n${steps.join('\n')}\n`;
      let problems: readonly string[] = ['not validated'];
      expect(await longestBlockMs(async () => ({ problems } = await threaded.validateScenario({ scenarioText })))).toBeLessThan(
        BLOCK_LIMIT_MS,
      );
      expect(problems).toEqual([]);
      const tooLong = `${scenarioText}${steps[0]}\n`;
      expect((await threaded.validateScenario({ scenarioText: tooLong })).problems).toEqual([
        "workload.steps: at most 5,000 steps; a step's repeat runs it many times",
      ]);
      expect(await longestBlockMs(() => threaded.startRun({ scenarioText }))).toBeLessThan(BLOCK_LIMIT_MS);
    } finally {
      threaded.close();
    }
  });
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

  it('answers 100,000-deep input with an invalid-scenario error naming the path, not an internal error', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const err = await service.startRun({ scenario: { name: 'x', workload: deep } }).catch((e: unknown) => e);
    expect((err as LabError).code).toBe('invalid-scenario');
    expect((err as LabError).problems).toEqual([expect.stringMatching(/^workload(\.0)+: nested deeper than 64 levels$/)]);
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
    expect(c.query.views.map((v) => v.name)).toContain('events');
    expect(c.query.defaultMaxRows).toBe(1000);
  });

  it('saves, lists (newest first) and deletes named queries; a missing one is not-found', async () => {
    const a = await service.saveQuery({ name: 'failures', sql: 'SELECT * FROM events WHERE failure' });
    const b = await service.saveQuery({ name: 'metrics', sql: 'SELECT * FROM metrics' });
    expect((await service.listQueries()).map((q) => [q.id, q.name])).toEqual([
      [b.queryId, 'metrics'],
      [a.queryId, 'failures'],
    ]);
    await service.deleteQuery(a.queryId);
    await expect(service.deleteQuery(a.queryId)).rejects.toMatchObject({ code: 'not-found', message: `no saved query ${a.queryId}` });
    expect((await service.listQueries()).map((q) => q.id)).toEqual([b.queryId]);
  });
});

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('LabService: the timeline inspector', () => {
  it('summarizes a stored timeline, explains an event by its causes and effects, and lists failures', async () => {
    const { runId } = await service.startRun({ preset: 'quickstart-nvme-fio', overrides: ['durationMs=2'] });
    await service.idle();
    const run = await service.getRun(runId);
    const summary = await service.getTimelineSummary(runId);
    expect(summary).toMatchObject({ runId, eventCount: run.eventCount, failureCount: 0, complete: true, startNs: 0 });
    expect(summary.lanes.map((l) => l.name)).toContain('device.nvme0');
    const w = await service.getTimelineWindow({ runId, startNs: 0, endNs: summary.endNs, widthPx: 200 });
    expect(w.truncated).toBe(true);
    expect(w.aggregates.length).toBeGreaterThan(0);
    expect(Object.keys(w)).toEqual(['runId', 'startNs', 'endNs', 'lanes', 'events', 'aggregates', 'truncated']);
    // An event with a cause: its chain leads back, and its cause lists it among its effects.
    const narrow = await service.getTimelineWindow({ runId, startNs: 1_000_000, endNs: 1_001_000, widthPx: 1000 });
    const caused = narrow.events.find((e) => e.cause !== null)!;
    const detail = await service.getTimelineEvent(runId, caused.seq);
    expect(detail.event).toEqual(caused);
    expect(detail.causeChain[0]!.seq).toBe(caused.cause);
    const cause = await service.getTimelineEvent(runId, caused.cause!);
    expect(cause.effects.map((e) => e.seq)).toContain(caused.seq);
    expect(await service.listFailures(runId, 10)).toEqual([]);
    await expect(service.getTimelineEvent(runId, run.eventCount)).rejects.toMatchObject({ code: 'not-found' });
    await expect(service.getTimelineSummary(9999)).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('LabService: exports', () => {
  it('refuses exportRun on a host without a way to save, and streams through a host handler', async () => {
    const { runId } = await service.startRun({ preset: 'quickstart-nvme-fio', overrides: ['durationMs=1'] });
    await service.idle();
    await expect(service.exportRun(runId, 'csv')).rejects.toMatchObject({ code: 'conflict' });
    service.close();
    let text = '';
    const handler: ExportHandler = async (request, write) => {
      const bytes = await write({ write: (c) => void (text += c) });
      return { kind: 'saved', path: `/tmp/${request.fileName}`, bytes };
    };
    service = new LabService({ dbPath: join(dir, 'lab.db'), spawnWorker: spawnRunWorker, version: 'test', exportHandler: handler });
    const result = await service.exportRun(runId, 'csv');
    expect(result).toEqual({ kind: 'saved', path: `/tmp/run-${runId}-quickstart-nvme-fio.csv`, bytes: Buffer.byteLength(text) });
    expect(text.split('\n').length - 2).toBe((await service.getRun(runId)).eventCount);
    await expect(service.exportRun(9999, 'csv')).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('LabService: progress and a worker killed midway', () => {
  it('reports the phase, events per second and an ETA while simulating', async () => {
    const { runId } = await service.startRun({ preset: 'quickstart-nvme-fio', overrides: ['durationMs=60000'] });
    const p = await until(async () => (await service.getActiveRuns()).find((x) => x.runId === runId && x.etaMs !== null && x.events > 0));
    expect(p).toMatchObject({ status: 'running', phase: 'simulating', timelineEvents: 0, storedEvents: 0 });
    expect(p.eventsPerSecond).toBeGreaterThan(0);
    expect(p.etaMs).toBeGreaterThan(0);
    await service.cancelRun(runId);
    await service.idle();
    expect((await service.getActiveRuns()).find((x) => x.runId === runId)).toMatchObject({ status: 'cancelled', phase: 'finished' });
  });

  it('keeps other runs intact when a run worker is killed while storing its timeline, and reads what it stored', async () => {
    service.close();
    const workers: Worker[] = [];
    const spawn: RunWorkerSpawner = (data) => {
      const w = spawnRunWorker(data);
      workers.push(w);
      return w;
    };
    service = new LabService({ dbPath: join(dir, 'lab.db'), spawnWorker: spawn, version: 'test' });
    const { runId: kept } = await service.startRun({ preset: 'quickstart-nvme-fio', overrides: ['durationMs=2'] });
    await service.idle();
    const keptRun = await service.getRun(kept);
    const { runId: killed } = await service.startRun({ preset: 'quickstart-nvme-fio', overrides: ['durationMs=400'] });
    // The timeline is stored while the run simulates: kill the worker once chunks of it are in.
    await until(async () => ((await service.getTimelineSummary(killed)).eventCount > 200_000 ? true : undefined));
    expect((await service.getActiveRuns()).find((x) => x.runId === killed)).toMatchObject({ status: 'running' });
    await workers[workers.length - 1]!.terminate();
    await service.idle();
    expect((await service.getRun(killed)).status).toBe('failed');
    const summary = await service.getTimelineSummary(killed);
    expect(summary.complete).toBe(false);
    expect(summary.eventCount).toBeGreaterThan(200_000);
    const w = await service.getTimelineWindow({ runId: killed, startNs: 0, endNs: 1_000_000, widthPx: 500 });
    expect(w.events.length).toBeLessThanOrEqual(500 * summary.lanes.length);
    expect(await service.getRun(kept)).toEqual(keptRun);
    expect((await service.getTimelineSummary(kept)).complete).toBe(true);
    await service.deleteRun(killed);
    await expect(service.getTimelineSummary(killed)).rejects.toMatchObject({ code: 'not-found' });
  });
});

/** A lab process that has ended: its owner row (an exited child's pid) with a run running and one queued. */
function deadLabWithRuns(path: string): { running: number; queued: number; ownerId: number } {
  const db = openLabDatabase(path);
  try {
    const child = spawnSync(process.execPath, ['-e', '0']);
    const ownerId = Number(
      db.prepare("INSERT INTO lab_owners (host, pid, start_token, started_at) VALUES (?, ?, 'gone:1', 'then')").run(hostname(), child.pid)
        .lastInsertRowid,
    );
    const prepared = prepareRun({ preset: 'quickstart-nvme-fio', overrides: ['durationMs=1'] });
    if (!prepared.ok) throw new Error(prepared.problems.join('\n'));
    const runs = new RunStore(db, { ownerId });
    // Heartbeats are fresh: no timeout is involved, the owner is known dead.
    const now = Date.now();
    const running = storeRun(runs, prepared, now).runId;
    runs.markRunning(running, now);
    const queued = storeRun(runs, prepared, now, 'queued when its lab died').runId;
    return { running, queued, ownerId };
  } finally {
    db.close();
  }
}

describe('LabService: runs of a lab process that died', () => {
  it('marks its running run interrupted at once and resumes its queued run (a queued run is only a plan)', async () => {
    service.close();
    const path = join(dir, 'lab.db');
    const { running, queued } = deadLabWithRuns(path);
    service = new LabService({ dbPath: path, spawnWorker: spawnRunWorker, version: 'test' });
    expect(await service.getRun(running)).toMatchObject({ status: 'interrupted', error: INTERRUPTED_ERROR });
    expect((await service.getActiveRuns()).map((p) => p.runId)).toEqual([queued]);
    await service.idle();
    expect(await service.getRun(queued)).toMatchObject({ status: 'completed', name: 'queued when its lab died' });
    // Written, not only computed: a reader without owners sees it too.
    const db = openLabDatabase(path, { readonly: true });
    expect(db.prepare('SELECT status FROM runs WHERE id = ?').get(running)).toEqual({ status: 'interrupted' });
    db.close();
  });

  it('cancels a queued run left by a lab process that died while this one runs, and refuses to cancel its interrupted run', async () => {
    const { running, queued } = deadLabWithRuns(join(dir, 'lab.db'));
    // Listing shows the truth before any sweep: the running one is interrupted, the queued one queued.
    const listed = await service.listRuns({});
    expect(listed.find((r) => r.id === running)!.status).toBe('interrupted');
    expect(listed.find((r) => r.id === queued)!.status).toBe('queued');
    await service.cancelRun(queued);
    expect((await service.getRun(queued)).status).toBe('cancelled');
    await expect(service.cancelRun(running)).rejects.toMatchObject({
      code: 'conflict',
      message: `run ${running} is not running: the process running it stopped (interrupted)`,
    });
    await expect(service.cancelRun(queued)).rejects.toMatchObject({ code: 'conflict', message: `run ${queued} is not queued or running` });
  });

  it('refuses to cancel or delete a run queued by another live lab process', async () => {
    const db = openLabDatabase(join(dir, 'lab.db'));
    const prepared = prepareRun({ preset: 'quickstart-nvme-fio', overrides: ['durationMs=1'] });
    if (!prepared.ok) throw new Error('invalid');
    // This test process stands in for the other lab (alive): its owner row, and a run it queued.
    const ownerId = new OwnerStore(db).register(Date.now());
    const runId = storeRun(new RunStore(db, { ownerId }), prepared, Date.now()).runId;
    db.close();
    const message = `run ${runId} is queued in another lab process; cancel it there`;
    await expect(service.cancelRun(runId)).rejects.toMatchObject({ code: 'conflict', message });
    await expect(service.deleteRun(runId)).rejects.toMatchObject({ code: 'conflict', message: `${message} first` });
    expect((await service.getRun(runId)).status).toBe('queued');
  });
});

describe('LabService: disk space', () => {
  it('gives the space of deleted runs back to the file system and truncates the WAL', async () => {
    const path = join(dir, 'lab.db');
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await service.startRun({ preset: 'quickstart-nvme-fio', overrides: ['durationMs=10'] })).runId);
    await service.idle();
    const full = statSync(path).size + statSync(`${path}-wal`).size;
    await service.deleteRun(ids[0]!);
    await service.deleteRun(ids[1]!);
    await service.spaceReclaimed();
    expect(statSync(`${path}-wal`).size).toBe(0);
    expect(statSync(path).size).toBeLessThan(full / 2);
    expect((await service.getTimelineSummary(ids[2]!)).complete).toBe(true);
  });
});

describe('LabService: tidying the store at start', () => {
  it('removes timelines left incomplete by failed or cancelled runs, keeps a dead worker’s, and converts a small older database', async () => {
    service.close();
    const path = join(dir, 'old.db');
    // An older lab made it: WAL before any page, so auto_vacuum stayed NONE.
    const raw = new Database(path);
    raw.pragma('journal_mode = WAL');
    raw.close();
    const db = openLabDatabase(path);
    expect(storageFigures(db).incremental).toBe(false);
    const runs = new RunStore(db);
    const cols = recordTestTimeline([{ t: 0, dur: 1, lane: 0, kind: 0 }], 1);
    const ids = ['failed', 'cancelled', 'worker'].map((name) => {
      const id = newTestRun(db, name);
      // Partial timelines: rows stored, never finished (as a process that could not remove them leaves them).
      const writer = new TimelineWriter(db, id);
      writer.write({ ...cols, first: 0, count: cols.count });
      writer.restore();
      return id;
    });
    runs.finish(ids[0]!, 'failed', 'disk full: ...', 1);
    runs.finish(ids[1]!, 'cancelled', null, 1);
    runs.finish(ids[2]!, 'failed', `${WORKER_DIED} exited with code 1 before finishing`, 1);
    db.close();
    service = new LabService({ dbPath: path, spawnWorker: spawnRunWorker, version: 'test' });
    await expect(service.getTimelineSummary(ids[0]!)).resolves.toMatchObject({ eventCount: 0, lanes: [] });
    await expect(service.getTimelineSummary(ids[1]!)).resolves.toMatchObject({ eventCount: 0, lanes: [] });
    await expect(service.getTimelineSummary(ids[2]!)).resolves.toMatchObject({ eventCount: 1, complete: false });
    const after = openLabDatabase(path, { readonly: true });
    expect(storageFigures(after).incremental).toBe(true);
    after.close();
  });
});
