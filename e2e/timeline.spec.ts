// An engineer explains a failure with the timeline inspector: an s390 run whose lazily flushed
// IOVAs fill the host's 65535 mappings, so RPCIT answers "insufficient resources" and a DMA map
// fails. They open its timeline, zoom and pan around, jump to the first failure, read what caused
// it, follow the chain, and look at the counters on the same time range. Then a run with variants:
// each variant on its own clock from 0, its simulated time per variant, two variants compared one
// above the other on aligned time.
import { callLab, test, expect } from './labTest';
import { AppDriver } from './appDriver';
import { runFromCli } from './labCli';
import { TimelineDriver } from './timelineDriver';

interface ApiEvent {
  seq: number;
  tNs: number;
  durNs: number;
  lane: number;
  cause: number | null;
}

interface ApiRun {
  variants: { name: string }[];
  metrics: Record<string, number>;
}

/** Failures as the inspector lists them: in the order they were decided (the end of the failing call). */
function byDecision(failures: readonly ApiEvent[]): ApiEvent[] {
  return [...failures].sort((a, b) => a.tNs + a.durNs - (b.tNs + b.durNs) || a.seq - b.seq);
}

// Later specs (the preset gallery's "not run yet") expect an empty lab.
test.afterEach(async ({ page }) => {
  await new AppDriver(page).deleteAllRuns();
});

test('jump to a failure and follow its cause chain', async ({ page }) => {
  test.setTimeout(90_000);
  const runId = runFromCli('s390-rpcit-exhaustion', []);
  const failures = byDecision(await callLab<ApiEvent[]>(page, 'listFailures', runId, 1000));
  const first = failures[0]!;
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
  expect(view.startNs).toBeLessThanOrEqual(first.tNs + first.durNs);
  expect(view.endNs - view.startNs).toBeLessThan(whole.endNs - whole.startNs);

  const chain = await tl.causeChain();
  expect(chain.length).toBeGreaterThan(1);
  // Listed at the time it was decided: after its cause.
  const firstCause = (await callLab<{ event: ApiEvent }>(page, 'getTimelineEvent', runId, first.cause)).event;
  expect(firstCause.tNs).toBeLessThanOrEqual(first.tNs + first.durNs);
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
  const guestLanes = await tl.groupLaneCount('percpu · guest');
  expect(guestLanes).toBeGreaterThan(0);
  await tl.toggleGroup('percpu · guest');
  await expect.poll(async () => (await tl.rows()).length).toBe(rows - guestLanes);

  await tl.press(']');
  await expect.poll(async () => (await tl.selectedEvent())?.failure).toBe(true);
  await expect(tl.failureItems().first()).toBeVisible();

  // A failure of another variant than the first: the counters turn to that variant.
  const summary = await callLab<{ lanes: { id: number; name: string }[] }>(page, 'getTimelineSummary', runId);
  const variantOf = (lane: number): string => summary.lanes.find((l) => l.id === lane)!.name.split('/')[0]!;
  const other = failures.find((f) => variantOf(f.lane) !== variantOf(first.lane));
  if (other !== undefined) {
    await tl
      .failureItems()
      .and(page.locator(`[data-seq="${other.seq}"]`))
      .click();
    await expect.poll(() => tl.counterVariant()).toBe(variantOf(other.lane));
    expect((await tl.counterLegend()).length).toBeGreaterThan(0);
  }

  // Past the last failure listed, "Failure ▶" says so instead of doing nothing.
  await tl.failureItems().last().click();
  await expect(page.getByTestId('event-detail')).toHaveAttribute('data-seq', String(failures[failures.length - 1]!.seq));
  await page.getByTestId('next-failure').click();
  await expect(page.getByTestId('failure-note')).toContainText('last one');
});

test('variants on their own time axes, one above the other', async ({ page }) => {
  test.setTimeout(90_000);
  const runId = runFromCli('s390-flush-queue-throughput', []);
  const run = await callLab<ApiRun>(page, 'getRun', runId);
  const names = run.variants.map((v) => v.name);
  expect(names.length).toBeGreaterThan(2);
  const perVariantNs = names.map((v) => Math.round(run.metrics[`${v}:sim.simulatedMs`]! * 1e6));

  const tl = new TimelineDriver(page);
  await tl.openTimeline(runId);
  // Each variant simulated 200 ms on its own clock: the run says so, not the sum of the variants.
  expect(new Set(perVariantNs)).toEqual(new Set([200_000_000]));
  await expect(page.getByTestId('run-simulated')).toHaveText(`200 ms in each of ${names.length} variants`);
  for (const v of names)
    await expect(page.locator(`[data-testid="variant-time"][data-variant="${v}"]`)).toHaveAttribute('data-ns', '200000000');

  // The whole-run axis spans one variant's time (plus spans still open at its end), not their sum.
  const whole = await tl.view();
  expect(whole.startNs).toBe(0);
  expect(whole.endNs).toBeGreaterThanOrEqual(200_000_000);
  expect(whole.endNs).toBeLessThan(2 * 200_000_000);

  // Lanes group by variant; hide all but two: they stand one above the other on the same axis.
  expect(await tl.shownVariants()).toEqual(names);
  const [a, b] = [names[0]!, names[names.length - 1]!];
  for (const v of names.slice(1, -1)) await tl.toggleVariant(v);
  expect(await tl.shownVariants()).toEqual([a, b]);
  const groups = (await tl.rows()).filter((r) => r.endsWith('(group)'));
  const variantOrder = groups.map((g) => g.split(' · ')[0]!);
  expect(new Set(variantOrder)).toEqual(new Set([a, b]));
  expect(variantOrder.lastIndexOf(a)).toBeLessThan(variantOrder.indexOf(b));
  expect(await tl.view()).toEqual(whole);
  await tl.screenshot('timeline-variants');

  // The last variant shown cannot be hidden; showing one again brings its lanes back.
  await tl.toggleVariant(a);
  await page.getByTestId(`variant-toggle-${b}`).click();
  expect(await tl.shownVariants()).toEqual([b]);
  await tl.toggleVariant(a);
  expect(await tl.shownVariants()).toEqual([a, b]);

  // "Failure ▶" steps only through the variants shown (or says there is none there).
  const summary = await callLab<{ lanes: { id: number; name: string }[]; failureCount: number }>(page, 'getTimelineSummary', runId);
  if (summary.failureCount === 0) {
    await expect(page.getByTestId('next-failure')).toBeDisabled();
    return;
  }
  const variantOf = (lane: number): string => summary.lanes.find((l) => l.id === lane)!.name.split('/')[0]!;
  const failures = await callLab<ApiEvent[]>(page, 'listFailures', runId, 1000);
  await page.getByTestId('next-failure').click();
  if (failures.some((f) => [a, b].includes(variantOf(f.lane)))) {
    await expect.poll(async () => (await tl.selectedEvent())?.lane.split('/')[0]).toMatch(new RegExp(`^(${a}|${b})$`));
  } else {
    await expect(page.getByTestId('failure-note')).toHaveText('No failure in the variants shown.');
  }
});
