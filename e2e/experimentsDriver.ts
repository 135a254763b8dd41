// The experiments and comparisons driver (page object): creating experiments from a preset with a
// grid, running them, opening, saving and reopening comparisons, comparing from the history, and
// exporting a run. Specs read as a user's journey; selectors live here.
import { expect, type Locator, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppDriver } from './appDriver';
import { exportDialogTo } from './labTest';

/** Where exports downloaded by the specs are kept (test artifacts). */
export const DOWNLOAD_DIR = join('test-results', 'downloads');

/** One grid axis as the form takes it: a dotted scenario path and comma-separated values. */
export interface GridAxisInput {
  readonly path: string;
  readonly values: string;
}

/** An experiment's base as the form offers it: a preset, a stored run's scenario, or the configurator's draft. */
export type ExperimentBaseInput = { readonly preset: string } | { readonly runId: number } | 'draft';

/** A version bisect as the form takes it: the version field, versions (comma-separated), outcome text, a preset's variant. */
export interface BisectInput {
  readonly path: string;
  readonly versions: string;
  readonly outcome: string;
  readonly variant?: string;
}

/** One explicit variant: a name and `path=value` overrides. */
export interface VariantInput {
  readonly name: string;
  readonly set: readonly string[];
}

export class ExperimentsDriver {
  readonly app: AppDriver;

  constructor(readonly page: Page) {
    this.app = new AppDriver(page);
  }

  // Experiments

  async openExperiments(): Promise<void> {
    await this.page.getByTestId('nav-experiments').click();
    await expect(this.page.getByRole('heading', { name: 'Experiments', exact: true })).toBeVisible();
  }

  /** Fills the form: name, a preset as base, a grid; returns the variant count the form shows live. */
  async fillGridExperiment(name: string, preset: string, grid: readonly GridAxisInput[]): Promise<number> {
    await this.openExperiments();
    await this.page.getByTestId('new-experiment').click();
    const form = this.page.getByTestId('experiment-form');
    await form.getByTestId('experiment-name').fill(name);
    await form.getByTestId('base-kind-preset').check();
    await form.getByTestId('base-preset').selectOption(preset);
    await form.getByTestId('mode-grid').check();
    for (let i = 0; i < grid.length; i++) {
      if (i > 0) await form.getByTestId('grid-add').click();
      const row = form.getByTestId('grid-row').nth(i);
      await row.getByTestId('grid-path').fill(grid[i]!.path);
      await row.getByTestId('grid-values').fill(grid[i]!.values);
    }
    const text = (await this.variantCount().textContent()) ?? '';
    return Number(/^(\d+)/.exec(text.trim())?.[1] ?? NaN);
  }

  /** Presses Create on the filled form (the lab validates every variant). */
  /** Fills the form for a version bisect on `base`; returns the version count the form shows. */
  async fillBisectExperiment(name: string, base: ExperimentBaseInput, bisect: BisectInput): Promise<number> {
    await this.openExperiments();
    await this.page.getByTestId('new-experiment').click();
    const form = this.page.getByTestId('experiment-form');
    await form.getByTestId('experiment-name').fill(name);
    if (base === 'draft') await form.getByTestId('base-kind-draft').check();
    else if ('preset' in base) {
      await form.getByTestId('base-kind-preset').check();
      await form.getByTestId('base-preset').selectOption(base.preset);
    } else {
      await form.getByTestId('base-kind-run').check();
      await form.getByTestId('base-run').selectOption(String(base.runId));
    }
    await form.getByTestId('mode-bisect').check();
    await form.getByTestId('bisect-path').fill(bisect.path);
    await form.getByTestId('bisect-versions').fill(bisect.versions);
    await form.getByTestId('bisect-outcome').fill(bisect.outcome);
    await form.getByTestId('bisect-variant').fill(bisect.variant ?? '');
    const text = (await this.variantCount().textContent()) ?? '';
    return Number(/^(\d+)/.exec(text.trim())?.[1] ?? NaN);
  }

