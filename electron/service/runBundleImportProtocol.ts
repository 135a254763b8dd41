// Messages between the lab service (main thread) and the bundle import worker, which imports run
// bundles through its own connection to the lab database (runBundleImportWorker.ts), so an import
// of millions of events never holds the service's thread.
// Must not: import runtime code; both sides import these types.

import type { BundleImport } from './runBundleImport';
import type { BundleProblem } from './runBundleFormat';

export interface BundleImportWorkerData {
  readonly dbPath: string;
  readonly nativeBinding?: string;
}

/** One bundle to import: a file the worker reads (a sweep's bundle), or the bytes a client sent (base64). */
export type BundleImportJob =
  | { readonly id: number; readonly kind: 'file'; readonly path: string }
  | { readonly id: number; readonly kind: 'base64'; readonly dataBase64: string; readonly source: string };

/** The import's outcome; a refused bundle comes back as its BundleError's problem and message. */
export type BundleImportReply =
  | { readonly id: number; readonly ok: true; readonly result: BundleImport }
  | { readonly id: number; readonly ok: false; readonly problem: BundleProblem; readonly message: string }
  | { readonly id: number; readonly ok: false; readonly problem: null; readonly message: string; readonly code: string | null };
