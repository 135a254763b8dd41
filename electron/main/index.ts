// Desktop entry: one lab service for the app, windows that show the renderer, IPC registered once.
// Simulations run in worker threads (the service's run queue), never on this thread.
// Must not: open the database with the Node ABI build when an Electron build is present.

import { app, BrowserWindow, ipcMain, Menu, session } from 'electron';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import createRunWorker from '../service/runWorker?nodeWorker';
import { LabService } from '../service/labService';
import { defaultDatabasePath } from '../service/dataDir';
import { registerLabIpc, type InvokeEventLike } from './ipc';
import { isTrustedFrameUrl } from './senderCheck';
import { createLabWindow } from './window';
import { buildAppMenu } from './menu';
import { electronNativeBindingPath } from './nativeBinding';
import { askWhereToSaveDownloads, saveDialogExportHandler } from './exportDialog';

const rendererDevUrl = process.env['ELECTRON_RENDERER_URL'];
const pageUrl = rendererDevUrl ?? pathToFileURL(join(import.meta.dirname, '../renderer/index.html')).href;
const preloadPath = join(import.meta.dirname, '../preload/index.cjs');
const windows = new Set<BrowserWindow>();

function isTrustedSender(event: InvokeEventLike): boolean {
  const frame = event.senderFrame;
  if (frame === null || frame.parent !== null) return false;
  const ownWindow = [...windows].some((w) => w.webContents.id === event.sender.id);
  return ownWindow && isTrustedFrameUrl(frame.url, { pageUrl });
}

function openWindow(): void {
  const win = createLabWindow({ preloadPath, pageUrl });
  windows.add(win);
  win.on('closed', () => windows.delete(win));
}

async function start(): Promise<void> {
  await app.whenReady();
  const binding = electronNativeBindingPath(join(import.meta.dirname, '../..'), process.versions.electron ?? '');
  const service = new LabService({
    dbPath: defaultDatabasePath({ env: process.env, platform: process.platform, home: homedir() }),
    spawnWorker: (workerData) => createRunWorker({ workerData }),
    version: app.getVersion(),
    exportHandler: saveDialogExportHandler(),
    ...(existsSync(binding) ? { nativeBinding: binding } : {}),
  });
  askWhereToSaveDownloads(session.defaultSession);
  registerLabIpc(ipcMain as unknown as Parameters<typeof registerLabIpc>[0], service, isTrustedSender);
  Menu.setApplicationMenu(buildAppMenu(() => BrowserWindow.getFocusedWindow(), openWindow));
  openWindow();
  app.on('activate', () => {
    if (windows.size === 0) openWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => service.close());
}

app.on('web-contents-created', (_e, contents) => {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

void start();
