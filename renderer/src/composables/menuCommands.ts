// The desktop menu's commands, on the renderer side: which route each "Go" destination opens, the
// dispatch of a command to its handler (a switch over the command union, exhaustive), and the
// subscription to the preload's one menu-command channel. In browser mode there is no bridge and
// nothing subscribes.
// Must not: touch stores or the router (useMenuCommands.ts wires the handlers).

import type { DesktopShellApi, MenuCommand } from '../../../core/contract/desktopShell';

type Destination = Extract<MenuCommand, { kind: 'navigate' }>['to'];

export const MENU_ROUTES: Readonly<Record<Destination, string>> = {
  runs: '/',
  new: '/new',
  presets: '/presets',
  experiments: '/experiments',
  compare: '/compare',
  query: '/query',
};

export interface MenuCommandHandlers {
  navigate(path: string): void | Promise<void>;
  importScenario(fileName: string, text: string): void | Promise<void>;
  exportScenario(format: 'json' | 'yaml'): void | Promise<void>;
  importRun(fileName: string, dataBase64: string): void | Promise<void>;
  importTrace(fileName: string, text: string): void | Promise<void>;
  exportRun(runId: number, format: 'perfetto' | 'csv' | 'json' | 'bundle'): void | Promise<void>;
  toggleTheme(): void;
  showShortcuts(): void;
}

export function dispatchMenuCommand(command: MenuCommand, handlers: MenuCommandHandlers): void | Promise<void> {
  switch (command.kind) {
    case 'navigate':
      return handlers.navigate(MENU_ROUTES[command.to]);
    case 'import-scenario':
      return handlers.importScenario(command.fileName, command.text);
    case 'export-scenario':
      return handlers.exportScenario(command.format);
    case 'import-run':
      return handlers.importRun(command.fileName, command.dataBase64);
    case 'import-trace':
      return handlers.importTrace(command.fileName, command.text);
    case 'export-run':
      return handlers.exportRun(command.runId, command.format);
    case 'toggle-theme':
      return handlers.toggleTheme();
    case 'show-shortcuts':
      return handlers.showShortcuts();
    default: {
      const never: never = command;
      throw new Error(`unknown menu command ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Routes every command from `bridge` to `handlers`; a handler that fails (or rejects) goes to
 * `onError` with the command. Returns the unsubscribe function (a no-op without a bridge).
 */
export function subscribeMenuCommands(
  bridge: Pick<DesktopShellApi, 'onMenuCommand'> | undefined,
  handlers: MenuCommandHandlers,
  onError: (command: MenuCommand, err: unknown) => void,
): () => void {
  if (bridge === undefined) return () => undefined;
  return bridge.onMenuCommand((command) => {
    try {
      void Promise.resolve(dispatchMenuCommand(command, handlers)).catch((err: unknown) => onError(command, err));
    } catch (err) {
      onError(command, err);
    }
  });
}
