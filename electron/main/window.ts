// The lab window: context isolation, sandbox, no node integration, our preload only; navigation
// away from our page and new windows are denied, and external links open nowhere.
// Must not: relax webPreferences; a need for more goes through the typed IPC API.

import { BrowserWindow } from 'electron';
import { isTrustedFrameUrl } from './senderCheck';

export interface LabWindowOptions {
  readonly preloadPath: string;
  readonly pageUrl: string;
}

export function createLabWindow(options: LabWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    show: false,
    title: 'PCI Passthrough Lab',
    webPreferences: {
      preload: options.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event, url) => {
    if (!isTrustedFrameUrl(url, { pageUrl: options.pageUrl })) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  win.once('ready-to-show', () => win.show());
  void win.loadURL(options.pageUrl);
  return win;
}
