import { describe, expect, it } from 'vitest';
import { ScenarioRun } from '../run/scenarioRun';
import { metricInfo } from '../run/metricCatalog';
import { VIOMMU_FACTORIES } from '../stack/viommuRegistry';
import { loadScenario } from '../scenario/loadScenario';
import type { DeviceConfig } from '../scenario/schema';
import { Simulation } from '../sim/simulation';
import { resolveCostTable } from '../sim/costTable';
import { FakeGuestIommuDriver } from '../model/guestDma/fakeGuestIommuDriver.testkit';
import { DmaDevice, IommuDmaDomain } from '../model/guestDma/iommuDma';
import { VcpuSet } from '../model/guestDma/vcpuSet';
import type { MetricMap } from '../sim/metricSink';
import { ProbeWorkloadRunner, type ProbeTarget } from './probeWorkload';

const GiB = 2 ** 30;

type ProbeConfig = ProbeTarget['config'];

/**
 * The DMA path of an s390 KVM guest as the probe sees it, without the s390 front-end: dma-iommu
 * over a guest IOMMU driver whose aperture has no IOVA below the 4 GiB window start (reserved
 * [0, 4 GiB), as s390_iommu_get_resv_regions reports below start_dma), with iommu.forcedac as s390 sets it.
 */
function s390Like(devices: ProbeConfig[], opts: { reserveLow4G?: boolean; forcedac?: boolean; apertureLast?: number } = {}) {
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const vcpus = new VcpuSet('vm0', 2);
  const reserved = opts.reserveLow4G === false ? [] : [{ start: 0, last: 4 * GiB - 1 }];
  const drivers: FakeGuestIommuDriver[] = [];
  const targets: ProbeTarget[] = devices.map((config, i) => {
    const driver = new FakeGuestIommuDriver(true, true, 0, opts.apertureLast ?? 2 ** 42 - 1, reserved);
    drivers.push(driver);
    const dma = new IommuDmaDomain(
      sim,
      driver,
      {
        mode: 'strict',
        cpus: 2,
        perCpuSize: 256,
        perCpuTimeoutNs: 1e7,
        singleSize: 32768,
        singleTimeoutNs: 1e9,
        forcedac: opts.forcedac ?? true,
      },
      sim.costs,
      vcpus,
    );
    // The device starts with whatever masks a previous owner left; the probe must reset them to 32 bits.
    const dev = new DmaDevice(config.name, 64, 64, opts.forcedac ?? true);
    return { config, dev, dma, vcpus, maskSupported: () => true, bufferGpa: 16 * 2 ** 20 + i * 65536 };
  });
  const runner = new ProbeWorkloadRunner(sim, targets);
  runner.start();
  const metrics: MetricMap = {};
  runner.collectMetrics(metrics);
  return { runner, drivers, targets, metrics, results: runner.opResults() };
}

function device(name: string, kind: DeviceConfig['kind'], extra: Partial<ProbeConfig> = {}): ProbeConfig {
  return { name, kind, dmaMaskBits: 64, coherentDmaMaskBits: undefined, setsMaskBeforeCoherentAlloc: true, ...extra };
}

describe('probe: mlx5_core allocating its command page before raising the 32-bit mask (reference 003)', () => {
  it('fails with -12 where no IOVA lies below 4 GiB, and says so in dmesg', () => {
    const { results, metrics, drivers } = s390Like([device('mlx0', 'mlx5-vf', { setsMaskBeforeCoherentAlloc: false })]);
    expect(results).toEqual([
      { op: 'probe.mlx0.dma.allocCoherent', ok: false, errno: 'ENOMEM', ret: null },
      { op: 'probe.mlx0', ok: false, errno: 'ENOMEM', ret: -12 },
      {
        op: 'probe.mlx0.dmesg',
        ok: true,
        errno: null,
        ret: [
          'mlx5_core mlx0: mlx5_mdev_init: Failed initializing cmdif SW structs, aborting',
          'mlx5_core: probe of mlx0 failed with error -12',
        ],
      },
    ]);
    expect(metrics['probe.failures']).toBe(1);
    expect(drivers[0]!.calls).toEqual([]);
  });

  it('works once the driver sets its masks first', () => {
    const { results, targets } = s390Like([device('mlx0', 'mlx5-vf', { setsMaskBeforeCoherentAlloc: true })]);
    expect(results.map((r) => [r.op, r.ok])).toEqual([
      ['probe.mlx0.dma.setMask', true],
      ['probe.mlx0.dma.allocCoherent', true],
      ['probe.mlx0', true],
      ['probe.mlx0.dmesg', true],
    ]);
    expect(results[1]!.ret as number).toBeGreaterThanOrEqual(4 * GiB);
    expect(targets[0]!.dev.coherentMaskBits).toBe(64);
  });

  it('succeeds in the wrong order too where IOVAs below 4 GiB exist (why x86 never saw it)', () => {
    const { metrics } = s390Like([device('mlx0', 'mlx5-vf', { setsMaskBeforeCoherentAlloc: false })], {
      reserveLow4G: false,
      forcedac: false,
    });
    expect(metrics['probe.failures']).toBe(0);
  });
});

