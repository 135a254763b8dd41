// Sweeps: a parameter moved one way moves a metric the way the kernel's design says it must.
import { describe, expect, it } from 'vitest';
import { ScenarioRun } from './scenarioRun';
import { loadScenario } from '../scenario/loadScenario';

function metrics(value: Record<string, unknown>, overrides: string[]): Record<string, number> {
  const r = loadScenario({ value }, overrides);
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return new ScenarioRun(r.scenario).runToEnd().metrics;
}

describe('a larger flush queue means fewer global IOTLB flushes', () => {
  const x86 = {
    name: 'fq-sweep',
    durationMs: 60,
    vms: [{ vcpus: 2, viommu: { model: 'intel-iommu' }, guest: { dmaMode: 'lazy' } }],
    workload: { kind: 'fio', iodepth: 16, numjobs: 2 },
  };

  it('per-CPU queues: 16 -> 64 -> 256 entries', () => {
    const flushes = [16, 64, 256].map((n) => metrics(x86, [`vms.0.guest.flushQueue.perCpuSize=${n}`])['iotlb.flushes.global']!);
    expect(flushes[0]).toBeGreaterThan(flushes[1]!);
    expect(flushes[1]).toBeGreaterThan(flushes[2]!);
  });

  it('the single queue: 64 -> 512 -> 4096 entries', () => {
    const flushes = [64, 512, 4096].map(
      (n) => metrics(x86, ['vms.0.guest.dmaMode=lazy-single', `vms.0.guest.flushQueue.singleSize=${n}`])['iotlb.flushes.global']!,
    );
    expect(flushes[0]).toBeGreaterThan(flushes[1]!);
    expect(flushes[1]).toBeGreaterThan(flushes[2]!);
  });

  it('a longer timeout flushes less often when the queue never fills', () => {
    const quiet = { ...x86, workload: { kind: 'fio', iodepth: 1, numjobs: 1 } };
    const flushes = [1, 5, 20].map(
      (ms) =>
        metrics(quiet, ['vms.0.guest.flushQueue.perCpuSize=4096', `vms.0.guest.flushQueue.perCpuTimeoutMs=${ms}`])['iotlb.flushes.global']!,
    );
    expect(flushes[0]).toBeGreaterThan(flushes[1]!);
    expect(flushes[1]).toBeGreaterThan(flushes[2]!);
  });
});

describe("QEMU's aperture restriction keeps the host out of resources (reference 000)", () => {
  const s390 = {
    name: 'aperture-sweep',
    durationMs: 200,
    host: { arch: 's390x', hypervisor: 'kvm' },
    vms: [
      {
        vcpus: 4,
        memoryBytes: 2 ** 33,
        viommu: { model: 's390-zpci', s390: { globalFlushRetry: true } },
        guest: { dmaMode: 'lazy-single' },
      },
    ],
    workload: { kind: 'fio', rw: 'read', blockSizeBytes: 256 * 1024, iodepth: 16, numjobs: 4 },
  };
  const limits = [8192, 32768, 65535];
  const sweep = limits.map((limit) => ({
    limit,
    relaxed: metrics(s390, [`host.vfio.dmaEntryLimit=${limit}`, 'vms.0.viommu.s390.apertureRestriction=false']),
    restricted: metrics(s390, [`host.vfio.dmaEntryLimit=${limit}`, 'vms.0.viommu.s390.apertureRestriction=true']),
  }));

  it('at every limit: fewer out-of-resource answers with the restriction, and never more entries than the limit', () => {
    for (const { limit, relaxed, restricted } of sweep) {
      expect(relaxed['rpcit.outOfResource']).toBeGreaterThan(0);
      expect(restricted['rpcit.outOfResource']).toBeLessThanOrEqual(relaxed['rpcit.outOfResource']!);
      expect(restricted['vfio.entriesPeak']).toBeLessThanOrEqual(limit);
    }
  });

  it('at the default limit (65535) none at all: the window is larger than what the guest keeps allocated', () => {
    expect(sweep[2]!.restricted['rpcit.outOfResource']).toBe(0);
  });

  it('below that, the guest fills the whole restricted window and QEMU answers status 16 at dma_avail 0 (rpcit_service_call)', () => {
    // The price moves into the guest: IOVA allocations fail instead (the single queue holds freed IOVAs for up to 1 s).
    expect(sweep[0]!.restricted['iova.exhaustions']).toBeGreaterThan(0);
    expect(sweep[0]!.relaxed['iova.exhaustions']).toBe(0);
  });
});
