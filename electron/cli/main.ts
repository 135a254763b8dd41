// `pcilab`: the lab's command line (docs/model.md#command-line; `pcilab help <command>` explains each
// command). Exit codes: 0 the command did its job (for `run`: the run completed, also when the
// simulated system failed), 2 invalid input (scenario problems, usage, a bad query: one line each on
// stderr), 1 a missing run, a broken environment or an internal error.
// Must not: print anything on stdout but the command's output (progress goes to stderr).

import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describeDatabaseError, isEnvironmentError, LabDatabaseError, openLabDatabase, type LabDatabase } from '../../db/database';
import { RunStore } from '../../db/runStore';
import { asOwner } from '../../db/labOwners';
import { reclaimAll } from '../../db/storage';
import { PRESETS } from '../../core/scenario/presets';

import { scenarioJsonSchema } from '../../core/scenario/jsonSchema';
import { defaultDatabasePath } from '../service/dataDir';
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
import type { StartRunRequest } from '../../core/contract/labApi';
import type { RunDetail } from '../../core/contract/runResult';
import { compareRunDetails } from '../service/runComparison';
import { EXPORT_FORMATS, exportChunks, exportFileName, isExportFormat, type ExportChunk } from '../service/runExport';
import { RunStillActiveError } from '../../db/runRecord';
import { commandImport } from './importBundle';
import { presetSummary } from '../service/labCatalog';
import { readTextAtMostSync, type BoundedRead } from '../service/boundedRead';
import { errorMessage, LabError } from '../service/labError';
import { queryRun, QueryTimeoutError } from '../service/runQuery';
import {
  QUERY_DEFAULT_MAX_ROWS,
  QUERY_DEFAULT_TIMEOUT_MS,
  QUERY_MAX_ROWS,
  QUERY_MAX_TIMEOUT_MS,
  type QueryRunResult,
} from '../../core/contract/query';
import { SCENARIO_FILE_MAX_BYTES } from '../../core/contract/desktopShell';
import { commandImportTrace } from './importTrace';
import { BISECT_USAGE, BisectInputError, BisectStopped, commandBisect, formatBisectText } from './bisect';
import { commandExplain } from './explain';
import { ComparisonStore } from '../../db/comparisonStore';
import { QueryStore } from '../../db/queryStore';
import { ComparisonService } from '../service/comparisonService';
import { COMPARISON_FILE_MAX_CHARS, comparisonExportFile, importComparison, parseComparisonExport } from '../service/comparisonExport';
import { commandExperiment, EXPERIMENT_HELP } from './experiment';

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether stderr is a terminal (progress is shown there by default). */
  readonly isTty: boolean;
  /** One status line rewritten in place on the terminal (null clears it); without it progress is printed as lines. */
  readonly status?: ((line: string | null) => void) | undefined;
  /** Raw bytes to stdout (`--out -`); default: file descriptor 1. */
  readonly writeStdout?: (chunk: string | Uint8Array) => void;
}

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_INVALID = 2;

const DB_HELP = '  --db PATH        the lab database (default: $PCILAB_DB, else the data directory)';

