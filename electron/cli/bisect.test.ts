// `pcilab bisect`: names QEMU 7.2 for preset 1's retry variant with the steps and their run ids,
// stores every step as a run and the bisect as an experiment, and refuses bad input with exit 2
// and one `option: message` line per problem.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_INVALID, EXIT_OK, main, type CliIo } from './main';
import { openLabDatabase } from '../../db/database';
import { RunStore } from '../../db/runStore';
import { ExperimentStore } from '../../db/experimentStore';

let dir: string;
let out: string[];
let err: string[];
let io: CliIo;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-bisect-cli-'));
  out = [];
  err = [];
  io = { out: (t) => out.push(t), err: (t) => err.push(t), env: { PCILAB_DB: join(dir, 'lab.db') }, isTty: false };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ARGS = ['bisect', 's390-rpcit-exhaustion', '--path', 'host.qemu.version', '--versions', '7.0,7.1,7.2,8.0'];
const REST = ['--outcome', 's390.shadow.retryPasses>0', '--variant', 'retry', '--set', 'durationMs=100'];

describe('pcilab bisect', () => {
  it('prints the first change and the steps with their run ids', () => {
    expect(main([...ARGS, ...REST], io)).toBe(EXIT_OK);
    expect(err).toEqual([]);
    const text = out.join('\n').split('\n');
    expect(text[0]).toBe('first change: 7.2 (0 -> 1)');
    expect(text.slice(2).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['version', 'run', 's390.shadow.retryPasses'],
      ['7.0', '1', '0'],
      ['7.1', '3', '0'],
      ['7.2', '4', '1'],
      ['8.0', '2', '1'],
    ]);
    const db = openLabDatabase(join(dir, 'lab.db'));
    try {
      const runs = new RunStore(db).list();
      expect(runs.map((r) => [r.name, r.status])).toContainEqual([
        'bisect s390-rpcit-exhaustion host.qemu.version / host.qemu.version=7.2',
        'completed',
      ]);
      const experiments = new ExperimentStore(db);
      expect(experiments.get(1)).toMatchObject({ kind: 'bisect', bisect: { path: 'host.qemu.version', variant: 'retry' } });
      expect(experiments.latestExecution(1)).toMatchObject({ state: 'done' });
    } finally {
      db.close();
    }
  });

  it('prints JSON with --json, and the raw metric with its unit without a comparison', () => {
    const args = [
      ...ARGS.slice(0, -1),
      '7.1,7.2',
      '--outcome',
      's390.shadow.retryPasses',
      '--variant',
      'retry',
      '--set',
      'durationMs=100',
      '--json',
    ];
    expect(main(args, io)).toBe(EXIT_OK);
    const json = JSON.parse(out.join('')) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['experiment', 'path', 'outcome', 'unit', 'firstChange', 'before', 'after', 'steps']);
    expect(json).toMatchObject({
      firstChange: '7.2',
      before: 0,
      steps: [
        { version: '7.1', runId: 1 },
        { version: '7.2', runId: 2 },
      ],
    });
  });

  it('exits 2 with one option: message line per problem, storing nothing', () => {
    expect(
      main(['bisect', 's390-rpcit-exhaustion', '--path', 'host.vfio.dmaEntryLimit', '--versions', '7.2,7.1', '--outcome', 'x>y'], io),
    ).toBe(EXIT_INVALID);
    expect(err).toEqual([
      '--outcome: "y" after > is not a number',
      expect.stringMatching(/^--path: "host\.vfio\.dmaEntryLimit" is not a version field/),
      expect.stringMatching(/^--versions \(item 2\): "7\.1" comes before "7\.2"/),
    ]);
    err = [];
    expect(main([...ARGS, '--outcome', 'dma.mapFailures'], io)).toBe(EXIT_INVALID);
    expect(err).toEqual([expect.stringMatching(/^--variant: the scenario has variants \(percpu, /)]);
    err = [];
    expect(main([...ARGS, ...REST, '--set', 'vms.0.vcpus=0'], io)).toBe(EXIT_INVALID);
    expect(err[0]).toMatch(/^version "7\.0": vms\.0\.vcpus: /);
    expect(out).toEqual([]);
  });
});
