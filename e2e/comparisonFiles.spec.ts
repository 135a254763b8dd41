// A saved comparison travels as a file: saved on the Compare screen with a saved query in the lab,
// exported (the file names both runs with their content hashes, holds the table and the query),
// then deleted and imported back through "Import comparison…", which saves it again over the same
// runs and finds the query already there.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect, exportDialogTo } from './labTest';
import { AppDriver } from './appDriver';
import { ExperimentsDriver } from './experimentsDriver';
import { runFromCli } from './labCli';
import { QueryDriver } from './queryDriver';

/** Whether the test saved its query (the cleanup deletes it: the query spec expects none left). */
let querySaved = false;

test.afterEach(async ({ page }) => {
  await new ExperimentsDriver(page).deleteAllExperimentsAndComparisons();
  const q = new QueryDriver(page);
  await q.openFromNav();
  if (querySaved) {
    await expect(q.savedQuery('failures by kind')).toBeVisible();
    await q.deleteSaved('failures by kind');
    querySaved = false;
  }
  await new AppDriver(page).deleteAllRuns();
});

test('a saved comparison exported as a file and imported back, with the saved queries', async ({ page }) => {
  test.setTimeout(120_000);
  const a = runFromCli('quickstart-nvme-fio', ['durationMs=1']);
  const b = runFromCli('quickstart-nvme-fio', ['durationMs=2']);
  const q = new QueryDriver(page);
  await q.app.openRuns();
  await q.openFromNav();
  await q.setSql('SELECT kind, count(*) FROM events WHERE failure GROUP BY kind');
  await q.save('failures by kind');
  querySaved = true;

  const exp = new ExperimentsDriver(page);
  await exp.compareFromHistory([a, b]);
  await exp.saveComparison('fio 1 vs 2 ms');
  await exp.reopenComparison('fio 1 vs 2 ms');

  const button = page.getByTestId('export-comparison');
  let fileName: string;
  let text: string;
  const dir = mkdtempSync(join(tmpdir(), 'pcilab-comparison-'));
  if (await exportDialogTo(page, dir)) {
    await button.click();
    await expect.poll(() => readdirSync(dir).filter((f) => !f.endsWith('.crdownload')).length).toBe(1);
    fileName = readdirSync(dir)[0]!;
    text = readFileSync(join(dir, fileName), 'utf8');
  } else {
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    fileName = download.suggestedFilename();
    const chunks: Buffer[] = [];
    for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  }
  expect(fileName).toMatch(/^comparison-\d+-fio-1-vs-2-ms\.pcilab-comparison\.json$/);
  const doc = JSON.parse(text) as {
    format: string;
    runs: { id: number; contentHash: string }[];
    table: { config: { path: string }[] };
    queries: { name: string }[];
  };
  expect(doc.format).toBe('pcilab-comparison');
  // In the order the history selected them (newest first).
  const ids = doc.runs.map((r) => r.id);
  expect([...ids].sort((x, y) => x - y)).toEqual([a, b]);
  for (const r of doc.runs) expect(r.contentHash).toMatch(/^[0-9a-f]{64}$/);
  expect(doc.table.config.map((c) => c.path)).toContain('durationMs');
  expect(doc.queries.map((x) => x.name)).toContain('failures by kind');

  await exp.deleteAllExperimentsAndComparisons();
  await expect(page.getByTestId('no-comparisons')).toBeVisible();
  await page.getByTestId('import-comparison').setInputFiles({ name: fileName, mimeType: 'application/json', buffer: Buffer.from(text) });
  await expect(page.getByTestId('comparison-imported')).toContainText(`Imported "fio 1 vs 2 ms" as saved comparison`);
  await expect(page.getByTestId('comparison-imported')).toContainText(
    `over runs ${ids.join(', ')}; saved queries: 0 added, 1 already here.`,
  );
  await exp.reopenComparison('fio 1 vs 2 ms');
  expect(await exp.comparedRunIds()).toEqual(ids);
});
