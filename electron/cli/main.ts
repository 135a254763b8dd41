// `pcilab`: the lab's command line (docs/model.md#command-line; `pcilab help <command>` explains each
// command). Exit codes: 0 the command did its job (for `run`: the run completed, also when the
// simulated system failed), 2 invalid input (scenario problems, usage, a bad query: one line each on
// stderr), 1 a missing run, a broken environment or an internal error.
// Must not: print anything on stdout but the command's output (progress goes to stderr).

import { existsSync } from 'node:fs';
import { RunStore } from '../../db/runStore';
import { asOwner } from '../../db/labOwners';
import { isEnvironmentError } from '../../db/database';
import { reclaimAll } from '../../db/storage';
import { PRESETS } from '../../core/scenario/presets';
import { scenarioJsonSchema } from '../../core/scenario/jsonSchema';
import { prepareRun } from '../../core/run/runRequest';
import { executeRun, type ExecutionProgress, type RunOutcome } from '../service/runExecution';
import { storeRun } from '../service/runLauncher';
import {
  bashCompletion,
  formatComparisonText,
  formatPresetsText,
  formatQueryCsv,
  formatQueryTable,
  formatRunsText,
  formatRunText,
  runJson,
} from './cliOutput';
import type { RunDetail } from '../../core/contract/runResult';
import { compareRunDetails } from '../service/runComparison';
import { EXPORT_FORMATS, exportChunks, exportFileName, isExportFormat, type ExportChunk } from '../service/runExport';
import { RunStillActiveError } from '../../db/runRecord';
import { commandImport } from './importBundle';
import { presetSummary } from '../service/labCatalog';
import { LabError } from '../service/labError';
import { queryRun, QueryTimeoutError } from '../service/runQuery';
import {
  QUERY_DEFAULT_MAX_ROWS,
  QUERY_DEFAULT_TIMEOUT_MS,
  QUERY_MAX_ROWS,
  QUERY_MAX_TIMEOUT_MS,
  type QueryRunResult,
} from '../../core/contract/query';
import { commandImportTrace } from './importTrace';
import { BisectInputError, BisectStopped, commandBisect, formatBisectText } from './bisect';
import { commandExplain } from './explain';
import { commandExperiment } from './experiment';
import { COMMANDS, commandHelp, USAGE } from './commandHelp';
import { commandExportComparison, commandImportComparison } from './comparisonCommands';
import {
  dbPathOf,
  EnvironmentLine,
  EXIT_INTERNAL,
  EXIT_INVALID,
  EXIT_OK,
  InputError,
  isParseArgsError,
  labVersion,
  MissingRunError,
  openOut,
  parseArgsProblem,
  parseCommand,
  parseRunId,
  parseSeed,
  runRequestOf,
  UsageError,
  withDatabase,
  type CliIo,
} from './cliCommon';

export { EXIT_INTERNAL, EXIT_INVALID, EXIT_OK, labVersion, type CliIo } from './cliCommon';

