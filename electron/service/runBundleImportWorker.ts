// Worker-thread entry of bundle imports (runBundleImporter.ts): opens its own connection to the lab
// database (WAL: the service's thread keeps reading meanwhile) on the first job and imports one
// bundle per message with importRunBundle, in steps of short transactions, answering each job in turn.
// Must not: be imported by anything but a Worker constructor; import anything but what it is sent.

import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { openLabDatabase, type LabDatabase } from '../../db/database';
import { importRunBundle } from './runBundleImport';
import { BundleError } from './runBundleFormat';
import type { BundleImportJob, BundleImportReply, BundleImportWorkerData } from './runBundleImportProtocol';

const data = workerData as BundleImportWorkerData;
let db: LabDatabase | null = null;

function connection(): LabDatabase {
  db ??= openLabDatabase(data.dbPath, data.nativeBinding === undefined ? {} : { nativeBinding: data.nativeBinding });
  return db;
}

function importJob(job: BundleImportJob): BundleImportReply {
  try {
    if (job.kind === 'file') {
      let bytes: Buffer;
      try {
        bytes = readFileSync(job.path);
      } catch (err) {
        throw new BundleError('not-a-bundle', `${job.path}: cannot be read (${err instanceof Error ? err.message : String(err)})`);
      }
      return { id: job.id, ok: true, result: importRunBundle(connection(), bytes, job.path) };
    }
    return { id: job.id, ok: true, result: importRunBundle(connection(), Buffer.from(job.dataBase64, 'base64'), job.source) };
  } catch (err) {
    if (err instanceof BundleError) return { id: job.id, ok: false, problem: err.problem, message: err.message };
    const code = (err as { code?: unknown }).code;
    return {
      id: job.id,
      ok: false,
      problem: null,
      message: err instanceof Error ? err.message : String(err),
      code: typeof code === 'string' ? code : null,
    };
  }
}

parentPort?.on('message', (job: BundleImportJob) => parentPort?.postMessage(importJob(job)));
