// An ops script whose steps outlast the run's durationMs is cut short: the run reports the steps not
// run (ops.notRun, ops.cutShort) and records a failure whose cause says which step was next. A
// script that finishes, or one stopOnError stopped, is not cut short.
import { describe, expect, it } from 'vitest';
import { ScenarioSchema } from '../scenario/schema';
import { ScenarioRun } from '../run/scenarioRun';
import { NO_CAUSE } from '../sim/timelineRecorder';

const PAGE = 4096;

function script(durationMs: number, steps: unknown[], stopOnError = false) {
  return ScenarioSchema.parse({
    name: 'cut short',
    durationMs,
    host: { vfio: { backend: 'type1v2' } },
    vms: [{ name: 'vm0', devices: [{ name: 'nvme0', kind: 'nvme' }] }],
    workload: { kind: 'ops', stopOnError, steps },
  });
}

const map = (k: number, atMs?: number) => ({
  op: 'vfio.map',
  args: { iova: 0x100000 + k * PAGE, vaddr: 0x10000000 + k * PAGE, size: PAGE },
  ...(atMs === undefined ? {} : { atMs }),
});

describe('an ops script cut short by the run duration', () => {
  it('reports the steps not run and records why', () => {
    const run = new ScenarioRun(script(10, [map(0), map(1), map(2, 20), map(3)]));
    const result = run.runToEnd();
    expect(result.ops).toHaveLength(2);
    expect(result.metrics['ops.steps']).toBe(2);
    expect(result.metrics['ops.notRun']).toBe(2);
    expect(result.metrics['ops.cutShort']).toBe(1);
    const tl = run.timeline();
    const i = Array.from({ length: tl.count }, (_, k) => k).find((k) => tl.kinds[tl.kind[k]!]!.name === 'ops.cutShort')!;
    expect(tl.kinds[tl.kind[i]!]!.failure).toBe(true);
    expect(tl.t[i]).toBe(10e6);
    expect([tl.a0[i], tl.a1[i]]).toEqual([2, 2]);
    const cause = tl.cause[i]!;
    expect(cause).not.toBe(NO_CAUSE);
    expect(tl.strings[tl.a0[cause]!]).toBe("the run's durationMs (10 ms) ended before step 2 (vfio.map) ran");
  });

  it('is not cut short when the script finishes or stopOnError stops it', () => {
    const done = new ScenarioRun(script(10, [map(0), map(1)])).runToEnd();
    expect([done.metrics['ops.notRun'], done.metrics['ops.cutShort']]).toEqual([0, 0]);
    const stopped = new ScenarioRun(script(10, [map(0), map(0), map(1)], true)).runToEnd();
    expect(stopped.ops.map((o) => o.errno)).toEqual([null, 'EEXIST']);
    expect([stopped.metrics['ops.notRun'], stopped.metrics['ops.cutShort']]).toEqual([1, 0]);
  });
});

describe('a refused ops call explains itself', () => {
  it('records the check that refused it as the failure cause', () => {
    const run = new ScenarioRun(script(10, [map(0), map(0)]));
    run.runToEnd();
    const tl = run.timeline();
    const failed = Array.from({ length: tl.count }, (_, k) => k).filter((k) => tl.kinds[tl.kind[k]!]!.failure);
    expect(failed).toHaveLength(1);
    const cause = tl.cause[failed[0]!]!;
    expect(tl.kinds[tl.kind[cause]!]!.name).toBe('ops.vfio.map.refused');
    expect(tl.strings[tl.a0[cause]!]).toBe('the range overlaps the mapping at 0x100000 (vfio_find_dma)');
  });
});
