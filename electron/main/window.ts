// The lab window: context isolation, sandbox, no node integration, our preload only, the page from
// app:// (or the dev server while developing). Every web contents of the app is hardened the same
// way: new windows, webviews, navigation, redirects and frame navigation away from our page are
// denied.
// Must not: relax webPreferences, or import electron's runtime (index.ts passes the constructor in,
// tests pass fakes); a need for more goes through the typed IPC API.

import type { BrowserWindowConstructorOptions } from 'electron';
import { isTrustedFrameUrl } from './senderCheck';

export interface LabWindowOptions {
  readonly preloadPath: string;
  readonly pageUrl: string;
}

/** An event a handler can cancel (Electron's navigation events carry the target URL on it). */
export interface CancellableNavigation {
  readonly url: string;
  readonly isMainFrame?: boolean;
  preventDefault(): void;
}

/** The slice of Electron's WebContents hardened here. */
export interface WebContentsLike {
  setWindowOpenHandler(handler: () => { action: 'deny' }): void;
  on(
    event: 'will-navigate' | 'will-redirect' | 'will-frame-navigate' | 'will-attach-webview',
    listener: (event: CancellableNavigation) => void,
  ): unknown;
}

export interface BrowserWindowLike {
  readonly webContents: WebContentsLike;
  once(event: 'ready-to-show', listener: () => void): unknown;
  show(): void;
  loadURL(url: string): Promise<void>;
}

export const LAB_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false,
} as const;

/**
 * Denies, for one web contents: new windows, webviews, and any navigation, redirect or frame
 * navigation that does not stay on our page (a subframe may not navigate at all: the lab has none).
 */
export function hardenWebContents(contents: WebContentsLike, pageUrl: string): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  const staysOnPage = (event: CancellableNavigation): void => {
    if (!isTrustedFrameUrl(event.url, { pageUrl })) event.preventDefault();
  };
  contents.on('will-navigate', staysOnPage);
  contents.on('will-redirect', staysOnPage);
  contents.on('will-frame-navigate', (event) => {
    if (event.isMainFrame !== true || !isTrustedFrameUrl(event.url, { pageUrl })) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export function createLabWindow<W extends BrowserWindowLike>(
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => W,
  options: LabWindowOptions,
): W {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    show: false,
    title: 'PCI Passthrough Lab',
    webPreferences: { preload: options.preloadPath, ...LAB_WEB_PREFERENCES },
  });
  hardenWebContents(win.webContents, options.pageUrl);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(options.pageUrl);
  return win;
}
