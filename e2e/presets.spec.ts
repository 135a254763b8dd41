// The preset gallery: every reference reproduction with its thread and claims; run one straight
// from its card, read its claims with measured values and units, see the result back on the card,
// compare variants on the run page, and open a preset or a run in the configurator.
import { test, expect } from './labTest';
import { join } from 'node:path';
import { AppDriver, SCREENSHOT_DIR } from './appDriver';

test.afterEach(async ({ page }) => {
  await new AppDriver(page).deleteAllRuns();
});

test('run a preset from the gallery and see its claims with measured values', async ({ page }) => {
  const app = new AppDriver(page);
  await app.openRuns();
  await app.openPresets();
  expect(await app.presetCards().count()).toBeGreaterThanOrEqual(8);
  const quickstart = app.presetCard('quickstart-nvme-fio');
  await expect(quickstart).toContainText('Thread:');
  await expect(quickstart.getByTestId('preset-claim')).toHaveCount(2);
  await expect(quickstart.getByTestId('preset-last-run')).toHaveText('Not run yet in this lab.');
  await expect(app.presetCard('s390-rpcit-exhaustion')).toContainText('reference 000');

  const runId = await app.runPreset('quickstart-nvme-fio');
  await app.waitForRunStatus('completed');
  await expect(page.getByTestId('run-meta')).toContainText('quickstart-nvme-fio');
  await expect(app.claim('saturates-bandwidth')).toHaveAttribute('data-holds', 'true');
  await expect(app.claim('saturates-bandwidth').getByTestId('claim-measured')).toContainText('MB/s');
  await expect(app.claim('latency-littles-law').getByTestId('claim-measured')).toContainText(/ us$/);
  await expect(app.metric('io.bandwidthMBps')).toContainText('MB/s');
  await expect(app.metric('io.latencyP50Us')).toHaveText(/\d (us|ms)$/);
  await expect(page.getByTestId('ops')).toHaveCount(0);
  await expect(page.getByText('This run had no ops script.')).toBeVisible();
  await app.screenshot('run-page');

  await app.openPresets();
  await expect(quickstart.getByTestId('preset-last-run')).toContainText(`run ${runId}`);
  await expect(quickstart.getByTestId('preset-claim').first()).toContainText('holds');
  await app.screenshot('presets-gallery');
});

test('a preset with variants: metrics side by side, ops results, open in the configurator', async ({ page }) => {
  const app = new AppDriver(page);
  await app.openRuns();
  await app.openPresets();
  await expect(app.presetVariants('type1-unmap-semantics')).toHaveCount(2);
  await expect(app.presetVariants('type1-unmap-semantics').first()).toHaveAttribute('data-variant', 'v2');
  await expect(app.presetVariants('type1-unmap-semantics').nth(1)).toContainText('--set host.vfio.backend=type1v1');
  await expect(app.presetVariants('quickstart-nvme-fio')).toHaveCount(0);
  await app.openPresetInConfigurator('type1-unmap-semantics');
  await expect(app.draftVariants()).toHaveCount(2);
  await expect(page.getByTestId('draft-variants')).toContainText('runs the base alone');
  await app.screenshot('configurator-preset-variants');
  await app.openPresets();
  const runId = await app.runPreset('type1-unmap-semantics');
  await app.waitForRunStatus('completed');
  await expect(app.metricColumns()).toContainText(['metric', 'v2', 'v1', 'whole run', 'meaning']);
  await expect(app.metric('v1:vfio.entriesPeak')).toHaveText('1 entries');
  await expect(app.opsRows().first()).toContainText('vfio.map');
  await expect(app.opsRows().filter({ hasText: 'EINVAL' }).first()).toBeVisible();
  await expect(app.claims().first()).toContainText('holds');
  await app.screenshot('run-page-variants');

  await app.openRunInConfigurator();
  await expect(app.draftOrigin()).toHaveText(`from run ${runId} (its base scenario; the variants v2, v1 are not edited here)`);

  await app.openPresets();
  await app.openPresetInConfigurator('spapr-tce-windows');
  await expect(app.draftOrigin()).toHaveText('from preset VFIO SPAPR TCE v2: windows');
  await app.openTab('host');
  await expect(app.field('host.arch')).toHaveValue('ppc64le');
  await app.openTab('workload');
  await expect(app.field('workload.kind')).toHaveValue('ops');
  await expect(app.field('workload.steps.0.op')).toHaveValue('spapr.registerMemory');
  await app.openTab('claims');
  await expect(page.locator('#panel-claims')).toContainText('outside-enxio');
  await app.screenshot('configurator-from-preset');
});

