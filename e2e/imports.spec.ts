// Importing into the lab from the Runs page (the browser mode's File > Import run / Import trace):
// a run exported as a portable bundle from its run page comes back as a new run with its timeline
// (and a second import of it is recognized as already there); a trace the kernel oracle captured
// (tooling/oracle/fixtures, gzip'd as captured) becomes a run whose timeline shows the trace's events.
import { join } from 'node:path';
import { test, expect, callLab } from './labTest';
import { AppDriver } from './appDriver';
import { ExperimentsDriver } from './experimentsDriver';
import { TimelineDriver } from './timelineDriver';
import { runFromCli } from './labCli';
import type { TimelineSummary } from '../core/contract/timeline';

const TRACE = join('tooling', 'oracle', 'fixtures', 'x86_64-6.12-intel-cmoff-lazy-nvme.trace.txt.gz');

test.afterEach(async ({ page }) => {
  await new AppDriver(page).deleteAllRuns();
});

test('a run exported as a bundle imports back as a new run with its timeline; a second import is a duplicate', async ({ page }) => {
  const app = new AppDriver(page);
  const original = runFromCli('quickstart-nvme-fio', ['durationMs=3', 'name="bundled run"']);
  await app.openRun(original);
  await app.waitForRunStatus('completed');
  const bundle = await new ExperimentsDriver(page).exportRun('bundle');
  expect(bundle).toMatch(/\.pcilab-run\.jsonl\.gz$/);
  const events = (await callLab<TimelineSummary>(page, 'getTimelineSummary', original)).eventCount;
  // The original goes, so the bundle is not already in the lab.
  await app.deleteAllRuns();

  await app.openRuns();
  await page.getByTestId('import-run-file').setInputFiles(bundle);
  await expect(page.getByTestId('import-status')).toContainText(/Imported .*\.pcilab-run\.jsonl\.gz as run \d+/);
  const imported = Number(/as run (\d+)/.exec((await page.getByTestId('import-status').textContent()) ?? '')![1]);
  expect(imported).not.toBe(original);
  await expect(app.runRow(imported)).toContainText('bundled run');
  await app.screenshot('history-imported-run');

  await page.getByTestId('import-run-file').setInputFiles(bundle);
  await expect(page.getByTestId('import-status')).toContainText(`is already in the lab (same content) as run ${imported}`);
  await expect(app.runRows()).toHaveCount(1);

  const timeline = new TimelineDriver(page);
  await timeline.openTimeline(imported);
  await expect(page.getByTestId('timeline-count')).toContainText(events.toLocaleString('en-US'));
});

test('a captured trace imports as a run whose timeline shows the trace events', async ({ page }) => {
  const app = new AppDriver(page);
  await app.openRuns();
  await page.getByTestId('import-trace-file').setInputFiles(TRACE);
  await expect(page).toHaveURL(/#\/runs\/\d+$/, { timeout: 15_000 });
  const runId = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);
  const timeline = new TimelineDriver(page);
  await timeline.openTimeline(runId);
  await expect(page.getByTestId('run-page').locator('h1')).toContainText('import-trace x86_64-6.12-intel-cmoff-lazy-nvme.trace.txt');
  expect(await app.laneIndex('trace.cpu0')).toBeGreaterThanOrEqual(0);
  const summary = await callLab<TimelineSummary>(page, 'getTimelineSummary', runId);
  expect(summary.kinds.map((k) => k.name)).toContain('trace.dma.map');
  expect(await app.timelineEventCount()).toBeGreaterThan(0);
  await app.screenshot('run-imported-trace');
});
