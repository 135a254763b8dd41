// e2e in a real browser against `npm run serve`'s host, with a fresh temporary database per
// suite run. The database path is put in the environment once, so workers and the specs' CLI
// calls use the same file. The host's access link is opened once before the specs (e2e/labAccess.ts)
// with a token given to the server here, and each spec's browser starts with the session cookie.
import { defineConfig } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumPath, CHROMIUM_ARGS } from './e2e/chromium';
import { LAB_TARGET } from './e2e/labTest';
import { ACCESS_STATE } from './e2e/labAccess';

process.env['PCILAB_E2E_DB'] ??= join(mkdtempSync(join(tmpdir(), 'pcilab-e2e-')), 'lab.db');
process.env['PCILAB_E2E_TOKEN'] ??= randomBytes(32).toString('base64url');
const port = Number(process.env['PCILAB_E2E_PORT'] ?? 5231);

export default defineConfig({
  testDir: './e2e',
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    headless: true,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    // The desktop target launches Electron instead of a browser: no Chromium needed then.
    ...(LAB_TARGET === 'browser'
      ? { launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS }, storageState: ACCESS_STATE }
      : {}),
  },
  // The desktop target (PCILAB_E2E_TARGET=electron, see e2e/labTest.ts) launches the built app itself.
  ...(LAB_TARGET === 'browser'
    ? {
        globalSetup: './e2e/labAccess.ts',
        webServer: {
          command: 'npx tsx electron/serve/main.ts',
          url: `http://127.0.0.1:${port}/`,
          reuseExistingServer: false,
          timeout: 60_000,
          // Two runs at once whatever the machine's cores, so an experiment's variants run in parallel.
          env: {
            PCILAB_PORT: String(port),
            PCILAB_DB: process.env['PCILAB_E2E_DB'],
            PCILAB_TOKEN: process.env['PCILAB_E2E_TOKEN'],
            PCILAB_WORKERS: '2',
          },
        },
      }
    : {}),
});
