// The app driver (page object): every spec talks to the lab through these verbs, so selectors
// live in one place and specs read like a user's journey. Configurator fields are addressed by
// their scenario path ("vms.0.vcpus"); the short names the walking skeleton used still work.
import { expect, type Download, type Locator, type Page } from '@playwright/test';
import { exportDialogTo, navigate } from './labTest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where every spec's screenshots of the screens go (test artifacts, under Playwright's outputDir). */
export const SCREENSHOT_DIR = join('test-results', 'screenshots');

/** Short names of the first configurator's fields, kept for the skeleton spec. */
const FIELD_ALIASES: Readonly<Record<string, string>> = {
  vcpus: 'vms.0.vcpus',
  numjobs: 'workload.numjobs',
  iodepth: 'workload.iodepth',
  blockSizeBytes: 'workload.blockSizeBytes',
};

/** The configurator tab that shows a path. */
function tabOf(path: string): string {
  const top = path.split('.')[0]!;
  return ['host', 'vms', 'workload', 'faults', 'costs', 'claims'].includes(top) ? top : 'general';
}

export class AppDriver {
  constructor(readonly page: Page) {}

  // Shell

  async openRuns(): Promise<void> {
    await navigate(this.page, '/');
    await expect(this.page.getByRole('heading', { name: 'Runs' })).toBeVisible();
  }

  async openPresets(): Promise<void> {
    await this.page.getByTestId('nav-presets').click();
    await expect(this.page.getByRole('heading', { name: 'Presets', exact: true })).toBeVisible();
    await expect(this.presetCards().first()).toBeVisible();
  }

  /** Takes the focus out of any field, so single-key shortcuts apply. */
  async blur(): Promise<void> {
    await this.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  }

  async press(keys: string): Promise<void> {
    await this.page.keyboard.press(keys);
  }

  shortcutHelp(): Locator {
    return this.page.getByTestId('shortcut-help');
  }

  async toggleTheme(): Promise<void> {
    await this.page.getByTestId('theme-toggle').click();
  }

  async theme(): Promise<string | undefined> {
    return this.page.evaluate(() => document.documentElement.dataset['theme']);
  }

  errorBanner(): Locator {
    return this.page.getByTestId('error-banner');
  }

  // Configurator

  async openNewRun(): Promise<void> {
    await this.page.getByTestId('nav-new').click();
    await expect(this.page.getByTestId('new-run-form')).toBeVisible();
    await expect(this.field('name')).not.toHaveValue('');
  }

  async openTab(section: string): Promise<void> {
    await this.page.getByTestId(`tab-${section}`).click();
    await expect(this.page.getByTestId(`tab-${section}`)).toHaveAttribute('aria-selected', 'true');
  }

  field(key: string): Locator {
    return this.page.getByTestId(`field-${FIELD_ALIASES[key] ?? key}`);
  }

  /** Types (or, for a select, chooses) a value, opening the field's tab and group first. */
  async setField(key: string, value: string): Promise<void> {
    const path = FIELD_ALIASES[key] ?? key;
    await this.openTab(tabOf(path));
    const field = this.field(path);
    await this.openGroupsAround(field);
    const tag = await field.evaluate((el) => el.tagName);
    if (tag === 'SELECT') await field.selectOption(value);
    else await field.fill(value);
  }

  /** Opens the collapsed groups (<details>) that hold a field. */
  private async openGroupsAround(field: Locator): Promise<void> {
    await field.evaluate((el) => {
      for (let d = el.closest('details'); d !== null; d = d.parentElement?.closest('details') ?? null) d.open = true;
    });
  }

  fieldError(key: string): Locator {
    return this.page.getByTestId(`error-${FIELD_ALIASES[key] ?? key}`);
  }

  /** The "default ... (source)" line under a field. */
  fieldDefault(key: string): Locator {
    return this.page.locator(`[data-field="${FIELD_ALIASES[key] ?? key}"]`).getByTestId('field-default');
  }

  problems(): Locator {
    return this.page.getByTestId('problem');
  }

  validationStatus(): Locator {
    return this.page.getByTestId('validation-status');
  }

  async waitValid(): Promise<void> {
    await expect(this.validationStatus()).toHaveText(/valid/, { timeout: 10_000 });
    await expect(this.startButton()).toBeEnabled();
  }

  startButton(): Locator {
    return this.page.getByTestId('start-run');
  }

  /** Starts the run and returns its id, read from the run page's URL. */
  async startRun(): Promise<number> {
    await expect(this.startButton()).toBeEnabled({ timeout: 10_000 });
    await this.startButton().click();
    return this.runIdFromUrl();
  }

  /** Starts the run with Ctrl+Enter from wherever the focus is. */
  async startRunWithKeyboard(): Promise<number> {
    await this.waitValid();
    await this.press('Control+Enter');
    return this.runIdFromUrl();
  }

  private async runIdFromUrl(): Promise<number> {
    await this.page.waitForURL(/#\/runs\/\d+$/);
    return Number(/runs\/(\d+)$/.exec(this.page.url())![1]);
  }

  draftOrigin(): Locator {
    return this.page.getByTestId('draft-origin');
  }

  /** The op names the step editor offers for step `step` (datalist options, layer by layer). */
  opChoices(step: number): Locator {
    return this.page.locator(`#ops-${step} option`);
  }

  /** The layer and summary of step `step`'s op (or the list of layers while the name is unknown). */
  opSummary(step: number): Locator {
    return this.page.getByTestId(`step-${step}`).getByTestId('op-summary');
  }

  /** The host section's platform note: hypervisors of the chosen arch and its defaults with their source. */
  platformHint(): Locator {
    return this.page.getByTestId('platform-hint');
  }

  /** The variants of the preset the draft was opened from, as the configurator lists them. */
  draftVariants(): Locator {
    return this.page.getByTestId('draft-variants').getByTestId('preset-variant');
  }

  async importScenario(fileName: string, text: string): Promise<void> {
    await this.page.getByTestId('import-file').setInputFiles({ name: fileName, mimeType: 'text/plain', buffer: Buffer.from(text) });
    await expect(this.draftOrigin()).toHaveText(`from file ${fileName}`);
  }

  /** Exports the scenario and returns the downloaded file's name and text. */
  async exportScenario(format: 'json' | 'yaml'): Promise<{ fileName: string; text: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'pcilab-export-'));
    if (await exportDialogTo(this.page, dir)) {
      await this.page.getByTestId(`export-${format}`).click();
      await expect.poll(() => readdirSync(dir).filter((f) => !f.endsWith('.crdownload')).length).toBe(1);
      const fileName = readdirSync(dir)[0]!;
      return { fileName, text: readFileSync(join(dir, fileName), 'utf8') };
    }
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByTestId(`export-${format}`).click()]);
    return { fileName: download.suggestedFilename(), text: await readDownload(download) };
  }

  async loadPresetInConfigurator(presetId: string): Promise<void> {
    await this.page.getByTestId('load-preset-select').selectOption(presetId);
    await this.page.getByTestId('load-preset').click();
  }

  // Presets

  presetCards(): Locator {
    return this.page.getByTestId('preset-card');
  }

  presetCard(id: string): Locator {
    return this.page.locator(`[data-testid="preset-card"][data-preset="${id}"]`);
  }

  /** The variants a preset's card lists (name, description, --set lines). */
  presetVariants(id: string): Locator {
    return this.presetCard(id).getByTestId('preset-variant');
  }

  async runPreset(id: string): Promise<number> {
    await this.page.getByTestId(`run-preset-${id}`).click();
    return this.runIdFromUrl();
  }

  async openPresetInConfigurator(id: string): Promise<void> {
    await this.page.getByTestId(`open-preset-${id}`).click();
    await expect(this.page.getByTestId('new-run-form')).toBeVisible();
  }

  // Run page

  async openRun(runId: number): Promise<void> {
    await navigate(this.page, `/runs/${runId}`);
  }

  async waitForRunStatus(status: string, timeoutMs = 30_000): Promise<void> {
    await expect(this.page.getByTestId('run-status')).toHaveText(status, { timeout: timeoutMs });
  }

  progress(): Locator {
    return this.page.getByTestId('run-progress');
  }

  async cancelRun(): Promise<void> {
    await this.page.getByTestId('cancel-run').first().click();
  }

  claims(): Locator {
    return this.page.getByTestId('claim');
  }

  claim(id: string): Locator {
    return this.page.locator(`[data-testid="claim"][data-claim="${id}"]`);
  }

  metric(name: string): Locator {
    return this.page.locator(`[data-metric="${name}"]`);
  }

  /** A cell of the run page's key metrics (the table it leads with). */
  keyMetric(name: string): Locator {
    return this.page.locator(`[data-key-metric="${name}"]`);
  }

  /** The folded table of every metric (a <details>). */
  allMetrics(): Locator {
    return this.page.getByTestId('all-metrics');
  }

  /** The run page's wall time line. */
  wallTime(): Locator {
    return this.page.getByTestId('run-wall-time');
  }

  /** The DMA mode row of a domain lane ("intelStrict/dma.vm0.nvme0", "dma.vm0.nvme0"). */
  dmaMode(lane: string): Locator {
    return this.page.locator(`[data-testid="dma-mode"][data-lane="${lane}"]`);
  }

  /** The run page's list of failures (the first ones of the timeline). */
  failures(): Locator {
    return this.page.getByTestId('failure');
  }

  /** The run page's section headings, in page order. */
  sectionHeadings(): Locator {
    return this.page.getByTestId('run-page').locator('h2');
  }

  metricColumns(): Locator {
    return this.page.getByTestId('metrics').locator('thead th');
  }

  opsRows(): Locator {
    return this.page.getByTestId('op-row');
  }

  async openRunInConfigurator(): Promise<void> {
    await this.page.getByTestId('open-in-configurator').click();
    await expect(this.page.getByTestId('new-run-form')).toBeVisible();
  }

  async timelineEventCount(): Promise<number> {
    const text = (await this.page.getByTestId('timeline-count').textContent()) ?? '';
    // The count is grouped ("7,725 events"): take the leading number with its separators.
    return Number((/^([\d,]+)/.exec(text)?.[1] ?? '0').replace(/,/g, ''));
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

  // History

  runRow(runId: number): Locator {
    return this.page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
  }

  runRows(): Locator {
    return this.page.getByTestId('run-row');
  }

  async filterRuns(text: string, status = ''): Promise<void> {
    await this.page.getByTestId('run-filter').fill(text);
    await this.page.getByTestId('status-filter').selectOption(status);
  }

  async sortRuns(order: 'newest' | 'oldest'): Promise<void> {
    await this.page.getByTestId('sort-order').selectOption(order);
  }

  async selectRun(runId: number): Promise<void> {
    await this.page.getByTestId(`select-run-${runId}`).check();
  }

  /** Deletes the selected runs: asks, then confirms (or keeps them with Escape). */
  async deleteSelected(confirm: boolean): Promise<void> {
    await this.page.getByTestId('delete-selected').click();
    await expect(this.page.getByTestId('confirm-delete')).toBeVisible();
    if (confirm) await this.page.getByTestId('confirm-delete-yes').click();
    else await this.press('Escape');
    await expect(this.page.getByTestId('confirm-delete')).toHaveCount(0);
  }

  /** Cleans up after a spec through the history: waits for active runs to end, then deletes every run. */
  async deleteAllRuns(): Promise<void> {
    await this.openRuns();
    await this.filterRuns('');
    const list = this.page.getByTestId('run-list');
    await expect(list.or(this.page.getByTestId('no-runs'))).toBeVisible();
    if (!(await list.isVisible())) return;
    // A spec that failed midway may leave a long run going: cancel what is still active.
    const active = list.locator('td.status-running, td.status-queued');
    for (let i = 0; i < 20 && (await active.count()) > 0; i++) {
      const cancel = list.getByTestId('cancel-run');
      if ((await cancel.count()) > 0) await cancel.first().click();
      await this.page.waitForTimeout(300);
    }
    await expect(active).toHaveCount(0, { timeout: 45_000 });
    await this.page.getByTestId('select-all').check();
    await this.deleteSelected(true);
    await expect(this.page.getByTestId('no-runs')).toBeVisible();
  }

  /** Saves a full-page screenshot as test-results/screenshots/<name>.png (and at `path` when given). */
  async screenshot(name: string, path?: string): Promise<void> {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await this.page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
    if (path !== undefined) await this.page.screenshot({ path, fullPage: true });
  }
}

async function readDownload(download: Download): Promise<string> {
  const stream = await download.createReadStream();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
