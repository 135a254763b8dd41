// VfioDma takes whole backing chunks at once where pinAndMap, vfio_unmap_unpin and the PTE count
// would repeat the same step chunk after chunk (guest RAM replayed at boot). It must leave exactly
// what the chunk-by-chunk loops of vfioDmaReference.testkit.ts leave: the same errno, tally (costs
// bit for bit), host IOMMU counts, locked memory and fault sites, for random backings, domain
// geometries, costs (integer and not), RLIMIT_MEMLOCK limits, address-space ends, injected faults
// and sequences of mappings mapped and removed in random order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { HostIommuDomain } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import { VfioDma, type VfioDmaEnv, type VfioDmaTally, type VfioDomainSlot } from './vfioDma';
import { VfioDmaReference } from './vfioDmaReference.testkit';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const GEOMETRIES = [[PAGE_SIZE, 2 * MiB, GiB], [PAGE_SIZE], [PAGE_SIZE, 64 * 1024, 2 * MiB, GiB]];

interface Side {
  readonly env: VfioDmaEnv;
  readonly domains: VfioDomainSlot[];
  readonly live: Map<number, VfioDma | VfioDmaReference>;
}

interface Config {
  readonly backing: '4k' | 'thp' | 'hugepages-2m' | 'hugepages-1g';
  readonly geometries: number[];
  readonly fractionalCosts: boolean;
  readonly memlockPages: number | null;
  readonly userEndChunks: number;
  readonly failAt: number;
  readonly disableHugepages: boolean;
}

function side(c: Config): Side {
  const costs = resolveCostTable(c.fractionalCosts ? { vfioPinPerPageNs: 0.1, hostPteWriteNs: 0.3 } : {});
  const process = new HostProcess({
    memlockBytes: c.memlockPages === null ? null : c.memlockPages * PAGE_SIZE,
    capIpcLock: false,
    backing: c.backing,
    userAddressEnd: c.userEndChunks * 2 * MiB,
  });
  const domains = c.geometries.map((g, seq) => ({
    iommu: new HostIommuDomain({ apertureStart: 0, apertureLast: 2 ** 48 - 1, pageSizes: GEOMETRIES[g]!, reserved: [] }, costs),
    seq,
  }));
  return {
    env: { process, faults: new FaultInjector(c.failAt), costs, disableHugepages: c.disableHugepages },
    domains,
    live: new Map(),
  };
}

function state(s: Side, tally: VfioDmaTally): unknown {
  return {
    tally: { ...tally },
    domains: s.domains.map((d) => [d.iommu.livePtes, d.iommu.peakPtes, d.iommu.mapCalls, d.iommu.unmapCalls, d.iommu.iotlbSyncs]),
    locked: [s.env.process.lockedPages, s.env.process.lockedPeakBytes, s.env.process.memlockFailures],
    sites: s.env.faults.sitesReached,
    live: [...s.live.values()].map((d) => d.ptes),
  };
}

const config: fc.Arbitrary<Config> = fc.record({
  backing: fc.constantFrom('4k' as const, 'thp' as const, 'hugepages-2m' as const, 'hugepages-1g' as const),
  geometries: fc.array(fc.nat(GEOMETRIES.length - 1), { minLength: 1, maxLength: 3 }),
  fractionalCosts: fc.boolean(),
  memlockPages: fc.option(fc.integer({ min: 0, max: 40 * 512 }), { nil: null }),
  userEndChunks: fc.integer({ min: 1000, max: 1100 }),
  failAt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200 })),
  disableHugepages: fc.boolean(),
});

type Op = { kind: 'map'; slot: number; offsetPages: number; pages: number } | { kind: 'unmap'; slot: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('map' as const),
    slot: fc.nat(7),
    offsetPages: fc.constantFrom(0, 0, 1, 511),
    pages: fc.oneof(fc.integer({ min: 1, max: 24 * 512 }), fc.constantFrom(512, 2 * 512, 17 * 512, 17 * 512 + 3)),
  }),
  fc.record({ kind: fc.constant('unmap' as const), slot: fc.nat(7) }),
);

describe('VfioDma whole-chunk steps match the chunk-by-chunk loops', () => {
  it('for random configurations and map/unmap sequences', () => {
    fc.assert(
      fc.property(config, fc.array(op, { minLength: 1, maxLength: 12 }), (c, ops) => {
        const fast = side(c);
        const slow = side(c);
        for (const o of ops) {
          // Slot i: its own 1 GiB-aligned IOVA and user address window (vaddrs from 2 MiB, so the
          // userEnd of 1000-1100 chunks cuts some mappings short: EFAULT).
          const iova = o.slot * 64 * GiB;
          const tallyFast: VfioDmaTally = { costNs: 0, pinBatches: 0, hostIommuMaps: 0, ptesMapped: 0 };
          const tallySlow: VfioDmaTally = { costNs: 0, pinBatches: 0, hostIommuMaps: 0, ptesMapped: 0 };
          if (o.kind === 'map') {
            if (fast.live.has(o.slot)) continue;
            const vaddr = 2 * MiB + o.slot * 256 * MiB + o.offsetPages * PAGE_SIZE;
            const f = new VfioDma(iova + o.offsetPages * PAGE_SIZE, o.pages * PAGE_SIZE, vaddr, 3, c.geometries.length);
            const s = new VfioDmaReference(iova + o.offsetPages * PAGE_SIZE, o.pages * PAGE_SIZE, vaddr, 3, c.geometries.length);
            const errFast = f.pinAndMap(fast.env, fast.domains, tallyFast);
            const errSlow = s.pinAndMap(slow.env, slow.domains, tallySlow);
            expect(errFast).toBe(errSlow);
            if (errFast === 0) {
              fast.live.set(o.slot, f);
              slow.live.set(o.slot, s);
            }
          } else {
            const f = fast.live.get(o.slot);
            const s = slow.live.get(o.slot);
            if (f === undefined || s === undefined) continue;
            f.unmapUnpin(fast.env, fast.domains, tallyFast);
            s.unmapUnpin(slow.env, slow.domains, tallySlow);
            fast.live.delete(o.slot);
            slow.live.delete(o.slot);
          }
          expect(state(fast, tallyFast)).toEqual(state(slow, tallySlow));
          for (const [slot, f] of fast.live) {
            for (const d of fast.domains) expect(f.ptesIn(fast.env, d)).toBe(slow.live.get(slot)!.ptesIn(slow.env, d));
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
