// Writes LAB_FUSES (fuses.ts) into an Electron binary with @electron/fuses, and reads a binary's
// fuse wire back by name. The library finds the wire by its sentinel in the binary (the Electron
// executable on Linux and Windows, the Electron Framework inside a macOS .app), so this works on
// any packaged build before it is signed. Fuses LAB_FUSES does not name are left as the binary has
// them (@electron/fuses' "inherit").
// Must not: run the binary, sign it, or write anything but the fuse wire.

import { flipFuses, FuseState, FuseV1Options, FuseVersion, getCurrentFuseWire } from '@electron/fuses';
import type { FuseV1Config } from '@electron/fuses';
import { LAB_FUSES } from './fuses';

/** The @electron/fuses configuration that LAB_FUSES stands for. */
export function labFuseConfig(): FuseV1Config {
  const config: Record<number, boolean> = {};
  for (const fuse of LAB_FUSES) {
    const index = (FuseV1Options as unknown as Record<string, number | undefined>)[fuse.name];
    if (index === undefined) throw new Error(`electron/launcher/fuses.ts: ${fuse.name} is not an @electron/fuses V1 fuse`);
    config[index] = fuse.on;
  }
  return { version: FuseVersion.V1, ...config } as FuseV1Config;
}

/** A fuse as the binary holds it: on, off, removed (this Electron no longer has it) or inherit. */
export type FuseReading = 'on' | 'off' | 'removed' | 'inherit';

/** Reads the binary's fuse wire, by @electron/fuses' names (indexes it has no name for as `fuseN`). */
export async function readFuses(binaryPath: string): Promise<Record<string, FuseReading>> {
  const wire = (await getCurrentFuseWire(binaryPath)) as unknown as Record<string, unknown>;
  const out: Record<string, FuseReading> = {};
  for (const [key, value] of Object.entries(wire)) {
    const index = Number(key);
    if (!Number.isInteger(index)) continue; // "version"
    const name = FuseV1Options[index] ?? `fuse${index}`;
    out[name] =
      value === FuseState.ENABLE ? 'on' : value === FuseState.DISABLE ? 'off' : value === FuseState.REMOVED ? 'removed' : 'inherit';
  }
  return out;
}

/**
 * Flips LAB_FUSES in the binary (or the .app bundle) at `binaryPath`, then reads the wire back and
 * checks every fuse of LAB_FUSES holds its value. Returns the lines to print, one per fuse.
 */
export async function applyLabFuses(binaryPath: string): Promise<string[]> {
  await flipFuses(binaryPath, labFuseConfig());
  const after = await readFuses(binaryPath);
  const lines: string[] = [];
  for (const fuse of LAB_FUSES) {
    const want = fuse.on ? 'on' : 'off';
    if (after[fuse.name] !== want) {
      throw new Error(
        `${fuse.name}: reads ${after[fuse.name] ?? 'absent'} after writing ${want} (this Electron's fuse wire is too short?)`,
      );
    }
    lines.push(`${fuse.name}=${want}: ${fuse.reason}`);
  }
  return lines;
}
