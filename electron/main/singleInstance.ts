// One window per lab. A lab is its database file: the desktop app takes Electron's single-instance
// lock, which Chromium keys on the userData directory, so the default lab keeps the default
// userData and a lab opened with PCILAB_DB=<other file> gets a userData of its own under
// <userData>/labs/<hash of the file's path>. A second launch on the same lab quits at once and the
// running one brings its window forward (restored if minimized); a launch on another lab takes its
// own lock and opens its own window (two processes, two databases, nothing shared but the binary).
// Must not: open windows or databases (index.ts does).

import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * The one name of a database file however it is reached: its directory's real path (symbolic
 * links followed; the file itself may not exist yet), lower-cased where file names ignore case.
 */
export function canonicalDbPath(dbPath: string, platform: NodeJS.Platform = process.platform): string {
  const abs = resolve(dbPath);
  let dir = dirname(abs);
  try {
    dir = realpathSync(dir);
  } catch {
    // A directory that does not exist yet has no links to follow.
  }
  const path = join(dir, basename(abs));
  return platform === 'win32' || platform === 'darwin' ? path.toLowerCase() : path;
}

/** The userData directory of the lab whose database is `dbPath`. */
export function labUserDataDir(defaultUserData: string, dbPath: string, defaultDbPath: string): string {
  const db = canonicalDbPath(dbPath);
  if (db === canonicalDbPath(defaultDbPath)) return defaultUserData;
  return join(defaultUserData, 'labs', createHash('sha256').update(db).digest('hex').slice(0, 16));
}

/** The slice of BrowserWindow that bringing a window forward uses. */
export interface RevealableWindow {
  isDestroyed(): boolean;
  isMinimized(): boolean;
  restore(): void;
  show(): void;
  focus(): void;
}

/** Brings the lab's window forward; false when there is none (the caller opens one). */
export function revealWindow(win: RevealableWindow | null): boolean {
  if (win === null || win.isDestroyed()) return false;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
  return true;
}
