// The Electron fuses a packaged lab must have (https://www.electronjs.org/docs/latest/tutorial/fuses):
// the lab has no packaging step yet (npm start runs Electron from node_modules), so this is the
// table a packager applies, with the reason for each, and the @electron/fuses command that writes
// it; README.md ("Packaging") prints the same command, and a test keeps the two in step.
// Must not: flip anything itself (it cannot run Electron's binary here, and there is no package).

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

/** The command that writes LAB_FUSES into a packaged app. */
export function fusesWriteCommand(appPath: string): string {
  return `npx @electron/fuses write --app ${appPath} ${LAB_FUSES.map((f) => `${f.name}=${f.on ? 'on' : 'off'}`).join(' ')}`;
}
