// Preload (sandboxed, context-isolated): exposes window.pcilab with exactly one function per
// LabApi method, each invoking its own IPC channel, and window.pcilabDesktop with the desktop
// shell's two calls: a subscription to menu commands (each validated again here before the page
// sees it) and saving a scenario file. Nothing else of Electron reaches the page.
// Must not: expose ipcRenderer, a generic send/invoke/on, the IPC event, or Node APIs.

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { LAB_API_METHODS, ipcChannelOf } from '../../core/contract/labApi';
import {
  MENU_COMMAND_CHANNEL,
  MenuCommandSchema,
  SAVE_SCENARIO_CHANNEL,
  type DesktopShellApi,
  type MenuCommand,
  type SaveScenarioRequest,
  type SaveScenarioResult,
} from '../../core/contract/desktopShell';

const api: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
for (const method of LAB_API_METHODS) {
  const channel = ipcChannelOf(method);
  api[method] = (...args: unknown[]) => ipcRenderer.invoke(channel, ...args);
}

contextBridge.exposeInMainWorld('pcilab', Object.freeze(api));

const desktop: DesktopShellApi = {
  onMenuCommand(listener: (command: MenuCommand) => void): () => void {
    const onMessage = (_event: IpcRendererEvent, payload: unknown): void => {
      const parsed = MenuCommandSchema.safeParse(payload);
      if (parsed.success) listener(parsed.data);
    };
    ipcRenderer.on(MENU_COMMAND_CHANNEL, onMessage);
    return () => void ipcRenderer.removeListener(MENU_COMMAND_CHANNEL, onMessage);
  },
  saveScenarioFile: (request: SaveScenarioRequest) => ipcRenderer.invoke(SAVE_SCENARIO_CHANNEL, request) as Promise<SaveScenarioResult>,
};

contextBridge.exposeInMainWorld('pcilabDesktop', Object.freeze(desktop));
