// Registers one IPC handler per LabApi method, and the desktop shell's save-scenario call. Each call checks its sender (a top-level frame of
// one of our windows showing our page) before its arguments are validated and dispatched, and refuses arguments larger than the browser
// bridge's body limit (1 MiB as JSON; the two imports, which carry a file, 40 MiB: core/contract/imports.ts), so a page cannot make the
// main process validate megabytes of scenario on its only thread (saving a scenario file keeps its own limit: the scenario file size,
// checked by its schema).
// Must not: expose a generic "call any method" channel.

import { LAB_API_METHODS, ipcChannelOf, type LabApi, type LabApiResponse } from '../../core/contract/labApi';
import { SAVE_SCENARIO_CHANNEL, type SaveScenarioResult } from '../../core/contract/desktopShell';
import { API_MAX_ARGS_BYTES, maxArgsBytesOf } from '../../core/contract/imports';
import { dispatchLabCall } from '../service/apiDispatch';

/** Largest IPC call, as JSON: the browser bridge's request body limit (MAX_BODY_BYTES in electron/serve/httpBridge.ts). */
export const MAX_IPC_ARGS_BYTES = API_MAX_ARGS_BYTES;

/** Why `args` may not be dispatched (larger than MAX_IPC_ARGS_BYTES as JSON, or not JSON at all), or null. */
export function oversizedArguments(method: string, args: readonly unknown[]): string | null {
  let bytes: number;
  try {
    // Electron has already copied the arguments into this process; measuring them costs as much again, once.
    bytes = Buffer.byteLength(JSON.stringify(args) ?? '', 'utf8');
  } catch {
    return `IPC ${method} refused: arguments cannot be read as JSON (too deeply nested or cyclic)`;
  }
  const limit = maxArgsBytesOf(method);
  if (bytes <= limit) return null;
  const why = limit === MAX_IPC_ARGS_BYTES ? 'scenarios are far smaller' : 'import larger files with the pcilab command line';
  return `IPC ${method} refused: arguments are ${bytes.toLocaleString('en-US')} bytes as JSON, more than the ${limit / 1024 / 1024} MiB limit; ${why}`;
}

/** The slice of Electron's IpcMainInvokeEvent the check reads. */
export interface InvokeEventLike {
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
  readonly sender: { readonly id: number };
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export type SenderCheck = (event: InvokeEventLike) => boolean;

export function registerLabIpc(ipc: IpcMainLike, service: LabApi, isTrustedSender: SenderCheck): () => void {
  for (const method of LAB_API_METHODS) {
    ipc.handle(ipcChannelOf(method), async (event, ...args): Promise<LabApiResponse<unknown>> => {
      if (!isTrustedSender(event)) {
        return { ok: false, error: { code: 'invalid-argument', message: `IPC ${method} refused: unknown sender` } };
      }
      const oversized = oversizedArguments(method, args);
      if (oversized !== null) return { ok: false, error: { code: 'invalid-argument', message: oversized } };
      return dispatchLabCall(service, method, args);
    });
  }
  return () => {
    for (const method of LAB_API_METHODS) ipc.removeHandler(ipcChannelOf(method));
  };
}

/** The desktop shell's one renderer -> main call (saving a scenario file), sender checked like the API. */
export function registerDesktopIpc(
  ipc: IpcMainLike,
  saveScenarioFile: (event: InvokeEventLike, request: unknown) => Promise<SaveScenarioResult>,
  isTrustedSender: SenderCheck,
): () => void {
  ipc.handle(SAVE_SCENARIO_CHANNEL, async (event, request): Promise<SaveScenarioResult> => {
    if (!isTrustedSender(event)) return { kind: 'failed', message: 'save refused: unknown sender' };
    return saveScenarioFile(event, request);
  });
  return () => ipc.removeHandler(SAVE_SCENARIO_CHANNEL);
}
