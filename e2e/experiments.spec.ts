// Experiments and comparisons: an experiment of three variants made from a preset with a grid, run
// all with progress, its comparison (differences highlighted, the varied path in the config diff)
// saved and reopened as it was after a reload; a run exported to Perfetto; two runs compared from
// the history.
import { test, expect } from './labTest';
import { readFileSync } from 'node:fs';
import { ExperimentsDriver } from './experimentsDriver';
import { runFromCli } from './labCli';

test.afterEach(async ({ page }) => {
  const exp = new ExperimentsDriver(page);
  await exp.deleteAllExperimentsAndComparisons();
  await exp.app.deleteAllRuns();
});

test('a grid experiment runs, compares, saves and reopens as it was; a run exports to Perfetto', async ({ page }) => {
  const exp = new ExperimentsDriver(page);
  await exp.app.openRuns();
  const count = await exp.fillGridExperiment('duration sweep', 'quickstart-nvme-fio', [{ path: 'durationMs', values: '2, 4, six' }]);
  expect(count).toBe(3);
  await expect(page.getByTestId('variant-preview')).toContainText('durationMs=4');
  await exp.submitExperiment();
  await expect(exp.gridRowProblem(0)).toContainText('durationMs=six: durationMs: Invalid input: expected number');
  await exp.screenshot('experiment-form');
  await exp.setGridValues(0, '2, 4, 6');
  await expect(exp.gridRowProblem(0)).toHaveCount(0);
  await exp.createFilledExperiment();
  await expect(exp.variantRows()).toHaveCount(3);
  await expect(exp.variantRows().first()).toContainText('durationMs=2');

  await exp.startAll();
  // Each variant's row has its own progress while it runs, and never says "queued" while it simulates.
  await expect(exp.variantProgress().first()).toBeVisible();
  expect(await exp.watchVariantsToCompletion()).toBeGreaterThanOrEqual(1);
  const runIds = await exp.waitAllCompleted();
  expect(runIds).toHaveLength(3);
  await exp.screenshot('experiment');

  await exp.openComparison();
  expect(await exp.comparedRunIds()).toEqual(runIds);
  await expect(exp.metricRow('io.completed')).toHaveAttribute('data-differs', 'true');
  await expect(exp.metricRow('io.completed')).toHaveClass(/differs/);
  await expect(exp.metricRow('dma.mapFailures')).toHaveAttribute('data-differs', 'false');
  await expect(exp.metricRow('dma.mapFailures')).not.toHaveClass(/differs/);
  await expect(exp.configDiffRow('durationMs')).toContainText('2');
  await expect(exp.configDiffRow('durationMs')).toContainText('6');
  await expect(exp.counterCharts().first().locator('canvas')).toBeVisible();
  await exp.screenshot('comparison');
  await exp.app.toggleTheme();
  await exp.screenshot('comparison-dark');
  await exp.app.toggleTheme();

  await exp.setOnlyDifferences(true);
  await expect(exp.metricRow('dma.mapFailures')).toHaveCount(0);
  await exp.chooseCounters(['vfio.entries']);
  await expect(exp.counterCharts()).toHaveCount(1);
  const shownRows = await exp.metricRows().count();
  await exp.saveComparison('sweep, differences only');

  await page.reload();
  await exp.openSavedComparisons();
  await exp.screenshot('comparisons');
  await exp.reopenComparison('sweep, differences only');
  expect(await exp.comparedRunIds()).toEqual(runIds);
  await expect(exp.onlyDifferences()).toBeChecked();
  await expect(exp.metricRows()).toHaveCount(shownRows);
  await expect(exp.counterCharts()).toHaveCount(1);
  await expect(exp.counterCharts().first()).toHaveAttribute('data-counter', 'vfio.entries');

  await exp.app.openRun(runIds[0]!);
  await exp.app.waitForRunStatus('completed');
  const path = await exp.exportRun('perfetto');
  const trace = JSON.parse(readFileSync(path, 'utf8')) as { traceEvents?: unknown[] };
  expect(Array.isArray(trace.traceEvents)).toBe(true);
  expect(trace.traceEvents!.length).toBeGreaterThan(0);
});

test('two runs compared from the history', async ({ page }) => {
  const exp = new ExperimentsDriver(page);
  const a = runFromCli('quickstart-nvme-fio', ['durationMs=2', 'name="compare a"']);
  const b = runFromCli('quickstart-nvme-fio', ['durationMs=3', 'name="compare b"', 'vms.0.vcpus=2']);
  await exp.app.openRuns();
  await exp.app.selectRun(a);
  await expect(page.getByTestId('compare-selected')).toBeDisabled();
  await exp.app.selectRun(b);
  await exp.screenshot('history-compare');
  await page.getByTestId('compare-selected').click();
  await exp.waitForComparison();
  expect((await exp.comparedRunIds()).sort()).toEqual([a, b].sort());
  await expect(exp.configDiffRow('vms.0.vcpus')).toBeVisible();
  await expect(exp.configDiffRow('durationMs')).toBeVisible();

  // A stored run's scenario as the base of explicit variants; deleting the experiment keeps the runs.
  await exp.createExplicitExperiment('from run a', { runId: a }, [
    { name: 'small limit', set: ['host.vfio.dmaEntryLimit=1024'] },
    { name: 'two vcpus', set: ['vms.0.vcpus=2', 'durationMs=1'] },
  ]);
  await expect(page.getByTestId('experiment-base-text')).toContainText('compare a');
  await expect(exp.variantRows().nth(1)).toContainText('vms.0.vcpus=2');
  await exp.app.blur();
  await exp.app.press('x');
  await expect(exp.experimentRow('from run a')).toContainText('not run yet');
  await expect(exp.experimentRow('from run a')).toContainText('scenario "compare a"');
  await exp.deleteExperiment('from run a');
  await exp.app.press('c');
  await expect(page.getByTestId('comparisons-page')).toBeVisible();
});
