// An engineer asks a run a question in SQL: the s390 RPCIT exhaustion preset, opened on the query
// page from its run page; the example "which maps failed, and the VFIO entry count then" lists the
// failed maps; the first one's "Show on timeline" opens the run's timeline at that event, selected,
// its time in view. A query the lab refuses says why; one cut at the row cap says so; a query saved
// by name survives a reload, runs again and is deleted. Then the run's Perfetto export, downloaded
// through the UI: every flow (cause arrow) that starts also ends.
import { readFileSync } from 'node:fs';
import { test, expect } from './labTest';
import { AppDriver } from './appDriver';
import { ExperimentsDriver } from './experimentsDriver';
import { runFromCli } from './labCli';
import { QueryDriver } from './queryDriver';
import { TimelineDriver } from './timelineDriver';

// Later specs (the preset gallery's "not run yet") expect an empty lab.
test.afterEach(async ({ page }) => {
  await new AppDriver(page).deleteAllRuns();
});

test('the first failed map, found in SQL, shown on the timeline', async ({ page }) => {
  test.setTimeout(120_000);
  const runId = runFromCli('s390-rpcit-exhaustion', []);
  const q = new QueryDriver(page);
  await q.openFromRun(runId);

  await q.useExample('Which maps failed');
  await expect(q.sql()).toHaveValue(/WHERE f\.kind = 'dma\.map\.failed' ORDER BY f\.t_ns/);
  await q.run();
  const failed = await q.answer();
  expect(failed.status).toMatch(/^\d+ rows? in [\d.]+ (ms|s)$/);
  // The first header cell is the "Show on timeline" column.
  expect(failed.columns.slice(1)).toEqual(['seq', 'variant', 't_ns', 'iova', 'errno', 'entries_in_use', 'vfio_entries_sampled']);
  expect(failed.rows.length).toBeGreaterThan(0);
  const [, seqText, variant, tText, iova, errno, inUse] = failed.rows[0]!;
  expect(iova).toMatch(/^0x/);
  expect(errno).toBe('ENOMEM');
  expect(inUse).toBe('65535');
  await q.app.screenshot('query-failed-maps');

  const seq = await q.showOnTimeline(0);
  expect(seq).toBe(Number(seqText));
  await expect(page).toHaveURL(new RegExp(`#/runs/${runId}\\?seq=${seq}$`));
  const tl = new TimelineDriver(page);
  await expect(tl.canvas()).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId('event-detail')).toHaveAttribute('data-seq', String(seq), { timeout: 15_000 });
  await tl.waitForWindow();
  const selected = (await tl.selectedEvent())!;
  expect(selected).toMatchObject({ seq, kind: 'dma.map.failed', failure: true });
  expect(selected.lane.split('/')[0]).toBe(variant);
  const view = await tl.view();
  const tNs = Number(tText);
  expect(view.startNs).toBeLessThanOrEqual(tNs);
  expect(view.endNs).toBeGreaterThanOrEqual(tNs);
  // Zoomed in on it, not the whole run.
  expect(view.startNs > 0 || view.endNs < (await tl.wholeRun()).endNs).toBe(true);
});

test('refusals, the row cap and saved queries', async ({ page }) => {
  test.setTimeout(90_000);
  const runId = runFromCli('quickstart-nvme-fio', ['durationMs=2']);
  const q = new QueryDriver(page);
  await q.app.openRuns();
  await q.openFromNav();
  await expect(page.getByTestId('query-run')).toHaveValue(String(runId));

  await q.setSql('SELECT kind FRM events');
  await q.run();
  expect(await q.problem()).toMatchObject({ kind: 'query', text: expect.stringMatching(/refused.*syntax error/s) });
  await q.setSql('DELETE FROM runs');
  await q.run();
  expect((await q.problem()).text).toMatch(/only SELECT statements are allowed/);

  await q.setSql('SELECT seq, kind FROM events ORDER BY seq');
  await q.run();
  const capped = await q.answer();
  expect(capped.truncated).toBe(true);
  expect(capped.rows).toHaveLength(1000);
  expect(capped.status).toMatch(/^1,000 rows \(cut at the cap of 1,000 rows: more matched\) in [\d.]+ (ms|s)$/);
  await expect(page.getByTestId('query-truncated')).toBeVisible();

  await q.setSql("SELECT name, value, unit FROM metrics WHERE name = 'io.completed'");
  await q.save('completed I/Os');
  await page.reload();
  await expect(q.savedQuery('completed I/Os')).toBeVisible();
  await q.setSql('SELECT 1');
  await q.runSaved('completed I/Os');
  await expect(q.sql()).toHaveValue(/io\.completed/);
  const metric = await q.answer();
  expect(metric.columns).toEqual(['name', 'value', 'unit']);
  expect(metric.rows[0]![0]).toBe('io.completed');
  await expect(page.getByTestId('show-on-timeline')).toHaveCount(0);
  await q.deleteSaved('completed I/Os');
  await expect(page.getByTestId('no-saved-queries')).toBeVisible();
});

test("the Perfetto export's cause arrows pair up: every flow start has its end", async ({ page }) => {
  test.setTimeout(90_000);
  const runId = runFromCli('s390-rpcit-exhaustion', ['durationMs=40']);
  const exp = new ExperimentsDriver(page);
  await exp.app.openRun(runId);
  await exp.app.waitForRunStatus('completed', 45_000);
  const trace = JSON.parse(readFileSync(await exp.exportRun('perfetto'), 'utf8')) as {
    traceEvents: { ph: string; id?: number; bp?: string }[];
  };
  const starts = new Map<number, number>();
  const ends = new Map<number, number>();
  for (const e of trace.traceEvents) {
    if (e.ph === 's') starts.set(e.id!, (starts.get(e.id!) ?? 0) + 1);
    if (e.ph === 'f') {
      expect(e.bp).toBe('e');
      ends.set(e.id!, (ends.get(e.id!) ?? 0) + 1);
    }
  }
  expect(starts.size).toBeGreaterThan(0);
  expect([...starts.values()].every((n) => n === 1)).toBe(true);
  expect([...ends.values()].every((n) => n === 1)).toBe(true);
  expect([...starts.keys()].sort((a, b) => a - b)).toEqual([...ends.keys()].sort((a, b) => a - b));
});
