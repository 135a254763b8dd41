// Where the lab keeps its database by default: PCILAB_DB if set, else a file in the user's data
// directory (XDG on Linux, Application Support on macOS, APPDATA on Windows). The CLI, the browser
// host and the desktop app all use this, so a run made in one is visible in the others.
// Must not: create the file (openLabDatabase does).

import { join } from 'node:path';

export interface DataDirEnv {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: string;
  readonly home: string;
}

export const APP_DIR_NAME = 'pci-passthrough-lab';

export function defaultDatabasePath({ env, platform, home }: DataDirEnv): string {
  const override = env['PCILAB_DB'];
  if (override !== undefined && override !== '') return override;
  return join(userDataDir({ env, platform, home }), 'lab.db');
}

export function userDataDir({ env, platform, home }: DataDirEnv): string {
  if (platform === 'win32') return join(env['APPDATA'] ?? join(home, 'AppData', 'Roaming'), APP_DIR_NAME);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_DIR_NAME);
  const xdg = env['XDG_DATA_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(home, '.local', 'share'), APP_DIR_NAME);
}
