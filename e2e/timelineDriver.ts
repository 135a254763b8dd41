// The timeline inspector's driver (page object): open a run's timeline, zoom, pan, jump to
// failures, read the selected event and its cause chain, look at the counters, measure between
// markers and find events by kind or argument. Every verb waits
// until the store's answer for the new view is drawn, so a spec reads like a user's session.
// Selectors live here; the geometry it needs (label column, axis, row height) mirrors laneLayout.ts.
import { expect, type Locator, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AppDriver, SCREENSHOT_DIR } from './appDriver';

const LABEL_WIDTH_PX = 150;
const AXIS_HEIGHT_PX = 20;
const ROW_HEIGHT_PX = 22;

export interface TimelineView {
  readonly startNs: number;
  readonly endNs: number;
}

export interface SelectedEvent {
  readonly seq: number;
  readonly kind: string;
  readonly lane: string;
  readonly failure: boolean;
  /** seq of the event recorded as its cause, or null. */
  readonly cause: number | null;
}

export class TimelineDriver {
  private readonly app: AppDriver;

  constructor(readonly page: Page) {
    this.app = new AppDriver(page);
  }

  root(): Locator {
    return this.page.getByTestId('timeline');
  }

  canvas(): Locator {
    return this.page.getByTestId('timeline-canvas');
  }

  /** Opens the run page of a completed run and waits for its timeline's first window to be drawn. */
  async openTimeline(runId: number): Promise<void> {
    await this.app.openRun(runId);
    await this.app.waitForRunStatus('completed', 45_000);
    await this.root().scrollIntoViewIfNeeded();
    await expect(this.canvas()).toBeVisible({ timeout: 15_000 });
    await this.waitForWindow();
  }

  /** The visible time window. */
  async view(): Promise<TimelineView> {
    const [start, end] = await Promise.all([this.root().getAttribute('data-view-start-ns'), this.root().getAttribute('data-view-end-ns')]);
    return { startNs: Number(start), endNs: Number(end) };
  }

  /** Waits until the window for the current view has been answered and shown; returns the answer time (ms). */
  async waitForWindow(): Promise<number> {
    await expect(this.root()).toHaveAttribute('data-pending', 'false', { timeout: 15_000 });
    const answer = this.page.getByTestId('window-answer');
    await expect(answer).not.toHaveAttribute('data-ms', '', { timeout: 15_000 });
    // The debounce may still hold the last move: wait one more quiet period and re-check.
    await this.page.waitForTimeout(60);
    await expect(this.root()).toHaveAttribute('data-pending', 'false', { timeout: 15_000 });
    return Number(await answer.getAttribute('data-ms'));
  }

  private async changeView(act: () => Promise<void>): Promise<TimelineView> {
    const before = await this.view();
    await act();
    await expect.poll(async () => JSON.stringify(await this.view())).not.toBe(JSON.stringify(before));
    await this.waitForWindow();
    return this.view();
  }

  async zoomIn(times = 1): Promise<TimelineView> {
    for (let i = 0; i < times; i++) await this.changeView(() => this.page.getByTestId('zoom-in').click());
    return this.view();
  }

  async zoomOut(times = 1): Promise<TimelineView> {
    for (let i = 0; i < times; i++) await this.changeView(() => this.page.getByTestId('zoom-out').click());
    return this.view();
  }

  /** Wheel over the track at a fraction of its width (negative deltaY zooms in around the pointer). */
  async wheel(deltaY: number, fraction = 0.5): Promise<TimelineView> {
    const box = (await this.canvas().boundingBox())!;
    await this.page.mouse.move(box.x + LABEL_WIDTH_PX + fraction * (box.width - LABEL_WIDTH_PX), box.y + AXIS_HEIGHT_PX + 5);
    return this.changeView(() => this.page.mouse.wheel(0, deltaY));
  }

  /** Drags the lanes by dxPx (positive moves the content right, i.e. shows earlier time). */
  async pan(dxPx: number): Promise<TimelineView> {
    const box = (await this.canvas().boundingBox())!;
    const x = box.x + LABEL_WIDTH_PX + (box.width - LABEL_WIDTH_PX) / 2;
    const y = box.y + AXIS_HEIGHT_PX + ROW_HEIGHT_PX / 2;
    return this.changeView(async () => {
      await this.page.mouse.move(x, y);
      await this.page.mouse.down();
      await this.page.mouse.move(x + dxPx / 2, y, { steps: 4 });
      await this.page.mouse.move(x + dxPx, y, { steps: 4 });
      await this.page.mouse.up();
    });
  }

  /** Presses a timeline key (w/s/a/d, +, -, 0, [, ]) with the focus out of any field. */
  async press(key: string): Promise<void> {
    await this.app.blur();
    await this.page.keyboard.press(key);
  }