/** Each command's synopsis, one-line summary (the overview) and help (`pcilab help <command>`). */
const COMMANDS: Readonly<Record<string, { readonly synopsis: string; readonly summary: string; readonly help: string }>> = {
  run: {
    synopsis: 'run <file | preset> [--seed N] [--set a.b.c=value ...] [--json] [--progress] [--db PATH]',
    summary: 'run a scenario file (JSON or YAML) or a preset and store the run',
    help: `Simulates a scenario file (JSON or YAML, at most 8 MiB) or a shipped preset (pcilab presets)
and stores the run; prints its metrics, ops and claims (with why a claim does not hold, its
expectation and its source).

  --seed N         the random seed (default: the scenario's)
  --set a.b.c=V    override one scenario field; repeat for more
  --json           print one JSON object: {"run", "metrics", "memlock", "ops", "claims"}
  --progress       show progress on stderr even when it is not a terminal (on a terminal it is shown anyway)
${DB_HELP}

Exit status: 0 the run completed (also when the simulated system failed), 2 invalid input, 1 the
environment is broken (one line naming the file) or an internal error.`,
  },
  runs: {
    synopsis: 'runs [--json] [--db PATH]',
    summary: 'list stored runs',
    help: `Lists the stored runs, newest first (also shown in the app). Opens the database read-only.

  --json           print the list as JSON
${DB_HELP}`,
  },
  compare: {
    synopsis: 'compare <run> <run>... [--json] [--db PATH]',
    summary: 'metrics side by side (* = differs by more than 1 %) and configuration differences',
    help: `Compares stored runs: their metrics side by side (* marks a metric that differs by more than
1 %), then the configuration fields that differ. Opens the database read-only.

  --json           print the comparison as JSON
${DB_HELP}`,
  },
  export: {
    synopsis: 'export <run> --format perfetto|csv|json|bundle [--out FILE|-] [--db PATH]',
    summary: 'write a stored run as a Perfetto trace (Chrome JSON), CSV, JSON or a portable run bundle',
    help: `Writes a stored run as a Perfetto trace (Chrome JSON; ui.perfetto.dev opens it), its timeline as
CSV, the whole run as JSON, or a portable run bundle (gzip'd JSON lines with everything the run is,
versioned and checksummed; pcilab import adds it to another lab, docs/bundles.md describes it).
Opens the database read-only.

  --format F       perfetto, csv, json or bundle
  --out FILE       where to write; - writes to stdout (a bundle: default run-<id>-<name>.pcilab-run.jsonl.gz)
${DB_HELP}`,
  },
  'export-comparison': {
    synopsis: 'export-comparison <saved comparison> [--out FILE|-] [--db PATH]',
    summary: "write a saved comparison (its runs' references, its table, the saved queries) as a file",
    help: `Writes a saved comparison (saved on the app's Compare screen) as versioned JSON: a reference to
each of its runs (id, name, seed, creation time, timeline and content hash), the comparison table
(metrics side by side, configuration differences), what the view showed, and the lab's saved
queries. import-comparison reads it into another lab that holds the same runs (import their bundles
first). Opens the database read-only. Without an id it lists the saved comparisons.

  --out FILE       where to write; - writes to stdout (default comparison-<id>-<name>.pcilab-comparison.json)
${DB_HELP}`,
  },
  'import-comparison': {
    synopsis: 'import-comparison <file> [--json] [--db PATH]',
    summary: 'save an exported comparison over the same runs in this lab, with its saved queries',
    help: `Reads a comparison file (pcilab export-comparison, or Export on the app's Compare screen), finds
its runs in this lab by content hash (runs imported from their bundles are found), saves the
comparison over them and adds the saved queries this lab does not have (same name and SQL).
Runs not found are left out and named; fewer than two found is refused.

  --json           print {"comparisonId", "name", "runIds", "missingRuns", "queriesAdded", "queriesKnown"}
${DB_HELP}

Exit status: 0 saved, 2 the file is not a comparison file (one line per bad field), 1 fewer than two
of its runs are in this lab, or the environment is broken.`,
  },
  import: {
    synopsis: 'import <bundle>... [--json] [--db PATH]',
    summary: 'add portable run bundles (pcilab export --format bundle) to the lab as new runs',
    help: `Adds each run bundle to the lab as a new run (a new id; nothing stored is changed), in one
transaction per bundle. A bundle whose content hash is that of a run already in the lab is a
duplicate: reported with that run's id and skipped. A bundle of a newer format version, a damaged
one (bad checksum, truncated) or a file that is not a bundle is refused with one line naming it,
and nothing of it is stored; the other bundles are still imported.

  --json           print one JSON object per bundle: {"file", "status", "runId", "contentHash" | "error"}
${DB_HELP}

Exit status: 0 every bundle was imported or already there, 2 some bundle was refused, 1 the
environment is broken (one line naming the file).`,
  },
  query: {
    synopsis: 'query <run> "SELECT ..." [--json | --csv] [--max-rows N] [--timeout MS] [--db PATH]',
    summary: 'ask a stored run a question in read-only SQL (views: events, counters, metrics, claims, ...)',
    help: `Runs one read-only SQL statement (SELECT, WITH ... SELECT, VALUES) over views of a stored run:
  events(seq, t_ns, dur_ns, end_ns, kind, failure, variant, lane, lane_group, args, errno, cause)
      args: the event's arguments as a JSON object (args ->> 'iova'); errno: its symbolic errno
  counters(variant, name, unit, t_ns, value)     one row per sample
  metrics(variant, name, value, unit)
  claims(idx, id, holds, measured, unit, expectation, text, source, why_not)
  ops(idx, op, ok, errno, ret)   lanes(id, variant, name, lane_group, events)   kinds(id, name, failure, args)
and the function counter_at(name, t_ns [, variant]): a counter's last sample at or before t_ns.

  --json           print {"columns", "rows", "truncated"} (default: a table)
  --csv            print CSV with a header line
  --max-rows N     at most N rows (default 1000, at most 100000); more are cut, with a note on stderr
  --timeout MS     stop the query after MS milliseconds (default 10000)
${DB_HELP}

Example (preset s390-rpcit-exhaustion: which maps failed, and the VFIO entry count then):
  pcilab query 1 "SELECT variant, t_ns, args ->> 'iova' AS iova, errno,
    counter_at('vfio.entries', t_ns, variant) AS vfio_entries
    FROM events WHERE kind = 'dma.map.failed' ORDER BY t_ns LIMIT 20"

Exit status: 0 answered, 2 the query is not a single SELECT, SQLite rejects it or it runs past
--timeout, 1 no such run or a broken database.`,
  },
  delete: {
    synopsis: 'delete <run>... [--db PATH]',
    summary: 'delete stored runs (their results and timelines)',
    help: `Deletes stored runs with their results and timelines, as the app's Delete does. A run still
queued or running (in the app, the browser mode or another pcilab) is refused: cancel it there
first. Run ids are never reused.

${DB_HELP}

Exit status: 0 every run was deleted, 1 some run is missing or still running (the others are deleted).`,
  },
  'import-trace': {
    synopsis: 'import-trace <trace> [--qemu-log FILE] [--scenario FILE | --preset ID] [--set ...] [--json] [--db PATH]',
    summary: 'store a real trace (ftrace / trace-cmd text, QEMU -trace log) as a run, replayed on a host',
    help: `Reads a real guest trace (the tracefs trace file or trace-cmd report text with iommu:map /
iommu:unmap, dma:*, intel_iommu:qi_submit events; gzip'd or not) and QEMU -trace logs into a
stored run; its DMA maps and unmaps replay on a host (default: s390 KVM, QEMU 7.1).

  --qemu-log FILE  a QEMU -trace log to add (repeat for more)
  --scenario FILE  the host side to replay on, from a scenario file
  --preset ID      ... or from a preset
  --set a.b.c=V    override one scenario field; repeat for more
  --json           print the run and the trace's figures as JSON
${DB_HELP}`,
  },
  bisect: {
    synopsis:
      'bisect <file | preset> --path FIELD --versions V1,V2,... --outcome METRIC[OP NUMBER] [--variant NAME] [--all] [--set ...] [--seed N] [--name TEXT] [--json] [--db PATH]',
    summary: 'name the first release of a version field whose outcome changes',
    help: `${BISECT_USAGE.trim()}

Example: pcilab bisect s390-rpcit-exhaustion --path host.qemu.version --versions 7.0,7.1,7.2,8.0 \\
           --outcome 's390.shadow.retryPasses>0' --variant retry
prints "first change: 7.2 (0 -> 1)" and the steps with their run ids.
${DB_HELP}

Exit status: 0 a first change was named (or none: the outcome never changed), 2 invalid input (one
line per problem), 1 a step's run failed or lacked the metric (the bisect stopped).`,
  },
  explain: {
    synopsis: 'explain "<log line>" [--json]',
    summary: 'the mechanism, limit, knobs and reproducing preset of a kernel or QEMU message',
    help: `Matches a kernel or QEMU message pasted from a bug report (core/run/logExplain.ts: the type1
RLIMIT_MEMLOCK warning, QEMU's vfio_container_dma_map error, "memory listener initialization
failed", virtio-mem's DMA-mapping warning, VFIO_MAP_DMA errors, intel-iommu's address-width
message) to the mechanism behind it, the limit it hit, the knobs that move it and the field-report
preset that reproduces it, with a pcilab run line carrying the numbers the message holds.

  --json           print {"line", "matches": [...]}

Exit status: 0 the line matched, 2 nothing matched.`,
  },
  experiment: {
    synopsis: 'experiment create|list|submit|collect|compare|task ... (pcilab experiment --help)',
    summary: 'experiments: create, sweep on a Slurm cluster (--slurm) or local workers (--local N), collect, compare',
    help: EXPERIMENT_HELP,
  },
  presets: {
    synopsis: 'presets [--json]',
    summary: 'list the shipped presets',
    help: `Lists the shipped presets: id, title, the thread it reproduces and its number of claims.

  --json           print the list as JSON`,
  },
  schema: {
    synopsis: 'schema',
    summary: 'print the scenario JSON Schema',
    help: 'Prints the JSON Schema of scenario files: every field with its default and what it models.',
  },
  completion: {
    synopsis: 'completion bash',
    summary: 'print a bash completion script (source <(pcilab completion bash))',
    help: `Prints a bash completion script for pcilab: commands, options, presets and files.
Load it with: source <(pcilab completion bash)`,
  },
};

