// Runs made from the command line, as a user with a terminal beside the app would: `pcilab run`
// against the suite's database (PCILAB_E2E_DB, set by playwright.config.ts).
import { expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';

/** Runs `pcilab run <preset> --set ... --json` and returns the stored run's id. */
export function runFromCli(preset: string, overrides: readonly string[]): number {
  const args = ['bin/pcilab.mjs', 'run', preset, ...overrides.flatMap((o) => ['--set', o]), '--json'];
  const cli = spawnSync(process.execPath, args, { env: { ...process.env, PCILAB_DB: process.env['PCILAB_E2E_DB'] }, encoding: 'utf8' });
  expect(cli.status, cli.stderr).toBe(0);
  return (JSON.parse(cli.stdout) as { run: { id: number } }).run.id;
}
