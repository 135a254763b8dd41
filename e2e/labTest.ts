// The suite's `test`: the same specs drive the lab in the browser mode (default: Chromium against
// `npm run serve`'s host, started by playwright.config.ts) or in the desktop app
// (PCILAB_E2E_TARGET=electron: Playwright's _electron launches the built app, out/main/index.js,
// on the suite's database). Specs and drivers stay target-neutral through three verbs below:
// navigate (a route of the app), callLab (a LabApi method, for checks beside the UI) and
// exportDialogTo (where the next export lands).
import { test as base, _electron, type ElectronApplication, type Page } from '@playwright/test';
import { existsSync } from 'node:fs';
import type { LabApiMethod } from '../core/contract/labApi';

export type LabTarget = 'browser' | 'electron';

export const LAB_TARGET: LabTarget = process.env['PCILAB_E2E_TARGET'] === 'electron' ? 'electron' : 'browser';

/** The desktop app of this worker (electron target only), keyed by its first window. */
const desktopApps = new WeakMap<Page, ElectronApplication>();

async function launchDesktopApp(): Promise<ElectronApplication> {
  const main = 'out/main/index.js';
  if (!existsSync(main)) throw new Error(`PCILAB_E2E_TARGET=electron needs the built desktop app (${main}): run \`npm run build\` first`);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env['PCILAB_DB'] = process.env['PCILAB_E2E_DB'] ?? '';
  env['PCILAB_WORKERS'] = '2'; // as the browser target's server (playwright.config.ts): variants run in parallel
  // Chromium (and so Electron) refuses to run as root without --no-sandbox (CI machines run as root).
  const args = process.getuid?.() === 0 ? ['--no-sandbox', main] : [main];
  try {
    return await _electron.launch({ args, env });
  } catch (e) {
    throw new Error(
      `could not start Electron for PCILAB_E2E_TARGET=electron (is its binary installed? \`npm start\` fetches it): ${String(e)}`,
    );
  }
}

/**
 * The desktop target: one app per worker, its window handed to each test as `page`, with the
 * page's state reset between tests (storage cleared, window reloaded) as a fresh browser page
 * would be. The fixture does not ask for Playwright's own page, so no browser is launched.
 */
const desktopTest = base.extend<object, { desktopApp: ElectronApplication }>({
  desktopApp: [
    // eslint-disable-next-line no-empty-pattern -- Playwright's fixture signature
    async ({}, use) => {
      const app = await launchDesktopApp();
      await use(app);
      await app.close();
    },
    { scope: 'worker' },
  ],
  page: async ({ desktopApp }, use) => {
    const win = await desktopApp.firstWindow();
    desktopApps.set(win, desktopApp);
    await win.evaluate(() => {
      localStorage.clear();
      sessionStorage.clear();
      window.location.hash = '#/';
    });
    await win.reload();
    await use(win);
  },
});

/** The suite's test: Playwright's own in the browser mode, the desktop fixtures for PCILAB_E2E_TARGET=electron. */
export const test: typeof base = LAB_TARGET === 'electron' ? (desktopTest as unknown as typeof base) : base;

export { expect } from '@playwright/test';

/** Opens a route of the app ("/", "/runs/3", "/new?preset=x"): a URL in the browser, the hash in the desktop window. */
export async function navigate(page: Page, route: string): Promise<void> {
  if (desktopApps.has(page)) {
    await page.evaluate((hash) => (window.location.hash = hash), `#${route}`);
    return;
  }
  await page.goto(`/#${route}`);
}

/** Calls a LabApi method as the app does: over the HTTP bridge in the browser mode, through the preload in the desktop app. */
export async function callLab<T>(page: Page, method: LabApiMethod, ...args: unknown[]): Promise<T> {
  type Reply = { ok: boolean; value?: T; error?: { message: string } };
  // Both hosts answer with the same LabApiResponse wrapper (the preload's invoke and the HTTP bridge).
  const body: Reply = desktopApps.has(page)
    ? ((await page.evaluate(
        ([m, a]) => (window as unknown as { pcilab: Record<string, (...x: unknown[]) => Promise<unknown>> }).pcilab[m]!(...a),
        [method, args] as const,
      )) as Reply)
    : ((await (await page.request.post(`/api/${method}`, { data: args })).json()) as Reply);
  if (!body.ok) throw new Error(`${method}: ${body.error?.message ?? 'failed'}`);
  return body.value as T;
}

/**
 * In the desktop app an export asks where to save: answers the next save dialog (a run's export)
 * and the next download's dialog (a scenario file) with a file of the name the app proposes in
 * `dir`. In the browser mode exports are downloads and this does nothing. Returns whether it was needed.
 */
export async function exportDialogTo(page: Page, dir: string): Promise<boolean> {
  const app = desktopApps.get(page);
  if (app === undefined) return false;
  await app.evaluate(({ dialog, session }, into) => {
    const inDir = (name: string): string => `${into}/${name.split(/[\\/]/).pop() ?? 'export'}`;
    dialog.showSaveDialog = ((...args: unknown[]) => {
      const options = args.find((a): a is { defaultPath?: string } => typeof a === 'object' && a !== null && 'defaultPath' in a);
      return Promise.resolve({ canceled: false, filePath: inDir(options?.defaultPath ?? 'export') });
    }) as typeof dialog.showSaveDialog;
    session.defaultSession.once('will-download', (_event, item) => item.setSavePath(inDir(item.getFilename())));
  }, dir);
  return true;
}
