// `pcilab`: the lab's command line (docs/model.md#command-line). Exit codes: 0 the command did its
// job (for `run`: the run completed, also when the simulated system failed), 2 invalid input
// (scenario problems or usage, listed on stderr), 1 an internal error.
// Must not: print anything on stdout but the command's output (progress goes to stderr).

import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { parseArgs } from 'node:util';
import { describeDatabaseError, isEnvironmentError, LabDatabaseError, openLabDatabase, type LabDatabase } from '../../db/database';
import { RunStore } from '../../db/runStore';
import { PRESETS } from '../../core/scenario/presets';

import { scenarioJsonSchema } from '../../core/scenario/jsonSchema';
import { defaultDatabasePath } from '../service/dataDir';
import { prepareRun } from '../../core/run/runRequest';
import { executeRun } from '../service/runExecution';
import { storeRun } from '../service/runLauncher';
import { formatComparisonText, formatPresetsText, formatRunsText, formatRunText, runJson } from './cliOutput';
import type { StartRunRequest } from '../../core/contract/labApi';
import type { RunDetail } from '../../core/contract/runResult';
import { compareRunDetails } from '../service/runComparison';
import { EXPORT_FORMATS, exportChunks, isExportFormat } from '../service/runExport';
import { presetSummary } from '../service/labCatalog';
import { readTextAtMostSync, type BoundedRead } from '../service/boundedRead';
import { errorMessage } from '../service/labError';
import { SCENARIO_FILE_MAX_BYTES } from '../../core/contract/desktopShell';
import { commandImportTrace } from './importTrace';
import { commandExplain } from './explain';

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly isTty: boolean;
}

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_INVALID = 2;

const USAGE = `usage: pcilab <command> [options]

commands:
  run <file | preset> [--db PATH] [--seed N] [--set a.b.c=value ...] [--json]
                      run a scenario file (JSON or YAML) or a preset and store the run
  runs [--db PATH] [--json]        list stored runs
  compare <run> <run>... [--db PATH] [--json]
                                   metrics side by side (* = differs by more than 1 %) and the
                                   configuration differences of stored runs
  export <run> --format perfetto|csv|json --out FILE [--db PATH]
                                   write a stored run as a Perfetto trace (Chrome JSON), CSV or JSON
  import-trace <trace> [--qemu-log FILE] [--scenario FILE | --preset ID] [--set ...] [--db PATH] [--json]
                                   store a real trace (ftrace / trace-cmd text, QEMU -trace log) as a
                                   run and replay its DMA maps on a host (default: s390 KVM, QEMU 7.1)
  presets [--json]                 list the shipped presets
  explain "<log line>" [--json]    the mechanism, limit, knobs and reproducing preset of a kernel
                                   or QEMU message
  schema                           print the scenario JSON Schema

database: --db PATH, else $PCILAB_DB, else the user's data directory`;

class UsageError extends Error {}
/** Bad input that is not about usage (a scenario path that is not a readable file): its `path: message` line alone. */
class InputError extends Error {}

function dbPathOf(db: string | undefined, io: CliIo): string {
  return db ?? defaultDatabasePath({ env: io.env, platform: process.platform, home: homedir() });
}

/**
 * Runs `use` on the lab database at `path`, turning SQLite and file system errors into one
 * LabDatabaseError line naming the file. Read-only commands open it read-only (they work on
 * read-only media and never write); a missing database reads as an empty lab.
 */
function withDatabase<T>(path: string, mode: 'read' | 'write', use: (db: LabDatabase) => T): T {
  const db = mode === 'read' && !existsSync(path) ? openLabDatabase(':memory:') : openLabDatabase(path, { readonly: mode === 'read' });
  try {
    return use(db);
  } catch (err) {
    if (err instanceof LabDatabaseError || !isEnvironmentError(err) || (err as { path?: unknown }).path !== undefined) throw err;
    throw new LabDatabaseError(path, describeDatabaseError(err), err);
  } finally {
    db.close();
  }
}

