// A user's whole journey in one sitting, on one database: an engineer builds a scenario in the
// configurator (an x86 guest behind intel-iommu whose host allows only 1024 VFIO mappings), types
// an invalid limit and corrects it, runs it and watches progress, reads the run page (claims, key
// metrics, the DMA mode Linux forced, failures, every metric folded), opens the timeline and zooms into
// a failed VFIO map to read why it failed, runs an experiment of three limits (two variants at once,
// each with its progress) and compares them,
// exports the run to Perfetto, then reloads and finds everything still there. Screenshots of each
// screen go to test-results/screenshots/journey-*.png.
import { test, expect } from './labTest';
import { readFileSync } from 'node:fs';
import { AppDriver } from './appDriver';
import { ExperimentsDriver } from './experimentsDriver';
import { TimelineDriver } from './timelineDriver';

test.afterEach(async ({ page }) => {
  const experiments = new ExperimentsDriver(page);
  await experiments.deleteAllExperimentsAndComparisons();
  await experiments.app.deleteAllRuns();
});

test('configure, run, explain a failure, experiment, compare, export, reload', async ({ page }) => {
  test.setTimeout(240_000);
  const app = new AppDriver(page);
  const timeline = new TimelineDriver(page);
  const experiments = new ExperimentsDriver(page);

  // 1. The configurator: a mistake shown on its field, then corrected.
  await app.openRuns();
  await app.openNewRun();
  await app.setField('name', 'journey-tight-limit');
  await app.setField('durationMs', '100');
  await app.setField('vms.0.viommu.model', 'intel-iommu');
  await app.setField('workload.blockSizeBytes', '65536');
  await app.setField('host.vfio.dmaEntryLimit', '0');
  await expect(app.fieldError('host.vfio.dmaEntryLimit')).toContainText('Too small');
  await expect(app.startButton()).toBeDisabled();
  await app.screenshot('journey-1-configurator-invalid');
  await app.setField('host.vfio.dmaEntryLimit', '1024');
  await expect(app.fieldError('host.vfio.dmaEntryLimit')).toHaveCount(0);
  await app.waitValid();
  await app.screenshot('journey-2-configurator-fixed');

  // 2. Run it and watch its progress.
  const runId = await app.startRun();
  await expect(app.progress()).toBeVisible();
  await app.screenshot('journey-3-run-progress');
  await app.waitForRunStatus('completed', 60_000);
  // QEMU's intel-iommu shadowing hits the 1024-mapping limit: VFIO answers ENOSPC.
  await expect(app.metric('vfio.enospc')).toHaveText(/[1-9]/);
  await expect(app.wallTime()).not.toHaveText('not finished');
  // The run page leads with the answer: claims, key metrics, the DMA mode, the memlock and VFIO
  // entries answer, failures, the timeline; every metric below, folded.
  await expect(app.sectionHeadings()).toHaveText([
    'Claims',
    'Key metrics',
    'DMA mode',
    'Memlock & VFIO entries',
    'Failures',
    'Timeline',
    'All metrics',
    'Ops results',
    'Scenario',
  ]);
  await expect(app.keyMetric('io.iops')).toContainText('IO/s');
  // intel-iommu's caching mode: Linux runs the device strict whatever the setting, and says why.
  await expect(app.dmaMode('dma.vm0.nvme0')).toHaveAttribute('data-mode', 'strict');
  await expect(app.dmaMode('dma.vm0.nvme0')).toHaveAttribute('data-forced', 'true');
  await expect(app.dmaMode('dma.vm0.nvme0')).toContainText('IOMMU batching disallowed due to virtualization');
  await expect(app.failures().first()).toBeVisible();
  await expect(app.allMetrics()).not.toHaveAttribute('open');
  await expect(app.metric('vfio.enospc')).toBeHidden();
  await app.allMetrics().locator('summary').click();
  await expect(app.metric('vfio.enospc')).toBeVisible();
  await app.screenshot('journey-4-run-page');

  // 3. The timeline: zoom in and out, then jump to the first failure and read its cause chain.
  await timeline.openTimeline(runId);
  const whole = await timeline.view();
  // The pointer resting on a vCPU lane names what is drawn there: an event, or how many a crowded column stands for.
  await expect
    .poll(() => timeline.hoverLane('vm0.cpu0', 0.5))
    .toMatch(/^(.+ at .+, .+ long \(#\d+\)|[\d,]+ events? from .+ to .+ \(click to zoom in\))$/);
  await timeline.zoomIn(3);
  await timeline.pan(-200);
  await timeline.wholeRun();
  const failure = await timeline.jumpToNextFailure();
  expect(failure.failure).toBe(true);
  const zoomed = await timeline.view();
  expect(zoomed.endNs - zoomed.startNs).toBeLessThan(whole.endNs - whole.startNs);
  const chain = await timeline.causeChain();
  expect(chain.length).toBeGreaterThan(0);
  expect((await timeline.causeChainSeqs())[0]).toBe(failure.cause);
  await timeline.screenshot('journey-5-timeline-failure');
  const cause = await timeline.clickCauseEntry(0);
  expect(cause.seq).toBe(failure.cause);

  // 4. An experiment of three limits on this run's scenario, run with progress, then compared.
  const experimentId = await experiments.createExplicitExperiment('journey limits', { runId }, [
    { name: 'limit-1024', set: ['host.vfio.dmaEntryLimit=1024'] },
    { name: 'limit-4096', set: ['host.vfio.dmaEntryLimit=4096'] },
    { name: 'limit-65535', set: ['host.vfio.dmaEntryLimit=65535'] },
  ]);
  expect(experimentId).toBeGreaterThan(0);
  await experiments.startAll();
  await expect(experiments.variantProgress().first()).toBeVisible();
  await experiments.screenshot('journey-6-experiment');
  // Two workers (PCILAB_WORKERS=2 in the e2e lab): two variants run at once, each with its progress.
  expect(await experiments.watchVariantsToCompletion(120_000)).toBe(2);
  const variantRuns = await experiments.waitAllCompleted(120_000);
  expect(variantRuns).toHaveLength(3);
  await experiments.openComparison();
  expect(await experiments.comparedRunIds()).toEqual(variantRuns);
  await expect(experiments.metricRow('vfio.enospc')).toHaveClass(/differs/);
  await expect(experiments.configDiffRow('host.vfio.dmaEntryLimit')).toBeVisible();
  await experiments.setOnlyDifferences(true);
  await experiments.saveComparison('journey limits compared');
  await experiments.screenshot('journey-7-comparison');

  // 5. Export the first run to Perfetto: the file is a Chrome trace.
  await app.openRun(runId);
  await app.waitForRunStatus('completed');
  const tracePath = await experiments.exportRun('perfetto');
  const trace = JSON.parse(readFileSync(tracePath, 'utf8')) as { traceEvents?: unknown[] };
  expect(trace.traceEvents?.length ?? 0).toBeGreaterThan(0);

  // 6. Reload: the runs, the experiment and the saved comparison are all still there.
  await page.reload();
  await app.openRuns();
  for (const id of [runId, ...variantRuns]) await expect(app.runRow(id)).toBeVisible();
  await app.screenshot('journey-8-history');
  await experiments.openExperiments();
  await expect(experiments.experimentRow('journey limits')).toBeVisible();
  await experiments.reopenComparison('journey limits compared');
  expect(await experiments.comparedRunIds()).toEqual(variantRuns);
  await expect(experiments.onlyDifferences()).toBeChecked();
  await expect(experiments.metricRow('vfio.enospc')).toHaveClass(/differs/);
});
