// Worker-thread bootstrap for the fallback to the TypeScript source (workerSpawner.ts, when the
// built worker entries in out/cli are missing or older than a source file): registers tsx in the
// new thread, then loads the real worker module given in workerData.entry.
// Must not: be used when the built entries can be (the desktop app bundles its workers anyway).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
