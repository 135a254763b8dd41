import { describe, expect, it } from 'vitest';
import { DeviceLifecycle } from '../model/device/deviceLifecycle';
import { ScenarioRun } from '../run/scenarioRun';
import { VIOMMU_FACTORIES } from '../stack/viommuRegistry';
import { metricInfo } from '../run/metricCatalog';
import { loadScenario } from '../scenario/loadScenario';
import type { GpuWorkload } from '../scenario/workloadSchemas';
import { Simulation } from '../sim/simulation';
import { resolveCostTable } from '../sim/costTable';
import type { SimTimeNs } from '../sim/simTime';
import { createHostEnvironment } from '../model/host/hostEnvironment';
import { createVfioContainer } from '../stack/hostContainers';
import type { DmaCall } from '../model/base/dmaCall';
import { ENOMEM } from '../model/base/errno';
import type { GuestIommuDriver } from '../model/guestDma/guestIommuDriver';
import { DmaDevice, IommuDmaDomain } from '../model/guestDma/iommuDma';
import { QemuVm } from '../model/qemu/qemuVm';
import type { VfioContainerApi } from '../model/vfio/vfioContainerApi';
import { VcpuSet } from '../model/guestDma/vcpuSet';
import { DeviceModel } from '../model/device/deviceModel';
import { GpuWorkloadRunner } from './gpuWorkload';

const MiB = 2 ** 20;

function run(workload: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const r = loadScenario({
    value: {
      name: 'gpu',
      durationMs: 20,
      vms: [{ devices: [{ name: 'gpu0', kind: 'gpu' }] }],
      workload: { kind: 'gpu', ...workload },
      ...extra,
    },
  });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const sim = new ScenarioRun(r.scenario);
  return { m: sim.runToEnd().metrics, timeline: sim.timeline() };
}

/**
 * A caching-mode vIOMMU reduced to what the GPU workload needs: every guest map is shadowed by
 * QEMU into the device's container at once (one VFIO map, pinning every page), every unmap too.
 */
class ShadowingDriver implements GuestIommuDriver {
  readonly name = 'shadowing';
  readonly deferredFlush = true;
  readonly shadowOnFlush = false;
  readonly apertureStart = 0;
  readonly apertureLast = 2 ** 48 - 1;
  /** The x86 MSI window, reserved in the guest as intel-iommu does (the host container refuses it too). */
  readonly reservedRanges = [{ start: 0xfee0_0000, last: 0xfeef_ffff }];

  constructor(
    private readonly qemu: QemuVm,
    private readonly container: VfioContainerApi,
  ) {}

  map(call: DmaCall, iova: number, gpa: number, size: number, write: boolean): void {
    const failures = this.qemu.vfioMapFailures;
    call.t += this.qemu.vfioMap(this.container, iova, gpa, size, !write, call.t, call.cause);
    if (this.qemu.vfioMapFailures !== failures) call.errno = ENOMEM;
  }

  unmap(call: DmaCall, iova: number, size: number): void {
    call.t += this.qemu.vfioUnmap(this.container, iova, size);
  }

  iotlbSync(): void {}

  flushIotlbAll(): void {}
}

function onShadowingViommu(c: Partial<GpuWorkload>, host: Record<string, unknown> = {}) {
  const loaded = loadScenario({ value: { name: 'gpu', host, vms: [{ devices: [{ name: 'gpu0', kind: 'gpu' }] }] } });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const env = createHostEnvironment(loaded.scenario, sim.costs);
  const container = createVfioContainer(env, 'vm0.gpu0', 'gpu0');
  const qemu = new QemuVm(sim.costs, sim.timeline, { name: 'vm0', nested: false });
  const vcpus = new VcpuSet('vm0', 2);
  const dma = new IommuDmaDomain(
    sim,
    new ShadowingDriver(qemu, container),
    { mode: 'strict', cpus: 2, perCpuSize: 256, perCpuTimeoutNs: 1e7, singleSize: 32768, singleTimeoutNs: 1e9, forcedac: false },
    sim.costs,
    vcpus,
  );
  const device = new DeviceModel(
    'gpu0',
    { latencyNs: 2000, bandwidthBytesPerSec: 25e9, maxIops: 5e6, jitterNs: 0, source: 'test' },
    sim.rng.fork(),
  );
  const config: GpuWorkload = { kind: 'gpu', buffers: 2, bufferBytes: 64 * MiB, transferBytes: 4 * MiB, kernelUs: 100, ...c };
  const runner = new GpuWorkloadRunner(
    sim,
    config,
    {
      device,
      dma,
      dev: new DmaDevice('gpu0', 64, 64, false),
      vcpus,
      lifecycle: new DeviceLifecycle(sim, 'gpu0'),
      host: null,
      bufferGpa: 2 ** 32,
    },
    1e12 as SimTimeNs,
  );
  runner.start();
  return { runner, env, container, sim };
}