const USAGE = [
  'usage: pcilab <command> [options]',
  '',
  'commands:',
  ...Object.values(COMMANDS).flatMap((c) => [`  ${c.synopsis}`, `      ${c.summary}`]),
  '',
  '`pcilab help <command>` or `pcilab <command> --help` explains a command; `pcilab --version` prints the version.',
  "database: --db PATH, else $PCILAB_DB, else the user's data directory",
].join('\n');

function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  return `usage: pcilab ${c.synopsis}\n\n${c.help}`;
}

/** The lab's version, from package.json (two folders up from this file, in the source and in out/cli). */
export function labVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

class UsageError extends Error {}
/** Bad input that is not about usage (a scenario path that is not a readable file): its `path: message` line alone. */
class InputError extends Error {}

/** Node's parseArgs for one command, its errors turned into one line naming the option. */
function parseCommand<T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    if (!isParseArgsError(err)) throw err;
    const hint =
      (err as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? ` (pcilab ${command} --help lists the options)` : '';
    throw new UsageError(`${command}: ${parseArgsProblem(err)}${hint}`);
  }
}

/** One line for a parseArgs error: which option or argument, and what is wrong with it. */
function parseArgsProblem(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown }).code;
  const option = /'(-[^' ]*)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option ?? message}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return /argument missing/.test(message) ? `${option ?? 'an option'} needs a value` : `${option ?? 'an option'} takes no value`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''}`.trim();
  return message.split('\n')[0]!;
}

function isParseArgsError(err: unknown): boolean {
  return err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS');
}

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
class MissingRunError extends Error {}

function parseRunId(raw: string): number {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id <= 0) throw new UsageError(`"${raw}" is not a run id (pcilab runs lists them)`);
  return id;
}

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

/** Opens --out FILE for writing, or stdout for "-"; a path that cannot be written is a usage error naming why. */
function openOut(out: string, io: CliIo): { write: (chunk: ExportChunk) => number; close: () => void } {
  if (out === '-') {
    const write = io.writeStdout ?? ((chunk: ExportChunk) => (typeof chunk === 'string' ? writeSync(1, chunk) : writeSync(1, chunk)));
    return { write: (chunk) => (write(chunk), Buffer.byteLength(chunk)), close: () => undefined };
  }
  if (existsSync(out) && statSync(out).isDirectory()) throw new UsageError(`--out: ${out} is a directory`);
  let fd: number;
  try {
    fd = openSync(out, 'w');
  } catch (err) {
    throw new UsageError(`--out: ${out}: ${fileProblem(err)}`);
  }
  return { write: (chunk) => (typeof chunk === 'string' ? writeSync(fd, chunk) : writeSync(fd, chunk)), close: () => closeSync(fd) };
}

/** What a file system error means, in a few words ("no such directory", "permission denied"). */
function fileProblem(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT') return 'its directory does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  return errorMessage(err).split('\n')[0]!;
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

/** A LabError of the comparison files as the CLI reports it: bad input exit 2, anything missing exit 1. */
function comparisonFailure(err: unknown): unknown {
  if (!(err instanceof LabError)) return err;
  return err.code === 'invalid-argument' ? new InputError(err.message) : new MissingRunError(err.message);
}

function commandExportComparison(args: string[], io: CliIo): number {
  const { values, positionals } = parseCommand('export-comparison', {
    args,
    allowPositionals: true,
    options: { db: { type: 'string' }, out: { type: 'string' } },
  });
  if (positionals.length > 1) throw new UsageError('export-comparison: takes one saved comparison id');
  const dbPath = dbPathOf(values.db, io);
  return withDatabase(dbPath, 'read', (db) => {
    const runs = new RunStore(db);
    const comparisons = new ComparisonService(runs, new ComparisonStore(db), Date.now);
    if (positionals.length === 0) {
      const list = comparisons.list();
      if (list.length === 0) io.err(`no saved comparisons in ${dbPath} (save one on the app's Compare screen)`);
      for (const c of list) io.out(`${c.id}\t${c.name}\truns ${c.runIds.join(', ')}\tsaved ${c.createdAt}`);
      return EXIT_OK;
    }
    const id = Number(positionals[0]);
    if (!Number.isSafeInteger(id) || id <= 0)
      throw new UsageError(`"${positionals[0]}" is not a saved comparison id (pcilab export-comparison lists them)`);
    let file;
    try {
      file = comparisonExportFile({ db, runs, comparisons, queries: new QueryStore(db), labVersion: labVersion(), nowMs: Date.now() }, id);
    } catch (err) {
      throw comparisonFailure(err);
    }
    const out = values.out === undefined || values.out === '' ? file.fileName : values.out;
    const sink = openOut(out, io);
    let bytes = 0;
    try {
      bytes = sink.write(file.text);
    } finally {
      sink.close();
    }
    io.err(`wrote comparison ${id} to ${out === '-' ? 'stdout' : out} (${bytes.toLocaleString('en-US')} bytes)`);
    return EXIT_OK;
  });
}

