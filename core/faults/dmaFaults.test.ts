import { describe, expect, it } from 'vitest';
import { ScenarioRun } from '../run/scenarioRun';
import { loadRunnableScenario } from '../run/scenarioChecks';
import { TimelineRecorder, type TimelineColumns } from '../sim/timelineRecorder';

function run(value: Record<string, unknown>): { m: Record<string, number>; tl: TimelineColumns } {
  const r = loadRunnableScenario({ value: { name: 'dma-fault', durationMs: 40, ...value } });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const timeline = new TimelineRecorder();
  const result = new ScenarioRun(r.scenario, { timeline }).runToEnd();
  return { m: result.metrics, tl: timeline.columns() };
}

/** The first event whose kind name starts with `prefix`. */
function firstEvent(tl: TimelineColumns, prefix: string): number {
  for (let i = 0; i < tl.count; i++) if (tl.kinds[tl.kind[i]!]!.name.startsWith(prefix)) return i;
  return -1;
}

/** IOVA dma-iommu hands out first for 4 KiB with a 64-bit mask: the top page below 4 GiB (SAC first). */
const FIRST_IOVA = 0xffff_f000;
const map = { op: 'dma.map', args: { device: 'nvme0', size: 4096, dir: 'to-device' } };
const unmap = { op: 'dma.unmap', args: { device: 'nvme0', dmaAddr: FIRST_IOVA, size: 4096 } };

function opsRun(dmaMode: string, atMs: number, steps: object[] = [map, unmap]) {
  return run({
    vms: [{ viommu: { model: 'intel-iommu' }, guest: { dmaMode } }],
    workload: { kind: 'ops', steps },
    faults: [{ kind: 'dma-to-unmapped', atMs, device: 'nvme0' }],
  });
}

describe('dma-to-unmapped: what a DMA to the last unmapped address reaches depends on the DMA mode', () => {
  it('strict: the IOTLB was synced inside the unmap, so the IOMMU blocks it (a fault)', () => {
    const r = opsRun('strict', 1);
    expect(r.m['iommu.faults']).toBe(1);
    expect(r.m['dma.staleAccesses'] ?? 0).toBe(0);
  });

  it('lazy: before the flush-queue timer (10 ms) the freed buffer is still reachable', () => {
    const r = opsRun('lazy', 1);
    expect(r.m['dma.staleAccesses']).toBe(1);
    expect(r.m['iommu.faults'] ?? 0).toBe(0);
  });

  it('lazy: after the timer flushed it, the access faults', () => {
    const r = opsRun('lazy', 20);
    expect(r.m['iommu.faults']).toBe(1);
    expect(r.m['dma.staleAccesses'] ?? 0).toBe(0);
  });

  it('strict: once the IOVA is handed out again, the access reaches the new buffer', () => {
    const r = opsRun('strict', 1, [map, unmap, map]);
    expect(r.m['dma.remappedAccesses']).toBe(1);
  });

  it('without a vIOMMU the bus address is guest RAM: always reachable', () => {
    const r = run({
      workload: { kind: 'fio', iodepth: 4, numjobs: 1 },
      faults: [{ kind: 'dma-to-unmapped', atMs: 5, device: 'nvme0' }],
    });
    expect(r.m['dma.unprotectedAccesses']).toBe(1);
  });

  it('under a busy lazy fio the last unmap is almost always waiting in a flush queue', () => {
    const r = run({
      vms: [{ viommu: { model: 'intel-iommu' }, guest: { dmaMode: 'lazy' } }],
      workload: { kind: 'fio', iodepth: 8, numjobs: 2 },
      faults: [{ kind: 'dma-to-unmapped', atMs: 25, device: 'nvme0' }],
    });
    expect(r.m['dma.staleAccesses']).toBe(1);
    const ev = firstEvent(r.tl, 'dma.access.stale');
    expect(ev).toBeGreaterThanOrEqual(0);
    // The event names the IO whose buffer it was and how long ago it was unmapped.
    const io = r.tl.a2[ev]!;
    expect(r.tl.kinds[r.tl.kind[io]!]!.name).toBe('device.io');
    expect(r.tl.a1[ev]).toBeLessThan(10e6);
    expect(r.tl.kinds[r.tl.kind[r.tl.cause[ev]!]!]!.name).toBe('fault.inject');
  });

  it('records that nothing was unmapped yet rather than inventing a target', () => {
    const r = opsRun('strict', 1, [map]);
    expect(r.m['dma.toUnmappedWithoutTarget']).toBe(1);
  });
});

describe('memlock-shrink: later pinning is checked against the lowered RLIMIT_MEMLOCK', () => {
  const base = {
    vms: [{ viommu: { model: 'intel-iommu' }, guest: { dmaMode: 'strict' } }],
    workload: { kind: 'fio', iodepth: 8, numjobs: 2 },
  };

  it('makes QEMU fail VFIO maps (ENOMEM, only logged) once locked memory is above the new limit', () => {
    const before = run(base);
    expect(before.m['vfio.memlockFailures']).toBe(0);
    const r = run({ ...base, faults: [{ kind: 'memlock-shrink', atMs: 10, bytes: 4096 }] });
    expect(r.m['vfio.memlockFailures']).toBeGreaterThan(0);
    expect(r.m['qemu.vfioMapFailures']).toBeGreaterThan(0);
  });

  it('leaves pages already locked in place (the guest RAM of a vIOMMU-less VM stays pinned)', () => {
    const r = run({ workload: { kind: 'fio', iodepth: 4, numjobs: 1 }, faults: [{ kind: 'memlock-shrink', atMs: 5, bytes: 4096 }] });
    expect(r.m['vfio.lockedBytesEnd']).toBe(8 * 2 ** 30);
    expect(r.m['vfio.memlockFailures']).toBe(0);
  });
});

describe('rpcit-out-of-resource: forced status 16 reaches the s390 guest driver', () => {
  const s390 = (retry: boolean, count: number) => ({
    host: { arch: 's390x', hypervisor: 'kvm' },
    vms: [{ viommu: { model: 's390-zpci', s390: { globalFlushRetry: retry } }, guest: { dmaMode: 'lazy' } }],
    workload: { kind: 'fio', iodepth: 4, numjobs: 1 },
    faults: [{ kind: 'rpcit-out-of-resource', atMs: 5, count }],
  });

  it('with the 6.7 global-flush retry a single status 16 costs a global RPCIT and the map succeeds', () => {
    const r = run(s390(true, 1));
    expect(r.m['rpcit.outOfResource']).toBe(1);
    expect(r.m['rpcit.globalFlushRetries']).toBe(1);
    expect(r.m['dma.mapFailures']).toBe(0);
  });

  it('the retry cannot help when the global RPCIT answers status 16 too: the map fails', () => {
    const r = run(s390(true, 3));
    expect(r.m['rpcit.outOfResource']).toBe(3);
    expect(r.m['dma.mapFailures']).toBe(1);
  });

  it('without the retry one status 16 fails the map', () => {
    const r = run(s390(false, 1));
    expect(r.m['rpcit.outOfResource']).toBe(1);
    expect(r.m['dma.mapFailures']).toBe(1);
  });

  it('is refused on a scenario without a zPCI function', () => {
    const r = loadRunnableScenario({ value: { name: 'x', faults: [{ kind: 'rpcit-out-of-resource', atMs: 1 }] } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toContain('faults.0.kind: fault "rpcit-out-of-resource" needs host.arch s390x, not x86_64');
  });
});