describe('gpu: buffers are pinned once at start, transfers never map', () => {
  it('with a vIOMMU, setup time grows linearly with buffer size (QEMU pins every page into VFIO)', () => {
    const sizes = [16, 32, 64, 128];
    const setup = sizes.map((mib) => onShadowingViommu({ buffers: 2, bufferBytes: mib * MiB, transferBytes: MiB }).runner.setupNs);
    const perMiB = (setup[3]! - setup[0]!) / (128 - 16);
    // Two buffers, 256 pages per MiB each, pinning dominating (host IOMMU maps add a little).
    const pinning = 2 * 256 * resolveCostTable().vfioPinPerPageNs;
    expect(perMiB).toBeGreaterThanOrEqual(pinning);
    expect(perMiB).toBeLessThan(pinning * 1.05);
    for (let i = 1; i < sizes.length; i++) {
      const slope = (setup[i]! - setup[i - 1]!) / (sizes[i]! - sizes[i - 1]!);
      expect(Math.abs(slope - perMiB) / perMiB).toBeLessThan(0.01);
    }
  });

  it('with a vIOMMU, pins every buffer page into the container (locked memory = buffers x bufferBytes)', () => {
    const { env, container, runner } = onShadowingViommu({ buffers: 3, bufferBytes: 32 * MiB });
    expect(runner.mappings).toBe(3);
    expect(container.entries).toBe(3);
    expect(env.process.lockedPages * 4096).toBe(3 * 32 * MiB);
  });

  it.runIf(VIOMMU_FACTORIES['intel-iommu'] !== undefined)(
    'through the real intel-iommu front-end: doubling the buffers doubles the setup',
    () => {
      const viommu = { vms: [{ viommu: { model: 'intel-iommu' }, devices: [{ name: 'gpu0', kind: 'gpu' }] }] };
      const small = run({ bufferBytes: 64 * MiB, transferBytes: MiB }, viommu).m;
      const large = run({ bufferBytes: 128 * MiB, transferBytes: MiB }, viommu).m;
      expect(large['gpu.setupMs']! / small['gpu.setupMs']!).toBeGreaterThan(1.95);
      expect(large['gpu.setupMs']! / small['gpu.setupMs']!).toBeLessThan(2.05);
      // The buffers stay pinned to the end; the peak is QEMU's boot-time map of all guest RAM (the
      // no-DMAR alias while the guest has not enabled translation, vtd_switch_address_space).
      expect(large['vfio.lockedBytesEnd']).toBe(4 * 128 * MiB);
      expect(large['vfio.lockedBytesPeak']).toBeGreaterThanOrEqual(4 * 128 * MiB);
    },
  );

  it('without a vIOMMU, setup does not depend on buffer size (guest RAM was pinned at boot)', () => {
    const small = run({ bufferBytes: 16 * MiB, transferBytes: MiB }).m;
    const large = run({ bufferBytes: 1024 * MiB, transferBytes: MiB }).m;
    expect(large['gpu.setupMs']).toBe(small['gpu.setupMs']);
    expect(large['dma.maps']).toBe(4);
  });

  it('a failed buffer map (RLIMIT_MEMLOCK) aborts the setup: no kernel runs', () => {
    const { runner, sim } = onShadowingViommu({ buffers: 2, bufferBytes: 64 * MiB }, { vfio: { memlockBytes: 100 * MiB } });
    sim.step(1e9 as SimTimeNs, 1e6);
    expect(runner.mappings).toBe(1);
    expect(runner.mapFailures).toBe(1);
    expect(runner.kernels).toBe(0);
  });
});

describe('gpu: kernels alternate with transfers', () => {
  it('runs kernel, transfer, kernel, ... and reports transfer bandwidth', () => {
    const { m, timeline: cols } = run({ kernelUs: 500, transferBytes: 64 * MiB });
    const seq: string[] = [];
    for (let i = 0; i < cols.count; i++) {
      const name = cols.kinds[cols.kind[i]!]!.name;
      if (name === 'gpu.kernel' || name === 'gpu.transfer') seq.push(name);
    }
    seq.forEach((name, i) => expect(name).toBe(i % 2 === 0 ? 'gpu.kernel' : 'gpu.transfer'));
    expect(m['gpu.kernels']! - m['gpu.transfers']!).toBeGreaterThanOrEqual(0);
    expect(m['gpu.kernels']! - m['gpu.transfers']!).toBeLessThanOrEqual(1);
    expect(m['io.bandwidthMBps']).toBeCloseTo((m['gpu.transfers']! * 64 * MiB) / 1e6 / 0.02, 6);
    // 64 MiB at the default 25 GB/s takes 2.7 ms, a kernel 0.5 ms: about 6 rounds in 20 ms.
    expect(m['gpu.transfers']).toBe(6);
  });

  it('reports only catalogued metrics', () => {
    expect(Object.keys(run({}).m).filter((k) => metricInfo(k) === undefined)).toEqual([]);
  });
});
