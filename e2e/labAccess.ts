// The browser mode's access link, as a user would open it: playwright.config.ts gives the server
// its first token (PCILAB_TOKEN) and, before the specs, this setup opens `/?token=...` once and saves
// the session cookie it trades for; every spec's browser context starts with that cookie
// (storageState), so the specs use the lab as a browser that opened the printed link.
import { request, type FullConfig } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export const ACCESS_STATE = 'test-results/.lab-access.json';

export default async function openAccessLink(config: FullConfig): Promise<void> {
  const baseURL = config.projects[0]?.use.baseURL;
  const token = process.env['PCILAB_E2E_TOKEN'];
  if (baseURL === undefined || token === undefined) throw new Error('the e2e access setup needs baseURL and PCILAB_E2E_TOKEN');
  const context = await request.newContext({ baseURL });
  const entered = await context.get(`/?token=${token}`, { maxRedirects: 0 });
  if (entered.status() !== 303) throw new Error(`opening the access link answered ${entered.status()}: ${await entered.text()}`);
  mkdirSync(dirname(ACCESS_STATE), { recursive: true });
  await context.storageState({ path: ACCESS_STATE });
  await context.dispose();
}
