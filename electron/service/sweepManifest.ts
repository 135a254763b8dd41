// The submission manifest of a sweep (docs/cluster.md): `manifest.json` in the sweep's shared
// directory, written by `pcilab experiment submit` and extended by each retry. It holds all a task
// needs to run its variant without the lab database (the base scenario request and every variant's
// overrides), the file names each task writes (its bundle, its log), and the scheduler's jobs (the
// Slurm array job ids and which task ids each covers), so `pcilab experiment collect` works from a
// fresh process, on another machine that sees the directory, or with another lab database.
// Must not: run anything; write the manifest but whole (a temporary file renamed over it).

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { StartRunRequestSchema } from '../../core/contract/apiSchemas';
import { formatIssues } from '../../core/scenario/loadScenario';
import { BUNDLE_EXTENSION } from './runBundleFormat';

export const SWEEP_FORMAT = 'pcilab-sweep';
export const SWEEP_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';

const JobSchema = z.strictObject({
  /** Slurm's array job id; null for a local run (`--local N`). */
  arrayJobId: z.number().int().positive().nullable(),
  /** The task ids (variant indices) this job runs. */
  indices: z.array(z.number().int().min(0)).min(1),
  submittedAt: z.string().max(100),
  /** The process that runs a local job's tasks (`--local N`, a local retry): a task it never started is failed once it is gone. */
  localRunner: z.strictObject({ pid: z.number().int().positive(), host: z.string().max(300) }).optional(),
});

export const SweepManifestSchema = z.strictObject({
  format: z.literal(SWEEP_FORMAT),
  version: z.number().int().min(1).max(SWEEP_FORMAT_VERSION, 'written by a newer pcilab; update this lab to collect it'),
  labVersion: z.string().max(100),
  createdAt: z.string().max(100),
  experiment: z.strictObject({
    /** The experiment's id in the lab that submitted it (another lab matches it by base and variants). */
    id: z.number().int().positive(),
    name: z.string().min(1).max(200),
    base: StartRunRequestSchema,
    variants: z
      .array(z.strictObject({ name: z.string().min(1).max(200), set: z.array(z.string().max(2000)).max(500) }))
      .min(1)
      .max(256),
  }),
  scheduler: z.enum(['slurm', 'local']),
  slurm: z
    .strictObject({
      partition: z.string().max(200).nullable(),
      time: z.string().max(100).nullable(),
      sbatchArgs: z.array(z.string().max(2000)).max(100),
    })
    .optional(),
  /** Every submission, oldest first: the first covers every task, a retry the tasks it reran. */
  jobs: z.array(JobSchema).min(1),
});

export type SweepManifest = z.output<typeof SweepManifestSchema>;
export type SweepJob = SweepManifest['jobs'][number];

/** The bundle a task writes, relative to the sweep directory ("bundles/variant-007.pcilab-run.jsonl.gz"). */
export function bundleName(index: number): string {
  return `bundles/variant-${String(index).padStart(3, '0')}${BUNDLE_EXTENSION}`;
}

/** The log of a task's attempt, relative to the sweep directory. Slurm's --output pattern writes the same name (%a, %A). */
export function logName(index: number, job: SweepJob, attempt: number): string {
  return job.arrayJobId === null ? `logs/task-${index}.local-${attempt}.log` : `logs/task-${index}.job-${job.arrayJobId}.log`;
}

/** The --output pattern of a Slurm submission: logName for every task of the array. */
export function slurmOutputPattern(dir: string): string {
  return join(dir, 'logs', 'task-%a.job-%A.log');
}

/** The latest job that covers task `index`, and which attempt it is (1 = the first submission). */
export function latestJobOf(manifest: SweepManifest, index: number): { job: SweepJob; attempt: number } {
  let found: { job: SweepJob; attempt: number } | undefined;
  let attempt = 0;
  for (const job of manifest.jobs) {
    if (job.indices.includes(index)) found = { job, attempt: ++attempt };
  }
  if (found === undefined) throw new Error(`no job of the sweep runs variant ${index}`);
  return found;
}

export class ManifestError extends Error {}

export function readManifest(dir: string): SweepManifest {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new ManifestError(
      `${path}: ${code === 'ENOENT' ? 'no such file (not a sweep directory: pcilab experiment submit writes it)' : 'cannot be read'}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ManifestError(`${path}: not JSON`);
  }
  const parsed = SweepManifestSchema.safeParse(json);
  if (!parsed.success) throw new ManifestError(`${path}: not a sweep manifest: ${formatIssues(parsed.error.issues).join('; ')}`);
  for (const job of parsed.data.jobs) {
    const bad = job.indices.find((i) => i >= parsed.data.experiment.variants.length);
    if (bad !== undefined) throw new ManifestError(`${path}: jobs: task ${bad} is past the last variant`);
  }
  return parsed.data;
}

export function writeManifest(dir: string, manifest: SweepManifest): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, MANIFEST_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(manifest, null, 2) + '\n');
  renameSync(tmp, path);
}
