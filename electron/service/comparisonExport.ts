// A saved comparison exported as a file and imported into another lab (core/contract/comparisonExport.ts
// is the format). Export: the comparison as reopened now (runs deleted since are listed as missing),
// a reference to each run with its content hash, and the lab's saved queries. Import: each run
// reference is found among this lab's runs by name, seed, creation time and timeline hash, then by
// content hash (as a run bundle's duplicate check does, so runs imported from their bundles are
// found); the comparison is saved over the runs found (at least two), the queries this lab lacks
// (same name and SQL) are added, all in one transaction.
// Must not: import runs (their bundles do), or write outside one transaction.

import type { LabDatabase } from '../../db/database';
import type { ComparisonStore } from '../../db/comparisonStore';
import type { QueryStore } from '../../db/queryStore';
import type { RunStore } from '../../db/runStore';
import { runsLike, runWithContentHash } from '../../db/runRecord';
import { formatIssues } from '../../core/scenario/loadScenario';
import {
  COMPARISON_EXPORT_EXTENSION,
  COMPARISON_EXPORT_FORMAT,
  COMPARISON_EXPORT_MAX_CHARS,
  COMPARISON_EXPORT_VERSION,
  ComparisonExportSchema,
  type ComparisonExport,
  type ComparisonExportFile,
  type ComparisonRunRef,
  type ImportComparisonResult,
} from '../../core/contract/comparisonExport';
import type { ComparisonService } from './comparisonService';
import { runContentHash, storedContentHash } from './runBundleExport';
import { LabError } from './labError';

export interface ComparisonExportDeps {
  readonly db: LabDatabase;
  readonly runs: RunStore;
  readonly comparisons: ComparisonService;
  readonly queries: QueryStore;
  readonly labVersion: string;
  readonly nowMs: number;
}

/** The export of saved comparison `comparisonId` (LabError not-found when there is none). */
export function exportComparison(deps: ComparisonExportDeps, comparisonId: number): ComparisonExport {
  const saved = deps.comparisons.get(comparisonId);
  const present = saved.runIds.filter((id) => !saved.missingRunIds.includes(id));
  if (present.length === 0) throw new LabError('conflict', `every run of comparison ${comparisonId} was deleted: nothing to export`);
  const runs = present.map((id): ComparisonRunRef => {
    const run = deps.runs.get(id);
    if (run === undefined) throw new LabError('not-found', `no run ${id}`);
    return {
      id,
      name: run.name,
      preset: run.preset,
      seed: run.seed,
      status: run.status,
      createdAt: run.createdAt,
      timelineHash: run.timelineHash,
      contentHash: storedContentHash(deps.db, id) ?? null,
    };
  });
  return {
    format: COMPARISON_EXPORT_FORMAT,
    version: COMPARISON_EXPORT_VERSION,
    labVersion: deps.labVersion,
    exportedAt: new Date(deps.nowMs).toISOString(),
    comparison: {
      name: saved.name,
      createdAt: saved.createdAt,
      metrics: [...saved.metrics],
      counters: [...saved.counters],
      view: { ...saved.view },
    },
    runs,
    missingRunIds: [...saved.missingRunIds],
    table: {
      metrics: saved.comparison.metrics.map((m) => ({ name: m.name, unit: m.unit, values: [...m.values], differs: m.differs })),
      config: saved.comparison.config.map((c) => ({ path: c.path, values: [...c.values] })),
    },
    // Oldest first, so an import adds them in the order they were saved.
    queries: deps.queries
      .list()
      .reverse()
      .map((q) => ({ name: q.name, sql: q.sql })),
  };
}

/** The file name to suggest: comparison-<id>-<name>.pcilab-comparison.json. */
export function comparisonExportFileName(comparisonId: number, name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `comparison-${comparisonId}${slug === '' ? '' : `-${slug}`}${COMPARISON_EXPORT_EXTENSION}`;
}

/** The export as a file: its name and its text (pretty JSON, one trailing newline). */
export function comparisonExportFile(deps: ComparisonExportDeps, comparisonId: number): ComparisonExportFile {
  const doc = exportComparison(deps, comparisonId);
  return { fileName: comparisonExportFileName(comparisonId, doc.comparison.name), text: `${JSON.stringify(doc, null, 2)}\n` };
}

