#!/usr/bin/env node
// Entry of `pcilab` (`npx pcilab` in the repository). Runs the CLI built to JavaScript in out/cli
// (tooling/buildCli.mjs, run by npm install's `prepare`), rebuilding it first when a source file
// is newer than the build; when it cannot be built (no esbuild, read-only checkout) it says so in
// one line on stderr and runs the TypeScript source through tsx (slower to start).
// `pcilab --version` answers from package.json without loading the CLI.
// Must not: print anything on stdout but the command's output.
import { readFileSync, statSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`pcilab ${pkg.version}\n`);
  process.exit(0);
}

const BUILT = new URL('../out/cli/main.mjs', import.meta.url);
const INPUTS = new URL('../out/cli/inputs.json', import.meta.url);
const ROOT = new URL('../', import.meta.url);

/** Why the built CLI cannot be used as it is ("not built", a changed source file), or null. */
function staleness() {
  let builtAt;
  let inputs;
  try {
    builtAt = statSync(BUILT).mtimeMs;
    inputs = JSON.parse(readFileSync(INPUTS, 'utf8')).inputs;
  } catch {
    return 'not built yet';
  }
  for (const input of inputs) {
    try {
      if (statSync(new URL(input, ROOT)).mtimeMs > builtAt) return `${input} changed since the build`;
    } catch {
      return `${input} is gone since the build`;
    }
  }
  return null;
}

async function loadMain() {
  let why = staleness();
  if (why !== null) {
    try {
      const { buildCli } = await import('../tooling/buildCli.mjs');
      await buildCli();
      why = null;
    } catch (err) {
      why = `${why}, and building it failed (${String(err instanceof Error ? err.message : err).split('\n')[0]})`;
    }
  }
  if (why === null) return (await import(BUILT.href)).main;
  process.stderr.write(
    `pcilab: running the TypeScript source (slower to start): the built CLI is ${why}; \`npm run build:cli\` builds it\n`,
  );
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('../electron/cli/main.ts')).main;
}

// `pcilab export 1 --format csv --out - | head`: a reader that stops early ends the command quietly.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const main = await loadMain();
const stderrTty = Boolean(process.stderr.isTTY);
process.exitCode = await main(args, {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
  // One status line rewritten in place (progress on a terminal); null clears it.
  status: stderrTty ? (line) => process.stderr.write(line === null ? '\r\x1b[2K' : `\r\x1b[2K${line}`) : undefined,
  writeStdout: (chunk) => process.stdout.write(chunk),
  env: process.env,
  isTty: stderrTty,
});
