// A lab of its own beside a fake Slurm, for the sweep panel's spec: a temporary directory with the
// lab database, the fake Slurm's state (e2e/fakeSlurm.mjs) and `sbatch`, `squeue` and `scontrol`
// wrappers, and a second browser-mode server (`electron/serve/main.ts`, as playwright.config.ts
// starts the suite's) whose PATH finds those wrappers first. The suite's server cannot be used:
// whether the lab offers Slurm depends on the PATH it was started with.
// Must not: stop any process it did not start (the server's and the fake nodes' process groups only).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface SlurmLabOptions {
  /** A task index whose first attempt fails with exit code 3 (FAKE_SLURM_FAIL_ONCE). */
  readonly failOnce?: number;
  /** Switches of the fake Slurm set from the start (see setSwitch). */
  readonly switches?: readonly FakeSlurmSwitch[];
}

/**
 * The fake Slurm's switches (files in its state directory): `hold` keeps every task pending,
 * `hold-running` keeps a started task running, `controller-down` makes squeue fail as with an
 * unreachable slurmctld.
 */
export type FakeSlurmSwitch = 'hold' | 'hold-running' | 'controller-down';

export interface SlurmLab {
  /** The server's origin, e.g. http://127.0.0.1:40123. */
  readonly baseURL: string;
  /** The access link's path (`/?token=...`): opening it gives a browser its session. */
  readonly accessPath: string;
  /** Turns a switch of the fake Slurm on or off. */
  setSwitch(name: FakeSlurmSwitch, on: boolean): void;
  /** How many times squeue was called so far. */
  squeueCalls(): number;
  stop(): Promise<void>;
}

const SLURM_COMMANDS = ['sbatch', 'squeue', 'scontrol'] as const;

/** Starts the server; resolves once it printed its link. */
export async function startSlurmLab(options: SlurmLabOptions = {}, timeoutMs = 60_000): Promise<SlurmLab> {
  const root = mkdtempSync(join(tmpdir(), 'pcilab-e2e-slurm-'));
  const bin = join(root, 'bin');
  const state = join(root, 'slurm');
  mkdirSync(bin);
  mkdirSync(state);
  const fake = resolve('e2e/fakeSlurm.mjs');
  for (const command of SLURM_COMMANDS) {
    const wrapper = join(bin, command);
    writeFileSync(wrapper, `#!/bin/sh\nexec '${process.execPath}' '${fake}' ${command} "$@"\n`);
    chmodSync(wrapper, 0o755);
  }
  const setSwitch = (name: FakeSlurmSwitch, on: boolean): void => {
    if (on) writeFileSync(join(state, name), '');
    else rmSync(join(state, name), { force: true });
  };
  for (const name of options.switches ?? []) setSwitch(name, true);
  const token = randomBytes(32).toString('base64url');
  const server = spawn(process.execPath, [resolve('node_modules/tsx/dist/cli.mjs'), 'electron/serve/main.ts'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PATH: `${bin}:${process.env['PATH'] ?? ''}`,
      FAKE_SLURM_DIR: state,
      ...(options.failOnce === undefined ? {} : { FAKE_SLURM_FAIL_ONCE: String(options.failOnce) }),
      PCILAB_PORT: '0',
      PCILAB_DB: join(root, 'lab.db'),
      PCILAB_TOKEN: token,
      PCILAB_WORKERS: '1',
    },
  });
  let output = '';
  const port = await new Promise<number>((done, failed) => {
    const timer = setTimeout(() => failed(new Error(`the Slurm lab's server printed no link in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const look = (chunk: Buffer): void => {
      output += chunk.toString();
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
      if (m !== null) {
        clearTimeout(timer);
        done(Number(m[1]));
      }
    };
    server.stdout.on('data', look);
    server.stderr.on('data', look);
    server.on('exit', (code) => {
      clearTimeout(timer);
      failed(new Error(`the Slurm lab's server ended (exit ${code}):\n${output}`));
    });
  });
  return {
    baseURL: `http://127.0.0.1:${port}`,
    accessPath: `/?token=${token}`,
    setSwitch,
    squeueCalls: () => {
      try {
        return Number(readFileSync(join(state, 'squeue-calls'), 'utf8'));
      } catch {
        return 0;
      }
    },
    stop: async () => {
      // The fake's nodes first (each its own process group: the node and the task it runs), then the server.
      for (const f of readdirSync(state).filter((n) => /^node-\d+\.pid$/.test(n))) {
        killGroup(Number(readFileSync(join(state, f), 'utf8')));
      }
      await stopServer(server);
      rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

function killGroup(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (!Number.isSafeInteger(pid) || pid <= 1) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ended already
  }
}

async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null || server.pid === undefined) return;
  const ended = new Promise<void>((done) => server.once('exit', () => done()));
  killGroup(server.pid);
  const timer = setTimeout(() => killGroup(server.pid!, 'SIGKILL'), 10_000);
  await ended;
  clearTimeout(timer);
}
