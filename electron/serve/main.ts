// `npm run serve`: the lab in a browser. Starts the lab service and the loopback HTTP bridge over
// the built renderer, prints the link to open (with its one-time token, and a new one each time a
// link is used), and shuts down cleanly on Ctrl-C. A broken environment (database, port) is one
// line and exit 1, the stack only with PCILAB_DEBUG.
// Must not: listen on anything but 127.0.0.1.

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { LabService } from '../service/labService';
import { defaultDatabasePath } from '../service/dataDir';
import { describeWorkerSource, spawnBundleImporter, spawnRunPreparer, spawnRunWorker } from '../service/workerSpawner';
import { runConcurrency, WORKERS_ENV } from '../service/runConcurrency';
import { createLabHttpServer, LOOPBACK_HOST } from './httpBridge';
import { DownloadTokens } from './downloadTokens';
import { AccessGate } from './accessGate';

export const DEFAULT_PORT = 5199;

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PCILAB_PORT must be an integer port number 0..65535, got "${raw}"`);
  }
  return port;
}

function main(): void {
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  const staticDir = fileURLToPath(new URL('../../out/renderer/', import.meta.url));
  if (!existsSync(`${staticDir}index.html`)) {
    console.error(`The renderer is not built (${staticDir}index.html is missing): run \`npm run serve\`, which builds it first.`);
    process.exit(1);
  }
  const version = (JSON.parse(readFileSync(`${repoRoot}package.json`, 'utf8')) as { version: string }).version;
  const port = parsePort(process.env['PCILAB_PORT']);
  const dbPath = defaultDatabasePath({ env: process.env, platform: process.platform, home: homedir() });
  const tokens = new DownloadTokens();
  const pool = runConcurrency(process.env);
  if (pool.problem !== null) console.error(`pcilab serve: ${pool.problem}`);
  const service = new LabService({
    dbPath,
    spawnWorker: spawnRunWorker,
    spawnPreparer: spawnRunPreparer,
    spawnImporter: spawnBundleImporter,
    warmWorkers: true,
    concurrency: pool.workers,
    version,
    exportHandler: tokens.handler,
  });
  let actualPort = port;
  const origin = (): string => `http://${LOOPBACK_HOST}:${actualPort}`;
  const firstToken = process.env['PCILAB_TOKEN'];
  const gate = new AccessGate(() => actualPort, {
    ...(firstToken === undefined || firstToken === '' ? {} : { firstToken }),
    onNewToken: () => console.log(`link used; a new one for another browser: ${gate.link(origin())}`),
  });
  const server = createLabHttpServer({ service, staticDir, gate, downloads: { tokens, writer: service } });
  server.on('error', (err) => fail(err));
  server.listen(port, LOOPBACK_HOST, () => {
    const address = server.address();
    actualPort = typeof address === 'object' && address !== null ? address.port : port;
    console.log(`PCI Passthrough Lab (browser mode): ${gate.link(origin())}`);
    console.log('  (the link works once; opening it gives this browser access and prints a new link)');
    console.log(`database: ${dbPath}   (port from PCILAB_PORT, default ${DEFAULT_PORT}; database from PCILAB_DB)`);
    console.log(`${describeWorkerSource()}; up to ${pool.workers} runs at once (${WORKERS_ENV})`);
  });
  const shutdown = (): void => {
    server.close();
    server.closeAllConnections();
    service.close();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

/** A broken environment at start (database, port in use): one line, exit 1. */
function fail(err: unknown): never {
  console.error(`pcilab serve: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  const debug = process.env['PCILAB_DEBUG'];
  if (debug !== undefined && debug !== '' && err instanceof Error) console.error(err.stack);
  process.exit(1);
}

try {
  main();
} catch (err) {
  fail(err);
}
