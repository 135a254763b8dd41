// pinAndMap with its stretches of whole backing chunks (VfioDma.mapEqualChunks) against the same call
// walked batch by batch and run by run (vfioDmaReference.testkit.ts, the loop as the kernel runs it): random
// mappings (every backing, misaligned starts, partial chunks, IOVA offsets that break superpages),
// one to three domains of different page sizes, RLIMIT_MEMLOCK anywhere (also mid-stretch), CAP_IPC_LOCK,
// an injected pin or iommu_map failure at any site, and integral or fractional costs (the stretch is
// taken with integral ones only), must give the same result,
// tally (costs summed in the same order), locked memory, PTEs and calls per domain, and sites reached.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { HostIommuDomain, type IommuGeometry } from '../host/hostIommu';
import { HostProcess, type MemoryBacking } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import { VfioDma, type VfioDmaEnv, type VfioDmaTally, type VfioDomainSlot } from './vfioDma';
import { VfioDmaReference } from './vfioDmaReference.testkit';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const FRACTIONAL = resolveCostTable({ hostPteWriteNs: 20.1, vfioPinPerPageNs: 250.3, hostIommuMapNs: 101.7 });
const INTEGRAL = resolveCostTable({ hostPteWriteNs: 20, vfioPinPerPageNs: 250, hostIommuMapNs: 102 });
const GEOMETRIES: readonly IommuGeometry[] = [
  { apertureStart: 0, apertureLast: 2 ** 48 - 1, pageSizes: [4096, 2 * MiB, GiB], reserved: [] },
  { apertureStart: 0, apertureLast: 2 ** 48 - 1, pageSizes: [4096], reserved: [] },
  { apertureStart: 0, apertureLast: 2 ** 48 - 1, pageSizes: [4096, 64 * 1024, 2 * MiB, GiB], reserved: [] },
];

interface Setup {
  readonly backing: MemoryBacking;
  readonly disableHugepages: boolean;
  readonly startPages: number;
  readonly vaddrPages: number;
  readonly pages: number;
  readonly domains: readonly number[];
  readonly memlockPages: number | null;
  readonly capIpcLock: boolean;
  readonly lockedBefore: number;
  readonly failAt: number;
  readonly integralCosts: boolean;
}

function run(s: Setup, stretches: boolean) {
  const process = new HostProcess({
    memlockBytes: s.memlockPages === null ? null : s.memlockPages * PAGE_SIZE,
    capIpcLock: s.capIpcLock,
    backing: s.backing,
    userAddressEnd: 2 ** 47,
  });
  if (s.lockedBefore > 0) process.tryLock(s.lockedBefore);
  const faults = new FaultInjector(s.failAt);
  const costs = s.integralCosts ? INTEGRAL : FRACTIONAL;
  const env: VfioDmaEnv = { process, faults, costs, disableHugepages: s.disableHugepages };
  // Newest domain first, as the container lists them; the mapping is made with all of them attached.
  const domains: VfioDomainSlot[] = s.domains.map((g, i) => ({
    iommu: new HostIommuDomain(GEOMETRIES[g]!, costs),
    seq: s.domains.length - 1 - i,
  }));
  const tally: VfioDmaTally = { costNs: 0, pinBatches: 0, hostIommuMaps: 0, ptesMapped: 0 };
  const args = [s.startPages * PAGE_SIZE, s.pages * PAGE_SIZE, s.vaddrPages * PAGE_SIZE, 3, domains[0]!.seq] as const;
  const dma = stretches ? new VfioDma(...args) : new VfioDmaReference(...args);
  const rc = dma.pinAndMap(env, domains, tally);
  return {
    rc,
    tally,
    dmaPtes: dma.ptes,
    locked: process.lockedPages,
    lockedPeak: process.lockedPeakBytes,
    memlockFailures: process.memlockFailures,
    sites: faults.sitesReached,
    domains: domains.map((d) => [d.iommu.livePtes, d.iommu.peakPtes, d.iommu.mapCalls, d.iommu.unmapCalls, d.iommu.iotlbSyncs]),
  };
}

describe('VfioDma.pinAndMap by whole-chunk stretches', () => {
  it('matches the walk batch by batch, run by run', () => {
    const chunkPagesOf = { '4k': 1, thp: 512, 'hugepages-2m': 512, 'hugepages-1g': 262144 } as const;
    const setup: fc.Arbitrary<Setup> = fc
      .record({
        backing: fc.constantFrom<MemoryBacking>('thp', 'thp', 'hugepages-2m', '4k', 'hugepages-1g'),
        disableHugepages: fc.boolean(),
        chunks: fc.integer({ min: 0, max: 40 }),
        extraPages: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 600 })),
        startChunk: fc.nat(64),
        startPageOffset: fc.oneof(fc.constant(0), fc.nat(511)),
        vaddrChunk: fc.integer({ min: 1, max: 64 }),
        vaddrPageOffset: fc.oneof(fc.constant(0), fc.constant(0), fc.nat(511)),
        domains: fc.array(fc.nat(GEOMETRIES.length - 1), { minLength: 1, maxLength: 3 }),
        memlock: fc.oneof(fc.constant(null), fc.nat(45 * 512)),
        capIpcLock: fc.boolean(),
        lockedBefore: fc.oneof(fc.constant(0), fc.nat(2000)),
        failAt: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 200 })),
        integralCosts: fc.boolean(),
      })
      .map((r) => {
        // Small 1 GiB-backed mappings stay affordable: at most a few chunks' worth of pages.
        const chunkPages = chunkPagesOf[r.backing] === 262144 ? 512 : chunkPagesOf[r.backing];
        return {
          backing: r.backing,
          disableHugepages: r.disableHugepages,
          startPages: r.startChunk * 512 + r.startPageOffset,
          vaddrPages: r.vaddrChunk * 262144 + r.vaddrPageOffset,
          pages: Math.max(1, r.chunks * chunkPages + r.extraPages),
          domains: r.domains,
          memlockPages: r.memlock,
          capIpcLock: r.capIpcLock,
          lockedBefore: r.memlock === null ? r.lockedBefore : Math.min(r.lockedBefore, r.memlock),
          failAt: r.failAt,
          integralCosts: r.integralCosts,
        };
      });
    fc.assert(
      fc.property(setup, (s) => {
        expect(run(s, true)).toEqual(run(s, false));
      }),
      { numRuns: 400 },
    );
  });

  it('stretches the common case: guest RAM on 2 MiB pages with nothing in the way', () => {
    const s: Setup = {
      backing: 'thp',
      disableHugepages: false,
      startPages: 0,
      vaddrPages: 262144,
      pages: 40 * 512,
      domains: [0, 1],
      memlockPages: null,
      capIpcLock: false,
      lockedBefore: 0,
      failAt: 0,
      integralCosts: true,
    };
    const fast = run(s, true);
    expect(fast.rc).toBe(0);
    expect(fast.tally.pinBatches).toBe(40);
    expect(fast.tally.hostIommuMaps).toBe(80);
    // One 2 MiB superpage per chunk where the IOMMU has them, 512 PTEs where it has 4 KiB pages only.
    expect(fast.domains.map((d) => d[0])).toEqual([40, 40 * 512]);
    expect(fast).toEqual(run(s, false));
  });
});
