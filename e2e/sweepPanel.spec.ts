// An experiment swept on Slurm from the Experiments screen, against a fake Slurm 22.05
// (e2e/fakeSlurm.mjs) on the PATH of a lab server of the spec's own (e2e/slurmLab.ts): the panel
// offers "Submit to Slurm"; a partition the cluster lacks is refused with sbatch's own words and
// leaves no sweep behind; the job array's tasks show pending while held, one running, and the
// last states stay while the controller is unreachable (one banner, not one per poll); then done as
// their bundles are imported, one failed with its exit code (from squeue's raw wait status), its log
// and the log's last lines; "Retry failed" resubmits it as a new job array and it ends done; the
// experiment's comparison then holds the three imported runs.
import { test, expect } from './labTest';
import { LAB_TARGET } from './labTest';
import { ExperimentsDriver } from './experimentsDriver';
import { startSlurmLab, type SlurmLab } from './slurmLab';

/** A task (the real `pcilab experiment task`) starts a Node process and simulates 2 ms: a few seconds each under load. */
const SWEEP_TIMEOUT_MS = 120_000;

test.describe('sweep on Slurm from the Experiments screen', () => {
  test.skip(LAB_TARGET !== 'browser', 'starts a browser-mode server of its own, with a fake Slurm on its PATH');
  test.setTimeout(240_000);

  let lab: SlurmLab | null = null;
  test.afterEach(async () => {
    await lab?.stop();
    lab = null;
  });

  test('submit, watch the tasks, see a failure with its exit code and log, retry it, compare the imported runs', async ({ browser }) => {
    lab = await startSlurmLab({ failOnce: 1, switches: ['hold', 'hold-running'] });
    const context = await browser.newContext({ baseURL: lab.baseURL, storageState: { cookies: [], origins: [] } });
    const page = await context.newPage();
    await page.goto(lab.accessPath);
    const exp = new ExperimentsDriver(page);
    await exp.createExplicitExperiment('slurm sweep', { preset: 'quickstart-nvme-fio' }, [
      { name: 'qd1', set: ['durationMs=2', 'workload.iodepth=1'] },
      { name: 'qd2', set: ['durationMs=2', 'workload.iodepth=2'] },
      { name: 'qd4', set: ['durationMs=2', 'workload.iodepth=4'] },
    ]);

    const panel = page.getByTestId('sweep-panel');
    const submit = panel.getByTestId('sweep-submit');
    await expect(submit).toHaveText('Submit to Slurm');
    await expect(panel.getByTestId('sweep-list')).toHaveCount(0);

    // sbatch refuses an unknown partition: its words in the banner, and no half-made sweep left to collect.
    await panel.getByTestId('sweep-partition').fill('gpu');
    await submit.click();
    const refused = page.getByTestId('error-banner');
    await expect(refused).toContainText('Submitting to Slurm failed');
    await expect(refused).toContainText('invalid partition specified: gpu');
    await refused.getByRole('button', { name: /Dismiss/ }).click();
    await page.reload();
    await expect(panel.getByTestId('sweep-submit')).toBeVisible();
    await expect(panel.getByTestId('sweep-list')).toHaveCount(0);

    // Held by the cluster: the unsplit array is one pending record, shown as three pending tasks.
    await panel.getByTestId('sweep-partition').fill('debug');
    await panel.getByTestId('sweep-time').fill('5:00');
    await submit.click();
    const rows = panel.getByTestId('sweep-row');
    await expect(rows).toHaveCount(3);
    await expect(panel.getByTestId('sweep-summary')).toContainText('0 done, 0 running, 3 pending, 0 failed');
    await expect(rows.first()).toContainText('1000_0');
    await expect(rows.first().getByTestId('sweep-why')).toContainText('Slurm PENDING, reason Resources');
    await expect(exp.variantRows().first().getByTestId('variant-sweep-note')).toHaveText('queued on Slurm');
    await expect(submit).toBeDisabled();

    // The first task starts (split off the array's record) and is held running.
    lab.setSwitch('hold', false);
    await expect(panel.getByTestId('sweep-summary')).toContainText('0 done, 1 running, 2 pending, 0 failed', { timeout: SWEEP_TIMEOUT_MS });
    await expect(rows.first().getByTestId('sweep-why')).toHaveText('Slurm RUNNING');
    await expect(rows.nth(2)).toContainText('1000_2');

    // The controller unreachable for a while: said once (not a banner per poll), the last states kept.
    lab.setSwitch('controller-down', true);
    const banner = page.getByTestId('error-banner');
    await expect(banner).toContainText('Collecting the sweep failed', { timeout: SWEEP_TIMEOUT_MS });
    await expect(banner).toContainText('Unable to contact slurm controller');
    await expect(panel.getByTestId('sweep-collect-error')).toContainText('looking again every 3 s');
    const calls = lab.squeueCalls();
    await expect.poll(() => lab!.squeueCalls(), { timeout: SWEEP_TIMEOUT_MS }).toBeGreaterThanOrEqual(calls + 2);
    await expect(banner).toHaveCount(1);
    await expect(panel.getByTestId('sweep-summary')).toContainText('0 done, 1 running, 2 pending, 0 failed');
    lab.setSwitch('controller-down', false);
    await expect(panel.getByTestId('sweep-collect-error')).toHaveCount(0, { timeout: SWEEP_TIMEOUT_MS });
    await banner.getByRole('button', { name: /Dismiss/ }).click();

    lab.setSwitch('hold-running', false);
    await expect(panel.getByTestId('sweep-summary')).toContainText('2 done, 0 running, 0 pending, 1 failed', { timeout: SWEEP_TIMEOUT_MS });
    const failed = rows.and(page.locator('[data-state="failed"]'));
    await expect(failed).toHaveCount(1);
    await expect(failed).toContainText('qd2');
    await expect(failed.getByTestId('sweep-why')).toHaveText('Slurm FAILED, exit code 3, reason NonZeroExitCode');
    await expect(failed.getByTestId('sweep-log')).toContainText('logs/task-1.job-1000.log');
    await expect(failed.getByTestId('sweep-log-tail')).toContainText('made to fail with exit code 3 (FAKE_SLURM_FAIL_ONCE)');
    await exp.screenshot('sweep-failed');
    await expect(rows.and(page.locator('[data-state="done"]')).getByRole('link', { name: /^run \d+$/ })).toHaveCount(2);
    // The runs of the finished tasks are the experiment's already (the panel reloads the experiment).
    await expect(exp.variantRows().and(page.locator('[data-status="completed"]'))).toHaveCount(2);
    // The variant whose task failed says so in the experiment's own table, not "not run yet".
    await expect(exp.variantRows().and(page.locator('[data-variant="qd2"]')).getByTestId('variant-sweep-note')).toHaveText(
      'sweep task failed (exit code 3, attempt 1): see the sweep below',
    );

    // Retry: a new job array of the failed task only, which ends done.
    await panel.getByTestId('sweep-retry').click();
    await expect(failed).toHaveCount(0, { timeout: SWEEP_TIMEOUT_MS });
    await expect(panel.getByTestId('sweep-summary')).toContainText('3 done, 0 running, 0 pending, 0 failed', { timeout: SWEEP_TIMEOUT_MS });
    await expect(rows.nth(1)).toContainText('1003_1');
    await expect(panel.getByTestId('sweep-retry')).toHaveCount(0);
    await expect(submit).toBeEnabled();

    const sweepRuns = (await rows.getByRole('link', { name: /^run \d+$/ }).allTextContents()).map((t) => Number(/(\d+)/.exec(t)![1]));
    expect(sweepRuns).toHaveLength(3);
    await expect(exp.variantRows().and(page.locator('[data-status="completed"]'))).toHaveCount(3);
    await exp.openComparison();
    expect((await exp.comparedRunIds()).sort((a, b) => a - b)).toEqual([...sweepRuns].sort((a, b) => a - b));
    await expect(exp.configDiffRow('workload.iodepth')).toBeVisible();
    await context.close();
  });
});
