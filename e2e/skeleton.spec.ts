// The walking skeleton's journey: start a run from the form (after correcting an invalid field),
// watch it run, open its results and timeline, and find a run made from the CLI in the same list.
import { test, expect } from './labTest';
import { spawnSync } from 'node:child_process';
import { AppDriver } from './appDriver';

test('start a run from the form, follow it, open its timeline, and see CLI runs too', async ({ page }, testInfo) => {
  const app = new AppDriver(page);
  await app.openRuns();
  await expect(page.getByTestId('no-runs')).toBeVisible();
  await app.screenshot('runs-empty', testInfo.outputPath('01-runs-empty.png'));

  await app.openNewRun();
  await app.setField('name', 'e2e journey');
  await app.setField('vcpus', '0');
  await expect(app.fieldError('vcpus')).toContainText('>=1');
  await expect(app.startButton()).toBeDisabled();
  await app.setField('vcpus', '4');
  await expect(app.fieldError('vcpus')).toHaveCount(0);
  await app.setField('durationMs', '300');
  await app.screenshot('new-run', testInfo.outputPath('02-new-run.png'));
  const runId = await app.startRun();

  await expect(app.progress()).toBeVisible();
  await app.waitForRunStatus('completed', 45_000);
  await expect(app.claims()).toHaveCount(2);
  await expect(app.claims().first()).toContainText('holds');
  await expect(app.metric('io.iops')).toContainText('IO/s');
  await expect.poll(() => app.timelineEventCount()).toBeGreaterThan(0);
  await page.getByTestId('zoom-in').click();
  await page.getByTestId('zoom-in').click();
  await app.clickTimeline(0.5, await app.laneIndex('vm0.cpu0'));

  await expect(app.eventDetail()).toContainText('dma.');
  await app.screenshot('run', testInfo.outputPath('03-run.png'));

  const cli = spawnSync(
    process.execPath,
    ['bin/pcilab.mjs', 'run', 'quickstart-nvme-fio', '--set', 'durationMs=2', '--set', 'name="from cli"', '--json'],
    {
      env: { ...process.env, PCILAB_DB: process.env['PCILAB_E2E_DB'] },
      encoding: 'utf8',
    },
  );
  expect(cli.status, cli.stderr).toBe(0);
  const cliRunId = (JSON.parse(cli.stdout) as { run: { id: number } }).run.id;

  await app.openRuns();
  await expect(app.runRow(runId)).toContainText('e2e journey');
  await expect(app.runRow(runId)).toContainText('completed');
  await expect(app.runRow(cliRunId)).toContainText('from cli');
  await app.screenshot('runs', testInfo.outputPath('04-runs.png'));

  await page.reload();
  await expect(app.runRow(runId)).toContainText('2/2 hold');
});