function commandImportComparison(args: string[], io: CliIo): number {
  const { values, positionals } = parseCommand('import-comparison', {
    args,
    allowPositionals: true,
    options: { db: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw new UsageError('import-comparison: takes exactly one file');
  const file = positionals[0]!;
  let read: BoundedRead;
  try {
    read = readTextAtMostSync(file, COMPARISON_FILE_MAX_CHARS * 4);
  } catch (err) {
    throw new InputError(`${file}: ${(err as { code?: unknown }).code === 'ENOENT' ? 'no such file' : fileProblem(err)}`);
  }
  if (read.kind === 'not-a-file') throw new InputError(`${file}: is ${read.what}, not a comparison file`);
  if (read.kind === 'too-big') throw new InputError(`${file}: larger than ${COMPARISON_FILE_MAX_CHARS.toLocaleString('en-US')} characters`);
  let doc;
  try {
    doc = parseComparisonExport(read.text, file, COMPARISON_FILE_MAX_CHARS);
  } catch (err) {
    throw comparisonFailure(err);
  }
  return withDatabase(dbPathOf(values.db, io), 'write', (db) => {
    let result;
    try {
      result = importComparison({ db, comparisons: new ComparisonStore(db), queries: new QueryStore(db), nowMs: Date.now() }, doc, file);
    } catch (err) {
      throw comparisonFailure(err);
    }
    if (values.json === true) io.out(JSON.stringify(result));
    else {
      io.out(`saved comparison ${result.comparisonId} "${result.name}" over runs ${result.runIds.join(', ')}`);
      if (result.missingRuns.length > 0) io.out(`not in this lab (left out): ${result.missingRuns.join(', ')}`);
      io.out(`saved queries: ${result.queriesAdded} added, ${result.queriesKnown} already here`);
    }
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
class EnvironmentLine extends Error {}

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
