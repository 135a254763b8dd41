import { describe, expect, it } from 'vitest';
import { ScenarioRun } from '../run/scenarioRun';
import { loadScenario } from '../scenario/loadScenario';
import { TimelineRecorder, type TimelineColumns } from '../sim/timelineRecorder';

const ms = 1e6;

function run(extra: Record<string, unknown>, durationMs = 6000): { m: Record<string, number>; tl: TimelineColumns } {
  const r = loadScenario({
    value: {
      name: 'eeh-fio',
      durationMs,
      host: { arch: 'ppc64le', hypervisor: 'powernv' },
      vms: [
        {
          vcpus: 2,
          devices: [{ name: 'nvme0', kind: 'nvme', hostPe: 1, guestPe: 1 }],
          // The NVMe driver notices the freeze 10 ms later (its IO timeout would take 30 s).
          eeh: { detectionMs: { nvme: 10 } },
        },
      ],
      workload: { kind: 'fio', iodepth: 2, numjobs: 1 },
      ...extra,
    },
  });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const timeline = new TimelineRecorder();
  const result = new ScenarioRun(r.scenario, { timeline }).runToEnd();
  return { m: result.metrics, tl: timeline.columns() };
}

/** Device-lane IOs that started in [fromNs, toNs). */
function ios(tl: TimelineColumns, fromNs: number, toNs: number): number {
  const io = tl.kinds.find((k) => k.name === 'device.io')!.id;
  let n = 0;
  for (let i = 0; i < tl.count; i++) if (tl.kind[i] === io && tl.t[i]! >= fromNs && tl.t[i]! < toNs) n++;
  return n;
}

describe('fio on a pseries guest whose PE freezes (EEH wired into the stack)', () => {
  const frozen = run({ faults: [{ kind: 'eeh-freeze', atMs: 100, pe: 1 }] });
  const recoveryMs = frozen.m['eeh.recoveryTimeMs']!;

  it('the guest recovers the PE (reset path) and IO stops while it is frozen', () => {
    expect(frozen.m['eeh.freezes']).toBe(1);
    expect(frozen.m['eeh.recoveries']).toBe(1);
    expect(recoveryMs).toBeGreaterThan(10);
    expect(ios(frozen.tl, 100 * ms + 1, (100 + recoveryMs - 1) * ms)).toBe(0);
  });

  it('IO resumes after the recovery; the IOs caught on the frozen device are issued again, none fails', () => {
    expect(ios(frozen.tl, (100 + recoveryMs + 1) * ms, 6000 * ms)).toBeGreaterThan(100);
    expect(frozen.m['io.errors']).toBe(0);
    expect(frozen.m['device.offlineMs']).toBeGreaterThan(recoveryMs - 15);
  });

  it('a recovery step that fails ends in permanent failure: the device is gone, its IOs fail with EIO', () => {
    const failed = run({
      faults: [
        { kind: 'eeh-recovery-step-fails', atMs: 50, pe: 1, step: 'slot_reset' },
        { kind: 'eeh-freeze', atMs: 100, pe: 1 },
      ],
    });
    expect(failed.m['eeh.permanentFailures']).toBe(1);
    expect(ios(failed.tl, 200 * ms, 6000 * ms)).toBe(0);
    expect(failed.m['io.errors']).toBeGreaterThan(0);
  });

  it('a DMA to an unmapped IOVA freezes the PE (the PHB stops on a TCE translation error); recovery follows', () => {
    const r = run({
      vms: [
        {
          vcpus: 2,
          viommu: { model: 'spapr-tce', spapr: { guestDisableDdw: true } },
          devices: [{ name: 'nvme0', kind: 'nvme', hostPe: 1, guestPe: 1 }],
          eeh: { detectionMs: { nvme: 10 } },
        },
      ],
      faults: [{ kind: 'dma-to-unmapped', atMs: 100, device: 'nvme0' }],
    });
    expect(r.m['iommu.faults']).toBe(1);
    expect(r.m['eeh.freezes']).toBe(1);
    expect(r.m['eeh.recoveries']).toBe(1);
  });

  it('with the 64-bit window mapping all RAM (DDW), the same DMA reaches guest memory: nothing freezes', () => {
    const r = run({ faults: [{ kind: 'dma-to-unmapped', atMs: 100, device: 'nvme0' }] });
    expect(r.m['dma.unprotectedAccesses']).toBe(1);
    expect(r.m['eeh.freezes']).toBe(0);
  });
});
