// Decisions of `npm start`, kept pure so they are unit-tested: is Electron's binary there, what to
// tell the user in one line when the desktop app cannot run here, which native build to use.
// Must not: spawn processes or touch the file system (start.ts does).

export interface ElectronInstallState {
  /** Contents of node_modules/electron/path.txt, or null when missing. */
  readonly pathTxt: string | null;
  /** Whether node_modules/electron/dist/<pathTxt> exists. */
  readonly binaryExists: boolean;
}

export function electronBinaryReady(state: ElectronInstallState): boolean {
  return state.pathTxt !== null && state.pathTxt.trim() !== '' && state.binaryExists;
}

/** The one line printed when the desktop app cannot start, always pointing to the browser mode. */
export function cannotStartLine(reason: string): string {
  const oneLine = reason.replace(/\s+/g, ' ').trim().slice(0, 240);
  return `The desktop app cannot start here (${oneLine}); run \`npm run serve\` to use the lab in a browser.`;
}

/** node-gyp arguments that build a native module against Electron's headers. */
export function electronRebuildArgs(electronVersion: string): string[] {
  return ['rebuild', '--release', `--target=${electronVersion}`, '--runtime=electron', '--dist-url=https://electronjs.org/headers'];
}
