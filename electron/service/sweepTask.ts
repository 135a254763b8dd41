// One task of a sweep (docs/cluster.md): `pcilab experiment task DIR` on a cluster node (or a local
// worker) runs variant INDEX of the manifest in DIR with this lab's own run path (prepareRun,
// storeRun, executeRun: as `pcilab run` and the app run it) into a throwaway database under the
// node's temporary directory, then writes the run as a portable bundle into DIR/bundles (under a
// temporary name renamed when whole, so collect never imports half a bundle). The run's name is the
// one the app gives an experiment's run ("experiment / variant"); its content hash (docs/bundles.md)
// is the same wherever the task runs, so the same variant run twice is a duplicate on import.
// Must not: touch the lab database (the node may not see it, and SQLite is not for shared file systems).

import { closeSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openLabDatabase } from '../../db/database';
import { RunStore } from '../../db/runStore';
import { prepareRun } from '../../core/run/runRequest';
import { executeRun } from './runExecution';
import { storeRun } from './runLauncher';
import { bundleChunks } from './runBundleExport';
import { variantRequest } from './experimentVariants';
import { bundleName, type SweepManifest } from './sweepManifest';

export interface TaskResult {
  /** The bundle written, absolute. */
  readonly bundle: string;
  readonly bytes: number;
  readonly status: 'completed';
}

export class TaskError extends Error {}

/** The variant index a task runs: --index, else Slurm's SLURM_ARRAY_TASK_ID, else Kubernetes' JOB_COMPLETION_INDEX. */
export function taskIndexOf(option: string | undefined, env: Readonly<Record<string, string | undefined>>, count: number): number {
  const [source, raw] =
    option !== undefined
      ? ['--index', option]
      : env['SLURM_ARRAY_TASK_ID'] !== undefined
        ? ['SLURM_ARRAY_TASK_ID', env['SLURM_ARRAY_TASK_ID']]
        : env['JOB_COMPLETION_INDEX'] !== undefined
          ? ['JOB_COMPLETION_INDEX', env['JOB_COMPLETION_INDEX']]
          : [null, undefined];
  if (source === null || raw === undefined) {
    throw new TaskError(
      'task: no variant index: give --index N, or run it as a Slurm array task (SLURM_ARRAY_TASK_ID) or a Kubernetes indexed job (JOB_COMPLETION_INDEX)',
    );
  }
  const index = Number(raw);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new TaskError(`${source}: expected a variant index from 0 to ${count - 1}, got "${raw}"`);
  }
  return index;
}

/** Runs variant `index` of the sweep in `dir` and writes its bundle; throws TaskError for a variant that does not prepare or a run that does not complete. */
export function runSweepTask(
  dir: string,
  manifest: SweepManifest,
  index: number,
  labVersion: string,
  log: (line: string) => void,
): TaskResult {
  const { experiment } = manifest;
  const variant = experiment.variants[index]!;
  const prepared = prepareRun(variantRequest(experiment.base, variant));
  if (!prepared.ok) throw new TaskError(`variant ${index} "${variant.name}": ${prepared.problems.join('; ')}`);
  const work = mkdtempSync(join(tmpdir(), 'pcilab-task-'));
  try {
    const db = openLabDatabase(join(work, 'task.db'));
    try {
      const { runId } = storeRun(new RunStore(db), prepared, Date.now(), `${experiment.name} / ${variant.name}`);
      log(`variant ${index} "${variant.name}": running`);
      const outcome = executeRun(db, runId, prepared.plan, { nowMs: () => Date.now(), isCancelled: () => false });
      if (outcome.status !== 'completed') {
        throw new TaskError(
          `variant ${index} "${variant.name}": run ${outcome.status}${outcome.status === 'failed' ? `: ${outcome.error}` : ''}`,
        );
      }
      const target = join(dir, bundleName(index));
      mkdirSync(dirname(target), { recursive: true });
      const partial = `${target}.${process.pid}.partial`;
      const fd = openSync(partial, 'w');
      let bytes = 0;
      try {
        for (const chunk of bundleChunks(db, runId, { labVersion, nowMs: Date.now() })!) bytes += writeSync(fd, chunk);
      } finally {
        closeSync(fd);
      }
      renameSync(partial, target);
      log(`variant ${index} "${variant.name}": wrote ${target} (${bytes.toLocaleString('en-US')} bytes)`);
      return { bundle: target, bytes, status: 'completed' };
    } finally {
      db.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
