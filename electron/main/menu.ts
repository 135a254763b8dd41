// The application menu in Electron: builds menuTemplate.ts's data and rebuilds it when the lab
// window's route changes (Export run exists only while a run is open). Commands go to the lab
// window through the one validated channel; Import scenario, Import run and Import trace open the
// native open dialog here (main reads the picked file and sends its content).
// Must not: run lab operations; the renderer asks the service.

import { type BrowserWindow, Menu, dialog } from 'electron';
import { appMenuTemplate, openRunIdOf, type MenuState } from './menuTemplate';
import { sendMenuCommand } from './menuChannel';
import { nodeScenarioFileSystem, readScenarioFile, SCENARIO_FILTERS } from './scenarioFiles';
import { BUNDLE_FILTERS, readRunBundleFile, readTraceFile, TRACE_FILTERS, type ReadImportOutcome } from './importFiles';

export interface AppMenuOptions {
  readonly isDev: boolean;
  /** The lab window (one per lab), or null while none is open. */
  readonly labWindow: () => BrowserWindow | null;
}

async function importScenario(win: BrowserWindow | null): Promise<void> {
  if (win === null) return;
  const options: Electron.OpenDialogOptions = { title: 'Import scenario', properties: ['openFile'], filters: SCENARIO_FILTERS };
  const picked = await dialog.showOpenDialog(win, options);
  const path = picked.filePaths[0];
  if (picked.canceled || path === undefined) return;
  const outcome = await readScenarioFile(path, nodeScenarioFileSystem);
  if (outcome.ok) sendMenuCommand(win.webContents, outcome.command);
  else await dialog.showMessageBox(win, { type: 'error', title: 'Import scenario', message: outcome.message });
}

/** File > Import run / Import trace: the open dialog, main reads the picked file, the renderer asks the lab. */
async function importFile(
  win: BrowserWindow | null,
  title: string,
  filters: Electron.FileFilter[],
  read: (path: string) => Promise<ReadImportOutcome>,
): Promise<void> {
  if (win === null) return;
  const picked = await dialog.showOpenDialog(win, { title, properties: ['openFile'], filters });
  const path = picked.filePaths[0];
  if (picked.canceled || path === undefined) return;
  const outcome = await read(path);
  if (outcome.ok) sendMenuCommand(win.webContents, outcome.command);
  else await dialog.showMessageBox(win, { type: 'error', title, message: outcome.message });
}

/** Installs the menu; returns the function to call when the window's URL changes. */
export function installAppMenu(options: AppMenuOptions): (url: string) => void {
  let openRunId: number | null = null;
  const build = (): void => {
    const state: MenuState = { platform: process.platform, isDev: options.isDev, openRunId };
    const template = appMenuTemplate(state, {
      send: (command) => void sendMenuCommand(options.labWindow()?.webContents ?? null, command),
      importScenario: () => void importScenario(options.labWindow()),
      importRun: () => void importFile(options.labWindow(), 'Import run', BUNDLE_FILTERS, (p) => readRunBundleFile(p)),
      importTrace: () => void importFile(options.labWindow(), 'Import trace', TRACE_FILTERS, (p) => readTraceFile(p)),
    });
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
  };
  build();
  return (url) => {
    const next = openRunIdOf(url);
    if (next === openRunId) return;
    openRunId = next;
    build();
  };
}