  async wholeRun(): Promise<TimelineView> {
    await this.page.getByTestId('whole-run').click();
    await this.waitForWindow();
    return this.view();
  }

  async jumpToNextFailure(): Promise<SelectedEvent> {
    return this.jump('next-failure');
  }

  async jumpToPreviousFailure(): Promise<SelectedEvent> {
    return this.jump('prev-failure');
  }

  private async jump(button: string): Promise<SelectedEvent> {
    const before = await this.selectedSeq();
    await this.page.getByTestId(button).click();
    await expect.poll(() => this.selectedSeq()).not.toBe(before);
    await this.waitForWindow();
    const e = (await this.selectedEvent())!;
    expect(e.failure).toBe(true);
    return e;
  }

  private async selectedSeq(): Promise<number | null> {
    const detail = this.page.getByTestId('event-detail');
    if ((await detail.count()) === 0) return null;
    return Number(await detail.getAttribute('data-seq'));
  }

  /** The event shown in the side panel, or null when none is selected. */
  async selectedEvent(): Promise<SelectedEvent | null> {
    const detail = this.page.getByTestId('event-detail');
    if ((await detail.count()) === 0) return null;
    const cause = await detail.getByTestId('event-cause').getAttribute('data-cause');
    return {
      seq: Number(await detail.getAttribute('data-seq')),
      kind: (await detail.getByTestId('event-kind').textContent())!.trim(),
      lane: (await detail.getByTestId('event-lane').textContent())!.trim(),
      failure: (await detail.getAttribute('data-failure')) === 'true',
      cause: cause === '' || cause === null ? null : Number(cause),
    };
  }

  /** The selected event's cause chain as shown, nearest cause first ("#6292 rpcit ... at 100.5 ms"). */
  async causeChain(): Promise<string[]> {
    return (await this.page.getByTestId('cause-entry').allTextContents()).map((t) => t.trim());
  }

