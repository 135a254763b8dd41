// `pcilab experiment submit --slurm` for real: a single-node Slurm cluster of its own
// (tooling/slurmCluster.ts: munged, slurmctld, slurmd from Debian's packages, no systemd) runs a
// 20-variant sweep of s390-rpcit-exhaustion as one job array; `collect --wait` imports the 20 bundles,
// and the imported runs equal the same variants run in this process (timeline hashes, metrics, the
// comparison). A second collect imports nothing twice. Skipped, saying why, only when the Slurm or
// munge binaries are missing (.ci/run installs them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLabDatabase } from '../../db/database';
import { RunStore } from '../../db/runStore';
import { ExperimentStore } from '../../db/experimentStore';
import { prepareRun } from '../../core/run/runRequest';
import type { RunComparison } from '../../core/contract/comparison';
import { executeRun } from '../service/runExecution';
import { storeRun } from '../service/runLauncher';
import { compareRunDetails } from '../service/runComparison';
import { variantRequest } from '../service/experimentVariants';
import { clusterUnavailable, startCluster, type SlurmCluster } from '../../tooling/slurmCluster';

/** The one metric that is not simulated: the run's wall time on whichever machine ran it. */
const WALL_METRIC = 'sim.wallMs';

function simulated(metrics: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).filter(([name]) => name !== WALL_METRIC));
}

const BIN = new URL('../../bin/pcilab.mjs', import.meta.url).pathname;
const unavailable = clusterUnavailable();
if (unavailable !== null) console.warn(`experiment.slurm.test: skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)('pcilab experiment on a single-node Slurm cluster', () => {
  let cluster: SlurmCluster | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pcilab-sweep-slurm-'));
    cluster = await startCluster();
  }, 60_000);

  afterAll(() => {
    cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function pcilab(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const env = { ...cluster!.env(), PCILAB_DB: join(dir, 'lab.db') };
    return spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  }

  it('runs a 20-variant sweep as a job array and collects runs equal to the same variants run locally', () => {
    const created = pcilab([
      'experiment',
      'create',
      's390-rpcit-exhaustion',
      '--name',
      'sweep of 20',
      '--set',
      'durationMs=5',
      '--grid',
      'workload.iodepth=4,8,16,32,52',
      '--grid',
      'host.vfio.dmaEntryLimit=8192,16384,32768,65535',
      '--json',
    ]);
    expect(created.stderr).toBe('');
    const { experimentId } = JSON.parse(created.stdout) as { experimentId: number };

    const out = join(dir, 'sweep');
    const submitted = pcilab(['experiment', 'submit', String(experimentId), '--slurm', '--time', '10:00', '--out', out, '--json']);
    expect(submitted.stderr).toBe('');
    expect(submitted.status).toBe(0);
    const sub = JSON.parse(submitted.stdout) as { arrayJobId: number; variants: number };
    expect(sub.variants).toBe(20);
    expect(sub.arrayJobId).toBeGreaterThan(0);

    const collected = pcilab(['experiment', 'collect', out, '--wait', '--interval', '0.5', '--json']);
    const status = JSON.parse(collected.stdout) as {
      counts: Record<string, number>;
      variants: { index: number; state: string; runId: number | null; imported: string | null; reason: string | null; log: string }[];
    };
    expect(status.variants.filter((v) => v.state !== 'done')).toEqual([]);
    expect(collected.status).toBe(0);
    expect(status.counts).toEqual({ pending: 0, running: 0, done: 20, failed: 0 });
    // Imported by one look or another of --wait (a later look finds it in the lab: duplicate).
    expect(new Set(status.variants.map((v) => v.runId)).size).toBe(20);

    // Collecting again imports nothing twice (the bundles' content hashes are the runs').
    const again = JSON.parse(pcilab(['experiment', 'collect', out, '--json']).stdout) as typeof status;
    expect(again.variants.map((v) => [v.runId, v.imported])).toEqual(status.variants.map((v) => [v.runId, 'duplicate']));

    const compared = pcilab(['experiment', 'compare', String(experimentId), '--json']);
    expect(compared.status).toBe(0);
    const clusterComparison = JSON.parse(compared.stdout) as RunComparison;

    // The same experiment run here, variant by variant, into a lab of its own.
    const lab = openLabDatabase(join(dir, 'lab.db'), { readonly: true });
    const local = openLabDatabase(':memory:');
    try {
      const experiment = new ExperimentStore(lab).get(experimentId)!;
      expect(new ExperimentStore(lab).latestRuns(experimentId).map((v) => v.runId)).toEqual(status.variants.map((v) => v.runId));
      const runs = new RunStore(lab);
      const localRuns = new RunStore(local);
      const localDetails = experiment.variants.map((v) => {
        const prepared = prepareRun(variantRequest(experiment.base, v));
        if (!prepared.ok) throw new Error(prepared.problems.join('\n'));
        const { runId } = storeRun(localRuns, prepared, Date.now(), `${experiment.name} / ${v.name}`);
        const outcome = executeRun(local, runId, prepared.plan, { nowMs: () => Date.now(), isCancelled: () => false });
        expect(outcome.status).toBe('completed');
        return localRuns.get(runId)!;
      });
      const clusterDetails = status.variants.map((v) => runs.get(v.runId!)!);
      expect(clusterDetails.map((r) => r.timelineHash)).toEqual(localDetails.map((r) => r.timelineHash));
      expect(clusterDetails.map((r) => simulated(r.metrics))).toEqual(localDetails.map((r) => simulated(r.metrics)));
      expect(clusterDetails.map((r) => r.name)).toEqual(localDetails.map((r) => r.name));
      const localComparison = compareRunDetails(localDetails);
      const rows = (c: RunComparison): RunComparison['metrics'] => c.metrics.filter((m) => m.name !== WALL_METRIC);
      expect(rows(clusterComparison)).toEqual(rows(localComparison));
      expect(clusterComparison.config).toEqual(localComparison.config);
      expect(new Set(clusterDetails.map((r) => r.timelineHash)).size).toBeGreaterThan(5);
    } finally {
      lab.close();
      local.close();
    }
  }, 600_000);
});
