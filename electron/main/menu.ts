// The application menu: the standard roles plus the lab's own entries, which drive the renderer
// through its routes (the renderer listens for nothing else).
// Must not: run lab operations directly; the renderer asks the service.

import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';

export function buildAppMenu(getWindow: () => BrowserWindow | null, newWindow: () => void): Menu {
  const go = (hash: string) => () => {
    const win = getWindow();
    if (win) void win.webContents.executeJavaScript(`location.hash = ${JSON.stringify(hash)}`);
  };
  const template: MenuItemConstructorOptions[] = [
    {
      label: 'Lab',
      submenu: [
        { label: 'New run', accelerator: 'CmdOrCtrl+N', click: go('#/new') },
        { label: 'Runs', accelerator: 'CmdOrCtrl+R', click: go('#/') },
        { label: 'New window', accelerator: 'CmdOrCtrl+Shift+N', click: newWindow },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}
