#!/usr/bin/env node
// Entry of `pcilab` (`npx pcilab` in the repository): runs the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../electron/cli/main.ts');
process.exitCode = main(process.argv.slice(2), {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
  env: process.env,
  isTty: Boolean(process.stderr.isTTY),
});
