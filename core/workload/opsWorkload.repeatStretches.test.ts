// Repeated steps run in stretches (OpDefinition.runRepeat: vfio.map through the container's run of
// single-page maps, iovaTree.insert without an outcome per call) against the same scripts run one
// call at a time through run(): random scripts of repeated maps and inserts (overlaps, misaligned
// and non-page steps, dma_entry_limit and RLIMIT_MEMLOCK reached mid-stretch, unmaps in between,
// every IOVA tree fix) must give the same op results, metrics, timeline and simulated time.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScenarioSchema, type Scenario } from '../scenario/schema';
import { Simulation } from '../sim/simulation';
import { resolveCostTable } from '../sim/costTable';
import type { SimTimeNs } from '../sim/simTime';
import type { MetricMap } from '../sim/metricSink';
import { OpsWorkloadRunner } from './opsWorkload';
import { OPS } from '../ops/opRegistry';
import type { OpDefinition, OpRepeatStretch } from '../ops/opTypes';

const PAGE = 4096;

interface Outcome {
  readonly ops: unknown;
  readonly metrics: MetricMap;
  readonly hash: string;
  readonly events: number;
  readonly now: number;
}

function runScript(scenario: Scenario, stretches: boolean): Outcome {
  if (scenario.workload.kind !== 'ops') throw new Error('ops scenario expected');
  const sim = new Simulation({ seed: scenario.seed, costs: resolveCostTable(scenario.costs) });
  const runner = new OpsWorkloadRunner(sim, scenario.workload, scenario, stretches);
  runner.start();
  while (!sim.step(1e15 as SimTimeNs, 1_000_000));
  const metrics: MetricMap = {};
  runner.collectMetrics(metrics);
  return { ops: runner.opResults(), metrics, hash: sim.timeline.hash(), events: sim.timeline.size, now: sim.now };
}

const mapStep = fc.record({
  op: fc.constant('vfio.map'),
  args: fc.record({
    iova: fc.oneof(
      fc.nat(600).map((p) => 0x100000 + p * PAGE),
      fc.nat(600).map((p) => 0x100000 + p * PAGE + 512),
    ),
    vaddr: fc.nat(600).map((p) => 0x10000000 + p * PAGE),
    size: fc.constantFrom(PAGE, PAGE, PAGE, 2 * PAGE),
    container: fc.constantFrom('container0', 'container0', 'container1'),
  }),
  repeat: fc.record({
    count: fc.integer({ min: 1, max: 300 }),
    add: fc.oneof(
      { weight: 5, arbitrary: fc.constant({ iova: PAGE, vaddr: PAGE }) },
      { weight: 1, arbitrary: fc.constant({ iova: 2 * PAGE, vaddr: 2 * PAGE }) },
      { weight: 1, arbitrary: fc.constant({ iova: PAGE }) },
    ),
  }),
});

const unmapStep = fc.record({
  op: fc.constant('vfio.unmap'),
  args: fc.record({ iova: fc.nat(600).map((p) => 0x100000 + p * PAGE), size: fc.nat(100).map((p) => (p + 1) * PAGE) }),
});

const insertStep = fc.record({
  op: fc.constant('iovaTree.insert'),
  args: fc.record({
    iova: fc.nat(2000).map((p) => p * PAGE),
    translatedAddr: fc.nat(50).map((p) => 0x7f0000000000 + p * PAGE),
    size: fc.constantFrom(PAGE - 1, 2 * PAGE - 1, 100),
    id: fc.nat(2000).map((p) => p * PAGE),
  }),
  repeat: fc.record({
    count: fc.integer({ min: 1, max: 200 }),
    add: fc.oneof(
      fc.constant({ iova: PAGE, translatedAddr: PAGE, id: PAGE }),
      fc.constant({ iova: PAGE, translatedAddr: 0 }),
      fc.constant({ iova: 2 * PAGE }),
      fc.constant({ translatedAddr: PAGE }),
    ),
  }),
});

const findStep = fc.record({
  op: fc.constant('iovaTree.findIova'),
  args: fc.record({ translatedAddr: fc.nat(60).map((p) => 0x7f0000000000 + p * PAGE), size: fc.constant(PAGE - 1) }),
});

function scenarioOf(steps: readonly unknown[], limit: number, memlockPages: number | null, fix: string): Scenario {
  return ScenarioSchema.parse({
    name: 'repeat-stretches',
    host: {
      vfio: { dmaEntryLimit: limit, memlockBytes: memlockPages === null ? null : memlockPages * PAGE },
      qemu: { iovaTree: { fix } },
    },
    workload: { kind: 'ops', steps },
  });
}

/** Stretches taken (calls > 0) and failures reported by runRepeat, per op: the test must reach both. */
const seen = { stretches: new Map<string, number>(), failed: new Map<string, number>() };
for (const name of ['vfio.map', 'iovaTree.insert', 'hcall.H_PUT_TCE', 'hcall.H_STUFF_TCE']) {
  const def = OPS.get(name) as { runRepeat: OpDefinition['runRepeat'] };
  const inner = def.runRepeat!;
  def.runRepeat = (...a): OpRepeatStretch | null => {
    const s = inner(...a);
    if (s !== null && s.calls > 0) seen.stretches.set(name, (seen.stretches.get(name) ?? 0) + 1);
    if (s?.failed !== undefined) seen.failed.set(name, (seen.failed.get(name) ?? 0) + 1);
    return s;
  };
}

