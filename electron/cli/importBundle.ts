// `pcilab import BUNDLE... [--json] [--db PATH]`: adds portable run bundles (pcilab export --format
// bundle; docs/bundles.md) to the lab, each as a new run in its own transaction. One line per
// bundle: imported as run N, already in the lab as run N (a duplicate by content hash: skipped), or
// refused with why (not a bundle, a newer format version, damaged or truncated, not readable). The
// other bundles are imported whatever one of them is. Exit 0 when every bundle is in the lab, 2 when
// some was refused; a broken database throws (main.ts prints its one line).
// Must not: import a bundle partly (runBundleImport.ts's transaction), or stop at the first refusal.

import { parseArgs } from 'node:util';
import type { LabDatabase } from '../../db/database';
import { readBytesAtMostSync } from '../service/boundedRead';
import { errorMessage } from '../service/labError';
import { importRunBundle, type BundleImport } from '../service/runBundleImport';
import { BundleError } from '../service/runBundleFormat';

/** The largest bundle file `pcilab import` reads (gzip'd; it unpacks to at most 2 GiB). */
export const BUNDLE_FILE_MAX_BYTES = 1024 * 1024 * 1024;

export interface ImportIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly dbPath: (db: string | undefined) => string;
  readonly withDatabase: <T>(path: string, use: (db: LabDatabase) => T) => T;
}

type Outcome =
  | { readonly file: string; readonly status: 'imported' | 'duplicate'; readonly runId: number; readonly contentHash: string }
  | { readonly file: string; readonly status: 'refused'; readonly error: string };

function readBundle(file: string): Buffer {
  let read;
  try {
    read = readBytesAtMostSync(file, BUNDLE_FILE_MAX_BYTES);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new BundleError('invalid', `${file}: cannot be read (${code === 'ENOENT' ? 'no such file' : errorMessage(err).split('\n')[0]!})`);
  }
  if (read.kind === 'not-a-file') throw new BundleError('not-a-bundle', `${file}: is ${read.what}, not a run bundle`);
  if (read.kind === 'too-big')
    throw new BundleError('invalid', `${file}: larger than ${BUNDLE_FILE_MAX_BYTES.toLocaleString('en-US')} bytes`);
  return read.bytes;
}

function importOne(db: LabDatabase, file: string): Outcome {
  let result: BundleImport;
  try {
    result = importRunBundle(db, readBundle(file), file);
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    return { file, status: 'refused', error: err.message };
  }
  return { file, status: result.kind, runId: result.runId, contentHash: result.contentHash };
}

function describe(o: Outcome): string {
  if (o.status === 'refused') return o.error;
  const hash = o.contentHash.slice(0, 12);
  return o.status === 'imported'
    ? `imported ${o.file} as run ${o.runId} (content ${hash})`
    : `${o.file}: already in the lab as run ${o.runId} (same content ${hash}); skipped`;
}

/** Runs the command; returns the exit code. Usage errors and a broken database throw (main.ts reports them). */
export function commandImport(args: string[], io: ImportIo): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { db: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (positionals.length === 0) {
    io.err('pcilab: import: takes at least one bundle file (pcilab export --format bundle writes them)');
    return 2;
  }
  const outcomes = io.withDatabase(io.dbPath(values.db), (db) => positionals.map((file) => importOne(db, file)));
  for (const o of outcomes) {
    if (values.json === true) io.out(JSON.stringify(o));
    else if (o.status === 'refused') io.err(`pcilab: ${describe(o)}`);
    else io.out(describe(o));
  }
  return outcomes.some((o) => o.status === 'refused') ? 2 : 0;
}