describe('probe: nvme and the other drivers', () => {
  it('nvme: masks, two admin-queue pages, one identify map and unmap, all above 4 GiB on s390', () => {
    const { results, drivers } = s390Like([device('nvme0', 'nvme')]);
    expect(results.map((r) => r.op)).toEqual([
      'probe.nvme0.dma.setMask',
      'probe.nvme0.dma.allocCoherent',
      'probe.nvme0.dma.allocCoherent',
      'probe.nvme0.dma.map',
      'probe.nvme0.dma.unmap',
      'probe.nvme0',
      'probe.nvme0.dmesg',
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results[0]!.ret).toBe(64);
    expect(drivers[0]!.mapped.size).toBe(2);
  });

  it('sets the coherent mask separately when the driver asks for a different width', () => {
    const { results, targets } = s390Like([device('ism0', 'ism', { dmaMaskBits: 64, coherentDmaMaskBits: 48 })]);
    expect(results.slice(0, 2)).toEqual([
      { op: 'probe.ism0.dma.setMask', ok: true, errno: null, ret: 64 },
      { op: 'probe.ism0.dma.setCoherentMask', ok: true, errno: null, ret: 48 },
    ]);
    expect(targets[0]!.dev.coherentMaskBits).toBe(48);
  });

  it('frees what a failing probe had allocated (the driver error path)', () => {
    // One page of IOVA space above the 4 GiB window start: the first admin queue fits, the second does not.
    const { results, drivers } = s390Like([device('nvme0', 'nvme')], { apertureLast: 4 * GiB + 4095 });
    expect(results.map((r) => [r.op, r.errno])).toEqual([
      ['probe.nvme0.dma.setMask', null],
      ['probe.nvme0.dma.allocCoherent', null],
      ['probe.nvme0.dma.allocCoherent', 'ENOMEM'],
      ['probe.nvme0.dma.unmap', null],
      ['probe.nvme0', 'ENOMEM'],
      ['probe.nvme0.dmesg', null],
    ]);
    expect(drivers[0]!.mapped.size).toBe(0);
    expect(results.at(-1)!.ret).toEqual(['nvme: probe of nvme0 failed with error -12']);
  });

  it('logs "Using N-bit DMA addresses" when the 32-bit first try fails, and reports N as dma.addressBits', () => {
    const { metrics, results } = s390Like([device('nvme0', 'nvme')], { forcedac: false, apertureLast: 2 ** 48 - 1 });
    expect(metrics['dma.addressBits']).toBe(48);
    expect(results.at(-1)!.ret).toEqual(['nvme0: Using 48-bit DMA addresses']);
  });

  it('reports 0 address bits when no device logged any', () => {
    expect(s390Like([device('nvme0', 'nvme')]).metrics['dma.addressBits']).toBe(0);
  });

  it('probes every device, devices of one VM one after the other on vCPU 0', () => {
    const { metrics, targets } = s390Like([device('a', 'gpu'), device('b', 'generic'), device('c', 'virtio-net-vdpa')]);
    expect(metrics['probe.devices']).toBe(3);
    expect(metrics['probe.failures']).toBe(0);
    expect(targets[0]!.vcpus.cpus[0]!.stats.served).toBe(3);
  });
});

function runScenario(value: Record<string, unknown>) {
  const r = loadScenario({ value: { name: 'probe', durationMs: 1, workload: { kind: 'probe' }, ...value } });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return new ScenarioRun(r.scenario).runToEnd();
}

describe('probe through the stack builder', () => {
  it('x86 without a vIOMMU: every probe succeeds, dma-direct hands out guest-physical addresses', () => {
    const r = runScenario({
      vms: [{ devices: [{ name: 'nvme0' }, { name: 'mlx0', kind: 'mlx5-vf', setsMaskBeforeCoherentAlloc: false }] }],
    });
    expect(r.metrics['probe.devices']).toBe(2);
    expect(r.metrics['probe.failures']).toBe(0);
    expect(r.ops.find((o) => o.op === 'probe.mlx0.dma.allocCoherent')!.ret).toBe(16 * 2 ** 20 + 65536);
    expect(Object.keys(r.metrics).filter((k) => metricInfo(k) === undefined)).toEqual([]);
  });

  it('dma-direct refuses a mask below ZONE_DMA (s390: 31 bits): the probe fails with -5', () => {
    const r = runScenario({ host: { arch: 's390x' }, vms: [{ devices: [{ name: 'old0', kind: 'generic', dmaMaskBits: 24 }] }] });
    expect(r.ops).toContainEqual({ op: 'probe.old0.dma.setMask', ok: false, errno: 'EIO', ret: null });
    expect(r.ops).toContainEqual({ op: 'probe.old0', ok: false, errno: 'EIO', ret: -5 });
  });

  it.runIf(VIOMMU_FACTORIES['s390-zpci'] !== undefined)(
    's390 KVM with the zPCI vIOMMU: mlx5 in the wrong order fails with -12, nvme works',
    () => {
      const r = runScenario({
        host: { arch: 's390x', hypervisor: 'kvm' },
        vms: [
          {
            viommu: { model: 's390-zpci' },
            devices: [{ name: 'nvme0' }, { name: 'mlx0', kind: 'mlx5-vf', setsMaskBeforeCoherentAlloc: false }],
          },
        ],
      });
      expect(r.ops).toContainEqual({ op: 'probe.mlx0', ok: false, errno: 'ENOMEM', ret: -12 });
      expect(r.ops).toContainEqual({ op: 'probe.nvme0', ok: true, errno: null, ret: 0 });
    },
  );
});