  experimentProblems(): Locator {
    return this.page.getByTestId('experiment-problems');
  }

  async setBisectVersions(versions: string): Promise<void> {
    await this.page.getByTestId('bisect-versions').fill(versions);
  }

  bisectResult(): Locator {
    return this.page.getByTestId('bisect-result');
  }

  bisectSteps(): Locator {
    return this.page.getByTestId('bisect-step');
  }

  async startBisect(): Promise<void> {
    await this.page.getByTestId('run-all').click();
  }

  /** Waits until the bisect is done; returns the version it names. */
  async waitBisectDone(timeoutMs = 90_000): Promise<string> {
    await expect(this.bisectResult()).toHaveAttribute('data-state', 'done', { timeout: timeoutMs });
    return (await this.page.getByTestId('bisect-first-change').textContent()) ?? '';
  }

  async submitExperiment(): Promise<void> {
    await this.page.getByTestId('create-experiment').click();
  }

  /** The problems shown under grid row `index` (0-based): the form's own, or the lab's for that path. */
  gridRowProblem(index: number): Locator {
    return this.page.getByTestId('grid-row').nth(index).getByTestId('grid-row-problem');
  }

  /** Replaces the values of grid row `index`. */
  async setGridValues(index: number, values: string): Promise<void> {
    await this.page.getByTestId('grid-row').nth(index).getByTestId('grid-values').fill(values);
  }

  /** Creates an experiment of explicit variants on `base`; returns its id. */
  async createExplicitExperiment(name: string, base: ExperimentBaseInput, variants: readonly VariantInput[]): Promise<number> {
    await this.openExperiments();
    await this.page.getByTestId('new-experiment').click();
    const form = this.page.getByTestId('experiment-form');
    await form.getByTestId('experiment-name').fill(name);
    if (base === 'draft') await form.getByTestId('base-kind-draft').check();
    else if ('preset' in base) {
      await form.getByTestId('base-kind-preset').check();
      await form.getByTestId('base-preset').selectOption(base.preset);
    } else {
      await form.getByTestId('base-kind-run').check();
      await form.getByTestId('base-run').selectOption(String(base.runId));
    }
    await form.getByTestId('mode-variants').check();
    for (let i = 0; i < variants.length; i++) {
      if (i > 0) await form.getByTestId('variant-add').click();
      const draft = form.getByTestId('variant-draft').nth(i);
      await draft.getByTestId('variant-name').fill(variants[i]!.name);
      await draft.getByTestId('variant-lines').fill(variants[i]!.set.join('\n'));
    }
    await expect(this.variantCount()).toHaveText(`${variants.length} variant${variants.length === 1 ? '' : 's'}`);
    return this.createFilledExperiment();
  }

  experimentRow(name: string): Locator {
    return this.page.getByTestId('experiment-row').filter({ has: this.page.getByRole('link', { name, exact: true }) });
  }

  /** Deletes the experiment named `name` from the list, confirming (its runs stay in the history). */
  async deleteExperiment(name: string): Promise<void> {
    await this.openExperiments();
    await this.experimentRow(name).getByTestId('delete-experiment').click();
    await this.experimentRow(name).getByTestId('confirm-delete-experiment').click();
    await expect(this.experimentRow(name)).toHaveCount(0);
  }

