// Spawns run workers and the run preparer for hosts that run TypeScript source through tsx (CLI,
// browser host, tests).
// Must not: be used by the desktop app (it spawns its bundled worker instead).

import { Worker } from 'node:worker_threads';
import type { RunWorkerSpawner } from './runQueue';

const bootstrap = new URL('./tsxWorkerBootstrap.mjs', import.meta.url);
const entry = new URL('./runWorker.ts', import.meta.url).href;
const preparerEntry = new URL('./runPreparerWorker.ts', import.meta.url).href;

export const spawnTsxRunWorker: RunWorkerSpawner = (data) => new Worker(bootstrap, { workerData: { ...data, entry } });

export const spawnTsxRunPreparer = (): Worker => new Worker(bootstrap, { workerData: { entry: preparerEntry } });
