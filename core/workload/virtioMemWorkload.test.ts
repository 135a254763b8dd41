import { describe, expect, it } from 'vitest';
import { ScenarioRun } from '../run/scenarioRun';
import { metricInfo } from '../run/metricCatalog';
import { VIOMMU_FACTORIES } from '../stack/viommuRegistry';
import { loadScenario } from '../scenario/loadScenario';
import type { VirtioMemWorkload } from '../scenario/workloadSchemas';
import { Simulation } from '../sim/simulation';
import { resolveCostTable } from '../sim/costTable';
import { FaultInjector } from '../sim/faultInjector';
import type { SimTimeNs } from '../sim/simTime';
import { createHostEnvironment } from '../model/host/hostEnvironment';
import { createVfioContainer } from '../stack/hostContainers';
import { QemuVm } from '../model/qemu/qemuVm';
import { VcpuSet } from '../model/guestDma/vcpuSet';
import { LINUX_MEMORY_BLOCK_BYTES, VirtioMemWorkloadRunner } from './virtioMemWorkload';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

function run(workload: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const r = loadScenario({ value: { name: 'vmem', durationMs: 300, workload: { kind: 'virtio-mem', ...workload }, ...extra } });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const sim = new ScenarioRun(r.scenario);
  return { m: sim.runToEnd().metrics, timeline: sim.timeline() };
}

function firstPlugGpa(cols: ReturnType<typeof run>['timeline']): number {
  for (let i = 0; i < cols.count; i++) if (cols.kinds[cols.kind[i]!]!.name === 'virtio-mem.plug') return cols.a1[i]!;
  return -1;
}

/** A VM's QEMU and RAM container built by hand, so faults can be injected into the container. */
function handBuilt(
  config: Partial<VirtioMemWorkload>,
  faults = new FaultInjector(),
  host: Record<string, unknown> = {},
  withContainer = true,
) {
  const loaded = loadScenario({ value: { name: 'vmem', host: { memoryBacking: 'hugepages-1g', ...host } } });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const env = createHostEnvironment(loaded.scenario, sim.costs, faults);
  const container = createVfioContainer(env, 'vm0', 'nvme0');
  const qemu = new QemuVm(sim.costs, sim.timeline, { name: 'vm0', nested: false });
  const cfg: VirtioMemWorkload = { kind: 'virtio-mem', blockSizeBytes: 2 * MiB, plugBytes: GiB, atMs: 0, unplugAtMs: null, ...config };
  const runner = new VirtioMemWorkloadRunner(sim, cfg, {
    qemu,
    ramContainer: withContainer ? container : null,
    vcpus: new VcpuSet('vm0', 1),
    regionGpa: 16 * GiB,
    dmaMaxMappings: loaded.scenario.host.vfio.dmaEntryLimit,
    maxMemslots: 32764,
  });
  runner.start();
  return { sim, env, container, qemu, runner, cfg };
}

describe('virtio-mem without a vIOMMU: one VFIO map per plugged block (reference 002)', () => {
  it('plugs 1 GiB at 2 MiB granularity with exactly 512 VFIO maps', () => {
    const { m } = run({});
    expect(m['virtioMem.vfioMaps']).toBe(512);
    expect(m['virtioMem.blocksPlugged']).toBe(512);
    // Two more map ioctls mapped guest RAM at boot (x86: below and above the 4 GiB hole).
    expect(m['vfio.mapIoctls']).toBe(514);
    expect(m['vfio.entriesPeak']).toBe(514);
  });

  it('halves the maps when the block size doubles', () => {
    expect(run({ blockSizeBytes: 4 * MiB }).m['virtioMem.vfioMaps']).toBe(256);
  });

  it('unplugs with one VFIO unmap per request range and gives every entry back', () => {
    const { m } = run({ unplugAtMs: 150 });
    expect(m['virtioMem.blocksUnplugged']).toBe(512);
    expect(m['virtioMem.vfioUnmaps']).toBe(GiB / LINUX_MEMORY_BLOCK_BYTES);
    expect(m['vfio.unmapIoctls']).toBe(8);
    expect(m['vfio.lockedBytesPeak']).toBe(9 * GiB);
  });

  it('counts pinning in plugMs: four times the memory takes about four times as long', () => {
    const quarter = run({ plugBytes: 256 * MiB }).m['virtioMem.plugMs']!;
    const full = run({}).m['virtioMem.plugMs']!;
    expect(full / quarter).toBeGreaterThan(3.9);
    expect(full / quarter).toBeLessThan(4.1);
    // 262144 pages at 0.25 us each dominate.
    expect(full).toBeGreaterThan((262144 * resolveCostTable().vfioPinPerPageNs) / 1e6);
  });

  it('places the region above guest RAM, aligned to 1 GiB, unless regionGpa says otherwise', () => {
    expect(firstPlugGpa(run({}).timeline)).toBe(9 * GiB); // x86 8 GiB: RAM ends at 9 GiB (3 GiB moved above 4 GiB)
    expect(firstPlugGpa(run({}, { vms: [{ memoryBytes: 2.5 * GiB }] }).timeline)).toBe(3 * GiB);
    expect(firstPlugGpa(run({ regionGpa: 64 * GiB }).timeline)).toBe(64 * GiB);
  });

  it('waits for plugging to finish before an unplug requested in the middle of it', () => {
    const { timeline: cols, m } = run({ unplugAtMs: 1 });
    let lastPlugEnd = 0;
    let firstUnplug = Infinity;
    for (let i = 0; i < cols.count; i++) {
      const name = cols.kinds[cols.kind[i]!]!.name;
      if (name === 'virtio-mem.plug') lastPlugEnd = Math.max(lastPlugEnd, cols.t[i]! + cols.dur[i]!);
      if (name === 'virtio-mem.unplug') firstUnplug = Math.min(firstUnplug, cols.t[i]!);
    }
    expect(m['virtioMem.blocksUnplugged']).toBe(512);
    expect(firstUnplug).toBeGreaterThanOrEqual(lastPlugEnd);
  });

  it('reports only catalogued metrics', () => {
    expect(Object.keys(run({ unplugAtMs: 150 }).m).filter((k) => metricInfo(k) === undefined)).toEqual([]);
  });
});

