// `pcilab export-comparison` and `pcilab import-comparison`: a saved comparison as a versioned JSON
// file (electron/service/comparisonExport.ts) and back into a lab, as the Compare screen does.
// Must not: print anything on stdout but the command's output.

import { RunStore } from '../../db/runStore';
import { ComparisonStore } from '../../db/comparisonStore';
import { QueryStore } from '../../db/queryStore';
import { ComparisonService } from '../service/comparisonService';
import { COMPARISON_FILE_MAX_CHARS, comparisonExportFile, importComparison, parseComparisonExport } from '../service/comparisonExport';
import { readTextAtMostSync, type BoundedRead } from '../service/boundedRead';
import { LabError } from '../service/labError';
import {
  dbPathOf,
  EXIT_OK,
  fileProblem,
  InputError,
  labVersion,
  MissingRunError,
  openOut,
  parseCommand,
  UsageError,
  withDatabase,
  type CliIo,
} from './cliCommon';

/** A LabError of the comparison files as the CLI reports it: bad input exit 2, anything missing exit 1. */
function comparisonFailure(err: unknown): unknown {
  if (!(err instanceof LabError)) return err;
  return err.code === 'invalid-argument' ? new InputError(err.message) : new MissingRunError(err.message);
}

export function commandExportComparison(args: string[], io: CliIo): number {
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

export function commandImportComparison(args: string[], io: CliIo): number {
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
