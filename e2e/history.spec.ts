// The history: all runs (also those made from the command line), filtered by text and status,
// sorted by date, a selection deleted after a confirm step; a long run followed with its progress
// (simulated time, events per second, ETA) and cancelled.
import { test, expect } from './labTest';
import { AppDriver } from './appDriver';
import { runFromCli } from './labCli';

test.afterEach(async ({ page }) => {
  await new AppDriver(page).deleteAllRuns();
});

test('filter, sort and delete runs with a confirm step', async ({ page }) => {
  const app = new AppDriver(page);
  await app.openRuns();
  await expect(page.getByTestId('no-runs')).toBeVisible();
  await app.screenshot('history-empty');

  const first = runFromCli('quickstart-nvme-fio', ['durationMs=2', 'name="alpha one"']);
  const second = runFromCli('quickstart-nvme-fio', ['durationMs=2', 'name="alpha two"']);
  const third = runFromCli('quickstart-nvme-fio', ['durationMs=2', 'name="beta"']);
  await page.reload();
  await expect(app.runRows()).toHaveCount(3);
  await expect(app.runRows().first()).toHaveAttribute('data-run-id', String(third));
  await app.sortRuns('oldest');
  await expect(app.runRows().first()).toHaveAttribute('data-run-id', String(first));

  await app.blur();
  await app.press('/');
  await expect(page.getByTestId('run-filter')).toBeFocused();
  await page.keyboard.type('alpha');
  await expect(app.runRows()).toHaveCount(2);
  await app.filterRuns('alpha', 'failed');
  await expect(page.getByTestId('no-matching-runs')).toBeVisible();
  await app.filterRuns('', 'completed');
  await expect(app.runRows()).toHaveCount(3);
  await app.screenshot('history-runs');

  await app.selectRun(first);
  await app.selectRun(third);
  await expect(page.getByTestId('delete-selected')).toHaveText('Delete selected (2)');
  await app.deleteSelected(false);
  await expect(app.runRows()).toHaveCount(3);
  await page.getByTestId('delete-selected').click();
  await expect(page.getByTestId('confirm-delete')).toContainText(`Delete 2 runs (${first}, ${third})`);
  await app.screenshot('history-confirm-delete');
  await page.getByTestId('confirm-delete-yes').click();
  await expect(app.runRows()).toHaveCount(1);
  await expect(app.runRow(second)).toContainText('alpha two');
  await app.filterRuns('');
});

test('a long run shows its progress and can be cancelled', async ({ page }) => {
  const app = new AppDriver(page);
  await app.openRuns();
  await app.openNewRun();
  await app.setField('name', 'long run to cancel');
  await app.setField('durationMs', '60000');
  const runId = await app.startRun();

  await expect(app.progress()).toBeVisible();
  await expect(page.getByTestId('progress-simulated')).toContainText('of 60 s simulated');
  await expect(page.getByTestId('progress-rate')).toHaveText(/events\/s$/, { timeout: 15_000 });
  await expect(page.getByTestId('progress-eta')).toHaveText(/^ETA \d/, { timeout: 15_000 });
  await app.screenshot('run-progress');
  await app.cancelRun();
  await app.waitForRunStatus('cancelled');

  await app.openRuns();
  await expect(app.runRow(runId)).toContainText('cancelled');
});