  /** Cleans up after a spec: deletes every experiment and saved comparison through their pages (runs stay). */
  async deleteAllExperimentsAndComparisons(): Promise<void> {
    await this.app.openRuns();
    await this.openExperiments();
    await expect(this.page.getByTestId('experiment-list').or(this.page.getByTestId('no-experiments'))).toBeVisible();
    for (let left = await this.page.getByTestId('experiment-row').count(); left > 0; left--) {
      await this.page.getByTestId('delete-experiment').first().click();
      await this.page.getByTestId('confirm-delete-experiment').click();
      await expect(this.page.getByTestId('experiment-row')).toHaveCount(left - 1);
    }
    await this.openSavedComparisons();
    await expect(this.page.getByTestId('comparison-list').or(this.page.getByTestId('no-comparisons'))).toBeVisible();
    for (let left = await this.page.getByTestId('comparison-row').count(); left > 0; left--) {
      await this.page.getByTestId('delete-comparison').first().click();
      await this.page.getByTestId('confirm-delete-comparison').click();
      await expect(this.page.getByTestId('comparison-row')).toHaveCount(left - 1);
    }
  }

  variantCount(): Locator {
    return this.page.getByTestId('variant-count');
  }

  /** Creates an experiment of `preset` varied over `grid`; returns its id (from the experiment page's URL). */
  async createGridExperiment(name: string, preset: string, grid: readonly GridAxisInput[]): Promise<number> {
    await this.fillGridExperiment(name, preset, grid);
    return this.createFilledExperiment();
  }

  /** Presses Create and waits for the new experiment's page; returns its id. */
  async createFilledExperiment(): Promise<number> {
    await this.submitExperiment();
    await this.page.waitForURL(/#\/experiments\/\d+$/);
    await expect(this.page.getByTestId('experiment-page')).toBeVisible();
    return Number(/experiments\/(\d+)$/.exec(this.page.url())![1]);
  }

  variantRows(): Locator {
    return this.page.getByTestId('variant-row');
  }

  /** Starts "Run all" and sees the variants queued or running. */
  async startAll(): Promise<void> {
    await this.page.getByTestId('run-all').click();
    await expect(this.page.getByTestId('experiment-page')).toHaveAttribute('data-running', 'true');
  }

  /** A variant's live progress bar (shown while its run is active). */
  variantProgress(): Locator {
    return this.page.getByTestId('variant-list').getByTestId('run-progress');
  }

  /**
   * Watches the variant rows until every one completed, checking at each look that no row says
   * "queued" beside a progress bar that simulates; returns the most rows seen running at once.
   */
  async watchVariantsToCompletion(timeoutMs = 60_000): Promise<number> {
    let mostRunning = 0;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await this.variantRows().evaluateAll((els) =>
        els.map((el) => ({
          status: el.getAttribute('data-status'),
          phase: el.querySelector('[data-testid="run-progress"]')?.getAttribute('data-phase') ?? null,
        })),
      );
      for (const r of rows) if (r.status === 'queued') expect(r.phase, 'a queued row shows no simulating progress').not.toBe('simulating');
      mostRunning = Math.max(mostRunning, rows.filter((r) => r.status === 'running').length);
      if (rows.length > 0 && rows.every((r) => r.status === 'completed')) return mostRunning;
      if (Date.now() > deadline) throw new Error(`variants not all completed after ${timeoutMs} ms: ${JSON.stringify(rows)}`);
      await this.page.waitForTimeout(50);
    }
  }

  /** Runs all variants and waits until every one completed; returns the runs' ids in variant order. */
  async runAll(timeoutMs = 60_000): Promise<number[]> {
    await this.startAll();
    return this.waitAllCompleted(timeoutMs);
  }

  async waitAllCompleted(timeoutMs = 60_000): Promise<number[]> {
    const page = this.page.getByTestId('experiment-page');
    await expect(this.variantRows().and(this.page.locator('[data-status="completed"]'))).toHaveCount(await this.variantRows().count(), {
      timeout: timeoutMs,
    });
    await expect(page).toHaveAttribute('data-running', 'false');
    const links = await this.variantRows().getByTestId('variant-run').allTextContents();
    return links.map((t) => Number(/run (\d+)/.exec(t)![1]));
  }

  /** "Compare latest runs" on the experiment page. */
  async openComparison(): Promise<void> {
    await this.page.getByTestId('compare-latest').click();
    await this.waitForComparison();
  }

  // Comparisons

