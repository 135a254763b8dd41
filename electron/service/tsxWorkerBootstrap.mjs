// Worker-thread bootstrap for hosts that run TypeScript through tsx (the CLI and the browser
// host): registers tsx in the new thread, then loads the real worker module given in workerData.
// The desktop app does not use this; electron-vite bundles the worker to JavaScript.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
