// A saved comparison exported as a file: what it holds (run references with content hashes, the
// table, the view, the saved queries) and a round trip into another lab that imported the runs'
// bundles, through the API as the app calls it; bad files are refused naming the field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabService } from './labService';
import { spawnRunWorker } from './workerSpawner';
import { dispatchLabCall } from './apiDispatch';
import { parseComparisonExport } from './comparisonExport';
import type { ExportChunk } from './runExport';
import type { ComparisonExportFile } from '../../core/contract/comparisonExport';

let dir: string;
let a: LabService;
let b: LabService;
let runIds: number[];
let comparisonId: number;
let file: ComparisonExportFile;

async function bundleOf(service: LabService, runId: number): Promise<string> {
  const chunks: Buffer[] = [];
  await service.writeExport(runId, 'bundle', { write: (c: ExportChunk) => void chunks.push(Buffer.from(c)) });
  return Buffer.concat(chunks).toString('base64');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-cmpexport-'));
  a = new LabService({ dbPath: join(dir, 'a.db'), spawnWorker: spawnRunWorker, version: 'test' });
  b = new LabService({ dbPath: join(dir, 'b.db'), spawnWorker: spawnRunWorker, version: 'test' });
  runIds = [];
  for (const d of ['durationMs=1', 'durationMs=2']) {
    runIds.push((await a.startRun({ preset: 'quickstart-nvme-fio', overrides: [d] })).runId);
  }
  await a.idle();
  ({ comparisonId } = await a.saveComparison({ name: 'fio 1 vs 2 ms', runIds, metrics: ['sim.events'], view: { onlyDifferences: true } }));
  await a.saveQuery({ name: 'failures', sql: 'SELECT kind, count(*) FROM events WHERE failure GROUP BY kind' });
  await a.saveQuery({ name: 'maps', sql: "SELECT count(*) FROM events WHERE kind = 'dma.map'" });
  const got = await dispatchLabCall(a, 'exportComparison', [comparisonId]);
  if (!got.ok) throw new Error(got.error.message);
  file = got.value as ComparisonExportFile;
}, 60_000);
afterAll(() => {
  a.close();
  b.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('exporting a saved comparison', () => {
  it('holds the run references with content hashes, the table as the comparison shows it, the view and the saved queries', async () => {
    expect(file.fileName).toBe(`comparison-${comparisonId}-fio-1-vs-2-ms.pcilab-comparison.json`);
    const doc = parseComparisonExport(file.text, file.fileName);
    const saved = await a.getComparison(comparisonId);
    expect(doc).toMatchObject({ format: 'pcilab-comparison', version: 1, labVersion: 'test' });
    expect(doc.comparison).toEqual({
      name: 'fio 1 vs 2 ms',
      createdAt: saved.createdAt,
      metrics: ['sim.events'],
      counters: [],
      view: { onlyDifferences: true },
    });
    expect(doc.runs.map((r) => [r.id, r.name, r.status])).toEqual(runIds.map((id) => [id, expect.any(String), 'completed']));
    for (const r of doc.runs) expect(r.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(doc.runs[0]!.contentHash).not.toBe(doc.runs[1]!.contentHash);
    expect(doc.table.metrics).toEqual(saved.comparison.metrics);
    expect(doc.table.config).toEqual(saved.comparison.config);
    expect(doc.table.config.map((c) => c.path)).toContain('durationMs');
    expect(doc.missingRunIds).toEqual([]);
    expect(doc.queries.map((q) => q.name)).toEqual(['failures', 'maps']);
  });

  it('imports into a lab holding the same runs (from their bundles): same table, the queries added once', async () => {
    const missing = await dispatchLabCall(b, 'importComparison', [{ fileName: 'c.json', text: file.text }]);
    expect(missing).toMatchObject({
      ok: false,
      error: { code: 'not-found', message: expect.stringMatching(/^c\.json: 0 of its 2 runs are in this lab/) },
    });
    // b gets the runs in the other order, so its ids differ from a's.
    const local: number[] = [];
    for (const id of [...runIds].reverse()) {
      const r = await b.importRunBundle({ fileName: `run-${id}.gz`, dataBase64: await bundleOf(a, id) });
      local.unshift(r.runId);
    }
    const imported = await dispatchLabCall(b, 'importComparison', [{ fileName: 'c.json', text: file.text }]);
    expect(imported).toEqual({
      ok: true,
      value: { comparisonId: 1, name: 'fio 1 vs 2 ms', runIds: local, missingRuns: [], queriesAdded: 2, queriesKnown: 0 },
    });
    const there = await b.getComparison(1);
    const here = await a.getComparison(comparisonId);
    expect(there.comparison.metrics).toEqual(here.comparison.metrics);
    expect(there.comparison.config).toEqual(here.comparison.config);
    expect([there.metrics, there.view]).toEqual([['sim.events'], { onlyDifferences: true }]);
    expect((await b.listQueries()).map((q) => q.name)).toEqual(['maps', 'failures']);
    const again = await b.importComparison({ fileName: 'c.json', text: file.text });
    expect([again.comparisonId, again.queriesAdded, again.queriesKnown]).toEqual([2, 0, 2]);
    // Its own export again holds the same table and queries.
    const back = parseComparisonExport((await b.exportComparison(1)).text, 'back');
    const first = parseComparisonExport(file.text, 'first');
    expect(back.table).toEqual(first.table);
    expect(back.runs.map((r) => r.contentHash)).toEqual(first.runs.map((r) => r.contentHash));
  });

  it('refuses what is not a comparison file, a newer version and bad fields, naming the file and the field', async () => {
    const doc = JSON.parse(file.text) as Record<string, unknown>;
    const refused = async (text: string, message: RegExp) =>
      expect(await dispatchLabCall(b, 'importComparison', [{ fileName: 'x.json', text }])).toMatchObject({
        ok: false,
        error: { code: 'invalid-argument', message: expect.stringMatching(message) },
      });
    await refused('{', /^x\.json: not JSON/);
    await refused('{"format":"pcilab-run"}', /^x\.json: format: not a comparison file/);
    await refused(JSON.stringify({ ...doc, version: 2 }), /^x\.json: version: 2 was written by a newer lab/);
    await refused(JSON.stringify({ ...doc, runs: [] }), /^x\.json: runs: /);
    await refused(JSON.stringify({ ...doc, comparison: { ...(doc['comparison'] as object), name: '' } }), /^x\.json: comparison\.name: /);
    const table = doc['table'] as { metrics: { values: unknown[] }[] };
    await refused(
      JSON.stringify({ ...doc, table: { ...table, metrics: [{ ...table.metrics[0], values: [1] }] } }),
      /^x\.json: table: a row has 1 values for 2 runs/,
    );
    expect(await dispatchLabCall(a, 'exportComparison', [999])).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });
});
