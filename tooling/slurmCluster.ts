// A single-node Slurm cluster of its own for the tests and the sweep benchmark, from Debian's
// packages (slurm-wlm, munge) and without systemd: munged with a fresh key and its socket under a
// temporary directory, slurmctld and slurmd in the foreground (-D) with a slurm.conf of their own
// there (proctrack/linuxproc, task/none, no accounting, free ports, NodeName = `hostname -s`, state
// and spool in the directory). Clients reach it through SLURM_CONF (env()). stop() cancels the jobs,
// ends every daemon it started (by pid) and any job step daemon left of the cluster, and removes the
// directory; it runs on process exit too.
// Must not: touch the machine's own Slurm or munge configuration; leave a daemon running.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir, cpus, userInfo } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const MUNGED = '/usr/sbin/munged';
const SLURMCTLD = '/usr/sbin/slurmctld';
const SLURMD = '/usr/sbin/slurmd';

/** Why a cluster cannot be started here (a missing binary, not root), or null. */
export function clusterUnavailable(): string | null {
  for (const bin of [MUNGED, SLURMCTLD, SLURMD]) {
    if (!existsSync(bin)) return `${bin} is missing (apt-get install slurm-wlm munge)`;
  }
  for (const client of ['sbatch', 'squeue', 'scontrol', 'sinfo']) {
    if (spawnSync('sh', ['-c', `command -v ${client}`]).status !== 0) return `${client} is not on PATH (apt-get install slurm-client)`;
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface SlurmCluster {
  readonly dir: string;
  readonly conf: string;
  readonly node: string;
  /** The environment clients need (SLURM_CONF), on top of process.env. */
  env(): NodeJS.ProcessEnv;
  stop(): void;
}

const live = new Set<ChildProcess>();
let exitHook = false;

function killAll(children: Iterable<ChildProcess>): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        // gone already
      }
    }
  }
}

/** Starts munged, slurmctld and slurmd; resolves when the node is idle (sinfo). */
export async function startCluster(options: { readonly cpus?: number; readonly timeoutMs?: number } = {}): Promise<SlurmCluster> {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => killAll(live));
  }
  const dir = mkdtempSync(join(tmpdir(), 'pcilab-slurm-'));
  const node = hostname().split('.')[0]!;
  const ncpu = options.cpus ?? cpus().length;
  for (const sub of ['munge', 'state', 'spool', 'log']) mkdirSync(join(dir, sub), { recursive: true });
  const key = join(dir, 'munge', 'munge.key');
  writeFileSync(key, randomBytes(1024));
  chmodSync(key, 0o600);
  chmodSync(join(dir, 'munge'), 0o700);
  const socket = join(dir, 'munge', 'munge.sock');
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=pcilabtest',
      `SlurmctldHost=${node}`,
      'SlurmUser=root',
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'SchedulerType=sched/backfill',
      // Start the next array tasks as soon as others end: by default slurmctld serves the
      // scheduling requests of ended jobs at most every batch_sched_delay = 3 s (controller.c,
      // _slurmctld_background), so short tasks ran in waves 3 s apart.
      'SchedulerParameters=batch_sched_delay=0',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'ReturnToService=2',
      'MpiDefault=none',
      // Finished jobs stay visible to squeue / scontrol for 5 minutes (the default), enough to collect.
      'MinJobAge=300',
      `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
      `NodeName=${node} CPUs=${ncpu} State=UNKNOWN`,
      `PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, SLURM_CONF: conf });
  const started: ChildProcess[] = [];
  const daemon = (bin: string, args: string[], logName: string): ChildProcess => {
    const log = join(dir, 'log', logName);
    const child = spawn(bin, args, { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => chunks.push(c));
    child.stderr!.on('data', (c: Buffer) => chunks.push(c));
    child.on('exit', () => {
      live.delete(child);
      try {
        writeFileSync(log, Buffer.concat(chunks));
      } catch {
        // the directory is gone
      }
    });
    live.add(child);
    started.push(child);
    return child;
  };
  const stop = (): void => {
    // Jobs first: slurmd leaves each job's slurmstepd behind when it is killed (the steps outlive
    // their daemon by design), so cancel them while slurmctld still answers, then make sure.
    if (started.some((c) => c.exitCode === null && c.signalCode === null && alive(c.pid))) {
      spawnSync('scancel', ['--user', userInfo().username], { env: env(), timeout: 5000 });
      const jobsDeadline = Date.now() + 3000;
      while (Date.now() < jobsDeadline) {
        const q = spawnSync('squeue', ['-h', '-o', '%i'], { env: env(), encoding: 'utf8', timeout: 2000 });
        if (q.status !== 0 || q.stdout.trim() === '') break;
        spawnSync('sleep', ['0.1']);
      }
    }
    killAll(started.slice().reverse());
    // Give them a moment to go, then make sure.
    const deadline = Date.now() + 3000;
    while (started.some((c) => c.exitCode === null && c.signalCode === null && alive(c.pid)) && Date.now() < deadline) {
      spawnSync('sleep', ['0.05']);
    }
    for (const c of started) if (c.pid !== undefined && alive(c.pid)) process.kill(c.pid, 'SIGKILL');
    for (const pid of stepDaemonsOf(conf)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    daemon(
      MUNGED,
      [
        '-F',
        `--key-file=${key}`,
        `--socket=${socket}`,
        `--pid-file=${join(dir, 'munge', 'munged.pid')}`,
        `--seed-file=${join(dir, 'munge', 'seed')}`,
        `--log-file=${join(dir, 'munge', 'munged.log')}`,
        '--force',
      ],
      'munged.out',
    );
    await waitFor(() => existsSync(socket), 10_000, 'munged to open its socket', dir);
    daemon(SLURMCTLD, ['-D', '-i', '-f', conf], 'slurmctld.out');
    daemon(SLURMD, ['-D', '-f', conf, '-N', node], 'slurmd.out');
    await waitFor(
      () => {
        const r = spawnSync('sinfo', ['-h', '-N', '-o', '%T'], { env: env(), encoding: 'utf8' });
        return r.status === 0 && r.stdout.trim() === 'idle';
      },
      options.timeoutMs ?? 30_000,
      `node ${node} to be idle (sinfo)`,
      dir,
    );
  } catch (err) {
    stop();
    throw err;
  }
  return { dir, conf, node, env, stop };
}

/** slurmstepd processes of this cluster still alive (their environment names its SLURM_CONF). */
function stepDaemonsOf(conf: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() !== 'slurmstepd') continue;
      if (readFileSync(`/proc/${e}/environ`, 'utf8').split('\0').includes(`SLURM_CONF=${conf}`) && alive(Number(e))) pids.push(Number(e));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    // A zombie (exited, not reaped yet) still answers: read its state.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

async function waitFor(ok: () => boolean, timeoutMs: number, what: string, dir: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) {
      const logs = ['log/slurmctld.log', 'log/slurmd.log', 'munge/munged.log']
        .map((f) => join(dir, f))
        .filter(existsSync)
        .map((f) => `--- ${f}\n${readFileSync(f, 'utf8').split('\n').slice(-15).join('\n')}`)
        .join('\n');
      throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
