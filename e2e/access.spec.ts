// The browser mode's access: a browser that has not opened the printed link can load the page but
// not use the lab (every API call is refused as unauthorized), and a used link does not work twice.
// Desktop target: not applicable (IPC, no HTTP), so these run in the browser mode only.
import { test, expect, LAB_TARGET } from './labTest';

test.skip(LAB_TARGET !== 'browser', 'the access link belongs to the browser mode');

test("a browser without the link cannot use the lab, and the suite's link works only once", async ({ browser, baseURL }) => {
  const stranger = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  try {
    const page = await stranger.newPage();
    await page.goto(`${baseURL}/#/runs`);
    const call = await page.request.post(`${baseURL}/api/listRuns`, { data: [{}] });
    expect(call.status()).toBe(401);
    expect(await call.json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const reused = await page.request.get(`${baseURL}/?token=${process.env['PCILAB_E2E_TOKEN']}`, { maxRedirects: 0 });
    expect(reused.status()).toBe(403);
  } finally {
    await stranger.close();
  }
});
