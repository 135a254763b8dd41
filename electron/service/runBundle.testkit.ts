// Helpers of the run bundle tests: a real preset run stored in a lab, its bundle, and a bundle
// rewritten with other content and fresh digests (well-formed, so only content checks can refuse it).
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { LabDatabase } from '../../db/database';
import { RunStore } from '../../db/runStore';
import { prepareRun } from '../../core/run/runRequest';
import { executeRun } from './runExecution';
import { storeRun } from './runLauncher';
import { bundleChunks } from './runBundleExport';

export function runPreset(db: LabDatabase, preset: string, overrides: string[]): number {
  const prepared = prepareRun({ preset, overrides });
  if (!prepared.ok) throw new Error(prepared.problems.join('\n'));
  const stored = storeRun(new RunStore(db), prepared, Date.parse('2026-01-02T03:04:05Z'));
  const outcome = executeRun(db, stored.runId, prepared.plan, {
    nowMs: () => Date.parse('2026-01-02T03:04:06Z'),
    isCancelled: () => false,
  });
  if (outcome.status !== 'completed') throw new Error(`run ${outcome.status}`);
  return stored.runId;
}

export function exportBundle(db: LabDatabase, id: number, nowMs = 0): Buffer {
  return Buffer.concat([...bundleChunks(db, id, { labVersion: '9.9.9', nowMs })!]);
}

/** The bundle's text lines, edited by `edit`, written back with fresh digests (a well-formed bundle of other content). */
export function rewrite(gz: Buffer, edit: (lines: string[]) => string[]): Buffer {
  const lines = gunzipSync(gz).toString('utf8').split('\n').slice(0, -2);
  const body = edit(lines);
  const text = body.map((l) => l + '\n').join('');
  const content = body
    .slice(1)
    .map((l) => l + '\n')
    .join('');
  const end = {
    end: {
      lines: body.length + 1,
      contentSha256: createHash('sha256').update(content).digest('hex'),
      sha256: createHash('sha256').update(text).digest('hex'),
    },
  };
  return gzipSync(text + JSON.stringify(end) + '\n');
}
