// Two tools of the timeline inspector on the s390 RPCIT exhaustion run. Measuring: shift-click puts
// marker A, then B, and the distance between them shows with its unit; M puts one at the selected
// event; a third marker starts again; clear removes them. Finding: the search box steps through the
// events whose kind contains the text (or with an argument of that value), in time order, saying
// which match of how many is shown; nothing found is said.
import { callLab, test, expect } from './labTest';
import { AppDriver } from './appDriver';
import { runFromCli } from './labCli';
import { TimelineDriver } from './timelineDriver';

// Later specs (the preset gallery's "not run yet") expect an empty lab.
test.afterEach(async ({ page }) => {
  await new AppDriver(page).deleteAllRuns();
});

interface QueryAnswer {
  rows: (number | string | null)[][];
}

test('measure between two markers, then find events by kind and by argument', async ({ page }) => {
  test.setTimeout(120_000);
  const runId = runFromCli('s390-rpcit-exhaustion', []);
  const tl = new TimelineDriver(page);
  await tl.openTimeline(runId);

  // Measuring on the whole run: A at a quarter, B at three quarters of the track = half the view.
  const whole = await tl.view();
  await tl.markAt(0.25);
  expect((await tl.measure())?.text).toMatch(/^A at [\d.]+ (ns|us|ms|s): shift-click/);
  await tl.markAt(0.75);
  const measured = (await tl.measure())!;
  const half = (whole.endNs - whole.startNs) / 2;
  expect(Math.abs(measured.deltaNs! - half)).toBeLessThan(half * 0.02);
  expect(measured.text).toMatch(/^Δt = [\d.]+ (ns|us|ms|s) \(A [\d.]+ (ns|us|ms|s) → B [\d.]+ (ns|us|ms|s)\)$/);
  const [a, b] = await tl.markerTimes();
  expect(b! - a!).toBe(measured.deltaNs);

  // Finding by kind: every failed map, in time order.
  const expected = await callLab<QueryAnswer>(
    page,
    'queryRun',
    runId,
    "SELECT count(*) FROM events WHERE instr(lower(kind), 'map.failed') > 0",
  );
  const total = Number(expected.rows[0]![0]);
  expect(total).toBeGreaterThan(1);
  const first = await tl.find('map.failed');
  expect(first).toBe(`Match 1 of ${total.toLocaleString('en-US')}`);
  const e1 = (await tl.selectedEvent())!;
  expect(e1.kind).toContain('map.failed');
  expect(await tl.find('map.failed')).toBe(`Match 2 of ${total.toLocaleString('en-US')}`);
  const e2 = (await tl.selectedEvent())!;
  expect(e2.seq).not.toBe(e1.seq);
  expect(await tl.find('map.failed', -1)).toBe(`Match 1 of ${total.toLocaleString('en-US')}`);
  expect((await tl.selectedEvent())!.seq).toBe(e1.seq);

  // M puts a marker at the selected event's start: a third marker starts a new measure at A.
  await tl.press('m');
  await expect(page.getByTestId('timeline-marker')).toHaveCount(1);
  expect((await tl.measure())?.deltaNs).toBeNull();
  await page.getByTestId('clear-markers').click();
  await expect(page.getByTestId('timeline-marker')).toHaveCount(0);
  expect(await tl.measure()).toBeNull();

  // Finding by an argument's value, and nothing found.
  expect(await tl.find('ENOMEM')).toMatch(/^Match \d+ of [\d,]+$/);
  expect(await tl.find('no-such-kind-or-value')).toBe('No event matches “no-such-kind-or-value” in the variants shown.');
  await tl.screenshot('timeline-tools');
});
