// Where the lab service imports run bundles (LabApi.importRunBundle, a sweep's collect): in a
// worker thread with its own connection to the lab database (runBundleImportWorker.ts) for hosts
// with a server or a window, so importing millions of events (seconds) never stalls other calls;
// inline on the service's connection for the tests and hosts without one. One bundle at a time:
// jobs queue in order. A worker that dies fails its job and is spawned again for the next one
// (serialWorker.ts).
// Must not: decide anything about a bundle (runBundleImport.ts does) or read the bundle itself.

import type { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import type { LabDatabase } from '../../db/database';
import { importRunBundle, type BundleImport } from './runBundleImport';
import { BundleError } from './runBundleFormat';
import type { BundleImportJob, BundleImportReply, BundleImportWorkerData } from './runBundleImportProtocol';
import { SerialWorker } from './serialWorker';

export type { BundleImportWorkerData } from './runBundleImportProtocol';

/** Imports bundles; a refused bundle rejects with its BundleError, anything else (the database) with an Error. */
export interface BundleImporter {
  /** A bundle file on this machine (a sweep's bundle), read where it is imported. */
  importFile(path: string): Promise<BundleImport>;
  /** A bundle's bytes as a client sent them (base64), `source` its file name for messages. */
  importBase64(dataBase64: string, source: string): Promise<BundleImport>;
  dispose(): void;
}

/** Imports on the calling thread, through `db`. */
export function inlineBundleImporter(db: LabDatabase): BundleImporter {
  const run = (fn: () => BundleImport): Promise<BundleImport> => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  };
  return {
    importFile: (path) => run(() => importRunBundle(db, readFileSync(path), path)),
    importBase64: (dataBase64, source) => run(() => importRunBundle(db, Buffer.from(dataBase64, 'base64'), source)),
    dispose: () => undefined,
  };
}

/** A database error from the worker, with its SQLite code kept (callers tell SQLITE_BUSY from others). */
class ImportWorkerError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
    this.name = 'ImportWorkerError';
  }
}

/** Imports in a worker thread spawned on first use (and again after it died), one job at a time. */
export class WorkerBundleImporter implements BundleImporter {
  private readonly worker: SerialWorker<BundleImportJob, BundleImportReply, BundleImport>;

  constructor(spawn: (data: BundleImportWorkerData) => Worker, data: BundleImportWorkerData) {
    this.worker = new SerialWorker<BundleImportJob, BundleImportReply, BundleImport>({
      spawn: () => spawn(data),
      name: 'the bundle import worker',
      settle: (reply) => {
        if (reply.ok) return { value: reply.result };
        if (reply.problem !== null) return { error: new BundleError(reply.problem, reply.message) };
        return { error: new ImportWorkerError(reply.message, reply.code) };
      },
      // Held while it works (an import is awaited), let go while idle (it never keeps a process up).
      holdProcessWhileBusy: true,
    });
  }

  importFile(path: string): Promise<BundleImport> {
    return this.worker.run((id) => ({ id, kind: 'file', path }));
  }

  importBase64(dataBase64: string, source: string): Promise<BundleImport> {
    return this.worker.run((id) => ({ id, kind: 'base64', dataBase64, source }));
  }

  dispose(): void {
    this.worker.dispose();
  }
}
