// The physical VT-d under a bare-metal host's DMA API: maps only write PTEs (no caching mode, no
// invalidation), a strict sync waits for one hardware invalidation, CPUs invalidating at once queue
// on the invalidation queue's lock, and a bare-metal scenario builds it without QEMU.
import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { TimelineRecorder } from '../../sim/timelineRecorder';
import { DmaCall } from '../base/dmaCall';
import { HostVtdDriver } from './hostVtdDriver';
import { loadRunnableScenario } from '../../run/scenarioChecks';
import { ScenarioRun } from '../../run/scenarioRun';

function rig() {
  const costs = resolveCostTable({ hostPteWriteNs: 20, intelQiDescriptorNs: 100, hostIotlbInvalidationNs: 1000 });
  const clock = { now: 0 };
  const driver = new HostVtdDriver({
    costs,
    timeline: new TimelineRecorder(),
    laneName: 'iommu.host.nic0',
    clock,
    options: { awBits: 48, superpages: 'none' },
  });
  return { driver, clock };
}

describe('intel-iommu on bare metal (the host kernel on the physical VT-d)', () => {
  it('a map writes PTEs and invalidates nothing; a strict sync waits for one page-selective invalidation', () => {
    const { driver } = rig();
    const call = new DmaCall(0).begin(0);
    driver.map(call, 0x10000, 0x40_0000, 8192, true);
    expect(driver.psiInvalidations + driver.dsiInvalidations).toBe(0);
    const afterMap = call.t;
    expect(afterMap).toBeGreaterThanOrEqual(2 * 20);
    driver.unmap(call, 0x10000, 8192);
    const cleared = call.t;
    driver.iotlbSync(call, 0x10000, 8192);
    expect(driver.psiInvalidations).toBe(1);
    expect(call.t - cleared).toBe(1100);
    driver.flushIotlbAll(call);
    expect(driver.dsiInvalidations).toBe(1);
  });

  it('two CPUs invalidating at the same time queue on the invalidation queue (qi->q_lock)', () => {
    const { driver } = rig();
    const a = new DmaCall(0).begin(0);
    const b = new DmaCall(1).begin(0);
    driver.flushIotlbAll(a);
    driver.flushIotlbAll(b);
    expect(a.t).toBe(1100);
    expect(b.t).toBe(2200);
  });

  it('a bare-metal scenario with intel-iommu runs without QEMU: no exits, strict invalidates per unmap', () => {
    const r = loadRunnableScenario({
      value: {
        name: 'bm',
        durationMs: 2,
        host: { arch: 'x86_64', hypervisor: 'bare-metal' },
        vms: [{ vcpus: 1, viommu: { model: 'intel-iommu' }, guest: { dmaMode: 'strict' }, devices: [{ name: 'nvme0', kind: 'nvme' }] }],
        workload: { kind: 'fio', iodepth: 4, numjobs: 1 },
      },
    });
    if (!r.ok) throw new Error(r.problems.join('\n'));
    const m = new ScenarioRun(r.scenario).runToEnd().metrics;
    expect(m['io.completed']).toBeGreaterThan(0);
    expect(m['vmexits'] ?? 0).toBe(0);
    expect(m['viommu.invalidations.psi']).toBeGreaterThanOrEqual(m['dma.unmaps']!);
  });

  it('refuses an emulated vIOMMU on a bare-metal host, naming the field', () => {
    const r = loadRunnableScenario({
      value: { name: 'bm', host: { hypervisor: 'bare-metal' }, vms: [{ viommu: { model: 'virtio-iommu' } }] },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.join('\n')).toMatch(/vms\.0\.viommu\.model: a bare-metal host has no vIOMMU/);
  });
});
