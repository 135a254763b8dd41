// The application menu as plain data (Electron's MenuItemConstructorOptions, built without
// Electron so it can be tested): File (import/export scenario files, import a run bundle or a
// trace, export the open run, quit),
// Go (the shell's screens), Edit, View (theme; reload and devtools in development only), Window,
// Help (shortcuts, about). Lab entries either send the renderer a MenuCommand or ask main to
// open the import dialog; nothing here runs a lab operation.
// Must not: import Electron at run time (menu.ts builds the menu from this).

import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../../core/contract/desktopShell';

export interface MenuState {
  readonly platform: NodeJS.Platform;
  /** Development build (dev server): reload and devtools are offered. */
  readonly isDev: boolean;
  /** The run the focused window shows, or null: "Export run" exists only with one. */
  readonly openRunId: number | null;
}

export interface MenuActions {
  /** Sends a command to the focused lab window's renderer. */
  readonly send: (command: MenuCommand) => void;
  /** Opens the native open dialog for a scenario file (main reads it, then sends import-scenario). */
  readonly importScenario: () => void;
  /** ... for a run bundle (main reads it, then sends import-run). */
  readonly importRun: () => void;
  /** ... for a trace (main reads and unpacks it, then sends import-trace). */
  readonly importTrace: () => void;
}

const GO: readonly { label: string; to: Extract<MenuCommand, { kind: 'navigate' }>['to']; accelerator: string }[] = [
  { label: 'Runs', to: 'runs', accelerator: 'CmdOrCtrl+1' },
  { label: 'New run', to: 'new', accelerator: 'CmdOrCtrl+N' },
  { label: 'Presets', to: 'presets', accelerator: 'CmdOrCtrl+2' },
  { label: 'Experiments', to: 'experiments', accelerator: 'CmdOrCtrl+3' },
  { label: 'Compare', to: 'compare', accelerator: 'CmdOrCtrl+4' },
  { label: 'Query', to: 'query', accelerator: 'CmdOrCtrl+5' },
];

const RUN_FORMATS: readonly { label: string; format: Extract<MenuCommand, { kind: 'export-run' }>['format'] }[] = [
  { label: 'Perfetto trace (JSON)…', format: 'perfetto' },
  { label: 'Metrics and counters (CSV)…', format: 'csv' },
  { label: 'Everything (JSON)…', format: 'json' },
  { label: 'Portable run bundle (to import into another lab)…', format: 'bundle' },
];

function fileMenu(state: MenuState, actions: MenuActions): MenuItemConstructorOptions {
  const runId = state.openRunId;
  const exportRun: MenuItemConstructorOptions[] =
    runId === null
      ? []
      : [
          { type: 'separator' },
          {
            label: `Export run ${runId}`,
            id: 'export-run',
            submenu: RUN_FORMATS.map((f) => ({
              label: f.label,
              click: () => actions.send({ kind: 'export-run', runId, format: f.format }),
            })),
          },
        ];
  return {
    label: 'File',
    submenu: [
      { label: 'Import scenario…', id: 'import-scenario', accelerator: 'CmdOrCtrl+O', click: () => actions.importScenario() },
      { label: 'Import run…', id: 'import-run', click: () => actions.importRun() },
      { label: 'Import trace…', id: 'import-trace', click: () => actions.importTrace() },
      {
        label: 'Export scenario as YAML…',
        accelerator: 'CmdOrCtrl+S',
        click: () => actions.send({ kind: 'export-scenario', format: 'yaml' }),
      },
      {
        label: 'Export scenario as JSON…',
        accelerator: 'CmdOrCtrl+Shift+S',
        click: () => actions.send({ kind: 'export-scenario', format: 'json' }),
      },
      ...exportRun,
      // macOS has Quit in the application menu.
      ...(state.platform === 'darwin' ? [] : [{ type: 'separator' } as const, { role: 'quit' } as const]),
    ],
  };
}

function viewMenu(state: MenuState, actions: MenuActions): MenuItemConstructorOptions {
  const dev: MenuItemConstructorOptions[] = state.isDev
    ? [{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }]
    : [];
  return {
    label: 'View',
    submenu: [
      { label: 'Toggle dark theme', accelerator: 'CmdOrCtrl+Shift+D', click: () => actions.send({ kind: 'toggle-theme' }) },
      { type: 'separator' },
      ...dev,
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
}

export function appMenuTemplate(state: MenuState, actions: MenuActions): MenuItemConstructorOptions[] {
  return [
    ...(state.platform === 'darwin' ? [{ role: 'appMenu' } as const] : []),
    fileMenu(state, actions),
    {
      label: 'Go',
      submenu: GO.map((g) => ({ label: g.label, accelerator: g.accelerator, click: () => actions.send({ kind: 'navigate', to: g.to }) })),
    },
    { role: 'editMenu' },
    viewMenu(state, actions),
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        { label: 'Keyboard shortcuts', accelerator: 'CmdOrCtrl+/', click: () => actions.send({ kind: 'show-shortcuts' }) },
        // macOS shows About in the application menu.
        ...(state.platform === 'darwin' ? [] : [{ type: 'separator' } as const, { role: 'about' } as const]),
      ],
    },
  ];
}

/** The run a lab window shows, read from its URL's hash route ("#/runs/12", "#/runs/12/timeline?x"). */
export function openRunIdOf(url: string): number | null {
  let hash: string;
  try {
    hash = new URL(url).hash;
  } catch {
    return null;
  }
  const m = /^#\/runs\/(\d+)(?:[/?#]|$)/.exec(hash);
  if (m === null) return null;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}
