// Preload (sandboxed, context-isolated): exposes window.pcilab with exactly one function per
// LabApi method, each invoking its own IPC channel. Nothing else of Electron reaches the page.
// Must not: expose ipcRenderer, a generic send/invoke, or Node APIs.

import { contextBridge, ipcRenderer } from 'electron';
import { LAB_API_METHODS, ipcChannelOf } from '../../core/contract/labApi';

const api: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
for (const method of LAB_API_METHODS) {
  const channel = ipcChannelOf(method);
  api[method] = (...args: unknown[]) => ipcRenderer.invoke(channel, ...args);
}

contextBridge.exposeInMainWorld('pcilab', Object.freeze(api));