describe('repeated ops steps in stretches', () => {
  it('give what the same calls made one by one give', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof({ weight: 4, arbitrary: mapStep }, { weight: 2, arbitrary: unmapStep }, { weight: 3, arbitrary: insertStep }, findStep),
          {
            minLength: 1,
            maxLength: 12,
          },
        ),
        fc.constantFrom(40, 300, 65535),
        fc.constantFrom(null, 150, 1000),
        fc.constantFrom('none', 'id', 'reverse-index', 'id+reverse-index'),
        (steps, limit, memlock, fix) => {
          const scenario = scenarioOf(steps, limit, memlock, fix);
          expect(runScript(scenario, true)).toEqual(runScript(scenario, false));
        },
      ),
      { numRuns: 120 },
    );
    expect(seen.stretches.get('vfio.map')).toBeGreaterThan(20);
    expect(seen.stretches.get('iovaTree.insert')).toBeGreaterThan(20);
    expect(seen.failed.get('iovaTree.insert')).toBeGreaterThan(5);
  });

  it('the entry-limit preset: 65535 maps in one stretch, the 65536th refused', () => {
    const steps = [
      {
        op: 'vfio.map',
        args: { iova: '0x100000', vaddr: '0x10000000', size: PAGE },
        repeat: { count: 65535, add: { iova: PAGE, vaddr: PAGE } },
      },
      { op: 'vfio.map', args: { iova: 0x100000 + 65535 * PAGE, vaddr: 0x10000000 + 65535 * PAGE, size: PAGE } },
      { op: 'vfio.getInfo', args: {} },
    ];
    const scenario = scenarioOf(steps, 65535, null, 'none');
    expect(runScript(scenario, true)).toEqual(runScript(scenario, false));
  });

  it('hypercalls on a pseries guest (in-kernel, through QEMU, nested; runs past the window fail part way)', () => {
    const LIOBN = 0x8000_0000;
    const DDW = 0x8000_0001;
    const put = fc.record({
      op: fc.constant('hcall.H_PUT_TCE'),
      args: fc.record({
        liobn: fc.constantFrom(LIOBN, LIOBN, DDW, 0x12345),
        ioba: fc.oneof(
          fc.nat(300).map((p) => p * PAGE),
          fc.constant('0x800000000000000'),
        ),
        tce: fc.oneof(
          fc.nat(5000).map((p) => p * PAGE + 3),
          fc.constant(0),
          fc.constant(2 ** 40 + 3),
        ),
      }),
      repeat: fc.record({
        count: fc.integer({ min: 1, max: 120 }),
        add: fc.oneof(fc.constant({ ioba: PAGE, tce: PAGE }), fc.constant({ ioba: 65536, tce: 65536 }), fc.constant({ ioba: PAGE })),
      }),
    });
    const stuff = fc.record({
      op: fc.constant('hcall.H_STUFF_TCE'),
      args: fc.record({
        liobn: fc.constantFrom(LIOBN, DDW),
        ioba: fc.oneof(
          fc.nat(300).map((p) => p * PAGE),
          fc.constant('0x800000000000000'),
        ),
        value: fc.constantFrom(0, 0, 3),
        count: fc.integer({ min: 0, max: 3 }),
      }),
      repeat: fc.record({ count: fc.integer({ min: 1, max: 120 }), add: fc.constantFrom({ ioba: PAGE }, { ioba: 65536 }, { count: 1 }) }),
    });
    const ddw = fc.constant({ op: 'rtas.ibm,create-pe-dma-window', args: { pageShift: 16, windowShift: 24 } });
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 3, arbitrary: put }, { weight: 2, arbitrary: stuff }, { weight: 1, arbitrary: ddw }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.constantFrom('powernv', 'powervm-nested'),
        fc.boolean(),
        (steps, hypervisor, inKernelTce) => {
          const scenario = ScenarioSchema.parse({
            name: 'repeat-stretches-ppc',
            host: { arch: 'ppc64le', hypervisor, vfio: { backend: 'spapr-tce-v2' } },
            vms: [
              {
                name: 'vm0',
                memoryBytes: 2 ** 30,
                viommu: { model: 'spapr-tce', spapr: { guestDisableDdw: true, inKernelTce, dmaWinSizeBytes: 2 ** 20 } },
                devices: [{ name: 'nvme0', hostPe: 0, guestPe: 0 }],
              },
            ],
            workload: { kind: 'ops', steps },
          });
          expect(runScript(scenario, true)).toEqual(runScript(scenario, false));
        },
      ),
      { numRuns: 60 },
    );
    expect(seen.stretches.get('hcall.H_PUT_TCE')).toBeGreaterThan(5);
    expect(seen.failed.get('hcall.H_PUT_TCE')).toBeGreaterThan(2);
    expect(seen.stretches.get('hcall.H_STUFF_TCE')).toBeGreaterThan(5);
  });
});
