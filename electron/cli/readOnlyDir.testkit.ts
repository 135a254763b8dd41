// Runs `pcilab` in a child process that sees one directory as read-only media, for the CLI's
// read-only tests: as root (which ignores file modes) through a read-only bind mount in a private
// mount namespace (unshare), else by taking the write bits off the directory for the call.
import { chmodSync } from 'node:fs';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

const BIN = new URL('../../bin/pcilab.mjs', import.meta.url).pathname;

export function runCliOnReadOnlyDir(dir: string, args: readonly string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  const options = { encoding: 'utf8' as const, env: { ...process.env, ...env } };
  if (process.getuid?.() !== 0) {
    chmodSync(dir, 0o555);
    try {
      return spawnSync(process.execPath, [BIN, ...args], options);
    } finally {
      chmodSync(dir, 0o755);
    }
  }
  const script = 'mount --bind -o ro "$0" "$0" || exit 99; shift; exec "$@"';
  const r = spawnSync('unshare', ['--mount', 'sh', '-c', script, dir, '--', process.execPath, BIN, ...args], options);
  if (r.status === 99 || r.error !== undefined) {
    throw new Error(`cannot make ${dir} read-only for the test (unshare --mount and mount --bind -o ro need CAP_SYS_ADMIN): ${r.stderr}`);
  }
  return r;
}
