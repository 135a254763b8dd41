// `npm run package:fuses -- <Electron binary or .app>`: the packaging step that writes the lab's
// fuses (fuses.ts, with the reason for each) into a packaged Electron build before it is signed,
// then reads them back. Exit 0 when every fuse holds, 2 for a bad argument, 1 when the binary has
// no fuse wire or cannot be written (one line naming the file).
// Must not: sign, package or run anything.

import { statSync } from 'node:fs';
import { applyLabFuses } from './applyFuses';

const USAGE = 'usage: npm run package:fuses -- <path to the packaged Electron binary or .app>';

async function main(args: readonly string[]): Promise<number> {
  if (args.length !== 1 || args[0] === undefined || args[0].startsWith('-')) {
    console.error(`package:fuses: ${USAGE}`);
    return 2;
  }
  const target = args[0];
  try {
    statSync(target);
  } catch {
    console.error(`package:fuses: ${target}: no such file or directory`);
    return 2;
  }
  try {
    for (const line of await applyLabFuses(target)) console.log(line);
    console.log(`package:fuses: ${target}: fuses written and read back`);
    return 0;
  } catch (err) {
    console.error(`package:fuses: ${target}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
