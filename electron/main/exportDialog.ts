// File dialogs of the desktop app. exportRun: a save dialog (parented to the focused lab window)
// picks the file, then the service streams the export into it. Scenario files from the menu go
// through scenarioFiles.ts; the configurator's own Import/Export buttons use <input type=file> (a
// native open dialog) and a download, for which the save dialog below is shown.
// Must not: write anything but the file the user picked.

import { BrowserWindow, dialog, type Session } from 'electron';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { ExportFormat } from '../../core/contract/export';
import { streamSink, type ExportHandler } from '../service/runExport';

const FILTERS: Readonly<Record<ExportFormat, Electron.FileFilter>> = {
  perfetto: { name: 'Perfetto / Chrome trace (JSON)', extensions: ['json'] },
  csv: { name: 'CSV', extensions: ['csv'] },
  json: { name: 'JSON', extensions: ['json'] },
  bundle: { name: "Portable run bundle (gzip'd JSON lines)", extensions: ['gz'] },
};

export function saveDialogExportHandler(): ExportHandler {
  return async (request, write) => {
    const options: Electron.SaveDialogOptions = { title: 'Export run', defaultPath: request.fileName, filters: [FILTERS[request.format]] };
    const win = BrowserWindow.getFocusedWindow();
    const picked = win === null ? await dialog.showSaveDialog(options) : await dialog.showSaveDialog(win, options);
    if (picked.canceled || picked.filePath === undefined || picked.filePath === '') return { kind: 'cancelled' };
    const file = createWriteStream(picked.filePath);
    try {
      const bytes = await write(streamSink(file));
      file.end();
      await once(file, 'finish');
      return { kind: 'saved', path: picked.filePath, bytes };
    } catch (err) {
      file.destroy();
      throw err;
    }
  };
}

/** Downloads the renderer starts (a scenario file it saves) ask where to save them. */
export function askWhereToSaveDownloads(session: Session): void {
  session.on('will-download', (_event, item) => {
    item.setSaveDialogOptions({ title: 'Save', defaultPath: item.getFilename() });
  });
}
