// `pcilab experiment` without a cluster: create checks every variant; submit --local N runs the same
// task command a Slurm node runs (child processes of bin/pcilab.mjs) into the sweep directory;
// collect imports the bundles as the experiment's runs and compare prints their comparison; a task
// that fails is reported with its exit code and log, and --retry runs it again. Usage errors are one
// line naming the option; every subcommand has its --help.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_INVALID, EXIT_OK, main, type CliIo } from './main';
import { EXPERIMENT_SUBCOMMANDS } from './experiment';
import { MANIFEST_FILE } from '../service/sweepManifest';

let dir: string;
let out: string[];
let err: string[];

function io(): CliIo {
  return { out: (t) => out.push(t), err: (t) => err.push(t), env: { PCILAB_DB: join(dir, 'lab.db') }, isTty: false };
}

async function pcilab(...args: string[]): Promise<number> {
  out = [];
  err = [];
  return await main(args, io());
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-experiment-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('pcilab experiment', () => {
  it('creates, runs with local workers, collects and compares', async () => {
    const create = [
      'experiment',
      'create',
      'quickstart-nvme-fio',
      '--name',
      'qd',
      '--set',
      'durationMs=2',
      '--grid',
      'workload.iodepth=1,2,4',
    ];
    expect(await pcilab(...create, '--json')).toBe(EXIT_OK);
    const { experimentId, variants } = JSON.parse(out[0]!) as { experimentId: number; variants: { name: string }[] };
    expect(variants.map((v) => v.name)).toEqual(['workload.iodepth=1', 'workload.iodepth=2', 'workload.iodepth=4']);

    // Without --out the sweep goes beside the lab database, and collect finds it by the experiment.
    expect(await pcilab('experiment', 'submit', 'qd', '--local', '2')).toBe(EXIT_OK);
    expect(out.join('\n')).toMatch(/ran experiment \d+ "qd" with 2 local workers into .*\/sweeps\/experiment-\d+-\d{8}T\d{6}Z/);
    const sweep = /into (\S+)$/.exec(out[0]!)![1]!;
    expect(JSON.parse(readFileSync(join(sweep, MANIFEST_FILE), 'utf8'))).toMatchObject({
      scheduler: 'local',
      jobs: [{ arrayJobId: null, indices: [0, 1, 2] }],
    });

    expect(await pcilab('experiment', 'collect', sweep, '--json')).toBe(EXIT_OK);
    const status = JSON.parse(out[0]!) as { experimentId: number; counts: object; variants: { runId: number; imported: string }[] };
    expect(status.experimentId).toBe(experimentId);
    expect(status.counts).toEqual({ pending: 0, running: 0, done: 3, failed: 0 });
    expect(status.variants.map((v) => v.imported)).toEqual(['imported', 'imported', 'imported']);

    // The same sweep found through the experiment; nothing is imported twice.
    expect(await pcilab('experiment', 'collect', String(experimentId))).toBe(EXIT_OK);
    expect(out[0]).toMatch(/^sweep .*: experiment \d+ "qd" \(local\): 3 done, 0 running, 0 pending, 0 failed/);
    expect(out[0]).not.toMatch(/imported now/);

    expect(await pcilab('experiment', 'compare', 'qd')).toBe(EXIT_OK);
    const ids = status.variants.map((v) => v.runId);
    expect(out[0]).toContain(`run ${ids[0]}: qd / workload.iodepth=1 (completed)`);
    expect(await pcilab('experiment', 'compare', 'qd', '--json')).toBe(EXIT_OK);
    expect((JSON.parse(out[0]!) as { runs: { id: number }[] }).runs.map((r) => r.id)).toEqual(ids);

    expect(await pcilab('experiment', 'list')).toBe(EXIT_OK);
    expect(out[0]).toMatch(/qd {2}\(variants, 3 variants; latest runs: 3 completed\)/);
  }, 120_000);

  it('reports a failed task with its exit code and log, and --retry runs it again', async () => {
    expect(
      await pcilab(
        'experiment',
        'create',
        'quickstart-nvme-fio',
        '--name',
        'one',
        '--set',
        'durationMs=2',
        '--variant',
        'a:workload.iodepth=2',
      ),
    ).toBe(EXIT_OK);
    const sweep = join(dir, 'sweep');
    expect(await pcilab('experiment', 'submit', 'one', '--local', '1', '--out', sweep)).toBe(EXIT_OK);
    // Damage the bundle the task wrote: collect refuses it and says so (a failed variant, exit 1).
    const bundle = join(sweep, 'bundles', 'variant-000.pcilab-run.jsonl.gz');
    writeFileSync(bundle, readFileSync(bundle).subarray(0, 100));
    expect(await pcilab('experiment', 'collect', sweep)).toBe(1);
    expect(out[0]).toMatch(/0 +a +failed +its bundle was refused: .*damaged or truncated.*; log .*task-0\.local-1\.log/);
    rmSync(bundle);
    expect(await pcilab('experiment', 'collect', sweep)).toBe(1);
    expect(out[0]).toMatch(/failed +exit code 0, but it wrote no bundle/);
    expect(await pcilab('experiment', 'collect', sweep, '--retry')).toBe(EXIT_OK);
    expect(err.join('\n')).toContain('retrying 1 failed variant(s): 0');
    expect(out[0]).toMatch(/1 done, 0 running, 0 pending, 0 failed/);
    expect(JSON.parse(readFileSync(join(sweep, MANIFEST_FILE), 'utf8')).jobs).toHaveLength(2);
  }, 120_000);

  it('explains each subcommand and refuses bad usage in one line naming the option', async () => {
    for (const sub of Object.keys(EXPERIMENT_SUBCOMMANDS)) {
      expect(await pcilab('experiment', sub, '--help')).toBe(EXIT_OK);
      expect(out[0]).toMatch(new RegExp(`^usage: pcilab experiment ${sub} `));
    }
    expect(await pcilab('experiment', '--help')).toBe(EXIT_OK);
    expect(out[0]).toContain('pcilab experiment submit <experiment> (--slurm');
    expect(await pcilab('help', 'experiment')).toBe(EXIT_OK);
    expect(await pcilab('experiment', 'submit', '1')).toBe(EXIT_INVALID);
    expect(err).toEqual(['pcilab: experiment submit: give --slurm or --local N (one of them)']);
    expect(await pcilab('experiment', 'submit', '1', '--local', 'x')).toBe(EXIT_INVALID);
    expect(err[0]).toBe('pcilab: --local: expected a number of workers from 1 to 256, got "x"');
    expect(await pcilab('experiment', 'submit', '1', '--local', '2', '--partition', 'p')).toBe(EXIT_INVALID);
    expect(err[0]).toMatch(/--partition, --time and sbatch arguments go with --slurm/);
    expect(await pcilab('experiment', 'submit', '9', '--slurm')).toBe(1);
    expect(err[0]).toMatch(/^pcilab: no experiment "9" in .*lab\.db/);
    expect(await pcilab('experiment', 'collect', dir)).toBe(EXIT_INVALID);
    expect(err[0]).toMatch(/not a sweep directory \(no manifest\.json\)/);
    expect(await pcilab('experiment', 'create', 'quickstart-nvme-fio', '--name', 'bad', '--variant', 'x:workload.iodepth=-3')).toBe(
      EXIT_INVALID,
    );
    expect(err[0]).toMatch(/^pcilab: variant "x": .*workload\.iodepth/);
    expect(await pcilab('experiment', 'create', 'quickstart-nvme-fio', '--name', 'bad', '--grid', 'workload.iodepth')).toBe(EXIT_INVALID);
    expect(err[0]).toBe('pcilab: --grid: expected a.b=V1,V2,..., got "workload.iodepth"');
    expect(await pcilab('experiment', 'frobnicate')).toBe(EXIT_INVALID);
    expect(await pcilab('experiment', 'list', '--bogus')).toBe(EXIT_INVALID);
    expect(err[0]).toBe('pcilab: experiment list: unknown option --bogus (pcilab experiment list --help lists the options)');
    expect(await pcilab('experiment', 'task', dir, '--index', '0')).toBe(EXIT_INVALID);
  });
});
