// A saved comparison as a file (`<name>.pcilab-comparison.json`, versioned JSON): what it compares
// (a reference to each run: id, name, seed, creation time, timeline and content hash, so another
// lab holding the same runs, e.g. imported from their bundles, finds them), the comparison table as
// it was when exported (metrics side by side, configuration differences), what the view showed,
// and the lab's saved queries (they are asked of any run, so they travel with the runs they were
// asked of). The zod schema is the one description of the format; docs/bundles.md describes it.
// Must not: import anything but zod and other contract modules.

import { z } from 'zod';

export const COMPARISON_EXPORT_FORMAT = 'pcilab-comparison';
export const COMPARISON_EXPORT_VERSION = 1;
export const COMPARISON_EXPORT_EXTENSION = '.pcilab-comparison.json';
/** Largest comparison file the app imports (it travels as one API argument), in characters. */
export const COMPARISON_EXPORT_MAX_CHARS = 800_000;

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const text = (max: number) => z.string().max(max);

export const ComparisonRunRefSchema = z.strictObject({
  /** The run's id in the exporting lab. */
  id: count,
  name: text(300),
  preset: text(100).nullable(),
  seed: count,
  status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted']),
  createdAt: text(40),
  timelineHash: text(200).nullable(),
  /** sha256 of the run's content as its bundle carries it (null while the run had not finished). */
  contentHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'a sha256 in hex')
    .nullable(),
});

export const ComparisonExportSchema = z.strictObject({
  format: z.literal(COMPARISON_EXPORT_FORMAT),
  version: z.literal(COMPARISON_EXPORT_VERSION),
  labVersion: text(100),
  exportedAt: text(40),
  comparison: z.strictObject({
    name: z.string().trim().min(1).max(200),
    createdAt: text(40),
    /** Metrics and counters the view showed (empty = all) and its toggles. */
    metrics: z.array(text(300)).max(2000),
    counters: z.array(text(300)).max(2000),
    view: z.strictObject({ onlyDifferences: z.boolean().optional() }),
  }),
  /** The compared runs that still existed at export, in the comparison's order. */
  runs: z.array(ComparisonRunRefSchema).min(1).max(16),
  /** Runs of the saved comparison deleted before the export (ids in the exporting lab). */
  missingRunIds: z.array(count).max(16),
  /** The comparison table at export: one value per entry of `runs`. */
  table: z.strictObject({
    metrics: z
      .array(z.strictObject({ name: text(300), unit: text(100), values: z.array(z.number().nullable()), differs: z.boolean() }))
      .max(20_000),
    config: z.array(z.strictObject({ path: text(1000), values: z.array(text(100_000).nullable()) })).max(20_000),
  }),
  queries: z.array(z.strictObject({ name: z.string().trim().min(1).max(200), sql: z.string().trim().min(1).max(65_536) })).max(1000),
});

export type ComparisonRunRef = z.infer<typeof ComparisonRunRefSchema>;
export type ComparisonExport = z.infer<typeof ComparisonExportSchema>;

/** What exportComparison hands the page: the file's suggested name and its text. */
export interface ComparisonExportFile {
  readonly fileName: string;
  readonly text: string;
}

export interface ImportComparisonRequest {
  readonly fileName: string;
  readonly text: string;
}

export interface ImportComparisonResult {
  /** The new saved comparison, over this lab's copies of the runs. */
  readonly comparisonId: number;
  readonly name: string;
  /** The local run of each exported run found here, in order. */
  readonly runIds: readonly number[];
  /** Exported runs not found in this lab (left out), as `run <id> "<name>"` of the exporting lab. */
  readonly missingRuns: readonly string[];
  readonly queriesAdded: number;
  /** Queries this lab already had (same name and SQL), not added again. */
  readonly queriesKnown: number;
}