/** The largest comparison file `pcilab import-comparison` reads (the app: COMPARISON_EXPORT_MAX_CHARS), in characters. */
export const COMPARISON_FILE_MAX_CHARS = 16 * 1024 * 1024;

/** Reads a comparison file of at most `maxChars`; LabError invalid-argument naming the file and each bad field. */
export function parseComparisonExport(text: string, source: string, maxChars = COMPARISON_EXPORT_MAX_CHARS): ComparisonExport {
  if (text.length > maxChars) {
    throw new LabError('invalid-argument', `${source}: larger than ${maxChars.toLocaleString('en-US')} characters`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new LabError('invalid-argument', `${source}: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const head = typeof value === 'object' && value !== null ? (value as { format?: unknown; version?: unknown }) : {};
  if (head.format !== COMPARISON_EXPORT_FORMAT) {
    throw new LabError('invalid-argument', `${source}: format: not a comparison file (expected "${COMPARISON_EXPORT_FORMAT}")`);
  }
  if (typeof head.version === 'number' && head.version > COMPARISON_EXPORT_VERSION) {
    throw new LabError(
      'invalid-argument',
      `${source}: version: ${head.version} was written by a newer lab (this lab reads version ${COMPARISON_EXPORT_VERSION})`,
    );
  }
  const parsed = ComparisonExportSchema.safeParse(value);
  if (!parsed.success) {
    const problems = formatIssues(parsed.error.issues).map((p) => `${source}: ${p}`);
    throw new LabError('invalid-argument', problems.slice(0, 20).join('\n'), problems);
  }
  const doc = parsed.data;
  const widths = [...doc.table.metrics.map((m) => m.values.length), ...doc.table.config.map((c) => c.values.length)];
  const bad = widths.findIndex((w) => w !== doc.runs.length);
  if (bad !== -1) {
    throw new LabError('invalid-argument', `${source}: table: a row has ${widths[bad]} values for ${doc.runs.length} runs`);
  }
  return doc;
}

export interface ComparisonImportDeps {
  readonly db: LabDatabase;
  readonly comparisons: ComparisonStore;
  readonly queries: QueryStore;
  readonly nowMs: number;
}

/** The local run holding the same content as `ref`, or undefined. */
function findRun(db: LabDatabase, ref: ComparisonRunRef): number | undefined {
  if (ref.contentHash === null) return undefined;
  return runWithContentHash(db, ref.contentHash) ?? runsLike(db, ref).find((id) => runContentHash(db, id) === ref.contentHash);
}

/** Saves the exported comparison over this lab's copies of its runs, and adds the queries it lacks. */
export function importComparison(deps: ComparisonImportDeps, doc: ComparisonExport, source: string): ImportComparisonResult {
  const runIds: number[] = [];
  const missingRuns: string[] = [];
  for (const ref of doc.runs) {
    const local = findRun(deps.db, ref);
    if (local === undefined) missingRuns.push(`run ${ref.id} "${ref.name}"`);
    else if (!runIds.includes(local)) runIds.push(local);
  }
  if (runIds.length < 2) {
    throw new LabError(
      'not-found',
      `${source}: ${runIds.length} of its ${doc.runs.length} runs are in this lab (a comparison needs two); not here: ${missingRuns.join(', ')}. ` +
        'Import their run bundles first (pcilab export RUN --format bundle, then pcilab import or File > Import)',
    );
  }
  const known = new Set(deps.queries.list().map((q) => `${q.name}\u0000${q.sql}`));
  return deps.db.transaction((): ImportComparisonResult => {
    const { name, metrics, counters, view } = doc.comparison;
    const comparisonId = deps.comparisons.create({ name, runIds, metrics, counters, view }, deps.nowMs);
    let queriesAdded = 0;
    for (const q of doc.queries) {
      const key = `${q.name}\u0000${q.sql}`;
      if (known.has(key)) continue;
      known.add(key);
      deps.queries.create(q, deps.nowMs);
      queriesAdded += 1;
    }
    return { comparisonId, name, runIds, missingRuns, queriesAdded, queriesKnown: doc.queries.length - queriesAdded };
  })();
}
