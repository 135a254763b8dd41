// The app's imports through the API (dispatchLabCall, as IPC and HTTP call them): a bundle exported
// by the service imports into another lab, a second time as a duplicate; a damaged one is refused
// naming the file; a trace the kernel oracle captured queues a run whose timeline shows its events;
// arguments past the bounds are refused before the service sees them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { LabService } from './labService';
import { spawnRunWorker } from './workerSpawner';
import { dispatchLabCall } from './apiDispatch';
import { RUN_BUNDLE_UPLOAD_MAX_BYTES } from '../../core/contract/imports';
import type { ExportChunk } from './runExport';

const FIXTURES = join(__dirname, '../../tooling/oracle/fixtures');
let dir: string;
let a: LabService;
let b: LabService;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-imports-'));
  a = new LabService({ dbPath: join(dir, 'a.db'), spawnWorker: spawnRunWorker, version: 'test' });
  b = new LabService({ dbPath: join(dir, 'b.db'), spawnWorker: spawnRunWorker, version: 'test' });
});
afterEach(async () => {
  await a.idle();
  await b.idle();
  a.close();
  b.close();
  rmSync(dir, { recursive: true, force: true });
});

async function bundleOf(service: LabService, runId: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await service.writeExport(runId, 'bundle', { write: (c: ExportChunk) => void chunks.push(Buffer.from(c)) });
  return Buffer.concat(chunks);
}

describe('importing through the API', () => {
  it('imports a bundle the service exported, then reports it as a duplicate; refuses a damaged one naming the file', async () => {
    const { runId } = await a.startRun({ preset: 'quickstart-nvme-fio', overrides: ['durationMs=2'] });
    await a.idle();
    const bytes = await bundleOf(a, runId);
    const request = { fileName: 'r.pcilab-run.jsonl.gz', dataBase64: bytes.toString('base64') };
    const first = await dispatchLabCall(b, 'importRunBundle', [request]);
    expect(first).toMatchObject({ ok: true, value: { kind: 'imported', runId: 1 } });
    const again = await dispatchLabCall(b, 'importRunBundle', [request]);
    expect(again).toMatchObject({ ok: true, value: { kind: 'duplicate', runId: 1 } });
    expect((await b.getTimelineSummary(1)).eventCount).toBe((await a.getTimelineSummary(runId)).eventCount);
    const cut = { fileName: 'cut.gz', dataBase64: bytes.subarray(0, bytes.length - 30).toString('base64') };
    expect(await dispatchLabCall(b, 'importRunBundle', [cut])).toMatchObject({
      ok: false,
      error: { code: 'invalid-argument', message: expect.stringMatching(/^cut\.gz: damaged or truncated/) as unknown },
    });
    expect((await b.listRuns({})).length).toBe(1);
  });

  it('refuses a bundle past the upload bound and a body that is not base64, before the service', async () => {
    const big = { fileName: 'big.gz', dataBase64: 'A'.repeat(Math.ceil(RUN_BUNDLE_UPLOAD_MAX_BYTES / 3) * 4 + 4) };
    const r = await dispatchLabCall(b, 'importRunBundle', [big]);
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringContaining('dataBase64') as unknown } });
    const notBase64 = await dispatchLabCall(b, 'importRunBundle', [{ fileName: 'x', dataBase64: 'not base64!' }]);
    expect(notBase64).toMatchObject({ ok: false, error: { message: expect.stringContaining('not base64') as unknown } });
  });

  it('queues a run replaying a captured trace; its timeline shows the trace events; a text without events is refused', async () => {
    const text = gunzipSync(readFileSync(join(FIXTURES, 'x86_64-6.12-intel-cmoff-lazy-nvme.trace.txt.gz'))).toString('utf8');
    const r = await dispatchLabCall(b, 'importTrace', [{ fileName: 'nvme.trace.txt', text }]);
    expect(r.ok).toBe(true);
    const { runId } = (r as { value: { runId: number } }).value;
    await b.idle();
    const run = await b.getRun(runId);
    expect(run).toMatchObject({ status: 'completed', name: 'import-trace nvme.trace.txt' });
    expect(run.metrics['trace.maps']).toBeGreaterThan(0);
    const summary = await b.getTimelineSummary(runId);
    expect(summary.kinds.some((k) => k.name.startsWith('trace.'))).toBe(true);
    const none = await dispatchLabCall(b, 'importTrace', [{ fileName: 'notes.txt', text: 'nothing here\n' }]);
    expect(none).toMatchObject({
      ok: false,
      error: { code: 'invalid-argument', message: expect.stringMatching(/^notes\.txt: no iommu:map/) as unknown },
    });
    const both = await dispatchLabCall(b, 'importTrace', [{ fileName: 't', text, preset: 'x', scenarioText: 'y' }]);
    expect(both).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    const preset = await dispatchLabCall(b, 'importTrace', [{ fileName: 't', text, preset: 'no-such-preset' }]);
    expect(preset).toMatchObject({ ok: false, error: { message: expect.stringContaining('no preset "no-such-preset"') as unknown } });
  });
});