function parseSeed(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed: expected a non-negative integer, got "${raw}"`);
  return seed;
}

function runRequestOf(target: string, overrides: string[], seed: number | undefined): StartRunRequest {
  const base = { overrides, ...(seed === undefined ? {} : { seed }) };
  if (existsSync(target)) return { ...base, scenarioText: readScenarioText(target) };
  if (PRESETS.some((p) => p.id === target)) return { ...base, preset: target };
  throw new UsageError(`"${target}" is neither a scenario file nor a preset (pcilab presets lists them)`);
}

/** A scenario file's text, read as the desktop import reads it: regular files of at most 8 MiB. */
function readScenarioText(path: string): string {
  let read: BoundedRead;
  try {
    read = readTextAtMostSync(path, SCENARIO_FILE_MAX_BYTES);
  } catch (err) {
    throw new InputError(`${path}: cannot be read (${errorMessage(err)})`);
  }
  if (read.kind === 'not-a-file') throw new InputError(`${path}: is ${read.what}, not a scenario file`);
  if (read.kind === 'too-big') {
    throw new InputError(`${path}: larger than ${SCENARIO_FILE_MAX_BYTES.toLocaleString('en-US')} bytes; scenario files are at most that`);
  }
  return read.text;
}

function commandRun(args: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { db: { type: 'string' }, seed: { type: 'string' }, set: { type: 'string', multiple: true }, json: { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw new UsageError('run takes exactly one scenario file or preset name');
  const prepared = prepareRun(runRequestOf(positionals[0]!, values.set ?? [], parseSeed(values.seed)));
  if (!prepared.ok) {
    for (const p of prepared.problems) io.err(p);
    return EXIT_INVALID;
  }
  return withDatabase(dbPathOf(values.db, io), 'write', (db) => {
    const { runId, durationNs: totalNs } = storeRun(new RunStore(db), prepared, Date.now());
    const showProgress = io.isTty && values.json !== true;
    let lastShown = 0;
    const outcome = executeRun(db, runId, prepared.plan, {
      nowMs: () => Date.now(),
      isCancelled: () => false,
      onProgress: (p) => {
        const now = Date.now();
        if (!showProgress || now - lastShown < 200) return;
        lastShown = now;
        const pct = ((100 * p.simulatedNs) / totalNs).toFixed(0);
        io.err(
          p.phase === 'simulating'
            ? `run ${runId}: simulating ${pct}% (${p.events} events)`
            : `run ${runId}: storing timeline (${p.stored} events)`,
        );
      },
    });
    if (outcome.status !== 'completed') {
      io.err(`run ${runId} ${outcome.status}${outcome.status === 'failed' ? `: ${outcome.error}` : ''}`);
      return EXIT_INTERNAL;
    }
    const json = runJson(runId, 'completed', outcome.result.metrics, outcome.result.ops, outcome.result.claims);
    io.out(values.json === true ? JSON.stringify(json) : formatRunText(json));
    return EXIT_OK;
  });
}

function commandRuns(args: string[], io: CliIo): number {
  const { values } = parseArgs({ args, options: { db: { type: 'string' }, json: { type: 'boolean' } } });
  // Read-only: listing must work on read-only media, so it leaves marking stale runs interrupted to
  // the writers (the app, the browser host and `pcilab run` mark them when they open the lab).
  return withDatabase(dbPathOf(values.db, io), 'read', (db) => {
    const list = new RunStore(db).list();
    io.out(values.json === true ? JSON.stringify(list) : formatRunsText(list));
    return EXIT_OK;
  });
}

/** A missing run is exit 1 (the command could not do its job), unlike bad usage (exit 2). */
class MissingRunError extends Error {}

function parseRunId(raw: string): number {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id <= 0) throw new UsageError(`"${raw}" is not a run id (pcilab runs lists them)`);
  return id;
}

function commandCompare(args: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { db: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (positionals.length < 2) throw new UsageError('compare takes at least two run ids');
  const ids = positionals.map(parseRunId);
  const dbPath = dbPathOf(values.db, io);
  return withDatabase(dbPath, 'read', (db) => {
    const runs = new RunStore(db);
    const details = ids.map((id): RunDetail => {
      const run = runs.get(id);
      if (run === undefined) throw new MissingRunError(`no run ${id} in ${dbPath}`);
      return run;
    });
    const comparison = compareRunDetails(details);
    io.out(values.json === true ? JSON.stringify(comparison) : formatComparisonText(comparison));
    return EXIT_OK;
  });
}

function commandExport(args: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { db: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError('export takes exactly one run id');
  const runId = parseRunId(positionals[0]!);
  const format = values.format ?? '';
  if (!isExportFormat(format)) throw new UsageError(`--format: expected one of ${EXPORT_FORMATS.join(', ')}, got "${format}"`);
  if (values.out === undefined || values.out === '') throw new UsageError('--out FILE is required');
  const out = values.out;
  const dbPath = dbPathOf(values.db, io);
  return withDatabase(dbPath, 'read', (db) => {
    const chunks = exportChunks(db, runId, format);
    if (chunks === undefined) throw new MissingRunError(`no run ${runId} in ${dbPath}`);
    const fd = openSync(out, 'w');
    let bytes = 0;
    try {
      for (const chunk of chunks) bytes += writeSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
    io.err(`wrote run ${runId} as ${format} to ${out} (${bytes.toLocaleString('en-US')} bytes)`);
    return EXIT_OK;
  });
}

function commandPresets(args: string[], io: CliIo): number {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  // The app's preset summaries; the CLI's list leaves out the variants.
  const list = PRESETS.map(presetSummary).map(({ variants: _variants, ...p }) => p);
  io.out(values.json === true ? JSON.stringify(list) : formatPresetsText(list));
  return EXIT_OK;
}

function commandSchema(args: string[], io: CliIo): number {
  parseArgs({ args, options: {} });
  io.out(JSON.stringify(scenarioJsonSchema(), null, 2));
  return EXIT_OK;
}

export function main(argv: readonly string[], io: CliIo): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return commandRun(rest, io);
      case 'runs':
        return commandRuns(rest, io);
      case 'compare':
        return commandCompare(rest, io);
      case 'export':
        return commandExport(rest, io);
      case 'presets':
        return commandPresets(rest, io);
      case 'import-trace':
        return commandImportTrace(rest, { out: io.out, err: io.err, dbPath: (db) => dbPathOf(db, io) });
      case 'schema':
        return commandSchema(rest, io);
      case 'explain':
        return commandExplain(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? EXIT_INVALID : EXIT_OK;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof InputError) {
      io.err(err.message);
      return EXIT_INVALID;
    }
    if (err instanceof MissingRunError) {
      io.err(`pcilab: ${err.message}`);
      return EXIT_INTERNAL;
    }
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      io.err(`pcilab: ${err.message}`);
      io.err(USAGE);
      return EXIT_INVALID;
    }
    // A broken environment (read-only location, not a database, newer schema, disk full...) is one
    // line naming the file; anything else is a bug of the lab. The stack only with PCILAB_DEBUG.
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    io.err(isEnvironmentError(err) ? `pcilab: ${message}` : `pcilab: internal error: ${message}`);
    const debug = io.env['PCILAB_DEBUG'];
    if (debug !== undefined && debug !== '' && err instanceof Error && err.stack !== undefined) io.err(err.stack);
    return EXIT_INTERNAL;
  }
}
