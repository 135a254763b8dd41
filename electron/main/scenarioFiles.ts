// Scenario files through the native dialogs. Import: the open dialog picks a JSON or YAML file,
// main reads it (size-limited, UTF-8) and the renderer parses and validates it with the
// configurator's own import code. Export: the renderer sends the draft's text, main checks the
// request and writes it where the save dialog says.
// Must not: read or write any path the user did not pick; parse scenarios (the renderer does).

import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  SCENARIO_FILE_MAX_BYTES,
  SaveScenarioRequestSchema,
  type MenuCommand,
  type SaveScenarioResult,
} from '../../core/contract/desktopShell';
import { errorMessage } from '../service/labError';
import { readTextAtMost, type BoundedRead } from '../service/boundedRead';

export const SCENARIO_FILTERS = [
  { name: 'Scenario (YAML or JSON)', extensions: ['yaml', 'yml', 'json'] },
  { name: 'All files', extensions: ['*'] },
];

export type { BoundedRead } from '../service/boundedRead';

/** The file system calls import and export make; tests pass in-memory ones. */
export interface ScenarioFileSystem {
  /** Reads a regular file of at most `maxBytes` through one handle (a FIFO, a device or a growing file cannot run past it). */
  readAtMost(path: string, maxBytes: number): Promise<BoundedRead>;
  writeText(path: string, text: string): Promise<void>;
}

export const nodeScenarioFileSystem: ScenarioFileSystem = {
  readAtMost: readTextAtMost,
  writeText: (path, text) => writeFile(path, text, 'utf8'),
};

export type ReadScenarioOutcome = { readonly ok: true; readonly command: MenuCommand } | { readonly ok: false; readonly message: string };

/** Reads the picked file into an import-scenario command, or says why it cannot be imported. */
export async function readScenarioFile(path: string, fs: ScenarioFileSystem): Promise<ReadScenarioOutcome> {
  const name = basename(path);
  try {
    const read = await fs.readAtMost(path, SCENARIO_FILE_MAX_BYTES);
    if (read.kind === 'not-a-file') return { ok: false, message: `${name} is not a regular file` };
    if (read.kind === 'too-big')
      return { ok: false, message: `${name} is larger than ${SCENARIO_FILE_MAX_BYTES} bytes; scenario files are at most that` };
    return { ok: true, command: { kind: 'import-scenario', fileName: name.slice(0, 255), text: read.text } };
  } catch (err) {
    return { ok: false, message: `${name} could not be read: ${errorMessage(err)}` };
  }
}

/**
 * Checks the renderer's save request and writes its text where `pickPath` says (null: the user
 * cancelled). The request is untrusted input: anything malformed is refused, never written.
 */
export async function saveScenarioFile(
  request: unknown,
  pickPath: (defaultName: string) => Promise<string | null>,
  fs: ScenarioFileSystem,
): Promise<SaveScenarioResult> {
  const parsed = SaveScenarioRequestSchema.safeParse(request);
  if (!parsed.success) return { kind: 'failed', message: `invalid save request: ${parsed.error.issues.map((i) => i.message).join('; ')}` };
  const path = await pickPath(basename(parsed.data.fileName));
  if (path === null) return { kind: 'cancelled' };
  try {
    await fs.writeText(path, parsed.data.text);
    return { kind: 'saved', path, bytes: Buffer.byteLength(parsed.data.text, 'utf8') };
  } catch (err) {
    return { kind: 'failed', message: `${basename(path)} could not be written: ${errorMessage(err)}` };
  }
}
