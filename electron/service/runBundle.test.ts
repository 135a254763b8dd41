// Portable run bundles on a real small preset run: export -> import -> export keeps the content
// hash, the imported run reads as the original (detail, timeline, failures, comparison), a bundle
// already in the lab is a duplicate, and damaged, truncated, foreign and newer bundles are refused
// with one line naming the file, leaving the lab as it was.
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDb, type TempDb } from '../../db/testDb.testkit';
import { RunStore } from '../../db/runStore';
import { TimelineStore } from '../../db/timeline/timelineStore';
import { compareRunDetails } from './runComparison';
import { runContentHash } from './runBundleExport';
import { exportBundle, rewrite, runPreset } from './runBundle.testkit';
import { importRunBundle } from './runBundleImport';
import { BundleError } from './runBundleFormat';
import type { LabDatabase } from '../../db/database';

let source: TempDb;
let target: TempDb;
let runId: number;
let bundle: Buffer;

function runCount(db: LabDatabase): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n;
}

beforeAll(() => {
  source = tempDb();
  target = tempDb();
  runId = runPreset(source.db, 's390-rpcit-exhaustion', ['durationMs=20']);
  bundle = exportBundle(source.db, runId, Date.parse('2026-03-01T00:00:00Z'));
});
afterAll(() => {
  source.dispose();
  target.dispose();
});

function refusal(bytes: Uint8Array, db = target.db): BundleError {
  const before = runCount(db);
  let caught: unknown;
  try {
    importRunBundle(db, bytes, 'x.pcilab-run.jsonl.gz');
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(BundleError);
  expect((caught as Error).message).toMatch(/^x\.pcilab-run\.jsonl\.gz: /);
  expect(runCount(db)).toBe(before);
  return caught as BundleError;
}

describe('portable run bundles', () => {
  it('is gzip of JSON lines: a header naming the format, the run, ..., an end line with the digests', () => {
    const lines = gunzipSync(bundle).toString('utf8').trimEnd().split('\n');
    expect(JSON.parse(lines[0]!)).toEqual({
      format: 'pcilab-run-bundle',
      formatVersion: 1,
      labVersion: '9.9.9',
      exportedAt: '2026-03-01T00:00:00.000Z',
    });
    expect(Object.keys(JSON.parse(lines[1]!) as object)).toEqual(['run']);
    const end = (JSON.parse(lines[lines.length - 1]!) as { end: { lines: number; contentSha256: string } }).end;
    expect(end.lines).toBe(lines.length);
    expect(end.contentSha256).toBe(runContentHash(source.db, runId));
  });

  it('the content hash does not depend on the export time', () => {
    const again = exportBundle(source.db, runId, Date.parse('2027-01-01T00:00:00Z'));
    expect(again.equals(bundle)).toBe(false);
    const hash = (b: Buffer) => gunzipSync(b).toString().trimEnd().split('\n').pop();
    expect(JSON.parse(hash(again)!).end.contentSha256).toBe(JSON.parse(hash(bundle)!).end.contentSha256);
  });

  it('imports as a new run that reads as the original, and exports again with the same content hash', () => {
    // An unrelated run first, so the ids differ.
    runPreset(target.db, 'quickstart-nvme-fio', ['durationMs=5']);
    const result = importRunBundle(target.db, bundle, 'b.gz');
    expect(result.kind).toBe('imported');
    const imported = result.runId;
    expect(imported).not.toBe(runId);
    const original = new RunStore(source.db).get(runId)!;
    const copy = new RunStore(target.db).get(imported)!;
    expect({ ...copy, id: 0 }).toEqual({ ...original, id: 0 });
    const ts = new TimelineStore(source.db);
    const tt = new TimelineStore(target.db);
    expect({ ...tt.summary(imported), runId: 0 }).toEqual({ ...ts.summary(runId), runId: 0 });
    expect(tt.failures(imported, 50)).toEqual(ts.failures(runId, 50));
    const failure = ts.failures(runId, 1)[0];
    if (failure !== undefined) expect(tt.detail(imported, failure.seq)).toEqual(ts.detail(runId, failure.seq));
    const q = { startNs: 0, endNs: original.simulatedNs, widthPx: 800 };
    expect(tt.window({ runId: imported, ...q })?.lanes).toEqual(ts.window({ runId, ...q })?.lanes);
    expect(runContentHash(target.db, imported)).toBe(result.contentHash);
    expect(compareRunDetails([original, copy]).config).toEqual([]);
  });

  it('a bundle already in the lab is a duplicate: reported with the run that has it, nothing added', () => {
    const before = runCount(target.db);
    const again = importRunBundle(target.db, bundle, 'b.gz');
    expect(again.kind).toBe('duplicate');
    expect(runCount(target.db)).toBe(before);
    // Back into the lab it came from: the original run.
    expect(importRunBundle(source.db, bundle, 'b.gz')).toMatchObject({ kind: 'duplicate', runId });
    // Re-exported from the importing lab: the same content, a duplicate there too.
    expect(importRunBundle(source.db, exportBundle(target.db, again.runId), 'c.gz')).toMatchObject({ kind: 'duplicate', runId });
  });

  it('refuses what is not a bundle, a newer format version, truncated and damaged bundles', () => {
    expect(refusal(Buffer.from('hello')).problem).toBe('not-a-bundle');
    expect(refusal(gzipSync('{"some":"json"}\n')).problem).toBe('not-a-bundle');
    const newer = rewrite(bundle, (l) => [l[0]!.replace('"formatVersion":1', '"formatVersion":2'), ...l.slice(1)]);
    const err = refusal(newer);
    expect(err.problem).toBe('newer-version');
    expect(err.message).toMatch(/format version 2 is newer than this lab reads \(1\).*update the lab/);
    expect(refusal(bundle.subarray(0, bundle.length - 100)).problem).toBe('damaged');
    expect(refusal(bundle.subarray(0, Math.floor(bundle.length / 2))).message).toMatch(/damaged or truncated/);
    const flipped = Buffer.from(bundle);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x10;
    expect(refusal(flipped).problem).toBe('damaged');
    // A whole gzip member missing at the end: valid gzip, no end line.
    const lines = gunzipSync(bundle).toString().split('\n');
    expect(refusal(gzipSync(lines.slice(0, 3).join('\n') + '\n')).message).toMatch(/truncated \(its end line is missing\)/);
    // Content changed without fixing the digests.
    const text = gunzipSync(bundle).toString().replace('"seed":', '"seed":1');
    expect(refusal(gzipSync(text)).message).toMatch(/checksum does not match/);
  });

  it('refuses well-formed bundles whose content breaks the rules, naming the line and the field', () => {
    const events = (l: string[]) => l.findIndex((x) => x.startsWith('{"events"'));
    const badLane = rewrite(bundle, (l) =>
      l.map((x, i) => (i === events(l) ? x.replace('"lane":[', '"lane":[9999,').replace('"t":[', '"t":[0,') : x)),
    );
    expect(refusal(badLane).message).toMatch(/line \d+ \(events\)/);
    const badStatus = rewrite(bundle, (l) => [l[0]!, l[1]!.replace('"status":"completed"', '"status":"running"'), ...l.slice(2)]);
    expect(refusal(badStatus).message).toMatch(/line 2 \(the run\): .*status/);
  });
});
