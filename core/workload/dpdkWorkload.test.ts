import { describe, expect, it } from 'vitest';
import { DeviceLifecycle } from '../model/device/deviceLifecycle';
import { ScenarioRun } from '../run/scenarioRun';
import { metricInfo } from '../run/metricCatalog';
import { loadScenario } from '../scenario/loadScenario';
import type { DpdkWorkload } from '../scenario/workloadSchemas';
import { Simulation } from '../sim/simulation';
import { resolveCostTable } from '../sim/costTable';
import type { SimTimeNs } from '../sim/simTime';
import { FakeGuestIommuDriver } from '../model/guestDma/fakeGuestIommuDriver.testkit';
import { DmaDevice, IommuDmaDomain } from '../model/guestDma/iommuDma';
import { VcpuSet } from '../model/guestDma/vcpuSet';
import { DeviceModel } from '../model/device/deviceModel';
import { DpdkWorkloadRunner } from './dpdkWorkload';

const MiB = 2 ** 20;

function run(workload: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const r = loadScenario({ value: { name: 'dpdk', durationMs: 2, workload: { kind: 'dpdk', ...workload }, ...extra } });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const sim = new ScenarioRun(r.scenario);
  return { m: sim.runToEnd().metrics, timeline: sim.timeline() };
}

/** dpdk on dma-iommu over a fake guest IOMMU driver whose maps can be made to fail. */
function onFakeIommu(config: DpdkWorkload, failMaps: number) {
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const driver = new FakeGuestIommuDriver();
  driver.failMaps = failMaps;
  const vcpus = new VcpuSet('vm0', 1);
  const dma = new IommuDmaDomain(
    sim,
    driver,
    { mode: 'strict', cpus: 1, perCpuSize: 256, perCpuTimeoutNs: 1e7, singleSize: 32768, singleTimeoutNs: 1e9, forcedac: false },
    sim.costs,
    vcpus,
  );
  const device = new DeviceModel(
    'nic0',
    { latencyNs: 3000, bandwidthBytesPerSec: 12.5e9, maxIops: 30e6, jitterNs: 0, source: 'test' },
    sim.rng.fork(),
  );
  const runner = new DpdkWorkloadRunner(
    sim,
    config,
    {
      device,
      dma,
      dev: new DmaDevice('nic0', 64, 64, false),
      vcpus,
      lifecycle: new DeviceLifecycle(sim, 'nic0'),
      host: null,
      mempoolGpa: 2 ** 32,
    },
    2_000_000 as SimTimeNs,
  );
  runner.start();
  sim.step(2_000_000 as SimTimeNs, 1e9);
  return { runner, driver, dma };
}

const config = (c: Partial<DpdkWorkload>): DpdkWorkload => ({
  kind: 'dpdk',
  mempoolBytes: 64 * MiB,
  chunkBytes: 2 * MiB,
  iodepth: 4,
  blockSizeBytes: 2048,
  numjobs: 1,
  ...c,
});

describe('dpdk: the mempool is mapped once at start, IOs never map', () => {
  it('maps a 1 GiB mempool in 2 MiB chunks with 512 maps (reference 002)', () => {
    const { m } = run({});
    expect(m['dpdk.mappings']).toBe(512);
    expect(m['dma.maps']).toBe(512);
    expect(m['dma.unmaps']).toBe(0);
  });

  it('keeps dma.maps constant whatever the duration, while IOs grow with it', () => {
    const short = run({ mempoolBytes: 64 * MiB }).m;
    const long = run({ mempoolBytes: 64 * MiB }, { durationMs: 10 }).m;
    expect(short['dma.maps']).toBe(32);
    expect(long['dma.maps']).toBe(32);
    expect(long['io.completed']!).toBeGreaterThan(4 * short['io.completed']!);
  });

  it('maps a last, shorter chunk rounded up to the page', () => {
    expect(run({ mempoolBytes: 3 * MiB + 4096 }).m['dma.maps']).toBe(2);
  });

  it('starts IO only once the mempool is mapped (setupMs), with numjobs x iodepth IOs in flight', () => {
    const { m, timeline: cols } = run({ numjobs: 2, iodepth: 3 }, { costs: { guestDmaMapNs: 1000 } });
    expect(m['dpdk.setupMs']).toBeCloseTo((512 * 1000) / 1e6, 9);
    let first = Infinity;
    let maxConcurrent = 0;
    const open: number[] = [];
    for (let i = 0; i < cols.count; i++) {
      if (cols.kinds[cols.kind[i]!]!.name !== 'dpdk.io') continue;
      first = Math.min(first, cols.t[i]!);
      const t = cols.t[i]!;
      open.push(t + cols.dur[i]!);
      maxConcurrent = Math.max(maxConcurrent, open.filter((end) => end > t).length);
    }
    expect(first).toBeGreaterThanOrEqual(m['dpdk.setupMs']! * 1e6);
    expect(maxConcurrent).toBe(6);
  });

  it('reports only catalogued metrics', () => {
    expect(Object.keys(run({}).m).filter((k) => metricInfo(k) === undefined)).toEqual([]);
  });
});

describe('dpdk: a failed mempool map aborts initialisation', () => {
  it('stops at the failing chunk and runs no IO', () => {
    const { runner, driver } = onFakeIommu(config({}), 1);
    expect(runner.mapFailures).toBe(1);
    expect(runner.mappings).toBe(0);
    expect(runner.completed).toBe(0);
    expect(driver.calls).toEqual([expect.stringMatching(/^map-fail /)]);
  });

  it('maps through dma-iommu once per chunk and never again', () => {
    const { runner, driver, dma } = onFakeIommu(config({}), 0);
    expect(runner.mappings).toBe(32);
    expect(dma.maps).toBe(32);
    expect(driver.calls.filter((c) => c.startsWith('map '))).toHaveLength(32);
    expect(runner.completed).toBeGreaterThan(100);
  });
});
