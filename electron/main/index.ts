// Desktop entry: one lab per process and one window per lab (singleInstance.ts), one lab service,
// IPC registered once, the application menu. The page comes from app:// (appProtocol.ts; the dev
// server only in an unpackaged app, rendererSource.ts), every permission is denied
// (sessionSecurity.ts) and every web contents hardened (window.ts). Simulations and bundle imports run in worker
// threads (the service's run queue), never on this thread, and run queries in a utility process
// built beside this file (out/main/runQueryChild.js; not a fork, which needs the RunAsNode fuse a
// packaged app has off); a broken
// environment at start (the database) is one error box and exit 1.
// Must not: open the database with the Node ABI build when an Electron build is present.

import { app, BrowserWindow, dialog, ipcMain, protocol, session, utilityProcess } from 'electron';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import createRunWorker from '../service/runWorker?nodeWorker';
import createRunPreparer from '../service/runPreparerWorker?nodeWorker';
import createBundleImporter from '../service/runBundleImportWorker?nodeWorker';
import { LabService } from '../service/labService';
import { defaultDatabasePath } from '../service/dataDir';
import { registerDesktopIpc, registerLabIpc, type InvokeEventLike } from './ipc';
import { isTrustedFrameUrl } from './senderCheck';
import { createLabWindow, hardenWebContents, type WebContentsLike } from './window';
import { handleAppProtocol, registerAppScheme } from './appProtocol';
import { rendererSource } from './rendererSource';
import { denyAllPermissions } from './sessionSecurity';
import { installAppMenu } from './menu';
import { electronNativeBindingPath } from './nativeBinding';
import { askWhereToSaveDownloads, saveDialogExportHandler } from './exportDialog';
import { labUserDataDir, revealWindow } from './singleInstance';
import { nodeScenarioFileSystem, saveScenarioFile, SCENARIO_FILTERS } from './scenarioFiles';
import { runConcurrency } from '../service/runConcurrency';
import { queryProcessSpawner } from '../service/queryProcess';

const { pageUrl, isDev } = rendererSource({ isPackaged: app.isPackaged, devUrl: process.env['ELECTRON_RENDERER_URL'] });
const rendererDir = join(import.meta.dirname, '../renderer');
const preloadPath = join(import.meta.dirname, '../preload/index.cjs');
const dataDirEnv = { env: process.env, platform: process.platform, home: homedir() };
const dbPath = defaultDatabasePath(dataDirEnv);
let labWindow: BrowserWindow | null = null;
let onRouteChange: (url: string) => void = () => undefined;

function isTrustedSender(event: InvokeEventLike): boolean {
  const frame = event.senderFrame;
  if (frame === null || frame.parent !== null) return false;
  const ownWindow = labWindow !== null && !labWindow.isDestroyed() && labWindow.webContents.id === event.sender.id;
  return ownWindow && isTrustedFrameUrl(frame.url, { pageUrl });
}

function openWindow(): void {
  if (revealWindow(labWindow)) return;
  const win = createLabWindow(BrowserWindow, { preloadPath, pageUrl });
  labWindow = win;
  win.webContents.on('did-navigate-in-page', (_e, url) => onRouteChange(url));
  win.webContents.on('did-navigate', (_e, url) => onRouteChange(url));
  win.on('closed', () => {
    if (labWindow === win) labWindow = null;
    onRouteChange('');
  });
}

async function pickSavePath(defaultName: string): Promise<string | null> {
  const options: Electron.SaveDialogOptions = { title: 'Export scenario', defaultPath: defaultName, filters: SCENARIO_FILTERS };
  const picked = labWindow === null ? await dialog.showSaveDialog(options) : await dialog.showSaveDialog(labWindow, options);
  return picked.canceled || picked.filePath === undefined || picked.filePath === '' ? null : picked.filePath;
}

async function start(): Promise<void> {
  await app.whenReady();
  denyAllPermissions(session.defaultSession);
  handleAppProtocol(protocol, rendererDir);
  const binding = electronNativeBindingPath(join(import.meta.dirname, '../..'), process.versions.electron ?? '');
  let service: LabService;
  const pool = runConcurrency(process.env);
  if (pool.problem !== null) console.error(`pcilab: ${pool.problem}`);
  try {
    service = new LabService({
      dbPath,
      spawnWorker: (workerData) => createRunWorker({ workerData }),
      spawnPreparer: () => createRunPreparer({}),
      spawnImporter: (workerData) => createBundleImporter({ workerData }),
      warmWorkers: true,
      concurrency: pool.workers,
      // A utility process runs Electron's Node, so the Electron build of the native binding applies.
      spawnQuery: queryProcessSpawner(
        { versions: process.versions, utilityFork: (path, args, options) => utilityProcess.fork(path, args, options) },
        { path: join(import.meta.dirname, 'runQueryChild.js'), execArgv: [] },
      ),
      version: app.getVersion(),
      exportHandler: saveDialogExportHandler(),
      ...(existsSync(binding) ? { nativeBinding: binding } : {}),
    });
  } catch (err) {
    // A broken environment (read-only location, not a database, newer schema): say so, exit 1.
    dialog.showErrorBox('PCI Passthrough Lab cannot open its lab', err instanceof Error ? err.message : String(err));
    app.exit(1);
    return;
  }
  askWhereToSaveDownloads(session.defaultSession);
  registerLabIpc(ipcMain as unknown as Parameters<typeof registerLabIpc>[0], service, isTrustedSender);
  registerDesktopIpc(
    ipcMain as unknown as Parameters<typeof registerDesktopIpc>[0],
    (_event, request) => saveScenarioFile(request, pickSavePath, nodeScenarioFileSystem),
    isTrustedSender,
  );
  app.setAboutPanelOptions({
    applicationName: 'PCI Passthrough Lab',
    applicationVersion: app.getVersion(),
    credits: `Lab database: ${dbPath}`,
  });
  onRouteChange = installAppMenu({ isDev, labWindow: () => labWindow });
  openWindow();
  app.on('second-instance', openWindow);
  app.on('activate', openWindow);
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => service.close());
}

app.on('web-contents-created', (_e, contents) => hardenWebContents(contents as unknown as WebContentsLike, pageUrl));
registerAppScheme(protocol);

// The lock is per userData directory: give another lab (PCILAB_DB) its own, then take the lock
// before anything else; a second launch on the same lab hands over to the running one and quits.
const defaultUserData = app.getPath('userData');
app.setPath(
  'userData',
  labUserDataDir(defaultUserData, dbPath, defaultDatabasePath({ ...dataDirEnv, env: { ...process.env, PCILAB_DB: '' } })),
);
if (app.requestSingleInstanceLock({ dbPath })) void start();
else app.quit();
