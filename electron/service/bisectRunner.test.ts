// A bisect experiment through the service: spec problems are refused by field, and preset 1's
// retry variant over QEMU releases names 7.2 (the RPCIT second pass), each step an ordinary run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabService } from './labService';
import { spawnRunWorker } from './workerSpawner';
import { dispatchLabCall } from './apiDispatch';
import type { ExperimentRequest } from '../../core/contract/experiments';

let dir: string;
let service: LabService;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-bisect-'));
  service = new LabService({ dbPath: join(dir, 'lab.db'), spawnWorker: spawnRunWorker, version: 'test' });
});
afterAll(() => {
  service.close();
  rmSync(dir, { recursive: true, force: true });
});

const request = (over: Partial<ExperimentRequest['bisect'] & object> = {}): ExperimentRequest => ({
  name: 'rpcit second pass',
  kind: 'bisect',
  base: { preset: 's390-rpcit-exhaustion', overrides: ['durationMs=100'] },
  bisect: {
    path: 'host.qemu.version',
    versions: ['6.2', '7.0', '7.1', '7.2', '8.0', '9.0'],
    outcome: { metric: 's390.shadow.retryPasses', op: '>', value: 0 },
    variant: 'retry',
    ...over,
  },
});

async function problemsOf(r: ExperimentRequest): Promise<readonly string[]> {
  const res = await dispatchLabCall(service, 'createExperiment', [r]);
  if (res.ok) throw new Error('expected a refusal');
  return res.error.problems ?? [res.error.message];
}

describe('bisect experiments', () => {
  it('refuses a bad spec with one line per field', async () => {
    expect(await problemsOf(request({ path: 'host.vfio.dmaEntryLimit' }))).toEqual([
      expect.stringMatching(/^bisect\.path: "host\.vfio\.dmaEntryLimit" is not a version field; use host\.qemu\.version/),
    ]);
    expect(await problemsOf(request({ versions: ['7.2', '7.1'] }))).toEqual([
      'bisect.versions.1: "7.1" comes before "7.2" in QEMU\'s releases; list versions oldest first',
    ]);
    expect(await problemsOf(request({ versions: ['7.1', '7.3'] }))).toEqual([
      'bisect.versions.1: QEMU has no release 7.3 (7.x runs 7.0 to 7.2)',
    ]);
    expect(await problemsOf(request({ versions: ['7.1', 'seven'] }))).toEqual([
      expect.stringMatching(/^createExperiment arguments 0\.bisect\.versions\.1: must be a version/),
    ]);
    expect(await problemsOf(request({ outcome: { metric: 'no.such.metric' } }))).toEqual([
      'bisect.outcome.metric: "no.such.metric" is not a metric of the catalog (docs/model.md#outputs lists them)',
    ]);
    expect(await problemsOf(request({ variant: 'nope' }))).toEqual([
      expect.stringMatching(/^bisect\.variant: no variant "nope" \(variants: percpu, /),
    ]);
    expect(await problemsOf(request({ variant: undefined }))).toEqual([
      expect.stringMatching(/^bisect\.variant: the scenario has variants/),
    ]);
    expect(await problemsOf({ ...request(), kind: 'bisect', bisect: undefined })).toEqual([
      'createExperiment arguments 0.bisect: a bisect experiment needs its bisect spec',
    ]);
    expect(await problemsOf(request({ path: 'vms.0.guest.kernelVersion', versions: ['4.19', '4.21'] }))).toEqual([
      'bisect.versions.1: Linux has no release 4.21 (4.x runs 4.0 to 4.20)',
    ]);
  });

  it('names QEMU 7.2 for the RPCIT second pass of preset 1, each step a stored run', async () => {
    const { experimentId } = await service.createExperiment(request());
    const before = await service.getExperiment(experimentId);
    expect(before).toMatchObject({ kind: 'bisect', variantCount: 6, bisect: { state: 'not-run', steps: [] } });
    const { runIds } = await service.runExperiment(experimentId);
    expect(runIds).toHaveLength(1);
    await service.idle();
    const e = await service.getExperiment(experimentId);
    expect(e.bisect).toMatchObject({ state: 'done', error: null, firstChange: '7.2', before: 0, after: 1 });
    const steps = e.bisect!.steps;
    // Halving: the two ends, then 7.1 and 7.2: 4 of the 6 versions run.
    expect(steps.map((s) => [s.version, s.outcome, s.status])).toEqual([
      ['6.2', 0, 'completed'],
      ['7.1', 0, 'completed'],
      ['7.2', 1, 'completed'],
      ['9.0', 1, 'completed'],
    ]);
    expect(steps[0]!.runId).toBe(runIds[0]);
    const run = await service.getRun(steps[2]!.runId!);
    expect(run.name).toBe('rpcit second pass / host.qemu.version=7.2');
    expect(run.metrics['retry:s390.shadow.retryPasses']).toBeGreaterThan(0);
    expect(Object.keys(run.metrics).some((m) => m.startsWith('percpu:'))).toBe(false);
  });

  it('runs every version with all, and reports the raw metric without a comparison', async () => {
    const { experimentId } = await service.createExperiment(
      request({ versions: ['7.0', '7.1', '7.2'], all: true, outcome: { metric: 's390.shadow.retryPasses' } }),
    );
    await service.runExperiment(experimentId);
    await service.idle();
    const b = (await service.getExperiment(experimentId)).bisect!;
    expect(b.steps.map((s) => s.version)).toEqual(['7.0', '7.1', '7.2']);
    expect(b).toMatchObject({ state: 'done', firstChange: '7.2', before: 0 });
    expect(b.after).toBeGreaterThan(0);
  });
});