  async waitForComparison(): Promise<void> {
    await expect(this.page.getByTestId('compare-page')).toBeVisible();
  }

  comparedRunIds(): Promise<number[]> {
    return this.page.getByTestId('compared-run').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset['runId'])));
  }

  metricRow(name: string): Locator {
    return this.page.locator(`[data-testid="compare-metric-row"][data-metric="${name}"]`);
  }

  metricRows(): Locator {
    return this.page.getByTestId('compare-metric-row');
  }

  configDiffRow(path: string): Locator {
    return this.page.locator(`[data-testid="config-diff-row"][data-path="${path}"]`);
  }

  counterCharts(): Locator {
    return this.page.getByTestId('counter-chart');
  }

  onlyDifferences(): Locator {
    return this.page.getByTestId('only-differences');
  }

  async setOnlyDifferences(on: boolean): Promise<void> {
    await this.onlyDifferences().setChecked(on);
  }

  /** Chooses the counters the view shows (an empty list shows all). */
  async chooseCounters(names: readonly string[]): Promise<void> {
    const picker = this.page.getByTestId('pick-counters');
    await picker.locator('summary').click();
    const showAll = picker.getByRole('button', { name: 'Show all' });
    if (await showAll.isEnabled()) await showAll.click();
    for (const n of names) await picker.locator(`input[data-name="${n}"]`).check();
    await picker.locator('summary').click();
  }

  /** Saves the comparison on screen under `name`; returns the saved comparison's id. */
  async saveComparison(name: string): Promise<number> {
    await this.page.getByTestId('comparison-name').fill(name);
    await this.page.getByTestId('save-comparison').click();
    const saved = this.page.getByTestId('comparison-saved');
    await expect(saved).toContainText(name);
    return Number(/comparison (\d+)/.exec((await saved.textContent()) ?? '')![1]);
  }

  async openSavedComparisons(): Promise<void> {
    await this.page.getByTestId('nav-compare').click();
    await expect(this.page.getByTestId('comparisons-page')).toBeVisible();
  }

  /** Opens the saved comparison named `name` from the Compare page. */
  async reopenComparison(name: string): Promise<void> {
    await this.openSavedComparisons();
    await this.page.locator(`[data-testid="comparison-row"][data-name="${name}"]`).getByTestId('open-comparison').click();
    await this.waitForComparison();
    await expect(this.page.getByRole('heading', { name: `Comparison: ${name}` })).toBeVisible();
  }

  /** Selects runs in the history and presses "Compare selected". */
  async compareFromHistory(runIds: readonly number[]): Promise<void> {
    await this.app.openRuns();
    for (const id of runIds) await this.app.selectRun(id);
    await expect(this.page.getByTestId('compare-selected')).toHaveText(`Compare selected (${runIds.length})`);
    await this.page.getByTestId('compare-selected').click();
    await this.waitForComparison();
  }

  // Export

  /** Exports the run on screen (browser mode: a download); returns the saved file's path. */
  async exportRun(format: 'perfetto' | 'csv' | 'json' | 'bundle'): Promise<string> {
    mkdirSync(DOWNLOAD_DIR, { recursive: true });
    const button = this.page.getByTestId(`export-run-${format}`);
    // The desktop app asks where to save (answered here) and shows the saved path; the browser downloads.
    if (await exportDialogTo(this.page, resolve(DOWNLOAD_DIR))) {
      await button.click();
      const saved = this.page.getByTestId('export-saved');
      await expect(saved).toContainText(resolve(DOWNLOAD_DIR));
      return /^Saved (.+) \(/.exec((await saved.textContent()) ?? '')![1]!;
    }
    const [download] = await Promise.all([this.page.waitForEvent('download'), button.click()]);
    const path = join(DOWNLOAD_DIR, download.suggestedFilename());
    await download.saveAs(path);
    return path;
  }

  async screenshot(name: string): Promise<void> {
    await this.app.screenshot(name);
  }
}
