import { afterEach, describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { prepareRun } from '../../core/run/runRequest';
import { inlineRunPreparer, preparationTimeoutProblem, WorkerRunPreparer } from './runPreparer';
import { spawnRunPreparer } from './workerSpawner';

let preparer: WorkerRunPreparer | null = null;
afterEach(() => preparer?.dispose());

/** YAML that takes the parser many seconds (a long flow list). */
const slowYaml = `name: slow\nx: [${Array.from({ length: 1_000_000 }, (_, i) => i).join(', ')}]\n`;

describe('preparing runs in a worker thread', () => {
  it('gives the same plans and problems as preparing inline', async () => {
    preparer = new WorkerRunPreparer(spawnRunPreparer);
    const requests = [{ preset: 'quickstart-nvme-fio' }, { scenario: { name: 'x', seed: -1 } }, { preset: 'nope' }];
    expect(await preparer.prepare(requests)).toEqual(requests.map((r) => prepareRun(r)));
    expect(await preparer.check(requests)).toEqual(await inlineRunPreparer.check(requests));
    expect((await preparer.check(requests))[0]).toEqual({ ok: true });
  });

  it('stops a job past its time limit, answers it with a problem line, and goes on with the next', async () => {
    preparer = new WorkerRunPreparer(spawnRunPreparer, 4_000);
    await preparer.check([{ preset: 'quickstart-nvme-fio' }]); // the worker is up
    const [slow, next] = await Promise.all([
      preparer.check([{ scenarioText: slowYaml }]),
      preparer.check([{ preset: 'quickstart-nvme-fio' }]),
    ]);
    expect(slow).toEqual([{ ok: false, problems: [preparationTimeoutProblem(4_000)] }]);
    expect(next).toEqual([{ ok: true }]);
  });

  it('fails the job of a worker that dies, and spawns a new one for the next', async () => {
    let spawned = 0;
    preparer = new WorkerRunPreparer(() => {
      spawned++;
      return spawned === 1 ? new Worker('process.exit(3)', { eval: true }) : spawnRunPreparer();
    });
    await expect(preparer.check([{ preset: 'quickstart-nvme-fio' }])).rejects.toThrow('the scenario validator stopped: exit code 3');
    expect(await preparer.check([{ preset: 'quickstart-nvme-fio' }])).toEqual([{ ok: true }]);
    expect(spawned).toBe(2);
  });
});
