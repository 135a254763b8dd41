// What the desktop app adds to LabApi, beside it: the application menu's commands to the renderer
// (one main -> renderer channel, every command validated; the imports carry the picked file's
// content, read by main) and saving a scenario file through the native save dialog. The browser host has neither; the renderer checks for the bridge.
// Must not: be imported by the renderer at run time (types only; the zod schemas run in main and
// in the preload).

import { z } from 'zod';
import { RUN_BUNDLE_UPLOAD_MAX_BYTES, TRACE_TEXT_MAX_BYTES } from './imports';

/** Where the menu can take the renderer: the shell's top-level screens. */
export const MENU_DESTINATIONS = ['runs', 'new', 'presets', 'experiments', 'compare', 'query'] as const;

/** Largest scenario file the menu imports or exports (a long ops script is a few MB). */
export const SCENARIO_FILE_MAX_BYTES = 8 * 1024 * 1024;

const fileName = z.string().min(1).max(255);

export const MenuCommandSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('navigate'), to: z.enum(MENU_DESTINATIONS) }),
  /** A scenario file the user picked in the open dialog: main read it, the renderer parses it. */
  z.strictObject({ kind: z.literal('import-scenario'), fileName, text: z.string().max(SCENARIO_FILE_MAX_BYTES) }),
  z.strictObject({ kind: z.literal('export-scenario'), format: z.enum(['json', 'yaml']) }),
  /** A run bundle the user picked (File > Import run): main read it, the renderer asks the lab to import it. */
  z.strictObject({
    kind: z.literal('import-run'),
    fileName,
    dataBase64: z.string().max(Math.ceil(RUN_BUNDLE_UPLOAD_MAX_BYTES / 3) * 4),
  }),
  /** A trace the user picked (File > Import trace): main read (and unpacked) it, the renderer asks the lab to replay it. */
  z.strictObject({ kind: z.literal('import-trace'), fileName, text: z.string().max(TRACE_TEXT_MAX_BYTES) }),
  /** Export the run the window shows (the menu item exists only while a run is open). */
  z.strictObject({
    kind: z.literal('export-run'),
    runId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    format: z.enum(['perfetto', 'csv', 'json', 'bundle']),
  }),
  z.strictObject({ kind: z.literal('toggle-theme') }),
  z.strictObject({ kind: z.literal('show-shortcuts') }),
]);

export type MenuCommand = z.output<typeof MenuCommandSchema>;

export const SaveScenarioRequestSchema = z.strictObject({
  /** Suggested file name ("my-run.yaml"); the user picks the real one. */
  fileName,
  format: z.enum(['json', 'yaml']),
  text: z.string().max(SCENARIO_FILE_MAX_BYTES),
});

export type SaveScenarioRequest = z.output<typeof SaveScenarioRequestSchema>;

export type SaveScenarioResult =
  | { readonly kind: 'saved'; readonly path: string; readonly bytes: number }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'failed'; readonly message: string };

/** What the preload exposes as window.pcilabDesktop: one function per call, nothing else. */
export interface DesktopShellApi {
  /** Subscribes to menu commands; returns the unsubscribe function. */
  onMenuCommand(listener: (command: MenuCommand) => void): () => void;
  saveScenarioFile(request: SaveScenarioRequest): Promise<SaveScenarioResult>;
}

/** The main -> renderer channel of menu commands. */
export const MENU_COMMAND_CHANNEL = 'pcilab-desktop:menu-command';
/** The renderer -> main channel that saves a scenario file. */
export const SAVE_SCENARIO_CHANNEL = 'pcilab-desktop:save-scenario-file';
