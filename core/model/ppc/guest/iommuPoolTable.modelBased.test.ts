// The TCE allocator over its it_map bitmap against the interval-map allocator it replaced
// (iommuPoolTableReference.testkit.ts): random iommu_range_alloc / iommu_free sequences over small
// crowded windows (pool fallbacks, segment boundaries, DMA masks below the window's end, alignment,
// failures) and a DDW-sized window whose bitmap spans several chunks must give the same entries, the
// same failures, the same answers to the free checks and the same hints, counters and snapshots
// after every call.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IommuPoolTable } from './iommuPoolTable';
import { IommuPoolTableReference } from './iommuPoolTableReference.testkit';

interface Geometry {
  readonly offset: number;
  readonly size: number;
  readonly pageShift: number;
  readonly boundaryTces: number;
  /** DMA masks as TCE numbers (maskTces). */
  readonly masks: readonly number[];
  readonly maxPages: number;
}

type Cmd =
  | { readonly op: 'alloc'; readonly cpu: number; readonly pages: number; readonly mask: number; readonly align: number }
  | { readonly op: 'free'; readonly pick: number }
  | { readonly op: 'badFree'; readonly pick: number; readonly delta: number }
  | { readonly op: 'query'; readonly entry: number; readonly pages: number };

function stateOf(t: IommuPoolTable | IommuPoolTableReference): unknown {
  return {
    snapshot: t.snapshot(),
    tces: t.allocatedTces,
    peak: t.allocatedPeak,
    fallbacks: t.poolFallbacks,
    inUse: t.inUse(),
  };
}

function liveOf(ref: IommuPoolTableReference): [number, number][] {
  return (ref.snapshot() as { allocated: [number, number][] }).allocated;
}

function check(g: Geometry, cmds: readonly Cmd[]): void {
  const fast = new IommuPoolTable(7, g.offset, g.size, g.pageShift, g.boundaryTces);
  const ref = new IommuPoolTableReference(7, g.offset, g.size, g.pageShift, g.boundaryTces);
  expect(stateOf(fast)).toEqual(stateOf(ref));
  for (const [i, c] of cmds.entries()) {
    const what = `step ${i}: ${JSON.stringify(c)}`;
    if (c.op === 'alloc') {
      const pages = 1 + (c.pages % g.maxPages);
      const mask = g.masks[c.mask % g.masks.length]!;
      expect(fast.alloc(c.cpu % 8, pages, mask, c.align % 4), what).toBe(ref.alloc(c.cpu % 8, pages, mask, c.align % 4));
    } else if (c.op === 'free') {
      const live = liveOf(ref);
      if (live.length === 0) continue;
      const [start, last] = live[c.pick % live.length]!;
      const ok = ref.isAllocated(start, last - start + 1);
      expect(fast.isAllocated(start, last - start + 1), what).toBe(ok);
      if (!ok) continue; // entry 0's reservation
      fast.free(start, last - start + 1);
      ref.free(start, last - start + 1);
    } else if (c.op === 'badFree') {
      const live = liveOf(ref);
      if (live.length === 0) continue;
      const [start, last] = live[c.pick % live.length]!;
      const entry = start + (c.delta % 3) - 1;
      const pages = last - start + 1 + (c.delta % 5) - 2;
      if (live.some(([s, l]) => s === entry && l - s + 1 === pages)) continue;
      expect(() => fast.free(entry, pages), what).toThrow();
      expect(() => ref.free(entry, pages), what).toThrow();
    } else {
      const entry = (c.entry % (g.size + 4)) - 2;
      const pages = (c.pages % 40) - 2;
      expect(fast.isAllocated(entry, pages), what).toBe(ref.isAllocated(entry, pages));
      expect(fast.anyAllocated(entry, pages), what).toBe(ref.anyAllocated(entry, pages));
    }
    expect(stateOf(fast), `after ${what}`).toEqual(stateOf(ref));
    expect(fast.checkInvariants(), `after ${what}`).toEqual([]);
  }
}

const cmd = (geometry: Geometry): fc.Arbitrary<Cmd> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        op: fc.constant('alloc' as const),
        cpu: fc.nat(7),
        pages: fc.oneof(fc.nat(15), fc.nat(geometry.maxPages)),
        mask: fc.nat(10),
        align: fc.nat(3),
      }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('free' as const), pick: fc.nat(10_000) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('badFree' as const), pick: fc.nat(10_000), delta: fc.nat(14) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('query' as const), entry: fc.nat(1 << 20), pages: fc.nat(39) }) },
  );

const MASK64 = 2 ** 52 - 1;

const GEOMETRIES: Record<string, Geometry> = {
  // 200 TCEs of 4 KiB at bus address 0: one pool and the large pool, entry 0 reserved.
  'a small default window with one pool': { offset: 0, size: 200, pageShift: 12, boundaryTces: 64, masks: [MASK64, 150, 90], maxPages: 24 },
  // 256 TCEs of 4 MiB = 1 GiB: four pools.
  'a 1 GiB window with four pools': { offset: 0, size: 256, pageShift: 22, boundaryTces: 32, masks: [MASK64, 200, 120], maxPages: 20 },
  // Offset not a multiple of the segment size, masks cutting the pools.
  'a window at an offset crossing segments': {
    offset: 1000,
    size: 300,
    pageShift: 24,
    boundaryTces: 64,
    masks: [MASK64, 1200, 1100, 1000],
    maxPages: 30,
  },
  // A DDW of 2^17 TCEs of 64 KiB at 2^59: its it_map spans four chunks.
  'a DDW-sized window at 2^59': {
    offset: 2 ** 43,
    size: 2 ** 17,
    pageShift: 16,
    boundaryTces: 2 ** 16,
    masks: [MASK64],
    maxPages: 40_000,
  },
};

describe('IommuPoolTable matches the interval-map allocator', () => {
  for (const [name, g] of Object.entries(GEOMETRIES)) {
    it(`in ${name}`, () => {
      fc.assert(
        fc.property(fc.array(cmd(g), { minLength: 40, maxLength: 250 }), (cmds) => check(g, cmds)),
        { numRuns: 60 },
      );
    });
  }

  it('when a window fills up, empties and fills again', () => {
    const g = GEOMETRIES['a small default window with one pool']!;
    const cmds: Cmd[] = [];
    for (let i = 0; i < 120; i++) cmds.push({ op: 'alloc', cpu: i, pages: i % 5, mask: 0, align: i % 3 });
    for (let i = 0; i < 120; i++) cmds.push({ op: 'free', pick: i * 7 }, { op: 'alloc', cpu: i, pages: (i * 3) % 17, mask: i, align: 0 });
    check(g, cmds);
  });
});