function commandRun(args: string[], io: CliIo): number {
  const { values, positionals } = parseCommand('run', {
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      seed: { type: 'string' },
      set: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      progress: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('run: takes exactly one scenario file or preset name');
  const prepared = prepareRun(runRequestOf(positionals[0]!, values.set ?? [], parseSeed(values.seed)));
  if (!prepared.ok) {
    for (const p of prepared.problems) io.err(p);
    return EXIT_INVALID;
  }
  return withDatabase(dbPathOf(values.db, io), 'write', (db) =>
    asOwner(db, Date.now(), (ownerId) => {
      // Registered as the run's owner: if this process dies, every lab sees the run interrupted at once.
      const { runId, durationNs: totalNs } = storeRun(new RunStore(db, { ownerId }), prepared, Date.now());
      const progress = progressReporter(io, runId, totalNs, values.progress === true);
      let outcome: RunOutcome;
      try {
        outcome = executeRun(db, runId, prepared.plan, { nowMs: () => Date.now(), isCancelled: () => false, onProgress: progress.report });
      } finally {
        progress.done();
      }
      if (outcome.status !== 'completed') {
        io.err(`run ${runId} ${outcome.status}${outcome.status === 'failed' ? `: ${outcome.error}` : ''}`);
        return EXIT_INTERNAL;
      }
      const json = runJson(runId, 'completed', outcome.result.metrics, outcome.result.ops, outcome.result.claims);
      io.out(values.json === true ? JSON.stringify(json) : formatRunText(json));
      return EXIT_OK;
    }),
  );
}

/**
 * Progress of a run on stderr: on a terminal one status line rewritten in place (4 times a second),
 * else (with --progress) a line every 2 s: simulated time of the total, events, an ETA from the
 * wall time so far.
 */
function progressReporter(
  io: CliIo,
  runId: number,
  totalNs: number,
  forced: boolean,
): { report: (p: ExecutionProgress) => void; done: () => void } {
  const inPlace = io.isTty && io.status !== undefined;
  if (!forced && !io.isTty) return { report: () => undefined, done: () => undefined };
  const started = Date.now();
  const everyMs = inPlace ? 250 : 2000;
  let last = Number.NEGATIVE_INFINITY; // the first step's progress at once
  let shown = false;
  let phase: ExecutionProgress['phase'] = 'simulating';
  const show = (line: string): void => {
    shown = true;
    if (inPlace) io.status!(line);
    else io.err(line);
  };
  return {
    report: (p) => {
      const now = Date.now();
      // Throttled, but a new phase (storing the timeline) is shown at once.
      if (now - last < everyMs && p.phase === phase) return;
      last = now;
      phase = p.phase;
      show(formatProgress(runId, p, totalNs, now - started));
    },
    done: () => {
      if (inPlace && shown) io.status!(null);
    },
  };
}

export function formatProgress(runId: number, p: ExecutionProgress, totalNs: number, elapsedMs: number): string {
  if (p.phase === 'storing') {
    return `run ${runId}: storing the timeline, ${p.stored.toLocaleString('en-US')} of ${p.timelineEvents.toLocaleString('en-US')} events`;
  }
  const fraction = totalNs > 0 ? Math.min(1, p.simulatedNs / totalNs) : 0;
  const eta = fraction > 0.01 ? `, ETA ${formatSeconds((elapsedMs * (1 - fraction)) / fraction)}` : '';
  return (
    `run ${runId}: simulated ${formatNs(p.simulatedNs)} of ${formatNs(totalNs)} (${(100 * fraction).toFixed(0)} %), ` +
    `${p.events.toLocaleString('en-US')} events, ${formatSeconds(elapsedMs)} elapsed${eta}`
  );
}

function formatNs(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(1)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} us`;
  return `${ns} ns`;
}

function formatSeconds(ms: number): string {
  return ms >= 60_000 ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

function commandRuns(args: string[], io: CliIo): number {
  const { values } = parseCommand('runs', { args, options: { db: { type: 'string' }, json: { type: 'boolean' } } });
  // Read-only (listing works on read-only media): a run whose owner process died is shown
  // interrupted, computed from the owner's liveness, without writing (see db/runStore.ts).
  return withDatabase(dbPathOf(values.db, io), 'read', (db) => {
    const list = new RunStore(db).list();
    io.out(values.json === true ? JSON.stringify(list) : formatRunsText(list));
    return EXIT_OK;
  });
}

/** A missing run is exit 1 (the command could not do its job), unlike bad usage (exit 2). */
function commandCompare(args: string[], io: CliIo): number {
  const { values, positionals } = parseCommand('compare', {
    args,
    allowPositionals: true,
    options: { db: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (positionals.length < 2) throw new UsageError('compare: takes at least two run ids');
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
  const { values, positionals } = parseCommand('export', {
    args,
    allowPositionals: true,
    options: { db: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError('export: takes exactly one run id');
  const runId = parseRunId(positionals[0]!);
  const format = values.format ?? '';
  if (!isExportFormat(format)) throw new UsageError(`--format: expected one of ${EXPORT_FORMATS.join(', ')}, got "${format}"`);
  // A bundle goes to a file named after the run by default; the other formats name their file.
  if ((values.out === undefined || values.out === '') && format !== 'bundle')
    throw new UsageError('--out: required (a file, or - for stdout)');
  const dbPath = dbPathOf(values.db, io);
  return withDatabase(dbPath, 'read', (db) => {
    let chunks: Iterable<ExportChunk> | undefined;
    try {
      chunks = exportChunks(db, runId, format, { labVersion: labVersion(), nowMs: Date.now() });
    } catch (err) {
      throw err instanceof RunStillActiveError ? new EnvironmentLine(err.message) : err;
    }
    if (chunks === undefined) throw new MissingRunError(`no run ${runId} in ${dbPath}`);
    const run = new RunStore(db).get(runId)!;
    const out = values.out === undefined || values.out === '' ? exportFileName(run, format) : values.out;
    const sink = openOut(out, io);
    let bytes = 0;
    try {
      for (const chunk of chunks) bytes += sink.write(chunk);
    } finally {
      sink.close();
    }
    io.err(`wrote run ${runId} as ${format} to ${out === '-' ? 'stdout' : out} (${bytes.toLocaleString('en-US')} bytes)`);
    return EXIT_OK;
  });
}

/**
 * `pcilab delete`: as the app's deleteRun (electron/service/labService.ts), the run and all its rows;
 * a run that is still queued or running somewhere (fresh heartbeat) is refused. Stale ones are
 * marked interrupted first, as every writer does when it opens the lab.
 */
function commandDelete(args: string[], io: CliIo): number {
  const { values, positionals } = parseCommand('delete', { args, allowPositionals: true, options: { db: { type: 'string' } } });
  if (positionals.length === 0) throw new UsageError('delete: takes at least one run id');
  const ids = [...new Set(positionals.map(parseRunId))];
  const dbPath = dbPathOf(values.db, io);
  if (!existsSync(dbPath)) {
    for (const id of ids) io.err(`pcilab: no run ${id} in ${dbPath}`);
    return EXIT_INTERNAL;
  }
  return withDatabase(dbPath, 'write', (db) => {
    const runs = new RunStore(db);
    let failed = 0;
    let deleted = 0;
    for (const id of ids) {
      // A run another live lab process has queued or running is that process's to cancel; one whose
      // owner died (shown interrupted) may go.
      const busy = runs.exists(id) ? runs.busyElsewhere(id) : null;
      if (!runs.exists(id)) {
        io.err(`pcilab: no run ${id} in ${dbPath}`);
        failed++;
      } else if (busy !== null) {
        io.err(`pcilab: ${busy}`);
        failed++;
      } else if (runs.delete(id)) {
        deleted++;
        io.err(`deleted run ${id}`);
      }
    }
    // Give the deleted runs' pages back to the file system (incremental vacuum, WAL truncated).
    if (deleted > 0) reclaimAll(db);
    return failed === 0 ? EXIT_OK : EXIT_INTERNAL;
  });
}

async function commandQuery(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('query', {
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      json: { type: 'boolean' },
      csv: { type: 'boolean' },
      'max-rows': { type: 'string' },
      timeout: { type: 'string' },
    },
  });
  if (positionals.length !== 2) throw new UsageError('query: takes a run id and one SQL statement (quote it)');
  if (values.json === true && values.csv === true) throw new UsageError('query: give --json or --csv, not both');
  const runId = parseRunId(positionals[0]!);
  const maxRows = parseCount('--max-rows', values['max-rows'], QUERY_DEFAULT_MAX_ROWS, QUERY_MAX_ROWS);
  const timeoutMs = parseCount('--timeout', values.timeout, QUERY_DEFAULT_TIMEOUT_MS, QUERY_MAX_TIMEOUT_MS);
  const dbPath = dbPathOf(values.db, io);
  if (!existsSync(dbPath)) throw new MissingRunError(`no run ${runId} in ${dbPath}`);
  let result: QueryRunResult;
  try {
    result = await queryRun({ runId, sql: positionals[1]!, maxRows, timeoutMs }, { dbPath });
  } catch (err) {
    if (!(err instanceof LabError)) throw err;
    if (err instanceof QueryTimeoutError) {
      throw new UsageError(
        `query: ran longer than ${timeoutMs.toLocaleString('en-US')} ms (--timeout) and was stopped; narrow it (WHERE on t_ns, variant, kind) or raise --timeout`,
      );
    }
    if (err.code === 'invalid-argument') throw new UsageError(`query: ${err.message}`);
    if (err.code === 'not-found') throw new MissingRunError(`${err.message} in ${dbPath}`);
    throw new EnvironmentLine(err.message);
  }
  if (values.json === true) io.out(JSON.stringify({ columns: result.columns, rows: result.rows, truncated: result.truncated }));
  else if (values.csv === true) io.out(formatQueryCsv(result));
  else io.out(formatQueryTable(result));
  if (result.truncated) io.err(`pcilab: query: only the first ${maxRows.toLocaleString('en-US')} rows (--max-rows); there are more`);
  return EXIT_OK;
}

/** A failure of the environment already phrased as one line (no "internal error"). */
function parseCount(option: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new UsageError(`${option}: expected an integer from 1 to ${max.toLocaleString('en-US')}, got "${raw}"`);
  }
  return n;
}

function commandPresets(args: string[], io: CliIo): number {
  const { values } = parseCommand('presets', { args, options: { json: { type: 'boolean' } } });
  // The app's preset summaries; the CLI's list leaves out the variants.
  const list = PRESETS.map(presetSummary).map(({ variants: _variants, ...p }) => p);
  io.out(values.json === true ? JSON.stringify(list) : formatPresetsText(list));
  return EXIT_OK;
}

function commandSchema(args: string[], io: CliIo): number {
  parseCommand('schema', { args, options: {} });
  io.out(JSON.stringify(scenarioJsonSchema(), null, 2));
  return EXIT_OK;
}

function commandCompletion(args: string[], io: CliIo): number {
  const { positionals } = parseCommand('completion', { args, allowPositionals: true, options: {} });
  if (positionals.length !== 1 || positionals[0] !== 'bash')
    throw new UsageError('completion: only bash is supported (pcilab completion bash)');
  io.out(
    bashCompletion(
      Object.keys(COMMANDS),
      PRESETS.map((p) => p.id),
    ),
  );
  return EXIT_OK;
}

/**
 * Runs one command; the exit code (a promise for `query`, which waits for its query process).
 * `--help` / `-h` anywhere before `--` prints the command's help.
 */
export function main(argv: readonly string[], io: CliIo): number | Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command !== undefined && command in COMMANDS && command !== 'experiment' && wantsHelp(rest)) {
      io.out(commandHelp(command));
      return EXIT_OK;
    }
    switch (command) {
      case 'run':
        return commandRun(rest, io);
      case 'runs':
        return commandRuns(rest, io);
      case 'compare':
        return commandCompare(rest, io);
      case 'export':
        return commandExport(rest, io);
      case 'export-comparison':
        return commandExportComparison(rest, io);
      case 'import-comparison':
        return commandImportComparison(rest, io);
      case 'delete':
        return commandDelete(rest, io);
      case 'query':
        return commandQuery(rest, io).catch((err: unknown) => failure(err, io));
      case 'presets':
        return commandPresets(rest, io);
      case 'bisect': {
        const { json, asJson } = commandBisect(rest, {
          out: io.out,
          err: io.err,
          progress: (asJsonOut) => io.isTty && !asJsonOut,
          request: runRequestOf,
          parseSeed,
          withDatabase: (db, use) => withDatabase(dbPathOf(db, io), 'write', use),
        });
        io.out(asJson ? JSON.stringify(json) : formatBisectText(json));
        return EXIT_OK;
      }
      case 'import':
        return commandImport(rest, {
          out: io.out,
          err: io.err,
          dbPath: (db) => dbPathOf(db, io),
          withDatabase: (path, use) => withDatabase(path, 'write', use),
        });
      case 'experiment':
        return commandExperiment(rest, {
          out: io.out,
          err: io.err,
          env: io.env,
          dbPath: (db) => dbPathOf(db, io),
          withDatabase,
          request: runRequestOf,
          parseSeed,
          labVersion: labVersion(),
          nowMs: () => Date.now(),
        }).catch((err: unknown) => failure(err, io));
      case 'import-trace':
        return commandImportTrace(rest, { out: io.out, err: io.err, dbPath: (db) => dbPathOf(db, io) });
      case 'schema':
        return commandSchema(rest, io);
      case 'explain':
        return commandExplain(rest, io);
      case 'completion':
        return commandCompletion(rest, io);
      case '--version':
      case '-V':
        io.out(`pcilab ${labVersion()}`);
        return EXIT_OK;
      case 'help':
        if (rest.length > 0) {
          if (!(rest[0]! in COMMANDS)) throw new UsageError(`help: unknown command "${rest[0]}" (pcilab help lists them)`);
          io.out(commandHelp(rest[0]!));
          return EXIT_OK;
        }
        io.out(USAGE);
        return EXIT_OK;
      case undefined:
        // No command is a usage error: the usage goes to stderr (stdout stays for output), exit 2.
        io.err(USAGE);
        return EXIT_INVALID;
      case '--help':
      case '-h':
        io.out(USAGE);
        return EXIT_OK;
      default:
        throw new UsageError(
          command.startsWith('-')
            ? `unknown option ${command} (pcilab --help lists the commands)`
            : `unknown command "${command}" (pcilab help lists them)`,
        );
    }
  } catch (err) {
    return failure(err, io);
  }
}

function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** The exit code and the one line (or lines) on stderr for whatever a command threw. */
function failure(err: unknown, io: CliIo): number {
  if (err instanceof BisectInputError) {
    for (const p of err.problems) io.err(p);
    return EXIT_INVALID;
  }
  if (err instanceof BisectStopped) {
    io.err(`pcilab: bisect stopped: ${err.message}`);
    return EXIT_INTERNAL;
  }
  if (err instanceof InputError) {
    io.err(err.message);
    return EXIT_INVALID;
  }
  if (err instanceof MissingRunError || err instanceof EnvironmentLine) {
    io.err(`pcilab: ${err.message}`);
    return EXIT_INTERNAL;
  }
  if (err instanceof UsageError) {
    io.err(`pcilab: ${err.message}`);
    return EXIT_INVALID;
  }
  if (isParseArgsError(err)) {
    // A command that parses its own options (import-trace).
    io.err(`pcilab: ${parseArgsProblem(err)}`);
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