describe('virtio-mem: a failed VFIO map rolls the request back and stops plugging', () => {
  it('ENOSPC at dma_entry_limit: the failing request is unmapped again, earlier requests stay', () => {
    const { m } = run({}, { host: { vfio: { dmaEntryLimit: 100 } } });
    // 2 boot entries + 64 blocks of the first request fit; the second request fails at entry 101.
    expect(m['virtioMem.blocksPlugged']).toBe(64);
    expect(m['virtioMem.plugFailures']).toBe(1);
    expect(m['vfio.enospc']).toBe(1);
    expect(m['virtioMem.vfioMaps']).toBe(64 + 35);
    expect(m['virtioMem.vfioUnmaps']).toBe(1);
  });

  it('RLIMIT_MEMLOCK: the plug fails with ENOMEM and nothing stays locked beyond guest RAM', () => {
    const { m, timeline: cols } = run({}, { host: { vfio: { memlockBytes: 8 * GiB + 100 * MiB } } });
    expect(m['virtioMem.blocksPlugged']).toBe(0);
    expect(m['virtioMem.plugFailures']).toBe(1);
    const failed = [...Array(cols.count).keys()].find((i) => cols.kinds[cols.kind[i]!]!.name === 'virtio-mem.plug.failed')!;
    expect(cols.strings[cols.a2[failed]!]).toBe('ENOMEM');
  });

  it('fail-nth: every injected failure leaves the container as before the failing request', () => {
    const config = { blockSizeBytes: 64 * MiB, plugBytes: 384 * MiB, unplugAtMs: 100 };
    const clean = handBuilt(config);
    clean.sim.step(1e9 as SimTimeNs, 1e6);
    expect(clean.runner.blocksPlugged).toBe(6);
    expect(clean.runner.blocksUnplugged).toBe(6);
    const sites = clean.env.faults.sitesReached;
    expect(sites).toBeGreaterThan(6);
    const blockPages = (64 * MiB) / 4096;
    for (let n = 1; n <= sites; n++) {
      const t = handBuilt(config, new FaultInjector(n));
      while (true) {
        const before = t.container.snapshot();
        const failuresBefore = t.runner.plugFailures;
        const over = t.sim.step(1e9 as SimTimeNs, 1);
        if (t.runner.plugFailures !== failuresBefore) expect(t.container.snapshot(), `n=${n}`).toEqual(before);
        expect(t.container.checkInvariants(), `n=${n}`).toEqual([]);
        expect(t.env.process.lockedPages, `n=${n}`).toBe((t.runner.blocksPlugged - t.runner.blocksUnplugged) * blockPages);
        if (over) break;
      }
      expect(t.runner.plugFailures, `n=${n}`).toBe(1);
      expect(t.container.entries, `n=${n}`).toBe(0);
      expect(t.env.process.lockedPages, `n=${n}`).toBe(0);
    }
  });
});

describe('virtio-mem with a vIOMMU: nothing is mapped at plug time', () => {
  it('traps once per request but issues no VFIO call', () => {
    const { sim, runner, qemu, container } = handBuilt({ unplugAtMs: 50 }, new FaultInjector(), {}, false);
    sim.step(1e9 as SimTimeNs, 1e6);
    expect(runner.vfioMaps).toBe(0);
    expect(runner.vfioUnmaps).toBe(0);
    expect(runner.blocksPlugged).toBe(512);
    expect(qemu.exits).toBe(16);
    expect(container.entries).toBe(0);
  });

  it.runIf(VIOMMU_FACTORIES['intel-iommu'] !== undefined)('through the real intel-iommu front-end: 0 VFIO maps', () => {
    const { m } = run({}, { vms: [{ viommu: { model: 'intel-iommu' } }] });
    expect(m['virtioMem.vfioMaps']).toBe(0);
    expect(m['virtioMem.blocksPlugged']).toBe(512);
  });
});
