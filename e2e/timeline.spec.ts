// An engineer explains a failure with the timeline inspector: an s390 run whose lazily flushed
// IOVAs fill the host's 65535 mappings, so RPCIT answers "insufficient resources" and a DMA map
// fails. They open its timeline, zoom and pan around, jump to the first failure, read what caused
// it, follow the chain, and look at the counters on the same time range.
import { callLab, test, expect } from './labTest';
import { AppDriver } from './appDriver';
import { runFromCli } from './labCli';
import { TimelineDriver } from './timelineDriver';

interface ApiEvent {
  seq: number;
  tNs: number;
  cause: number | null;
}

// Later specs (the preset gallery's "not run yet") expect an empty lab.
test.afterEach(async ({ page }) => {
  await new AppDriver(page).deleteAllRuns();
});

test('jump to a failure and follow its cause chain', async ({ page }) => {
  test.setTimeout(90_000);
  const runId = runFromCli('s390-rpcit-exhaustion', []);
  const first = (await callLab<ApiEvent[]>(page, 'listFailures', runId, 10))[0]!;
  expect(first.cause, 'the first failure has a recorded cause').not.toBeNull();

  const tl = new TimelineDriver(page);
  await tl.openTimeline(runId);
  await expect(page.getByTestId('timeline-summary')).toContainText('failures');
  const whole = await tl.view();
  expect(whole.startNs).toBe(0);

  const zoomed = await tl.zoomIn(3);
  expect(zoomed.endNs - zoomed.startNs).toBeLessThan((whole.endNs - whole.startNs) / 7);
  const wheeled = await tl.wheel(-300, 0.25);
  expect(wheeled.endNs - wheeled.startNs).toBeLessThan(zoomed.endNs - zoomed.startNs);
  const out = await tl.zoomOut(2);
  expect(out.endNs - out.startNs).toBeGreaterThan(wheeled.endNs - wheeled.startNs);
  const panned = await tl.pan(-200);
  expect(panned.startNs).toBeGreaterThan(out.startNs);
  await tl.press('0');
  await expect.poll(() => tl.view()).toEqual(whole);

  const failure = await tl.jumpToNextFailure();
  expect(failure.seq).toBe(first.seq);
  expect(failure.cause).toBe(first.cause);
  const view = await tl.view();
  expect(view.startNs).toBeLessThanOrEqual(first.tNs);
  expect(view.endNs - view.startNs).toBeLessThan(whole.endNs - whole.startNs);

  const chain = await tl.causeChain();
  expect(chain.length).toBeGreaterThan(1);
  expect((await tl.causeChainSeqs())[0]).toBe(first.cause);
  expect(chain[0]).toContain(`#${first.cause}`);
  await expect(tl.counterPlot().locator('canvas').first()).toBeVisible();
  expect((await tl.counterLegend()).some((l) => /\(.+\)/.test(l))).toBe(true);
  await tl.screenshot('timeline-failure');

  const cause = await tl.clickCauseEntry(0);
  expect(cause.seq).toBe(first.cause);
  const causeEvent = (await callLab<{ event: ApiEvent }>(page, 'getTimelineEvent', runId, first.cause)).event;
  const around = await tl.view();
  expect(around.startNs).toBeLessThanOrEqual(causeEvent.tNs);
  expect(around.endNs).toBeGreaterThanOrEqual(causeEvent.tNs);

  const before = await tl.view();
  const chartZoom = await tl.selectCounterRange(0.25, 0.5);
  expect(chartZoom.endNs - chartZoom.startNs).toBeLessThan((before.endNs - before.startNs) / 2);
  expect(chartZoom.startNs).toBeGreaterThan(before.startNs);

  await tl.filterLanes('cpu0');
  await expect.poll(() => tl.rows()).toContain('vm0.cpu0');
  expect((await tl.rows()).filter((r) => !r.endsWith('(group)')).every((r) => r.includes('cpu0'))).toBe(true);
  await tl.filterLanes('');
  const rows = (await tl.rows()).length;
  await tl.toggleGroup('percpu · guest');
  await expect.poll(async () => (await tl.rows()).length).toBe(rows - 4);

  await tl.press(']');
  await expect.poll(async () => (await tl.selectedEvent())?.failure).toBe(true);
  await expect(tl.failureItems().first()).toBeVisible();
});
