// Where the lab service imports run bundles (LabApi.importRunBundle, a sweep's collect): in a
// worker thread with its own connection to the lab database (runBundleImportWorker.ts) for hosts
// with a server or a window, so importing millions of events (seconds) never stalls other calls;
// inline on the service's connection for the tests and hosts without one. One bundle at a time:
// jobs queue in order. A worker that dies fails its job and is spawned again for the next one.
// Must not: decide anything about a bundle (runBundleImport.ts does) or read the bundle itself.

import type { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import type { LabDatabase } from '../../db/database';
import { importRunBundle, type BundleImport } from './runBundleImport';
import { BundleError } from './runBundleFormat';
import type { BundleImportJob, BundleImportReply, BundleImportWorkerData } from './runBundleImportProtocol';

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

type JobBody = { kind: 'file'; path: string } | { kind: 'base64'; dataBase64: string; source: string };

interface Pending {
  readonly job: BundleImportJob;
  readonly resolve: (r: BundleImport) => void;
  readonly reject: (err: Error) => void;
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
  private worker: Worker | null = null;
  private readonly queue: Pending[] = [];
  private current: Pending | null = null;
  private nextId = 1;
  private disposed = false;

  constructor(
    private readonly spawn: (data: BundleImportWorkerData) => Worker,
    private readonly data: BundleImportWorkerData,
  ) {}

  importFile(path: string): Promise<BundleImport> {
    return this.submit({ kind: 'file', path });
  }

  importBase64(dataBase64: string, source: string): Promise<BundleImport> {
    return this.submit({ kind: 'base64', dataBase64, source });
  }

  dispose(): void {
    this.disposed = true;
    for (const p of [...(this.current === null ? [] : [this.current]), ...this.queue.splice(0)]) p.reject(new Error('the lab is closing'));
    this.current = null;
    void this.worker?.terminate();
    this.worker = null;
  }

  private submit(body: JobBody): Promise<BundleImport> {
    if (this.disposed) return Promise.reject(new Error('the lab is closing'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, ...body }, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.current !== null || this.disposed) return;
    const next = this.queue.shift();
    if (next === undefined) return;
    this.current = next;
    const worker = this.ensureWorker();
    // Held while it works (an import is awaited), let go while idle (it never keeps a process up).
    worker.ref();
    worker.postMessage(next.job);
  }

  private ensureWorker(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = this.spawn(this.data);
    worker.unref();
    worker.on('message', (reply: BundleImportReply) => {
      const current = this.current;
      if (current === null || reply.id !== current.job.id) return;
      this.finish();
      if (reply.ok) current.resolve(reply.result);
      else if (reply.problem !== null) current.reject(new BundleError(reply.problem, reply.message));
      else current.reject(new ImportWorkerError(reply.message, reply.code));
    });
    const lost = (why: string): void => {
      if (this.worker !== worker) return;
      this.worker = null;
      const current = this.current;
      if (current === null) return;
      this.finish();
      current.reject(new Error(`the bundle import worker stopped: ${why}`));
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private finish(): void {
    this.current = null;
    this.worker?.unref();
    queueMicrotask(() => this.pump());
  }
}
