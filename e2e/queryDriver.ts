// The query page's driver (page object): open it (from a run page or the navigation), pick an
// example or type SQL, run it and read the answer (status line, columns, rows, the refusal), follow
// a row's "Show on timeline", and save, run and delete saved queries.
// Selectors live here; specs read like a user's session.
import { expect, type Locator, type Page } from '@playwright/test';
import { AppDriver } from './appDriver';

export interface QueryAnswer {
  readonly status: string;
  readonly truncated: boolean;
  readonly columns: string[];
  readonly rows: string[][];
}

export class QueryDriver {
  readonly app: AppDriver;

  constructor(readonly page: Page) {
    this.app = new AppDriver(page);
  }

  /** Opens a completed run's page and follows its "query in SQL" link: the run is preselected. */
  async openFromRun(runId: number): Promise<void> {
    await this.app.openRun(runId);
    await this.app.waitForRunStatus('completed', 45_000);
    await this.page.getByTestId('query-this-run').click();
    await expect(this.page.getByTestId('query-page')).toBeVisible();
    await expect(this.page.getByTestId('query-run')).toHaveValue(String(runId));
    await expect(this.page.getByTestId('query-reference')).toBeVisible();
  }

  async openFromNav(): Promise<void> {
    await this.page.getByTestId('nav-query').click();
    await expect(this.page.getByTestId('query-page')).toBeVisible();
  }

  async useExample(titleStart: string): Promise<void> {
    await this.page.locator(`[data-testid="query-example"][data-title^="${titleStart}"]`).click();
  }

  async setSql(sql: string): Promise<void> {
    await this.page.getByTestId('query-sql').fill(sql);
  }

  sql(): Locator {
    return this.page.getByTestId('query-sql');
  }

  /** Presses Run and waits for the answer (a result or a refusal). */
  async run(): Promise<void> {
    await this.page.getByTestId('query-run-button').click();
    await this.waitForAnswer();
  }

  async waitForAnswer(): Promise<void> {
    await expect(this.page.getByTestId('query-run-button')).toHaveText('Run', { timeout: 20_000 });
    await expect(this.page.getByTestId('query-status').or(this.page.getByTestId('query-error'))).toBeVisible();
  }

  async answer(): Promise<QueryAnswer> {
    const status = this.page.getByTestId('query-status');
    const table = this.page.getByTestId('query-results');
    const columns = (await table.locator('thead th').allTextContents()).map((t) => t.trim());
    const rows = await table
      .getByTestId('query-row')
      .evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => (td.textContent ?? '').trim())));
    return {
      status: ((await status.textContent()) ?? '').trim(),
      truncated: (await status.getAttribute('data-truncated')) === 'true',
      columns,
      rows,
    };
  }

  /** The refusal shown instead of a result: its kind (query, time-limit, other) and text. */
  async problem(): Promise<{ kind: string; text: string }> {
    const box = this.page.getByTestId('query-error');
    await expect(box).toBeVisible();
    return { kind: (await box.getAttribute('data-kind')) ?? '', text: ((await box.textContent()) ?? '').trim() };
  }

  /** Clicks the index-th row's "Show on timeline"; returns the event id it points at. */
  async showOnTimeline(index: number): Promise<number> {
    const link = this.page.getByTestId('show-on-timeline').nth(index);
    const seq = Number(await link.getAttribute('data-seq'));
    await link.click();
    return seq;
  }

  async save(name: string): Promise<void> {
    await this.page.getByTestId('query-name').fill(name);
    await this.page.getByTestId('save-query').click();
    await expect(this.savedQuery(name)).toBeVisible();
  }

  savedQuery(name: string): Locator {
    return this.page.locator(`[data-testid="saved-query"][data-name="${name}"]`);
  }

  async runSaved(name: string): Promise<void> {
    await this.savedQuery(name).getByTestId('run-saved-query').click();
    await this.waitForAnswer();
  }

  async deleteSaved(name: string): Promise<void> {
    const row = this.savedQuery(name);
    await row.getByTestId('delete-saved-query').click();
    await row.getByTestId('confirm-delete-saved-query').click();
    await expect(row).toHaveCount(0);
  }
}
