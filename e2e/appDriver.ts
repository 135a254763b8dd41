// The app driver (page object): every spec talks to the lab through these verbs, so selectors
// live in one place and specs read like a user's journey.
import { expect, type Locator, type Page } from '@playwright/test';

export class AppDriver {
  constructor(readonly page: Page) {}

  async openRuns(): Promise<void> {
    await this.page.goto('/#/');
    await expect(this.page.getByRole('heading', { name: 'Runs' })).toBeVisible();
  }

  async openNewRun(): Promise<void> {
    await this.page.getByTestId('nav-new').click();
    await expect(this.page.getByTestId('new-run-form')).toBeVisible();
    await expect(this.field('name')).not.toHaveValue('');
  }

  field(key: string): Locator {
    return this.page.getByTestId(`field-${key}`);
  }

  async setField(key: string, value: string): Promise<void> {
    await this.field(key).fill(value);
  }

  fieldError(key: string): Locator {
    return this.page.getByTestId(`error-${key}`);
  }

  startButton(): Locator {
    return this.page.getByTestId('start-run');
  }

  /** Starts the run and returns its id, read from the run page's URL. */
  async startRun(): Promise<number> {
    await this.startButton().click();
    await this.page.waitForURL(/#\/runs\/\d+$/);
    return Number(/runs\/(\d+)$/.exec(this.page.url())![1]);
  }

  async waitForRunStatus(status: string, timeoutMs = 30_000): Promise<void> {
    await expect(this.page.getByTestId('run-status')).toHaveText(status, { timeout: timeoutMs });
  }

  progress(): Locator {
    return this.page.getByTestId('run-progress');
  }

  claims(): Locator {
    return this.page.getByTestId('claim');
  }

  metric(name: string): Locator {
    return this.page.locator(`[data-metric="${name}"]`);
  }

  async timelineEventCount(): Promise<number> {
    const text = (await this.page.getByTestId('timeline-count').textContent()) ?? '';
    return Number(/^(\d+)/.exec(text)?.[1] ?? 0);
  }

  /** Row of the lane named `name` in the timeline, top to bottom. */
  async laneIndex(name: string): Promise<number> {
    const names = await this.page.getByTestId('timeline-lanes').locator('li').allTextContents();
    const index = names.indexOf(name);
    if (index < 0) throw new Error(`no timeline lane "${name}" (lanes: ${names.join(', ')})`);
    return index;
  }

  /** Clicks the timeline where an event is drawn: the given lane row, at the given fraction of the track. */
  async clickTimeline(fraction: number, laneIndex = 0): Promise<void> {
    const canvas = this.page.getByTestId('timeline-canvas');
    const box = (await canvas.boundingBox())!;
    const labelWidth = 150;
    await canvas.click({ position: { x: labelWidth + fraction * (box.width - labelWidth), y: 20 + laneIndex * 22 + 11 } });
  }

  eventDetail(): Locator {
    return this.page.getByTestId('event-detail');
  }

  runRow(runId: number): Locator {
    return this.page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
  }

  async screenshot(name: string, path: string): Promise<void> {
    await this.page.screenshot({ path, fullPage: true });
    void name;
  }
}
