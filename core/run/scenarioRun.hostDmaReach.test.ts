// A VFIO map QEMU makes for a vIOMMU notifier can fail (dma_entry_limit, memlock) without the guest
// knowing: the guest's map succeeded, so the device's DMA to that IOVA faults in the host IOMMU and
// the request fails. The run shows it as IO errors, host IOMMU faults, and a fault event per IO.
import { describe, expect, it } from 'vitest';
import { ScenarioRun } from './scenarioRun';
import { loadScenario } from '../scenario/loadScenario';
import { TimelineRecorder } from '../sim/timelineRecorder';

function run(viommu: string, dmaEntryLimit: number, workload: object = { kind: 'fio', blockSizeBytes: 65536 }, extra: object = {}) {
  const r = loadScenario({
    value: {
      name: 'host-dma-reach',
      durationMs: 20,
      host: { vfio: { dmaEntryLimit } },
      vms: [{ viommu: { model: viommu } }],
      workload,
      ...extra,
    },
  });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const timeline = new TimelineRecorder();
  const m = new ScenarioRun(r.scenario, { timeline }).runToEnd().metrics;
  return { m, tl: timeline.columns() };
}

describe('DMA to an IOVA QEMU failed to shadow into VFIO', () => {
  // intel-iommu shadows page by page (64 KiB = 16 entries), virtio-iommu one entry per MAP request.
  for (const [viommu, tightLimit] of [
    ['intel-iommu', 1024],
    ['virtio-iommu', 64],
  ] as const) {
    it(`${viommu}: with room for every mapping, no IO faults`, () => {
      const { m } = run(viommu, 65535);
      expect(m['vfio.mapFailures']).toBe(0);
      expect(m['io.errors']).toBe(0);
      expect(m['iommu.faults'] ?? 0).toBe(0);
    });

    it(`${viommu}: once the host runs out of mappings, IOs whose buffers were not shadowed fail with a host IOMMU fault`, () => {
      const { m, tl } = run(viommu, tightLimit);
      expect(m['vfio.enospc']).toBeGreaterThan(0);
      expect(m['io.errors']).toBeGreaterThan(0);
      // Faulted IOs still in flight at the end (at most iodepth x numjobs = 128) have not failed yet.
      expect(m['iommu.faults']).toBeGreaterThanOrEqual(m['io.errors']!);
      expect(m['iommu.faults']).toBeLessThanOrEqual(m['io.errors']! + 128);
      const faultKind = tl.kinds.findIndex((k) => k.name === 'iommu.hostFault.unmapped');
      let faults = 0;
      for (let i = 0; i < tl.count; i++) {
        if (tl.kind[i] !== faultKind) continue;
        faults++;
        // Its cause is the guest's map of the IO's buffer, which the guest saw succeed.
        expect(tl.kinds[tl.kind[tl.cause[i]!]!]!.name).toBe('dma.map');
      }
      expect(faults).toBe(m['iommu.faults']);
    });
  }

  // Every device workload meets the same host: its DMA to a buffer QEMU failed to shadow faults.
  const WORKLOADS = [
    {
      name: 'net (TX packets dropped)',
      workload: { kind: 'net' },
      device: 'mlx5-vf',
      limit: 64,
      durationMs: 20,
      mapKinds: ['net.txBuffer.map', 'net.rxPage.map'],
      lost: 'net.dropped',
    },
    {
      name: 'dpdk (IOs from unshadowed mbufs fail)',
      workload: { kind: 'dpdk', blockSizeBytes: 1024 * 1024 },
      device: 'nvme',
      limit: 16,
      durationMs: 80,
      mapKinds: ['dpdk.mempoolMap'],
      lost: 'io.errors',
    },
    {
      name: 'gpu (copies from unshadowed buffers fail)',
      workload: { kind: 'gpu' },
      device: 'gpu',
      limit: 2,
      durationMs: 400,
      mapKinds: ['gpu.bufferMap'],
      lost: 'io.errors',
    },
  ] as const;
  for (const w of WORKLOADS) {
    it(`intel-iommu, ${w.name}`, () => {
      const extra = { durationMs: w.durationMs, vms: [{ viommu: { model: 'intel-iommu' }, devices: [{ name: 'dev0', kind: w.device }] }] };
      const roomy = run('intel-iommu', 65535, w.workload, extra);
      expect(roomy.m['qemu.vfioMapFailures']).toBe(0);
      expect(roomy.m['iommu.faults'] ?? 0).toBe(0);
      const tight = run('intel-iommu', w.limit, w.workload, extra);
      expect(tight.m['qemu.vfioMapFailures']).toBeGreaterThan(0);
      expect(tight.m['iommu.faults']).toBeGreaterThan(0);
      expect(tight.m[w.lost]).toBeGreaterThan(roomy.m[w.lost] ?? 0);
      const faultKind = tight.tl.kinds.findIndex((k) => k.name === 'iommu.hostFault.unmapped');
      for (let i = 0; i < tight.tl.count; i++)
        if (tight.tl.kind[i] === faultKind) expect(w.mapKinds).toContain(tight.tl.kinds[tight.tl.kind[tight.tl.cause[i]!]!]!.name);
    });
  }

  it('net RX: the NIC writes into the ring buffers in order; a buffer QEMU failed to shadow loses its packet', () => {
    const extra = { vms: [{ viommu: { model: 'intel-iommu' }, devices: [{ name: 'dev0', kind: 'mlx5-vf' }] }] };
    // The RX ring is mapped first: a limit below its page count leaves later pages unshadowed.
    const { m, tl } = run('intel-iommu', 16, { kind: 'net', txShare: 0 }, extra);
    expect(m['net.rxPagesMapped']).toBeGreaterThan(16);
    const faultKind = tl.kinds.findIndex((k) => k.name === 'iommu.hostFault.unmapped');
    let rxFaults = 0;
    for (let i = 0; i < tl.count; i++)
      if (tl.kind[i] === faultKind && tl.kinds[tl.kind[tl.cause[i]!]!]!.name === 'net.rxPage.map') rxFaults++;
    expect(rxFaults).toBeGreaterThan(0);
    expect(rxFaults).toBe(m['iommu.faults']);
    expect(m['net.dropped']).toBeGreaterThanOrEqual(rxFaults);
  });

  it('without a vIOMMU, guest RAM QEMU cannot map at boot stops QEMU: the VM never runs an IO', () => {
    const r = loadScenario({
      value: { name: 'boot-map-fails', durationMs: 5, host: { vfio: { memlockBytes: '0x80000000' } }, workload: { kind: 'fio' } },
    });
    if (!r.ok) throw new Error(r.problems.join('\n'));
    const timeline = new TimelineRecorder();
    const m = new ScenarioRun(r.scenario, { timeline }).runToEnd().metrics;
    expect(m['vfio.memlockFailures']).toBeGreaterThan(0);
    expect(m['qemu.startFailures']).toBe(1);
    expect(m['io.completed']).toBe(0);
    expect(m['iommu.faults'] ?? 0).toBe(0);
    const tl = timeline.columns();
    const exit = tl.kinds.findIndex((k) => k.name === 'qemu.vfioListener.failed');
    expect(exit).toBeGreaterThanOrEqual(0);
    let cause = -1;
    for (let i = 0; i < tl.count; i++) if (tl.kind[i] === exit) cause = tl.cause[i]!;
    // QEMU's exit <- the line it printed (log.qemu.line) <- the map VFIO refused.
    expect(tl.kinds[tl.kind[cause]!]!.name).toBe('log.qemu.line');
    expect(tl.kinds[tl.kind[tl.cause[cause]!]!]!.name).toBe('vfio.map.failed');
  });
});
