import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../scenario/loadScenario';
import { ScenarioRun } from './scenarioRun';

const GiB = 2 ** 30;
const PAGE = 4096;

function metrics(memoryGiB: number, viommu: boolean, extra: string[]): Readonly<Record<string, number>> {
  const loaded = loadScenario(
    {
      value: {
        name: 'limits-property',
        durationMs: 1,
        vms: [
          { name: 'vm0', memoryBytes: memoryGiB * GiB, viommu: { model: viommu ? 'intel-iommu' : 'none' }, devices: [{ name: 'nvme0' }] },
        ],
        workload: { kind: 'fio', iodepth: 4, numjobs: 1 },
      },
    },
    extra,
  );
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  return new ScenarioRun(loaded.scenario).runToEnd().metrics;
}

describe('the needed values are what suffices', () => {
  it('RLIMIT_MEMLOCK = the needed peak is never refused, one page less is (any guest size, any limit, with or without a vIOMMU)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.integer({ min: 0, max: (8 * GiB) / PAGE }),
        (memGiB, viommu, limitPages) => {
          const first = metrics(memGiB, viommu, [`host.vfio.memlockBytes=${limitPages * PAGE}`]);
          const needed = first['limits.lockedBytesPeak']!;
          expect(first['limits.limitHit']).toBe(needed > limitPages * PAGE ? 1 : 0);
          const enough = metrics(memGiB, viommu, [`host.vfio.memlockBytes=${needed}`]);
          expect(enough['limits.limitHit']).toBe(0);
          expect(enough['vfio.memlockFailures']).toBe(0);
          expect(enough['limits.lockedBytesPeak']).toBe(needed);
          if (needed >= PAGE) expect(metrics(memGiB, viommu, [`host.vfio.memlockBytes=${needed - PAGE}`])['limits.limitHit']).toBe(1);
        },
      ),
      { numRuns: 8, seed: 16 },
    );
  });

  it('dma_entry_limit = the needed peak entries is never refused, one less is', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.boolean(), fc.integer({ min: 1, max: 64 }), (memGiB, viommu, limit) => {
        const first = metrics(memGiB, viommu, [`host.vfio.dmaEntryLimit=${limit}`]);
        const needed = first['limits.entriesPeak']!;
        expect(first['limits.limitHit']).toBe(needed > limit ? 1 : 0);
        const enough = metrics(memGiB, viommu, [`host.vfio.dmaEntryLimit=${needed}`]);
        expect(enough['limits.limitHit']).toBe(0);
        expect(enough['vfio.enospc']).toBe(0);
        expect(enough['limits.entriesPeak']).toBe(needed);
        if (needed > 1) expect(metrics(memGiB, viommu, [`host.vfio.dmaEntryLimit=${needed - 1}`])['limits.limitHit']).toBe(1);
      }),
      { numRuns: 8, seed: 16 },
    );
  });
});