test('explain a pasted log line: the mechanism, the limit, the preset with the line’s numbers, and the run’s memlock answer', async ({
  page,
}) => {
  const app = new AppDriver(page);
  await app.openRuns();
  await app.openPresets();
  const box = page.getByTestId('log-explain');
  await box.getByTestId('log-line-input').fill('nothing the lab knows about');
  await box.getByTestId('log-line-explain').click();
  await expect(box.getByTestId('log-line-unknown')).toContainText('No known mechanism');

  await box.getByTestId('log-line-input').fill('[ 1234.5678] vfio_pin_pages_remote: RLIMIT_MEMLOCK (65536) exceeded');
  await box.getByTestId('log-line-explain').click();
  // Most specific first: the plain RLIMIT_MEMLOCK refusal, then the same refusal with a vIOMMU and
  // several devices (one container each, field-viommu-memlock-per-device).
  const matches = box.getByTestId('log-line-match');
  await expect(matches).toHaveCount(2);
  await expect(matches.nth(1)).toHaveAttribute('data-pattern', 'memlock-per-device-container');
  const match = matches.first();
  await expect(match).toHaveAttribute('data-pattern', 'type1-rlimit-memlock');
  await expect(match.getByTestId('log-line-preset')).toContainText('field-memlock-too-small');
  await expect(match.getByTestId('log-line-numbers')).toContainText('65,536 bytes (64 KiB)');
  await expect(match).toContainText('host.vfio.memlockBytes');
  await app.screenshot('presets-explain-log-line');
  await box.screenshot({ path: join(SCREENSHOT_DIR, 'presets-explain-box.png') });

  // "Show preset" narrows the gallery to it; "Open in configurator" opens it there.
  await match.getByTestId('log-line-show-field-memlock-too-small').click();
  await expect(app.presetCards()).toHaveCount(1);
  await expect(app.presetCard('field-memlock-too-small')).toBeInViewport();
  const title = (await app.presetCard('field-memlock-too-small').getByRole('heading', { level: 2 }).textContent())!.trim();
  await match.getByTestId('log-line-open-field-memlock-too-small').click();
  await expect(page.getByTestId('new-run-form')).toBeVisible();
  await expect(app.draftOrigin()).toHaveText(`from preset ${title}`);

  // Run with the line's numbers: the run page answers what RLIMIT_MEMLOCK would have sufficed.
  await app.openPresets();
  await page.getByTestId('log-line-input').fill('vfio_pin_pages_remote: RLIMIT_MEMLOCK (65536) exceeded');
  await page.getByTestId('log-line-explain').click();
  await page.getByTestId('log-line-run-field-memlock-too-small').click();
  await app.waitForRunStatus('completed');
  const tooSmall = page.locator('[data-testid="limits"][data-variant="tooSmall"]');
  await expect(tooSmall.getByTestId('limits-row').first()).toContainText('64 KiB (65,536 bytes)');
  await expect(tooSmall.getByTestId('limits-row').first()).toContainText('4 GiB (4,294,967,296 bytes) would have sufficed');
  await page.locator('#memlock').scrollIntoViewIfNeeded();
  await tooSmall.screenshot({ path: join(SCREENSHOT_DIR, 'run-page-memlock-table.png') });
});
