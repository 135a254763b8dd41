// intel-iommu at QEMU start: each passed-through device has its own DMA address space, so its own
// container, and until the guest enables translation that address space is the no-DMAR alias of
// guest RAM, so QEMU maps (and type1 pins and charges) all guest RAM into every container, then
// unmaps it when the guest turns DMA remapping on. A memlock limit below devices x guest RAM stops
// QEMU; without a vIOMMU one container holds guest RAM once.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ScenarioRun } from '../run/scenarioRun';
import { loadScenario } from '../scenario/loadScenario';
import { TimelineRecorder } from '../sim/timelineRecorder';
import type { Stack } from './stackBuilder';

const GiB = 2 ** 30;

function run(opts: { viommu?: string; devices?: number; ram?: number; memlock?: number | null; backend?: string }) {
  const devices = Array.from({ length: opts.devices ?? 2 }, (_, i) => ({ name: `gpu${i}`, kind: 'nvme' }));
  const r = loadScenario({
    value: {
      name: 'viommu-boot',
      durationMs: 1,
      host: { vfio: { memlockBytes: opts.memlock ?? null, backend: opts.backend ?? 'type1v2' } },
      vms: [{ memoryBytes: opts.ram ?? 2 * GiB, viommu: { model: opts.viommu ?? 'intel-iommu' }, devices }],
      workload: { kind: 'fio', iodepth: 1, numjobs: 1 },
    },
  });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const timeline = new TimelineRecorder();
  let atStart: { containers: number; entries: number; lockedBytes: number } | null = null;
  const prepare = (stack: Stack) => {
    const cs = new Set(stack.vms[0]!.devices.map((d) => d.container));
    let entries = 0;
    for (const c of cs) entries += c?.entries ?? 0;
    atStart = { containers: cs.size, entries, lockedBytes: stack.env.process.lockedPages * 4096 };
  };
  const m = new ScenarioRun(r.scenario, { timeline, prepare }).runToEnd().metrics;
  const tl = timeline.columns();
  const lines: string[] = [];
  for (let i = 0; i < tl.count; i++) if (tl.lanes[tl.lane[i]!]!.group === 'log') lines.push(tl.strings[tl.a0[i]!]!);
  return { m, lines, atStart: atStart! };
}

describe('intel-iommu guest RAM at QEMU start', () => {
  it('maps all guest RAM into each device container, then unmaps it when the guest enables translation', () => {
    const { m, atStart } = run({});
    expect(atStart.containers).toBe(2);
    // The guest runs with translation on: the alias is gone, nothing of RAM is left pinned.
    expect(atStart.entries).toBe(0);
    expect(atStart.lockedBytes).toBe(0);
    expect(m['qemu.startFailures'] ?? 0).toBe(0);
    expect(m['vfio.lockedBytesPeak']).toBe(2 * 2 * GiB);
  });

  it('refuses the second container under a limit sized for one copy, and QEMU names that device', () => {
    const { m, lines } = run({ memlock: 3 * GiB });
    expect(m['qemu.startFailures']).toBe(1);
    expect(m['vfio.memlockFailures']).toBeGreaterThan(0);
    expect(lines).toContain(`vfio_pin_pages_remote: RLIMIT_MEMLOCK (${3 * GiB}) exceeded`);
    expect(lines.some((l) => l.startsWith('vfio gpu1: failed to setup container') && l.includes('= -12 (Cannot allocate memory)'))).toBe(
      true,
    );
  });

  it('charges each iommufd compat IOAS on its own too', () => {
    expect(run({ memlock: 3 * GiB, backend: 'iommufd' }).m['qemu.startFailures']).toBe(1);
  });

  it('without a vIOMMU the devices share one container and RAM is charged once', () => {
    const { m, atStart } = run({ viommu: 'none', memlock: 3 * GiB });
    expect(atStart.containers).toBe(1);
    expect(m['qemu.startFailures'] ?? 0).toBe(0);
    expect(m['vfio.lockedBytesPeak']).toBe(2 * GiB);
  });

  it('starts exactly when RLIMIT_MEMLOCK holds devices x guest RAM (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: -2, max: 2 }), (devices, pagesOff) => {
        const ram = GiB;
        const memlock = devices * ram + pagesOff * 4096;
        const failed = (run({ devices, ram, memlock }).m['qemu.startFailures'] ?? 0) > 0;
        expect(failed).toBe(pagesOff < 0);
      }),
      { numRuns: 12, seed: 16 },
    );
  });
});
