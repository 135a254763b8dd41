// `npm run serve`: the lab in a browser. Starts the lab service and the loopback HTTP bridge over
// the built renderer, prints the address, and shuts down cleanly on Ctrl-C.
// Must not: listen on anything but 127.0.0.1.

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { LabService } from '../service/labService';
import { defaultDatabasePath } from '../service/dataDir';
import { spawnTsxRunWorker } from '../service/tsxWorkerSpawner';
import { createLabHttpServer, LOOPBACK_HOST } from './httpBridge';
import { DownloadTokens } from './downloadTokens';

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
  const service = new LabService({ dbPath, spawnWorker: spawnTsxRunWorker, version, exportHandler: tokens.handler });
  const server = createLabHttpServer({ service, staticDir, downloads: { tokens, writer: service } });
  server.listen(port, LOOPBACK_HOST, () => {
    const address = server.address();
    const actual = typeof address === 'object' && address !== null ? address.port : port;
    console.log(`PCI Passthrough Lab (browser mode): http://${LOOPBACK_HOST}:${actual}/`);
    console.log(`database: ${dbPath}   (port from PCILAB_PORT, default ${DEFAULT_PORT}; database from PCILAB_DB)`);
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

main();
