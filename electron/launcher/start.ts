// `npm start`: open the desktop app. Fetches Electron's binary on first start when it is missing
// (npm install skips Electron's download on purpose, see package.json allowScripts), builds
// better-sqlite3 for Electron's ABI into .electron-native/ (Node keeps its own build), then builds
// the app with electron-vite and opens it. When any step cannot work here it prints one line that
// says why and points to `npm run serve`.
// Must not: change node_modules/better-sqlite3 (the CLI and the tests use it with Node).

import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronNativeBindingPath } from '../main/nativeBinding';
import { cannotStartLine, electronBinaryReady, electronRebuildArgs } from './launchPlan';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const DOWNLOAD_TIMEOUT_MS = 180_000;

function fail(reason: string): never {
  console.error(cannotStartLine(reason));
  process.exit(1);
}

function electronDir(): string {
  return dirname(require.resolve('electron/package.json'));
}

function installState(): { pathTxt: string | null; binaryExists: boolean } {
  const dir = electronDir();
  const pathFile = join(dir, 'path.txt');
  const pathTxt = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : null;
  return { pathTxt, binaryExists: pathTxt !== null && existsSync(join(dir, 'dist', pathTxt.trim())) };
}

function ensureElectronBinary(): void {
  if (electronBinaryReady(installState())) return;
  console.error('Electron binary missing: downloading it (first start only)...');
  const r = spawnSync(process.execPath, [join(electronDir(), 'install.js')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: DOWNLOAD_TIMEOUT_MS,
    encoding: 'utf8',
  });
  if (r.status !== 0 || !electronBinaryReady(installState())) {
    const why = r.error?.message ?? (r.stderr.split('\n').find((l) => l.trim() !== '') || `exit code ${r.status}`);
    fail(`Electron's binary could not be downloaded: ${why}`);
  }
}

function ensureElectronSqlite(electronVersion: string): void {
  const target = electronNativeBindingPath(root, electronVersion);
  if (existsSync(target)) return;
  console.error(`Building better-sqlite3 for Electron ${electronVersion} (first start only, about a minute)...`);
  const work = join(root, '.electron-native', 'build-better-sqlite3');
  rmSync(work, { recursive: true, force: true });
  cpSync(dirname(require.resolve('better-sqlite3/package.json')), work, {
    recursive: true,
    filter: (src) => !src.includes(`${'/'}build${'/'}`),
  });
  const gyp = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const gypCmd = existsSync(gyp) ? [process.execPath, gyp] : ['npx', '--yes', 'node-gyp'];
  const r = spawnSync(gypCmd[0]!, [...gypCmd.slice(1), ...electronRebuildArgs(electronVersion)], { cwd: work, stdio: 'inherit' });
  const built = join(work, 'build', 'Release', 'better_sqlite3.node');
  if (r.status !== 0 || !existsSync(built)) fail('better-sqlite3 could not be rebuilt for Electron (see README, "Desktop app")');
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(built, target);
  rmSync(work, { recursive: true, force: true });
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function main(): void {
  ensureElectronBinary();
  const electronVersion = (JSON.parse(readFileSync(join(electronDir(), 'package.json'), 'utf8')) as { version: string }).version;
  ensureElectronSqlite(electronVersion);
  const bin = join(root, 'node_modules', '.bin', 'electron-vite');
  run(bin, ['build']);
  run(bin, ['preview', '--skipBuild']);
}

main();
