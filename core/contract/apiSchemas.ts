// Validation of every LabApi argument, applied by the main process (IPC) and the browser host
// (HTTP) before the service sees a call. Each entry is a tuple schema of the method's parameters;
// `satisfies` ties it to the LabApi signature so the two cannot drift apart.
// Must not: be imported by the renderer at run time (it talks through the typed API only).

import { z } from 'zod';
import type { LabApi, LabApiMethod } from './labApi';
import { QUERY_MAX_SQL_CHARS } from './query';
import { RUN_BUNDLE_UPLOAD_MAX_BYTES, TRACE_TEXT_MAX_BYTES } from './imports';
import { LOG_LINE_MAX_CHARS } from './logExplanation';
import { COMPARISON_EXPORT_MAX_CHARS } from './comparisonExport';

const runId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const StartRunRequestSchema = z
  .strictObject({
    scenario: z.unknown().optional(),
    scenarioText: z.string().max(5_000_000).optional(),
    preset: z.string().min(1).max(100).optional(),
    overrides: z.array(z.string().min(1).max(2000)).max(500).optional(),
    seed: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .refine((r) => [r.scenario, r.scenarioText, r.preset].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of scenario, scenarioText or preset',
  });

const RunFilterSchema = z.strictObject({
  text: z.string().max(200).optional(),
  status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted', '']).optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
});

const TimelineWindowQuerySchema = z
  .strictObject({
    runId,
    startNs: z.number().int().min(0),
    endNs: z.number().int().min(0),
    widthPx: z.number().int().min(1).max(16_384),
    lanes: z.array(z.number().int().min(0).max(65_535)).max(4096).optional(),
    limit: z.number().int().min(1).max(100_000).optional(),
  })
  .refine((q) => q.endNs >= q.startNs, { message: 'endNs must be >= startNs', path: ['endNs'] });

const entityId = runId;
const name = z.string().trim().min(1, 'must not be empty').max(200);
const setPath = z.string().min(1).max(2000);

const versionText = z
  .string()
  .max(20)
  .regex(/^[0-9]+\.[0-9]+(\.[0-9]+)?$/, 'must be a version like "7.2" or "6.1.5"');

export const BisectSpecSchema = z.strictObject({
  path: z.string().min(1).max(200),
  versions: z.array(versionText).min(2, 'give at least two versions, oldest first').max(64),
  outcome: z.strictObject({
    metric: z.string().min(1).max(300),
    op: z.enum(['>', '>=', '<', '<=', '==', '!=']).optional(),
    value: z.number().finite().optional(),
  }),
  variant: z.string().min(1).max(100).optional(),
  all: z.boolean().optional(),
});

const ExperimentRequestSchema = z
  .strictObject({
    name,
    kind: z.enum(['variants', 'bisect']).optional(),
    base: StartRunRequestSchema,
    variants: z
      .array(z.strictObject({ name, set: z.array(setPath).max(500) }))
      .max(256)
      .optional(),
    grid: z
      .array(
        z.strictObject({
          path: z.string().min(1).max(500),
          values: z.array(z.unknown()).min(1).max(64),
        }),
      )
      .max(8)
      .optional(),
    bisect: BisectSpecSchema.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.kind === 'bisect') {
      if (r.bisect === undefined) ctx.addIssue({ code: 'custom', message: 'a bisect experiment needs its bisect spec', path: ['bisect'] });
      if ((r.variants?.length ?? 0) + (r.grid?.length ?? 0) > 0) {
        ctx.addIssue({
          code: 'custom',
          message: 'a bisect experiment has no variants or grid (its versions are its runs)',
          path: ['variants'],
        });
      }
    } else {
      if ((r.variants?.length ?? 0) + (r.grid?.length ?? 0) === 0) {
        ctx.addIssue({ code: 'custom', message: 'give variants or a grid (at least one)', path: ['variants'] });
      }
      if (r.bisect !== undefined)
        ctx.addIssue({ code: 'custom', message: 'only a bisect experiment (kind "bisect") has one', path: ['bisect'] });
    }
  });

const SavedComparisonRequestSchema = z.strictObject({
  name,
  runIds: z.array(runId).min(2).max(16),
  metrics: z.array(z.string().min(1).max(300)).max(2000).optional(),
  counters: z.array(z.string().min(1).max(300)).max(2000).optional(),
  view: z.strictObject({ onlyDifferences: z.boolean().optional() }).optional(),
});

const sql = z
  .string()
  .max(QUERY_MAX_SQL_CHARS, `the query is longer than ${QUERY_MAX_SQL_CHARS.toLocaleString('en-US')} characters`)
  .refine((t) => t.trim() !== '', 'the query is empty');