  async causeChainSeqs(): Promise<number[]> {
    const entries = this.page.getByTestId('cause-entry');
    return (await entries.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['seq']))).map(Number);
  }

  /** Clicks the index-th entry of the cause chain: the view centres on it and it becomes the selection. */
  async clickCauseEntry(index: number): Promise<SelectedEvent> {
    const entry = this.page.getByTestId('cause-entry').nth(index);
    const seq = Number(await entry.getAttribute('data-seq'));
    await entry.click();
    await expect(this.page.getByTestId('event-detail')).toHaveAttribute('data-seq', String(seq));
    await this.waitForWindow();
    return (await this.selectedEvent())!;
  }

  /** Where a lane (by name, as listed top to bottom) is drawn at a fraction of the track's width, in canvas pixels. */
  private async lanePoint(laneName: string, fraction: number): Promise<{ x: number; y: number }> {
    const names = await this.rows();
    const row = names.indexOf(laneName);
    if (row < 0) throw new Error(`no timeline lane "${laneName}" (rows: ${names.join(', ')})`);
    const box = (await this.canvas().boundingBox())!;
    return { x: LABEL_WIDTH_PX + fraction * (box.width - LABEL_WIDTH_PX), y: AXIS_HEIGHT_PX + row * ROW_HEIGHT_PX + ROW_HEIGHT_PX / 2 };
  }

  /** Clicks a lane (by name, as listed top to bottom) at a fraction of the track's width. */
  async clickLane(laneName: string, fraction: number): Promise<void> {
    await this.canvas().click({ position: await this.lanePoint(laneName, fraction) });
  }

  /** Rests the pointer on a lane at a fraction of the track's width; returns the tooltip's text (null when nothing is there). */
  async hoverLane(laneName: string, fraction: number): Promise<string | null> {
    await this.canvas().hover({ position: await this.lanePoint(laneName, fraction) });
    const tip = this.page.getByTestId('timeline-tooltip');
    return (await tip.count()) === 0 ? null : ((await tip.textContent()) ?? '').trim();
  }

  /** Shift-clicks the time axis at a fraction of the track's width: a measuring marker at that time (no event to snap to there). */
  async markAt(fraction: number): Promise<void> {
    const box = (await this.canvas().boundingBox())!;
    const before = await this.page.getByTestId('timeline-marker').count();
    await this.canvas().click({
      position: { x: LABEL_WIDTH_PX + fraction * (box.width - LABEL_WIDTH_PX), y: AXIS_HEIGHT_PX / 2 },
      modifiers: ['Shift'],
    });
    await expect(this.page.getByTestId('timeline-marker')).toHaveCount(before === 2 ? 1 : before + 1);
  }

  /** The measure between the markers as shown (text) and exactly (ns; null with fewer than two markers), or null without markers. */
  async measure(): Promise<{ text: string; deltaNs: number | null } | null> {
    const m = this.page.getByTestId('measure');
    if ((await m.count()) === 0) return null;
    const delta = await m.getAttribute('data-delta-ns');
    return { text: ((await m.textContent()) ?? '').trim(), deltaNs: delta === '' || delta === null ? null : Number(delta) };
  }

  /** The markers' times (ns), A first. */
  async markerTimes(): Promise<number[]> {
    return (await this.page.getByTestId('timeline-marker').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['tNs']))).map(
      Number,
    );
  }

  /** Finds the next (or previous) event matching `text` (kind or argument value); returns the search's status line. */
  async find(text: string, dir: 1 | -1 = 1): Promise<string> {
    await this.page.getByTestId('event-search').fill(text);
    const status = this.page.getByTestId('search-status');
    const before = (await status.count()) === 0 ? '' : await status.textContent();
    await this.page.getByTestId(dir === 1 ? 'search-next' : 'search-prev').click();
    await expect(status).toHaveAttribute('data-searching', 'false', { timeout: 20_000 });
    await expect.poll(async () => (await status.textContent()) !== before || (await this.selectedSeq()) !== null).toBe(true);
    await this.waitForWindow();
    return ((await status.textContent()) ?? '').trim();
  }

  /** The timeline's rows top to bottom: group headers as "<group> (group)", then lane names. */
  async rows(): Promise<string[]> {
    return (await this.page.getByTestId('timeline-lanes').locator('li').allTextContents()).map((t) => t.trim());
  }

  async filterLanes(text: string): Promise<void> {
    await this.page.getByTestId('lane-filter').fill(text);
  }

  /** Collapses or expands a component group with its toggle ("guest", "percpu · guest"). */
  async toggleGroup(key: string): Promise<void> {
    const toggles = this.page.getByTestId('group-toggles');
    await toggles.evaluate((el) => ((el as HTMLDetailsElement).open = true));
    await toggles.getByTestId(`group-toggle-${key}`).click();
  }

  /** How many lane rows a group holds in the rows list (its lanes follow its header). */
  async groupLaneCount(key: string): Promise<number> {
    const rows = await this.rows();
    const at = rows.indexOf(`${key} (group)`);
    expect(at, `group ${key} is in the rows`).toBeGreaterThanOrEqual(0);
    let n = 0;
    for (let i = at + 1; i < rows.length && !rows[i]!.endsWith('(group)'); i++) n++;
    return n;
  }

  /** Shows or hides a variant's lanes with its button; resolves once the rows changed. */
  async toggleVariant(name: string): Promise<void> {
    const before = (await this.rows()).join('|');
    await this.page.getByTestId(`variant-toggle-${name}`).click();
    await expect.poll(async () => (await this.rows()).join('|')).not.toBe(before);
  }

  /** The variants whose buttons are pressed (shown). */
  async shownVariants(): Promise<string[]> {
    const buttons = this.page.getByTestId('variant-toggles').locator('button[aria-pressed="true"]');
    return (await buttons.allTextContents()).map((t) => t.trim());
  }

  /** The variant the counters under the timeline follow. */
  async counterVariant(): Promise<string | null> {
    return this.page.getByTestId('counter-chart').getAttribute('data-variant');
  }

  failureItems(): Locator {
    return this.page.getByTestId('failure-item');
  }

  /** The counters chart (uPlot) under the timeline. */
  counterPlot(): Locator {
    return this.page.getByTestId('counter-plot');
  }

  /** The legend labels of the plotted counter series ("vfio.entries (entries)"). */
  async counterLegend(): Promise<string[]> {
    return (await this.counterPlot().locator('.u-legend .u-series .u-label').allTextContents()).map((t) => t.trim());
  }

  /** Drags across the counters chart between two fractions of its width: the timeline zooms to that range. */
  async selectCounterRange(from: number, to: number): Promise<TimelineView> {
    const over = this.counterPlot().locator('.u-over');
    await over.scrollIntoViewIfNeeded();
    const box = (await over.boundingBox())!;
    const y = box.y + box.height / 2;
    return this.changeView(async () => {
      await this.page.mouse.move(box.x + from * box.width, y);
      await this.page.mouse.down();
      await this.page.mouse.move(box.x + ((from + to) / 2) * box.width, y, { steps: 3 });
      await this.page.mouse.move(box.x + to * box.width, y, { steps: 3 });
      await this.page.mouse.up();
    });
  }

  /** Saves the timeline section (not the whole page), drawn, as test-results/screenshots/<name>.png. */
  async screenshot(name: string): Promise<void> {
    await this.waitForWindow();
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    // The shell's sticky top bar would cover the section's top once it is scrolled into view (the
    // CSP refuses an injected stylesheet, so hide it through the element's style for the shot).
    const topbar = this.page.locator('nav.topbar');
    await topbar.evaluate((el) => ((el as HTMLElement).style.visibility = 'hidden'));
    await this.root().screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
    await topbar.evaluate((el) => ((el as HTMLElement).style.visibility = ''));
  }
}
