// A version bisect made in the Experiments screen: preset 1's retry variant over QEMU releases, a
// bad version order refused by the lab naming the field, then the bisect names QEMU 7.2 (the RPCIT
// second pass) with its steps linked to their runs; the 7.2 run's page shows the switch the version
// implies, and the configurator shows what a version implies as it is edited. A stored run's
// scenario (every implied switch filled in) as the base leaves those switches to the versions.
import { test, expect } from './labTest';
import { ExperimentsDriver } from './experimentsDriver';
import { runFromCli } from './labCli';

test.afterEach(async ({ page }) => {
  const exp = new ExperimentsDriver(page);
  await exp.deleteAllExperimentsAndComparisons();
  await exp.app.deleteAllRuns();
});

test('a bisect over QEMU versions names 7.2, its steps link to their runs, and versions show what they imply', async ({ page }) => {
  test.setTimeout(150_000);
  const exp = new ExperimentsDriver(page);
  await exp.app.openRuns();
  const count = await exp.fillBisectExperiment(
    'rpcit second pass',
    { preset: 's390-rpcit-exhaustion' },
    {
      path: 'host.qemu.version',
      versions: '7.2, 7.1, 8.0',
      outcome: 's390.shadow.retryPasses > 0',
      variant: 'retry',
    },
  );
  expect(count).toBe(3);
  await exp.submitExperiment();
  await expect(exp.experimentProblems()).toContainText('bisect.versions.1: "7.1" comes before "7.2"');
  await exp.setBisectVersions('7.1, 7.2, 8.0');
  await exp.createFilledExperiment();
  await expect(exp.bisectResult()).toHaveAttribute('data-state', 'not-run');

  await exp.startBisect();
  expect(await exp.waitBisectDone()).toBe('7.2');
  await expect(page.getByTestId('bisect-summary')).toContainText('First change: 7.2 (0 → 1)');
  await expect(exp.bisectSteps()).toHaveCount(3);
  await expect(exp.bisectSteps().nth(0)).toHaveAttribute('data-version', '7.1');
  await expect(exp.bisectSteps().nth(0).getByTestId('bisect-step-outcome')).toHaveText('0');
  await expect(exp.bisectSteps().nth(1).getByTestId('bisect-step-outcome')).toHaveText('1');
  await exp.screenshot('bisect');

  // The named version's run: an ordinary run whose page shows what QEMU 7.2 implies.
  await page.getByTestId('bisect-first-run').click();
  await expect(page.getByTestId('run-page')).toBeVisible();
  const secondPass = page.locator('[data-testid="implied-switch"][data-path="vms.0.viommu.s390.rpcitSecondPass"]');
  await expect(secondPass.getByTestId('implied-value')).toHaveText('true');
  await expect(secondPass).toHaveAttribute('data-overridden', 'false');
  await expect(secondPass).toContainText('QEMU >= 7.2');

  // The configurator: the switch follows the QEMU version as it is edited; the run's scenario lists
  // it among the switches its versions filled (impliedByVersions), so at 7.1 it follows the version
  // and is no override.
  await exp.app.openRunInConfigurator();
  await page.getByTestId('tab-host').click();
  const implied = page.locator('[data-testid="implied-switch"][data-path="vms.0.viommu.s390.rpcitSecondPass"]');
  await expect(implied.getByTestId('implied-value')).toHaveText('true');
  await exp.app.setField('host.qemu.version', '7.1');
  await expect(implied.getByTestId('implied-value')).toHaveText('false');
  await expect(implied).toHaveAttribute('data-overridden', 'false');
});

test("a bisect on a stored run's scenario leaves the switches its versions filled in to the swept versions", async ({ page }) => {
  const runId = runFromCli('s390-rpcit-exhaustion', ['durationMs=1']);
  const exp = new ExperimentsDriver(page);
  await exp.app.openRuns();
  await exp.fillBisectExperiment('from a run', { runId }, { path: 'host.qemu.version', versions: '7.1, 7.2', outcome: 'dma.mapFailures' });
  await exp.createFilledExperiment();
  await expect(exp.bisectResult()).toHaveAttribute('data-state', 'not-run');
});
