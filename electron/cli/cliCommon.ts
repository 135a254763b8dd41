// What every `pcilab` command shares (electron/cli/main.ts dispatches): the I/O it writes to, the exit
// codes, the error kinds that pick an exit code and a line on stderr, option parsing with one-line
// problems naming the option, and opening the lab database, a scenario file or an --out file.
// Must not: print (commands print through CliIo); exit the process.

import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describeDatabaseError, isEnvironmentError, LabDatabaseError, openLabDatabase, type LabDatabase } from '../../db/database';
import { PRESETS } from '../../core/scenario/presets';
import { defaultDatabasePath } from '../service/dataDir';
import type { StartRunRequest } from '../../core/contract/labApi';
import type { ExportChunk } from '../service/runExport';
import { readTextAtMostSync, type BoundedRead } from '../service/boundedRead';
import { errorMessage } from '../service/labError';
import { SCENARIO_FILE_MAX_BYTES } from '../../core/contract/desktopShell';

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

/** The lab's version, from package.json (two folders up from this file, in the source and in out/cli). */
export function labVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Bad usage (an unknown option, a missing argument): `pcilab: message`, exit 2. */
export class UsageError extends Error {}
/** Bad input that is not about usage (a scenario path that is not a readable file): its `path: message` line alone. */
export class InputError extends Error {}

/** Node's parseArgs for one command, its errors turned into one line naming the option. */
export function parseCommand<T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
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
export function parseArgsProblem(err: unknown): string {
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

export function isParseArgsError(err: unknown): boolean {
  return err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS');
}

export function dbPathOf(db: string | undefined, io: CliIo): string {
  return db ?? defaultDatabasePath({ env: io.env, platform: process.platform, home: homedir() });
}

/**
 * Runs `use` on the lab database at `path`, turning SQLite and file system errors into one
 * LabDatabaseError line naming the file. Read-only commands open it read-only (they work on
 * read-only media and never write); a missing database reads as an empty lab.
 */
export function withDatabase<T>(path: string, mode: 'read' | 'write', use: (db: LabDatabase) => T): T {
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

export function parseSeed(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed: expected a non-negative integer, got "${raw}"`);
  return seed;
}

export function runRequestOf(target: string, overrides: string[], seed: number | undefined): StartRunRequest {
  const base = { overrides, ...(seed === undefined ? {} : { seed }) };
  if (existsSync(target)) return { ...base, scenarioText: readScenarioText(target) };
  if (PRESETS.some((p) => p.id === target)) return { ...base, preset: target };
  throw new UsageError(`"${target}" is neither a scenario file nor a preset (pcilab presets lists them)`);
}

/** A scenario file's text, read as the desktop import reads it: regular files of at most 8 MiB. */
export function readScenarioText(path: string): string {
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

/** A run (or another stored thing) the command names is not in the lab: exit 1. */
export class MissingRunError extends Error {}

export function parseRunId(raw: string): number {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id <= 0) throw new UsageError(`"${raw}" is not a run id (pcilab runs lists them)`);
  return id;
}

/** Opens --out FILE for writing, or stdout for "-"; a path that cannot be written is a usage error naming why. */
export function openOut(out: string, io: CliIo): { write: (chunk: ExportChunk) => number; close: () => void } {
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
export function fileProblem(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT') return 'its directory does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  return errorMessage(err).split('\n')[0]!;
}

/** A problem of the environment (a run still active elsewhere...) reported as its one line: exit 1. */
export class EnvironmentLine extends Error {}