const SavedQueryRequestSchema = z.strictObject({ name, sql });
const ImportRunBundleRequestSchema = z.strictObject({
  fileName: z.string().min(1).max(255),
  // base64 of at most RUN_BUNDLE_UPLOAD_MAX_BYTES (4 characters per 3 bytes).
  dataBase64: z
    .string()
    .max(
      Math.ceil(RUN_BUNDLE_UPLOAD_MAX_BYTES / 3) * 4,
      `larger than ${RUN_BUNDLE_UPLOAD_MAX_BYTES / 1024 / 1024} MiB; import larger bundles with pcilab import`,
    )
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64'),
});

const ImportTraceRequestSchema = z
  .strictObject({
    fileName: z.string().min(1).max(255),
    text: z
      .string()
      .min(1)
      .max(TRACE_TEXT_MAX_BYTES, `larger than ${TRACE_TEXT_MAX_BYTES / 1024 / 1024} MiB; import larger traces with pcilab import-trace`),
    preset: z.string().min(1).max(100).optional(),
    scenarioText: z.string().max(5_000_000).optional(),
    overrides: z.array(z.string().min(1).max(2000)).max(500).optional(),
  })
  .refine((r) => r.preset === undefined || r.scenarioText === undefined, { message: 'give preset or scenarioText, not both' });

/** sbatch --partition and --time from the app: Slurm's own syntax, nothing a shell could read otherwise. */
const SweepSubmitOptionsSchema = z.strictObject({
  partition: z
    .string()
    .regex(/^[A-Za-z0-9_.,-]{1,100}$/, 'a partition name (letters, digits, _ . , -)')
    .optional(),
  time: z
    .string()
    .regex(/^[0-9]{1,6}([-:][0-9]{1,2}){0,3}$/, 'a Slurm time limit: minutes, MM:SS, HH:MM:SS or D-HH[:MM[:SS]]')
    .optional(),
});

type ArgSchemas = { readonly [M in LabApiMethod]: z.ZodType<Parameters<LabApi[M]>> };

export const LAB_API_ARGS = {
  getCatalog: z.tuple([]),
  listPresets: z.tuple([]),
  getPreset: z.tuple([z.string().min(1).max(100)]),
  getScenarioSchema: z.tuple([]),
  getImpliedSwitches: z.tuple([z.unknown()]),
  validateScenario: z.tuple([StartRunRequestSchema]),
  startRun: z.tuple([StartRunRequestSchema]),
  cancelRun: z.tuple([runId]),
  getActiveRuns: z.tuple([]),
  listRuns: z.tuple([RunFilterSchema]),
  getRun: z.tuple([runId]),
  deleteRun: z.tuple([runId]),
  getTimelineWindow: z.tuple([TimelineWindowQuerySchema]),
  getTimelineSummary: z.tuple([runId]),
  getTimelineEvent: z.tuple([runId, z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]),
  listFailures: z.tuple([runId, z.number().int().min(1).max(100_000)]),
  createExperiment: z.tuple([ExperimentRequestSchema]),
  listExperiments: z.tuple([]),
  getExperiment: z.tuple([entityId]),
  runExperiment: z.tuple([entityId]),
  deleteExperiment: z.tuple([entityId]),
  getSweepSupport: z.tuple([]),
  submitExperimentSweep: z.tuple([entityId, SweepSubmitOptionsSchema]),
  collectExperimentSweep: z.tuple([entityId]),
  retryExperimentSweep: z.tuple([entityId]),
  compareRuns: z.tuple([z.array(runId).min(2).max(16)]),
  saveComparison: z.tuple([SavedComparisonRequestSchema]),
  listComparisons: z.tuple([]),
  getComparison: z.tuple([entityId]),
  deleteComparison: z.tuple([entityId]),
  exportComparison: z.tuple([entityId]),
  importComparison: z.tuple([
    z.strictObject({
      fileName: z.string().min(1).max(255),
      text: z
        .string()
        .max(
          COMPARISON_EXPORT_MAX_CHARS,
          `larger than ${COMPARISON_EXPORT_MAX_CHARS.toLocaleString('en-US')} characters; import it with pcilab import-comparison`,
        ),
    }),
  ]),
  queryRun: z.tuple([runId, sql]),
  saveQuery: z.tuple([SavedQueryRequestSchema]),
  listQueries: z.tuple([]),
  deleteQuery: z.tuple([entityId]),
  exportRun: z.tuple([runId, z.enum(['perfetto', 'csv', 'json', 'bundle'])]),
  importRunBundle: z.tuple([ImportRunBundleRequestSchema]),
  importTrace: z.tuple([ImportTraceRequestSchema]),
  explainLogLine: z.tuple([z.string().max(LOG_LINE_MAX_CHARS, `a log line is at most ${LOG_LINE_MAX_CHARS} characters`)]),
} as const satisfies ArgSchemas;
