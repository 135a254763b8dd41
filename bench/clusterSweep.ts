// `npm run bench:cluster [-- --duration-ms N]`: the figure of README "Sweeps on a cluster"
// (docs/cluster-sweep.svg). Wall time of a 20-variant sweep of preset 1 (s390-rpcit-exhaustion, a grid
// of workload.iodepth x host.vfio.dmaEntryLimit) two ways: one `pcilab run` after the other, and
// `pcilab experiment submit --slurm` + `collect --wait` on a single-node Slurm cluster started here
// (tooling/slurmCluster.ts; every CPU of this machine is one Slurm CPU). Needs slurm-wlm and munge.
// Must not: leave a daemon running (the cluster is stopped on every path).

import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterUnavailable, startCluster } from '../tooling/slurmCluster';

const BIN = new URL('../bin/pcilab.mjs', import.meta.url).pathname;
const OUT = new URL('../docs/cluster-sweep.svg', import.meta.url).pathname;
const PRESET = 's390-rpcit-exhaustion';
const IODEPTHS = [4, 8, 16, 32, 52];
const LIMITS = [8192, 16384, 32768, 65535];

const flag = process.argv.indexOf('--duration-ms');
const durationMs = flag < 0 ? 250 : Number(process.argv[flag + 1]);

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function pcilab(args: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`pcilab ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

const why = clusterUnavailable();
if (why !== null) {
  console.error(`bench:cluster: ${why}`);
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'pcilab-bench-cluster-'));
const cluster = await startCluster();
try {
  const env = { ...cluster.env(), PCILAB_DB: join(dir, 'lab.db') };
  const base = ['--set', `durationMs=${durationMs}`];
  // Warm up the built CLI (bin/pcilab.mjs rebuilds a stale build once, not inside a measurement).
  pcilab(['--version'], env);
  pcilab(['run', PRESET, ...base, '--json'], env);

  const loadBefore = loadavg()[0]!;
  const serialStart = Date.now();
  for (const qd of IODEPTHS) {
    for (const limit of LIMITS) {
      pcilab(['run', PRESET, ...base, '--set', `workload.iodepth=${qd}`, '--set', `host.vfio.dmaEntryLimit=${limit}`, '--json'], env);
    }
  }
  const serialMs = Date.now() - serialStart;

  const created = JSON.parse(
    pcilab(
      [
        'experiment',
        'create',
        PRESET,
        '--name',
        'bench sweep',
        ...base,
        '--grid',
        `workload.iodepth=${IODEPTHS.join(',')}`,
        '--grid',
        `host.vfio.dmaEntryLimit=${LIMITS.join(',')}`,
        '--json',
      ],
      env,
    ),
  ) as { experimentId: number };
  const sweep = join(dir, 'sweep');
  const clusterStart = Date.now();
  pcilab(['experiment', 'submit', String(created.experimentId), '--slurm', '--out', sweep], env);
  // The tasks' part: until every bundle is in the sweep directory.
  while (readdirSafe(join(sweep, 'bundles')).filter((f) => f.endsWith('.jsonl.gz')).length < 20) {
    await new Promise((r) => setTimeout(r, 200));
  }
  const tasksMs = Date.now() - clusterStart;
  // Then collect's part: importing the 20 bundles into the lab.
  const status = JSON.parse(pcilab(['experiment', 'collect', sweep, '--wait', '--interval', '0.5', '--json'], env)) as {
    counts: { done: number };
  };
  const clusterMs = Date.now() - clusterStart;
  if (status.counts.done !== 20) throw new Error(`only ${status.counts.done} of 20 variants done`);

  const ncpu = cpus().length;
  const load = Math.max(loadBefore, loadavg()[0]!);
  console.log(
    `one by one: ${(serialMs / 1000).toFixed(1)} s; Slurm job array (1 node, ${ncpu} CPUs): ${(clusterMs / 1000).toFixed(1)} s ` +
      `(tasks ${(tasksMs / 1000).toFixed(1)} s, collect ${((clusterMs - tasksMs) / 1000).toFixed(1)} s); load average up to ${load.toFixed(1)}`,
  );
  writeFileSync(OUT, svg(serialMs, clusterMs, tasksMs, ncpu, load));
  console.log(`wrote ${OUT}`);
} finally {
  cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}

function svg(serialMs: number, clusterMs: number, tasksMs: number, ncpu: number, load: number): string {
  const width = 640;
  const left = 230;
  const barMax = width - left - 90;
  const max = Math.max(serialMs, clusterMs);
  const bars = [
    { label: 'one pcilab run after another', ms: serialMs, split: null, color: '#8a8a8a' },
    { label: `Slurm job array, 1 node, ${ncpu} CPUs`, ms: clusterMs, split: tasksMs, color: '#2f6db5' },
  ];
  const rows = bars
    .map((b, i) => {
      const y = 50 + i * 44;
      const w = Math.max(2, Math.round((b.ms / max) * barMax));
      return [
        `<text x="${left - 10}" y="${y + 19}" text-anchor="end">${b.label}</text>`,
        `<rect x="${left}" y="${y}" width="${w}" height="28" fill="${b.color}"/>`,
        b.split === null
          ? ''
          : `<rect x="${left + Math.round((b.split / max) * barMax)}" y="${y}" width="${Math.max(1, w - Math.round((b.split / max) * barMax))}" height="28" fill="#9cc0e8"><title>collect: importing the bundles</title></rect>`,
        `<text x="${left + w + 8}" y="${y + 19}">${(b.ms / 1000).toFixed(1)} s</text>`,
      ].join('\n  ');
    })
    .join('\n  ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="176" viewBox="0 0 ${width} 176" font-family="sans-serif" font-size="13">
  <rect width="100%" height="100%" fill="#ffffff"/>
  <text x="12" y="24" font-size="14" font-weight="bold">Wall time of a 20-variant sweep of s390-rpcit-exhaustion (${durationMs} ms of fio per run)</text>
  ${rows}
  <text x="12" y="146" font-size="11" fill="#555">Light blue: collect importing the 20 bundles (${((clusterMs - tasksMs) / 1000).toFixed(1)} s). Load average up to ${load.toFixed(1)} on ${ncpu} CPUs (a shared machine).</text>
  <text x="12" y="162" font-size="11" fill="#555">Grid workload.iodepth x host.vfio.dmaEntryLimit (5 x 4), the preset's 7 variants per run. npm run bench:cluster.</text>
</svg>
`;
}
