// The Electron fuses a packaged lab must have (https://www.electronjs.org/docs/latest/tutorial/fuses),
// with the reason for each, and the packaging command that writes them (`npm run package:fuses`,
// packageFuses.ts through applyFuses.ts); README.md ("Packaging") prints the same command and table,
// and a test keeps them in step. `npm start` runs Electron from node_modules, where no fuse is set.
// Must not: flip anything itself (applyFuses.ts does, on a packaged binary).

export interface LabFuse {
  /** @electron/fuses' FuseV1Options name. */
  readonly name: string;
  readonly on: boolean;
  readonly reason: string;
}

export const LAB_FUSES: readonly LabFuse[] = [
  { name: 'RunAsNode', on: false, reason: 'ELECTRON_RUN_AS_NODE would turn the signed binary into a plain Node runtime' },
  { name: 'EnableCookieEncryption', on: true, reason: 'cookies and storage on disk are encrypted with the OS key store' },
  { name: 'EnableNodeOptionsEnvironmentVariable', on: false, reason: 'NODE_OPTIONS could preload code into the main process' },
  { name: 'EnableNodeCliInspectArguments', on: false, reason: '--inspect would open a debugger on the main process' },
  { name: 'EnableEmbeddedAsarIntegrityValidation', on: true, reason: 'the packaged app.asar is checked against its hash (macOS, Windows)' },
  { name: 'OnlyLoadAppFromAsar', on: true, reason: 'only the packaged app.asar is loaded, never a loose app folder beside it' },
  { name: 'GrantFileProtocolExtraPrivileges', on: false, reason: 'the page comes from app://, so file:// needs no privileges' },
];

/** The packaging command that writes LAB_FUSES into a packaged app's Electron binary (or .app). */
export function fusesWriteCommand(appPath: string): string {
  return `npm run package:fuses -- ${appPath}`;
}

/** The fuse table as README.md prints it: one `Name=on|off` per fuse. */
export function fusesSummary(): string {
  return LAB_FUSES.map((f) => `${f.name}=${f.on ? 'on' : 'off'}`).join(' ');
}
