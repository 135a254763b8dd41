// The inspector's promise at scale: a ~10-million-event run is stored, opened, zoomed over several
// decades and panned without the page stalling. The page measures itself: long tasks
// (PerformanceObserver 'longtask'), gaps between animation frames, and each window's answer time
// (request to parsed, as the status line shows it); the figures are printed. The spec takes about
// a minute (half of it storing the run through the CLI); PCILAB_E2E_LARGE=0 leaves it out.
import type { Page } from '@playwright/test';
import { callLab, test, expect } from './labTest';
import { AppDriver } from './appDriver';
import { runFromCli } from './labCli';
import { TimelineDriver } from './timelineDriver';

/** quickstart-nvme-fio records ~2.56 M timeline events per simulated second. */
const DURATION_MS = 3910;
const TARGET_EVENTS = 10_000_000;
const LONG_TASK_LIMIT_MS = 200;

interface PagePerf {
  /** [startTime, duration] of each long task, ms. */
  longTasks: [number, number][];
  /** [time, gap] of each gap between animation frames longer than 50 ms. */
  frameGaps: [number, number][];
}

declare global {
  interface Window {
    __timelinePerf?: PagePerf;
  }
}

/** Starts recording long tasks and frame gaps in the page (from the next navigation on). */
async function recordPerf(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const perf: PagePerf = { longTasks: [], frameGaps: [] };
    window.__timelinePerf = perf;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) perf.longTasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
    let last = performance.now();
    const tick = (now: number): void => {
      if (now - last > 50) perf.frameGaps.push([now, now - last]);
      last = now;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

async function pageNow(page: Page): Promise<number> {
  return page.evaluate(() => performance.now());
}

/** The longest long task and frame gap that started at or after `sinceMs` (page time). */
async function worstSince(page: Page, sinceMs: number): Promise<{ longTasks: number; longestTaskMs: number; maxFrameGapMs: number }> {
  // Observer callbacks are delivered asynchronously: give the last ones a frame to arrive.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
  const perf = await page.evaluate(() => window.__timelinePerf!);
  const tasks = perf.longTasks.filter(([start]) => start >= sinceMs).map(([, d]) => d);
  const gaps = perf.frameGaps.filter(([t, gap]) => t - gap >= sinceMs).map(([, gap]) => gap);
  return { longTasks: tasks.length, longestTaskMs: Math.round(Math.max(0, ...tasks)), maxFrameGapMs: Math.round(Math.max(0, ...gaps)) };
}

// Later specs (the preset gallery's "not run yet") expect an empty lab.
test.afterEach(async ({ page }) => {
  await new AppDriver(page).deleteAllRuns();
});

test('a 10-million-event run opens, zooms over decades and pans without stalling', async ({ page }) => {
  test.skip(process.env['PCILAB_E2E_LARGE'] === '0', 'PCILAB_E2E_LARGE=0: the ~10M-event run (about a minute) is left out');
  test.setTimeout(300_000);
  const created = Date.now();
  const runId = runFromCli('quickstart-nvme-fio', [`durationMs=${DURATION_MS}`, 'name="10M events"']);
  const storeMs = Date.now() - created;
  const summary = await callLab<{ eventCount: number }>(page, 'getTimelineSummary', runId);
  expect(summary.eventCount).toBeGreaterThan(TARGET_EVENTS * 0.97);

  await recordPerf(page);
  const tl = new TimelineDriver(page);
  const opened = Date.now();
  await tl.openTimeline(runId);
  const openMs = Date.now() - opened;
  const pageLoad = await worstSince(page, 0);
  // From here on only the timeline works: the run page's own first render is not counted.
  const since = await pageNow(page);
  const answers: number[] = [await tl.waitForWindow()];

  // Zoom in step by step from the whole run (3.9 s) to about a microsecond: 22 halvings.
  for (let i = 0; i < 22; i++) answers.push((await tl.zoomIn(1), await tl.waitForWindow()));
  // Pan there by drag and by keys.
  await tl.pan(-300);
  answers.push(await tl.waitForWindow());
  for (const key of ['d', 'd', 'a', 'ArrowRight']) await tl.press(key);
  answers.push(await tl.waitForWindow());
  // Spin the wheel out quickly, as a user does, without waiting between notches.
  for (let i = 0; i < 12; i++) await page.mouse.wheel(0, 400);
  answers.push(await tl.waitForWindow());
  // Mid-range: pan by drags at ~1 ms, then back to the whole run with the key.
  await tl.press('0');
  answers.push(await tl.waitForWindow());
  for (let i = 0; i < 12; i++) await tl.press('w');
  answers.push(await tl.waitForWindow());
  for (let i = 0; i < 3; i++) answers.push((await tl.pan(250), await tl.waitForWindow()));
  await tl.zoomOut(12);
  answers.push(await tl.waitForWindow());

  const browsing = await worstSince(page, since);
  const sorted = [...answers].sort((a, b) => a - b);
  const figures = {
    events: summary.eventCount,
    storeRunS: +(storeMs / 1000).toFixed(1),
    openTimelineMs: openMs,
    windows: answers.length,
    windowAnswerMedianMs: sorted[Math.floor(sorted.length / 2)],
    windowAnswerMaxMs: sorted[sorted.length - 1],
    ...browsing,
    pageLoadLongestTaskMs: pageLoad.longestTaskMs,
  };
  console.log(`10M-event timeline: ${JSON.stringify(figures)}`);
  expect(browsing.longestTaskMs).toBeLessThan(LONG_TASK_LIMIT_MS);
  expect(pageLoad.longestTaskMs).toBeLessThan(LONG_TASK_LIMIT_MS);
});
