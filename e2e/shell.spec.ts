// The shell: light and dark theme (the system's by default, the user's choice remembered), the
// keyboard shortcuts and their list, and readable error and empty states.
import { navigate, test, expect } from './labTest';
import { AppDriver } from './appDriver';

test('the theme follows the system until the user picks one, and is remembered', async ({ page }) => {
  const app = new AppDriver(page);
  await page.emulateMedia({ colorScheme: 'dark' });
  await app.openRuns();
  expect(await app.theme()).toBe('dark');
  await app.screenshot('runs-dark');
  await app.toggleTheme();
  expect(await app.theme()).toBe('light');
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Runs' })).toBeVisible();
  expect(await app.theme()).toBe('light');
  await app.toggleTheme();
  await app.openNewRun();
  await app.screenshot('configurator-dark');
});

test('keyboard shortcuts move between screens and list themselves', async ({ page }) => {
  const app = new AppDriver(page);
  await app.openRuns();
  await app.press('p');
  await expect(page.getByRole('heading', { name: 'Presets', exact: true })).toBeVisible();
  await app.press('n');
  await expect(page.getByTestId('new-run-form')).toBeVisible();
  await app.field('name').focus();
  await app.press('r');
  await expect(page.getByTestId('new-run-form')).toBeVisible();
  await app.blur();
  await app.press('?');
  await expect(app.shortcutHelp()).toContainText('Everywhere');
  await expect(app.shortcutHelp()).toContainText('Configurator');
  await expect(app.shortcutHelp()).toContainText('Ctrl+Enter');
  await app.screenshot('shortcuts');
  await app.press('Escape');
  await expect(app.shortcutHelp()).toHaveCount(0);
  await app.press('r');
  await expect(page.getByRole('heading', { name: 'Runs' })).toBeVisible();
});

test('errors from the lab are shown readably, with their code', async ({ page }) => {
  const app = new AppDriver(page);
  await navigate(page, '/new?preset=no-such-preset');
  await expect(app.errorBanner()).toContainText('Opening the scenario failed');
  await expect(app.errorBanner()).toContainText('not-found');
  await expect(app.errorBanner()).toContainText('no preset named "no-such-preset"');
  await app.screenshot('error-banner');
  await app.blur();
  await app.press('Escape');
  await expect(app.errorBanner()).toHaveCount(0);

  await navigate(page, '/runs/999999');
  await expect(page.getByTestId('run-missing')).toContainText('Run 999999 is not in the lab');
  await app.screenshot('run-missing');
});
