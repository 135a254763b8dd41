// How fast `pcilab` answers (docs/benchmarks.md, "Command line"): the built CLI in child processes,
// wall time from spawn to exit and CPU time (user + system, with the processes it starts; through
// /usr/bin/time when there is one: on a busy machine it is the steadier figure), medians of repeated
// calls, for --version, --help, a 1 ms run (it starts, simulates, stores and prints) and
// `pcilab query` on preset 1, next to a bare `node -e 0`.
// Must not: measure the TypeScript source path (the built CLI is what `pcilab` runs).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../bin/pcilab.mjs', import.meta.url).pathname;
const BUILD = new URL('../tooling/buildCli.mjs', import.meta.url).pathname;

export interface CliTiming {
  readonly name: string;
  readonly medianMs: number;
  /** Median CPU time (ms), NaN without /usr/bin/time. */
  readonly cpuMs: number;
  readonly target?: number;
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timed(name: string, args: readonly string[], env: NodeJS.ProcessEnv, times: number, target?: number): CliTiming {
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    const r =
      TIME === null
        ? spawnSync(process.execPath, args, { env, encoding: 'utf8' })
        : spawnSync(TIME, ['-f', 'cpu %U %S', process.execPath, ...args], { env, encoding: 'utf8' });
    ms.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
    cpu.push(m === null ? NaN : (Number(m[1]) + Number(m[2])) * 1000);
  }
  return { name, medianMs: median(ms), cpuMs: median(cpu), ...(target === undefined ? {} : { target }) };
}

export const PRESET1_QUESTION = `SELECT f.variant, f.t_ns, f.args ->> 'iova' AS iova, f.errno,
  c.args ->> 'entriesInUse' AS entries_in_use, counter_at('vfio.entries', f.t_ns, f.variant) AS vfio_entries_sampled
FROM events f LEFT JOIN events c ON c.seq = f.cause
WHERE f.kind = 'dma map failed' ORDER BY f.t_ns LIMIT 20`;

export function benchCli(times = 9): CliTiming[] {
  const build = spawnSync(process.execPath, [BUILD], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build: ${build.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), 'pcilab-bench-cli-'));
  const env = { ...process.env, PCILAB_DB: join(dir, 'lab.db') };
  try {
    spawnSync(process.execPath, [BIN, 'run', 's390-rpcit-exhaustion', '--json'], { env, encoding: 'utf8' });
    return [
      timed('node -e 0 (Node itself)', ['-e', '0'], env, times),
      timed('pcilab --version', [BIN, '--version'], env, times, 300),
      timed('pcilab --help', [BIN, '--help'], env, times),
      timed(
        'pcilab run quickstart-nvme-fio --set durationMs=1',
        [BIN, 'run', 'quickstart-nvme-fio', '--set', 'durationMs=1'],
        env,
        times,
        500,
      ),
      timed('pcilab query (preset 1: failed maps, VFIO entries)', [BIN, 'query', '1', PRESET1_QUESTION], env, times, 1000),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
