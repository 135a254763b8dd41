// Spawns run workers and the run preparer for hosts that run under Node (the browser host, tests,
// the benchmarks). They start the worker entries built to JavaScript ahead of time
// (tooling/buildCli.mjs, npm install's `prepare`: out/cli/runWorker.mjs, runPreparerWorker.mjs,
// runBundleImportWorker.mjs), so
// a run simulates within a fraction of a second of Start. When a built entry is missing or older
// than a source file it was built from (out/cli/inputs.json), they fall back to the TypeScript
// source through tsx (tsxWorkerBootstrap.mjs; seconds of compiling before a run simulates) and say
// so once on stderr, with the reason and `npm run build:cli` to fix it.
// Must not: build anything itself, or be used by the desktop app (electron-vite bundles its workers).

import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RunWorkerSpawner } from './runQueue';
import type { BundleImportWorkerData } from './runBundleImportProtocol';

export type WorkerSourceKind = 'built' | 'tsx';

export interface WorkerSource {
  readonly kind: WorkerSourceKind;
  /** Why the built entries cannot be used (kind 'tsx'), or null. */
  readonly why: string | null;
}

const ENTRIES = ['runWorker', 'runPreparerWorker', 'runBundleImportWorker'] as const;
type Entry = (typeof ENTRIES)[number];

const here = import.meta.url;
/** Running from a bundle (out/cli/*.mjs) the built entries sit beside it; from the source, in out/cli. */
const builtDir = here.endsWith('.ts') ? new URL('../../out/cli/', here) : new URL('./', here);
const root = new URL('../../', builtDir);
const bootstrap = new URL('./tsxWorkerBootstrap.mjs', here);

function builtEntry(entry: Entry): URL {
  return new URL(`./${entry}.mjs`, builtDir);
}

function sourceEntry(entry: Entry): string {
  return new URL(`./${entry}.ts`, here).href;
}

/** Why the built worker entries under `dir` (and `rootDir` for their inputs) cannot be used, or null. */
export function builtWorkersStaleness(dir: URL = builtDir, rootDir: URL = root): string | null {
  let builtAt = Infinity;
  for (const entry of ENTRIES) {
    const file = new URL(`./${entry}.mjs`, dir);
    try {
      builtAt = Math.min(builtAt, statSync(file).mtimeMs);
    } catch {
      return `out/cli/${entry}.mjs is not built yet`;
    }
  }
  let inputs: unknown;
  try {
    inputs = (JSON.parse(readFileSync(new URL('./inputs.json', dir), 'utf8')) as { inputs?: unknown }).inputs;
  } catch {
    return 'out/cli/inputs.json is missing';
  }
  if (!Array.isArray(inputs)) return 'out/cli/inputs.json lists no inputs';
  for (const input of inputs) {
    if (typeof input !== 'string') continue;
    try {
      if (statSync(new URL(input, rootDir)).mtimeMs > builtAt) return `${input} changed since out/cli was built`;
    } catch {
      return `${input} is gone since out/cli was built`;
    }
  }
  return null;
}

let decided: WorkerSource | null = null;

/** Which entries this process starts its workers from (decided once, on first use). */
export function workerSource(): WorkerSource {
  if (decided !== null) return decided;
  const why = builtWorkersStaleness();
  decided = why === null ? { kind: 'built', why: null } : { kind: 'tsx', why };
  if (why !== null) {
    console.error(
      `pcilab: run workers start from the TypeScript source through tsx (seconds before a run simulates): ${why}; \`npm run build:cli\` builds them`,
    );
  }
  return decided;
}

/** One line for a host's start-up output: where its run workers come from. */
export function describeWorkerSource(source: WorkerSource = workerSource()): string {
  return source.kind === 'built'
    ? `run workers: built JavaScript (${fileURLToPath(builtDir)})`
    : `run workers: TypeScript source through tsx (slow to start: ${source.why})`;
}

function spawnEntry(entry: Entry, kind: WorkerSourceKind, workerData: Record<string, unknown>): Worker {
  return kind === 'built'
    ? new Worker(builtEntry(entry), { workerData })
    : new Worker(bootstrap, { workerData: { ...workerData, entry: sourceEntry(entry) } });
}

/** A run worker spawner from the given entries (the benchmarks compare both). */
export function runWorkerSpawner(kind: WorkerSourceKind): RunWorkerSpawner {
  return (data) => spawnEntry('runWorker', kind, data === null ? {} : { ...data });
}

/** A run preparer spawner from the given entries. */
export function runPreparerSpawner(kind: WorkerSourceKind): () => Worker {
  return () => spawnEntry('runPreparerWorker', kind, {});
}

/** A bundle import worker spawner from the given entries. */
export function bundleImporterSpawner(kind: WorkerSourceKind): (data: BundleImportWorkerData) => Worker {
  return (data) => spawnEntry('runBundleImportWorker', kind, { ...data });
}

/** Starts the bundle import worker (runBundleImporter.ts) from the built entry, or from the source when it cannot be used. */
export const spawnBundleImporter = (data: BundleImportWorkerData): Worker => bundleImporterSpawner(workerSource().kind)(data);

/** Starts a run worker from the built entry, or from the source when it cannot be used. */
export const spawnRunWorker: RunWorkerSpawner = (data) => runWorkerSpawner(workerSource().kind)(data);

/** Starts the run preparer from the built entry, or from the source when it cannot be used. */
export const spawnRunPreparer = (): Worker => runPreparerSpawner(workerSource().kind)();
