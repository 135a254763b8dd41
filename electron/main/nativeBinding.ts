// Where the launcher puts better-sqlite3 rebuilt for Electron's ABI, so the desktop app can load
// it while Node (CLI, tests, browser host) keeps using the build in node_modules.
// Must not: build anything (the launcher does, see electron/launcher/start.ts).

import { join } from 'node:path';

export function electronNativeBindingPath(repoRoot: string, electronVersion: string): string {
  return join(repoRoot, '.electron-native', `electron-${electronVersion}`, 'better_sqlite3.node');
}
